//! Uplift and Qini curves, their areas, uplift@k and uplift by percentile,
//! following scikit-uplift's conventions (golden-tested against 0.5.1).
//!
//! Rows are ordered by score, highest first; rows with equal scores are
//! ordered by decreasing row index (scikit-uplift reverses a stable
//! ascending sort), which only matters where a cut falls inside a tie
//! (uplift@k). Curves cut only between distinct scores, so a tie forms one
//! step. At each cut, with `n_t`, `n_c` treated and control rows and `y_t`,
//! `y_c` their outcome sums in the top part:
//!
//! - Qini: `y_t − y_c · n_t / n_c` (0 when `n_c = 0` for the ratio);
//! - uplift: `(y_t / n_t − y_c / n_c) · (n_t + n_c)` (each ratio 0 when its
//!   count is 0).
//!
//! Both curves start at (0, 0). Areas are trapezoids. The normalized scores
//! divide the area between the model's curve and the random line (from
//! (0, 0) to the curve's end) by the same area for the *perfect* curve: for
//! the uplift curve scikit-uplift's ordering `2·1{y = t} + s` with `s = y`
//! when control responders outnumber treated non-responders and `s = t`
//! otherwise; for the Qini curve (negative effects allowed) the ordering
//! `y·t − y·(1 − t)`. Those perfect curves are defined for binary outcomes;
//! for other outcomes both use the ordering `y·(2t − 1)` (treated with the
//! largest outcomes first, controls with the largest outcomes last), a
//! documented extension: scikit-uplift refuses continuous outcomes.

use super::check_inputs;
use crate::{Result, UpliftError};
use serde::Serialize;

/// Points of an uplift or Qini curve: `n_targeted[j]` rows targeted (the
/// top of the ranking) and the curve's value there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Curve {
    /// Number of rows targeted at each point (starts at 0).
    pub n_targeted: Vec<f64>,
    /// Curve value at each point (starts at 0).
    pub value: Vec<f64>,
}

impl Curve {
    /// Area under the curve by the trapezoid rule.
    pub fn area(&self) -> f64 {
        trapezoid(&self.n_targeted, &self.value)
    }

    /// Area under the straight line from (0, 0) to the curve's last point
    /// (the random ranking).
    pub fn random_area(&self) -> f64 {
        let (x, y) = (self.n_targeted.last().copied(), self.value.last().copied());
        match (x, y) {
            (Some(x), Some(y)) => trapezoid(&[0.0, x], &[0.0, y]),
            _ => 0.0,
        }
    }
}

/// Areas of a model's curve next to the random and perfect curves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurveScore {
    /// Area under the model's curve.
    pub area: f64,
    /// Area under the random line.
    pub random_area: f64,
    /// Area under the perfect curve.
    pub perfect_area: f64,
    /// `(area − random) / (perfect − random)`: scikit-uplift's
    /// `uplift_auc_score` / `qini_auc_score`.
    pub normalized: f64,
}

impl CurveScore {
    /// Area between the model's curve and the random line (unnormalized).
    pub fn raw(&self) -> f64 {
        self.area - self.random_area
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Uplift,
    Qini,
}

/// Row indices ordered by score descending, ties by decreasing index.
fn order_desc(score: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..score.len()).collect();
    idx.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    idx.reverse();
    idx
}

fn curve(y: &[f64], t: &[usize], score: &[f64], kind: Kind) -> Curve {
    let order = order_desc(score);
    let n = order.len();
    let mut x_pts = vec![0.0];
    let mut v_pts = vec![0.0];
    let (mut nt, mut yt, mut yc) = (0.0f64, 0.0f64, 0.0f64);
    for (pos, &i) in order.iter().enumerate() {
        if t[i] == 1 {
            nt += 1.0;
            yt += y[i];
        } else {
            yc += y[i];
        }
        let last = pos + 1 == n || score[order[pos + 1]] != score[i];
        if last {
            let all = (pos + 1) as f64;
            let nc = all - nt;
            let v = match kind {
                Kind::Uplift => {
                    let rt = if nt != 0.0 { yt / nt } else { 0.0 };
                    let rc = if nc != 0.0 { yc / nc } else { 0.0 };
                    (rt - rc) * all
                }
                Kind::Qini => yt - yc * if nc != 0.0 { nt / nc } else { 0.0 },
            };
            x_pts.push(all);
            v_pts.push(v);
        }
    }
    Curve { n_targeted: x_pts, value: v_pts }
}

