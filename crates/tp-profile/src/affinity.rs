//! Affinity (customer × attribute value, customer × item) and opportunities.
//!
//! **Feature space.** Every categorical slot (one-hot) and numeric attribute
//! is a feature `j`. A customer's vector is its shrunk profile (shares and
//! means), an item's vector its attribute values. Both are centered on the
//! population profile `pop_j` and scaled by the spread of the feature over
//! catalog items `σ_j`: `z_j = (x_j − pop_j) / σ_j`. Centering makes the
//! similarity about *how the customer differs from the average customer*.
//!
//! **Affinity** of customer `c` to an attribute value `v` (a categorical value,
//! or a 0/1 numeric tag being 1) is the cosine between `z_c` and the centroid
//! `z̄_v` of the items carrying `v`, computed *leaving out `v`'s own attribute*
//! (the whole hierarchy for hierarchy levels): it says whether the customer
//! buys like the buyers of `v` through the *other* attributes, whatever
//! they buy of `v` itself. Customer × item affinity is the cosine between
//! `z_c` and `z_item` over all features.
//!
//! **Opportunity score** `= max(affinity, 0) · max(0, 1 − share_c(v) / pop(v))`
//! in `[0, 1]`: high when the customer resembles `v`'s buyers but buys less
//! of `v` than the average customer. The explanation lists the features with
//! the largest positive terms `z_c,j · z̄_v,j / (‖z_c‖ ‖z̄_v‖)` of the cosine.

use crate::error::Result;
use crate::finish::Profiles;
use crate::spec::{AttrKind, Catalog, Layer};
use rayon::prelude::*;
use tp_core::{Column, Table};

/// One ranked opportunity of a customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Opportunity {
    /// Customer.
    pub customer_id: i64,
    /// Rank (1 = best).
    pub rank: usize,
    /// Layer of the attribute.
    pub layer: Layer,
    /// Attribute name.
    pub attribute: String,
    /// Value label (`1` for a 0/1 tag).
    pub value: String,
    /// Opportunity score.
    pub score: f64,
    /// Leave-attribute-out cosine affinity.
    pub affinity: f64,
    /// The customer's shrunk share of the value.
    pub share: f64,
    /// The population share.
    pub pop_share: f64,
    /// Up to three (feature, contribution to the cosine) pairs, largest first;
    /// the feature name is prefixed `+` when the customer is above the
    /// population on it, `-` when below (a positive contribution then means
    /// the value's items are below the population too).
    pub drivers: Vec<(String, f64)>,
}

struct Space {
    names: Vec<String>,
    pop: Vec<f64>,
    inv_sd: Vec<f64>,
    /// Feature group (exclusion unit) of each feature.
    group: Vec<usize>,
}

struct Candidate {
    layer: Layer,
    attribute: String,
    value: String,
    /// Feature index holding the realized share.
    feature: usize,
    centroid: Vec<f64>,
}

fn space(p: &Profiles, cat: &Catalog) -> Space {
    let (ns, nn) = (cat.n_slots, cat.numerics.len());
    let nf = cat.fields.len();
    let m = ns + nn;
    let names = cat.layout();
    let mut pop = p.pop_shares.clone();
    pop.extend_from_slice(&p.pop_means);
    let ni = cat.n_items().max(1) as f64;
    let mut mean = vec![0.0; m];
    let mut sq = vec![0.0; m];
    for i in 0..cat.n_items() {
        for f in 0..nf {
            mean[cat.item_slots[i * nf + f] as usize] += 1.0;
            sq[cat.item_slots[i * nf + f] as usize] += 1.0;
        }
        for j in 0..nn {
            let x = cat.item_nums[i * nn + j];
            mean[ns + j] += x;
            sq[ns + j] += x * x;
        }
    }
    let inv_sd = (0..m)
        .map(|j| {
            let mu = mean[j] / ni;
            let v = (sq[j] / ni - mu * mu).max(0.0);
            if v > 1e-24 { 1.0 / v.sqrt() } else { 0.0 }
        })
        .collect();
    let root = |mut f: usize| {
        while let Some(q) = cat.fields[f].parent {
            f = q;
        }
        f
    };
    let mut group = vec![0; m];
    for (f, fl) in cat.fields.iter().enumerate() {
        for v in 0..fl.labels.len() {
            group[fl.offset + v] = root(f);
        }
    }
    for j in 0..nn {
        group[ns + j] = nf + j;
    }
    Space { names, pop, inv_sd, group }
}

