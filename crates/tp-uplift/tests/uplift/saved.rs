//! Saved forests validate when deserialized: a damaged causal or uplift
//! forest is an error naming what is wrong, and no mutation of its numbers
//! yields a model whose prediction panics.

use super::sim::world;
use rand::Rng;
use serde_json::Value;
use tp_core::CausalData;
use tp_core::faer::Mat;
use tp_core::rng::stream;
use tp_uplift::{CausalForest, CausalForestModel, UpliftForest, UpliftForestModel};

fn causal_json() -> (Value, Mat<f64>) {
    let w = world(300, 3, 2, 0.3, 1.0, 5, |_, x| x[0]);
    let m = CausalForest::params().n_trees(8).seed(1).fit(&w.data).unwrap();
    let x = Mat::from_fn(20, 3, |i, j| if (i + j) % 7 == 0 { f64::NAN } else { (i as f64 - 10.0) / 5.0 });
    (serde_json::to_value(&m).unwrap(), x)
}

fn uplift_json() -> (Value, Mat<f64>) {
    let mut rng = stream(3, 0);
    let n = 600;
    let x = Mat::from_fn(n, 3, |_, _| rng.random::<f64>() * 2.0 - 1.0);
    let arms: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let y: Vec<f64> =
        (0..n).map(|i| f64::from(rng.random::<f64>() < 0.3 + 0.1 * arms[i] as f64 * x[(i, 0)])).collect();
    let names = (0..3).map(|j| format!("x{j}")).collect();
    let data = CausalData::builder(x, names, arms, y).build().unwrap();
    let m = UpliftForest::params().n_trees(6).ci_group_size(2).seed(2).fit(&data).unwrap();
    let probe =
        Mat::from_fn(20, 3, |i, j| if (i + j) % 5 == 0 { f64::NAN } else { (i as f64 - 10.0) / 10.0 });
    (serde_json::to_value(&m).unwrap(), probe)
}

/// Damage done to a model's JSON (given the first split node's index).
type Damage = fn(&mut Value, usize);

fn causal_err(v: &Value) -> String {
    serde_json::from_value::<CausalForestModel>(v.clone()).unwrap_err().to_string()
}

fn uplift_err(v: &Value) -> String {
    serde_json::from_value::<UpliftForestModel>(v.clone()).unwrap_err().to_string()
}

/// The first split node's index in the forest's node vectors.
fn first_split(v: &Value) -> usize {
    v["forest"]["feature"]
        .as_array()
        .unwrap()
        .iter()
        .position(|f| f.as_u64() != Some(u64::from(u32::MAX)))
        .unwrap()
}

#[test]
fn a_damaged_causal_forest_is_an_error_naming_the_part() {
    let (good, x) = causal_json();
    let back: CausalForestModel = serde_json::from_value(good.clone()).unwrap();
    back.predict(x.as_ref()).unwrap();
    let k = first_split(&good);
    let cases: [(&str, Damage, &str); 8] = [
        (
            "right child past the tree",
            |v, k| v["forest"]["child"][k] = 1_000_000.into(),
            "node 0 is inconsistent",
        ),
        ("split on a missing feature", |v, k| v["forest"]["feature"][k] = 7.into(), "node 0 is inconsistent"),
        ("leaf offsets", |v, _| v["forest"]["leaf_start"][1] = 1_000_000_000.into(), "bad offsets"),
        ("arm count", |v, _| v["d"] = 2.into(), "treated arms"),
        ("training rows", |v, _| v["n"] = 5.into(), "inconsistent lengths"),
        ("groups", |v, _| v["group_size"] = 3.into(), "whole groups of 3"),
        ("importance", |v, _| v["importance"].as_array_mut().unwrap().truncate(1), "importance values"),
        (
            "cut points",
            |v, _| v["forest"]["cuts"][0] = serde_json::json!([2.0, 1.0]),
            "not finite and strictly increasing",
        ),
    ];
    for (what, damage, says) in cases {
        let mut v = good.clone();
        damage(&mut v, k);
        let err = causal_err(&v);
        assert!(err.contains("causal forest") || err.contains("forest trees"), "{what}: {err}");
        assert!(err.contains(says), "{what}: {err}");
    }
}

#[test]
fn a_damaged_uplift_forest_is_an_error_naming_the_part() {
    let (good, x) = uplift_json();
    let back: UpliftForestModel = serde_json::from_value(good.clone()).unwrap();
    back.predict(x.as_ref()).unwrap();
    back.predict_interval(x.as_ref(), 0.9).unwrap();
    let k = first_split(&good);
    let cases: [(&str, Damage, &str); 5] = [
        ("right child before the node", |v, k| v["forest"]["child"][k] = 0.into(), "inconsistent"),
        ("arm count", |v, _| v["n_arms"] = 2.into(), "2 arms (2..="),
        ("groups", |v, _| v["group_size"] = 4.into(), "whole groups of 4"),
        (
            "node vectors",
            |v, _| v["forest"]["bin"].as_array_mut().unwrap().pop().map(drop).unwrap(),
            "differ in length",
        ),
        ("no trees", |v, _| v["forest"]["node_start"] = serde_json::json!([0]), "at least one tree"),
    ];
    for (what, damage, says) in cases {
        let mut v = good.clone();
        damage(&mut v, k);
        let err = uplift_err(&v);
        assert!(err.contains("uplift forest") || err.contains("forest trees"), "{what}: {err}");
        assert!(err.contains(says), "{what}: {err}");
    }
}

/// Every integer in the forest's index vectors, replaced by a random value
/// near the valid range: the model either fails to load or predicts.
fn mutate_indices(good: &Value, seed: u64, mut loads: impl FnMut(Value) -> bool) -> usize {
    let mut rng = stream(seed, 0);
    let mut loaded = 0;
    for field in ["node_start", "leaf_start", "feature", "bin", "child", "width"] {
        let len = good["forest"][field].as_array().map_or(1, Vec::len);
        for _ in 0..40 {
            let mut v = good.clone();
            let at = rng.random_range(0..len);
            let old = good["forest"][field].get(at).unwrap_or(&good["forest"][field]).as_u64().unwrap();
            let new = match rng.random_range(0..4) {
                0 => old + 1,
                1 => old.saturating_sub(1),
                2 => rng.random_range(0..300),
                _ => u64::from(u32::MAX) - rng.random_range(0..2),
            };
            let slot = if field == "width" { &mut v["forest"][field] } else { &mut v["forest"][field][at] };
            *slot = if field == "bin" { (new % 256).into() } else { new.into() };
            loaded += usize::from(loads(v));
        }
    }
    loaded
}

#[test]
fn no_mutation_of_a_saved_forest_makes_prediction_panic() {
    let (good, x) = causal_json();
    let loaded = mutate_indices(&good, 11, |v| match serde_json::from_value::<CausalForestModel>(v) {
        Ok(m) => {
            m.predict(x.as_ref()).unwrap();
            true
        }
        Err(_) => false,
    });
    // some mutations are harmless (a bin threshold, an equal index): those load
    assert!(loaded > 0 && loaded < 240, "{loaded} of 240 causal mutations loaded");
    let (good, x) = uplift_json();
    let loaded = mutate_indices(&good, 12, |v| match serde_json::from_value::<UpliftForestModel>(v) {
        Ok(m) => {
            m.predict(x.as_ref()).unwrap();
            m.predict_interval(x.as_ref(), 0.9).unwrap();
            m.predict_rates(x.as_ref()).unwrap();
            true
        }
        Err(_) => false,
    });
    assert!(loaded > 0 && loaded < 240, "{loaded} of 240 uplift mutations loaded");
}
