//! Integration tests of tp-profile: merge/update properties, bad input,
//! opportunities on a hand-built case, recovery on a small simulated world.

use proptest::prelude::*;
use tp_core::{Column, ColumnData, Table};
use tp_profile::{
    Catalog, CatalogSpec, Layer, ProfileError, ProfileParams, ProfileState, SlotSums, StateBuilder, Storage,
    Weight, opportunities,
};

mod common;
use common::{Ev, events, s, small_catalog};

fn assert_tables_close(a: &Table, b: &Table, rel: f64) {
    assert_eq!(a.names(), b.names());
    assert_eq!(a.n_rows(), b.n_rows());
    for (ca, cb) in a.columns().iter().zip(b.columns()) {
        match (&ca.data, &cb.data) {
            (ColumnData::F64(x), ColumnData::F64(y)) => {
                for (i, (u, v)) in x.iter().zip(y).enumerate() {
                    assert!(u.is_finite() && v.is_finite(), "{} row {i} not finite", ca.name);
                    let tol = rel * u.abs().max(v.abs()).max(1.0);
                    assert!((u - v).abs() <= tol, "{} row {i}: {u} vs {v}", ca.name);
                }
            }
            (x, y) => assert_eq!(x, y, "column {}", ca.name),
        }
    }
}

fn ev_strategy() -> impl Strategy<Value = Vec<(Ev, u8)>> {
    let ev = (0i64..5, 10i64..16, 0i64..120, -1i64..4, 0.1f64..20.0, any::<bool>())
        .prop_map(|(c, i, d, q, v, p)| (c, i, d, q as f64, if q < 0 { -v } else { v }, p));
    prop::collection::vec((ev, 0u8..3), 1..80)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Profiling all events equals merging the profiles of any 3-way split,
    /// in either order and grouping, with decay (as_of = 120, half-life 30).
    #[test]
    fn merge_of_any_split_equals_whole(
        rows in ev_strategy(),
        weight in prop::bool::ANY,
        storage in prop::sample::select(vec![Storage::Dense, Storage::Sparse]),
        part_storage in prop::collection::vec(prop::sample::select(vec![Storage::Dense, Storage::Sparse]), 3),
    ) {
        let cat_t = small_catalog();
        let cat = Catalog::new(&cat_t, &CatalogSpec::infer(&cat_t).unwrap()).unwrap();
        let w = if weight { Weight::Spend } else { Weight::Count };
        let params =
            ProfileParams::default().half_life_days(30.0).as_of(120.0).weight(w).storage(storage);
        let all: Vec<Ev> = rows.iter().map(|r| r.0).collect();
        let whole = ProfileState::build(&events(&all), &cat, &params).unwrap();
        let part = |k: u8| {
            // a part may be empty: the streaming builder accepts that, `build` does not
            let ev: Vec<Ev> = rows.iter().filter(|r| r.1 == k).map(|r| r.0).collect();
            // parts stored dense or sparse at random: merging mixes them
            let p = params.clone().storage(part_storage[k as usize]);
            let mut b = StateBuilder::new(&cat, &p).unwrap();
            b.push(&events(&ev)).unwrap();
            b.finish()
        };
        let (a, b, c) = (part(0), part(1), part(2));
        let left = a.clone().merge(b.clone()).unwrap().merge(c.clone()).unwrap();
        let right = c.merge(b.merge(a).unwrap()).unwrap();
        let t = whole.finish(&cat).unwrap();
        assert_tables_close(t.table(), left.finish(&cat).unwrap().table(), 1e-9);
        assert_tables_close(t.table(), right.finish(&cat).unwrap().table(), 1e-9);
        prop_assert_eq!(whole.diagnostics.n_events, left.diagnostics.n_events);
        for (id, acc) in &whole.customers {
            let days = |v: &[(i64, f64)]| v.iter().map(|x| x.0).collect::<Vec<_>>();
            prop_assert_eq!(days(&acc.visits), days(&left.customers[id].visits));
        }
    }
}

fn world_catalog() -> (Table, Catalog) {
    let t = small_catalog();
    let c = Catalog::new(&t, &CatalogSpec::infer(&t).unwrap()).unwrap();
    (t, c)
}

