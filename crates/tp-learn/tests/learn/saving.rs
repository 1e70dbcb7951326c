//! Serialization: every fitted model survives a JSON round trip with
//! bit-identical predictions, and malformed files are rejected.

use tp_core::faer::Mat;
use tp_learn::tree::{BinMapper, Tree, TreeParams, VarianceCriterion, grow_tree};
use tp_learn::{
    BoostingModel, Classifier, FittedClassifier, FittedRegressor, ForestModel, GradientBoosting, LinearModel,
    LinearRegression, LogisticModel, LogisticRegression, RandomForestClassifier, RandomForestRegressor,
    Regressor, SavedClassifier, SavedRegressor,
};

fn data(n: usize) -> (Mat<f64>, Vec<f64>, Vec<f64>) {
    use rand::Rng;
    let mut rng = tp_core::rng::stream(31, 0);
    let mut x = Mat::from_fn(n, 4, |_, _| rng.random::<f64>() * 3.0 - 1.0);
    // NaN in one column (routed by trees) and a huge value (a threshold may be +inf)
    for i in (0..n).step_by(11) {
        x[(i, 2)] = f64::NAN;
    }
    let y: Vec<f64> = (0..n)
        .map(|i| {
            let x2 = if x[(i, 2)].is_nan() { 0.5 } else { x[(i, 2)] };
            x[(i, 0)] * x[(i, 1)] + x2 - 0.3 * x[(i, 3)] + rng.random::<f64>() * 0.1
        })
        .collect();
    let yb = y.iter().map(|&v| f64::from(u8::from(v > 0.2))).collect();
    (x, y, yb)
}

fn clean(x: &Mat<f64>) -> Mat<f64> {
    Mat::from_fn(x.nrows(), x.ncols(), |i, j| if x[(i, j)].is_nan() { 0.25 } else { x[(i, j)] })
}

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(m: &T) -> T {
    let text = serde_json::to_string(m).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("read back: {e}\n{}", &text[..text.len().min(400)]))
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|a| a.to_bits()).collect()
}

#[test]
fn every_fitted_model_round_trips_with_identical_predictions() {
    let (x, y, yb) = data(1500);
    let xc = clean(&x);
    // linear and logistic (no NaN)
    let lin = LinearRegression::params().alpha(0.3).standardize(true).fit(xc.as_ref(), &y, None).unwrap();
    let lin2: LinearModel = round_trip(&lin);
    assert_eq!(lin, lin2);
    assert_eq!(bits(&lin.predict(xc.as_ref()).unwrap()), bits(&lin2.predict(xc.as_ref()).unwrap()));
    let logit = LogisticRegression::params().l2(0.7).fit(xc.as_ref(), &yb, None).unwrap();
    let logit2: LogisticModel = round_trip(&logit);
    assert_eq!(logit, logit2);
    assert_eq!(
        bits(&logit.predict_proba(xc.as_ref()).unwrap()),
        bits(&logit2.predict_proba(xc.as_ref()).unwrap())
    );
    // forests, with and without honesty
    for honest in [false, true] {
        let rf = RandomForestRegressor::params()
            .n_trees(12)
            .honest(honest)
            .seed(3)
            .fit(x.as_ref(), &y, None)
            .unwrap();
        let rf2: ForestModel = round_trip(&rf);
        assert_eq!(rf.trees(), rf2.trees());
        assert_eq!(rf.mapper(), rf2.mapper());
        assert_eq!(bits(&rf.predict(x.as_ref()).unwrap()), bits(&rf2.predict(x.as_ref()).unwrap()));
        // training diagnostics stay with the fitted object
        assert!(rf2.oob_predictions().is_empty() && rf2.in_bag(0, 0).is_none());
        assert!(rf.in_bag(0, 0).is_some());
    }
    let rc = RandomForestClassifier::params().n_trees(12).seed(4).fit(x.as_ref(), &yb, None).unwrap();
    let rc2: ForestModel = round_trip(&rc);
    assert_eq!(bits(&rc.predict(x.as_ref()).unwrap()), bits(&rc2.predict(x.as_ref()).unwrap()));
    // boosting, both losses, with early stopping
    let gb = GradientBoosting::regressor().n_rounds(30).fit(x.as_ref(), &y, None).unwrap();
    let gb2: BoostingModel = round_trip(&gb);
    assert_eq!(gb.trees(), gb2.trees());
    assert_eq!(bits(&gb.predict(x.as_ref()).unwrap()), bits(&gb2.predict(x.as_ref()).unwrap()));
    let gc = GradientBoosting::classifier()
        .n_rounds(40)
        .early_stopping(Some(5))
        .fit(x.as_ref(), &yb, None)
        .unwrap();
    let gc2: BoostingModel = round_trip(&gc);
    assert_eq!(gc.validation_loss(), gc2.validation_loss());
    assert_eq!(bits(&gc.predict(x.as_ref()).unwrap()), bits(&gc2.predict(x.as_ref()).unwrap()));
}

