//! The pipeline as a library, behind `tp run`, `tp demo` and Python's `tp.run`: profile →
//! segment → uplift (diagnostics first) → policy (+ policy tree) → off-policy check → A/B
//! design, and, when a truth file is given, the true profit of every decision.
//!
//! Every choice lives in [`Config`] (documented in `docs/config.md`); the steps live in
//! [`steps`]; [`Outcome`] holds every result the summary JSON and the HTML report are made
//! from, so the two always show the same numbers. The caller shows progress through the
//! [`Progress`] trait and prints what it likes; nothing here writes to stdout.

pub mod arms;
pub mod causal;
pub mod config;
pub mod html;
pub mod plan;
pub mod progress;
pub mod steps;
pub mod summary;

pub use config::Config;
pub use progress::Progress;
pub use steps::Outcome;

use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tp_core::Table;
use tp_io::ReadOptions;

/// A table and the name it goes by in messages (its file, or its config key).
#[derive(Debug, Clone)]
pub struct Named {
    /// The table.
    pub table: Table,
    /// File name or description, for messages.
    pub name: String,
}

/// The pipeline's input tables.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// Customer covariates (`None`: the campaign log carries them).
    pub customers: Option<Named>,
    /// The campaign log.
    pub campaign: Named,
    /// Events and catalog, when profiles are wanted.
    pub events: Option<(Named, Named)>,
    /// The truth of a simulated world (`tau_<arm>` columns).
    pub truth: Option<Named>,
}

/// Reads the file a config key names; a missing file names the key.
fn read_key(path: &Option<PathBuf>, key: &str) -> Result<Option<Named>> {
    let Some(p) = path else { return Ok(None) };
    if !p.exists() {
        bail!(
            "{key} = {}: no such file; fix the path (relative paths start at the config's folder)",
            p.display()
        );
    }
    let table =
        tp_io::read_table(p, &ReadOptions::new()).with_context(|| format!("{key} = {}", p.display()))?;
    Ok(Some(Named { table, name: p.display().to_string() }))
}

impl Inputs {
    /// Reads the files of `config.data`; `data.campaign` is required,
    /// `data.events` and `data.catalog` go together.
    pub fn read(config: &Config) -> Result<Inputs> {
        let d = &config.data;
        let require = |p: &Option<PathBuf>, key: &str| -> Result<()> {
            if p.is_none() {
                bail!(
                    "{key} is missing: add it under [data], e.g. {key} = \"world/{}.csv\"",
                    key.trim_start_matches("data.")
                );
            }
            Ok(())
        };
        require(&d.campaign, "data.campaign")?;
        if d.events.is_some() != d.catalog.is_some() {
            bail!("data.events and data.catalog go together: give both (profiles) or neither");
        }
        let customers = read_key(&d.customers, "data.customers")?;
        let campaign = read_key(&d.campaign, "data.campaign")?.expect("checked above");
        let events = if config.profile.enabled {
            match (read_key(&d.events, "data.events")?, read_key(&d.catalog, "data.catalog")?) {
                (Some(e), Some(c)) => Some((e, c)),
                _ => None,
            }
        } else {
            None
        };
        let truth = read_key(&d.truth, "data.truth")?;
        Ok(Inputs { customers, campaign, events, truth })
    }
}

/// Row of each campaign customer in `other` (joined on `id`); customers
/// absent from `other` are an error when `required`, else `None`.
pub fn join_rows(campaign: &Named, other: &Named, id: &str, required: bool) -> Result<Vec<Option<usize>>> {
    let keys = campaign
        .table
        .string_values(id)
        .with_context(|| format!("{}: the id column '{id}' (data.id) is missing", campaign.name))?;
    let other_keys = other
        .table
        .string_values(id)
        .with_context(|| format!("{}: the id column '{id}' (data.id) is missing", other.name))?;
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(other_keys.len());
    for (i, k) in other_keys.iter().enumerate() {
        if index.insert(k.as_str(), i).is_some() {
            bail!("{}: customer '{k}' appears twice in column '{id}'; keep one row per customer", other.name);
        }
    }
    keys.iter()
        .map(|k| match index.get(k.as_str()) {
            Some(&i) => Ok(Some(i)),
            None if required => Err(anyhow::anyhow!(
                "{}: customer '{k}' of the campaign log {} is missing; every campaign customer needs a row",
                other.name,
                campaign.name
            )),
            None => Ok(None),
        })
        .collect()
}

/// The rows of `table` in `rows` order; absent rows get 0 in numeric
/// columns and "" in string columns (a customer without events has no
/// purchases).
pub fn gather(table: &Table, rows: &[Option<usize>], skip: &str) -> Result<Table> {
    use tp_core::{Column, ColumnData};
    let mut cols = Vec::new();
    for c in table.columns().iter().filter(|c| c.name != skip) {
        let data = match &c.data {
            ColumnData::F64(v) => ColumnData::F64(rows.iter().map(|r| r.map_or(0.0, |i| v[i])).collect()),
            ColumnData::I64(v) => ColumnData::I64(rows.iter().map(|r| r.map_or(0, |i| v[i])).collect()),
            ColumnData::Bool(v) => ColumnData::Bool(rows.iter().map(|r| r.is_some_and(|i| v[i])).collect()),
            ColumnData::Str(v) => {
                ColumnData::Str(rows.iter().map(|r| r.map_or_else(String::new, |i| v[i].clone())).collect())
            }
        };
        cols.push(Column { name: c.name.clone(), data });
    }
    Ok(Table::new(cols)?)
}

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

