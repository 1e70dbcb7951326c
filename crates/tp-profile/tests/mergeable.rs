//! The profile state through the `Mergeable` seam: any contiguous split of the event log (empty
//! and one-row parts included), merged in order, in reverse or as a tree, finishes to the one-pass
//! profiles to a relative 1e-12; counts and visit days exactly.

use proptest::prelude::*;
use tp_core::merge::merge_tree;
use tp_core::{ColumnData, Mergeable, Table};
use tp_profile::{Catalog, CatalogSpec, ProfileContext, ProfileParams, ProfileState, Weight};

mod common;
use common::{Ev, events, small_catalog as catalog};

/// Every float within `rel` relative (floor 1 for values near zero), everything else equal.
fn assert_close(a: &Table, b: &Table, rel: f64) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.names(), b.names());
    for (ca, cb) in a.columns().iter().zip(b.columns()) {
        match (&ca.data, &cb.data) {
            (ColumnData::F64(x), ColumnData::F64(y)) => {
                for (i, (u, v)) in x.iter().zip(y).enumerate() {
                    let tol = rel * u.abs().max(v.abs()).max(1.0);
                    prop_assert!((u - v).abs() <= tol, "{} row {}: {} vs {}", ca.name, i, u, v);
                }
            }
            (x, y) => prop_assert_eq!(x, y, "column {}", ca.name),
        }
    }
    Ok(())
}

/// Contiguous parts at the (sorted, possibly repeated) cut points: repeated cuts give empty parts.
fn parts(ev: &[Ev], cuts: &[usize]) -> Vec<Vec<Ev>> {
    let mut c: Vec<usize> = cuts.iter().map(|k| k % (ev.len() + 1)).collect();
    c.sort_unstable();
    let mut out = Vec::new();
    let mut lo = 0;
    for k in c {
        out.push(ev[lo..k].to_vec());
        lo = k;
    }
    out.push(ev[lo..].to_vec());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_partitioning_finishes_to_the_one_pass_profiles(
        rows in prop::collection::vec(
            (0i64..6, 10i64..16, 0i64..150, -1i64..4, 0.1f64..50.0, any::<bool>())
                .prop_map(|(c, i, d, q, v, p)| (c, i, d, q as f64, if q < 0 { -v } else { v }, p)),
            1..120),
        cuts in prop::collection::vec(0usize..200, 0..10),
        spend in any::<bool>(),
    ) {
        let cat_t = catalog();
        let cat = Catalog::new(&cat_t, &CatalogSpec::infer(&cat_t).unwrap()).unwrap();
        let w = if spend { Weight::Spend } else { Weight::Count };
        let params = ProfileParams::default().half_life_days(30.0).as_of(140.0).weight(w);
        let ctx = ProfileContext::new(cat.clone(), params.clone()).unwrap();
        let whole = ProfileState::build(&events(&rows), &cat, &params).unwrap();
        let one = ProfileState::finish(&whole, &cat).unwrap();

        let mapped: Vec<ProfileState> =
            parts(&rows, &cuts).iter().map(|p| ProfileState::map(&ctx, &events(p)).unwrap()).collect();
        let in_order = ProfileState::merge_all(&ctx, mapped.clone()).unwrap();
        let reversed = ProfileState::merge_all(&ctx, mapped.iter().rev().cloned()).unwrap();
        let tree = merge_tree(mapped).unwrap().unwrap();
        for merged in [in_order, reversed, tree] {
            prop_assert_eq!(&merged.diagnostics, &whole.diagnostics);
            for (id, acc) in &whole.customers {
                let m = &merged.customers[id];
                prop_assert_eq!(acc.n_lines, m.n_lines);
                prop_assert_eq!(
                    acc.visits.iter().map(|v| v.0).collect::<Vec<_>>(),
                    m.visits.iter().map(|v| v.0).collect::<Vec<_>>()
                );
            }
            let finished = Mergeable::finish(merged, &ctx).unwrap();
            assert_close(one.table(), finished.table(), 1e-12)?;
        }
    }
}

#[test]
fn one_partition_is_the_same_bits_and_as_of_is_required() {
    let cat_t = catalog();
    let cat = Catalog::new(&cat_t, &CatalogSpec::infer(&cat_t).unwrap()).unwrap();
    let rows: Vec<Ev> = (0..40)
        .map(|i| (i % 3, 10 + i % 6, i * 3, 1.0 + (i % 2) as f64, 0.5 + i as f64, i % 4 == 0))
        .collect();
    let params = ProfileParams::default().half_life_days(20.0).as_of(120.0);
    let ctx = ProfileContext::new(cat.clone(), params.clone()).unwrap();
    let whole = ProfileState::build(&events(&rows), &cat, &params).unwrap();
    let empty = <ProfileState as Mergeable>::empty(&ctx).unwrap();
    let mapped = ProfileState::map(&ctx, &events(&rows)).unwrap();
    // merging the identity on either side changes nothing, to the bit
    assert_eq!(Mergeable::merge(empty.clone(), mapped.clone()).unwrap(), whole);
    assert_eq!(Mergeable::merge(mapped, empty).unwrap(), whole);

    let err = ProfileContext::new(cat, ProfileParams::default()).unwrap_err().to_string();
    assert!(err.contains("as_of") && err.contains("fixed reference day"), "{err}");
}