fn sample_events() -> Vec<Ev> {
    let mut v = Vec::new();
    for k in 0..60i64 {
        v.push((
            k % 4,
            10 + (k * 7) % 6,
            (k * 13) % 100,
            1.0 + (k % 3) as f64,
            1.0 + (k % 5) as f64,
            k % 4 == 0,
        ));
    }
    v
}

#[test]
fn update_and_json_roundtrip_equal_full_profile() {
    let (_, cat) = world_catalog();
    let ev = sample_events();
    let params = ProfileParams::default().half_life_days(20.0).as_of(100.0);
    let full = ProfileState::build(&events(&ev), &cat, &params).unwrap();
    let mut st = ProfileState::build(&events(&ev[..25]), &cat, &params).unwrap();
    let json = serde_json::to_string(&st).unwrap();
    st = serde_json::from_str(&json).unwrap();
    st.update(&events(&ev[25..]), &cat).unwrap();
    assert_tables_close(full.finish(&cat).unwrap().table(), st.finish(&cat).unwrap().table(), 1e-12);
}

#[test]
fn rebase_then_update_equals_profile_at_later_day() {
    let (_, cat) = world_catalog();
    let ev = sample_events();
    let early: Vec<Ev> = ev.iter().copied().filter(|e| e.2 <= 60).collect();
    let late: Vec<Ev> = ev.iter().copied().filter(|e| e.2 > 60).collect();
    let p60 = ProfileParams::default().half_life_days(20.0).as_of(60.0);
    let mut st = ProfileState::build(&events(&early), &cat, &p60).unwrap();
    st.rebase(100.0).unwrap();
    st.update(&events(&late), &cat).unwrap();
    let full = ProfileState::build(&events(&ev), &cat, &p60.clone().as_of(100.0)).unwrap();
    assert_tables_close(full.finish(&cat).unwrap().table(), st.finish(&cat).unwrap().table(), 1e-12);
    assert!(st.rebase(50.0).is_err());
}

#[test]
fn merge_rejects_incompatible_states() {
    let (_, cat) = world_catalog();
    let ev = events(&sample_events());
    let a = ProfileState::build(&ev, &cat, &ProfileParams::default().as_of(100.0)).unwrap();
    let b = ProfileState::build(&ev, &cat, &ProfileParams::default().as_of(90.0)).unwrap();
    assert!(matches!(a.merge(b), Err(ProfileError::Incompatible { .. })));
}

#[test]
fn shares_nested_shares_and_shrinkage_follow_the_formulas() {
    let (_, cat) = world_catalog();
    // customer 1: $6 of FRUIT (item 10) today, $2 of CHIPS (13) one half-life ago
    let ev =
        events(&[(1, 10, 100, 1.0, 6.0, false), (1, 13, 90, 1.0, 2.0, true), (2, 12, 100, 1.0, 4.0, false)]);
    let p = ProfileParams::default().half_life_days(10.0).as_of(100.0).shrinkage_strength(2.0);
    let pr = ProfileState::build(&ev, &cat, &p).unwrap().finish(&cat).unwrap();
    let t = pr.table();
    let (w1, w2) = (6.0, 1.0); // decayed weights of customer 1
    let n1 = (w1 + w2) * (w1 + w2) / (w1 * w1 + w2 * w2);
    let pop_produce = (w1 + 4.0) / (w1 + w2 + 4.0);
    let share = w1 / (w1 + w2);
    let want = (n1 * share + 2.0 * pop_produce) / (n1 + 2.0);
    let got = t.f64_values("l1.department.PRODUCE").unwrap()[0];
    assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    let lift = t.f64_values("l1.department.PRODUCE.lift").unwrap()[0];
    assert!((lift - want / pop_produce).abs() < 1e-12);
    // nested shares within PRODUCE add to 1 for every customer
    let fr = t.f64_values("l1.commodity.FRUIT.within").unwrap();
    let vg = t.f64_values("l1.commodity.VEG.within").unwrap();
    for i in 0..2 {
        assert!((fr[i] + vg[i] - 1.0).abs() < 1e-12);
    }
    // L3: promo share of decayed lines, recency
    let promo = t.f64_values("l3.promo_share").unwrap()[0];
    assert!((promo - 0.5 / 1.5).abs() < 1e-12);
    assert_eq!(t.f64_values("l3.recency_days").unwrap()[0], 0.0);
    // every value finite
    for c in t.columns().iter().skip(1) {
        assert!(t.f64_values(&c.name).unwrap().iter().all(|x| x.is_finite()), "{}", c.name);
    }
}

