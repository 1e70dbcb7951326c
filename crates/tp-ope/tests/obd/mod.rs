//! Open Bandit Dataset: evaluate Bernoulli Thompson sampling (BTS) from the
//! uniform-random log of the small sample (campaign "all") and set each
//! estimator's relative error next to the table the Open Bandit Pipeline
//! publishes (`examples/obd/README.md`: logistic reward model, SLOPE-tuned
//! Switch-DR and DRos, mean over 30 bootstrap resamples of the log).
//!
//! Shared by the integration test (`tests/ope.rs::open_bandit_bts_from_random_log`)
//! and the example `examples/open_bandit.rs`. Data: `crates/tp-ope/testdata/open_bandit/`
//! (see its README for the source). Ground truth: BTS's on-policy value,
//! the mean click of the BTS log.
//!
//! The evaluation policy is built the way obp builds it: BTS with the
//! production Beta prior of campaign "all" (`testdata/ope/obp_bts_prior_all.csv`,
//! from obp's `obp/policy/conf/prior_bts.yaml`), whose probability of showing
//! item `a` at position `p` is estimated by Monte Carlo: draw
//! `θ_a ~ Beta(α_a, β_a)` for every item, rank by θ, the top three fill
//! positions 1..3. Our draws come from tp's ChaCha streams, not numpy's, so
//! the distribution matches obp's up to Monte Carlo error (≈ 1/√n_sim).
//!
//! Reward model: as obp's `RegressionModel` — one logistic regression per
//! position (λ = 1/C = 0.01) on the user features (one-hot, first level
//! dropped) joined with the item features, cross-fitted over 3 folds.
//! Switch-DR and DRos pick λ from obp's grid with SLOPE (Tucker & Lee 2021),
//! computed from each candidate's value and standard error (`tp_ope::slope`,
//! the default of `OpeParams`).

use anyhow::{Context, Result};
use rand_distr::{Beta, Distribution};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use tp_core::faer::Mat;
use tp_core::rng::stream;
use tp_learn::LogisticRegression;
use tp_ope::*;

const LEN_LIST: usize = 3;

/// obp's published relative errors on the small sample (BTS from random, campaign all).
pub const PUBLISHED: [(&str, f64); 7] = [
    ("dm", 0.157),
    ("ipw", 0.311),
    ("snipw", 0.312),
    ("dr", 0.292),
    ("sndr", 0.302),
    ("switch-dr", 0.258),
    ("dros", 0.160),
];

/// The crate's copy of the sample.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/open_bandit")
}

fn prior_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ope/obp_bts_prior_all.csv")
}

struct Log {
    item: Vec<usize>,
    position: Vec<usize>,
    click: Vec<f64>,
    pscore: Vec<f64>,
    user: Vec<[String; 4]>,
}

fn read_log(path: &Path, with_users: bool) -> Result<Log> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let h = r.headers()?.clone();
    let col = |name: &str| {
        h.iter().position(|c| c == name).with_context(|| format!("{}: no column {name}", path.display()))
    };
    let (ci, cp, cc, cs) = (col("item_id")?, col("position")?, col("click")?, col("propensity_score")?);
    let cu: Vec<usize> = if with_users {
        (0..4).map(|j| col(&format!("user_feature_{j}"))).collect::<Result<_>>()?
    } else {
        vec![]
    };
    let mut log = Log { item: vec![], position: vec![], click: vec![], pscore: vec![], user: vec![] };
    for rec in r.records() {
        let rec = rec?;
        log.item.push(rec[ci].parse()?);
        log.position.push(rec[cp].parse::<usize>()? - 1);
        log.click.push(rec[cc].parse()?);
        log.pscore.push(rec[cs].parse()?);
        if with_users {
            log.user.push(std::array::from_fn(|j| rec[cu[j]].to_string()));
        }
    }
    Ok(log)
}

/// Item features: label-encoded categorical `item_feature_1..3` and numeric `item_feature_0`.
fn item_features(path: &Path) -> Result<Mat<f64>> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
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

/// One estimator's result on one (re)sample: value and influence-function SE.
#[derive(Debug, Clone, Copy)]
pub struct Est {
    /// Estimated value.
    pub value: f64,
    /// Its standard error.
    pub se: f64,
}

struct Setup {
    random: Log,
    dist: Vec<Vec<f64>>,
    items: Mat<f64>,
    levels: Vec<Vec<String>>,
}

fn estimate_all(s: &Setup, rows: &[usize], seed: u64) -> Result<BTreeMap<&'static str, Est>> {
    let log = &s.random;
    let n = rows.len();
    let k = s.items.nrows();
    let actions: Vec<usize> = rows.iter().map(|&i| log.item[i]).collect();
    let rewards: Vec<f64> = rows.iter().map(|&i| log.click[i]).collect();
    let users: Vec<[String; 4]> = rows.iter().map(|&i| log.user[i].clone()).collect();
    let x = user_matrix(&users, &s.levels);
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
            &RewardFeatures::Joint(Some(s.items.clone())),
            3,
            seed + p as u64,
        )?;
        for (r, &i) in idx.iter().enumerate() {
            for a in 0..k {
                q[(i, a)] = qp[(r, a)];
            }
        }
    }
    let target = Mat::from_fn(n, k, |r, a| s.dist[log.position[rows[r]]][a]);
    let pscore: Vec<f64> = rows.iter().map(|&i| log.pscore[i]).collect();
    let input =
        OpeInput::new(rewards, actions, LoggingPropensity::logged(pscore), TargetPolicy::probs(target))
            .with_q_hat(q)
            .with_n_arms(k);
    let base = OpeParams::default().high_confidence_bound(false);
    let rep = evaluate(&input, &base.clone().estimators(&Estimator::ALL[..5]))?;
    let mut out = BTreeMap::new();
    for e in &Estimator::ALL[..5] {
        let est = &rep.estimates[e.name()];
        out.insert(e.name(), Est { value: est.value, se: est.se });
    }
    // Switch-DR and DRos: λ chosen by SLOPE over obp's grid (the library's default)
    let tuned = evaluate(&input, &base.estimators(&[Estimator::SwitchDr, Estimator::Dros]))?;
    for e in [Estimator::SwitchDr, Estimator::Dros] {
        let est = &tuned.estimates[e.name()];
        out.insert(e.name(), Est { value: est.value, se: est.se });
    }
    Ok(out)
}