fn is_binary(y: &[f64]) -> bool {
    y.iter().all(|&v| v == 0.0 || v == 1.0)
}

fn perfect_score(y: &[f64], t: &[usize], kind: Kind) -> Vec<f64> {
    let tf = |i: usize| t[i] as f64;
    if !is_binary(y) {
        return (0..y.len()).map(|i| y[i] * (2.0 * tf(i) - 1.0)).collect();
    }
    match kind {
        Kind::Uplift => {
            let cr = (0..y.len()).filter(|&i| y[i] == 1.0 && t[i] == 0).count();
            let tn = (0..y.len()).filter(|&i| y[i] == 0.0 && t[i] == 1).count();
            (0..y.len())
                .map(|i| {
                    let summand = if cr > tn { y[i] } else { tf(i) };
                    2.0 * f64::from(u8::from(y[i] == tf(i))) + summand
                })
                .collect()
        }
        Kind::Qini => (0..y.len()).map(|i| y[i] * tf(i) - y[i] * (1.0 - tf(i))).collect(),
    }
}

/// The uplift curve of a ranking by `score` (outcome `y`, 0/1 `treatment`).
pub fn uplift_curve(y: &[f64], treatment: &[usize], score: &[f64]) -> Result<Curve> {
    check_inputs(y, treatment, score)?;
    Ok(curve(y, treatment, score, Kind::Uplift))
}

/// The Qini curve of a ranking by `score`.
pub fn qini_curve(y: &[f64], treatment: &[usize], score: &[f64]) -> Result<Curve> {
    check_inputs(y, treatment, score)?;
    Ok(curve(y, treatment, score, Kind::Qini))
}

/// The doubly robust gain curve of a ranking by `score`: after the top `k`
/// rows (ties kept together), the sum of their DR effect scores `D_i`
/// (`Γ_i(1) − Γ_i(0)`, cross-fitted). It estimates the total effect of
/// treating those rows, free of the selection that makes the logged-outcome
/// [`qini_curve`] mix targeting with who happened to be treated; its random
/// line ends at `Σ D_i`, n·ATE.
pub fn dr_gain_curve(effect_scores: &[f64], score: &[f64]) -> Result<Curve> {
    check_dr(effect_scores, score)?;
    Ok(dr_curve(effect_scores, score, false))
}

/// The targeting operator characteristic of a ranking by `score` on DR
/// effect scores (Yadlowsky et al.'s TOC, scaled by the rows targeted): after
/// the top `k` rows, `k·(mean of their D_i − mean of all D_i)`. Its random
/// line is 0; the area above it is `n²`·AUTOC-like.
pub fn dr_toc_curve(effect_scores: &[f64], score: &[f64]) -> Result<Curve> {
    check_dr(effect_scores, score)?;
    Ok(dr_curve(effect_scores, score, true))
}

fn check_dr(d: &[f64], score: &[f64]) -> Result<()> {
    if d.is_empty() || d.len() != score.len() {
        return Err(UpliftError::Shape {
            what: "DR effect scores and ranking score".into(),
            expected: "the same positive number of rows".into(),
            got: format!("{} and {}", d.len(), score.len()),
        });
    }
    for (what, v) in [("DR effect scores", d), ("ranking score", score)] {
        if let Some(row) = v.iter().position(|x| !x.is_finite()) {
            return Err(UpliftError::NonFinite { what: what.into(), row, value: v[row] });
        }
    }
    Ok(())
}

