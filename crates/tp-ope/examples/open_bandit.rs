//! Evaluate Open Bandit's Bernoulli Thompson sampling (BTS) policy from the
//! uniform-random log of the Open Bandit Dataset sample (campaign "all") and
//! compare each estimator's relative error with the table published by the
//! Open Bandit Pipeline (`examples/obd/README.md`: logistic reward model,
//! 30 bootstrap resamples of the log).
//!
//! ```text
//! cargo run --release -p tp-ope --example open_bandit -- [DATA_DIR] [N_SIM]
//! ```
//!
//! `DATA_DIR` defaults to `/work/shared/data/open_bandit` (folders `random/all`
//! and `bts/all`). Ground truth: the BTS policy's on-policy value, the mean
//! click of the BTS log.
//!
//! The evaluation policy is built the way obp builds it: BTS with the
//! production Beta prior of campaign "all" (`testdata/ope/obp_bts_prior_all.csv`,
//! copied from obp's `obp/policy/conf/prior_bts.yaml`), whose probability of
//! showing item `a` at position `p` is estimated by Monte Carlo: draw
//! `θ_a ~ Beta(α_a, β_a)` for every item, rank items by θ, the top three fill
//! positions 1..3. Our draws come from tp's ChaCha streams, not numpy's, so
//! the distribution matches obp's up to Monte Carlo error (≈ 1/√N_SIM).
//!
//! Reward model: as obp's `RegressionModel` — one logistic regression per
//! position (λ = 1/C = 0.01) on the user features (one-hot, first level
//! dropped) and the item features, cross-fitted over 3 folds. Switch-DR and
//! DRos pick λ from obp's grid with SLOPE (Tucker & Lee 2021), computed here
//! from each candidate's value and standard error.

use anyhow::{Context, Result};
use rand_distr::{Beta, Distribution};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use tp_core::faer::Mat;
use tp_core::rng::stream;
use tp_core::stats::normal_quantile;
use tp_learn::LogisticRegression;
use tp_ope::*;

const LEN_LIST: usize = 3;

struct Log {
    item: Vec<usize>,
    position: Vec<usize>,
    click: Vec<f64>,
    pscore: Vec<f64>,
    user: Vec<[String; 4]>,
}

fn read_log(path: &str) -> Result<Log> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("reading {path}"))?;
    let h = r.headers()?.clone();
    let col =
        |name: &str| h.iter().position(|c| c == name).with_context(|| format!("{path}: no column {name}"));
    let (ci, cp, cc, cs) = (col("item_id")?, col("position")?, col("click")?, col("propensity_score")?);
    let cu: Vec<usize> = (0..4).map(|j| col(&format!("user_feature_{j}"))).collect::<Result<_>>()?;
    let mut log = Log { item: vec![], position: vec![], click: vec![], pscore: vec![], user: vec![] };
    for rec in r.records() {
        let rec = rec?;
        log.item.push(rec[ci].parse()?);
        log.position.push(rec[cp].parse::<usize>()? - 1);
        log.click.push(rec[cc].parse()?);
        log.pscore.push(rec[cs].parse()?);
        log.user.push(std::array::from_fn(|j| rec[cu[j]].to_string()));
    }
    Ok(log)
}

/// Item features: label-encoded categorical `item_feature_1..3` and numeric `item_feature_0`.
fn item_features(path: &str) -> Result<Mat<f64>> {
    let mut r = csv::Reader::from_path(path)?;
    let rows: Vec<csv::StringRecord> = r.records().collect::<Result<_, _>>()?;
    let mut codes: Vec<BTreeMap<String, usize>> = vec![BTreeMap::new(); 3];
    for (j, c) in codes.iter_mut().enumerate() {
        let levels: BTreeSet<&str> = rows.iter().map(|rec| &rec[3 + j]).collect();
        *c = levels.into_iter().enumerate().map(|(k, l)| (l.to_string(), k)).collect();
    }
    let mut m = Mat::zeros(rows.len(), 4);
    for rec in &rows {
        let i: usize = rec[1].parse()?;
        for j in 0..3 {
            m[(i, j)] = codes[j][&rec[3 + j]] as f64;
        }
        m[(i, 3)] = rec[2].parse()?;
    }
    Ok(m)
}

