//! Policy trees learned from doubly robust rewards (Athey & Wager 2021;
//! Kitagawa & Tetenov 2018; Sverdrup et al. 2020, R `policytree`).
//!
//! A policy tree maps covariates to an arm through at most `depth` axis-aligned
//! splits and maximizes `Σ_i R_i(π(X_i))`, where `R_i(a)` is the estimated
//! value of giving row `i` arm `a` (from AIPW scores: [`policy_rewards`]).
//!
//! Search: the last two levels of the tree are searched *exactly* over the
//! binned features (see `search.rs` for the cumulative-sum structure); levels
//! above that are chosen greedily (the best single split, then recurse). With
//! [`Search::Auto`] a node whose exact depth-2 search is estimated to take
//! more than [`PolicyTreeParams::max_exact_work`] work units falls back to
//! greedy splits. The fit reports which guarantee holds
//! ([`TreeDiagnostics::search`], [`TreeSearch`]): `exact` (the best tree of
//! its depth over every threshold), `exact_over_bins` (the best tree whose
//! thresholds are bin edges: some feature had more distinct values than
//! bins) or `greedy_root` (a greedy split above the exact levels — always
//! for depth ≥ 3 — so no optimality is claimed). One work unit is about one reward addition; the estimate is
//! `K·(p²·n + 3·(Σ_j B_j)²)` (row passes plus bin-pair scans, see `search.rs`).
//! Measured with `cargo bench -p tp-policy --bench policy` on the 2-core
//! development machine while other builds ran (load ≈ 7): n = 10,000, p = 30,
//! K = 20 is `4.0·10⁸` units with 64 bins (1.25 s on one thread, 1.04 s on
//! two) and `3.7·10⁹` with 256 bins (11.3 s and 8.8 s), i.e. about 3 ns per
//! unit. The default limit of `10¹⁰` units keeps an automatic exact search
//! under about 30 s.

mod bins;
mod search;
mod select;

pub use select::{TreeCandidate, TreeGrid, TreeSelection, select_tree};

use crate::economics::Economics;
use crate::economics::EconomicsExt;
use crate::error::{PolicyError, Result, check_finite};
use bins::Binned;
use search::{Problem, Stump};
use serde::{Deserialize, Serialize};
use std::fmt;
use tp_core::faer::{Mat, MatRef};

/// How the tree is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Search {
    /// Exact for the last two levels unless the work estimate exceeds the limit.
    Auto,
    /// Exact for the last two levels, whatever the cost.
    Exact,
    /// The best single split at every node.
    Greedy,
}

/// Parameters of a policy tree (consuming builder; defaults in each method).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyTreeParams {
    depth: usize,
    max_bins: usize,
    min_node_size: usize,
    search: Search,
    max_exact_work: f64,
}

/// A node of a fitted tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Node {
    /// Give every row here `arm`.
    Leaf {
        /// The arm (0 = control).
        arm: usize,
        /// Training rows in the leaf.
        n: usize,
        /// Sum of the training rewards of `arm` over the leaf.
        reward: f64,
    },
    /// Rows with `x[feature] ≤ threshold` go left.
    Split {
        /// Feature index.
        feature: usize,
        /// The cut.
        threshold: f64,
        /// `x ≤ threshold`.
        left: Box<Node>,
        /// `x > threshold`.
        right: Box<Node>,
    },
}

/// Which optimality a fitted tree has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TreeSearch {
    /// The best tree of its depth over every threshold: the whole tree was
    /// searched exactly (depth ≤ 2) and every feature has at most `max_bins`
    /// distinct values, so each is its own bin.
    Exact,
    /// The whole tree was searched exactly (depth ≤ 2), but over the bin
    /// edges: some feature has more distinct values than bins, and a
    /// threshold between two edges was never tried.
    ExactOverBins,
    /// At least one split with two or more levels below it was chosen
    /// greedily (depth ≥ 3, [`Search::Greedy`], or the work limit of
    /// [`Search::Auto`]): the levels below may be exact, the tree is not.
    GreedyRoot,
}

impl fmt::Display for TreeSearch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TreeSearch::Exact => "exact",
            TreeSearch::ExactOverBins => "exact_over_bins",
            TreeSearch::GreedyRoot => "greedy_root",
        })
    }
}

