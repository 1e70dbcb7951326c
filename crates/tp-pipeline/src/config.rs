//! The pipeline's configuration: every choice `tp run` and `tp demo` make,
//! in one place, with its default.
//!
//! A `tp run` config is a TOML file with the sections below; every key is
//! optional except `data.campaign` and the economics
//! (`policy.margin`, `policy.cost`). Unknown keys are errors that name the
//! key. `docs/config.md` documents the same keys for users; keep the two in
//! step (a test checks that every key of [`Config::default`] appears there).

use crate::uplift::ForestSettings;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tp_ope::Estimator;
use tp_uplift::{LearnerKind, Method};

/// The whole pipeline configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Seed of every stochastic step (default 7).
    pub seed: u64,
    /// Input files.
    pub data: DataConfig,
    /// Roles of the campaign log's columns.
    pub campaign: CampaignConfig,
    /// Customer profiles from events and a catalog.
    pub profile: ProfileConfig,
    /// NMF → K-Means segments.
    pub segment: SegmentConfig,
    /// Effect estimation.
    pub uplift: UpliftConfig,
    /// Economics and the targeting rule.
    pub policy: PolicyConfig,
    /// Off-policy evaluation.
    pub ope: OpeConfig,
    /// The confirming A/B test.
    pub design: DesignConfig,
}

/// Input files (CSV or Parquet, by extension). Relative paths are relative
/// to the config file's folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// Customer covariates, one row per customer (default: the campaign log carries them).
    pub customers: Option<PathBuf>,
    /// The campaign log: one row per customer in the campaign (required by `tp run`).
    pub campaign: Option<PathBuf>,
    /// Event log (customer, item, day, quantity, value, promo); with `catalog`, enables profiles.
    pub events: Option<PathBuf>,
    /// Item catalog (item_id → attributes); with `events`, enables profiles.
    pub catalog: Option<PathBuf>,
    /// Optional truth file of a simulated world (`tau_<arm>` per customer): scores the policy.
    pub truth: Option<PathBuf>,
    /// Column that identifies a customer in every file (default `customer_id`); a lone
    /// campaign log without it gets row numbers.
    pub id: String,
}

/// Which campaign-log columns play which role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CampaignConfig {
    /// Arm column: labels or integers (default `arm`).
    pub treatment: String,
    /// Outcome column, in the outcome's unit, e.g. dollars of spend (default `outcome`).
    pub outcome: String,
    /// Label of the control arm (default: `control`, `0` or `false` when present).
    pub control: Option<String>,
    /// Logged propensities in columns `<prefix><arm>` (default `p_`; empty = estimate them).
    pub propensity_prefix: String,
    /// Columns never used as default covariates, on top of the ones always left out: the
    /// treatment and outcome, logged propensities (`propensity`, `p_<arm>`, `<propensity_prefix>*`),
    /// numeric copies of the treatment and the campaign start column (default none).
    pub exclude: Vec<String>,
    /// First day of the outcome window, in the events' `day` unit (default: the minimum of the
    /// campaign log's `start_day_column`, when it has one).
    pub start_day: Option<f64>,
    /// Campaign-log column holding the first day of the outcome window, per customer (default
    /// `campaign_start_day`, written by `tp simulate --preset retail`).
    pub start_day_column: String,
}

/// How profiles are built (only when `data.events` and `data.catalog` are given).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProfileConfig {
    /// Build profiles when events and catalog are given (default true).
    pub enabled: bool,
    /// Half-life of an event's weight, in days (default 90).
    pub half_life_days: f64,
    /// Shrinkage toward the population mix, in events (default 5).
    pub shrinkage: f64,
    /// `spend` or `count`: what weights an event (default `spend`).
    pub weight: String,
    /// Day the profiles describe: events after it are left out (default: the day before the
    /// campaign starts, see `campaign.start_day`; the last event day when the start is unknown).
    pub as_of: Option<f64>,
    /// Allow `as_of` on or after the campaign start, so that profiles include the outcome window
    /// (default false: that is an error, since profile columns would then carry the outcome).
    pub allow_outcome_overlap: bool,
}

/// NMF → K-Means segmentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SegmentConfig {
    /// Non-negative feature columns (customers or profile columns; a trailing `*` matches a
    /// prefix, e.g. `l2.*`). Default: the eight `pre_*` behavior columns of the retail world.
    pub features: Vec<String>,
    /// NMF rank: a number or `"auto"` (default 5).
    pub factors: Count,
    /// Number of segments: a number or `"auto"` (default 7).
    pub clusters: Count,
    /// Bootstrap runs of the stability ARI (default 30; 0 skips it).
    pub stability_runs: usize,
    /// Column whose share per segment is reported, e.g. revenue (default `pre_spend`; empty = none).
    pub value: String,
}