fn dr_curve(d: &[f64], score: &[f64], centered: bool) -> Curve {
    let n = d.len();
    let mean = d.iter().sum::<f64>() / n as f64;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]));
    let (mut x_pts, mut v_pts) = (vec![0.0], vec![0.0]);
    let mut sum = 0.0;
    for (pos, &i) in order.iter().enumerate() {
        sum += d[i];
        if pos + 1 == n || score[order[pos + 1]] != score[i] {
            let k = (pos + 1) as f64;
            x_pts.push(k);
            v_pts.push(if centered { sum - k * mean } else { sum });
        }
    }
    Curve { n_targeted: x_pts, value: v_pts }
}

/// The perfect uplift curve for these outcomes (see the module docs).
pub fn perfect_uplift_curve(y: &[f64], treatment: &[usize]) -> Result<Curve> {
    let s = perfect_score(y, treatment, Kind::Uplift);
    uplift_curve(y, treatment, &s)
}

/// The perfect Qini curve (negative effects allowed; see the module docs).
pub fn perfect_qini_curve(y: &[f64], treatment: &[usize]) -> Result<Curve> {
    let s = perfect_score(y, treatment, Kind::Qini);
    qini_curve(y, treatment, &s)
}

fn score_of(model: &Curve, perfect: &Curve) -> CurveScore {
    // scikit-uplift takes the random line to the *perfect* curve's end, which
    // is the same point as the model's end (both use all rows).
    let random_area = perfect.random_area();
    let area = model.area();
    let perfect_area = perfect.area();
    CurveScore {
        area,
        random_area,
        perfect_area,
        normalized: (area - random_area) / (perfect_area - random_area),
    }
}

/// Area under the uplift curve, raw and normalized (scikit-uplift's
/// `uplift_auc_score` is [`CurveScore::normalized`]).
pub fn uplift_auc(y: &[f64], treatment: &[usize], score: &[f64]) -> Result<CurveScore> {
    let model = uplift_curve(y, treatment, score)?;
    Ok(score_of(&model, &perfect_uplift_curve(y, treatment)?))
}

/// Area under the Qini curve, raw and normalized (scikit-uplift's
/// `qini_auc_score` with `negative_effect = True` is
/// [`CurveScore::normalized`]).
pub fn qini_auc(y: &[f64], treatment: &[usize], score: &[f64]) -> Result<CurveScore> {
    let model = qini_curve(y, treatment, score)?;
    Ok(score_of(&model, &perfect_qini_curve(y, treatment)?))
}

/// How many rows uplift@k looks at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TopK {
    /// A share of the rows in (0, 1); the count is `⌊share · n⌋`.
    Share(f64),
    /// An absolute number of rows.
    Count(usize),
}

/// Where uplift@k takes its top rows from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtKStrategy {
    /// The top k of all rows; treated and control means within them.
    Overall,
    /// The top k of the treated and, separately, of the control rows.
    ByGroup,
}

