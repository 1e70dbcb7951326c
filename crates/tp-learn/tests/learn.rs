//! Integration tests of tp-learn: golden comparisons with scikit-learn and
//! property tests of the invariants every learner must keep.

#[path = "learn/golden.rs"]
mod golden;
#[path = "learn/properties.rs"]
mod properties;
#[path = "learn/saving.rs"]
mod saving;
#[path = "learn/trees.rs"]
mod trees;
