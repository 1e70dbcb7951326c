//! `cargo xtask layers`: the crate graph must match DESIGN.md's layer table.
//!
//! Reads `cargo metadata --no-deps`, collects every dependency edge from one workspace crate to
//! another (normal, build and dev), and reports each edge the table does not allow, each workspace
//! crate the table does not list, and each table crate the workspace lacks. [`LAYERS`] is the only
//! copy of the table in code.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Which workspace crates a crate may depend on.
#[derive(Debug, Clone, Copy)]
pub enum Allowed {
    /// Exactly these crates (by package name), nothing else from the workspace.
    Only(&'static [&'static str]),
    /// Any workspace crate (the CLI and the cross-crate benchmarks sit on top of everything).
    Any,
}

/// One row of the table: a crate, what it may depend on, and whether its dev-dependencies are exempt.
#[derive(Debug, Clone, Copy)]
pub struct Layer {
    /// Package name.
    pub name: &'static str,
    /// Workspace crates it may depend on (normal and build dependencies, and dev unless exempt).
    pub allowed: Allowed,
    /// Dev-dependencies may point anywhere (tooling crates).
    pub dev_exempt: bool,
}

const fn only(name: &'static str, deps: &'static [&'static str]) -> Layer {
    Layer { name, allowed: Allowed::Only(deps), dev_exempt: false }
}

/// DESIGN.md, "Crates and layers": a crate depends only on the crates listed for it.
pub const LAYERS: &[Layer] = &[
    only("tp-core", &[]),
    only("tp-learn", &["tp-core"]),
    only("tp-profile", &["tp-core"]),
    only("tp-segment", &["tp-core"]),
    only("tp-uplift", &["tp-core", "tp-learn"]),
    only("tp-policy", &["tp-core"]),
    only("tp-ope", &["tp-core", "tp-learn"]),
    only("tp-sim", &["tp-core"]),
    only("tp-io", &["tp-core"]),
    // the pipeline: the stages, io and sim; below the binary and the Python package
    only(
        "tp-pipeline",
        &[
            "tp-core",
            "tp-learn",
            "tp-profile",
            "tp-segment",
            "tp-uplift",
            "tp-policy",
            "tp-ope",
            "tp-sim",
            "tp-io",
        ],
    ),
    Layer { name: "tp-cli", allowed: Allowed::Any, dev_exempt: false },
    // the stages for the estimators, the pipeline for `tp.run` and the table glue
    only(
        "tp-python",
        &[
            "tp-core",
            "tp-learn",
            "tp-profile",
            "tp-segment",
            "tp-uplift",
            "tp-policy",
            "tp-ope",
            "tp-sim",
            "tp-io",
            "tp-pipeline",
        ],
    ),
    Layer { name: "tp-benches", allowed: Allowed::Any, dev_exempt: true },
    Layer { name: "xtask", allowed: Allowed::Only(&[]), dev_exempt: true },
];

/// One way the workspace breaks the layer table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// `from` depends on `to`, which its row does not list.
    ForbiddenEdge {
        /// The depending crate.
        from: String,
        /// The crate it must not depend on.
        to: String,
        /// `normal`, `build` or `dev`.
        kind: String,
    },
    /// A workspace crate that has no row in the table.
    Unlisted {
        /// Package name.
        name: String,
    },
    /// A table row whose crate is not in the workspace.
    Missing {
        /// Package name.
        name: String,
    },
}

fn layer(name: &str) -> Option<&'static Layer> {
    LAYERS.iter().find(|l| l.name == name)
}

