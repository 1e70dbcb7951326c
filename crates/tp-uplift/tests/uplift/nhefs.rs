//! NHEFS (testdata/uplift/nhefs.csv): the effect of quitting smoking on
//! weight gain, the textbook observational example (Hernán & Robins,
//! *What If*, ch. 12–13: IPW 3.4 kg, standardization 3.5 kg).

use tp_core::CausalData;
use tp_core::faer::Mat;
use tp_uplift::{Method, UpliftParams};

fn nhefs() -> CausalData {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/uplift/nhefs.csv");
    let text = std::fs::read_to_string(path).expect("read nhefs.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (qsmk, y, sex, race, age, edu, si, sy, ex, act, wt) = (
        col("qsmk"),
        col("wt82_71"),
        col("sex"),
        col("race"),
        col("age"),
        col("education"),
        col("smokeintensity"),
        col("smokeyrs"),
        col("exercise"),
        col("active"),
        col("wt71"),
    );
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let (mut arms, mut out) = (Vec::new(), Vec::new());
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        if f[y].is_empty() {
            continue; // censored: no 1982 weight
        }
        let v = |j: usize| f[j].parse::<f64>().unwrap();
        let dummy = |j: usize, level: f64| f64::from(u8::from(v(j) == level));
        rows.push(vec![
            v(sex),
            v(race),
            v(age),
            v(age) * v(age),
            dummy(edu, 2.0),
            dummy(edu, 3.0),
            dummy(edu, 4.0),
            dummy(edu, 5.0),
            v(si),
            v(si) * v(si),
            v(sy),
            v(sy) * v(sy),
            dummy(ex, 1.0),
            dummy(ex, 2.0),
            dummy(act, 1.0),
            dummy(act, 2.0),
            v(wt),
            v(wt) * v(wt),
        ]);
        arms.push(v(qsmk) as usize);
        out.push(v(y));
    }
    let names = [
        "sex",
        "race",
        "age",
        "age2",
        "edu2",
        "edu3",
        "edu4",
        "edu5",
        "smokeintensity",
        "smokeintensity2",
        "smokeyrs",
        "smokeyrs2",
        "exercise1",
        "exercise2",
        "active1",
        "active2",
        "wt71",
        "wt71_2",
    ];
    let x = Mat::from_fn(rows.len(), names.len(), |i, j| rows[i][j]);
    CausalData::builder(x, names.iter().map(|s| s.to_string()).collect(), arms, out)
        .arm_labels(vec!["kept smoking".into(), "quit".into()])
        .build()
        .unwrap()
}

#[test]
fn aipw_ate_matches_the_textbook() {
    let data = nhefs();
    assert_eq!(data.n(), 1566);
    let fit = UpliftParams::new(Method::Dr).seed(1).fit(&data).unwrap();
    let e = &fit.effects[0];
    assert!((3.0..=4.0).contains(&e.ate), "NHEFS AIPW ATE {} ± {}", e.ate, e.ate_se);
    // quitters differ from smokers (older, smoked less): the propensity model sees it
    assert!(fit.diagnostics.ps_auc > 0.6);
}