#[test]
fn gap_cv_and_trend() {
    let (_, cat) = world_catalog();
    // regular visits every 7 days → CV 0; gaps 1 and 3 → CV 0.5
    let reg: Vec<Ev> = (0..10).map(|k| (1, 10, 7 * k, 1.0, 1.0, false)).collect();
    let mut ev = reg.clone();
    ev.extend([(2, 10, 0, 1.0, 1.0, false), (2, 10, 1, 1.0, 1.0, false), (2, 10, 4, 1.0, 1.0, false)]);
    // with a 28-day window: customer 1 spends equally in both windows (trend 0),
    // customer 3 only in the last window (+1), customer 4 only in the one before (−1)
    ev.extend([(3, 10, 63, 1.0, 5.0, false), (4, 10, 30, 1.0, 5.0, false)]);
    let mut p = ProfileParams::default().as_of(63.0);
    p.trend_window_days = 28.0;
    let t = ProfileState::build(&events(&ev), &cat, &p).unwrap().finish(&cat).unwrap();
    let cv = t.table().f64_values("l3.gap_cv").unwrap();
    assert!(cv[0].abs() < 1e-12);
    assert!((cv[1] - 0.5).abs() < 1e-12);
    let trend = t.table().f64_values("l3.trend").unwrap();
    assert_eq!(trend, vec![0.0, 0.0, 1.0, -1.0]);
}

#[test]
fn bad_input_is_reported() {
    let (cat_t, cat) = world_catalog();
    let p = ProfileParams::default().as_of(100.0);
    // unknown item: counted, or an error in strict mode naming item and row
    let ev = events(&[(1, 10, 1, 1.0, 1.0, false), (1, 99, 2, 1.0, 1.0, false)]);
    let st = ProfileState::build(&ev, &cat, &p).unwrap();
    assert_eq!(st.diagnostics.n_unknown_items, 1);
    let err = ProfileState::build(&ev, &cat, &p.clone().strict(true)).unwrap_err();
    assert!(matches!(err, ProfileError::UnknownItems { count: 1, first: 99, row: 1 }), "{err}");
    // returns are netted: buy 2, return 1 of the same item = buy 1
    let net =
        events(&[(1, 10, 5, 2.0, 4.0, false), (1, 10, 6, -1.0, -2.0, false), (1, 13, 5, 1.0, 2.0, false)]);
    let one = events(&[(1, 10, 5, 1.0, 2.0, false), (1, 13, 5, 1.0, 2.0, false)]);
    let pz = p.clone().half_life_days(1e9).shrinkage_strength(0.0);
    let a = ProfileState::build(&net, &cat, &pz).unwrap();
    assert_eq!(a.diagnostics.n_returns, 1);
    let sa = a.finish(&cat).unwrap().table().f64_values("l1.department.PRODUCE").unwrap()[0];
    let sb = ProfileState::build(&one, &cat, &pz)
        .unwrap()
        .finish(&cat)
        .unwrap()
        .table()
        .f64_values("l1.department.PRODUCE")
        .unwrap()[0];
    assert!((sa - sb).abs() < 1e-9 && (sa - 0.5).abs() < 1e-9);
    // out-of-order timestamps are fine: reversed rows give the same profile
    let fwd = sample_events();
    let rev: Vec<Ev> = fwd.iter().rev().copied().collect();
    let f = ProfileState::build(&events(&fwd), &cat, &p).unwrap().finish(&cat).unwrap();
    let r = ProfileState::build(&events(&rev), &cat, &p).unwrap().finish(&cat).unwrap();
    assert_tables_close(f.table(), r.table(), 1e-12);
    // missing catalog attribute: error naming item and attribute
    let mut cols = cat_t.clone().into_columns();
    cols[3] = Column::str("price_tier", s(&["mid", "", "budget", "budget", "mid", "premium"]));
    let bad = Table::new(cols).unwrap();
    let err = Catalog::new(&bad, &CatalogSpec::infer(&bad).unwrap()).unwrap_err();
    assert!(
        matches!(&err, ProfileError::MissingAttribute { item_id: 11, attribute } if attribute == "price_tier"),
        "{err}"
    );
    // non-numeric value column, and a NaN value with its row
    let mut cols = ev.clone().into_columns();
    cols[4] = Column::str("value", s(&["1.0", "abc"]));
    let err = ProfileState::build(&Table::new(cols).unwrap(), &cat, &p).unwrap_err();
    assert!(matches!(&err, ProfileError::ColumnType { column, .. } if column == "value"), "{err}");
    let mut cols = ev.into_columns();
    cols[4] = Column::f64("value", vec![1.0, f64::NAN]);
    let err = ProfileState::build(&Table::new(cols).unwrap(), &cat, &p).unwrap_err();
    assert!(matches!(&err, ProfileError::NonFinite { row: 1, .. }), "{err}");
}