fn item_z(cat: &Catalog, s: &Space, i: usize, out: &mut [f64]) {
    let (ns, nn, nf) = (cat.n_slots, cat.numerics.len(), cat.fields.len());
    for ((o, p), sd) in out[..ns].iter_mut().zip(&s.pop).zip(&s.inv_sd) {
        *o = -p * sd;
    }
    for f in 0..nf {
        let k = cat.item_slots[i * nf + f] as usize;
        out[k] = (1.0 - s.pop[k]) * s.inv_sd[k];
    }
    for j in 0..nn {
        out[ns + j] = (cat.item_nums[i * nn + j] - s.pop[ns + j]) * s.inv_sd[ns + j];
    }
}

fn customer_z(p: &Profiles, cat: &Catalog, s: &Space, c: usize) -> Vec<f64> {
    let (ns, nn) = (cat.n_slots, cat.numerics.len());
    let x = p.shares[c * ns..(c + 1) * ns].iter().chain(&p.means[c * nn..(c + 1) * nn]);
    x.enumerate().map(|(j, &v)| (v - s.pop[j]) * s.inv_sd[j]).collect()
}

fn candidates(cat: &Catalog, s: &Space) -> Vec<Candidate> {
    let (ns, nn) = (cat.n_slots, cat.numerics.len());
    let m = ns + nn;
    let mut sums: Vec<Vec<f64>> = vec![vec![0.0; m]; m];
    let mut counts = vec![0usize; m];
    let mut z = vec![0.0; m];
    let nf = cat.fields.len();
    let binary: Vec<bool> =
        (0..nn).map(|j| (0..cat.n_items()).all(|i| matches!(cat.item_nums[i * nn + j], 0.0 | 1.0))).collect();
    for i in 0..cat.n_items() {
        item_z(cat, s, i, &mut z);
        let mut owners: Vec<usize> = (0..nf).map(|f| cat.item_slots[i * nf + f] as usize).collect();
        owners.extend((0..nn).filter(|&j| binary[j] && cat.item_nums[i * nn + j] == 1.0).map(|j| ns + j));
        for k in owners {
            counts[k] += 1;
            sums[k].iter_mut().zip(&z).for_each(|(a, b)| *a += b);
        }
    }
    let mut out = Vec::new();
    for (f, fl) in cat.fields.iter().enumerate() {
        let _ = f;
        for (v, label) in fl.labels.iter().enumerate() {
            let k = fl.offset + v;
            if counts[k] > 0 {
                out.push(Candidate {
                    layer: fl.layer,
                    attribute: fl.name.clone(),
                    value: label.clone(),
                    feature: k,
                    centroid: sums[k].iter().map(|x| x / counts[k] as f64).collect(),
                });
            }
        }
    }
    for (j, (name, layer)) in cat.numerics.iter().enumerate() {
        let k = ns + j;
        if binary[j]
            && counts[k] > 0
            && cat.spec.attributes.iter().any(|a| a.name == *name && a.kind == AttrKind::Numeric)
        {
            out.push(Candidate {
                layer: *layer,
                attribute: name.clone(),
                value: "1".into(),
                feature: k,
                centroid: sums[k].iter().map(|x| x / counts[k] as f64).collect(),
            });
        }
    }
    out
}

/// Leave-group-out cosine.
fn cosine(zc: &[f64], cen: &[f64], group: &[usize], skip: usize) -> f64 {
    let (mut dot, mut a, mut b) = (0.0, 0.0, 0.0);
    for ((&x, &y), &g) in zc.iter().zip(cen).zip(group) {
        if g != skip {
            dot += x * y;
            a += x * x;
            b += y * y;
        }
    }
    let norm = (a * b).sqrt();
    if norm > 0.0 { dot / norm } else { 0.0 }
}

