//! Finishing a state into profiles: shares, nested shares, means, shrinkage,
//! lift and the L3 behavior features.

use crate::error::Result;
use crate::spec::Catalog;
use crate::state::ProfileState;
use tp_core::{Column, Table};

/// Finished profiles: one row per customer, dense.
#[derive(Debug, Clone, PartialEq)]
pub struct Profiles {
    /// Customer ids, ascending.
    pub customer_ids: Vec<i64>,
    /// Shrunk shares, row-major `n × n_slots` (slot order of [`Catalog`]).
    pub shares: Vec<f64>,
    /// Shrunk numeric means, row-major `n × n_numerics`.
    pub means: Vec<f64>,
    /// Population share of each slot (pooled decayed weight).
    pub pop_shares: Vec<f64>,
    /// Population mean of each numeric attribute (pooled decayed weight).
    pub pop_means: Vec<f64>,
    /// Effective number of events `n = (Σ d w)² / Σ (d w)²` per customer.
    pub effective_n: Vec<f64>,
    /// L3 feature names (`l3.*`).
    pub l3_names: Vec<String>,
    /// L3 features, row-major `n × l3_names.len()`.
    pub l3: Vec<f64>,
    /// Output table of the profiles.
    table: Table,
}

/// Names of the L3 features, in output order.
pub const L3_FEATURES: [&str; 12] = [
    "l3.promo_share",
    "l3.gap_cv",
    "l3.mean_gap_days",
    "l3.basket_size",
    "l3.variety",
    "l3.recency_days",
    "l3.frequency",
    "l3.visits",
    "l3.monetary",
    "l3.total_spend",
    "l3.trend",
    "l3.effective_n",
];

impl Profiles {
    /// The wide output table: `customer_id`, then per categorical field and
    /// value `<layer>.<attribute>.<value>` (shrunk share), `….within` (nested
    /// share within the parent node, hierarchy levels below the top),
    /// `….lift` (shrunk share ÷ population share); per numeric attribute
    /// `<layer>.<name>` (shrunk weighted mean) and `<layer>.<name>.lift`;
    /// then the `l3.*` features ([`L3_FEATURES`]). Every value is finite.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        self.customer_ids.len()
    }

    /// True when there are no customers.
    pub fn is_empty(&self) -> bool {
        self.customer_ids.is_empty()
    }
}

fn ratio(a: f64, b: f64, default: f64) -> f64 {
    if b > 0.0 && (a / b).is_finite() { a / b } else { default }
}

/// Empirical-Bayes shrinkage: `(n·x + s·pop) / (n + s)`; `pop` when `n + s = 0`.
pub fn shrink(x: f64, n: f64, pop: f64, s: f64) -> f64 {
    if n + s > 0.0 { (n * x + s * pop) / (n + s) } else { pop }
}