#[test]
fn explicit_spec_builder_matches_inferred() {
    let (cat_t, cat) = world_catalog();
    let spec = CatalogSpec::new()
        .hierarchy(&["department", "commodity"], Layer::L1)
        .categorical("price_tier", Layer::L1)
        .numeric("base_price", Layer::L1)
        .numeric("healthy", Layer::L2);
    assert_eq!(spec, CatalogSpec::infer(&cat_t).unwrap());
    assert_eq!(Catalog::new(&cat_t, &spec).unwrap(), cat);
}

/// Hand-built case: healthy snacks (BARS) and produce are healthy; customer 1
/// buys only healthy snack bars, so it resembles produce buyers through the
/// healthy tag while buying no produce: PRODUCE is its top department
/// opportunity, driven by `healthy`. Customer 2 buys only chips: no PRODUCE
/// opportunity (negative affinity).
#[test]
fn opportunities_on_hand_built_case() {
    let (_, cat) = world_catalog();
    let mut ev = Vec::new();
    for d in 0..10 {
        ev.push((1, 15, d, 1.0, 4.0, false));
        ev.push((2, 13, d, 1.0, 2.0, false));
        ev.push((3, 10, d, 1.0, 1.0, false));
        ev.push((3, 14, d, 1.0, 2.5, false));
        ev.push((4, 12, d, 1.0, 0.5, false));
        ev.push((4, 13, d, 1.0, 2.0, false));
    }
    let p = ProfileParams::default().as_of(10.0).shrinkage_strength(1.0);
    let pr = ProfileState::build(&events(&ev), &cat, &p).unwrap().finish(&cat).unwrap();
    let opps = opportunities(&pr, &cat, 10).unwrap();
    let c1: Vec<_> = opps.iter().filter(|o| o.customer_id == 1).collect();
    let prod = c1
        .iter()
        .find(|o| o.attribute == "department" && o.value == "PRODUCE")
        .expect("PRODUCE for customer 1");
    assert!(prod.affinity > 0.0 && prod.share < prod.pop_share);
    let want = prod.affinity * (1.0 - prod.share / prod.pop_share);
    assert!((prod.score - want).abs() < 1e-12);
    assert!(prod.drivers.first().is_some_and(|(n, t)| n == "+healthy" && *t > 0.0), "{:?}", prod.drivers);
    let dept: Vec<_> = c1.iter().filter(|o| o.attribute == "department").collect();
    assert_eq!(dept[0].value, "PRODUCE");
    assert!(!opps.iter().any(|o| o.customer_id == 2 && o.value == "PRODUCE"));
    // ranks are 1.. and scores descending per customer
    for w in c1.windows(2) {
        assert!(w[0].score >= w[1].score && w[1].rank == w[0].rank + 1);
    }
    let only = tp_profile::opportunities_for(&pr, &cat, 10, &["department"]).unwrap();
    assert!(!only.is_empty() && only.iter().all(|o| o.attribute == "department"));
    let t = tp_profile::opportunities_table(&opps).unwrap();
    assert_eq!(t.n_rows(), opps.len());
    let aff = tp_profile::affinity(&pr, &cat).unwrap();
    assert!(
        aff.position("aff.l1.department.PRODUCE").is_some() && aff.position("aff.l2.healthy.1").is_some()
    );
    let items = tp_profile::item_affinity(&pr, &cat, 2).unwrap();
    assert_eq!(items.n_rows(), 8);
}

// ---- recovery on the small simulated world (testdata/profile/README.md) ----

