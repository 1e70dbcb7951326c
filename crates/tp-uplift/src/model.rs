//! Train once, score many: saving a fitted [`CateModel`] to a versioned,
//! self-describing JSON file and loading it back.
//!
//! The file records the format name and version, the tp-uplift version that
//! wrote it, the method, the feature names in the order `predict` expects
//! them, the arm labels, the fit parameters and seed, every fitted stage
//! (bootstrap replicates included) and a checksum of all of it. Base models
//! are stored as linear / logistic coefficients or, for any other tp-learn
//! learner (random forests, gradient boosting), in tp-learn's own serialized
//! form (trees as per-node vectors with their bin cut points). Floats are
//! written with enough digits to round-trip exactly, so a loaded model
//! predicts bit-for-bit what the saved one did.
//!
//! Loading refuses a newer format version, a file that is not a tp uplift
//! model, one whose content no longer matches its checksum or whose stages
//! do not fit its own header (a corrupt file), and — at scoring time — data
//! whose feature names differ from the model's
//! ([`CateModel::predict_named`]). Format history: version 1 held linear
//! and logistic stages only and no checksum; version 2 adds tree-based
//! stages, `written_by` and `checksum`. Version 1 files still load.
//!
//! Causal forests ([`CateModel::from_causal_forest`]) are stored whole
//! under the `forest` stages tag: flat node vectors, leaf statistics and
//! bin cut points, so `predict` and `predict_se` give back exactly the
//! forest's τ̂ and little-bags standard errors. Format history: the forest
//! tag arrived within version 2 (older readers refuse it as an unknown tag).
//! Uplift random forests ([`CateModel::from_uplift_forest`]) likewise, under
//! the `uplift-forest` tag: trees and leaf rates only (no training rows, no
//! out-of-bag estimates), so `predict` and `predict_se` give back exactly the
//! forest's uplift and little-bags standard errors.

use crate::learner::{FittedClf, FittedReg, SavedBase};
use crate::meta::{CateModel, Method};
use crate::meta::{Parts, Stages};
use crate::{Result, UpliftError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

/// The format name written in every model file.
pub const MODEL_FORMAT: &str = "tp-uplift-model";
/// The format version this build writes (and the highest it reads).
pub const MODEL_FORMAT_VERSION: u32 = 2;

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    format_version: u32,
}

#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: String,
    format_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    written_by: Option<String>,
    method: Method,
    features: Vec<String>,
    arms: Vec<String>,
    params: Value,
    seed: u64,
    model: SavedParts,
    replicates: Vec<SavedParts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checksum: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "stages", rename_all = "lowercase")]
enum SavedParts {
    S {
        model: SavedBase,
    },
    T {
        outcome: Vec<SavedBase>,
    },
    X {
        arms: Vec<SavedX>,
    },
    Effect {
        effect: Vec<SavedBase>,
    },
    Forest {
        forest: Box<crate::CausalForestModel>,
    },
    #[serde(rename = "uplift-forest")]
    UpliftForest {
        uplift_forest: Box<crate::UpliftForestModel>,
    },
}

#[derive(Serialize, Deserialize)]
struct SavedX {
    effect_treated: SavedBase,
    effect_control: SavedBase,
    propensity: SavedBase,
}

/// FNV-1a (64 bit) over a canonical walk of a JSON value: object keys in
/// sorted order, numbers as serde_json prints them (shortest round-trip
/// form), strings length-prefixed. The same value always gives the same
/// hash whatever order the keys were written in.
fn checksum(v: &Value) -> String {
    struct Fnv(u64);
    impl Fnv {
        fn write(&mut self, bytes: &[u8]) {
            for &b in bytes {
                self.0 ^= u64::from(b);
                self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
            }
        }
        fn walk(&mut self, v: &Value) {
            match v {
                Value::Null => self.write(b"n"),
                Value::Bool(b) => self.write(if *b { b"t" } else { b"f" }),
                Value::Number(n) => {
                    self.write(b"#");
                    self.write(n.to_string().as_bytes());
                    self.write(b";");
                }
                Value::String(s) => self.string(s),
                Value::Array(a) => {
                    self.write(b"[");
                    a.iter().for_each(|x| self.walk(x));
                    self.write(b"]");
                }
                Value::Object(m) => {
                    let mut keys: Vec<&String> = m.keys().collect();
                    keys.sort();
                    self.write(b"{");
                    for k in keys {
                        self.string(k);
                        self.walk(&m[k]);
                    }
                    self.write(b"}");
                }
            }
        }
        fn string(&mut self, s: &str) {
            self.write(b"\"");
            self.write(&(s.len() as u64).to_le_bytes());
            self.write(s.as_bytes());
        }
    }
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    h.walk(v);
    format!("fnv1a64:{:016x}", h.0)
}

