//! Table → causal data: arms with the control first, default covariates that leave out what
//! describes the assignment or the outcome, one-hot string covariates, known propensities, and
//! errors that name the file, the column and the row.

use tp_core::{Column, Table};
use tp_io::causal::{Arms, CausalTableError, Roles, causal_data, default_covariates};

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Six rows, two arms: `arm` labels, its integer copy `treatment`, an outcome, a numeric and a
/// string covariate, the logged propensity of the arm received and per-arm `p_` columns.
fn campaign() -> Table {
    Table::new(vec![
        Column::i64("customer_id", vec![10, 11, 12, 13, 14, 15]),
        Column::str("arm", strings(&["coupon", "control", "coupon", "control", "coupon", "control"])),
        Column::i64("treatment", vec![1, 0, 1, 0, 1, 0]),
        Column::f64("outcome", vec![3.0, 1.0, 4.0, 1.5, 5.0, 2.0]),
        Column::f64("pre_spend", vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0]),
        Column::str("region", strings(&["east", "west", "north", "east", "west", "north"])),
        Column::f64("propensity", vec![0.4, 0.6, 0.4, 0.6, 0.4, 0.6]),
        Column::f64("p_control", vec![0.6; 6]),
        Column::f64("p_coupon", vec![0.4; 6]),
    ])
    .unwrap()
}

fn roles<'a>() -> Roles<'a> {
    Roles { treatment: "arm", outcome: "outcome", exclude: vec!["customer_id"], ..Roles::default() }
}

#[test]
fn control_goes_first_and_labels_map_to_indices() {
    let t = Table::new(vec![Column::str("arm", strings(&["coupon", "control", "bonus"]))]).unwrap();
    let a = Arms::from_column(&t, "arm", None, "log.csv").unwrap();
    assert_eq!(a.labels(), ["control", "bonus", "coupon"]);
    assert_eq!(a.indices(&t, "arm", "log.csv").unwrap(), vec![2, 0, 1]);
    assert_eq!(Arms::from_column(&t, "arm", Some("bonus"), "log.csv").unwrap().labels()[0], "bonus");
    let ints = Table::new(vec![Column::i64("w", vec![1, 0, 2])]).unwrap();
    assert_eq!(Arms::from_column(&ints, "w", None, "f").unwrap().labels(), ["0", "1", "2"]);
}

#[test]
fn arm_errors_name_the_file_the_column_and_the_row() {
    let t = Table::new(vec![Column::str("arm", strings(&["coupon", "control", "bonus"]))]).unwrap();
    let e = Arms::from_column(&t, "arm", Some("nope"), "log.csv").unwrap_err();
    assert!(matches!(e, CausalTableError::UnknownControl { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "log.csv: control arm 'nope' does not occur in column 'arm' (arms: bonus, control, coupon)"
    );
    let single = Table::new(vec![Column::i64("w", vec![0, 0])]).unwrap();
    let e = Arms::from_column(&single, "w", None, "f.csv").unwrap_err().to_string();
    assert_eq!(e, "f.csv: column 'w' holds a single arm '0': a contrast needs at least two");
    let negative = Table::new(vec![Column::i64("w", vec![0, 1, -2])]).unwrap();
    let e = Arms::from_column(&negative, "w", None, "f.csv").unwrap_err().to_string();
    assert!(e.starts_with("f.csv: column 'w' row 2 holds arm -2"), "{e}");
    let floats = Table::new(vec![Column::f64("w", vec![0.0, 1.0])]).unwrap();
    assert!(matches!(
        Arms::from_column(&floats, "w", None, "f").unwrap_err(),
        CausalTableError::FloatArms { .. }
    ));
    // a label another table's column holds that the arms do not know: its row
    let arms = Arms::from_column(&t, "arm", None, "log.csv").unwrap();
    let other = Table::new(vec![Column::str("arm", strings(&["bonus", "gift"]))]).unwrap();
    let e = arms.indices(&other, "arm", "policy.csv").unwrap_err().to_string();
    assert_eq!(
        e,
        "policy.csv: column 'arm' row 1 holds arm 'gift', which is not one of control, bonus, coupon"
    );
    let e = Arms::from_column(&t, "group", None, "log.csv").unwrap_err().to_string();
    assert!(e.starts_with("log.csv: ") && e.contains("'group'"), "{e}");
}

#[test]
fn default_covariates_leave_out_the_assignment_and_the_outcome() {
    let t = campaign();
    let r = roles();
    let arms = Arms::from_column(&t, "arm", None, "c.csv").unwrap();
    let idx = arms.indices(&t, "arm", "c.csv").unwrap();
    // not the id (excluded), the outcome, the integer copy of the arm, nor any propensity;
    // the string covariate is not numeric, so not a default
    assert_eq!(default_covariates(&t, &r, &arms, &idx), ["pre_spend"]);
    let (data, arms) = causal_data(&t, &r, "c.csv").unwrap();
    assert_eq!(arms.labels(), ["control", "coupon"]);
    assert_eq!(data.arms(), [1, 0, 1, 0, 1, 0]);
    assert_eq!(data.outcome(), [3.0, 1.0, 4.0, 1.5, 5.0, 2.0]);
    assert_eq!(data.covariates().ncols(), 1);
    assert!(data.propensity().is_none());
}

#[test]
fn string_covariates_are_one_hot_and_known_propensities_are_read() {
    let t = campaign();
    let covs = strings(&["pre_spend", "region"]);
    let r = Roles { covariates: Some(&covs), propensity_prefix: Some("p_"), ..roles() };
    let (data, _) = causal_data(&t, &r, "c.csv").unwrap();
    // region's categories sorted, the first (east) dropped
    assert_eq!(data.feature_names(), ["pre_spend", "region=north", "region=west"]);
    let x = data.covariates();
    assert_eq!((0..6).map(|i| x[(i, 2)]).collect::<Vec<_>>(), [0.0, 1.0, 0.0, 0.0, 1.0, 0.0]);
    let e = data.propensity().unwrap();
    assert_eq!((e[(0, 0)], e[(0, 1)]), (0.6, 0.4));
}

#[test]
fn causal_data_errors_name_the_file_and_the_column() {
    let t = campaign();
    let covs = strings(&["pre_spend", "outcome"]);
    let e = causal_data(&t, &Roles { covariates: Some(&covs), ..roles() }, "c.csv").unwrap_err().to_string();
    assert_eq!(e, "c.csv: column 'outcome' cannot be both a covariate and the treatment or outcome");
    let e = causal_data(&t, &Roles { propensity_prefix: Some("q_"), ..roles() }, "c.csv").unwrap_err();
    assert!(matches!(e, CausalTableError::Propensity { .. }), "{e:?}");
    assert!(
        e.to_string().starts_with("c.csv: known propensities need a column 'q_control' for arm 'control'"),
        "{e}"
    );
    let none = Vec::new();
    let e = causal_data(&t, &Roles { covariates: Some(&none), ..roles() }, "c.csv").unwrap_err().to_string();
    assert_eq!(e, "c.csv: no covariate columns; list them with --covariates");
    let e = causal_data(&t, &Roles { outcome: "spend", ..roles() }, "c.csv").unwrap_err().to_string();
    assert!(e.starts_with("c.csv: ") && e.contains("'spend'"), "{e}");
}