fn read_csv(path: &str) -> Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.filter(|l| !l.is_empty()).map(|l| l.split(',').collect()).collect();
    let cols = header
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let vals: Vec<&str> = rows.iter().map(|r| r[j]).collect();
            if let Ok(v) = vals.iter().map(|x| x.parse::<i64>()).collect::<Result<Vec<_>, _>>() {
                Column::i64(*name, v)
            } else if let Ok(v) = vals.iter().map(|x| x.parse::<f64>()).collect::<Result<Vec<_>, _>>() {
                Column::f64(*name, v)
            } else if let Ok(v) = vals.iter().map(|x| x.parse::<bool>()).collect::<Result<Vec<_>, _>>() {
                Column::bool(*name, v)
            } else {
                Column::str(*name, vals.iter().map(|x| x.to_string()).collect())
            }
        })
        .collect();
    Table::new(cols).unwrap()
}

fn corr(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let syy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    sxy / (sxx * syy).sqrt()
}

/// The L2 tag profiles recover the households' latent tastes: under no
/// association the sample correlation of n = 150 pairs has standard error
/// ≈ 1/√(n−1) = 0.082, so each tag's correlation must exceed 4 SE (0.33).
#[test]
fn l2_profiles_recover_true_tastes() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/profile");
    let cat_t = read_csv(&format!("{dir}/catalog.csv"));
    let ev = read_csv(&format!("{dir}/events.csv"));
    let truth = read_csv(&format!("{dir}/truth.csv"));
    let cat = Catalog::new(&cat_t, &CatalogSpec::infer(&cat_t).unwrap()).unwrap();
    let pr = ProfileState::build(&ev, &cat, &ProfileParams::default()).unwrap().finish(&cat).unwrap();
    let ids = truth.f64_values("customer_id").unwrap();
    let t = pr.table();
    assert_eq!(pr.customer_ids.iter().map(|&c| c as f64).collect::<Vec<_>>(), ids.to_vec());
    let n = ids.len() as f64;
    let bar = 4.0 / (n - 1.0).sqrt();
    for tag in ["healthy", "indulgent", "convenient", "premium", "family", "fresh", "bulk"] {
        let r = corr(
            &t.f64_values(&format!("l2.{tag}")).unwrap(),
            &truth.f64_values(&format!("taste_{tag}")).unwrap(),
        );
        eprintln!("{tag}: r = {r:.3}");
        assert!(r > bar, "{tag}: correlation {r:.3} ≤ {bar:.3}");
    }
}

fn small_world() -> (Catalog, Table) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/profile");
    let cat_t = read_csv(&format!("{dir}/catalog.csv"));
    let cat = Catalog::new(&cat_t, &CatalogSpec::infer(&cat_t).unwrap()).unwrap();
    (cat, read_csv(&format!("{dir}/events.csv")))
}

/// Sparse storage adds the same terms in the same order as dense storage, so
/// every profile column agrees to 1e-12 (in fact bit for bit), while storing
/// only the slots each customer touched.
#[test]
fn sparse_storage_equals_dense() {
    let (cat, ev) = small_world();
    let p = ProfileParams::default().half_life_days(30.0);
    let dense = ProfileState::build(&ev, &cat, &p.clone().storage(Storage::Dense)).unwrap();
    let sparse = ProfileState::build(&ev, &cat, &p.clone().storage(Storage::Sparse)).unwrap();
    let auto = ProfileState::build(&ev, &cat, &p).unwrap();
    assert!(cat.n_slots <= tp_profile::DENSE_MAX_SLOTS);
    assert!(auto.customers.values().all(|c| matches!(c.cat, SlotSums::Dense(_))));
    assert!(sparse.customers.values().all(|c| matches!(c.cat, SlotSums::Sparse(_))));
    let stored: usize = sparse.customers.values().map(|c| c.cat.stored()).sum();
    let full = cat.n_slots * sparse.customers.len();
    eprintln!("sparse stores {stored} of {full} slot sums");
    assert!(stored < full);
    let (td, ts) = (dense.finish(&cat).unwrap(), sparse.finish(&cat).unwrap());
    assert_tables_close(td.table(), ts.table(), 1e-12);
    // a saved sparse state round-trips and keeps updating sparse
    let json = serde_json::to_string(&sparse).unwrap();
    let back: ProfileState = serde_json::from_str(&json).unwrap();
    assert!(back.customers.values().all(|c| matches!(c.cat, SlotSums::Sparse(_))));
    assert_tables_close(back.finish(&cat).unwrap().table(), ts.table(), 1e-12);
}