/// A fixed count or `"auto"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Count {
    /// Exactly this many.
    Fixed(usize),
    /// `"auto"`: chosen by the stage's documented rule over 2..=10.
    Auto(AutoWord),
}

/// The word `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AutoWord {
    /// `"auto"`.
    Auto,
}

/// Effect estimation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpliftConfig {
    /// `causal_forest`, `uplift_forest` (0/1 outcome), or a meta-learner `s`, `t`, `x`, `r`, `dr`
    /// (default `causal_forest`).
    #[serde(with = "method_key")]
    pub method: Method,
    /// Base learners of a meta-learner (and of the uplift forest's pricing nuisances): `linear`,
    /// `rf`, `gbt` (default `linear`).
    pub learner: LearnerKind,
    /// Forest trees (default 2000).
    pub trees: usize,
    /// The forests' other knobs (`[uplift.forest]`).
    pub forest: ForestSettings,
    /// Cross-fitting folds of a meta-learner and of its out-of-fold τ̂ (default 5).
    pub folds: usize,
    /// Level of the per-customer τ̂ interval (default 0.9).
    pub interval_level: f64,
    /// Covariates: columns of the customers and campaign tables (default: every numeric column
    /// not used for another role). `*` suffix matches a prefix.
    pub covariates: Option<Vec<String>>,
    /// Add the segments' NMF factor columns as covariates (default true).
    pub factor_covariates: bool,
    /// Profile columns added as covariates (`*` suffix matches a prefix; default none).
    pub profile_covariates: Vec<String>,
}

/// Economics and the targeting rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Value of one unit of outcome, e.g. the gross margin 0.3 on spend (required by `tp run`).
    pub margin: Option<f64>,
    /// Cost per treated customer of each treatment arm, in the order of the arms after control
    /// (currency; required by `tp run`).
    pub cost: Option<Vec<f64>>,
    /// Fixed cost of running the campaign at all (currency; default 0).
    pub fixed_cost: f64,
    /// `threshold` (treat when the best arm's net value is positive), `top_share` or `budget`
    /// (default `threshold`).
    pub rule: String,
    /// Share targeted under `rule = "top_share"` (0–1).
    pub top_share: Option<f64>,
    /// Variable spend cap under `rule = "budget"` (currency).
    pub budget: Option<f64>,
    /// Weight λ ∈ [0, 1] on the τ̂ interval's lower bound (default 0).
    pub risk_lambda: f64,
    /// Depth of the interpretable policy tree (default 2; 0 = none).
    pub tree_depth: usize,
    /// Covariates of the policy tree (default: the segment features).
    pub tree_features: Option<Vec<String>>,
    /// Grid points of the profit curve (default 101).
    pub curve_points: usize,
    /// Which policy ships when `rule = "threshold"`: `auto` (every candidate priced out of fold,
    /// the best chosen with the two-SE rule; default), `threshold`, `rank`, `tree` or `risk`.
    pub learner: tp_policy::PolicyLearner,
    /// The score the policy decides on: `auto` (τ̂ or its cross-fitted linear projection on the
    /// uplift covariates, whichever has the lower R-loss; default), `raw` or `linear`.
    pub score: tp_uplift::SmoothMode,
    /// Under `learner = "auto"`, `rank` and the trees (rules learned from DR scores) may ship only
    /// when at least this share of customers has propensities in [0.1, 0.9] (default 0.9).
    pub min_overlap_dr: f64,
    /// The policy step's doubly robust scores (which learn the DR-based candidates and price every
    /// candidate) divide by propensities clipped to [c, 1 − c] (default 0.01, as the causal forest's
    /// own scores).
    pub propensity_clip: f64,
    /// Outer folds of the policy's cross-fitted pricing (default 5).
    pub folds: usize,
    /// A simpler candidate within this many paired standard errors of the best is chosen
    /// (default 1).
    pub margin_se: f64,
    /// Smallest leaf of the candidate policy trees, as a share of the rows (default 0.1).
    pub min_leaf_share: f64,
    /// Covariates the candidate trees split on: the `tree_features` the causal forest splits on
    /// most (default 4; 0 = all of them).
    pub tree_screen: usize,
    /// Coverage of the stated interval of the chosen policy's profit (default 0.9).
    pub profit_level: f64,
}