/// Everything the report needs.
pub struct ObdRun {
    /// BTS on-policy value (mean click of the BTS log).
    pub truth: f64,
    /// Its standard error `√(p(1 − p)/n)`.
    pub truth_se: f64,
    /// Rows of the BTS log.
    pub n_bts: usize,
    /// Rows of the random log.
    pub n_random: usize,
    /// Clicks in the random log.
    pub clicks_random: f64,
    /// Monte Carlo draws behind BTS's action distribution.
    pub n_sim: usize,
    /// Every estimator on the whole random log.
    pub full: BTreeMap<&'static str, Est>,
    /// Every estimator on each bootstrap resample of the random log (obp's protocol).
    pub resampled: Vec<BTreeMap<&'static str, Est>>,
}

impl ObdRun {
    /// `|V̂ − truth| / truth` of estimator `name` on the whole log.
    pub fn rel_err(&self, name: &str) -> f64 {
        (self.full[name].value - self.truth).abs() / self.truth
    }

    /// Mean and SD over the resamples of the relative error (`None` without resamples).
    pub fn resampled_rel_err(&self, name: &str) -> Option<(f64, f64)> {
        if self.resampled.len() < 2 {
            return None;
        }
        let rel: Vec<f64> =
            self.resampled.iter().map(|m| (m[name].value - self.truth).abs() / self.truth).collect();
        Some((tp_core::stats::mean(&rel), tp_core::stats::variance(&rel).sqrt()))
    }

    /// The table: value, SE, relative error on the whole log, mean ± SD over the resamples, obp's figure.
    pub fn table(&self) -> String {
        let mut s = format!(
            "ground truth (mean click of the BTS log, {} rows): {:.5} ± {:.5}\n\
             random log: {} rows, {} clicks; BTS distribution from {} Monte Carlo draws; {} resamples\n",
            self.n_bts,
            self.truth,
            self.truth_se,
            self.n_random,
            self.clicks_random,
            self.n_sim,
            self.resampled.len()
        );
        s += &format!(
            "{:<10} {:>9} {:>9} {:>9} {:>18} {:>10}\n",
            "estimator", "value", "se", "rel.err", "rel.err resamples", "obp table"
        );
        for (name, obp) in PUBLISHED {
            let e = self.full[name];
            let boot =
                self.resampled_rel_err(name).map_or("-".to_string(), |(m, sd)| format!("{m:.3} ± {sd:.3}"));
            s += &format!(
                "{name:<10} {:>9.5} {:>9.5} {:>9.3} {boot:>18} {obp:>10.3}\n",
                e.value,
                e.se,
                self.rel_err(name)
            );
        }
        s
    }
}

/// Runs the evaluation on the sample in `dir` (`random_all.csv`,
/// `bts_all.csv`, `item_context.csv`) with `n_sim` Monte Carlo draws for
/// BTS's action distribution and `resamples` bootstrap resamples of the random log.
pub fn run(dir: &Path, n_sim: usize, resamples: u64) -> Result<ObdRun> {
    let random = read_log(&dir.join("random_all.csv"), true)?;
    let bts = read_log(&dir.join("bts_all.csv"), false)?;
    let n_bts = bts.click.len();
    let truth = bts.click.iter().sum::<f64>() / n_bts as f64;
    let items = item_features(&dir.join("item_context.csv"))?;
    let mut pr = csv::Reader::from_path(prior_path())?;
    let (mut alpha, mut beta) = (vec![], vec![]);
    for rec in pr.records() {
        let rec = rec?;
        alpha.push(rec[1].parse::<f64>()?);
        beta.push(rec[2].parse::<f64>()?);
    }
    let dist = bts_action_dist(&alpha, &beta, n_sim, 12345);
    let levels: Vec<Vec<String>> = (0..4)
        .map(|j| random.user.iter().map(|u| u[j].clone()).collect::<BTreeSet<_>>().into_iter().collect())
        .collect();
    let n = random.click.len();
    let clicks_random = random.click.iter().sum();
    let setup = Setup { random, dist, items, levels };
    let all_rows: Vec<usize> = (0..n).collect();
    let full = estimate_all(&setup, &all_rows, 12345)?;
    let resampled = (0..resamples)
        .map(|b| {
            let mut rng = stream(777, b);
            let rows: Vec<usize> = (0..n).map(|_| rand::Rng::random_range(&mut rng, 0..n)).collect();
            estimate_all(&setup, &rows, 12345)
        })
        .collect::<Result<_>>()?;
    Ok(ObdRun {
        truth,
        truth_se: (truth * (1.0 - truth) / n_bts as f64).sqrt(),
        n_bts,
        n_random: n,
        clicks_random,
        n_sim,
        full,
        resampled,
    })
}