/// Streaming the events in chunks (reference day found on the way, sums
/// rebased when a later day arrives) equals one build over all rows, at any
/// chunk size and in either storage.
#[test]
fn chunked_build_equals_whole_build() {
    let (cat, ev) = small_world();
    // reverse the rows so later chunks bring *earlier* days and the first chunk the latest
    let n = ev.n_rows();
    let shuffled: Vec<usize> = (0..n).map(|i| (i * 7919) % n).collect();
    let ev = ev.take_rows(&shuffled);
    for storage in [Storage::Dense, Storage::Sparse] {
        let p = ProfileParams::default().half_life_days(30.0).storage(storage);
        let whole = ProfileState::build(&ev, &cat, &p).unwrap();
        for chunk in [1000, 4567] {
            let mut b = StateBuilder::new(&cat, &p).unwrap();
            for s in (0..n).step_by(chunk) {
                b.push(&ev.slice_rows(s, (s + chunk).min(n))).unwrap();
            }
            assert_eq!(b.rows(), n);
            let st = b.finish();
            assert_eq!(st.as_of(), whole.as_of());
            assert_eq!(st.diagnostics, whole.diagnostics);
            assert_tables_close(whole.finish(&cat).unwrap().table(), st.finish(&cat).unwrap().table(), 1e-12);
        }
    }
}

/// Department weights of the simulator's archetypes (tp-sim `ARCHETYPES`,
/// department order GROCERY, PRODUCE, MEAT & SEAFOOD, DAIRY & EGGS, BAKERY,
/// FROZEN, SNACKS & BEVERAGES, HOUSEHOLD, PERSONAL CARE & BABY, DELI & PREPARED).
const ARCHETYPE_DEPTS: [(&str, [f64; 10]); 7] = [
    ("vip_heavy", [16.0, 13.0, 15.0, 12.0, 7.0, 8.0, 11.0, 7.0, 5.0, 6.0]),
    ("bulk_buyer", [20.0, 6.0, 12.0, 10.0, 5.0, 12.0, 12.0, 14.0, 7.0, 2.0]),
    ("family", [18.0, 9.0, 12.0, 14.0, 7.0, 11.0, 12.0, 7.0, 7.0, 3.0]),
    ("fresh_food", [10.0, 26.0, 18.0, 16.0, 9.0, 3.0, 6.0, 4.0, 4.0, 4.0]),
    ("deal_seeker", [18.0, 10.0, 10.0, 12.0, 6.0, 12.0, 14.0, 9.0, 6.0, 3.0]),
    ("convenience", [8.0, 5.0, 5.0, 9.0, 7.0, 20.0, 22.0, 3.0, 4.0, 17.0]),
    ("light_grocery", [20.0, 10.0, 8.0, 16.0, 10.0, 6.0, 12.0, 6.0, 6.0, 6.0]),
];
const DEPTS: [&str; 10] = [
    "GROCERY",
    "PRODUCE",
    "MEAT & SEAFOOD",
    "DAIRY & EGGS",
    "BAKERY",
    "FROZEN",
    "SNACKS & BEVERAGES",
    "HOUSEHOLD",
    "PERSONAL CARE & BABY",
    "DELI & PREPARED",
];

