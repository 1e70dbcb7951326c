//! The whole pipeline behind `tp run` and `tp demo`: profile → segment →
//! uplift (diagnostics first) → policy (+ policy tree) → off-policy check →
//! A/B design, and, when a truth file is given, the true profit of every
//! decision.
//!
//! Every choice lives in [`Config`] (documented in `docs/config.md`); the
//! steps live in [`steps`]; [`Outcome`] holds every result the summary JSON
//! and the HTML report are made from, so the two always show the same
//! numbers.

pub mod config;
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

/// Runs the pipeline on `inputs` and writes every artifact into `out`.
pub fn run(config: &Config, inputs: &Inputs, out: &Path, progress: &mut Progress) -> Result<Outcome> {
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

/// The human summary printed on stderr after a run.
pub fn human(o: &Outcome, out: &Path) -> String {
    let d = &o.uplift.diagnostics;
    let r = &o.plan.report;
    let mut s = String::new();
    s.push_str(&format!(
        "overlap: propensity AUC {:.3}, {:.0}% of customers with ê in [{}, {}]{}\n",
        d.ps_auc,
        100.0 * d.overlap_share,
        d.band.0,
        d.band.1,
        if d.overlap_share < 0.8 { " — overlap is poor: read these effects as hypotheses" } else { "" }
    ));
    s.push_str(&format!(
        "ATE of {} on the outcome: {:.2} ± {:.2}\n",
        o.arms.get(1).map_or("", String::as_str),
        o.uplift.summary["ate"].as_f64().unwrap_or(f64::NAN),
        o.uplift.summary["ate_se"].as_f64().unwrap_or(f64::NAN)
    ));
    s.push_str(&format!(
        "policy: treat {:.1}% (break-even uplift {:.2}); estimated profit {} ± {}\n",
        100.0 * r.treated_share,
        o.breakeven[0],
        summary::money(r.expected_profit),
        summary::money(r.expected_profit_se)
    ));
    if let Some(t) = &o.truth {
        s.push_str(&format!(
            "truth: learned policy {} ({:.0}% of the oracle), oracle {} (treats {:.0}%), treat-all {}, current practice {}\n",
            summary::money(t.policy_profit),
            100.0 * t.policy_share_of_oracle,
            summary::money(t.oracle_profit),
            100.0 * t.oracle_treated_share,
            summary::money(t.treat_all_profit),
            summary::money(t.current_practice_profit)
        ));
    }
    s.push_str(&format!("A/B test to confirm: {} customers per arm\n", o.design.n_per_arm));
    s.push_str(&format!(
        "wrote {}/{{{}segments.csv, cate.csv, policy.csv, ope.json, summary.json, report.html}} in {:.1} s",
        out.display(),
        if o.profile.is_some() { "profiles.csv, " } else { "" },
        o.seconds
    ));
    s
}