/// P(item a shown at position p) under BTS with the given prior, by Monte Carlo.
fn bts_action_dist(alpha: &[f64], beta: &[f64], n_sim: usize, seed: u64) -> Vec<Vec<f64>> {
    let k = alpha.len();
    let chunks = 64usize;
    let per = n_sim.div_ceil(chunks);
    let dists: Vec<Beta<f64>> = alpha.iter().zip(beta).map(|(&a, &b)| Beta::new(a, b).unwrap()).collect();
    let counts: Vec<Vec<u64>> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut rng = stream(seed, c as u64);
            let mut cnt = vec![0u64; LEN_LIST * k];
            let mut theta = vec![0.0; k];
            for _ in 0..per.min(n_sim.saturating_sub(c * per)) {
                for (t, d) in theta.iter_mut().zip(&dists) {
                    *t = d.sample(&mut rng);
                }
                let mut top = [usize::MAX; LEN_LIST];
                for a in 0..k {
                    let mut p = LEN_LIST;
                    while p > 0 && (top[p - 1] == usize::MAX || theta[a] > theta[top[p - 1]]) {
                        p -= 1;
                    }
                    if p < LEN_LIST {
                        top.copy_within(p..LEN_LIST - 1, p + 1);
                        top[p] = a;
                    }
                }
                for (p, &a) in top.iter().enumerate() {
                    cnt[p * k + a] += 1;
                }
            }
            cnt
        })
        .collect();
    let mut out = vec![vec![0.0; k]; LEN_LIST];
    for cnt in &counts {
        for p in 0..LEN_LIST {
            for a in 0..k {
                out[p][a] += cnt[p * k + a] as f64;
            }
        }
    }
    for row in &mut out {
        let s: f64 = row.iter().sum();
        row.iter_mut().for_each(|v| *v /= s);
    }
    out
}

/// One-hot user features, first level of each column dropped (pandas `get_dummies(drop_first=True)`).
fn user_matrix(users: &[[String; 4]], levels: &[Vec<String>]) -> Mat<f64> {
    let width: usize = levels.iter().map(|l| l.len() - 1).sum();
    let mut m = Mat::zeros(users.len(), width);
    for (i, u) in users.iter().enumerate() {
        let mut off = 0;
        for j in 0..4 {
            if let Some(k) = levels[j].iter().position(|l| *l == u[j])
                && k > 0
            {
                m[(i, off + k - 1)] = 1.0;
            }
            off += levels[j].len() - 1;
        }
    }
    m
}

/// SLOPE (Tucker & Lee's SLOPE++ as in obp): candidates sorted by their
/// confidence width (widest first); keep going while each new estimate is
/// within `cnf_i + C·cnf_j` of every kept one; return the last kept λ.
fn slope(candidates: &[(f64, f64, f64)]) -> f64 {
    let c = 6f64.sqrt() - 1.0;
    let z = normal_quantile(0.95);
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| candidates[b].2.total_cmp(&candidates[a].2));
    let mut kept: Vec<(f64, f64)> = Vec::new();
    for (pos, &i) in order.iter().enumerate() {
        let (_, theta, se) = candidates[i];
        let cnf = z * se;
        if kept.iter().all(|&(t, cj)| (t - theta).abs() <= cnf + c * cj) {
            kept.push((theta, cnf));
        } else {
            return candidates[order[pos - 1]].0;
        }
    }
    candidates[*order.last().unwrap()].0
}