/// Serde for `uplift.method`: [`method_name`] out, [`parse_method`] in, the error naming the key.
mod method_key {
    use crate::uplift::{method_name, parse_method};
    use serde::{Deserialize, Deserializer, Serializer};
    use tp_uplift::Method;

    pub fn serialize<S: Serializer>(m: &Method, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(method_name(*m))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Method, D::Error> {
        let s = String::deserialize(d)?;
        parse_method(&s).map_err(|e| serde::de::Error::custom(format!("uplift.{e}")))
    }
}

/// Serde for `ope.estimators`: [`Estimator::name`]s out; in, each name as `tp ope --estimators`
/// reads it (any case, `_` for `-`), the error naming the key, the bad value and the choices.
mod estimators_key {
    use serde::{Deserialize, Deserializer, Serializer};
    use tp_ope::Estimator;

    pub fn serialize<S: Serializer>(v: &[Estimator], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|e| e.name()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Estimator>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|name| {
                name.parse().map_err(|_| {
                    let names: Vec<String> = Estimator::ALL.iter().map(|e| format!("\"{e}\"")).collect();
                    serde::de::Error::custom(format!(
                        "ope.estimators = \"{name}\": expected a list of {}",
                        names.join(", ")
                    ))
                })
            })
            .collect()
    }
}

/// Off-policy evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpeConfig {
    /// Estimators (default all: `dm`, `ipw`, `snipw`, `dr`, `sndr`, `switch-dr`, `dros`).
    #[serde(with = "estimators_key")]
    pub estimators: Vec<Estimator>,
    /// Two-sided α of the intervals (default 0.05).
    pub alpha: f64,
    /// Bootstrap replicates (default 0: normal intervals).
    pub bootstrap: usize,
    /// Importance-weight clip λ (default none).
    pub clip: Option<f64>,
}

/// The A/B test that would confirm the policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DesignConfig {
    /// Minimum detectable effect in outcome units (default: the first arm's break-even uplift).
    pub mde: Option<f64>,
    /// Two-sided α (default 0.05).
    pub alpha: f64,
    /// Power (default 0.8).
    pub power: f64,
}

/// The retail world's pre-period behavior columns: the default segment features.
pub const RETAIL_SEGMENT_FEATURES: [&str; 8] = [
    "pre_spend",
    "pre_visits",
    "pre_items",
    "pre_avg_basket",
    "pre_promo_share",
    "pre_recency_weeks",
    "pre_spend_last12",
    "pre_weeks_active",
];

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 7,
            data: DataConfig::default(),
            campaign: CampaignConfig::default(),
            profile: ProfileConfig::default(),
            segment: SegmentConfig::default(),
            uplift: UpliftConfig::default(),
            policy: PolicyConfig::default(),
            ope: OpeConfig::default(),
            design: DesignConfig::default(),
        }
    }
}

impl Default for CampaignConfig {
    fn default() -> Self {
        CampaignConfig {
            treatment: "arm".into(),
            outcome: "outcome".into(),
            control: None,
            propensity_prefix: "p_".into(),
            exclude: Vec::new(),
            start_day: None,
            start_day_column: "campaign_start_day".into(), // causal::CAMPAIGN_START_COLUMN (literal: fuzz/ compiles this file alone),
        }
    }
}

impl Default for ProfileConfig {
    fn default() -> Self {
        ProfileConfig {
            enabled: true,
            half_life_days: 90.0,
            shrinkage: 5.0,
            weight: "spend".into(),
            as_of: None,
            allow_outcome_overlap: false,
        }
    }
}

impl Default for SegmentConfig {
    fn default() -> Self {
        SegmentConfig {
            features: RETAIL_SEGMENT_FEATURES.iter().map(|s| s.to_string()).collect(),
            factors: Count::Fixed(5),
            clusters: Count::Fixed(7),
            stability_runs: 30,
            value: "pre_spend".into(),
        }
    }
}

