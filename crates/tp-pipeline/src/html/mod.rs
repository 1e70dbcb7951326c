//! `report.html`: one self-contained page (inline SVG charts from plotters,
//! inline CSS, no scripts, no network) that a marketer can read top to
//! bottom — verdicts first, then segments, effects, the policy and its
//! price, the off-policy check and the A/B test that would confirm it.
//!
//! Every number comes from the same [`Outcome`] that `summary.json` is
//! written from.

mod charts;

use crate::steps::Outcome;
use crate::summary::{money, verdicts};
use anyhow::Result;
use std::fmt::Write as _;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn num(x: f64, digits: usize) -> String {
    if x.is_finite() { format!("{x:.digits$}") } else { "n/a".into() }
}

const STYLE: &str = "
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:820px;margin:24px auto;padding:0 16px;color:#222;line-height:1.45}
h1{font-size:26px;margin-bottom:4px}h2{font-size:20px;margin-top:36px;border-bottom:2px solid #0072b2;padding-bottom:4px}
h3{font-size:16px;margin-bottom:4px}.sub{color:#666;margin-top:0}
.verdicts{background:#f4f8fb;border-left:4px solid #0072b2;padding:8px 16px}.verdicts li{margin:6px 0}
.warn{background:#fff6e5;border-left-color:#e69f00}
table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}th,td{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f0f0f0}
pre{background:#f7f7f7;padding:10px;overflow-x:auto;font-size:13px}.note{color:#555;font-size:14px}
.chip{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:middle}
svg{max-width:100%;height:auto}
";

/// The page for `o`; `title` heads it and `context` (HTML-escaped) says what data it ran on.
pub fn render(o: &Outcome, title: &str, context: &str) -> Result<String> {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>",
        esc(title)
    );
    let _ = write!(h, "<h1>{}</h1><p class=\"sub\">{}</p>", esc(title), esc(context));
    verdict_section(&mut h, o);
    truth_section(&mut h, o);
    segment_sections(&mut h, o)?;
    overlap_section(&mut h, o)?;
    effect_sections(&mut h, o)?;
    policy_sections(&mut h, o)?;
    ope_section(&mut h, o);
    design_section(&mut h, o);
    let _ = write!(
        h,
        "<p class=\"note\">Made by tp in {:.1} s. Numbers match summary.json in the same folder.</p></body></html>",
        o.seconds
    );
    Ok(h)
}

fn verdict_section(h: &mut String, o: &Outcome) {
    let poor = o.uplift.diagnostics.overlap_share < 0.8 || o.uplift.diagnostics.ps_auc > 0.85;
    let _ = write!(h, "<h2>Verdicts</h2><ul class=\"verdicts{}\">", if poor { " warn" } else { "" });
    for v in verdicts(o) {
        let _ = write!(h, "<li>{}</li>", esc(&v));
    }
    h.push_str("</ul>");
}

fn truth_section(h: &mut String, o: &Outcome) {
    let Some(t) = &o.truth else { return };
    let _ = write!(
        h,
        "<h2>Scored against the simulation's truth</h2><p class=\"note\">The data are simulated, so the true effect of every customer is known: the true profit of each way of choosing whom to treat.</p>\
<table><tr><th>policy</th><th>true profit</th></tr>\
<tr><td>learned policy</td><td>{}</td></tr>{}\
<tr><td>oracle (treat iff the true effect clears break-even; treats {:.0}%)</td><td>{}</td></tr>\
<tr><td>treat everyone</td><td>{}</td></tr><tr><td>current practice</td><td>{}</td></tr></table>\
<p>The learned policy earns <b>{:.0}%</b> of the oracle's profit.</p>",
        money(t.policy_profit),
        t.tree_profit
            .map_or(String::new(), |p| format!("<tr><td>policy tree</td><td>{}</td></tr>", money(p))),
        100.0 * t.oracle_treated_share,
        money(t.oracle_profit),
        money(t.treat_all_profit),
        money(t.current_practice_profit),
        100.0 * t.policy_share_of_oracle
    );
}

/// Top-2 principal axes of the rows of `w` (power iteration on the k×k covariance).
fn principal_plane(w: &tp_core::faer::Mat<f64>) -> (Vec<(f64, f64)>, [f64; 2]) {
    let (n, k) = (w.nrows(), w.ncols());
    let mean: Vec<f64> = (0..k).map(|j| (0..n).map(|i| w[(i, j)]).sum::<f64>() / n.max(1) as f64).collect();
    let mut cov = vec![vec![0.0; k]; k];
    for i in 0..n {
        for a in 0..k {
            for b in 0..k {
                cov[a][b] += (w[(i, a)] - mean[a]) * (w[(i, b)] - mean[b]);
            }
        }
    }
    let total: f64 = (0..k).map(|a| cov[a][a]).sum::<f64>().max(f64::MIN_POSITIVE);
    let mut axes: Vec<Vec<f64>> = Vec::new();
    let mut shares = [0.0; 2];
    for (s, share) in shares.iter_mut().enumerate().take(k.min(2)) {
        let mut v: Vec<f64> = (0..k).map(|j| 1.0 + j as f64 * 0.1 + s as f64).collect();
        let mut lambda = 0.0;
        for _ in 0..200 {
            let mut nv: Vec<f64> = (0..k).map(|a| (0..k).map(|b| cov[a][b] * v[b]).sum()).collect();
            for u in &axes {
                let d: f64 = nv.iter().zip(u).map(|(x, y)| x * y).sum();
                nv.iter_mut().zip(u).for_each(|(x, y)| *x -= d * y);
            }
            let norm = nv.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm == 0.0 {
                break;
            }
            lambda = norm;
            v = nv.into_iter().map(|x| x / norm).collect();
        }
        *share = lambda / total;
        axes.push(v);
    }
    let proj =
        |i: usize, a: usize| axes.get(a).map_or(0.0, |u| (0..k).map(|j| (w[(i, j)] - mean[j]) * u[j]).sum());
    ((0..n).map(|i| (proj(i, 0), proj(i, 1))).collect(), shares)
}

fn segment_sections(h: &mut String, o: &Outcome) -> Result<()> {
    let s = &o.segments;
    let r = s.report();
    let _ = write!(
        h,
        "<h2>Segments</h2><p>{} customers in {} segments, from {} NMF factors of {} behavior features \
(explained variance {:.0}%, silhouette {:.2}{}).</p>",
        o.n,
        s.k_clusters,
        s.k_factors,
        o.segment_features.len(),
        100.0 * r.nmf.explained_variance,
        r.silhouette,
        s.stability.as_ref().map_or(String::new(), |st| format!(", bootstrap stability ARI {:.2}", st.mean))
    );
    // map in factor space (at most 2,000 points, every k-th row)
    let (plane, shares) = principal_plane(&s.w);
    let step = o.n.div_ceil(2000).max(1);
    let idx: Vec<usize> = (0..o.n).step_by(step).collect();
    let pts: Vec<(f64, f64)> = idx.iter().map(|&i| plane[i]).collect();
    let labels: Vec<usize> = idx.iter().map(|&i| s.labels[i]).collect();
    let _ = write!(h, "<h3>Segment map in factor space</h3>");
    h.push_str(&charts::segment_map(
        &pts,
        &labels,
        (
            &format!("factor axis 1 ({:.0}% of factor variance)", 100.0 * shares[0]),
            &format!("factor axis 2 ({:.0}%)", 100.0 * shares[1]),
        ),
    )?);
    h.push_str("<p class=\"note\">");
    for p in &s.profiles {
        let _ = write!(
            h,
            "<span class=\"chip\" style=\"background:{}\"></span>segment {} &nbsp; ",
            charts::segment_hex(p.segment),
            p.segment
        );
    }
    h.push_str("</p>");
    // profiles table + z-score heatmap
    let _ = write!(
        h,
        "<h3>Segment profiles</h3><table><tr><th>segment</th><th>customers</th><th>share</th><th>value share</th></tr>"
    );
    for p in &s.profiles {
        let _ = write!(
            h,
            "<tr><td><span class=\"chip\" style=\"background:{}\"></span>{}</td><td>{}</td><td>{:.1}%</td><td>{}</td></tr>",
            charts::segment_hex(p.segment),
            p.segment,
            p.size,
            100.0 * p.share,
            p.value_share.map_or("–".into(), |v| format!("{:.1}%", 100.0 * v))
        );
    }
    h.push_str("</table><p class=\"note\">Each cell: how far the segment's mean sits from all customers' mean, in standard deviations (z-score; red above, blue below).</p>");
    let rows: Vec<String> = s.profiles.iter().map(|p| format!("segment {}", p.segment)).collect();
    let z: Vec<Vec<f64>> = s.profiles.iter().map(|p| p.z_scores.clone()).collect();
    h.push_str(&charts::heatmap(&rows, &o.segment_features, &z, 1.5, false)?);
    // NMF loadings, each factor's row normalized to shares
    let _ = write!(
        h,
        "<h3>NMF loadings</h3><p class=\"note\">Share of each factor's loading mass on each feature: what the factor is made of.</p>"
    );
    let rows: Vec<String> = (0..s.k_factors).map(|t| format!("factor {}", t + 1)).collect();
    let loadings: Vec<Vec<f64>> = (0..s.k_factors)
        .map(|t| {
            let total: f64 = (0..s.h.ncols()).map(|j| s.h[(t, j)]).sum::<f64>().max(f64::MIN_POSITIVE);
            (0..s.h.ncols()).map(|j| s.h[(t, j)] / total).collect()
        })
        .collect();
    let cap = loadings.iter().flatten().copied().fold(0.0, f64::max).max(1e-9);
    h.push_str(&charts::heatmap(&rows, &o.segment_features, &loadings, cap, true)?);
    Ok(())
}

fn overlap_section(h: &mut String, o: &Outcome) -> Result<()> {
    let d = &o.uplift.diagnostics;
    let _ = write!(
        h,
        "<h2>Can the data tell the effect? Overlap and balance</h2><p>Propensity AUC <b>{:.3}</b> (0.5 = a coin flip, as in an experiment; near 1 = treated and control customers barely overlap); \
<b>{:.0}%</b> of customers have a propensity in [{}, {}]. Propensities were {}.</p>",
        d.ps_auc,
        100.0 * d.overlap_share,
        d.band.0,
        d.band.1,
        if d.known_propensity { "logged with the campaign" } else { "estimated (cross-fitted)" }
    );
    if let Some(hist) = d.histograms.first() {
        let _ = write!(h, "<h3>Propensity histogram ({} vs {})</h3>", esc(&hist.arm), esc(&o.arms[0]));
        h.push_str(&charts::overlap_histogram(&hist.edges, &hist.treated, &hist.control, d.band)?);
    }
    let _ = write!(
        h,
        "<h3>Covariate balance</h3><p class=\"note\">Standardized mean difference between arms, raw and after inverse-propensity weighting; |SMD| &lt; 0.1 counts as balanced ({} of {} after weighting).</p>\
<table><tr><th>covariate</th><th>arm</th><th>SMD raw</th><th>SMD weighted</th></tr>",
        d.balanced, d.n_covariates
    );
    let mut rows: Vec<&tp_uplift::diagnostics::Balance> = d.balance.iter().collect();
    rows.sort_by(|a, b| b.smd_raw.abs().total_cmp(&a.smd_raw.abs()));
    for b in rows.iter().take(15) {
        let flag = if b.smd_weighted.abs() >= 0.1 { " style=\"color:#c00\"" } else { "" };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td{flag}>{}</td></tr>",
            esc(&b.covariate),
            esc(&b.arm),
            num(b.smd_raw, 3),
            num(b.smd_weighted, 3)
        );
    }
    h.push_str("</table>");
    if d.balance.len() > 15 {
        let _ = write!(
            h,
            "<p class=\"note\">The 15 least balanced of {} rows, by raw |SMD| (all in summary.json's diagnostics; \
every covariate used is listed below).</p>",
            d.balance.len()
        );
    }
    covariates_used(h, o);
    Ok(())
}

/// Every covariate the effect model was fitted on, as summary.json's `uplift.covariates` lists them.
fn covariates_used(h: &mut String, o: &Outcome) {
    let used: Vec<String> = o.uplift.summary["covariates"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str())
        .map(esc)
        .collect();
    let _ = write!(
        h,
        "<h3>Covariates used</h3><p class=\"note\">The effect model was fitted on these {} covariates \
(summary.json's uplift.covariates), in this order:</p><p id=\"covariates-used\">{}</p>",
        used.len(),
        used.iter().map(|c| format!("<code>{c}</code>")).collect::<Vec<_>>().join(", ")
    );
}

fn effect_sections(h: &mut String, o: &Outcome) -> Result<()> {
    use serde_json::Value;
    let u = &o.uplift.summary;
    let _ = write!(
        h,
        "<h2>Effects</h2><p>Average effect of {} on the outcome: <b>{}</b> ± {} (SE), by {}.</p>",
        esc(o.arms.get(1).map_or("", String::as_str)),
        num(u["ate"].as_f64().unwrap_or(f64::NAN), 2),
        num(u["ate_se"].as_f64().unwrap_or(f64::NAN), 2),
        esc(u["method"].as_str().unwrap_or("a meta-learner"))
    );
    let be = o.breakeven[0];
    let _ = write!(
        h,
        "<h3>Estimated effect (CATE) by segment</h3><p class=\"note\">Boxes: the middle half of customers' estimated effects; whiskers: 10th to 90th percentile; black: median. Red line: break-even effect {be:.2} — customers above it pay for their treatment.</p>"
    );
    let k = o.segments.k_clusters;
    let stats: Vec<(usize, [f64; 5])> = (0..k)
        .filter_map(|s| {
            let v: Vec<f64> =
                (0..o.n).filter(|&i| o.segments.labels[i] == s).map(|i| o.uplift.cate.tau[(i, 0)]).collect();
            (!v.is_empty()).then(|| {
                let q = tp_core::stats::quantiles(&v, &[0.1, 0.25, 0.5, 0.75, 0.9]);
                (s, [q[0], q[1], q[2], q[3], q[4]])
            })
        })
        .collect();
    h.push_str(&charts::boxes(&stats, be, "estimated effect τ̂")?);
    for w in u["interval_warnings"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        let _ = write!(h, "<p class=\"note\">⚠ {}</p>", esc(w));
    }
    for g in &o.gates {
        let _ = write!(
            h,
            "<p class=\"note\">Group average effect of {} by segment (doubly robust scores; ± 1.96 SE):</p><table><tr><th>segment</th><th>customers</th><th>GATE</th><th>95% interval</th></tr>",
            esc(&g.arm)
        );
        for r in &g.by_segment {
            let _ = write!(
                h,
                "<tr><td><span class=\"chip\" style=\"background:{}\"></span>{}</td><td>{}</td><td>{}</td><td>{} to {}</td></tr>",
                charts::segment_hex(r.segment),
                r.segment,
                r.n,
                num(r.estimate, 2),
                num(r.estimate - 1.96 * r.se, 2),
                num(r.estimate + 1.96 * r.se, 2)
            );
        }
        h.push_str("</table>");
    }
    let _ = write!(
        h,
        "<h3>Gain curves of the ranking</h3><p class=\"note\">Customers ranked by estimated effect, best first. Both curves rest on the cross-fitted doubly robust effect scores rather than on the logged outcomes, which under confounded assignment mix ranking quality with who happened to be treated. The Qini (gain) curve adds up the estimated effects of the top of the ranking; a curve above the dashed random line ranks better than chance. The TOC curve shows how much larger the top's average effect is than everyone's, times the customers targeted; above zero means the ranking finds customers with larger effects.</p>"
    );
    for (name, c) in [("Qini (DR gain)", &o.qini), ("TOC (DR)", &o.uplift_curve)] {
        let n = c.n_targeted.last().copied().unwrap_or(1.0).max(1.0);
        // at most ~500 points (every k-th, plus the last): the curve's shape, a small file
        let every = c.value.len().div_ceil(500).max(1);
        let pts: Vec<(f64, f64)> = c
            .n_targeted
            .iter()
            .zip(&c.value)
            .enumerate()
            .filter(|(i, _)| i % every == 0 || *i + 1 == c.value.len())
            .map(|(_, (x, y))| (x / n, *y))
            .collect();
        let last = pts.last().copied().unwrap_or((1.0, 0.0));
        h.push_str(&charts::lines(&charts::Lines {
            series: vec![
                (format!("{name} curve of τ̂"), pts, charts::color(0), false),
                ("random".into(), vec![(0.0, 0.0), last], charts::color(7), true),
            ],
            band: None,
            mark: None,
            axes: ("share of customers targeted", name),
            height: 280,
        })?);
    }
    Ok(())
}

fn policy_sections(h: &mut String, o: &Outcome) -> Result<()> {
    let r = &o.plan.report;
    match &o.selection {
        Some(sel) => {
            let v = &sel.profit_oof;
            let _ = write!(
                h,
                "<h2>The policy: whom to treat</h2><p>Shipped: <b>{}</b> (break-even effect {}). It treats <b>{:.1}%</b> of customers and spends {}. \
Priced out of fold — each customer by a policy learned and chosen without them — it is estimated to earn <b>{}</b>, {:.0}% interval {} to {}.</p>\
<p class=\"note\">Why: {}. Priced on the customers it was learned from it would show {} ± {}: that figure is optimistic and is not the one to plan with.</p>",
                esc(sel.chosen.name()),
                o.breakeven.iter().map(|b| num(*b, 2)).collect::<Vec<_>>().join(", "),
                100.0 * r.treated_share,
                money(r.spend),
                money(v.estimate),
                100.0 * v.level,
                money(v.lo),
                money(v.hi),
                esc(&sel.reason),
                money(sel.profit_in_sample.estimate),
                money(sel.profit_in_sample.se)
            );
            candidates_table(h, o, sel)?;
        }
        None => {
            let _ = write!(
                h,
                "<h2>The policy: whom to treat</h2><p>Rule: <b>{}</b> (break-even effect {}). \
It treats <b>{:.1}%</b> of customers, spends {} and is estimated to earn <b>{}</b> ± {} (ROI {:.2}) on the customers it was chosen for (in-sample: optimistic).</p>",
                esc(&r.rule),
                o.breakeven.iter().map(|b| num(*b, 2)).collect::<Vec<_>>().join(", "),
                100.0 * r.treated_share,
                money(r.spend),
                money(r.expected_profit),
                money(r.expected_profit_se),
                r.roi
            );
        }
    }
    let pts: Vec<(f64, f64)> = r.curve.iter().map(|p| (p[0], p[1])).collect();
    let lo: Vec<(f64, f64)> = r.curve.iter().zip(&r.curve_se).map(|(p, s)| (p[0], p[1] - 1.96 * s)).collect();
    let hi: Vec<(f64, f64)> = r.curve.iter().zip(&r.curve_se).map(|(p, s)| (p[0], p[1] + 1.96 * s)).collect();
    let _ = write!(
        h,
        "<h3>Profit and ROI over the share targeted</h3><p class=\"note\">Customers ranked by estimated net value; the band is ± 1.96 SE; the red dot is the most profitable share.</p>"
    );
    h.push_str(&charts::lines(&charts::Lines {
        series: vec![("estimated profit".into(), pts, charts::color(0), false)],
        band: Some((&lo, &hi)),
        mark: Some((
            (r.argmax.share, r.argmax.profit),
            format!(" optimum: {:.0}%, {}", 100.0 * r.argmax.share, money(r.argmax.profit)),
        )),
        axes: ("share of customers targeted", "profit"),
        height: 320,
    })?);
    let roi: Vec<(f64, f64)> = r
        .curve
        .iter()
        .zip(&r.curve_spend)
        .filter(|(_, s)| **s > 0.0)
        .map(|(p, s)| (p[0], p[1] / s))
        .collect();
    if !roi.is_empty() {
        h.push_str(&charts::lines(&charts::Lines {
            series: vec![("ROI (profit / spend)".into(), roi, charts::color(2), false)],
            band: None,
            mark: None,
            axes: ("share of customers targeted", "ROI"),
            height: 240,
        })?);
    }
    let mut rows = format!(
        "<table><tr><th>choice</th><th>share treated</th><th>estimated profit</th><th>± SE</th></tr><tr><td>the policy</td><td>{:.1}%</td><td>{}</td><td>{}</td></tr>",
        100.0 * r.treated_share,
        money(r.expected_profit),
        money(r.expected_profit_se)
    );
    for (name, m) in [
        ("most profitable share", Some(&r.argmax)),
        ("treat everyone", Some(&r.treat_all)),
        ("treat nobody", Some(&r.treat_none)),
        ("current practice", r.current_practice.as_ref()),
    ] {
        if let Some(m) = m {
            let _ = write!(
                rows,
                "<tr><td>{name}</td><td>{:.1}%</td><td>{}</td><td>{}</td></tr>",
                100.0 * m.share,
                money(m.profit),
                money(m.se)
            );
        }
    }
    rows.push_str("</table>");
    h.push_str(&rows);
    if let Some(t) = o.tree_plan.as_ref().and_then(|p| p.report.tree.as_ref()) {
        // the tree prints arm indices; show the arms' names
        let mut text = t.text.clone();
        for (i, label) in o.arms.iter().enumerate() {
            text = text.replace(&format!("arm {i} ("), &format!("{label} ("));
        }
        let _ = write!(
            h,
            "<h3>Policy tree</h3><p class=\"note\">A depth-limited rule anyone can apply, fit on the doubly robust scores. Estimated profit {} ± {} on the customers it was fit on{} (the unrestricted rule: {}){}.</p><pre>{}</pre>",
            money(t.profit),
            money(t.profit_se),
            t.cross_fit_profit
                .map_or(String::new(), |c| format!("; {} out of fold, the fairer figure", money(c))),
            money(t.threshold_profit),
            o.truth
                .as_ref()
                .and_then(|tr| tr.tree_profit)
                .map_or(String::new(), |p| format!("; true profit {}", money(p))),
            esc(&text)
        );
    }
    Ok(())
}

/// The candidate policies with their held-out profits, as a table and an interval chart.
/// One sentence on the score the candidates decide on.
fn score_note(s: &crate::policy::ScoreSummary) -> String {
    let which = match s.chosen {
        "linear" => "the cross-fitted linear projection of τ̂ on the uplift covariates",
        _ => "τ̂ as estimated",
    };
    format!(
        "They decide on {which} (<code>policy.score = \"{}\"</code>; R-loss of τ̂ {:.1}, of the projection {:.1} ± {:.1}).",
        s.mode, s.r_loss_raw, s.r_loss_linear, s.r_loss_diff_se
    )
}

fn candidates_table(h: &mut String, o: &Outcome, sel: &tp_policy::Selection) -> Result<()> {
    let level = 100.0 * sel.profit_oof.level;
    let truth = o.truth.as_ref().map(|t| &t.candidates);
    let _ = write!(
        h,
        "<h3>Candidate policies, priced out of fold</h3><p class=\"note\">Each candidate is learned on four fifths of the customers and assigns the rest; the held-out customers' doubly robust scores price it. Intervals are {level:.0}%; \"vs shipped\" is the paired difference from the shipped policy. Simpler candidates come first; one within <code>policy.margin_se</code> paired SEs of the best is preferred. {score}</p>\
<table><tr><th>candidate</th><th>share treated</th><th>held-out profit</th><th>interval</th><th>vs shipped</th>{}</tr>",
        if truth.is_some_and(|t| !t.is_empty()) { "<th>true profit (refit on all)</th>" } else { "" },
        score = score_note(&o.score),
    );
    for c in &sel.candidates {
        let shipped = c.name == sel.chosen.name();
        let t = truth
            .and_then(|t| t.iter().find(|x| x.name == c.name))
            .map_or(String::new(), |x| format!("<td>{}</td>", money(x.profit)));
        let _ = write!(
            h,
            "<tr><td>{}{}{}{}</td><td>{:.1}%</td><td>{}</td><td>{} to {}</td><td>{}</td>{}</tr>",
            if shipped { "<b>" } else { "" },
            esc(&c.name),
            c.rule.as_deref().map_or(String::new(), |r| format!(": {}", esc(r))),
            if shipped {
                "</b> (shipped)"
            } else if c.eligible {
                ""
            } else {
                " (reference)"
            },
            100.0 * c.share_treated,
            money(c.profit),
            money(c.lo),
            money(c.hi),
            if shipped {
                "–".to_string()
            } else {
                format!("{} ± {}", money(c.vs_chosen), money(c.vs_chosen_se))
            },
            t
        );
    }
    h.push_str("</table>");
    let stats: Vec<(String, [f64; 3])> =
        sel.candidates.iter().map(|c| (c.name.clone(), [c.lo, c.profit, c.hi])).collect();
    h.push_str(&charts::intervals(&stats, "held-out profit")?);
    Ok(())
}

fn ope_section(h: &mut String, o: &Outcome) {
    let level = 100.0 * (1.0 - o.ope.alpha);
    let _ = write!(
        h,
        "<h2>Off-policy check</h2><p class=\"note\">The policy's average outcome per customer, estimated from the logged campaign by several estimators ({level:.0}% intervals). Effective sample size {:.0} ({:.0}% of the log), largest weight {:.1}.</p>\
<table><tr><th>estimator</th><th>value</th><th>SE</th><th>interval</th></tr>",
        o.ope.diagnostics.ess,
        100.0 * o.ope.diagnostics.ess_share,
        o.ope.diagnostics.max_weight
    );
    for (name, e) in &o.ope.estimates {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} to {}</td></tr>",
            esc(name),
            num(e.value, 2),
            num(e.se, 2),
            num(e.ci_low, 2),
            num(e.ci_high, 2)
        );
    }
    h.push_str("</table>");
    let _ = write!(
        h,
        "<p class=\"note\">The policy against the alternatives, by the doubly robust estimator on the same customers (difference in average outcome per customer):</p><table><tr><th>vs</th><th>policy</th><th>alternative</th><th>difference</th><th>interval</th></tr>"
    );
    for c in &o.comparisons {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} to {}</td></tr>",
            esc(&c.baseline),
            num(c.policy_value, 2),
            num(c.baseline_value, 2),
            num(c.difference, 2),
            num(c.ci_low, 2),
            num(c.ci_high, 2)
        );
    }
    h.push_str("</table>");
    for w in &o.ope.diagnostics.warnings {
        let _ = write!(h, "<p class=\"note\">⚠ {}</p>", esc(w));
    }
}

fn design_section(h: &mut String, o: &Outcome) {
    let d = &o.design;
    let _ = write!(
        h,
        "<h2>The A/B test that would confirm it</h2><p>Randomize the customers the policy picks: <b>{}</b> treated and <b>{}</b> control ({} in all) detect an effect of {} on the outcome \
(the break-even uplift unless configured) with the configured power, given the outcome's spread among targeted customers (SD {}).</p>",
        d.n_treated,
        d.n_control,
        d.n_total,
        num(d.mde, 2),
        num(o.design_sd, 1)
    );
}
