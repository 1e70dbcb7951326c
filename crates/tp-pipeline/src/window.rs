//! The campaign's outcome window and the day profiles describe: covariates
//! must describe the time before treatment, so a profile that reaches into
//! the outcome window is an error unless the config allows it.

use crate::Config;
use crate::inputs::Named;
use anyhow::{Context, Result, bail};

/// The first day of the campaign's outcome window, and where it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignStart {
    /// The day, in the events' `day` unit.
    pub day: f64,
    /// `campaign.start_day`, or the campaign-log column it came from, for messages.
    pub source: String,
}

/// The campaign start: `campaign.start_day`, else the minimum of the campaign
/// log's `campaign.start_day_column` when it has that column, else unknown.
pub fn campaign_start(config: &Config, campaign: &Named) -> Result<Option<CampaignStart>> {
    let c = &config.campaign;
    if let Some(day) = c.start_day {
        if !day.is_finite() {
            bail!("campaign.start_day = {day}: expected a day number, e.g. 659");
        }
        return Ok(Some(CampaignStart { day, source: "campaign.start_day".into() }));
    }
    if campaign.table.position(&c.start_day_column).is_none() {
        return Ok(None);
    }
    let days = campaign.table.f64_values(&c.start_day_column).with_context(|| {
        format!(
            "{}: column '{}' (campaign.start_day_column) must hold day numbers",
            campaign.name, c.start_day_column
        )
    })?;
    let day = days.iter().copied().fold(f64::INFINITY, f64::min);
    if !day.is_finite() {
        bail!(
            "{}: column '{}' (campaign.start_day_column) has no finite day",
            campaign.name,
            c.start_day_column
        );
    }
    Ok(Some(CampaignStart { day, source: format!("column '{}' of {}", c.start_day_column, campaign.name) }))
}

/// The day the profiles describe: `profile.as_of`, else the day before the
/// campaign starts, else `None` (tp-profile's default, the last event day).
/// A `profile.as_of` on or after the campaign start is an error naming both
/// days unless `profile.allow_outcome_overlap` is set.
pub fn profile_as_of(config: &Config, start: Option<&CampaignStart>) -> Result<Option<f64>> {
    let Some(as_of) = config.profile.as_of else { return Ok(start.map(|s| s.day - 1.0)) };
    if !as_of.is_finite() {
        bail!("profile.as_of = {as_of}: expected a day number");
    }
    if let Some(s) = start
        && as_of >= s.day
        && !config.profile.allow_outcome_overlap
    {
        bail!(
            "profile.as_of = {as_of} is on or after the campaign start, day {} ({}): the profiles would \
             include the outcome window, so profile columns would carry the outcome; set profile.as_of \
             to day {} or earlier (the default), or allow it with profile.allow_outcome_overlap = true",
            s.day,
            s.source,
            s.day - 1.0
        );
    }
    Ok(Some(as_of))
}

/// The config keys that use profile columns (`uplift.profile_covariates`, and
/// `segment.features` or `policy.tree_features` patterns matching a profile
/// column), for the leakage checks.
pub fn keys_using_profiles(config: &Config, profile_names: &[String]) -> Vec<&'static str> {
    let matches = |patterns: &[String]| {
        patterns.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => profile_names.iter().any(|n| n.starts_with(prefix)),
            None => profile_names.iter().any(|n| n == p),
        })
    };
    let mut keys = Vec::new();
    if !config.uplift.profile_covariates.is_empty() {
        keys.push("uplift.profile_covariates");
    }
    if matches(&config.segment.features) {
        keys.push("segment.features");
    }
    if config.policy.tree_features.as_deref().is_some_and(matches) {
        keys.push("policy.tree_features");
    }
    keys
}

/// With the campaign start unknown and `profile.as_of` not set, profiles run
/// to the last event day, which may be inside the outcome window: an error
/// when profile columns are used (unless `profile.allow_outcome_overlap`).
pub fn check_unknown_start(config: &Config, profile_names: &[String]) -> Result<()> {
    let keys = keys_using_profiles(config, profile_names);
    if keys.is_empty() || config.profile.as_of.is_some() || config.profile.allow_outcome_overlap {
        return Ok(());
    }
    bail!(
        "{} use(s) profile columns, but the campaign start is unknown, so the profiles would run to the \
         last event day and may include the outcome window: set campaign.start_day (the first day of the \
         outcome window), add a '{}' column to data.campaign (campaign.start_day_column), or set \
         profile.as_of",
        keys.join(" and "),
        config.campaign.start_day_column
    )
}
