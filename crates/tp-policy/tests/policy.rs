//! Integration tests of tp-policy: the budget path against an independent LP
//! solver, the exact depth-2 tree against brute force, recovery of the oracle
//! policy on simulated data with known effects, and the report's shape.

use proptest::prelude::*;
use rand::Rng;
use tp_core::faer::{Mat, MatRef};
use tp_policy::*;

// ---------------------------------------------------------------------------
// An independent LP solver: dense tableau simplex with Bland's rule for
// max c·x s.t. A x ≤ b, x ≥ 0, b ≥ 0 (the slack basis is feasible).

fn simplex_max(a: &[Vec<f64>], b: &[f64], c: &[f64]) -> f64 {
    let (m, nv) = (a.len(), c.len());
    let w = nv + m + 1;
    let mut t = vec![vec![0.0; w]; m + 1];
    for i in 0..m {
        t[i][..nv].copy_from_slice(&a[i]);
        t[i][nv + i] = 1.0;
        t[i][w - 1] = b[i];
    }
    for j in 0..nv {
        t[m][j] = -c[j]; // objective row: z − c·x = 0
    }
    let mut basis: Vec<usize> = (nv..nv + m).collect();
    let eps = 1e-12;
    while let Some(e) = (0..w - 1).find(|&j| t[m][j] < -eps) {
        let mut leave: Option<usize> = None;
        for i in 0..m {
            if t[i][e] > eps {
                let r = t[i][w - 1] / t[i][e];
                leave = match leave {
                    None => Some(i),
                    Some(l) => {
                        let rl = t[l][w - 1] / t[l][e];
                        if r < rl - 1e-15 || (r <= rl + 1e-15 && basis[i] < basis[l]) {
                            Some(i)
                        } else {
                            Some(l)
                        }
                    }
                };
            }
        }
        let l = leave.expect("bounded LP");
        let piv = t[l][e];
        for v in t[l].iter_mut() {
            *v /= piv;
        }
        let pivot_row = t[l].clone();
        for (i, row) in t.iter_mut().enumerate() {
            let f = row[e];
            if i != l && f != 0.0 {
                for (x, p) in row.iter_mut().zip(&pivot_row) {
                    *x -= f * p;
                }
            }
        }
        basis[l] = e;
    }
    t[m][w - 1]
}

/// The multiple-choice knapsack LP: max Σ v x, Σ_a x_ia ≤ 1, Σ c x ≤ B.
fn knapsack_lp(v: MatRef<'_, f64>, c: MatRef<'_, f64>, budget: f64) -> f64 {
    let (n, k) = (v.nrows(), v.ncols());
    let mut a = Vec::new();
    let mut b = Vec::new();
    for i in 0..n {
        let mut row = vec![0.0; n * k];
        for j in 0..k {
            row[i * k + j] = 1.0;
        }
        a.push(row);
        b.push(1.0);
    }
    a.push((0..n * k).map(|x| c[(x / k, x % k)]).collect());
    b.push(budget);
    let obj: Vec<f64> = (0..n * k).map(|x| v[(x / k, x % k)]).collect();
    simplex_max(&a, &b, &obj)
}

/// Best integer allocation by enumeration of all K^n assignments.
fn knapsack_brute(v: MatRef<'_, f64>, c: MatRef<'_, f64>, budget: f64) -> f64 {
    let (n, k) = (v.nrows(), v.ncols() + 1);
    let mut best = f64::NEG_INFINITY;
    for code in 0..k.pow(n as u32) {
        let (mut x, mut val, mut cost) = (code, 0.0, 0.0);
        for i in 0..n {
            let a = x % k;
            x /= k;
            if a > 0 {
                val += v[(i, a - 1)];
                cost += c[(i, a - 1)];
            }
        }
        if cost <= budget + 1e-12 && val > best {
            best = val;
        }
    }
    best
}

#[test]
fn simplex_solves_a_textbook_lp() {
    // max 3x + 5y, x ≤ 4, 2y ≤ 12, 3x + 2y ≤ 18 → 36 at (2, 6)
    let a = vec![vec![1.0, 0.0], vec![0.0, 2.0], vec![3.0, 2.0]];
    assert!((simplex_max(&a, &[4.0, 12.0, 18.0], &[3.0, 5.0]) - 36.0).abs() < 1e-9);
}

