//! The pipeline's input tables: reading the files a config names, and joining
//! other tables onto the campaign log's customers.

use crate::Config;
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::path::PathBuf;
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