/// Treated mean minus control mean among the top-k rows by score
/// (scikit-uplift's `uplift_at_k`).
///
/// Errors when k is out of range or when the top k hold no treated or no
/// control row.
pub fn uplift_at_k(
    y: &[f64],
    treatment: &[usize],
    score: &[f64],
    k: TopK,
    strategy: AtKStrategy,
) -> Result<f64> {
    check_inputs(y, treatment, score)?;
    let n = y.len();
    let bad_k = |v: String| UpliftError::InvalidParameter {
        name: "k".into(),
        value: v,
        expected: format!("a share in (0, 1) or a count in 1..{n}"),
    };
    match k {
        TopK::Share(s) if !(s > 0.0 && s < 1.0) => return Err(bad_k(s.to_string())),
        TopK::Count(c) if c == 0 || c >= n => return Err(bad_k(c.to_string())),
        _ => {}
    }
    let count = |total: usize| match k {
        TopK::Share(s) => (total as f64 * s) as usize,
        TopK::Count(c) => c,
    };
    let order = order_desc(score);
    let mean_of = |rows: &mut dyn Iterator<Item = usize>, arm: usize| -> Result<f64> {
        let (mut s, mut m) = (0.0, 0usize);
        for i in rows {
            s += y[i];
            m += 1;
        }
        if m == 0 {
            let which = if arm == 1 { "treated" } else { "control" };
            return Err(UpliftError::NotEnoughSamples {
                what: format!("uplift@k: {which} rows among the top k (raise k)"),
                needed: 1,
                got: 0,
            });
        }
        Ok(s / m as f64)
    };
    let (treated, control) = match strategy {
        AtKStrategy::Overall => {
            let top = &order[..count(n)];
            let t = mean_of(&mut top.iter().copied().filter(|&i| treatment[i] == 1), 1)?;
            let c = mean_of(&mut top.iter().copied().filter(|&i| treatment[i] == 0), 0)?;
            (t, c)
        }
        AtKStrategy::ByGroup => {
            let nt = treatment.iter().filter(|&&a| a == 1).count();
            let (kt, kc) = (count(nt), count(n - nt));
            if kt > nt || kc > n - nt {
                return Err(bad_k(format!("{k:?} (more rows than a group holds)")));
            }
            let t = mean_of(&mut order.iter().copied().filter(|&i| treatment[i] == 1).take(kt), 1)?;
            let c = mean_of(&mut order.iter().copied().filter(|&i| treatment[i] == 0).take(kc), 0)?;
            (t, c)
        }
    };
    Ok(treated - control)
}

/// One bin of [`uplift_by_percentile`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PercentileBin {
    /// Bin index, 0 = highest scores.
    pub bin: usize,
    /// Treated rows in the bin.
    pub n_treated: usize,
    /// Control rows in the bin.
    pub n_control: usize,
    /// Mean outcome of the treated rows (NaN when none).
    pub response_treated: f64,
    /// Mean outcome of the control rows (NaN when none).
    pub response_control: f64,
    /// `response_treated − response_control`.
    pub uplift: f64,
    /// Standard error of the uplift, `√(s²_t/n_t + s²_c/n_c)` with sample
    /// variances (NaN when a group has fewer than two rows).
    pub uplift_se: f64,
}

/// Uplift in `bins` equal-count bins of the ranking (scikit-uplift's
/// `overall` strategy: rows sorted by score are split as `numpy.array_split`
/// does, the first `n mod bins` bins one row larger).
pub fn uplift_by_percentile(
    y: &[f64],
    treatment: &[usize],
    score: &[f64],
    bins: usize,
) -> Result<Vec<PercentileBin>> {
    check_inputs(y, treatment, score)?;
    let n = y.len();
    if bins == 0 || bins >= n {
        return Err(UpliftError::InvalidParameter {
            name: "bins".into(),
            value: bins.to_string(),
            expected: format!("between 1 and {} (fewer than the rows)", n - 1),
        });
    }
    let order = order_desc(score);
    let (base, extra) = (n / bins, n % bins);
    let mut start = 0;
    let mut out = Vec::with_capacity(bins);
    for b in 0..bins {
        let len = base + usize::from(b < extra);
        let rows = &order[start..start + len];
        start += len;
        let pick =
            |arm: usize| rows.iter().filter(|&&i| treatment[i] == arm).map(|&i| y[i]).collect::<Vec<_>>();
        let (yt, yc) = (pick(1), pick(0));
        let (mt, mc) = (tp_core::stats::mean(&yt), tp_core::stats::mean(&yc));
        let se = (tp_core::stats::variance(&yt) / yt.len() as f64
            + tp_core::stats::variance(&yc) / yc.len() as f64)
            .sqrt();
        out.push(PercentileBin {
            bin: b,
            n_treated: yt.len(),
            n_control: yc.len(),
            response_treated: mt,
            response_control: mc,
            uplift: mt - mc,
            uplift_se: se,
        });
    }
    Ok(out)
}