/// What the fit did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeDiagnostics {
    /// Which optimality the tree has (see [`TreeSearch`]).
    pub search: TreeSearch,
    /// Estimated work units of the root's exact depth-2 search.
    pub estimated_work: f64,
    /// Sum of the training rewards under the tree.
    pub value: f64,
    /// Number of leaves.
    pub leaves: usize,
}

/// A fitted policy tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyTree {
    root: Node,
    n_features: usize,
    n_arms: usize,
    feature_names: Vec<String>,
    arm_labels: Vec<String>,
    params: PolicyTreeParams,
    diagnostics: TreeDiagnostics,
}

/// Tree rewards `R_i(a) = m·D_i(a) − c_a` with control `R_i(0) = 0`, from
/// effect scores `D` (`n × (K − 1)`, e.g. [`crate::effect_scores`]).
pub fn policy_rewards(econ: &Economics, scores: MatRef<'_, f64>) -> Result<Mat<f64>> {
    econ.check_effects("effect scores", scores)?;
    Ok(econ.rewards(scores))
}

impl PolicyTreeParams {
    /// A tree of at most `depth` splits from root to leaf. Defaults: 64 bins per
    /// feature, minimum node size 1, [`Search::Auto`] with a limit of `10¹⁰` work units.
    pub fn new(depth: usize) -> Self {
        PolicyTreeParams { depth, max_bins: 64, min_node_size: 1, search: Search::Auto, max_exact_work: 1e10 }
    }

    /// The depth asked for.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The minimum leaf size in effect (`min_node_size`, at least 1).
    pub fn min_leaf(&self) -> usize {
        self.min_node_size.max(1)
    }

    /// At most this many quantile bins per feature (2..=256).
    pub fn max_bins(mut self, b: usize) -> Self {
        self.max_bins = b;
        self
    }

    /// Every leaf keeps at least this many training rows (default 1).
    pub fn min_node_size(mut self, m: usize) -> Self {
        self.min_node_size = m;
        self
    }

    /// The search strategy (default [`Search::Auto`]).
    pub fn search(mut self, s: Search) -> Self {
        self.search = s;
        self
    }

    /// Work limit for [`Search::Auto`] (default `10¹⁰`, about 30 s).
    pub fn max_exact_work(mut self, w: f64) -> Self {
        self.max_exact_work = w;
        self
    }

    /// Fits the tree on covariates `x` (`n × p`) and rewards (`n × K`, column
    /// `a` the value of arm `a`; see [`policy_rewards`]).
    pub fn fit(&self, x: MatRef<'_, f64>, rewards: MatRef<'_, f64>) -> Result<PolicyTree> {
        if !(2..=256).contains(&self.max_bins) {
            return Err(PolicyError::Parameter {
                name: "max bins".into(),
                value: self.max_bins as f64,
                expected: "between 2 and 256".into(),
            });
        }
        let (n, p, k) = (x.nrows(), x.ncols(), rewards.ncols());
        if n == 0 || p == 0 {
            return Err(PolicyError::Empty {
                what: "covariates".into(),
                hint: "a policy tree needs at least one row and one feature".into(),
            });
        }
        if rewards.nrows() != n || k < 2 {
            return Err(PolicyError::Shape {
                what: "rewards".into(),
                expected: format!("{n} rows (as the covariates) and at least 2 arms"),
                got: format!("{} × {}", rewards.nrows(), k),
            });
        }
        check_finite("rewards", rewards)?;
        let binned = Binned::new(x, self.max_bins)?;
        let mut flat = Vec::with_capacity(n * k);
        for i in 0..n {
            for a in 0..k {
                flat.push(rewards[(i, a)]);
            }
        }
        let problem = Problem { binned: &binned, rewards: &flat, k, min_node_size: self.min_node_size };
        let rows: Vec<usize> = (0..n).collect();
        let mut greedy = false;
        let root = self.grow(&problem, &rows, self.depth, &mut greedy);
        let (value, leaves) = stats(&root);
        let search = if greedy {
            TreeSearch::GreedyRoot
        } else if binned.lossless {
            TreeSearch::Exact
        } else {
            TreeSearch::ExactOverBins
        };
        Ok(PolicyTree {
            root,
            n_features: p,
            n_arms: k,
            feature_names: (0..p).map(|j| format!("x{j}")).collect(),
            arm_labels: (0..k).map(|a| a.to_string()).collect(),
            params: self.clone(),
            diagnostics: TreeDiagnostics { search, estimated_work: problem.exact_work(n), value, leaves },
        })
    }

