//! The profile driver: customer profiles (L1/L2/L3 shares, behavior) from an event log and a
//! catalog, read a batch at a time into the profile state.
//!
//! `tp profile` (events streamed in chunks, optionally on top of a saved state) and the
//! pipeline's profile step (`tp run`, `tp demo`; the whole event table as one batch) both call
//! [`profile`], so their profiles are the same bits for the same events and parameters.

use anyhow::{Context, Result};
use std::borrow::Cow;
use std::time::Instant;
use tp_core::Table;
use tp_profile::{Catalog, CatalogSpec, ProfileError, ProfileParams, ProfileState, Profiles, StateBuilder};

/// Where the profiles start from.
#[derive(Debug, Clone)]
pub enum Start {
    /// A fresh state with these parameters.
    Fresh(ProfileParams),
    /// A state saved earlier (its parameters and reference day): the events are added to it.
    Saved(ProfileState),
}

/// The profiles and how they were made.
#[derive(Debug, Clone)]
pub struct Profiled {
    /// The catalog as read.
    pub catalog: Catalog,
    /// The state after every batch (save it to update later).
    pub state: ProfileState,
    /// One row per customer.
    pub profiles: Profiles,
    /// Events read (this call's, not a saved state's).
    pub events: usize,
    /// Seconds spent reading batches (pulling them from the iterator).
    pub read_seconds: f64,
    /// Seconds spent adding them to the state.
    pub aggregate_seconds: f64,
}

/// Profiles the events of `batches` (file `events_file`) against `catalog` (file
/// `catalog_file`), from `start`.
pub fn profile<'t>(
    start: Start,
    catalog: &Table,
    catalog_file: &str,
    batches: impl IntoIterator<Item = Result<Cow<'t, Table>>>,
    events_file: &str,
) -> Result<Profiled> {
    let spec = CatalogSpec::infer(catalog).with_context(|| catalog_file.to_string())?;
    let catalog = Catalog::new(catalog, &spec).with_context(|| catalog_file.to_string())?;
    let fresh = matches!(start, Start::Fresh(_));
    let mut builder = match start {
        Start::Fresh(params) => StateBuilder::new(&catalog, &params),
        Start::Saved(state) => StateBuilder::from_state(state, &catalog),
    }
    .with_context(|| events_file.to_string())?;
    let (mut read_seconds, mut aggregate_seconds) = (0.0, 0.0);
    let mut batches = batches.into_iter();
    loop {
        let t = Instant::now();
        let Some(batch) = batches.next() else { break };
        let batch = batch?;
        read_seconds += t.elapsed().as_secs_f64();
        let t = Instant::now();
        builder.push(&batch).with_context(|| events_file.to_string())?;
        aggregate_seconds += t.elapsed().as_secs_f64();
    }
    let events = builder.rows();
    if fresh && events == 0 {
        return Err(ProfileError::NoEvents).with_context(|| events_file.to_string());
    }
    let state = builder.finish();
    let profiles = state.finish(&catalog).with_context(|| events_file.to_string())?;
    Ok(Profiled { catalog, state, profiles, events, read_seconds, aggregate_seconds })
}
