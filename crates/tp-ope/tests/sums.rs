//! `OpeSums`, the partitioned evaluation: any contiguous split of a log (empty and one-row parts
//! included), merged in any order or as a tree, finishes to the same bits as one pass, and to
//! `evaluate`'s estimates, SEs, intervals, λ choices and diagnostics within 1e-12.

use proptest::prelude::*;
use tp_core::Mergeable;
use tp_core::faer::Mat;
use tp_core::merge::merge_tree;
use tp_ope::{
    Estimator, LoggingPropensity, OpeError, OpeInput, OpeParams, OpeReport, OpeSums, OpeSumsParams,
    TargetPolicy, evaluate,
};

/// A log of `n` rows over `k` arms from a seed: logging propensities away from 0, rewards with
/// an arm effect, q̂ a noisy version of the truth; the target plays arms by a rule, or mixes.
fn log(n: usize, k: usize, seed: u64, probs: bool) -> OpeInput<'static> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut u = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut actions = Vec::with_capacity(n);
    let mut prop = Vec::with_capacity(n);
    let mut rewards = Vec::with_capacity(n);
    let mut q = Mat::zeros(n, k);
    let mut target = Vec::with_capacity(n);
    let mut tprobs = Mat::zeros(n, k);
    for i in 0..n {
        let x = u();
        // logging: arm 0 with probability 0.2 + 0.5x, the rest evenly
        let p0 = 0.2 + 0.5 * x;
        let a = if u() < p0 { 0 } else { 1 + ((u() * (k - 1) as f64) as usize).min(k - 2) };
        let pa = if a == 0 { p0 } else { (1.0 - p0) / (k - 1) as f64 };
        let r = (a as f64) * (x - 0.4) + 2.0 * u();
        for b in 0..k {
            q[(i, b)] = (b as f64) * (x - 0.4) + 1.0 + 0.3 * (u() - 0.5);
        }
        actions.push(a);
        prop.push(pa);
        rewards.push(r);
        target.push(if x > 0.4 { k - 1 } else { 0 });
        let m = 0.3 + 0.4 * x;
        for b in 0..k {
            tprobs[(i, b)] = if b == k - 1 { m } else { (1.0 - m) / (k - 1) as f64 };
        }
    }
    let t = if probs { TargetPolicy::probs(tprobs) } else { TargetPolicy::arms(target) };
    OpeInput::new(rewards, actions, LoggingPropensity::logged(prop), t).with_q_hat(q).with_n_arms(k)
}

/// Rows `lo..hi` of an input.
fn slice(input: &OpeInput, lo: usize, hi: usize) -> OpeInput<'static> {
    let rows = |m: &tp_ope::ArmMatrix<'_>| Mat::from_fn(hi - lo, m.ncols(), |i, j| m[(lo + i, j)]);
    let prop = match &input.propensity {
        LoggingPropensity::Logged(p) => LoggingPropensity::logged(p[lo..hi].to_vec()),
        LoggingPropensity::Full(p) => LoggingPropensity::full(rows(p)),
    };
    let target = match &input.target {
        TargetPolicy::Arms(a) => TargetPolicy::arms(a[lo..hi].to_vec()),
        TargetPolicy::Probs(p) => TargetPolicy::probs(rows(p)),
    };
    let mut out = OpeInput::new(input.rewards[lo..hi].to_vec(), input.actions[lo..hi].to_vec(), prop, target)
        .with_n_arms(input.n_arms());
    if let Some(q) = &input.q_hat {
        out = out.with_q_hat(rows(q));
    }
    out
}

fn parts(input: &OpeInput, cuts: &[usize]) -> Vec<OpeInput<'static>> {
    let n = input.n();
    let mut c: Vec<usize> = cuts.iter().map(|k| k % (n + 1)).collect();
    c.sort_unstable();
    c.push(n);
    let mut lo = 0;
    c.into_iter()
        .map(|k| {
            let p = slice(input, lo, k);
            lo = k;
            p
        })
        .collect()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
}

