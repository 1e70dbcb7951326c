//! Integration tests of tp-sim: calibration to the reference case,
//! determinism, consistency of the campaign with the event log, and truth.

use std::collections::HashMap;
use std::sync::OnceLock;
use tp_core::Table;
use tp_sim::{Assignment, CriteoParams, RetailParams, RetailWorld};

/// The default world at a fixed seed, shared by the tests of this binary.
fn default_world() -> &'static RetailWorld {
    static W: OnceLock<RetailWorld> = OnceLock::new();
    W.get_or_init(|| RetailParams::default().seed(7).generate().unwrap())
}

/// A randomized trial on the default population, shared.
fn rct_world() -> &'static RetailWorld {
    static W: OnceLock<RetailWorld> = OnceLock::new();
    W.get_or_init(|| {
        RetailParams::default()
            .seed(7)
            .assignment(Assignment::Randomized { treated_share: 0.5 })
            .generate()
            .unwrap()
    })
}

fn slow() -> bool {
    std::env::var("TP_SLOW_TESTS").is_ok_and(|v| v == "1")
}

/// Mann–Whitney AUC with mid-ranks, written independently of the crate's.
fn auc(score: &[f64], label: &[bool]) -> f64 {
    let mut pos: Vec<f64> = Vec::new();
    let mut neg: Vec<f64> = Vec::new();
    for (s, &l) in score.iter().zip(label) {
        if l { pos.push(*s) } else { neg.push(*s) }
    }
    neg.sort_by(f64::total_cmp);
    let mut u = 0.0;
    for p in &pos {
        let below = neg.partition_point(|x| x < p) as f64;
        let tied = neg.partition_point(|x| x <= p) as f64 - below;
        u += below + 0.5 * tied;
    }
    u / (pos.len() * neg.len()) as f64
}

/// Hanley–McNeil standard error of an AUC.
fn auc_se(a: f64, n1: f64, n0: f64) -> f64 {
    let q1 = a / (2.0 - a);
    let q2 = 2.0 * a * a / (1.0 + a);
    ((a * (1.0 - a) + (n1 - 1.0) * (q1 - a * a) + (n0 - 1.0) * (q2 - a * a)) / (n1 * n0)).sqrt()
}

fn mean_se(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (v / n).sqrt())
}

fn propensity_auc(w: &RetailWorld) -> (f64, f64) {
    let c = w.campaign();
    let p_treat: Vec<f64> = c.f64_values("p_control").unwrap().iter().map(|p| 1.0 - p).collect();
    let treated: Vec<bool> = c.f64_values("treatment").unwrap().iter().map(|&t| t > 0.0).collect();
    let n1 = treated.iter().filter(|&&t| t).count() as f64;
    let a = auc(&p_treat, &treated);
    (a, auc_se(a, n1, treated.len() as f64 - n1))
}

/// Asserts every calibration target of DESIGN.md with its tolerance.
fn check_calibration(w: &RetailWorld, label: &str) {
    let c = w.calibration();
    println!("[{label}] calibration: {c:#?}");
    assert!((2_000_000..=3_000_000).contains(&c.n_events), "events {}", c.n_events);
    // top 45% bring 70–75% of revenue; tolerance ±0.02 around that band
    assert!((0.68..=0.77).contains(&c.top45_revenue_share), "top-45% share {}", c.top45_revenue_share);
    // heaviest archetype: 12% of households (binomial 4 SE at n = 2500 is 0.026)
    assert_eq!(c.heaviest_archetype, "vip_heavy");
    assert!((c.heaviest_share - 0.12).abs() < 0.026, "heaviest share {}", c.heaviest_share);
    // "several times" the mean spend
    assert!((2.5..=4.0).contains(&c.heaviest_spend_multiple), "multiple {}", c.heaviest_spend_multiple);
    // the oracle treats a minority (~30%); treating everyone loses money
    assert!((0.20..=0.40).contains(&c.oracle_treated_share), "oracle share {}", c.oracle_treated_share);
    assert!(c.treat_all_profit < 0.0 && c.oracle_profit > 0.0);
    // even a perfect response model (rank by true spend when treated) loses money
    assert!(c.response_model_profit < 0.0, "response model profit {}", c.response_model_profit);
    // the heavier the household, the worse the coupon: a naive model targets the wrong people
    assert!(c.corr_pre_spend_tau < -0.2, "corr {}", c.corr_pre_spend_tau);
    let e = w.economics();
    assert!((e.breakeven()[0] - 42.43).abs() < 0.01);
}