fn estimate_all(
    log: &Log,
    rows: &[usize],
    dist: &[Vec<f64>],
    items: &Mat<f64>,
    levels: &[Vec<String>],
    seed: u64,
) -> Result<BTreeMap<&'static str, f64>> {
    let n = rows.len();
    let k = items.nrows();
    let actions: Vec<usize> = rows.iter().map(|&i| log.item[i]).collect();
    let rewards: Vec<f64> = rows.iter().map(|&i| log.click[i]).collect();
    let users: Vec<[String; 4]> = rows.iter().map(|&i| log.user[i].clone()).collect();
    let x = user_matrix(&users, levels);
    let mut q = Mat::zeros(n, k);
    let learner = LogisticRegression::params().l2(0.01).max_iter(200);
    for p in 0..LEN_LIST {
        let idx: Vec<usize> = (0..n).filter(|&r| log.position[rows[r]] == p).collect();
        let xp = Mat::from_fn(idx.len(), x.ncols(), |r, j| x[(idx[r], j)]);
        let ap: Vec<usize> = idx.iter().map(|&r| actions[r]).collect();
        let yp: Vec<f64> = idx.iter().map(|&r| rewards[r]).collect();
        let qp = cross_fit_q_hat(
            &xp,
            &ap,
            &yp,
            k,
            RewardLearner::Classifier(&learner),
            &RewardFeatures::Joint(Some(items.clone())),
            3,
            seed + p as u64,
        )?;
        for (r, &i) in idx.iter().enumerate() {
            for a in 0..k {
                q[(i, a)] = qp[(r, a)];
            }
        }
    }
    let target = Mat::from_fn(n, k, |r, a| dist[log.position[rows[r]]][a]);
    let pscore: Vec<f64> = rows.iter().map(|&i| log.pscore[i]).collect();
    let input =
        OpeInput::new(rewards, actions, LoggingPropensity::Logged(pscore), TargetPolicy::Probs(target))
            .with_q_hat(q)
            .with_n_arms(k);
    let base = OpeParams::default().high_confidence_bound(false);
    let rep = evaluate(&input, &base.clone().estimators(&Estimator::ALL[..5]))?;
    let mut out: BTreeMap<&'static str, f64> = BTreeMap::new();
    for e in &Estimator::ALL[..5] {
        out.insert(e.name(), rep.estimates[e.name()].value);
    }
    let grid = [10.0, 50.0, 100.0, 500.0, 1000.0, 5000.0, 10000.0, f64::INFINITY];
    for (e, set) in [
        (Estimator::SwitchDr, OpeParams::switch_lambda as fn(OpeParams, f64) -> OpeParams),
        (Estimator::Dros, OpeParams::dros_lambda),
    ] {
        let cands: Vec<(f64, f64, f64)> = grid
            .iter()
            .map(|&l| {
                let r = evaluate(&input, &set(base.clone(), l).estimators(&[e])).unwrap();
                let est = &r.estimates[e.name()];
                (l, est.value, est.se)
            })
            .collect();
        let best = slope(&cands);
        let v = cands.iter().find(|c| c.0 == best).unwrap().1;
        out.insert(e.name(), v);
    }
    Ok(out)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).cloned().unwrap_or_else(|| "/work/shared/data/open_bandit".into());
    let n_sim: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(1_000_000);
    let random = read_log(&format!("{dir}/random/all/all.csv"))?;
    let bts = read_log(&format!("{dir}/bts/all/all.csv"))?;
    let truth = bts.click.iter().sum::<f64>() / bts.click.len() as f64;
    let items = item_features(&format!("{dir}/random/all/item_context.csv"))?;
    let prior_path = format!("{}/../../testdata/ope/obp_bts_prior_all.csv", env!("CARGO_MANIFEST_DIR"));
    let mut pr = csv::Reader::from_path(&prior_path)?;
    let (mut alpha, mut beta) = (vec![], vec![]);
    for rec in pr.records() {
        let rec = rec?;
        alpha.push(rec[1].parse::<f64>()?);
        beta.push(rec[2].parse::<f64>()?);
    }
    let t = std::time::Instant::now();
    let dist = bts_action_dist(&alpha, &beta, n_sim, 12345);
    eprintln!("bts action distribution from {n_sim} draws in {:.1}s", t.elapsed().as_secs_f64());
    let levels: Vec<Vec<String>> = (0..4)
        .map(|j| random.user.iter().map(|u| u[j].clone()).collect::<BTreeSet<_>>().into_iter().collect())
        .collect();
    let n = random.click.len();
    let all_rows: Vec<usize> = (0..n).collect();
    let full = estimate_all(&random, &all_rows, &dist, &items, &levels, 12345)?;
    let runs = 30u64;
    let per_run: Vec<BTreeMap<&'static str, f64>> = (0..runs)
        .map(|b| {
            let mut rng = stream(777, b);
            let rows: Vec<usize> = (0..n).map(|_| rand::Rng::random_range(&mut rng, 0..n)).collect();
            estimate_all(&random, &rows, &dist, &items, &levels, 12345)
        })
        .collect::<Result<_>>()?;
    let published = [
        ("dm", 0.157),
        ("ipw", 0.311),
        ("snipw", 0.312),
        ("dr", 0.292),
        ("sndr", 0.302),
        ("switch-dr", 0.258),
        ("dros", 0.160),
    ];
    println!("ground truth (mean click of the BTS log, {} rows): {truth:.5}", bts.click.len());
    println!(
        "random log: {n} rows, {} clicks; BTS distribution from {n_sim} Monte Carlo draws",
        random.click.iter().sum::<f64>()
    );
    println!(
        "{:<10} {:>9} {:>9} {:>16} {:>12}",
        "estimator", "value", "rel.err", "rel.err 30 boot", "obp table"
    );
    for (name, obp) in published {
        let rel: Vec<f64> = per_run.iter().map(|m| (m[name] - truth).abs() / truth).collect();
        let (m, sd) = (tp_core::stats::mean(&rel), tp_core::stats::variance(&rel).sqrt());
        let v = full[name];
        println!("{name:<10} {v:>9.5} {:>9.3} {:>9.3} ± {sd:.3} {obp:>12.3}", (v - truth).abs() / truth, m);
    }
    Ok(())
}