fn assert_matches(one: &OpeReport, sums: &OpeReport) -> Result<(), TestCaseError> {
    prop_assert_eq!(one.n, sums.n);
    prop_assert_eq!(one.estimates.keys().collect::<Vec<_>>(), sums.estimates.keys().collect::<Vec<_>>());
    for (name, e) in &one.estimates {
        let s = &sums.estimates[name];
        for (what, x, y) in [
            ("value", e.value, s.value),
            ("se", e.se, s.se),
            ("lo", e.ci_low, s.ci_low),
            ("hi", e.ci_high, s.ci_high),
        ] {
            prop_assert!(close(x, y, 1e-12), "{} {}: {} vs {}", name, what, x, y);
        }
    }
    prop_assert_eq!(&one.lambdas, &sums.lambdas);
    let (d, t) = (&one.diagnostics, &sums.diagnostics);
    for (x, y) in [
        (d.ess, t.ess),
        (d.ess_share, t.ess_share),
        (d.mean_weight, t.mean_weight),
        (d.no_support_share, t.no_support_share),
    ] {
        prop_assert!(close(x, y, 1e-12), "{} vs {}", x, y);
    }
    prop_assert_eq!(d.max_weight, t.max_weight);
    prop_assert_eq!(d.warnings.len(), t.warnings.len());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_partitioning_gives_the_same_bits_and_evaluates_value(
        n in 2usize..300,
        k in 2usize..4,
        seed in any::<u64>(),
        probs in any::<bool>(),
        clip in prop::sample::select(vec![None, Some(3.0)]),
        tuned in any::<bool>(),
        cuts in prop::collection::vec(0usize..400, 0..9),
    ) {
        let input = log(n, k, seed, probs);
        let mut params = OpeParams::default().high_confidence_bound(false);
        if let Some(c) = clip {
            params = params.clip(c);
        }
        if !tuned {
            params = params.switch_lambda(4.0).dros_lambda(f64::INFINITY);
        }
        let ctx = OpeSumsParams::new(&params, k).unwrap();
        let reference = evaluate(&input, &params);
        let one = OpeSums::map(&ctx, &input).unwrap().finish(&ctx);
        if let Err(OpeError::NoSupport { rows, .. }) = reference {
            // an arm never logged in a short log: both refuse, on the same rows
            let refused = matches!(one, Err(OpeError::NoSupportPartitioned { rows: r, .. }) if r == rows);
            prop_assert!(refused, "{:?}", one);
            return Ok(());
        }
        let (reference, one) = (reference.unwrap(), one.unwrap());
        let mapped: Vec<OpeSums> = parts(&input, &cuts).iter().map(|p| OpeSums::map(&ctx, p).unwrap()).collect();
        let bits = serde_json::to_string(&one).unwrap();
        for merged in [
            OpeSums::merge_all(&ctx, mapped.clone()).unwrap(),
            OpeSums::merge_all(&ctx, mapped.iter().rev().cloned()).unwrap(),
            merge_tree(mapped.clone()).unwrap().unwrap(),
        ] {
            // through bytes, as an engine moves them
            let moved: OpeSums = serde_json::from_slice(&serde_json::to_vec(&merged).unwrap()).unwrap();
            let report = moved.finish(&ctx).unwrap();
            prop_assert_eq!(&serde_json::to_string(&report).unwrap(), &bits);
        }
        assert_matches(&reference, &one)?;
    }
}

#[test]
fn what_cannot_be_merged_is_refused_and_support_gaps_are_found() {
    let params = OpeParams::default().bootstrap(200);
    let e = OpeSumsParams::new(&params, 2).unwrap_err().to_string();
    assert!(e.contains("bootstrap") && e.contains("normal interval"), "{e}");

    // arm 2 is never logged, the target plays it on some rows: IPW refuses, DR warns, as `evaluate`
    let mut input = log(200, 3, 7, false);
    for a in input.actions.to_mut().iter_mut() {
        if *a == 2 {
            *a = 1;
        }
    }
    let ipw = OpeParams::default().estimators(&[Estimator::Ipw]);
    let ctx = OpeSumsParams::new(&ipw, 3).unwrap();
    let parts = parts(&input, &[50, 50, 120]);
    let merged = OpeSums::merge_all(&ctx, parts.iter().map(|p| OpeSums::map(&ctx, p).unwrap())).unwrap();
    let err = merged.finish(&ctx).unwrap_err();
    assert!(matches!(err, OpeError::NoSupportPartitioned { arm: 2, .. }), "{err}");
    let one = evaluate(&input, &ipw).unwrap_err();
    let (OpeError::NoSupport { rows: a, .. }, OpeError::NoSupportPartitioned { rows: b, .. }) = (one, err)
    else {
        panic!("both refuse")
    };
    assert_eq!(a, b);

    let dr = OpeParams::default().estimators(&[Estimator::Dr]).high_confidence_bound(false);
    let ctx = OpeSumsParams::new(&dr, 3).unwrap();
    let merged = OpeSums::merge_all(&ctx, parts.iter().map(|p| OpeSums::map(&ctx, p).unwrap())).unwrap();
    let report = merged.finish(&ctx).unwrap();
    let one = evaluate(&input, &dr).unwrap();
    assert_eq!(report.diagnostics.no_support_share, one.diagnostics.no_support_share);
    assert!(report.diagnostics.warnings[0].starts_with("no support"), "{:?}", report.diagnostics.warnings);
    assert!((report.estimates["dr"].value - one.estimates["dr"].value).abs() < 1e-12);

    // summaries of other settings do not merge
    let other = OpeSumsParams::new(&OpeParams::default().estimators(&[Estimator::Ipw]), 3).unwrap();
    let a = OpeSums::map(&ctx, &parts[0]).unwrap();
    let b = OpeSums::empty(&other).unwrap();
    assert!(a.merge(b).is_err());
}