#[test]
fn default_world_matches_the_reference_case() {
    let w = default_world();
    check_calibration(w, "seed 7");
    let names: Vec<&str> = w.tables().iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["catalog", "events", "customers", "campaign", "truth"]);
    assert_eq!(w.customers().n_rows(), 2500);
    assert!(w.customers().column("archetype").is_err(), "archetype must stay in truth");
    assert!(w.truth().column("archetype").is_ok());
    // the realized propensity AUC is within 4 SE of the target 0.9
    let (a, se) = propensity_auc(w);
    println!("propensity AUC at default: {a:.4} (se {se:.4})");
    assert!((a - 0.9).abs() < 4.0 * se, "auc {a}, se {se}");
}

#[test]
fn calibration_holds_across_seeds() {
    if !slow() {
        return;
    }
    for seed in [1, 2, 3] {
        check_calibration(&RetailParams::default().seed(seed).generate().unwrap(), &format!("seed {seed}"));
    }
}

#[test]
fn extreme_overlap_knob_reaches_auc_099() {
    let w = RetailParams::default()
        .seed(11)
        .assignment(Assignment::CurrentPractice { target_auc: 0.99, treated_share: 0.4 })
        .generate()
        .unwrap();
    let (a, se) = propensity_auc(&w);
    println!("propensity AUC at the extreme knob: {a:.4} (se {se:.4})");
    assert!((a - 0.99).abs() < 4.0 * se, "auc {a}, se {se}");
}

#[test]
fn catalog_is_a_hierarchy() {
    let cat = default_world().catalog();
    assert!((300..=2000).contains(&cat.n_rows()));
    let dept = cat.string_values("department").unwrap();
    let com = cat.string_values("commodity").unwrap();
    let sub = cat.string_values("sub_commodity").unwrap();
    let mut parent_of_com = HashMap::new();
    let mut parent_of_sub = HashMap::new();
    for i in 0..cat.n_rows() {
        assert_eq!(*parent_of_com.entry(com[i].clone()).or_insert(dept[i].clone()), dept[i]);
        assert_eq!(*parent_of_sub.entry(sub[i].clone()).or_insert(com[i].clone()), com[i]);
    }
    for tag in tp_sim::TAGS {
        let v = cat.f64_values(tag).unwrap();
        assert!(v.iter().all(|&x| x == 0.0 || x == 1.0));
        assert!(v.contains(&1.0), "tag {tag} never set");
    }
}

#[test]
fn campaign_outcome_is_the_window_spend_in_events() {
    let w = default_world();
    let ev = w.events();
    let mailing = w.params().mailing_week() as f64;
    let (cust, week, value) = (
        ev.f64_values("customer_id").unwrap(),
        ev.f64_values("week").unwrap(),
        ev.f64_values("value").unwrap(),
    );
    let mut spend = vec![0.0; w.campaign().n_rows()];
    for i in 0..ev.n_rows() {
        if week[i] > mailing {
            spend[cust[i] as usize - 1] += value[i];
        }
    }
    let c = w.campaign();
    let outcome = c.f64_values("outcome").unwrap();
    for (i, (a, b)) in spend.iter().zip(outcome.iter()).enumerate() {
        assert!((a - b).abs() < 1e-6, "customer {}: events {a}, outcome {b}", i + 1);
    }
    // the logged propensity is the probability of the arm received
    let arm = c.string_values("arm").unwrap();
    let p = c.f64_values("propensity").unwrap();
    for i in 0..c.n_rows() {
        let own = c.f64_values(&format!("p_{}", arm[i])).unwrap()[i];
        assert_eq!(own, p[i]);
    }
}

#[test]
fn truth_is_consistent() {
    let w = default_world();
    let t = w.truth();
    let (mu0, mu1, tau) = (
        t.f64_values("mu_control").unwrap(),
        t.f64_values("mu_coupon").unwrap(),
        t.f64_values("tau_coupon").unwrap(),
    );
    for i in 0..t.n_rows() {
        assert_eq!(tau[i], mu1[i] - mu0[i]);
    }
    let (e0, e1) = (t.f64_values("e_control").unwrap(), t.f64_values("e_coupon").unwrap());
    let p1 = w.campaign().f64_values("p_coupon").unwrap();
    for i in 0..t.n_rows() {
        assert!((e0[i] + e1[i] - 1.0).abs() < 1e-12);
        assert_eq!(e1[i], p1[i]);
    }
}