fn save_parts(p: &Parts) -> Result<SavedParts> {
    Ok(match p {
        Parts::S(m) => SavedParts::S { model: m.save()? },
        Parts::T(mu) => SavedParts::T { outcome: mu.iter().map(FittedReg::save).collect::<Result<_>>()? },
        Parts::X(v) => SavedParts::X {
            arms: v
                .iter()
                .map(|(t1, t0, g)| {
                    Ok(SavedX {
                        effect_treated: t1.save()?,
                        effect_control: t0.save()?,
                        propensity: g.save()?,
                    })
                })
                .collect::<Result<_>>()?,
        },
        Parts::Effect(v) => {
            SavedParts::Effect { effect: v.iter().map(FittedReg::save).collect::<Result<_>>()? }
        }
        Parts::Forest(f) => SavedParts::Forest { forest: f.clone() },
        Parts::UpliftForest(f) => SavedParts::UpliftForest { uplift_forest: f.clone() },
    })
}

fn load_parts(s: SavedParts, method: Method, p: usize, k: usize) -> Result<Parts> {
    let count = |what: &str, got: usize, want: usize| -> Result<()> {
        if got == want {
            Ok(())
        } else {
            Err(UpliftError::CorruptModel { reason: format!("{got} {what} for {k} arms (expected {want})") })
        }
    };
    let parts = match (method, method.stages(), s) {
        (_, Some(Stages::Augmented), SavedParts::S { model }) => Parts::S(FittedReg::load(model, p + k - 1)?),
        (_, Some(Stages::PerArm), SavedParts::T { outcome }) => {
            count("outcome models", outcome.len(), k)?;
            Parts::T(outcome.into_iter().map(|m| FittedReg::load(m, p)).collect::<Result<_>>()?)
        }
        (_, Some(Stages::Blend), SavedParts::X { arms }) => {
            count("X-learner stages", arms.len(), k - 1)?;
            Parts::X(
                arms.into_iter()
                    .map(|a| {
                        Ok((
                            FittedReg::load(a.effect_treated, p)?,
                            FittedReg::load(a.effect_control, p)?,
                            FittedClf::load(a.propensity, p)?,
                        ))
                    })
                    .collect::<Result<_>>()?,
            )
        }
        (_, Some(Stages::Effect), SavedParts::Effect { effect }) => {
            count("effect models", effect.len(), k - 1)?;
            Parts::Effect(effect.into_iter().map(|m| FittedReg::load(m, p)).collect::<Result<_>>()?)
        }
        (Method::CausalForest, _, SavedParts::Forest { forest }) => {
            if forest.n_features() != p {
                return Err(UpliftError::CorruptModel {
                    reason: format!(
                        "the forest splits on {} features, the header lists {p}",
                        forest.n_features()
                    ),
                });
            }
            count("forest effects", forest.n_treated(), k - 1)?;
            forest.validate()?;
            Parts::Forest(forest)
        }
        (Method::UpliftForest, _, SavedParts::UpliftForest { uplift_forest: forest }) => {
            if forest.n_features() != p || forest.n_arms() != k {
                return Err(UpliftError::CorruptModel {
                    reason: format!(
                        "the uplift forest has {} features and {} arms, the header lists {p} and {k}",
                        forest.n_features(),
                        forest.n_arms()
                    ),
                });
            }
            forest.validate()?;
            Parts::UpliftForest(forest)
        }
        (m, _, _) => {
            return Err(UpliftError::CorruptModel {
                reason: format!("stages do not match the method {m:?}"),
            });
        }
    };
    Ok(parts)
}