    /// Out-of-fold arms: the rows are split into `folds` folds (seeded by
    /// `seed`), a tree is fit on all other folds and predicts each fold. The DR
    /// profit of these arms estimates what the fitting *procedure* earns on
    /// new customers, without the in-sample optimism of the fitted tree's value.
    pub fn cross_fit(
        &self,
        x: MatRef<'_, f64>,
        rewards: MatRef<'_, f64>,
        folds: usize,
        seed: u64,
    ) -> Result<Vec<usize>> {
        let n = x.nrows();
        if folds < 2 || n < folds {
            return Err(PolicyError::Parameter {
                name: "tree folds".into(),
                value: folds as f64,
                expected: format!("at least 2 and at most the number of rows ({n})"),
            });
        }
        if rewards.nrows() != n {
            return Err(PolicyError::Shape {
                what: "rewards".into(),
                expected: format!("{n} rows (as the covariates)"),
                got: format!("{} rows", rewards.nrows()),
            });
        }
        let split = tp_core::Folds::kfold(n, folds, seed).map_err(|e| PolicyError::Parameter {
            name: "tree folds".into(),
            value: folds as f64,
            expected: e.to_string(),
        })?;
        let mut out = vec![0; n];
        for f in 0..split.k() {
            let train = split.train(f);
            let test = split.test(f);
            let xt = Mat::from_fn(train.len(), x.ncols(), |r, j| x[(train[r], j)]);
            let rt = Mat::from_fn(train.len(), rewards.ncols(), |r, a| rewards[(train[r], a)]);
            let tree = self.fit(xt.as_ref(), rt.as_ref())?;
            let xs = Mat::from_fn(test.len(), x.ncols(), |r, j| x[(test[r], j)]);
            for (&i, a) in test.iter().zip(tree.predict(xs.as_ref())?) {
                out[i] = a;
            }
        }
        Ok(out)
    }

    /// Grows the tree; sets `greedy` when a split with two or more levels
    /// below it is chosen greedily (the tree is then not optimal).
    fn grow(&self, problem: &Problem<'_>, rows: &[usize], depth: usize, greedy: &mut bool) -> Node {
        if depth == 0 {
            return leaf_node(problem, rows);
        }
        let use_exact = match self.search {
            Search::Exact => true,
            Search::Greedy => false,
            Search::Auto => problem.exact_work(rows.len()) <= self.max_exact_work,
        };
        if depth <= 2 && use_exact {
            if depth == 1 {
                return stump_node(problem, rows, &problem.best_stump(rows));
            }
            let d2 = problem.best_depth2(rows);
            return match d2.root {
                None => stump_node(problem, rows, &d2.left),
                Some((j, t)) => {
                    let (l, r) = partition(problem, rows, j, t);
                    let left = stump_node(problem, &l, &d2.left);
                    let right = stump_node(problem, &r, &d2.right);
                    split_node(problem, j, t, left, right)
                }
            };
        }
        if depth >= 2 {
            *greedy = true; // a greedy split above levels it cannot see (a greedy stump is exact)
        }
        let s = problem.best_stump(rows);
        match s.split {
            None => leaf_node(problem, rows),
            Some((j, t)) => {
                let (l, r) = partition(problem, rows, j, t);
                let left = self.grow(problem, &l, depth - 1, greedy);
                let right = self.grow(problem, &r, depth - 1, greedy);
                split_node(problem, j, t, left, right)
            }
        }
    }
}

fn partition(problem: &Problem<'_>, rows: &[usize], j: usize, t: usize) -> (Vec<usize>, Vec<usize>) {
    let bins = &problem.binned.bins[j];
    rows.iter().partition(|&&i| bins[i] as usize <= t)
}

fn leaf_node(problem: &Problem<'_>, rows: &[usize]) -> Node {
    let s = problem.leaf(rows);
    Node::Leaf { arm: s.arms[0], n: rows.len(), reward: s.value }
}

