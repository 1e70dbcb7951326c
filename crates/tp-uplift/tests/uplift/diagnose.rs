//! Diagnostics on randomized and confounded campaigns.

use super::sim::world;
use tp_uplift::diagnostics::{DiagnosticsParams, TrimRule, diagnose, trim};
use tp_uplift::{LearnerKind, Method, UpliftParams, crossfit_nuisances};

#[test]
fn randomized_trial_looks_randomized() {
    let n = 4000;
    let w = world(n, 4, 2, 0.0, 1.0, 1, |_, _| 1.0);
    let fit = UpliftParams::new(Method::T).fit(&w.data).unwrap();
    let d = &fit.diagnostics;
    assert!(d.known_propensity);
    // known propensities are all 0.5: AUC exactly 0.5, full overlap
    assert_eq!(d.ps_auc, 0.5);
    assert_eq!(d.overlap_share, 1.0);
    assert_eq!(d.n_covariates, 4);
    // random imbalance: SMD sd ≈ √(2/(n/2)·…) ≈ 0.03, so |SMD| < 0.1 is 3+ sd
    assert_eq!(d.balanced, 4);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
}

#[test]
fn confounded_campaign_is_flagged_and_weighting_balances() {
    let w = world(2000, 3, 2, 2.5, 1.0, 2, |_, _| 1.0);
    let nuis = crossfit_nuisances(
        &w.data,
        &LearnerKind::Linear.regressor(),
        &LearnerKind::Linear.classifier(),
        5,
        0.01,
        2,
    )
    .unwrap();
    assert!(!nuis.known_propensity);
    let d = diagnose(&w.data, nuis.propensity.as_ref(), false, &DiagnosticsParams::default()).unwrap();
    assert!(d.ps_auc > 0.9, "AUC {}", d.ps_auc);
    assert!(d.overlap_share < 0.9);
    assert!(d.max_abs_smd > 0.5);
    assert!(d.max_abs_smd_weighted < d.max_abs_smd / 2.0, "{} vs {}", d.max_abs_smd_weighted, d.max_abs_smd);
    assert!(d.warnings.iter().any(|s| s.contains("overlap is poor")), "{:?}", d.warnings);
    assert_eq!(d.histograms.len(), 1);
    let h = &d.histograms[0];
    assert_eq!(h.treated.iter().sum::<usize>() + h.control.iter().sum::<usize>(), 2000);
    // trimming keeps the overlap population
    let t = trim(&w.data, nuis.propensity.as_ref(), TrimRule::Fixed(0.1)).unwrap();
    assert!((t.kept.len() as f64 / 2000.0 - d.overlap_share).abs() < 1e-12);
    let c = trim(&w.data, nuis.propensity.as_ref(), TrimRule::Crump).unwrap();
    assert!(c.alpha > 0.0 && c.kept.len() < 2000);
    let fit = UpliftParams::new(Method::Dr).seed(2).trim(TrimRule::Crump).fit(&w.data).unwrap();
    assert_eq!(fit.summary().n_used, c.kept.len());
    let e = &fit.effects[0];
    assert!((e.ate - 1.0).abs() < 4.0 * e.ate_se, "{e:?}");
}

#[test]
fn summary_json_has_the_cli_fields() {
    let w = world(500, 2, 2, 0.5, 1.0, 3, |_, _| 1.0);
    let fit = UpliftParams::new(Method::Dr).fit(&w.data).unwrap();
    let v: serde_json::Value = serde_json::to_value(&fit).unwrap();
    for key in ["ate", "ate_se", "arms", "diagnostics", "effects"] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    for key in ["ps_auc", "overlap_share", "max_abs_smd", "balanced", "n_covariates"] {
        assert!(v["diagnostics"].get(key).is_some(), "missing diagnostics.{key}: {v}");
    }
    assert_eq!(v["ate"].as_f64().unwrap(), fit.ate());
}

/// Several arms: one histogram per contrast over its own rows, the band is
/// the caller's, a row is in overlap when every pair propensity is in it,
/// and a band that is not an interval in [0, 1] is an error.
#[test]
fn multi_arm_band_and_histograms() {
    let n = 3000;
    let w = world(n, 3, 3, 1.5, 1.0, 8, |_, _| 1.0);
    let nuis = crossfit_nuisances(
        &w.data,
        &LearnerKind::Linear.regressor(),
        &LearnerKind::Linear.classifier(),
        5,
        0.01,
        8,
    )
    .unwrap();
    let e = nuis.propensity.as_ref();
    let pair = |i: usize, a: usize| e[(i, a)] / (e[(i, a)] + e[(i, 0)]);
    let mut shares = Vec::new();
    for band in [(0.05, 0.95), (0.1, 0.9), (0.3, 0.7)] {
        let params = DiagnosticsParams { band, ..Default::default() };
        let d = diagnose(&w.data, e, false, &params).unwrap();
        let by_hand = (0..n).filter(|&i| (1..3).all(|a| (band.0..=band.1).contains(&pair(i, a)))).count();
        assert_eq!(d.overlap_share, by_hand as f64 / n as f64, "band {band:?}");
        shares.push(d.overlap_share);
        assert_eq!(d.histograms.len(), 2);
        let counts = w.data.arm_counts();
        for (h, a) in d.histograms.iter().zip(1..) {
            assert_eq!(h.arm, format!("arm{a}"));
            assert_eq!(h.treated.iter().sum::<usize>(), counts[a]);
            assert_eq!(h.control.iter().sum::<usize>(), counts[0]);
            assert_eq!(h.edges.len(), 21);
        }
        // one balance row per covariate and contrast
        assert_eq!(d.balance.len(), 3 * 2);
    }
    // a narrower band keeps fewer rows, and the confounding is visible
    assert!(shares[0] > shares[1] && shares[1] > shares[2], "{shares:?}");
    assert!(shares[2] < 0.9);
    for band in [(0.9, 0.1), (-0.1, 0.5), (0.2, 1.5)] {
        let params = DiagnosticsParams { band, ..Default::default() };
        let err = diagnose(&w.data, e, false, &params).unwrap_err();
        assert!(err.to_string().contains("band"), "{err}");
    }
}
