//! [`ProfileState`] as a [`Mergeable`] summary: the seam a distributed engine profiles through.
//!
//! Map: the events of one partition → a state ([`StateBuilder`], an empty partition gives the
//! empty state). Merge: [`ProfileState::merge`]. Finish: [`ProfileState::finish`] on the merged
//! state, once. The reference day must be fixed in the parameters: a partition cannot know the
//! latest event day of the whole log (compute it first, e.g. as a `max` over the day column).
//!
//! Equality: **rounding**, not exact. A customer's decayed sums are plain `f64` sums; when the
//! customer's events fall in several partitions, the partial sums add in another order than one
//! pass, so finished profiles agree with one pass to a relative 1e-12 (the tests check it on every
//! column), while counts, visit days and diagnostics are exact. When every customer's events lie
//! in one partition and in log order (partition the events by customer), the result is the same
//! bits as one pass.

use crate::accum::StateBuilder;
use crate::error::{ProfileError, Result};
use crate::finish::Profiles;
use crate::spec::Catalog;
use crate::state::{ProfileParams, ProfileState};
use tp_core::{Mergeable, Table};

/// What every partition of a partitioned profile shares: the compiled catalog and the
/// parameters, whose reference day `as_of` must be set.
#[derive(Debug, Clone)]
pub struct ProfileContext {
    catalog: Catalog,
    params: ProfileParams,
}

impl ProfileContext {
    /// The context of `catalog` and `params`; errors when `params.as_of` is not set or a
    /// parameter is invalid.
    pub fn new(catalog: Catalog, params: ProfileParams) -> Result<ProfileContext> {
        params.validate()?;
        if params.as_of.is_none() {
            return Err(ProfileError::Param {
                name: "as_of".into(),
                value: "none".into(),
                hint: "a partitioned profile needs a fixed reference day: set it (e.g. to the latest event \
                       day of the whole log, computed first)"
                    .into(),
            });
        }
        Ok(ProfileContext { catalog, params })
    }

    /// The compiled catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The parameters (with `as_of` set).
    pub fn params(&self) -> &ProfileParams {
        &self.params
    }
}

impl Mergeable for ProfileState {
    type Context = ProfileContext;
    type Part<'a> = &'a Table;
    type Output = Profiles;
    type Error = ProfileError;

    fn empty(ctx: &ProfileContext) -> Result<ProfileState> {
        ProfileState::empty(&ctx.catalog, &ctx.params, ctx.params.as_of.unwrap_or(0.0))
    }

    fn map(ctx: &ProfileContext, events: &Table) -> Result<ProfileState> {
        let mut b = StateBuilder::new(&ctx.catalog, &ctx.params)?;
        if events.n_rows() > 0 {
            b.push(events)?;
        }
        Ok(b.finish())
    }

    fn merge(self, other: ProfileState) -> Result<ProfileState> {
        ProfileState::merge(self, other)
    }

    fn finish(self, ctx: &ProfileContext) -> Result<Profiles> {
        ProfileState::finish(&self, &ctx.catalog)
    }
}