/// Leave-group-out cosine with per-feature terms.
fn cosine_terms(zc: &[f64], cen: &[f64], group: &[usize], skip: usize, terms: &mut Vec<f64>) -> f64 {
    let (mut dot, mut a, mut b) = (0.0, 0.0, 0.0);
    terms.clear();
    for j in 0..zc.len() {
        if group[j] == skip {
            terms.push(0.0);
            continue;
        }
        let t = zc[j] * cen[j];
        terms.push(t);
        dot += t;
        a += zc[j] * zc[j];
        b += cen[j] * cen[j];
    }
    let norm = (a * b).sqrt();
    if norm > 0.0 {
        terms.iter_mut().for_each(|t| *t /= norm);
        dot / norm
    } else {
        0.0
    }
}

/// Customer × attribute-value affinity table: `customer_id`, then one column
/// `aff.<layer>.<attribute>.<value>` per candidate value (categorical values
/// and 0/1 tags, the latter with value `1`), in `[-1, 1]`.
pub fn affinity(profiles: &Profiles, catalog: &Catalog) -> Result<Table> {
    let s = space(profiles, catalog);
    let cands = candidates(catalog, &s);
    let n = profiles.len();
    let rows: Vec<Vec<f64>> = (0..n)
        .into_par_iter()
        .map(|c| {
            let zc = customer_z(profiles, catalog, &s, c);
            cands.iter().map(|k| cosine(&zc, &k.centroid, &s.group, s.group[k.feature])).collect()
        })
        .collect();
    let mut cols = vec![Column::i64("customer_id", profiles.customer_ids.clone())];
    for (k, cand) in cands.iter().enumerate() {
        cols.push(Column::f64(
            format!("aff.{}.{}.{}", cand.layer.prefix(), cand.attribute, cand.value),
            rows.iter().map(|r| r[k]).collect(),
        ));
    }
    Ok(Table::new(cols)?)
}

/// The `top` items of highest cosine affinity per customer: long table
/// `customer_id, rank, item_id, affinity`.
pub fn item_affinity(profiles: &Profiles, catalog: &Catalog, top: usize) -> Result<Table> {
    let s = space(profiles, catalog);
    let m = s.names.len();
    let ni = catalog.n_items();
    let mut items = vec![0.0; ni * m];
    let mut norms = vec![0.0; ni];
    for i in 0..ni {
        item_z(catalog, &s, i, &mut items[i * m..(i + 1) * m]);
        norms[i] = items[i * m..(i + 1) * m].iter().map(|x| x * x).sum::<f64>().sqrt();
    }
    let per: Vec<Vec<(usize, f64)>> = (0..profiles.len())
        .into_par_iter()
        .map(|c| {
            let zc = customer_z(profiles, catalog, &s, c);
            let nc = zc.iter().map(|x| x * x).sum::<f64>().sqrt();
            let mut sc: Vec<(usize, f64)> = (0..ni)
                .map(|i| {
                    let dot: f64 = zc.iter().zip(&items[i * m..(i + 1) * m]).map(|(a, b)| a * b).sum();
                    let d = nc * norms[i];
                    (i, if d > 0.0 { dot / d } else { 0.0 })
                })
                .collect();
            sc.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            sc.truncate(top);
            sc
        })
        .collect();
    let (mut cid, mut rank, mut item, mut aff) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (c, list) in per.iter().enumerate() {
        for (r, &(i, a)) in list.iter().enumerate() {
            cid.push(profiles.customer_ids[c]);
            rank.push(r as i64 + 1);
            item.push(catalog.item_ids[i]);
            aff.push(a);
        }
    }
    Ok(Table::new(vec![
        Column::i64("customer_id", cid),
        Column::i64("rank", rank),
        Column::i64("item_id", item),
        Column::f64("affinity", aff),
    ])?)
}

/// The top `n` opportunities per customer (score > 0 only), ranked by the
/// opportunity score (see the module docs), ties by candidate order
/// (hierarchy levels, then plain categorical attributes, then 0/1 tags).
pub fn opportunities(profiles: &Profiles, catalog: &Catalog, n: usize) -> Result<Vec<Opportunity>> {
    opportunities_for(profiles, catalog, n, &[])
}