/// Trapezoid rule over points `(x, y)`.
fn trapezoid(x: &[f64], y: &[f64]) -> f64 {
    x.windows(2).zip(y.windows(2)).map(|(xs, ys)| (xs[1] - xs[0]) * (ys[1] + ys[0]) / 2.0).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dr_curves_sum_scores_along_the_ranking() {
        let d = [3.0, -1.0, 2.0, 0.0];
        let score = [0.9, 0.1, 0.9, 0.5];
        let g = dr_gain_curve(&d, &score).unwrap();
        // rows 0 and 2 tie at the top: one step of 2 rows
        assert_eq!(g.n_targeted, vec![0.0, 2.0, 3.0, 4.0]);
        assert_eq!(g.value, vec![0.0, 5.0, 5.0, 4.0]);
        let t = dr_toc_curve(&d, &score).unwrap();
        // mean 1: k·(mean of top k − 1)
        assert_eq!(t.value, vec![0.0, 3.0, 2.0, 0.0]);
        assert_eq!(t.random_area(), 0.0);
        assert!(dr_gain_curve(&d, &score[..3]).is_err());
        assert!(dr_toc_curve(&[f64::NAN, 1.0], &[1.0, 2.0]).unwrap_err().to_string().contains("row 0"));
    }

    #[test]
    fn ties_form_one_step() {
        let y = [1.0, 0.0, 1.0, 0.0];
        let t = [1, 0, 0, 1];
        let c = qini_curve(&y, &t, &[0.5, 0.5, 0.2, 0.1]).unwrap();
        assert_eq!(c.n_targeted, vec![0.0, 2.0, 3.0, 4.0]);
        // top 2: one treated responder, one control non-responder: 1 − 0·1/1
        assert_eq!(c.value[1], 1.0);
        // top 3: y_t = 1, y_c = 1, n_t = 1, n_c = 2 ⇒ 1 − 1·1/2
        assert_eq!(c.value[2], 0.5);
    }

    #[test]
    fn perfect_beats_reverse() {
        let y = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0];
        let t = [1, 1, 0, 0, 1, 0];
        let good: Vec<f64> = (0..6).map(|i| y[i] * (2.0 * t[i] as f64 - 1.0)).collect();
        let bad: Vec<f64> = good.iter().map(|v| -v).collect();
        let g = qini_auc(&y, &t, &good).unwrap();
        assert!((g.normalized - 1.0).abs() < 1e-12);
        assert!(qini_auc(&y, &t, &bad).unwrap().normalized < 0.0);
    }

    #[test]
    fn at_k_errors_name_the_problem() {
        let y = [1.0, 0.0, 1.0, 0.0];
        let t = [1, 1, 0, 0];
        let s = [4.0, 3.0, 2.0, 1.0];
        assert!(matches!(
            uplift_at_k(&y, &t, &s, TopK::Share(1.5), AtKStrategy::Overall),
            Err(UpliftError::InvalidParameter { .. })
        ));
        assert!(matches!(
            uplift_at_k(&y, &t, &s, TopK::Count(2), AtKStrategy::Overall),
            Err(UpliftError::NotEnoughSamples { .. })
        ));
        assert_eq!(uplift_at_k(&y, &t, &s, TopK::Count(1), AtKStrategy::ByGroup).unwrap(), 0.0);
    }

    #[test]
    fn percentile_bins_split_like_numpy() {
        let n = 11;
        let y: Vec<f64> = (0..n).map(|i| (i % 2) as f64).collect();
        let t: Vec<usize> = (0..n).map(|i| (i / 2) % 2).collect();
        let s: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let b = uplift_by_percentile(&y, &t, &s, 3).unwrap();
        let sizes: Vec<usize> = b.iter().map(|r| r.n_treated + r.n_control).collect();
        assert_eq!(sizes, vec![4, 4, 3]);
    }
}