fn allowed_list(name: &str) -> String {
    match layer(name).map(|l| l.allowed) {
        Some(Allowed::Only([])) => "no workspace crate".to_string(),
        Some(Allowed::Only(deps)) => deps.join(", "),
        Some(Allowed::Any) => "any workspace crate".to_string(),
        None => "nothing (not in the table)".to_string(),
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::ForbiddenEdge { from, to, kind } => write!(
                f,
                "forbidden edge {from} -> {to} ({kind} dependency): DESIGN.md 'Crates and layers' lets \
                 {from} depend only on {}; stages never import each other, they meet in tp-core types \
                 and in tp-pipeline. Move the shared piece down to tp-core or drop the dependency.",
                allowed_list(from)
            ),
            Violation::Unlisted { name } => write!(
                f,
                "workspace crate {name} is not in DESIGN.md's layer table: add its row to DESIGN.md and \
                 to xtask/src/layers.rs LAYERS"
            ),
            Violation::Missing { name } => write!(
                f,
                "DESIGN.md's layer table lists {name} but the workspace has no such crate: restore it or \
                 remove its row from DESIGN.md and xtask/src/layers.rs LAYERS"
            ),
        }
    }
}

/// Checks `cargo metadata --format-version 1 --no-deps` output against [`LAYERS`].
///
/// Returns every violation, sorted, or an empty list when the graph matches the table.
pub fn check(metadata: &Value) -> Result<Vec<Violation>> {
    let packages = metadata["packages"].as_array().context("cargo metadata has no `packages` array")?;
    let members: BTreeSet<&str> = metadata["workspace_members"]
        .as_array()
        .context("cargo metadata has no `workspace_members` array")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // name -> list of (dependency name, kind) for workspace packages only
    let mut graph: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for package in packages {
        let id = package["id"].as_str().context("package without `id`")?;
        if !members.contains(id) {
            continue;
        }
        let name = package["name"].as_str().context("package without `name`")?;
        let mut deps = Vec::new();
        for dep in package["dependencies"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let dep_name = dep["name"].as_str().context("dependency without `name`")?;
            let kind = dep["kind"].as_str().unwrap_or("normal");
            deps.push((dep_name, kind));
        }
        graph.insert(name, deps);
    }

    let mut violations = Vec::new();
    for (&name, deps) in &graph {
        let Some(row) = layer(name) else {
            violations.push(Violation::Unlisted { name: name.to_string() });
            continue;
        };
        for &(to, kind) in deps {
            if !graph.contains_key(to) || (kind == "dev" && row.dev_exempt) {
                continue;
            }
            let ok = match row.allowed {
                Allowed::Any => to != name,
                Allowed::Only(list) => list.contains(&to),
            };
            if !ok {
                violations.push(Violation::ForbiddenEdge {
                    from: name.to_string(),
                    to: to.to_string(),
                    kind: kind.to_string(),
                });
            }
        }
    }
    for row in LAYERS {
        if !graph.contains_key(row.name) {
            violations.push(Violation::Missing { name: row.name.to_string() });
        }
    }
    violations.sort_by_key(|v| v.to_string());
    violations.dedup();
    Ok(violations)
}

/// Runs `cargo metadata` for the workspace at `root` and parses it.
pub fn metadata(root: &Path) -> Result<Value> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .output()
        .context("could not run `cargo metadata`")?;
    if !output.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    serde_json::from_slice(&output.stdout).context("cargo metadata printed invalid JSON")
}