impl CateModel {
    /// The model as a JSON document (see the module docs).
    pub fn to_json(&self) -> Result<String> {
        let file = ModelFile {
            format: MODEL_FORMAT.into(),
            format_version: MODEL_FORMAT_VERSION,
            written_by: Some(format!("tp-uplift {}", env!("CARGO_PKG_VERSION"))),
            method: self.method,
            features: self.feature_names.clone(),
            arms: self.arm_labels.clone(),
            params: self.params.clone(),
            seed: self.seed,
            model: save_parts(&self.parts)?,
            replicates: self.replicates.iter().map(save_parts).collect::<Result<_>>()?,
            checksum: None,
        };
        let unexpected = |e: serde_json::Error| UpliftError::CorruptModel { reason: e.to_string() };
        let mut value = serde_json::to_value(&file).map_err(unexpected)?;
        let sum = checksum(&value);
        if let Value::Object(m) = &mut value {
            m.insert("checksum".into(), Value::String(sum));
        }
        serde_json::to_string_pretty(&value).map_err(unexpected)
    }

    /// Reads a model from a JSON document written by [`Self::to_json`].
    pub fn from_json(text: &str) -> Result<CateModel> {
        let corrupt = |e: serde_json::Error| UpliftError::CorruptModel { reason: e.to_string() };
        let header: Header = serde_json::from_str(text).map_err(corrupt)?;
        if header.format != MODEL_FORMAT {
            return Err(UpliftError::CorruptModel {
                reason: format!("format is '{}', expected '{MODEL_FORMAT}'", header.format),
            });
        }
        if header.format_version > MODEL_FORMAT_VERSION {
            return Err(UpliftError::UnsupportedVersion {
                found: header.format_version,
                supported: MODEL_FORMAT_VERSION,
            });
        }
        let mut value: Value = serde_json::from_str(text).map_err(corrupt)?;
        let stored = match &mut value {
            Value::Object(m) => m.remove("checksum"),
            _ => None,
        };
        match stored {
            Some(Value::String(sum)) => {
                let actual = checksum(&value);
                if sum != actual {
                    return Err(UpliftError::CorruptModel {
                        reason: format!(
                            "checksum mismatch (file says {sum}, content gives {actual}): the file was \
                             changed or damaged after it was written; save the model again"
                        ),
                    });
                }
            }
            Some(other) => {
                return Err(UpliftError::CorruptModel {
                    reason: format!("checksum is not a string: {other}"),
                });
            }
            None if header.format_version >= 2 => {
                return Err(UpliftError::CorruptModel {
                    reason: format!("format version {} needs a checksum", header.format_version),
                });
            }
            None => {}
        }
        let f: ModelFile = serde_json::from_value(value).map_err(corrupt)?;
        let (p, k) = (f.features.len(), f.arms.len());
        if p == 0 || k < 2 {
            return Err(UpliftError::CorruptModel {
                reason: format!("{p} features and {k} arms (need at least 1 feature and 2 arms)"),
            });
        }
        let parts = load_parts(f.model, f.method, p, k)?;
        let replicates =
            f.replicates.into_iter().map(|r| load_parts(r, f.method, p, k)).collect::<Result<Vec<_>>>()?;
        Ok(CateModel {
            method: f.method,
            feature_names: f.features,
            arm_labels: f.arms,
            params: f.params,
            seed: f.seed,
            parts,
            replicates,
        })
    }

