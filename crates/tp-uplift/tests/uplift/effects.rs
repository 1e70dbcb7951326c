//! ATE and CATE recovery on simulated campaigns with known effects.

use super::sim::{pehe, slow, world};
use tp_core::rng::derive_seed_str;
use tp_uplift::ate::average_effects;
use tp_uplift::evaluate::{EvaluationParams, evaluate_ranking};
use tp_uplift::{LearnerKind, Method, UpliftParams, crossfit_nuisances};

const ALL: [Method; 5] = [Method::S, Method::T, Method::X, Method::R, Method::Dr];

#[test]
fn constant_effect_ate_within_four_se_under_confounding() {
    for seed in 1..=3 {
        let w = world(2000, 3, 2, 0.8, 1.0, seed, |_, _| 2.0);
        let fit = UpliftParams::new(Method::Dr).seed(seed).fit(&w.data).unwrap();
        let e = &fit.effects[0];
        assert!((e.ate - 2.0).abs() < 4.0 * e.ate_se, "seed {seed}: ATE {} ± {}", e.ate, e.ate_se);
        assert!((e.att - 2.0).abs() < 4.0 * e.att_se, "seed {seed}: ATT {} ± {}", e.att, e.att_se);
        // the naive difference in means is biased here: confounding is real
        let y = w.data.outcome();
        let arms = w.data.arms();
        let m = |a: usize| {
            let v: Vec<f64> = (0..y.len()).filter(|&i| arms[i] == a).map(|i| y[i]).collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        assert!((m(1) - m(0) - 2.0).abs() > 4.0 * e.ate_se, "seed {seed}: confounding too weak to matter");
    }
}

#[test]
fn multi_arm_effects_each_against_control() {
    let w = world(4000, 3, 3, 0.0, 1.0, 11, |a, _| if a == 1 { 1.0 } else { -0.5 });
    let nuis = crossfit_nuisances(
        &w.data,
        &LearnerKind::Linear.regressor(),
        &LearnerKind::Linear.classifier(),
        5,
        0.01,
        11,
    )
    .unwrap();
    assert!(nuis.known_propensity);
    let eff = average_effects(&w.data, &nuis).unwrap();
    assert_eq!(eff.len(), 2);
    for (e, truth) in eff.iter().zip([1.0, -0.5]) {
        assert!((e.ate - truth).abs() < 4.0 * e.ate_se, "{}: {} ± {}", e.label, e.ate, e.ate_se);
    }
    assert_eq!(eff[1].label, "arm2");
}

#[test]
fn constant_effect_recovered_by_every_learner() {
    let w = world(2000, 3, 2, 0.5, 1.0, 3, |_, _| 2.0);
    for m in ALL {
        let fit = UpliftParams::new(m).seed(3).fit(&w.data).unwrap();
        let mean_tau = (0..w.data.n()).map(|i| fit.tau[(i, 0)]).sum::<f64>() / w.data.n() as f64;
        // mean τ̂ is a linear-model ATE: within 4 AIPW SEs of the truth
        assert!((mean_tau - 2.0).abs() < 4.0 * fit.ate_se(), "{m:?}: mean τ̂ {mean_tau}");
    }
}

/// PEHE bound for linear learners on a correctly specified linear effect:
/// each arm's OLS has prediction variance ≈ (p + 1)σ²/n_arm, so the
/// difference of two has PEHE ≈ √(2(p + 1)σ² / (n/2)); we allow 3 times that.
fn pehe_bound(n: usize, p: usize) -> f64 {
    3.0 * (2.0 * (p as f64 + 1.0) / (n as f64 / 2.0)).sqrt()
}

#[test]
fn heterogeneous_effect_pehe_below_bound() {
    let (n, p) = (2000, 3);
    let w = world(n, p, 2, 0.5, 1.0, 5, |_, x| 1.0 + x[0]);
    let bound = pehe_bound(n, p);
    for m in [Method::T, Method::X, Method::R, Method::Dr] {
        let fit = UpliftParams::new(m).seed(5).fit(&w.data).unwrap();
        let e = pehe(&fit.tau, &w.tau, 0);
        assert!(e < bound, "{m:?}: PEHE {e:.4} above bound {bound:.4}");
    }
    // the S-learner with a linear model cannot represent heterogeneity:
    // its PEHE is about sd(x₁) = 1
    let s = UpliftParams::new(Method::S).fit(&w.data).unwrap();
    assert!(pehe(&s.tau, &w.tau, 0) > 0.5);
}

#[test]
fn multi_arm_heterogeneous_effects() {
    let (n, p) = (3000, 3);
    let w = world(n, p, 3, 0.3, 1.0, 8, |a, x| if a == 1 { 1.0 + x[0] } else { -x[1] });
    let bound = pehe_bound(n * 2 / 3, p);
    for m in [Method::T, Method::X, Method::R, Method::Dr] {
        let fit = UpliftParams::new(m).seed(8).fit(&w.data).unwrap();
        assert_eq!(fit.tau.ncols(), 2);
        assert_eq!(fit.tau_columns(), vec!["tau_arm1", "tau_arm2"]);
        for a in 0..2 {
            let e = pehe(&fit.tau, &w.tau, a);
            assert!(e < bound, "{m:?} arm {a}: PEHE {e:.4} above bound {bound:.4}");
        }
    }
}

#[test]
fn bootstrap_se_is_seeded_and_thread_independent() {
    let w = world(800, 2, 2, 0.3, 1.0, 9, |_, x| 1.0 + x[0]);
    let params = UpliftParams::new(Method::Dr).seed(4).n_boot(20);
    let a = params.fit(&w.data).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let b = pool.install(|| params.fit(&w.data).unwrap());
    assert_eq!(a.tau, b.tau);
    let (sa, sb) = (a.tau_se.unwrap(), b.tau_se.unwrap());
    assert_eq!(sa, sb);
    // SE of a linear τ̂ grows with |x − x̄|: larger at the extremes
    let i_far = (0..800)
        .max_by(|&i, &j| w.data.covariates()[(i, 0)].abs().total_cmp(&w.data.covariates()[(j, 0)].abs()))
        .unwrap();
    let i_mid = (0..800)
        .min_by(|&i, &j| w.data.covariates()[(i, 0)].abs().total_cmp(&w.data.covariates()[(j, 0)].abs()))
        .unwrap();
    assert!(sa[(i_far, 0)] > sa[(i_mid, 0)]);
}

#[test]
fn holdout_metrics_reward_a_real_ranking() {
    let w = world(3000, 3, 2, 0.0, 1.0, 21, |_, x| 2.0 * x[0]);
    let fit = UpliftParams::new(Method::T).seed(21).holdout_share(0.3).fit(&w.data).unwrap();
    let ev = &fit.evaluation.as_ref().unwrap()[0];
    assert!(ev.n > 800 && ev.n < 1200, "holdout rows {}", ev.n);
    assert!(ev.metrics.qini_auc > 0.0 && ev.metrics.uplift_auc > 0.0);
    assert!(ev.metrics.rate_autoc > 4.0 * ev.metrics.rate_autoc_se, "{:?}", ev.metrics);
    let cal = ev.calibration.unwrap();
    let d = cal.differential_prediction;
    assert!((d.estimate - 1.0).abs() < 4.0 * d.se, "{cal:?}");
    assert!(fit.n_fit < w.data.n());
}

/// With a holdout share the CATE model is the one fitted on the other rows
/// alone (DR: its cross-fitted nuisances too), and the reported metrics are
/// those of the held-out rows.
#[test]
fn holdout_evaluation_uses_only_held_out_rows() {
    let n = 2000;
    let w = world(n, 3, 2, 0.3, 1.0, 23, |_, x| 1.0 + x[0]);
    let fit = UpliftParams::new(Method::Dr).seed(23).holdout_share(0.25).fit(&w.data).unwrap();
    let hold = &fit.holdout_rows;
    assert!(hold.len() > 400 && hold.len() < 600, "holdout rows {}", hold.len());
    assert!(hold.windows(2).all(|p| p[0] < p[1]));
    let train: Vec<usize> = (0..n).filter(|i| hold.binary_search(i).is_err()).collect();
    assert_eq!(fit.n_fit, train.len());
    // the model is exactly the one fitted on the training rows alone
    let alone = UpliftParams::new(Method::Dr).seed(23).fit(&w.data.subset(&train).unwrap()).unwrap();
    let x = w.data.covariates();
    assert_eq!(alone.model.predict(x).unwrap(), fit.model.predict(x).unwrap());
    // the metrics are those of the held-out rows, scored with the fit's AIPW scores
    let scores = fit.scores(&w.data).unwrap();
    let pick = |rows: &[usize]| {
        let y: Vec<f64> = rows.iter().map(|&i| w.data.outcome()[i]).collect();
        let t: Vec<usize> = rows.iter().map(|&i| w.data.arms()[i]).collect();
        let s: Vec<f64> = rows.iter().map(|&i| fit.tau[(i, 0)]).collect();
        let g: Vec<f64> = rows.iter().map(|&i| scores[(i, 1)] - scores[(i, 0)]).collect();
        let mut params = EvaluationParams::default();
        params.rate.seed = derive_seed_str(23, "rate");
        evaluate_ranking(&y, &t, &s, Some(&g), &params).unwrap()
    };
    let ev = &fit.evaluation.as_ref().unwrap()[0];
    assert_eq!(ev.n, hold.len());
    assert_eq!(ev.metrics, pick(hold));
    assert_ne!(ev.metrics, pick(&train));
    // without a holdout there is neither
    let plain = UpliftParams::new(Method::Dr).seed(23).fit(&w.data).unwrap();
    assert!(plain.holdout_rows.is_empty() && plain.evaluation.is_none() && plain.n_fit == n);
}

/// The AIPW 95% interval on randomized data with no effect covers 0 at the
/// nominal rate. 1000 seeds: the coverage's sampling sd is 0.0069, so the
/// 93–97% band is about ±2.9 sd (the issue asks for ≥ 200 seeds).
#[test]
fn null_effect_interval_coverage() {
    if !slow() {
        return;
    }
    let seeds = 1000;
    let covered = (0..seeds)
        .filter(|&s| {
            let w = world(1000, 3, 2, 0.0, 1.0, 10_000 + s, |_, _| 0.0);
            let fit = UpliftParams::new(Method::T).seed(s).fit(&w.data).unwrap();
            let e = &fit.effects[0];
            e.ci_low <= 0.0 && 0.0 <= e.ci_high
        })
        .count();
    let share = covered as f64 / seeds as f64;
    assert!((0.93..=0.97).contains(&share), "coverage {share}");
}

#[test]
fn forest_learners_recover_heterogeneity() {
    if !slow() {
        return;
    }
    let (n, p) = (4000, 3);
    let w = world(n, p, 2, 0.5, 1.0, 31, |_, x| 1.0 + x[0]);
    // The bar: beat the best constant prediction (the true ATE), whose PEHE
    // is sd(τ) — i.e. capture some of the heterogeneity out of the box.
    let t: Vec<f64> = (0..n).map(|i| w.tau[(i, 0)]).collect();
    let constant = tp_core::stats::variance(&t).sqrt();
    for m in [Method::T, Method::X, Method::Dr] {
        let fit = UpliftParams::with_learners(m, LearnerKind::Rf).seed(31).fit(&w.data).unwrap();
        let e = pehe(&fit.tau, &w.tau, 0);
        eprintln!("{m:?} with forests: PEHE {e:.3} (constant {constant:.3})");
        assert!(e < constant, "{m:?} with forests: PEHE {e:.3} not below the constant's {constant:.3}");
    }
}