#[test]
fn boxed_models_give_saved_forms_that_predict_the_same() {
    let (x, y, yb) = data(800);
    let xc = clean(&x);
    let regressors: Vec<(Box<dyn Regressor>, &Mat<f64>)> = vec![
        (Box::new(LinearRegression::params()), &xc),
        (Box::new(RandomForestRegressor::params().n_trees(5)), &x),
        (Box::new(GradientBoosting::regressor().n_rounds(10)), &x),
    ];
    let mut tags = Vec::new();
    for (learner, x) in regressors {
        let fitted = learner.fit(x.as_ref(), &y, None).unwrap();
        let saved = fitted.to_saved().expect("tp-learn models are savable");
        let text = serde_json::to_string(&saved).unwrap();
        tags.push(text[..text.find(':').unwrap()].to_string());
        let back: SavedRegressor = serde_json::from_str(&text).unwrap();
        assert_eq!(bits(&fitted.predict(x.as_ref()).unwrap()), bits(&back.predict(x.as_ref()).unwrap()));
        assert_eq!(back.n_features(), 4);
    }
    assert_eq!(tags, ["{\"linear\"", "{\"forest\"", "{\"boosting\""]);
    let classifiers: Vec<(Box<dyn Classifier>, &Mat<f64>)> = vec![
        (Box::new(LogisticRegression::params()), &xc),
        (Box::new(RandomForestClassifier::params().n_trees(5)), &x),
        (Box::new(GradientBoosting::classifier().n_rounds(10)), &x),
    ];
    for (learner, x) in classifiers {
        let fitted = learner.fit(x.as_ref(), &yb, None).unwrap();
        let text = serde_json::to_string(&fitted.to_saved().unwrap()).unwrap();
        let back: SavedClassifier = serde_json::from_str(&text).unwrap();
        assert_eq!(
            bits(&fitted.predict_proba(x.as_ref()).unwrap()),
            bits(&back.predict_proba(x.as_ref()).unwrap())
        );
    }
}

#[test]
fn trees_are_flat_vectors_and_bad_trees_are_rejected() {
    let (x, y, _) = data(400);
    let w = vec![1.0; 400];
    let mapper = BinMapper::fit(x.as_ref(), 16, &mut tp_core::rng::stream(0, 0));
    let binned = mapper.transform(x.as_ref());
    let crit = VarianceCriterion::new(&y, &w);
    let params = TreeParams { max_depth: 3, ..TreeParams::default() };
    let tree =
        grow_tree(&binned, &mapper, &crit, (0..400).collect(), &params, &mut tp_core::rng::stream(0, 1)).tree;
    let v = serde_json::to_value(&tree).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 7, "{keys:?}");
    for key in ["feature", "bin", "threshold", "nan_left", "left", "right", "leaves"] {
        assert!(v[key].is_array(), "{key}");
    }
    assert_eq!(v["feature"].as_array().unwrap().len(), tree.nodes().len());
    assert_eq!(serde_json::from_value::<Tree<f64>>(v.clone()).unwrap(), tree);
    // a unit-leaf tree (as tp-uplift keeps) round-trips too
    let unit = tree.map_leaves(|_| ());
    assert_eq!(round_trip(&unit), unit);
    // a child pointing back to its parent would loop forever: rejected
    let mut bad = v.clone();
    bad["left"][0] = 0.into();
    let err = serde_json::from_value::<Tree<f64>>(bad).unwrap_err().to_string();
    assert!(err.contains("node 0") && err.contains("child"), "{err}");
    let mut bad = v.clone();
    bad["bin"].as_array_mut().unwrap().pop();
    assert!(serde_json::from_value::<Tree<f64>>(bad).unwrap_err().to_string().contains("length"));
    // unsorted cut points
    let err = serde_json::from_str::<BinMapper>(r#"{"cuts": [[1.0, 0.5]]}"#).unwrap_err().to_string();
    assert!(err.contains("increasing"), "{err}");
    // a forest whose tree splits on a feature the mapper does not have
    let rf = RandomForestRegressor::params().n_trees(2).fit(x.as_ref(), &y, None).unwrap();
    let mut v = serde_json::to_value(&rf).unwrap();
    v["mapper"]["cuts"].as_array_mut().unwrap().truncate(1);
    v["n_features"] = 1.into();
    assert!(serde_json::from_value::<ForestModel>(v).unwrap_err().to_string().contains("feature"));
}