impl ProfileState {
    /// Finishes the state into [`Profiles`] (see [`Profiles::table`] for the columns).
    ///
    /// Shares: `share_k = Σ d·w·[item in k] / Σ d·w` (clamped to `[0, 1]`
    /// when returns make sums negative). Shrinkage toward the population
    /// (pooled over customers): `share_shrunk = (n·share + s·pop) / (n + s)`
    /// with `n` the Kish effective number of events `(Σ d w)² / Σ (d w)²` and
    /// `s = shrinkage_strength` — a Beta/Dirichlet prior worth `s` events
    /// centered on the population mix; numeric means shrink the same way.
    /// Because the same `n` is used at every level, shrunk child shares
    /// still add up to the shrunk parent share, so nested shares
    /// `share(child) / share(parent)` are consistent.
    pub fn finish(&self, catalog: &Catalog) -> Result<Profiles> {
        self.check_catalog(catalog)?;
        let p = &self.params;
        let (ns, nn) = (catalog.n_slots, catalog.numerics.len());
        let n = self.customers.len();
        let mut tot_w = 0.0;
        let mut pop_shares = vec![0.0; ns];
        let mut pop_means = vec![0.0; nn];
        for c in self.customers.values() {
            tot_w += c.w;
            c.cat.for_each(|k, x| {
                if k < ns {
                    pop_shares[k] += x;
                }
            });
            pop_means.iter_mut().zip(&c.num).for_each(|(a, b)| *a += b);
        }
        pop_shares.iter_mut().for_each(|x| *x = ratio(*x, tot_w, 0.0).clamp(0.0, 1.0));
        pop_means.iter_mut().for_each(|x| *x = ratio(*x, tot_w, 0.0));
        let s = p.shrinkage_strength;
        let as_of = self.as_of();
        let ih = 1.0 / p.half_life_days;
        // variety: entropy over the finest level of the first hierarchy (else the first categorical field)
        let variety_field = match catalog.spec.hierarchies.first() {
            Some(h) => Some(h.levels.len() - 1),
            None => (!catalog.fields.is_empty()).then_some(0),
        };
        let mut ids = Vec::with_capacity(n);
        let mut shares = Vec::with_capacity(n * ns);
        let mut means = Vec::with_capacity(n * nn);
        let mut effective_n = Vec::with_capacity(n);
        let mut l3 = Vec::with_capacity(n * L3_FEATURES.len());
        for (&id, c) in &self.customers {
            ids.push(id);
            let neff = if c.w > 0.0 && c.w2 > 0.0 { (c.w * c.w / c.w2).max(0.0) } else { 0.0 };
            effective_n.push(neff);
            let row = shares.len();
            for &pop in &pop_shares {
                shares.push(shrink(ratio(0.0, c.w, pop).clamp(0.0, 1.0), neff, pop, s));
            }
            c.cat.for_each(|k, x| {
                if k < ns {
                    shares[row + k] =
                        shrink(ratio(x, c.w, pop_shares[k]).clamp(0.0, 1.0), neff, pop_shares[k], s);
                }
            });
            for (&x, &pop) in c.num.iter().zip(&pop_means) {
                means.push(shrink(ratio(x, c.w, pop), neff, pop, s));
            }
            // L3 behavior
            let gaps: Vec<f64> = c.visits.windows(2).map(|w| (w[1].0 - w[0].0) as f64).collect();
            let (mean_gap, gap_cv) = if gaps.is_empty() {
                (0.0, 0.0)
            } else {
                let m = gaps.iter().sum::<f64>() / gaps.len() as f64;
                let v = gaps.iter().map(|g| (g - m) * (g - m)).sum::<f64>() / gaps.len() as f64;
                (m, ratio(v.sqrt(), m, 0.0))
            };
            let dvisits: f64 = c.visits.iter().map(|&(d, _)| (-(as_of - d as f64) * ih).exp2()).sum();
            let variety = variety_field.map_or(0.0, |f| {
                let fl = &catalog.fields[f];
                let m = fl.labels.len();
                let vals: Vec<f64> = (0..m).map(|v| c.cat.get(fl.offset + v).max(0.0)).collect();
                let tot: f64 = vals.iter().sum();
                if m < 2 || tot <= 0.0 {
                    return 0.0;
                }
                let h: f64 = vals.iter().filter(|&&x| x > 0.0).map(|&x| -(x / tot) * (x / tot).ln()).sum();
                h / (m as f64).ln()
            });
            let tw = p.trend_window_days;
            let (mut recent, mut earlier) = (0.0, 0.0);
            for &(d, v) in &c.visits {
                let age = as_of - d as f64;
                if age < tw {
                    recent += v;
                } else if age < 2.0 * tw {
                    earlier += v;
                }
            }
            let (recent, earlier) = (recent.max(0.0), earlier.max(0.0));
            let trend = if recent + earlier > 0.0 { (recent - earlier) / (recent + earlier) } else { 0.0 };
            let row = [
                ratio(c.promo_lines, c.lines, 0.0),
                gap_cv,
                mean_gap,
                ratio(c.lines, dvisits, 0.0),
                variety,
                c.visits.last().map_or(0.0, |&(d, _)| as_of - d as f64),
                dvisits,
                c.visits.len() as f64,
                c.spend,
                c.total_spend,
                trend,
                neff,
            ];
            l3.extend(row.iter().map(|x| if x.is_finite() { *x } else { 0.0 }));
        }
        let table = build_table(
            catalog,
            p.nested_shares,
            p.lift,
            &ids,
            &shares,
            &means,
            &pop_shares,
            &pop_means,
            &l3,
        )?;
        Ok(Profiles {
            customer_ids: ids,
            shares,
            means,
            pop_shares,
            pop_means,
            effective_n,
            l3_names: L3_FEATURES.iter().map(|s| s.to_string()).collect(),
            l3,
            table,
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn build_table(
    catalog: &Catalog,
    nested: bool,
    lift: bool,
    ids: &[i64],
    shares: &[f64],
    means: &[f64],
    pop_shares: &[f64],
    pop_means: &[f64],
    l3: &[f64],
) -> Result<Table> {
    let n = ids.len();
    let (ns, nn, nl) = (catalog.n_slots, catalog.numerics.len(), L3_FEATURES.len());
    let mut cols = vec![Column::i64("customer_id", ids.to_vec())];
    let col = |f: &dyn Fn(usize) -> f64| (0..n).map(|i| fin(f(i))).collect::<Vec<f64>>();
    for fl in &catalog.fields {
        let pre = format!("{}.{}", fl.layer.prefix(), fl.name);
        for (v, label) in fl.labels.iter().enumerate() {
            let k = fl.offset + v;
            cols.push(Column::f64(format!("{pre}.{label}"), col(&|i| shares[i * ns + k])));
            if nested && let Some(ps) = fl.parent_slot[v] {
                let pop_nested = ratio(pop_shares[k], pop_shares[ps], 0.0);
                cols.push(Column::f64(
                    format!("{pre}.{label}.within"),
                    col(&|i| ratio(shares[i * ns + k], shares[i * ns + ps], pop_nested)),
                ));
            }
            if lift {
                cols.push(Column::f64(
                    format!("{pre}.{label}.lift"),
                    col(&|i| ratio(shares[i * ns + k], pop_shares[k], 1.0)),
                ));
            }
        }
    }
    for (j, (name, layer)) in catalog.numerics.iter().enumerate() {
        let pre = format!("{}.{}", layer.prefix(), name);
        cols.push(Column::f64(pre.clone(), col(&|i| means[i * nn + j])));
        if lift {
            let pm = pop_means[j];
            cols.push(Column::f64(
                format!("{pre}.lift"),
                col(&|i| if pm != 0.0 { means[i * nn + j] / pm } else { 1.0 }),
            ));
        }
    }
    for (j, name) in L3_FEATURES.iter().enumerate() {
        cols.push(Column::f64(*name, col(&|i| l3[i * nl + j])));
    }
    Ok(Table::new(cols)?)
}

fn fin(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinkage_moves_thin_histories_to_the_population() {
        assert_eq!(shrink(1.0, 0.0, 0.2, 5.0), 0.2);
        assert_eq!(shrink(1.0, 5.0, 0.2, 5.0), 0.6);
        assert_eq!(shrink(1.0, 3.0, 0.2, 0.0), 1.0);
        assert_eq!(shrink(1.0, 0.0, 0.2, 0.0), 0.2);
        assert!((shrink(1.0, 1e9, 0.2, 5.0) - 1.0).abs() < 1e-8);
    }
}