fn small_knapsack() -> impl Strategy<Value = (usize, usize, Vec<f64>, Vec<f64>, f64)> {
    (1usize..=5, 1usize..=3).prop_flat_map(|(n, k)| {
        (
            Just(n),
            Just(k),
            prop::collection::vec(-2.0f64..6.0, n * k),
            // some zero-cost arms, mostly positive costs
            prop::collection::vec(prop_oneof![1 => Just(0.0), 6 => 0.1f64..4.0], n * k),
            0.0f64..1.0,
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    /// The path's value at any budget equals the LP optimum, and the rounded
    /// integer allocation is feasible and no better than the best integer one.
    #[test]
    fn budget_path_matches_lp_and_brute_force((n, k, vals, costs, frac) in small_knapsack()) {
        let v = Mat::from_fn(n, k, |i, a| vals[i * k + a]);
        let c = Mat::from_fn(n, k, |i, a| costs[i * k + a]);
        let path = BudgetPath::from_values(v.as_ref(), c.as_ref()).unwrap();
        let budget = frac * (path.max_spend() + 1.0);
        let lp = knapsack_lp(v.as_ref(), c.as_ref(), budget);
        prop_assert!((path.lp_value(budget) - lp).abs() < 1e-8 * (1.0 + lp.abs()),
            "path {} vs lp {lp}", path.lp_value(budget));
        let alloc = path.allocate(budget).unwrap();
        let int_best = knapsack_brute(v.as_ref(), c.as_ref(), budget);
        prop_assert!(alloc.spend <= budget + 1e-12);
        prop_assert!(alloc.value <= int_best + 1e-9);
        prop_assert!(int_best <= lp + 1e-8);
        // the assignment's value and spend are what the allocation says
        let (mut sv, mut sc) = (0.0, 0.0);
        for (i, &a) in alloc.assignment.iter().enumerate() {
            if a > 0 { sv += v[(i, a - 1)]; sc += c[(i, a - 1)]; }
        }
        prop_assert!((sv - alloc.value).abs() < 1e-9 && (sc - alloc.spend).abs() < 1e-9);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, failure_persistence: None, ..ProptestConfig::default() })]

    /// With an unlimited budget the profit-optimal point of the path gives each
    /// unit its arm of highest positive net value: the threshold rule.
    #[test]
    fn unlimited_budget_for_profit_is_the_threshold_rule((n, k, vals, costs, _f) in small_knapsack()) {
        let tau = Mat::from_fn(n, k, |i, a| vals[i * k + a]);
        let costs: Vec<f64> = (0..k).map(|a| costs[a] + 0.05 * a as f64).collect();
        let econ = Economics::new(1.5, costs).unwrap();
        let path = BudgetPath::new(&econ, tau.as_ref()).unwrap();
        let alloc = path.allocate_for_profit(f64::MAX).unwrap();
        let rule = threshold(&econ, tau.as_ref()).unwrap();
        let net = |asg: &[usize]| -> f64 {
            asg.iter().enumerate().map(|(i, &a)| if a > 0 { 1.5 * tau[(i, a - 1)] - econ.cost(a) } else { 0.0 }).sum()
        };
        prop_assert!((net(&alloc.assignment) - net(&rule)).abs() < 1e-9);
    }
}

// ---------------------------------------------------------------------------
// Exact depth-2 policy tree vs brute force over every depth-2 tree.

fn leaf_best(rows: &[usize], r: MatRef<'_, f64>) -> f64 {
    (0..r.ncols()).map(|a| rows.iter().map(|&i| r[(i, a)]).sum::<f64>()).fold(f64::NEG_INFINITY, f64::max)
}

/// All thresholds of a feature: its distinct values but the largest.
fn cuts(x: MatRef<'_, f64>, j: usize) -> Vec<f64> {
    let mut v: Vec<f64> = (0..x.nrows()).map(|i| x[(i, j)]).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v.pop();
    v
}

/// Best depth ≤ 1 tree value over `rows` with leaves of at least `min` rows.
fn brute_stump(rows: &[usize], x: MatRef<'_, f64>, r: MatRef<'_, f64>, min: usize) -> f64 {
    let mut best = leaf_best(rows, r);
    for j in 0..x.ncols() {
        for t in cuts(x, j) {
            let (l, rr): (Vec<usize>, Vec<usize>) = rows.iter().partition(|&&i| x[(i, j)] <= t);
            if l.len() >= min && rr.len() >= min {
                best = best.max(leaf_best(&l, r) + leaf_best(&rr, r));
            }
        }
    }
    best
}

fn brute_depth2(x: MatRef<'_, f64>, r: MatRef<'_, f64>, min: usize) -> f64 {
    let all: Vec<usize> = (0..x.nrows()).collect();
    let mut best = brute_stump(&all, x, r, min);
    for j in 0..x.ncols() {
        for t in cuts(x, j) {
            let (l, rr): (Vec<usize>, Vec<usize>) = all.iter().partition(|&&i| x[(i, j)] <= t);
            if l.len() >= min && rr.len() >= min {
                best = best.max(brute_stump(&l, x, r, min) + brute_stump(&rr, x, r, min));
            }
        }
    }
    best
}

fn tree_case() -> impl Strategy<Value = (usize, usize, usize, Vec<f64>, Vec<f64>, usize)> {
    (4usize..=24, 1usize..=3, 2usize..=4).prop_flat_map(|(n, p, k)| {
        (
            Just(n),
            Just(p),
            Just(k),
            prop::collection::vec(0u8..6, n * p).prop_map(|v| v.into_iter().map(f64::from).collect()),
            prop::collection::vec(-3.0f64..3.0, n * k),
            1usize..=3,
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn exact_depth2_tree_equals_brute_force((n, p, k, xs, rs, min) in tree_case()) {
        let x = Mat::from_fn(n, p, |i, j| xs[i * p + j]);
        let r = Mat::from_fn(n, k, |i, a| rs[i * k + a]);
        let tree = PolicyTreeParams::new(2).min_node_size(min).search(Search::Exact)
            .fit(x.as_ref(), r.as_ref()).unwrap();
        let brute = brute_depth2(x.as_ref(), r.as_ref(), min);
        let value = tree.diagnostics().value;
        prop_assert!((value - brute).abs() < 1e-9, "tree {value} vs brute force {brute}\n{tree}");
        // the reported value is the value of the tree's own predictions
        let arms = tree.predict(x.as_ref()).unwrap();
        let direct: f64 = arms.iter().enumerate().map(|(i, &a)| r[(i, a)]).sum();
        prop_assert!((direct - value).abs() < 1e-9);
        // depth 1 is the best stump; greedy depth 2 is no better than exact
        let all: Vec<usize> = (0..n).collect();
        let d1 = PolicyTreeParams::new(1).min_node_size(min).fit(x.as_ref(), r.as_ref()).unwrap();
        prop_assert!((d1.diagnostics().value - brute_stump(&all, x.as_ref(), r.as_ref(), min)).abs() < 1e-9);
        let g = PolicyTreeParams::new(2).min_node_size(min).search(Search::Greedy)
            .fit(x.as_ref(), r.as_ref()).unwrap();
        prop_assert!(g.diagnostics().value <= value + 1e-9);
    }
}

fn random_problem(n: usize, p: usize, k: usize, seed: u64) -> (Mat<f64>, Mat<f64>) {
    let mut rng = tp_core::rng::stream(seed, 0);
    let x = Mat::from_fn(n, p, |_, _| rng.random::<f64>());
    let mut rng = tp_core::rng::stream(seed, 1);
    let r = Mat::from_fn(n, k, |i, a| {
        let signal = if a > 0 { (x[(i, a % p)] - 0.5) * (a as f64) } else { 0.0 };
        signal + rng.random::<f64>() - 0.5
    });
    (x, r)
}

#[test]
fn tree_does_not_depend_on_thread_count() {
    let (x, r) = random_problem(600, 6, 5, 11);
    let fit = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| PolicyTreeParams::new(3).max_bins(32).fit(x.as_ref(), r.as_ref()).unwrap())
    };
    let (a, b) = (fit(1), fit(2));
    assert_eq!(a, b);
    // depth 3: greedy root, exact below; at least as good as the best stump
    let d1 = PolicyTreeParams::new(1).max_bins(32).fit(x.as_ref(), r.as_ref()).unwrap();
    assert!(a.diagnostics().value >= d1.diagnostics().value - 1e-9);
    assert_eq!(a.diagnostics().search, TreeSearch::GreedyRoot);
    println!("{a}");
}

#[test]
fn auto_search_falls_back_to_greedy_when_too_long() {
    let (x, r) = random_problem(300, 4, 3, 5);
    let t = PolicyTreeParams::new(2).max_exact_work(1.0).fit(x.as_ref(), r.as_ref()).unwrap();
    assert_eq!(t.diagnostics().search, TreeSearch::GreedyRoot);
    let g = PolicyTreeParams::new(2).search(Search::Greedy).fit(x.as_ref(), r.as_ref()).unwrap();
    assert_eq!(t.root(), g.root());
    let e = PolicyTreeParams::new(2).fit(x.as_ref(), r.as_ref()).unwrap();
    assert_eq!(e.diagnostics().search, TreeSearch::ExactOverBins); // 300 distinct values, 64 bins
    assert!(e.diagnostics().value >= g.diagnostics().value - 1e-9);
}

#[test]
fn tree_input_errors_name_the_input() {
    let (x, r) = random_problem(50, 2, 3, 1);
    let short = Mat::<f64>::zeros(49, 3);
    let err = PolicyTreeParams::new(2).fit(x.as_ref(), short.as_ref()).unwrap_err();
    assert!(err.to_string().contains("rewards"), "{err}");
    let mut bad = r.clone();
    bad[(7, 1)] = f64::NAN;
    let err = PolicyTreeParams::new(2).fit(x.as_ref(), bad.as_ref()).unwrap_err();
    assert!(matches!(err, PolicyError::NonFinite { row: 7, column: 1, .. }), "{err}");
    assert!(PolicyTreeParams::new(2).max_bins(1).fit(x.as_ref(), r.as_ref()).is_err());
    let t = PolicyTreeParams::new(2).fit(x.as_ref(), r.as_ref()).unwrap();
    assert!(t.predict(Mat::<f64>::zeros(3, 5).as_ref()).is_err());
}

// ---------------------------------------------------------------------------
// Recovery on a synthetic world with known effects.

fn normal(rng: &mut impl Rng) -> f64 {
    // Box–Muller
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A world with two covariates, a known effect τ(x) = 4·x0 + x1 − 1.5 (spread
/// sd ≈ 1.2), an estimate τ̂ = τ + N(0, 0.5²) (noise well below the spread),
/// outcomes from a randomized campaign (ê = 0.5) with unit noise, and the AIPW
/// scores built from the true outcome models.
struct World {
    x: Mat<f64>,
    tau: Vec<f64>,
    tau_hat: Mat<f64>,
    lower: Mat<f64>,
    gamma: Mat<f64>,
}

fn world(n: usize, seed: u64) -> World {
    let mut rng = tp_core::rng::stream(seed, 0);
    let x = Mat::from_fn(n, 2, |_, _| rng.random::<f64>());
    let tau: Vec<f64> = (0..n).map(|i| 4.0 * x[(i, 0)] + x[(i, 1)] - 1.5).collect();
    let mut rng = tp_core::rng::stream(seed, 1);
    let tau_hat = Mat::from_fn(n, 1, |i, _| tau[i] + 0.5 * normal(&mut rng));
    let lower = Mat::from_fn(n, 1, |i, _| tau_hat[(i, 0)] - 1.96 * 0.5);
    let mut rng = tp_core::rng::stream(seed, 2);
    let mu0: Vec<f64> = (0..n).map(|i| 2.0 + x[(i, 1)]).collect();
    let arms: Vec<usize> = (0..n).map(|_| usize::from(rng.random::<f64>() < 0.5)).collect();
    let y: Vec<f64> = (0..n).map(|i| mu0[i] + arms[i] as f64 * tau[i] + normal(&mut rng)).collect();
    let mu = Mat::from_fn(n, 2, |i, a| mu0[i] + a as f64 * tau[i]);
    let e = Mat::from_fn(n, 2, |_, _| 0.5);
    let gamma = tp_core::aipw_scores(&y, &arms, mu.as_ref(), e.as_ref()).unwrap();
    World { x, tau, tau_hat, lower, gamma }
}

fn true_profit(econ: &Economics, tau: &[f64], assignment: &[usize]) -> f64 {
    assignment.iter().zip(tau).map(|(&a, t)| if a > 0 { econ.margin() * t - econ.cost(a) } else { 0.0 }).sum()
}

#[test]
fn threshold_policy_recovers_the_oracle_profit() {
    let w = world(20_000, 2026);
    let econ = Economics::new(1.0, vec![1.0]).unwrap(); // break-even τ* = 1
    let assignment = threshold(&econ, w.tau_hat.as_ref()).unwrap();
    let oracle: Vec<usize> = w.tau.iter().map(|&t| usize::from(t > 1.0)).collect();
    let p_hat = true_profit(&econ, &w.tau, &assignment);
    let p_oracle = true_profit(&econ, &w.tau, &oracle);
    println!("true profit: threshold policy {p_hat:.1}, oracle {p_oracle:.1}, ratio {:.3}", p_hat / p_oracle);
    assert!(p_hat >= 0.9 * p_oracle, "threshold {p_hat} < 90% of oracle {p_oracle}");
    // the DR estimate of the policy's profit is within 4 standard errors of its true profit
    let scores = effect_scores(w.gamma.as_ref()).unwrap();
    let est = policy_profit(&econ, scores.as_ref(), &assignment).unwrap();
    println!("DR estimate {:.1} ± {:.1}", est.value, est.se);
    assert!((est.value - p_hat).abs() < 4.0 * est.se, "{} vs {p_hat} (se {})", est.value, est.se);
    // treating everyone loses against the threshold rule here, nobody earns zero
    let all = true_profit(&econ, &w.tau, &vec![1; w.tau.len()]);
    assert!(all < p_hat);
}

#[test]
fn plan_reports_the_contract_fields() {
    let n = 4_000;
    let w = world(n, 7);
    let econ = Economics::new(1.0, vec![1.0]).unwrap();
    let current: Vec<usize> = (0..n).map(|i| usize::from(w.x[(i, 1)] > 0.5)).collect();
    let segments: Vec<String> =
        (0..n).map(|i| if w.x[(i, 0)] > 0.5 { "high" } else { "low" }.to_string()).collect();
    let inputs = PolicyInputs {
        lower: Some(w.lower.as_ref()),
        gamma: Some(w.gamma.as_ref()),
        current: Some(&current),
        segments: Some(&segments),
        ..PolicyInputs::new(w.tau_hat.as_ref())
    };
    let params = PolicyParams::new(econ.clone());
    let plan_t = plan(&params, &inputs).unwrap();
    let json = serde_json::to_value(&plan_t.report).unwrap();
    for key in ["breakeven", "treated_share", "expected_profit", "expected_profit_se", "curve"] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["breakeven"], serde_json::json!(1.0));
    assert_eq!(json["curve"].as_array().unwrap().len(), 101);
    assert_eq!(json["curve"][0], serde_json::json!([0.0, 0.0]));
    assert_eq!(plan_t.assignment, threshold(&econ, w.tau_hat.as_ref()).unwrap());
    let r = &plan_t.report;
    assert_eq!(r.estimator, "doubly_robust");
    // the threshold rule is one cut of the ranking, so the curve's best cut is at least as good
    assert!(r.argmax.profit >= r.expected_profit - 1e-9);
    assert!(r.expected_profit > r.current_practice.as_ref().unwrap().profit);
    let treated = plan_t.assignment.iter().filter(|&&a| a > 0).count() as f64;
    assert!((r.spend - treated).abs() < 1e-9 && (r.roi * r.spend - r.expected_profit).abs() < 1e-6);
    assert_eq!(r.curve_spend[100], n as f64);
    let seg = r.segments.as_ref().unwrap();
    assert!(seg[0].treated_share > seg[1].treated_share, "high-x0 customers are treated more");

    // risk adjustment treats fewer; a budget spends no more than given; a tree beats nobody-treated
    let risky = plan(&PolicyParams { risk_lambda: 0.5, ..params.clone() }, &inputs).unwrap();
    assert!(risky.report.treated_share < r.treated_share);
    let budget = plan(&PolicyParams { rule: Rule::Budget(300.0), ..params.clone() }, &inputs).unwrap();
    let b = budget.report.budget.as_ref().unwrap();
    assert!(b.spend <= 300.0 && b.spend > 299.0, "{}", b.spend);
    let tree_inputs = PolicyInputs { covariates: Some(w.x.as_ref()), ..inputs };
    let tree =
        plan(&PolicyParams { tree: Some(PolicyTreeParams::new(2)), ..params.clone() }, &tree_inputs).unwrap();
    let t = tree.report.tree.as_ref().unwrap();
    println!(
        "{}tree profit {:.1} ± {:.1}, threshold {:.1}",
        t.text, t.profit, t.profit_se, t.threshold_profit
    );
    assert!(t.profit > 0.0 && t.diagnostics.search != TreeSearch::GreedyRoot);
    // out of fold the tree earns less than in sample (optimism), but still
    // more than nobody treated: the effect's sign changes along x0
    let cf = t.cross_fit_profit.unwrap();
    println!("cross-fitted tree profit {cf:.1} ± {:.1}", t.cross_fit_profit_se.unwrap());
    assert!(cf > 0.0);
    // plug-in without scores; errors name the input
    let plug = plan(&params, &PolicyInputs::new(w.tau_hat.as_ref())).unwrap();
    assert_eq!(plug.report.estimator, "plug_in");
    let err =
        plan(&PolicyParams { risk_lambda: 0.5, ..params.clone() }, &PolicyInputs::new(w.tau_hat.as_ref()))
            .unwrap_err();
    assert!(err.to_string().contains("lower"), "{err}");
    let short = Mat::<f64>::zeros(10, 2);
    let err =
        plan(&params, &PolicyInputs { gamma: Some(short.as_ref()), ..PolicyInputs::new(w.tau_hat.as_ref()) })
            .unwrap_err();
    assert!(err.to_string().contains("doubly robust scores"), "{err}");
}

#[test]
fn multi_arm_threshold_recovers_the_oracle_profit() {
    // three arms with costs 1, 2, 4 and effects that favor each arm in a region
    let n = 20_000;
    let mut rng = tp_core::rng::stream(99, 0);
    let x: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
    let tau = Mat::from_fn(n, 3, |i, a| match a {
        0 => 3.0 * (1.0 - x[i]),
        1 => 5.0 * x[i],
        _ => 8.0 * (x[i] - 0.4),
    });
    let mut rng = tp_core::rng::stream(99, 1);
    let tau_hat = Mat::from_fn(n, 3, |i, a| tau[(i, a)] + 0.5 * normal(&mut rng));
    let econ = Economics::new(1.0, vec![1.0, 2.0, 4.0]).unwrap();
    let profit = |asg: &[usize]| -> f64 {
        asg.iter().enumerate().map(|(i, &a)| if a > 0 { tau[(i, a - 1)] - econ.cost(a) } else { 0.0 }).sum()
    };
    let p_hat = profit(&threshold(&econ, tau_hat.as_ref()).unwrap());
    let p_oracle = profit(&threshold(&econ, tau.as_ref()).unwrap());
    println!(
        "multi-arm true profit: threshold {p_hat:.1}, oracle {p_oracle:.1}, ratio {:.3}",
        p_hat / p_oracle
    );
    assert!(p_hat >= 0.9 * p_oracle);
}

// ---------------------------------------------------------------------------
// Choosing the tree out of fold.

/// A world where treating anyone loses money: τ(x) = 0.5 everywhere against
/// a break-even of 1, but the campaign rarely treated the customers with
/// x0 > 0.95 (propensity 0.02, inverse weight 50), so their DR scores are
/// very noisy (outcome noise sd 2). τ̂ = τ + N(0, 0.2²) stays below 1, so
/// the threshold rule treats nobody (true profit 0, the oracle's).
fn noisy_world(n: usize, seed: u64) -> World {
    let mut rng = tp_core::rng::stream(seed, 0);
    let x = Mat::from_fn(n, 3, |_, _| rng.random::<f64>());
    let tau = vec![0.5; n];
    let mut rng = tp_core::rng::stream(seed, 1);
    let tau_hat = Mat::from_fn(n, 1, |i, _| tau[i] + 0.2 * normal(&mut rng));
    let lower = Mat::from_fn(n, 1, |i, _| tau_hat[(i, 0)] - 0.4);
    let mut rng = tp_core::rng::stream(seed, 2);
    let e1: Vec<f64> = (0..n).map(|i| if x[(i, 0)] > 0.95 { 0.02 } else { 0.5 }).collect();
    let arms: Vec<usize> = (0..n).map(|i| usize::from(rng.random::<f64>() < e1[i])).collect();
    let y: Vec<f64> = (0..n).map(|i| 1.0 + arms[i] as f64 * tau[i] + 2.0 * normal(&mut rng)).collect();
    let mu = Mat::from_fn(n, 2, |i, a| 1.0 + a as f64 * tau[i]);
    let e = Mat::from_fn(n, 2, |i, a| if a == 1 { e1[i] } else { 1.0 - e1[i] });
    let gamma = tp_core::aipw_scores(&y, &arms, mu.as_ref(), e.as_ref()).unwrap();
    World { x, tau, tau_hat, lower, gamma }
}

/// The failure the selection fixes: an in-sample depth-2 tree on noisy DR
/// scores treats a small, lucky leaf and loses money in truth. Over 20
/// seeds, the out-of-fold choice (with the threshold fallback) must earn
/// more in truth than the in-sample tree: the mean paired difference of
/// true profits exceeds 4 standard errors of that mean.
#[test]
fn out_of_fold_choice_beats_the_in_sample_tree_on_noisy_scores() {
    let econ = Economics::new(1.0, vec![1.0]).unwrap();
    let (n, seeds) = (3_000, 20u64);
    let mut diffs = Vec::new();
    let (mut fell_back, mut lost) = (0, 0);
    for seed in 0..seeds {
        let w = noisy_world(n, 100 + seed);
        let inputs = PolicyInputs {
            gamma: Some(w.gamma.as_ref()),
            covariates: Some(w.x.as_ref()),
            ..PolicyInputs::new(w.tau_hat.as_ref())
        };
        let base =
            PolicyParams { tree: Some(PolicyTreeParams::new(2)), seed, ..PolicyParams::new(econ.clone()) };
        let in_sample = plan(&PolicyParams { tree_folds: 0, ..base.clone() }, &inputs).unwrap();
        let chosen = plan(&base, &inputs).unwrap();
        let t = chosen.report.tree.as_ref().unwrap();
        assert_eq!(t.candidates.len(), 8, "depths 1, 2 × four minimum leaf shares");
        assert_eq!(t.used, chosen.report.rule == "tree");
        fell_back += usize::from(!t.used);
        let p_in = true_profit(&econ, &w.tau, &in_sample.assignment);
        let p_ch = true_profit(&econ, &w.tau, &chosen.assignment);
        lost += usize::from(p_in < 0.0);
        diffs.push(p_ch - p_in);
    }
    let (mean, se) = tp_core::stats::mean_se(&diffs);
    println!(
        "true profit, out-of-fold choice minus in-sample tree: {mean:.1} ± {se:.1} over {seeds} seeds; \
         in-sample tree lost money on {lost}, the choice fell back to the threshold rule on {fell_back}"
    );
    assert!(mean > 4.0 * se, "mean paired gain {mean} is not above 4 SE ({se})");
}

/// Where a tree has something to find — τ(x) = 4·x0 + x1 − 1.5 against a
/// break-even of 1, and a τ̂ that knows nothing (its mean everywhere, so the
/// threshold rule treats nobody) — the chosen tree is used and earns at least
/// 90 % of what the same tree search earns on the *true* rewards.
#[test]
fn out_of_fold_choice_keeps_a_tree_that_finds_the_signal() {
    let n = 4_000;
    let w = world(n, 11);
    let econ = Economics::new(1.0, vec![1.0]).unwrap();
    let flat = Mat::from_fn(n, 1, |_, _| 0.5);
    let inputs = PolicyInputs {
        gamma: Some(w.gamma.as_ref()),
        covariates: Some(w.x.as_ref()),
        ..PolicyInputs::new(flat.as_ref())
    };
    let params = PolicyParams { tree: Some(PolicyTreeParams::new(2)), ..PolicyParams::new(econ.clone()) };
    let p = plan(&params, &inputs).unwrap();
    let t = p.report.tree.as_ref().unwrap();
    assert!(t.used && p.report.rule == "tree", "{:?}", t.fallback);
    assert!(t.cross_fit_profit.unwrap() > t.threshold_profit);
    let truth = Mat::from_fn(n, 2, |i, a| if a == 1 { w.tau[i] - 1.0 } else { 0.0 });
    let best = PolicyTreeParams::new(2).fit(w.x.as_ref(), truth.as_ref()).unwrap();
    let p_best = true_profit(&econ, &w.tau, &best.predict(w.x.as_ref()).unwrap());
    let p_chosen = true_profit(&econ, &w.tau, &p.assignment);
    println!(
        "true profit: chosen tree {p_chosen:.1} (depth {}, min leaf {}), tree on true rewards {p_best:.1}",
        t.depth, t.min_leaf
    );
    assert!(p_chosen >= 0.9 * p_best, "{p_chosen} < 90% of {p_best}");
}

#[test]
fn a_fixed_grid_reproduces_cross_fit_and_selection_is_deterministic() {
    let (x, r) = random_problem(600, 4, 3, 5);
    let base = PolicyTreeParams::new(2).min_node_size(10);
    let sel = select_tree(&base, &TreeGrid::fixed(2), x.as_ref(), r.as_ref(), r.as_ref(), 4, 9).unwrap();
    assert_eq!(sel.oof_arms, base.cross_fit(x.as_ref(), r.as_ref(), 4, 9).unwrap());
    assert_eq!(sel.tree, base.fit(x.as_ref(), r.as_ref()).unwrap());
    let oof: f64 = (0..600).map(|i| r[(i, sel.oof_arms[i])]).sum();
    assert!((sel.candidates[0].oof_value - oof).abs() < 1e-9);
    let grid = TreeGrid::up_to(2);
    let a = select_tree(&base, &grid, x.as_ref(), r.as_ref(), r.as_ref(), 4, 9).unwrap();
    let b = select_tree(&base, &grid, x.as_ref(), r.as_ref(), r.as_ref(), 4, 9).unwrap();
    assert_eq!(a, b);
    // the chosen candidate has the highest out-of-fold value, the first among ties
    let best = a.candidates.iter().map(|c| c.oof_value).fold(f64::MIN, f64::max);
    assert_eq!(a.candidates.iter().position(|c| c.oof_value == best), Some(a.chosen));
    // minimum leaf sizes: the base's 10, or the share of the 600 rows
    let leaves: Vec<usize> = a.candidates.iter().map(|c| c.min_leaf).collect();
    assert_eq!(leaves, vec![60, 30, 12, 10, 60, 30, 12, 10]);
    let bad = TreeGrid { depths: vec![2], min_leaf_shares: vec![0.7] };
    assert!(select_tree(&base, &bad, x.as_ref(), r.as_ref(), r.as_ref(), 4, 9).is_err());
    assert!(select_tree(&base, &grid, x.as_ref(), r.as_ref(), r.as_ref(), 1, 9).is_err());
}

#[test]
fn clipped_scores_cap_the_inverse_weight() {
    let y = [3.0, 1.0, 2.0];
    let arms = [1, 0, 1];
    let mu = Mat::from_fn(3, 2, |_, a| [1.0, 2.0][a]);
    let e = Mat::from_fn(3, 2, |i, a| if a == 1 { [0.01, 0.5, 0.5][i] } else { 1.0 - [0.01, 0.5, 0.5][i] });
    let plain = tp_core::aipw_scores(&y, &arms, mu.as_ref(), e.as_ref()).unwrap();
    assert_eq!(clipped_aipw_scores(&y, &arms, mu.as_ref(), e.as_ref(), f64::INFINITY).unwrap(), plain);
    let c = clipped_aipw_scores(&y, &arms, mu.as_ref(), e.as_ref(), 10.0).unwrap();
    // row 0 got arm 1 with e = 0.01: weight 100 → 10, Γ(1) = 2 + 10·(3 − 2)
    assert!((plain[(0, 1)] - 102.0).abs() < 1e-12 && (c[(0, 1)] - 12.0).abs() < 1e-12);
    // rows whose weights are under the cap are unchanged
    assert_eq!((c[(1, 0)], c[(2, 1)]), (plain[(1, 0)], plain[(2, 1)]));
    assert!(clipped_aipw_scores(&y, &arms, mu.as_ref(), e.as_ref(), 0.5).is_err());
}

/// The exact depth-2 tree against brute force at a real data set's scale: the Hillstrom e-mail RCT
/// (64,000 customers, three arms at 1/3 each), rewards from inverse-propensity scores of spend
/// (`R_i(a) = 0.3·3·1[A_i = a]·spend_i − 0.10·1[a > 0]`), and the seven covariates with few
/// distinct values (recency 1–12, the spend bracket's code, mens, womens, newbie, and the codes of
/// zip code and channel), so every threshold is a bin edge and the tree claims `exact`. Slow
/// (the brute force scans every pair of cuts over all rows): `TP_SLOW_TESTS=1`.
#[test]
fn exact_depth2_tree_equals_brute_force_on_hillstrom() {
    if !std::env::var("TP_SLOW_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("skipped: set TP_SLOW_TESTS=1");
        return;
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/uplift/hillstrom.csv");
    // the csv crate keeps quoted commas in the field (`"7) $1,000 +"`) and refuses a ragged row
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows: Vec<Vec<String>> =
        reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    assert_eq!(rows.len(), 64_000);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    // a string column as the index of its value among the sorted distinct values
    let code = |j: usize| -> Vec<f64> {
        let mut levels: Vec<&str> = rows.iter().map(|r| r[j].as_str()).collect();
        levels.sort_unstable();
        levels.dedup();
        rows.iter().map(|r| levels.binary_search(&r[j].as_str()).unwrap() as f64).collect()
    };
    let num = |j: usize| -> Vec<f64> { rows.iter().map(|r| r[j].parse::<f64>().unwrap()).collect() };
    let features = [
        num(col("recency")),
        code(col("history_segment")),
        num(col("mens")),
        num(col("womens")),
        num(col("newbie")),
        code(col("zip_code")),
        code(col("channel")),
    ];
    let arms = ["No E-Mail", "Mens E-Mail", "Womens E-Mail"];
    let (seg, spend) = (col("segment"), num(col("spend")));
    let n = rows.len();
    let x = Mat::from_fn(n, features.len(), |i, j| features[j][i]);
    let r = Mat::from_fn(n, arms.len(), |i, a| {
        let got = rows[i][seg] == arms[a];
        0.3 * 3.0 * if got { spend[i] } else { 0.0 } - if a > 0 { 0.10 } else { 0.0 }
    });
    let min = n / 50;
    let tree = PolicyTreeParams::new(2).min_node_size(min).fit(x.as_ref(), r.as_ref()).unwrap();
    assert_eq!(tree.diagnostics().search, TreeSearch::Exact);
    let brute = brute_depth2(x.as_ref(), r.as_ref(), min);
    let value = tree.diagnostics().value;
    eprintln!("Hillstrom depth-2 tree: value {value:.4}, brute force {brute:.4}\n{tree}");
    assert!((value - brute).abs() <= 1e-9 * brute.abs(), "tree {value} vs brute force {brute}\n{tree}");
    // and it is better than any single arm for everyone
    let single = (0..arms.len()).map(|a| (0..n).map(|i| r[(i, a)]).sum::<f64>()).fold(f64::MIN, f64::max);
    assert!(value > single, "the tree ({value}) should beat the best single arm ({single})");
}