/// L1: a household's department spend share follows its archetype's
/// department weight. Checked for the departments whose weight varies at
/// least 2.5-fold across archetypes (chosen from the table above, before
/// looking at the data): the correlation over n = 150 households must exceed
/// 4 standard errors of a null correlation, 4/√(n−1) = 0.33.
/// L3: the promotion share follows the household's deal-hunting probability,
/// the number of visit days its visit rate, and lines per visit its mean
/// basket (same bar); and deal seekers (hunt 0.6 vs ≤ 0.25 elsewhere) have a
/// higher mean promotion share than every other archetype.
#[test]
fn l1_and_l3_profiles_recover_archetypes() {
    let (cat, ev) = small_world();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/profile");
    let truth = read_csv(&format!("{dir}/truth.csv"));
    let pr = ProfileState::build(&ev, &cat, &ProfileParams::default()).unwrap().finish(&cat).unwrap();
    let t = pr.table();
    let arch = truth.string_values("archetype").unwrap();
    let n = arch.len() as f64;
    let bar = 4.0 / (n - 1.0).sqrt();
    for (d, dept) in DEPTS.iter().enumerate() {
        let ws: Vec<f64> = ARCHETYPE_DEPTS.iter().map(|(_, w)| w[d]).collect();
        let (lo, hi) = ws.iter().fold((f64::MAX, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
        let expected: Vec<f64> = arch
            .iter()
            .map(|a| {
                let (_, w) = ARCHETYPE_DEPTS.iter().find(|(name, _)| name == a).expect("archetype");
                w[d] / w.iter().sum::<f64>()
            })
            .collect();
        let r = corr(&t.f64_values(&format!("l1.department.{dept}")).unwrap(), &expected);
        eprintln!("l1.department.{dept}: r = {r:.3} (weights {lo}..{hi})");
        if hi >= 2.5 * lo {
            assert!(r > bar, "{dept}: correlation {r:.3} ≤ {bar:.3}");
        }
    }
    for (feature, truth_col) in
        [("l3.promo_share", "promo_hunt"), ("l3.visits", "visit_rate"), ("l3.basket_size", "basket_mean")]
    {
        let r = corr(&t.f64_values(feature).unwrap(), &truth.f64_values(truth_col).unwrap());
        eprintln!("{feature} vs {truth_col}: r = {r:.3}");
        assert!(r > bar, "{feature}: correlation {r:.3} ≤ {bar:.3}");
    }
    let promo = t.f64_values("l3.promo_share").unwrap();
    let mean_of = |name: &str| {
        let v: Vec<f64> =
            arch.iter().zip(promo.iter()).filter(|(a, _)| *a == name).map(|(_, &p)| p).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let deal = mean_of("deal_seeker");
    for (name, _) in ARCHETYPE_DEPTS.iter().filter(|(a, _)| *a != "deal_seeker") {
        assert!(deal > mean_of(name), "deal seekers {deal:.3} vs {name} {:.3}", mean_of(name));
    }
}

/// Every bad input is a typed error naming the table, column and (global) row.
#[test]
fn bad_input_errors_name_column_and_row() {
    let (cat_t, cat) = world_catalog();
    let p = ProfileParams::default().as_of(100.0);
    let ok = events(&[(1, 10, 1, 1.0, 1.0, false), (2, 11, 2, 1.0, 2.0, true)]);
    // missing event column: named, with the columns present
    let no_value = ok.select(&["customer_id", "item_id", "day", "quantity", "promo"]).unwrap();
    let err = ProfileState::build(&no_value, &cat, &p).unwrap_err();
    assert!(
        matches!(&err, ProfileError::MissingColumn { table, column, .. } if table == "events" && column == "value"),
        "{err}"
    );
    assert!(err.to_string().contains("'value'") && err.to_string().contains("quantity"), "{err}");
    // rows are counted across streamed chunks: NaN in the second chunk's second row is row 3
    let mut cols = ok.clone().into_columns();
    cols[4] = Column::f64("value", vec![1.0, f64::NAN]);
    let nan = Table::new(cols).unwrap();
    let mut b = StateBuilder::new(&cat, &p).unwrap();
    b.push(&ok).unwrap();
    let err = b.push(&nan).unwrap_err();
    assert!(matches!(&err, ProfileError::NonFinite { column, row: 3, .. } if column == "value"), "{err}");
    assert!(err.to_string().contains("row 3"), "{err}");
    // strict: the unknown item and its global row; the failed chunk leaves the sums untouched
    let unknown = events(&[(3, 10, 1, 1.0, 1.0, false), (3, 77, 2, 1.0, 1.0, false)]);
    let mut b = StateBuilder::new(&cat, &p.clone().strict(true)).unwrap();
    b.push(&ok).unwrap();
    let err = b.push(&unknown).unwrap_err();
    assert!(matches!(err, ProfileError::UnknownItems { count: 1, first: 77, row: 3 }), "{err}");
    assert_eq!(b.customers(), 2);
    // update() that fails leaves the state as it was
    let mut st = ProfileState::build(&ok, &cat, &p.clone().strict(true)).unwrap();
    let before = st.clone();
    assert!(st.update(&unknown, &cat).is_err());
    assert_eq!(st, before);
    // empty events: nothing to profile
    let err = ProfileState::build(&ok.slice_rows(0, 0), &cat, &p).unwrap_err();
    assert_eq!(err, ProfileError::NoEvents);
    // negative quantity is not an error: a return, counted and netted (see bad_input_is_reported)
    let ret = events(&[(1, 10, 1, 2.0, 2.0, false), (1, 10, 2, -1.0, -1.0, false)]);
    assert_eq!(ProfileState::build(&ret, &cat, &p).unwrap().diagnostics.n_returns, 1);
    // catalog: duplicate item, unknown layer, a declared attribute the catalog lacks
    let mut cols = cat_t.clone().into_columns();
    cols[0] = Column::i64("item_id", vec![10, 11, 12, 13, 14, 12]);
    let dup = Table::new(cols).unwrap();
    let err = Catalog::new(&dup, &CatalogSpec::infer(&dup).unwrap()).unwrap_err();
    assert_eq!(err, ProfileError::DuplicateItem { item_id: 12 });
    assert!(err.to_string().contains("item 12"));
    let err = "l4".parse::<Layer>().unwrap_err();
    assert!(matches!(&err, ProfileError::UnknownLayer { name } if name == "l4"), "{err}");
    assert_eq!("L2".parse::<Layer>().unwrap(), Layer::L2);
    let spec = CatalogSpec::new().categorical("brand", Layer::L1);
    let err = Catalog::new(&cat_t, &spec).unwrap_err();
    assert!(err.to_string().contains("brand"), "{err}");
}

/// A saved state (`tp profile --state`) validates when read: damage is an
/// error naming the customer and field, and a state that loads never makes
/// updating or finishing panic.
#[test]
fn damaged_states_are_errors_naming_the_field() {
    let (_, cat) = world_catalog();
    let ev = sample_events();
    let params = ProfileParams::default().half_life_days(20.0).as_of(100.0);
    for storage in [Storage::Dense, Storage::Sparse] {
        let st = ProfileState::build(&events(&ev[..25]), &cat, &params.clone().storage(storage)).unwrap();
        let good = serde_json::to_value(&st).unwrap();
        let load = |v: &serde_json::Value| serde_json::from_value::<ProfileState>(v.clone());
        assert_eq!(load(&good).unwrap(), st);
        type Damage = fn(&mut serde_json::Value);
        let cases: [(Damage, &str); 6] = [
            (|v| v["params"]["half_life_days"] = (-1.0).into(), "half_life_days"),
            (|v| v["params"]["as_of"] = serde_json::Value::Null, "as_of"),
            (
                |v| v["customers"]["1"]["visits"] = serde_json::json!([[5, 1.0], [3, 1.0]]),
                "customer 1: visit days",
            ),
            (
                |v| v["customers"]["2"]["visits"] = serde_json::json!([[i64::MIN, 1.0], [i64::MAX, 1.0]]),
                "customer 2: visit day",
            ),
            (|v| v["customers"]["0"]["num"] = serde_json::json!(vec![1.0; 40]), "customer 0: 40 numeric"),
            (|v| v["customers"]["3"]["cat"] = serde_json::json!([[9999, 1.0]]), "customer 3: slot 9999"),
        ];
        for (damage, says) in cases {
            let mut v = good.clone();
            damage(&mut v);
            let err = load(&v).unwrap_err().to_string();
            assert!(err.contains(says), "{storage:?} {says}: {err}");
        }
        // slot indices inside the layout but past the catalog's slots (into the numerics)
        let mut v = good.clone();
        v["customers"]["1"]["cat"] = serde_json::json!([[cat.n_slots as u32, 1.0]]);
        let back = load(&v).unwrap();
        let err = StateBuilder::from_state(back.clone(), &cat).err().unwrap();
        assert!(
            matches!(&err, ProfileError::CorruptState { reason } if reason.contains("customer 1: slot")),
            "{err}"
        );
        assert!(back.finish(&cat).is_err());
        // numbers past the layout in a dense vector
        let mut v = good.clone();
        v["customers"]["1"]["cat"] = serde_json::json!(vec![1.0; cat.layout().len() + 1]);
        assert!(load(&v).unwrap_err().to_string().contains("slot sums for a layout"));
    }
}
