//! Train once, score many: saving a fitted [`CateModel`] to a versioned,
//! self-describing JSON file and loading it back.
//!
//! The file records the format name and version, the method, the feature
//! names in the order `predict` expects them, the arm labels, the fit
//! parameters and seed, and every fitted stage (bootstrap replicates
//! included). Floats are written with enough digits to round-trip exactly,
//! so a loaded model predicts bit-for-bit what the saved one did.
//!
//! Loading refuses a newer format version, a file that is not a tp uplift
//! model or whose stages do not fit its own header (a corrupt file), and —
//! at scoring time — data whose feature names differ from the model's
//! ([`CateModel::predict_named`]). Only linear and logistic base models can
//! be saved today; tp-learn's tree models are opaque trait objects without
//! a serialized form, and saving a model that holds one is a
//! [`UpliftError::NotSerializable`] error.

use crate::learner::{FittedClf, FittedReg, SavedBase};
use crate::meta::Parts;
use crate::meta::{CateModel, Method};
use crate::{Result, UpliftError};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The format name written in every model file.
pub const MODEL_FORMAT: &str = "tp-uplift-model";
/// The highest format version this build writes and reads.
pub const MODEL_FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    format_version: u32,
}

#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: String,
    format_version: u32,
    method: Method,
    features: Vec<String>,
    arms: Vec<String>,
    params: serde_json::Value,
    seed: u64,
    model: SavedParts,
    replicates: Vec<SavedParts>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "stages", rename_all = "lowercase")]
enum SavedParts {
    S { model: SavedBase },
    T { outcome: Vec<SavedBase> },
    X { arms: Vec<SavedX> },
    Effect { effect: Vec<SavedBase> },
}

#[derive(Serialize, Deserialize)]
struct SavedX {
    effect_treated: SavedBase,
    effect_control: SavedBase,
    propensity: SavedBase,
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
    let parts = match (method, s) {
        (Method::S, SavedParts::S { model }) => Parts::S(FittedReg::load(model, p + k - 1)?),
        (Method::T, SavedParts::T { outcome }) => {
            count("outcome models", outcome.len(), k)?;
            Parts::T(outcome.into_iter().map(|m| FittedReg::load(m, p)).collect::<Result<_>>()?)
        }
        (Method::X, SavedParts::X { arms }) => {
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
        (Method::R | Method::Dr, SavedParts::Effect { effect }) => {
            count("effect models", effect.len(), k - 1)?;
            Parts::Effect(effect.into_iter().map(|m| FittedReg::load(m, p)).collect::<Result<_>>()?)
        }
        (m, _) => {
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
            method: self.method,
            features: self.feature_names.clone(),
            arms: self.arm_labels.clone(),
            params: self.params.clone(),
            seed: self.seed,
            model: save_parts(&self.parts)?,
            replicates: self.replicates.iter().map(save_parts).collect::<Result<_>>()?,
        };
        serde_json::to_string_pretty(&file).map_err(|e| UpliftError::CorruptModel { reason: e.to_string() })
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
        let f: ModelFile = serde_json::from_str(text).map_err(corrupt)?;
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