fn fixed_leaf(problem: &Problem<'_>, rows: &[usize], arm: usize) -> Node {
    let reward = rows.iter().map(|&i| problem.rewards[i * problem.k + arm]).sum();
    Node::Leaf { arm, n: rows.len(), reward }
}

fn stump_node(problem: &Problem<'_>, rows: &[usize], s: &Stump) -> Node {
    match s.split {
        None => fixed_leaf(problem, rows, s.arms[0]),
        Some((j, t)) => {
            let (l, r) = partition(problem, rows, j, t);
            let left = fixed_leaf(problem, &l, s.arms[0]);
            let right = fixed_leaf(problem, &r, s.arms[1]);
            split_node(problem, j, t, left, right)
        }
    }
}

/// A split node, collapsed to a leaf when both sides are leaves with the same arm.
fn split_node(problem: &Problem<'_>, j: usize, t: usize, left: Node, right: Node) -> Node {
    if let (Node::Leaf { arm: a, n: na, reward: ra }, Node::Leaf { arm: b, n: nb, reward: rb }) =
        (&left, &right)
        && a == b
    {
        return Node::Leaf { arm: *a, n: na + nb, reward: ra + rb };
    }
    Node::Split {
        feature: j,
        threshold: problem.binned.edges[j][t],
        left: Box::new(left),
        right: Box::new(right),
    }
}

fn stats(node: &Node) -> (f64, usize) {
    match node {
        Node::Leaf { reward, .. } => (*reward, 1),
        Node::Split { left, right, .. } => {
            let (a, b) = stats(left);
            let (c, d) = stats(right);
            (a + c, b + d)
        }
    }
}

impl PolicyTree {
    /// Names features and arms for printing (`names.len()` must equal `p`,
    /// `arm_labels.len()` must equal `K`).
    pub fn with_names(mut self, feature_names: Vec<String>, arm_labels: Vec<String>) -> Result<Self> {
        if feature_names.len() != self.n_features || arm_labels.len() != self.n_arms {
            return Err(PolicyError::Shape {
                what: "tree names".into(),
                expected: format!("{} feature names and {} arm labels", self.n_features, self.n_arms),
                got: format!("{} and {}", feature_names.len(), arm_labels.len()),
            });
        }
        self.feature_names = feature_names;
        self.arm_labels = arm_labels;
        Ok(self)
    }

    /// The root node.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// What the fit did.
    pub fn diagnostics(&self) -> &TreeDiagnostics {
        &self.diagnostics
    }

    /// The parameters the tree was fit with.
    pub fn params(&self) -> &PolicyTreeParams {
        &self.params
    }

    /// The arm of each row of `x` (`n × p`, same features as in training).
    pub fn predict(&self, x: MatRef<'_, f64>) -> Result<Vec<usize>> {
        if x.ncols() != self.n_features {
            return Err(PolicyError::Shape {
                what: "covariates".into(),
                expected: format!("{} columns, as in training", self.n_features),
                got: format!("{} columns", x.ncols()),
            });
        }
        check_finite("covariates", x)?;
        Ok((0..x.nrows())
            .map(|i| {
                let mut node = &self.root;
                loop {
                    match node {
                        Node::Leaf { arm, .. } => return *arm,
                        Node::Split { feature, threshold, left, right } => {
                            node = if x[(i, *feature)] <= *threshold { left } else { right };
                        }
                    }
                }
            })
            .collect())
    }

    fn write_node(&self, f: &mut fmt::Formatter<'_>, node: &Node, indent: usize) -> fmt::Result {
        let pad = "  ".repeat(indent);
        match node {
            Node::Leaf { arm, n, reward } => {
                writeln!(f, "{pad}arm {} (n = {n}, reward = {reward:.4})", self.arm_labels[*arm])
            }
            Node::Split { feature, threshold, left, right } => {
                let name = &self.feature_names[*feature];
                writeln!(f, "{pad}{name} <= {threshold}:")?;
                self.write_node(f, left, indent + 1)?;
                writeln!(f, "{pad}{name} > {threshold}:")?;
                self.write_node(f, right, indent + 1)
            }
        }
    }
}

