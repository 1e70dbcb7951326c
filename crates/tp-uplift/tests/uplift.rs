//! Integration tests of tp-uplift: golden comparisons with scikit-uplift
//! and recovery of known effects on simulated data.

#[path = "uplift/golden.rs"]
mod golden;
