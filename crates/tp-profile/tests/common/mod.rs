//! Test fixtures shared by tp-profile's integration tests: a six-item catalog and an
//! event table built from tuples.

use tp_core::{Column, Table};

pub fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// Six items: PRODUCE/{FRUIT,VEG}, SNACKS/{CHIPS,BARS}; tier; price; healthy tag.
pub fn small_catalog() -> Table {
    Table::new(vec![
        Column::i64("item_id", vec![10, 11, 12, 13, 14, 15]),
        Column::str("department", s(&["PRODUCE", "PRODUCE", "PRODUCE", "SNACKS", "SNACKS", "SNACKS"])),
        Column::str("commodity", s(&["FRUIT", "FRUIT", "VEG", "CHIPS", "CHIPS", "BARS"])),
        Column::str("price_tier", s(&["mid", "premium", "budget", "budget", "mid", "premium"])),
        Column::f64("base_price", vec![1.0, 3.0, 0.5, 2.0, 2.5, 4.0]),
        Column::i64("healthy", vec![1, 1, 1, 0, 0, 1]),
    ])
    .unwrap()
}

pub type Ev = (i64, i64, i64, f64, f64, bool);

pub fn events(ev: &[Ev]) -> Table {
    Table::new(vec![
        Column::i64("customer_id", ev.iter().map(|e| e.0).collect()),
        Column::i64("item_id", ev.iter().map(|e| e.1).collect()),
        Column::i64("day", ev.iter().map(|e| e.2).collect()),
        Column::f64("quantity", ev.iter().map(|e| e.3).collect()),
        Column::f64("value", ev.iter().map(|e| e.4).collect()),
        Column::bool("promo", ev.iter().map(|e| e.5).collect()),
    ])
    .unwrap()
}