impl fmt::Display for PolicyTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_node(f, &self.root, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The best total reward of any tree of depth ≤ 2 (thresholds at every
    /// distinct value, any arm per leaf), by enumeration.
    fn brute_depth2(x: &Mat<f64>, r: &Mat<f64>) -> f64 {
        let (n, p, k) = (x.nrows(), x.ncols(), r.ncols());
        let best_arm = |rows: &[usize]| {
            (0..k).map(|a| rows.iter().map(|&i| r[(i, a)]).sum::<f64>()).fold(f64::NEG_INFINITY, f64::max)
        };
        let split = |rows: &[usize], j: usize, t: f64| -> (Vec<usize>, Vec<usize>) {
            rows.iter().partition(|&&i| x[(i, j)] <= t)
        };
        let stump = |rows: &[usize]| {
            let mut best = best_arm(rows);
            for j in 0..p {
                for &i in rows {
                    let (l, rr) = split(rows, j, x[(i, j)]);
                    best = best.max(best_arm(&l) + best_arm(&rr));
                }
            }
            best
        };
        let all: Vec<usize> = (0..n).collect();
        let mut best = stump(&all);
        for j in 0..p {
            for i in 0..n {
                let (l, rr) = split(&all, j, x[(i, j)]);
                best = best.max(stump(&l) + stump(&rr));
            }
        }
        best
    }

    fn problem(n: usize, levels: Option<usize>, seed: u64) -> (Mat<f64>, Mat<f64>) {
        // a small LCG: the test needs no RNG crate
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut u = move || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let x = Mat::from_fn(n, 2, |_, _| match levels {
            Some(m) => (u() * m as f64).floor(),
            None => u(),
        });
        let r = Mat::from_fn(n, 3, |i, a| {
            let signal = if a == 1 {
                x[(i, 0)] - x[(i, 1)]
            } else if a == 2 {
                x[(i, 1)]
            } else {
                0.0
            };
            signal + u() - 0.5
        });
        (x, r)
    }

    #[test]
    fn search_says_exact_only_when_every_threshold_was_tried() {
        for seed in 0..4 {
            // 5 distinct values per feature, 8 bins: exact over every threshold
            let (x, r) = problem(60, Some(5), seed);
            let t = PolicyTreeParams::new(2).max_bins(8).fit(x.as_ref(), r.as_ref()).unwrap();
            assert_eq!(t.diagnostics().search, TreeSearch::Exact);
            assert!((t.diagnostics().value - brute_depth2(&x, &r)).abs() < 1e-9, "seed {seed}");
            // a stump is exact even when found greedily
            let g = PolicyTreeParams::new(1).search(Search::Greedy).max_bins(8).fit(x.as_ref(), r.as_ref());
            assert_eq!(g.unwrap().diagnostics().search, TreeSearch::Exact);
        }
        // continuous features in 4 bins: optimal over the bin edges only, and
        // the brute force over every threshold does better on some draw
        let mut strictly_worse = 0;
        for seed in 0..6 {
            let (x, r) = problem(60, None, seed);
            let t = PolicyTreeParams::new(2).max_bins(4).fit(x.as_ref(), r.as_ref()).unwrap();
            assert_eq!(t.diagnostics().search, TreeSearch::ExactOverBins);
            let brute = brute_depth2(&x, &r);
            assert!(t.diagnostics().value <= brute + 1e-9);
            strictly_worse += usize::from(t.diagnostics().value < brute - 1e-9);
        }
        assert!(strictly_worse > 0, "binning never cost anything: the test does not separate the labels");
        // depth 3 (greedy root), the greedy search at depth 2, the work-limit fallback
        let (x, r) = problem(60, Some(5), 9);
        for params in [
            PolicyTreeParams::new(3).max_bins(8),
            PolicyTreeParams::new(2).max_bins(8).search(Search::Greedy),
            PolicyTreeParams::new(2).max_bins(8).max_exact_work(1.0),
        ] {
            let t = params.fit(x.as_ref(), r.as_ref()).unwrap();
            assert_eq!(t.diagnostics().search, TreeSearch::GreedyRoot, "{params:?}");
        }
        let json = serde_json::to_string(&TreeSearch::ExactOverBins).unwrap();
        assert_eq!(json, "\"exact_over_bins\"");
    }
}