    /// Writes the model to `path` (through a temporary file and a rename,
    /// so a failed write leaves no partial file).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let text = self.to_json()?;
        let io = |source| UpliftError::Io { path: path.display().to_string(), source };
        let tmp = path.with_extension("tmp-tp-model");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Reads a model saved by [`Self::save`].
    pub fn load(path: impl AsRef<Path>) -> Result<CateModel> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| UpliftError::Io { path: path.display().to_string(), source })?;
        CateModel::from_json(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learner::LinearCoef;
    use serde_json::json;

    #[test]
    fn checksum_ignores_key_order_and_sees_every_digit() {
        let a = json!({"a": 1, "b": [1.5, "x", {"c": null, "d": true}]});
        let b: Value = serde_json::from_str(r#"{"b": [1.5, "x", {"d": true, "c": null}], "a": 1}"#).unwrap();
        assert_eq!(checksum(&a), checksum(&b));
        assert_ne!(checksum(&a), checksum(&json!({"a": 1, "b": [1.25, "x", {"c": null, "d": true}]})));
        assert_ne!(checksum(&json!(["ab", "c"])), checksum(&json!(["a", "bc"])));
        assert!(checksum(&a).starts_with("fnv1a64:"));
    }

    fn linear_t_model() -> CateModel {
        let reg = |b: f64| FittedReg::Linear(LinearCoef { coef: vec![b, -b], intercept: 0.5 });
        CateModel {
            method: Method::T,
            feature_names: vec!["u".into(), "v".into()],
            arm_labels: vec!["c".into(), "t".into()],
            params: json!({"method": "t"}),
            seed: 3,
            parts: Parts::T(vec![reg(1.0), reg(2.0)]),
            replicates: Vec::new(),
        }
    }

    /// Re-seals an edited file so only the structural checks can catch it.
    fn reseal(mut v: Value) -> String {
        v.as_object_mut().unwrap().remove("checksum");
        let sum = checksum(&v);
        v["checksum"] = Value::String(sum);
        v.to_string()
    }

    #[test]
    fn stages_that_do_not_fit_the_header_are_corrupt_even_with_a_valid_checksum() {
        let m = linear_t_model();
        let v: Value = serde_json::from_str(&m.to_json().unwrap()).unwrap();
        assert!(CateModel::from_json(&reseal(v.clone())).is_ok());
        let mut wider = v.clone();
        wider["features"] = json!(["u", "v", "w"]);
        let err = CateModel::from_json(&reseal(wider)).unwrap_err();
        assert!(err.to_string().contains("on 3 inputs, found a linear model on 2 inputs"), "{err}");
        let mut one_arm_model = v.clone();
        one_arm_model["model"]["outcome"].as_array_mut().unwrap().pop();
        let err = CateModel::from_json(&reseal(one_arm_model)).unwrap_err();
        assert!(err.to_string().contains("1 outcome models for 2 arms"), "{err}");
        let mut other_method = v;
        other_method["method"] = json!("x");
        let err = CateModel::from_json(&reseal(other_method)).unwrap_err();
        assert!(err.to_string().contains("do not match the method X"), "{err}");
    }

    #[test]
    fn forest_stages_that_do_not_fit_the_header_are_corrupt_even_with_a_valid_checksum() {
        use tp_core::CausalData;
        use tp_core::faer::Mat;
        let n = 200;
        let x = Mat::from_fn(n, 2, |i, j| ((i * 7 + j * 13) % 17) as f64);
        let arms: Vec<usize> = (0..n).map(|i| i % 2).collect();
        let y: Vec<f64> = (0..n).map(|i| x[(i, 0)] * arms[i] as f64 + (i % 5) as f64).collect();
        let data = CausalData::builder(x, vec!["u".into(), "v".into()], arms, y).build().unwrap();
        let forest = crate::CausalForest::params().n_trees(8).seed(1).fit(&data).unwrap();
        let m = CateModel::from_causal_forest(
            forest,
            vec!["u".into(), "v".into()],
            vec!["c".into(), "t".into()],
            json!({}),
            1,
        )
        .unwrap();
        let v: Value = serde_json::from_str(&m.to_json().unwrap()).unwrap();
        // 8 trees leave some rows with no out-of-bag tree (NaN, written as null): still loads
        assert!(v["model"]["forest"]["oob_tau"].as_array().unwrap().iter().any(Value::is_null));
        let back = CateModel::from_json(&reseal(v.clone())).unwrap();
        assert_eq!(back.predict(data.covariates()).unwrap(), m.predict(data.covariates()).unwrap());
        let mut more_arms = v.clone();
        more_arms["arms"].as_array_mut().unwrap().push("t2".into());
        let err = CateModel::from_json(&reseal(more_arms)).unwrap_err().to_string();
        assert!(err.contains("forest effects"), "{err}");
        let mut fewer_features = v.clone();
        fewer_features["features"].as_array_mut().unwrap().pop();
        let err = CateModel::from_json(&reseal(fewer_features)).unwrap_err().to_string();
        assert!(err.contains("splits on 2 features"), "{err}");
        let mut meta_method = v;
        meta_method["method"] = json!("t");
        assert!(matches!(CateModel::from_json(&reseal(meta_method)), Err(UpliftError::CorruptModel { .. })));
    }

    #[test]
    fn uplift_forests_round_trip_bit_for_bit_and_refuse_damaged_stages() {
        use tp_core::CausalData;
        use tp_core::faer::Mat;
        // three arms; arm 1 lifts the rate where u > 8, arm 2 where v > 8
        let n = 3000;
        let x = Mat::from_fn(n, 2, |i, j| ((i * (7 + 6 * j) + j * 13) % 17) as f64);
        let arms: Vec<usize> = (0..n).map(|i| (i / 5) % 3).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| {
                let lift = (arms[i] == 1 && x[(i, 0)] > 8.0) || (arms[i] == 2 && x[(i, 1)] > 8.0);
                f64::from(((i * 7919) % 1000) as f64 / 1000.0 < if lift { 0.5 } else { 0.2 })
            })
            .collect();
        let data = CausalData::builder(x, vec!["u".into(), "v".into()], arms, y).build().unwrap();
        let forest = crate::UpliftForest::params().n_trees(10).max_depth(3).seed(2).fit(&data).unwrap();
        let x = data.covariates();
        let (tau, se) = (forest.predict(x).unwrap(), forest.predict_interval(x, 0.9).unwrap().se);
        let names = vec!["u".to_string(), "v".to_string()];
        let labels = vec!["c".to_string(), "a".to_string(), "b".to_string()];
        let m = CateModel::from_uplift_forest(forest.clone(), names.clone(), labels.clone(), json!({}), 2)
            .unwrap();
        assert_eq!(m.method(), Method::UpliftForest);
        let text = m.to_json().unwrap();
        let back = CateModel::from_json(&text).unwrap();
        assert_eq!(back.predict(x).unwrap(), tau);
        assert_eq!(back.predict_se(x).unwrap().unwrap(), se);
        assert_eq!(back.to_json().unwrap(), text, "saving again gives the same file");
        // trees and leaf rates only: nothing per training row
        let v: Value = serde_json::from_str(&text).unwrap();
        let saved = &v["model"]["uplift_forest"];
        assert!(saved.get("oob").is_none() && saved["forest"]["leaves"].as_array().unwrap().len() < n);
        // without little bags there are no standard errors
        let boot = crate::UpliftForest::params().n_trees(4).ci_group_size(1).seed(2).fit(&data).unwrap();
        let mb = CateModel::from_uplift_forest(boot, names.clone(), labels.clone(), json!({}), 2).unwrap();
        assert!(CateModel::from_json(&mb.to_json().unwrap()).unwrap().predict_se(x).unwrap().is_none());
        // wrong names at wrapping time
        assert!(CateModel::from_uplift_forest(forest, names, labels[..2].to_vec(), json!({}), 2).is_err());
        // damaged stages under a valid checksum are corrupt, never a panic
        let damage = |f: &dyn Fn(&mut Value)| {
            let mut w = v.clone();
            f(&mut w);
            let err = CateModel::from_json(&reseal(w)).unwrap_err();
            assert!(matches!(err, UpliftError::CorruptModel { .. }), "{err}");
            err.to_string()
        };
        assert!(damage(&|w| w["arms"].as_array_mut().unwrap().truncate(2)).contains("3 arms"));
        assert!(damage(&|w| w["features"].as_array_mut().unwrap().truncate(1)).contains("2 features"));
        damage(&|w| w["model"]["uplift_forest"]["forest"]["child"][0] = json!(0));
        damage(&|w| w["model"]["uplift_forest"]["group_size"] = json!(3));
        damage(&|w| w["model"]["uplift_forest"]["importance"].as_array_mut().unwrap().truncate(1));
        damage(&|w| w["method"] = json!("causal-forest"));
    }
}