/// An output folder being written: every file goes into a hidden temporary
/// sibling of the target (`.NAME.tp-partial-PID`), which [`Staging::commit`]
/// renames into place once the run has succeeded. A run that fails drops the
/// temporary folder; a run that is killed leaves it behind, and the next run
/// next to it removes it (its process is gone). Either way the target keeps
/// its previous content and no partial new one appears under its name.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    tmp: PathBuf,
    committed: bool,
}

const PARTIAL: &str = ".tp-partial-";

impl Staging {
    /// Prepares to write `target`: it must be absent, empty or a previous
    /// output folder of tp (it has a `summary.json`), since committing
    /// replaces it whole.
    pub fn new(target: &Path) -> Result<Staging> {
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| *n != "." && *n != "..")
            .with_context(|| format!("--out {}: name a folder, e.g. --out results", target.display()))?;
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if target.exists() {
            if !target.is_dir() {
                bail!("--out {}: a file of that name exists; name a folder", target.display());
            }
            let empty = std::fs::read_dir(target)
                .with_context(|| format!("cannot read the output folder {}", target.display()))?
                .next()
                .is_none();
            if !empty && !target.join("summary.json").exists() {
                bail!(
                    "--out {}: the folder exists and is not an output folder of tp (no summary.json); \
                     tp replaces its output folder whole, so name a new or empty folder",
                    target.display()
                );
            }
        }
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create the folder {}", parent.display()))?;
        sweep_stale(&parent, name);
        let tmp = parent.join(format!(".{name}{PARTIAL}{}", std::process::id()));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).with_context(|| format!("cannot remove {}", tmp.display()))?;
        }
        std::fs::create_dir(&tmp).with_context(|| format!("cannot create the folder {}", tmp.display()))?;
        Ok(Staging { target: target.to_path_buf(), tmp, committed: false })
    }

    /// The temporary folder to write into.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Puts the finished folder in place of the target (the previous target,
    /// if any, is moved aside first and then removed).
    pub fn commit(mut self) -> Result<()> {
        let old = self.tmp.with_file_name(format!(
            "{}.old",
            self.tmp.file_name().and_then(|n| n.to_str()).unwrap_or(".tp-partial")
        ));
        let had_target = self.target.exists();
        if had_target {
            std::fs::rename(&self.target, &old)
                .with_context(|| format!("cannot move the previous {} aside", self.target.display()))?;
        }
        if let Err(e) = std::fs::rename(&self.tmp, &self.target) {
            if had_target {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(e).with_context(|| format!("cannot rename the results to {}", self.target.display()));
        }
        self.committed = true;
        if had_target {
            std::fs::remove_dir_all(&old)
                .with_context(|| format!("cannot remove the previous results {}", old.display()))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Removes temporary siblings of `name` in `parent` left by killed runs
/// (their process id no longer runs). Only where `/proc` tells which
/// processes run; elsewhere they stay (hidden, and harmless to the target).
fn sweep_stale(parent: &Path, name: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!(".{name}{PARTIAL}");
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(rest) = file.to_str().and_then(|f| f.strip_prefix(&prefix)) else { continue };
        let (pid, old) = match rest.strip_suffix(".old") {
            Some(pid) => (pid, true),
            None => (rest, false),
        };
        if pid.parse::<u32>().is_ok_and(|p| !Path::new(&format!("/proc/{p}")).exists()) {
            let target = parent.join(name);
            // a run killed inside commit, between its two renames: put the previous results back
            if old && !target.exists() && std::fs::rename(e.path(), &target).is_ok() {
                continue;
            }
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Runs the pipeline on `inputs` and writes every artifact into `out` (an
/// existing folder: `tp run` and `tp demo` pass a [`Staging`] folder).
pub fn run(config: &Config, inputs: &Inputs, out: &Path, progress: &mut dyn Progress) -> Result<Outcome> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the output folder {}", out.display()))?;
    steps::run(config, inputs, out, progress)
}

/// Checks that every file the config names exists (naming the key when
/// not), without reading any.
pub fn check_files(config: &Config) -> Result<()> {
    let d = &config.data;
    for (key, p) in [
        ("data.customers", &d.customers),
        ("data.campaign", &d.campaign),
        ("data.events", &d.events),
        ("data.catalog", &d.catalog),
        ("data.truth", &d.truth),
    ] {
        if let Some(p) = p
            && !p.exists()
        {
            bail!(
                "{key} = {}: no such file; fix the path (relative paths start at the config's folder)",
                p.display()
            );
        }
    }
    Ok(())
}

/// Writes `summary.json` (with `extra` entries added at the top level),
/// `ope.json` and `report.html` into `out`; returns the summary.
pub fn write_outputs(
    o: &Outcome,
    config: &Config,
    out: &Path,
    extra: Vec<(&str, serde_json::Value)>,
    title: &str,
    context: &str,
) -> Result<serde_json::Value> {
    let mut s = summary::summary(o, config);
    for (k, v) in extra {
        s[k] = v;
    }
    tp_io::write_json(out.join("ope.json"), &s["ope"])?;
    tp_io::write_json(out.join("summary.json"), &s)?;
    let html = crate::html::render(o, title, context)?;
    let path = out.join("report.html");
    let tmp = out.join(".report.html.tmp");
    std::fs::write(&tmp, html).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(s)
}