/// `cargo xtask layers`: prints each violation and fails if there is any.
pub fn run(root: &Path) -> Result<()> {
    let violations = check(&metadata(root)?)?;
    if violations.is_empty() {
        println!("layers: ok ({} crates match DESIGN.md's table)", LAYERS.len());
        return Ok(());
    }
    for v in &violations {
        eprintln!("layers: {v}");
    }
    bail!("{} layer violation(s)", violations.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn package(name: &str, deps: &[(&str, Option<&str>)]) -> Value {
        let deps: Vec<Value> = deps.iter().map(|(d, kind)| json!({ "name": d, "kind": kind })).collect();
        json!({ "name": name, "id": format!("path+file:///ws/{name}#0.1.0"), "dependencies": deps })
    }

    /// A synthetic workspace that matches the table; `edit` may change it before checking.
    fn workspace(edit: impl FnOnce(&mut Vec<Value>)) -> Value {
        let mut packages: Vec<Value> = LAYERS
            .iter()
            .map(|row| {
                let deps: Vec<(&str, Option<&str>)> = match row.allowed {
                    Allowed::Only(list) => list.iter().map(|d| (*d, None)).collect(),
                    Allowed::Any => vec![("tp-core", None), ("tp-sim", None)],
                };
                package(row.name, &deps)
            })
            .collect();
        edit(&mut packages);
        let members: Vec<Value> = packages.iter().map(|p| p["id"].clone()).collect();
        // an external crate with the same shape must not count
        packages.push(json!({ "name": "faer", "id": "registry+faer#0.24.0", "dependencies": [] }));
        json!({ "packages": packages, "workspace_members": members })
    }

    fn add_dep(packages: &mut [Value], from: &str, to: &str, kind: Option<&str>) {
        let p = packages.iter_mut().find(|p| p["name"] == from).unwrap();
        p["dependencies"].as_array_mut().unwrap().push(json!({ "name": to, "kind": kind }));
    }

    #[test]
    fn table_shaped_workspace_passes() {
        assert_eq!(check(&workspace(|_| {})).unwrap(), vec![]);
    }

    #[test]
    fn stage_importing_a_stage_is_named() {
        let meta = workspace(|p| add_dep(p, "tp-segment", "tp-learn", None));
        let v = check(&meta).unwrap();
        assert_eq!(
            v,
            vec![Violation::ForbiddenEdge {
                from: "tp-segment".into(),
                to: "tp-learn".into(),
                kind: "normal".into()
            }]
        );
        let msg = v[0].to_string();
        assert!(msg.contains("tp-segment -> tp-learn") && msg.contains("DESIGN.md"), "{msg}");
        assert!(msg.contains("only on tp-core"), "{msg}");
    }

    #[test]
    fn dev_and_build_edges_count_except_for_tooling() {
        let meta = workspace(|p| {
            add_dep(p, "tp-core", "tp-sim", Some("dev"));
            add_dep(p, "tp-policy", "tp-uplift", Some("build"));
            add_dep(p, "xtask", "tp-core", Some("dev"));
        });
        let v = check(&meta).unwrap();
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(v.iter().any(
            |x| matches!(x, Violation::ForbiddenEdge { from, kind, .. } if from == "tp-core" && kind == "dev")
        ));
        assert!(v.iter().any(|x| matches!(x, Violation::ForbiddenEdge { from, kind, .. } if from == "tp-policy" && kind == "build")));
    }

    #[test]
    fn the_pipeline_sits_below_the_binary_and_python() {
        // tp-python reaches the pipeline through tp-pipeline, never the binary's crate
        let v = check(&workspace(|p| add_dep(p, "tp-python", "tp-cli", None))).unwrap();
        assert_eq!(v.len(), 1, "{v:?}");
        // and the pipeline imports neither of the crates above it
        let v = check(&workspace(|p| {
            add_dep(p, "tp-pipeline", "tp-cli", None);
            add_dep(p, "tp-pipeline", "tp-python", Some("dev"));
        }))
        .unwrap();
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(v[0].to_string().contains("tp-pipeline -> tp-cli"), "{}", v[0]);
    }

    #[test]
    fn xtask_may_not_use_tp_crates_at_runtime() {
        let v = check(&workspace(|p| add_dep(p, "xtask", "tp-io", None))).unwrap();
        assert_eq!(v.len(), 1);
    }

    #[test]
    fn external_dependencies_are_ignored() {
        assert_eq!(check(&workspace(|p| add_dep(p, "tp-core", "faer", None))).unwrap(), vec![]);
    }

    #[test]
    fn unlisted_and_missing_crates_are_reported() {
        let meta = workspace(|p| {
            p.retain(|x| x["name"] != "tp-io");
            p.push(package("tp-extra", &[("tp-core", None)]));
        });
        let v = check(&meta).unwrap();
        assert!(v.contains(&Violation::Unlisted { name: "tp-extra".into() }), "{v:?}");
        assert!(v.contains(&Violation::Missing { name: "tp-io".into() }), "{v:?}");
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn malformed_metadata_is_an_error() {
        assert!(check(&json!({ "workspace_members": [] })).is_err());
    }

    #[test]
    fn real_workspace_follows_the_table() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let v = check(&metadata(root).unwrap()).unwrap();
        let text: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert!(v.is_empty(), "layer violations:\n{}", text.join("\n"));
    }
}