#[test]
fn randomized_world_recovers_the_true_effect() {
    let w = rct_world();
    let c = w.campaign();
    let t = w.truth();
    let (y, arm) = (c.f64_values("outcome").unwrap(), c.f64_values("treatment").unwrap());
    let (mu0, mu1, tau) = (
        t.f64_values("mu_control").unwrap(),
        t.f64_values("mu_coupon").unwrap(),
        t.f64_values("tau_coupon").unwrap(),
    );
    let pick = |a: f64, f: &dyn Fn(usize) -> f64| -> Vec<f64> {
        (0..y.len()).filter(|&i| arm[i] == a).map(f).collect()
    };
    let (m1, se1) = mean_se(&pick(1.0, &|i| y[i]));
    let (m0, se0) = mean_se(&pick(0.0, &|i| y[i]));
    let true_ate = tau.iter().sum::<f64>() / tau.len() as f64;
    let se = (se1 * se1 + se0 * se0).sqrt();
    println!("RCT: difference in means {:.2} (se {se:.2}), mean true tau {true_ate:.2}", m1 - m0);
    assert!((m1 - m0 - true_ate).abs() < 4.0 * se);
    // the analytic potential outcomes are unbiased for the realized outcomes, per arm
    for (a, mu) in [(0.0, &mu0), (1.0, &mu1)] {
        let (m, se) = mean_se(&pick(a, &|i| y[i] - mu[i]));
        assert!(m.abs() < 4.0 * se, "arm {a}: mean residual {m}, se {se}");
    }
    // assignment does not touch the pre-period: same events before the mailing
    // (basket ids are a global counter that also counts window visits, so they shift)
    let pre = |w: &RetailWorld| -> Table {
        let ev = w
            .events()
            .select(&["customer_id", "day", "week", "item_id", "quantity", "value", "promo"])
            .unwrap();
        let week = ev.f64_values("week").unwrap();
        let idx: Vec<usize> =
            (0..ev.n_rows()).filter(|&i| week[i] <= w.params().mailing_week() as f64).collect();
        ev.take_rows(&idx)
    };
    assert!(pre(w) == pre(default_world()), "pre-period events depend on the assignment");
    assert!(w.customers() == default_world().customers(), "customers depend on the assignment");
}

fn small() -> RetailParams {
    RetailParams::default().customers(300).weeks(60).seed(3)
}

#[test]
fn same_output_at_any_thread_count() {
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| small().generate().unwrap())
    };
    let (a, b) = (run(1), run(2));
    for ((name, ta), (_, tb)) in a.tables().into_iter().zip(b.tables()) {
        assert!(ta == tb, "table {name} differs between 1 and 2 threads");
    }
    let c = small().seed(4).generate().unwrap();
    assert!(a.events() != c.events(), "a different seed must give different events");
}

#[test]
fn three_arm_world() {
    let w = small().arms(3).generate().unwrap();
    let labels = w.arm_labels();
    assert_eq!(labels, ["control", "coupon", "loyalty_bonus"]);
    assert_eq!(w.economics().n_arms(), 3);
    let c = w.campaign();
    let ps: Vec<_> = labels.iter().map(|l| c.f64_values(&format!("p_{l}")).unwrap().into_owned()).collect();
    for i in 0..c.n_rows() {
        assert!((ps.iter().map(|p| p[i]).sum::<f64>() - 1.0).abs() < 1e-12);
    }
    let t = w.truth();
    let tau2 = t.f64_values("tau_loyalty_bonus").unwrap();
    let (mu0, mu2) = (t.f64_values("mu_control").unwrap(), t.f64_values("mu_loyalty_bonus").unwrap());
    assert!((0..t.n_rows()).all(|i| tau2[i] == mu2[i] - mu0[i]));
    let arms = c.string_values("arm").unwrap();
    assert!(labels.iter().all(|l| arms.contains(l)), "every arm should be received by someone");
}

#[test]
fn bad_parameters_are_named_errors() {
    let e = RetailParams::default().customers(10).generate().unwrap_err();
    assert!(e.to_string().contains("customers"), "{e}");
    let e = RetailParams::default().weeks(30).generate().unwrap_err();
    assert!(e.to_string().contains("weeks"), "{e}");
    let e = RetailParams::default()
        .assignment(Assignment::Randomized { treated_share: 0.0 })
        .generate()
        .unwrap_err();
    assert!(e.to_string().contains("treated_share"), "{e}");
    let e = CriteoParams::default().chunk_rows(0).chunks().unwrap_err();
    assert!(e.to_string().contains("chunk_rows"), "{e}");
}

fn concat(chunks: impl Iterator<Item = tp_sim::Result<Table>>) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for chunk in chunks {
        let t = chunk.unwrap();
        for i in 0..t.n_rows() {
            rows.push(t.columns().iter().map(|c| c.data.format_value(i)).collect());
        }
    }
    rows
}

