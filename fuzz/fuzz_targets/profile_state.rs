//! A saved profile state (`tp profile --save-state`, read by `--state`):
//! loading validates; a loaded state resumes, takes new events and finishes
//! against the catalog without a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tp_core::{Column, Table};
use tp_profile::{Catalog, CatalogSpec, ProfileState, StateBuilder};

/// The catalog of `fuzz/corpus/profile_state/` seeds: six items, two
/// levels of hierarchy, a tier and a price.
fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let t = Table::new(vec![
            Column::i64("item_id", vec![10, 11, 12, 13, 14, 15]),
            Column::str("department", s(&["PRODUCE", "PRODUCE", "PRODUCE", "SNACKS", "SNACKS", "SNACKS"])),
            Column::str("commodity", s(&["FRUIT", "FRUIT", "VEG", "CHIPS", "CHIPS", "BARS"])),
            Column::str("price_tier", s(&["mid", "premium", "budget", "budget", "mid", "premium"])),
            Column::f64("base_price", vec![1.0, 3.0, 0.5, 2.0, 2.5, 4.0]),
        ])
        .unwrap();
        Catalog::new(&t, &CatalogSpec::infer(&t).unwrap()).unwrap()
    })
}

fn events() -> Table {
    Table::new(vec![
        Column::i64("customer_id", vec![1, 2, 1]),
        Column::i64("item_id", vec![10, 13, 15]),
        Column::i64("day", vec![3, 5, 9]),
        Column::f64("quantity", vec![1.0, 2.0, -1.0]),
        Column::f64("value", vec![2.0, 4.0, -4.0]),
    ])
    .unwrap()
}

fuzz_target!(|data: &[u8]| {
    if let Ok(state) = serde_json::from_slice::<ProfileState>(data) {
        let _ = state.finish(catalog());
        let _ = state.clone().merge(state.clone());
        let mut later = state.clone();
        let _ = later.rebase(later.as_of() + 7.0);
        if let Ok(mut b) = StateBuilder::from_state(state, catalog()) {
            let _ = b.push(&events());
            let _ = b.finish().finish(catalog());
        }
    }
});