/// Like [`opportunities`], restricted to the values of the named attributes
/// (e.g. `&["department", "healthy"]`); an empty list means all.
pub fn opportunities_for(
    profiles: &Profiles,
    catalog: &Catalog,
    n: usize,
    attributes: &[&str],
) -> Result<Vec<Opportunity>> {
    let s = space(profiles, catalog);
    let mut cands = candidates(catalog, &s);
    if !attributes.is_empty() {
        cands.retain(|c| attributes.contains(&c.attribute.as_str()));
    }
    let m = s.names.len();
    let per: Vec<Vec<Opportunity>> = (0..profiles.len())
        .into_par_iter()
        .map(|c| {
            let zc = customer_z(profiles, catalog, &s, c);
            let mut terms = Vec::with_capacity(m);
            // scores first (cosine only), drivers for the kept top n
            let mut scored: Vec<(usize, f64, f64, f64)> = Vec::new();
            for (k, cand) in cands.iter().enumerate() {
                let pop = s.pop[cand.feature];
                if pop <= 0.0 {
                    continue;
                }
                let share = if cand.feature < catalog.n_slots {
                    profiles.shares[c * catalog.n_slots + cand.feature]
                } else {
                    profiles.means[c * catalog.numerics.len() + cand.feature - catalog.n_slots]
                };
                let aff = cosine(&zc, &cand.centroid, &s.group, s.group[cand.feature]);
                let score = aff.max(0.0) * (1.0 - share / pop).max(0.0);
                if score > 0.0 {
                    scored.push((k, score, aff, share));
                }
            }
            scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            scored.truncate(n);
            let mut found: Vec<Opportunity> = Vec::with_capacity(scored.len());
            for (k, score, aff, share) in scored {
                let cand = &cands[k];
                cosine_terms(&zc, &cand.centroid, &s.group, s.group[cand.feature], &mut terms);
                let mut idx: Vec<usize> = (0..m).filter(|&j| terms[j] > 0.0).collect();
                idx.sort_by(|&a, &b| terms[b].total_cmp(&terms[a]).then(a.cmp(&b)));
                idx.truncate(3);
                found.push(Opportunity {
                    customer_id: profiles.customer_ids[c],
                    rank: 0,
                    layer: cand.layer,
                    attribute: cand.attribute.clone(),
                    value: cand.value.clone(),
                    score,
                    affinity: aff,
                    share,
                    pop_share: s.pop[cand.feature],
                    drivers: idx
                        .into_iter()
                        .map(|j| (format!("{}{}", if zc[j] > 0.0 { '+' } else { '-' }, s.names[j]), terms[j]))
                        .collect(),
                });
            }
            for (r, o) in found.iter_mut().enumerate() {
                o.rank = r + 1;
            }
            found
        })
        .collect();
    Ok(per.into_iter().flatten().collect())
}

/// Opportunities as a long table: `customer_id, rank, layer, attribute,
/// value, score, affinity, share, pop_share, drivers` (drivers formatted
/// `feature:+0.123; …`).
pub fn opportunities_table(opps: &[Opportunity]) -> Result<Table> {
    let f = |g: &dyn Fn(&Opportunity) -> f64| opps.iter().map(g).collect::<Vec<f64>>();
    let st = |g: &dyn Fn(&Opportunity) -> String| opps.iter().map(g).collect::<Vec<String>>();
    Ok(Table::new(vec![
        Column::i64("customer_id", opps.iter().map(|o| o.customer_id).collect()),
        Column::i64("rank", opps.iter().map(|o| o.rank as i64).collect()),
        Column::str("layer", st(&|o| o.layer.prefix().to_string())),
        Column::str("attribute", st(&|o| o.attribute.clone())),
        Column::str("value", st(&|o| o.value.clone())),
        Column::f64("score", f(&|o| o.score)),
        Column::f64("affinity", f(&|o| o.affinity)),
        Column::f64("share", f(&|o| o.share)),
        Column::f64("pop_share", f(&|o| o.pop_share)),
        Column::str(
            "drivers",
            st(&|o| o.drivers.iter().map(|(n, t)| format!("{n}:{t:+.3}")).collect::<Vec<_>>().join("; ")),
        ),
    ])?)
}