impl Default for UpliftConfig {
    fn default() -> Self {
        UpliftConfig {
            method: Method::CausalForest,
            learner: LearnerKind::Linear,
            trees: 2000,
            forest: ForestSettings::default(),
            folds: 5,
            interval_level: 0.9,
            covariates: None,
            factor_covariates: true,
            profile_covariates: Vec::new(),
        }
    }
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            margin: None,
            cost: None,
            fixed_cost: 0.0,
            rule: "threshold".into(),
            top_share: None,
            budget: None,
            risk_lambda: 0.0,
            tree_depth: 2,
            tree_features: None,
            curve_points: 101,
            learner: tp_policy::PolicyLearner::Auto,
            score: tp_uplift::SmoothMode::Auto,
            min_overlap_dr: 0.9,
            propensity_clip: 0.01,
            folds: 5,
            margin_se: 2.0,
            min_leaf_share: 0.1,
            tree_screen: 4,
            profit_level: 0.9,
        }
    }
}

impl Default for OpeConfig {
    fn default() -> Self {
        OpeConfig { estimators: Estimator::ALL.to_vec(), alpha: 0.05, bootstrap: 0, clip: None }
    }
}

impl Default for DesignConfig {
    fn default() -> Self {
        DesignConfig { mde: None, alpha: 0.05, power: 0.8 }
    }
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            customers: None,
            campaign: None,
            events: None,
            catalog: None,
            truth: None,
            id: "customer_id".into(),
        }
    }
}

impl Config {
    /// Reads a TOML config; unknown keys and wrong types are errors naming
    /// the key and the file. Relative data paths become relative to the
    /// file's folder.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the config {}: {e}; check the path", path.display()))?;
        let mut config = Config::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut config.data.customers,
            &mut config.data.campaign,
            &mut config.data.events,
            &mut config.data.catalog,
            &mut config.data.truth,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(config)
    }

    /// Parses TOML text; the error is one line naming the key.
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        toml::from_str::<Config>(text).map_err(|e| {
            // toml's message quotes the offending line over several lines; keep the first
            // and the explanation, which names the key ("unknown field `x`, expected one of …").
            let msg = e.message().trim().to_string();
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!("line {line}: ")
                })
                .unwrap_or_default();
            let hint = if msg.starts_with("unknown field") {
                "; see docs/config.md for the keys of each section"
            } else {
                ""
            };
            anyhow::anyhow!("{at}{msg}{hint}")
        })
    }
}