#[test]
fn criteo_chunks_do_not_depend_on_chunk_size() {
    let p = CriteoParams::default().rows(2000).seed(5);
    let whole = concat(std::iter::once(p.generate()));
    for size in [7, 512, 5000] {
        let chunked = p.chunk_rows(size);
        assert!(chunked.chunks().unwrap().all(|c| c.unwrap().n_rows() <= size));
        assert!(concat(chunked.chunks().unwrap()) == whole, "chunk size {size} changes the rows");
    }
    assert!(concat(std::iter::once(p.seed(6).generate())) != whole, "seed must matter");
}

#[test]
fn criteo_data_file_holds_only_pre_treatment_covariates_and_one_outcome() {
    let t = CriteoParams::default().rows(500).seed(4).generate().unwrap();
    let data: Vec<&str> =
        t.names().into_iter().filter(|n| !tp_sim::CRITEO_TRUTH_COLUMNS.contains(n)).collect();
    let mut want: Vec<String> = (0..12).map(|j| format!("f{j}")).collect();
    want.extend(["treatment", "visit", "propensity"].map(String::from));
    assert_eq!(data, want);
    for c in tp_sim::CRITEO_TRUTH_COLUMNS {
        assert!(t.column(c).is_ok(), "the criteo table lacks {c}");
    }
}

#[test]
fn criteo_rates_and_effect() {
    let n = if slow() { 2_000_000 } else { 200_000 };
    let t = CriteoParams::default().rows(n).seed(9).generate().unwrap();
    let names: Vec<String> = (0..12).map(|j| format!("f{j}")).collect();
    for c in names.iter().map(String::as_str).chain(["treatment", "visit", "conversion", "propensity", "tau"])
    {
        assert!(t.column(c).is_ok(), "missing {c}");
    }
    let (tr, y, tau) = (
        t.f64_values("treatment").unwrap(),
        t.f64_values("conversion").unwrap(),
        t.f64_values("tau").unwrap(),
    );
    let (share, share_se) = mean_se(&tr);
    assert!((share - 0.85).abs() < 4.0 * share_se.max((0.85 * 0.15 / n as f64).sqrt()));
    let (rate, _) = mean_se(&y);
    println!("criteo: conversion rate {rate:.4}");
    assert!((0.003..=0.03).contains(&rate), "conversion rate {rate}");
    let pick = |a: f64| -> Vec<f64> { (0..y.len()).filter(|&i| tr[i] == a).map(|i| y[i]).collect() };
    let ((m1, se1), (m0, se0)) = (mean_se(&pick(1.0)), mean_se(&pick(0.0)));
    let ate = tau.iter().sum::<f64>() / n as f64;
    assert!((m1 - m0 - ate).abs() < 4.0 * (se1 * se1 + se0 * se0).sqrt(), "diff {} vs tau {ate}", m1 - m0);
    assert!(tau.iter().any(|&x| x < 0.0) && tau.iter().any(|&x| x > 0.0), "effect must be heterogeneous");
}

#[test]
fn the_coupon_changes_the_window_events_of_the_same_household() {
    // The same households under two randomizations: those in control in one
    // and mailed in the other share their pre-period and window random
    // streams, so their paired spend difference isolates the effect.
    let world = |share: f64| {
        RetailParams::default()
            .customers(1000)
            .seed(21)
            .assignment(Assignment::Randomized { treated_share: share })
            .generate()
            .unwrap()
    };
    let (a, b) = (world(0.05), world(0.95));
    let (arm_a, arm_b) =
        (a.campaign().f64_values("treatment").unwrap(), b.campaign().f64_values("treatment").unwrap());
    let (y_a, y_b) =
        (a.campaign().f64_values("outcome").unwrap(), b.campaign().f64_values("outcome").unwrap());
    let tau = a.truth().f64_values("tau_coupon").unwrap();
    let pairs: Vec<usize> = (0..arm_a.len()).filter(|&i| arm_a[i] == 0.0 && arm_b[i] == 1.0).collect();
    assert!(pairs.len() > 800);
    assert!(pairs.iter().any(|&i| y_a[i] != y_b[i]), "the arm must change the window events");
    let gap: Vec<f64> = pairs.iter().map(|&i| y_b[i] - y_a[i] - tau[i]).collect();
    let (m, se) = mean_se(&gap);
    println!("paired: mean (realized difference - tau) {m:.2} (se {se:.2}) over {} households", pairs.len());
    assert!(m.abs() < 4.0 * se, "paired effect misses tau by {m} (se {se})");
}
