//! Integration tests of tp-uplift: golden comparisons with scikit-uplift,
//! recovery of known effects on simulated data, diagnostics and model files.

#[path = "uplift/coverage.rs"]
mod coverage;
#[path = "uplift/diagnose.rs"]
mod diagnose;
#[path = "uplift/effects.rs"]
mod effects;
#[path = "uplift/forest.rs"]
mod forest;
#[path = "uplift/forest_multi.rs"]
mod forest_multi;
#[path = "uplift/forest_run.rs"]
mod forest_run;
#[path = "uplift/forest_uplift.rs"]
mod forest_uplift;
#[path = "uplift/golden.rs"]
mod golden;
#[path = "uplift/hillstrom.rs"]
mod hillstrom;
#[path = "uplift/nhefs.rs"]
mod nhefs;
#[path = "uplift/persist.rs"]
mod persist;
#[path = "uplift/reference.rs"]
mod reference;
#[path = "uplift/refute.rs"]
mod refute;
#[path = "uplift/saved.rs"]
mod saved;
#[path = "uplift/sim.rs"]
mod sim;