/// Expands `patterns` (exact names, or `prefix*`) against `available`
/// column names, in the order of the patterns; a pattern that matches
/// nothing is an error naming it and `what` (the config key).
pub fn expand_columns(patterns: &[String], available: &[&str], what: &str) -> anyhow::Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for p in patterns {
        let matched: Vec<&str> = match p.strip_suffix('*') {
            Some(prefix) => available.iter().copied().filter(|c| c.starts_with(prefix)).collect(),
            None => available.iter().copied().filter(|c| c == p).collect(),
        };
        if matched.is_empty() {
            let near: Vec<&str> = available
                .iter()
                .copied()
                .filter(|c| {
                    let stem = p.trim_end_matches('*');
                    c.contains(stem) || stem.contains(*c)
                })
                .take(5)
                .collect();
            anyhow::bail!(
                "{what}: no column matches '{p}'{}",
                if near.is_empty() {
                    format!(
                        " (columns: {})",
                        available.iter().take(12).copied().collect::<Vec<_>>().join(", ")
                    )
                } else {
                    format!("; did you mean {}?", near.join(", "))
                }
            );
        }
        for m in matched {
            if !out.iter().any(|o| o == m) {
                out.push(m.to_string());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_that_name_the_key() {
        let e = Config::parse("[uplift]\ntress = 10\n").unwrap_err().to_string();
        assert!(e.contains("tress") && e.contains("line 2"), "{e}");
        let e = Config::parse("sed = 3\n").unwrap_err().to_string();
        assert!(e.contains("sed"), "{e}");
        let e = Config::parse("[polcy]\nmargin = 0.3\n").unwrap_err().to_string();
        assert!(e.contains("polcy"), "{e}");
        let e = Config::parse("[policy]\nmargin = \"high\"\n").unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn empty_config_is_the_default_and_counts_parse() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
        let c = Config::parse("[segment]\nfactors = \"auto\"\nclusters = 4\n").unwrap();
        assert_eq!(c.segment.factors, Count::Auto(AutoWord::Auto));
        assert_eq!(c.segment.clusters, Count::Fixed(4));
        assert!(Config::parse("[segment]\nfactors = \"many\"\n").is_err());
    }

    #[test]
    fn column_patterns_expand_in_order_and_unmatched_ones_are_named() {
        let cols = ["id", "l2.a", "l2.b", "pre_spend"];
        let got = expand_columns(&["pre_spend".into(), "l2.*".into()], &cols, "segment.features").unwrap();
        assert_eq!(got, ["pre_spend", "l2.a", "l2.b"]);
        let e = expand_columns(&["pre_spnd".into()], &cols, "segment.features").unwrap_err().to_string();
        assert!(e.contains("segment.features") && e.contains("pre_spnd"), "{e}");
    }
}

#[cfg(test)]
mod docs_tests {
    use super::Config;

    /// Every key of the config appears in docs/config.md as `section.key`.
    #[test]
    fn every_key_is_documented() {
        let docs = include_str!("../../../docs/config.md");
        let v = serde_json::to_value(Config::default()).unwrap();
        let mut missing = Vec::new();
        for (section, body) in v.as_object().unwrap() {
            match body.as_object() {
                Some(keys) => {
                    for (k, v) in keys {
                        // a nested table (`uplift.forest`) documents each of its keys
                        let names: Vec<String> = match v.as_object() {
                            Some(sub) => sub.keys().map(|s| format!("`{section}.{k}.{s}`")).collect(),
                            None => vec![format!("`{section}.{k}`")],
                        };
                        missing.extend(names.into_iter().filter(|n| !docs.contains(n)));
                    }
                }
                None => {
                    if !docs.contains(&format!("`{section}`")) {
                        missing.push(section.clone());
                    }
                }
            }
        }
        assert!(missing.is_empty(), "undocumented config keys: {missing:?}");
    }

    /// `ope.estimators` reads typed estimators (any case, `_` for `-`); an unknown one is an
    /// error naming the key, the value and the choices.
    #[test]
    fn ope_estimators_are_typed_and_an_unknown_one_names_the_choices() {
        use tp_ope::Estimator;
        let c = Config::parse("[ope]\nestimators = [\"DR\", \"switch_dr\", \"ipw\"]\n").unwrap();
        assert_eq!(c.ope.estimators, [Estimator::Dr, Estimator::SwitchDr, Estimator::Ipw]);
        assert_eq!(Config::default().ope.estimators, Estimator::ALL);
        let e = format!("{:#}", Config::parse("[ope]\nestimators = [\"dr\", \"ips2\"]\n").unwrap_err());
        assert!(
            e.contains("ope.estimators = \"ips2\"") && e.contains("\"switch-dr\"") && e.contains("\"dros\""),
            "{e}"
        );
    }

    /// The docs' row of `key` lists exactly the names the config accepts for it, each quoted.
    #[test]
    fn every_accepted_value_is_documented_and_no_other() {
        use crate::uplift::{Criterion, LEARNERS, Tune, learner_name, method_name, methods};
        let docs = include_str!("../../../docs/config.md");
        let names = |all: Vec<&'static str>| all;
        let cases: [(&str, Vec<&str>); 5] = [
            ("uplift.method", names(methods().into_iter().map(method_name).collect())),
            ("ope.estimators", tp_ope::Estimator::ALL.iter().map(|e| e.name()).collect()),
            ("uplift.learner", names(LEARNERS.iter().map(|&l| learner_name(l)).collect())),
            ("uplift.forest.tune", Tune::ALL.iter().map(|t| t.name()).collect()),
            ("uplift.forest.criterion", Criterion::ALL.iter().map(|c| c.name()).collect()),
        ];
        for (key, accepted) in cases {
            let row = docs.lines().find(|l| l.starts_with(&format!("| `{key}` |"))).unwrap();
            // the meaning column's quoted words are the values it lists
            let meaning = row.rsplit('|').nth(1).unwrap();
            let mut listed: Vec<&str> =
                meaning.split("`\"").skip(1).filter_map(|w| w.split("\"`").next()).collect();
            listed.sort_unstable();
            let mut want = accepted.clone();
            want.sort_unstable();
            assert_eq!(listed, want, "{key}: docs/config.md lists other values than the config accepts");
            let (table, field) = key.rsplit_once('.').unwrap();
            // ope.estimators takes a list of names, the others one name
            let value =
                |v: &str| if field == "estimators" { format!("[\"{v}\"]") } else { format!("\"{v}\"") };
            for v in accepted {
                let toml = format!("[{table}]\n{field} = {}\n", value(v));
                assert!(Config::parse(&toml).is_ok(), "{key} = {v:?} is documented but refused");
            }
            let e = Config::parse(&format!("[{table}]\n{field} = {}\n", value("nope"))).unwrap_err();
            assert!(e.to_string().contains("nope"), "{e}");
        }
    }
}
