//! Meta-learners: CATE from any base learners (Künzel et al. 2019; Nie &
//! Wager 2021; Kennedy 2023).
//!
//! For each treated arm `a` against control (arm 0):
//!
//! - **S**: one model μ̂(x, w) on the covariates plus one indicator column
//!   per treated arm; τ̂_a(x) = μ̂(x, e_a) − μ̂(x, 0). (With a linear base
//!   learner this has no interactions, so τ̂ is constant per arm.)
//! - **T**: μ̂_a on arm-a rows; τ̂_a = μ̂_a − μ̂_0.
//! - **X**: T-stage models; imputed effects D¹ = Y − μ̂_0(X) on arm-a rows
//!   and D⁰ = μ̂_a(X) − Y on control rows; effect models τ̂¹, τ̂⁰ on them;
//!   τ̂_a = g·τ̂⁰ + (1 − g)·τ̂¹ with g(x) = P(W = a | x, W ∈ {0, a}) from a
//!   propensity model fitted on those rows (kept in the model so new rows
//!   can be scored).
//! - **R**: on rows in arm a or control, with cross-fitted pair propensity
//!   π and m̂ = π·μ̂_a + (1 − π)·μ̂_0: regress Ỹ/W̃ on X with weights W̃²,
//!   Ỹ = Y − m̂, W̃ = 1{W = a} − π.
//! - **DR**: regress the cross-fitted AIPW contrast Γ(a) − Γ(0) on X, all rows.
//!
//! R and DR take their nuisances from [`crate::Nuisances`] (cross-fitted);
//! S, T and X fit their stages on disjoint or full rows as their papers do.
//! Bootstrap replicates (optional) resample rows with replacement within
//! each arm, refit the final stages (R and DR keep the cross-fitted
//! nuisances of the resampled rows) and give τ̂'s standard error per row.
//!
//! Each learner is one file here: a unit struct implementing the internal
//! `MetaLearner` trait (whether it needs nuisances, the kind of stages it
//! returns, how it fits them on a set of rows). One line of the
//! `meta_learners!` list below registers it: its [`Method`] variant, its
//! name, its module. Fitting, bootstrap replicates, prediction, standard
//! errors and the model file then work for it unchanged (see the crate docs).

mod cate_model;
mod fit;
mod learner;
mod parts;

pub use cate_model::CateModel;
pub use fit::fit_cate;
pub(crate) use parts::{Parts, Stages};

use crate::{Result, UpliftError};
use learner::MetaLearner;
use serde::{Deserialize, Serialize};

/// Declares the meta-learners: each entry `Variant = "name" in module::Learner`
/// adds the module, the [`Method`] variant with its name, and the learner behind it.
macro_rules! meta_learners {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal in $module:ident::$learner:ident,)*) => {
        $(mod $module;)*

        /// The CATE method: a meta-learner (fitted by [`fit_cate`]) or one of the two forests.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum Method {
            $($(#[doc = $doc])* #[serde(rename = $name)] $variant,)*
            /// The honest causal forest ([`crate::CausalForest`]); not fitted by
            /// [`fit_cate`] but wrapped into a [`CateModel`] by
            /// [`CateModel::from_causal_forest`] so it saves and scores like the others.
            #[serde(rename = "causal-forest")]
            CausalForest,
            /// The uplift random forest ([`crate::UpliftForest`]); like the causal
            /// forest, wrapped by [`CateModel::from_uplift_forest`], not fitted by [`fit_cate`].
            #[serde(rename = "uplift-forest")]
            UpliftForest,
        }

        impl Method {
            /// Every method: the meta-learners in the order they are registered, then the forests.
            pub const ALL: &'static [Method] = &[$(Method::$variant,)* Method::CausalForest, Method::UpliftForest];

            /// The method's name, as a model file spells it (`s`, `dr`, `causal-forest`, …).
            pub fn name(self) -> &'static str {
                match self {
                    $(Method::$variant => $name,)*
                    Method::CausalForest => "causal-forest",
                    Method::UpliftForest => "uplift-forest",
                }
            }

            /// The meta-learner behind the method (`None` for the forests).
            pub(crate) fn learner(self) -> Option<&'static dyn MetaLearner> {
                match self {
                    $(Method::$variant => Some(&$module::$learner),)*
                    Method::CausalForest | Method::UpliftForest => None,
                }
            }
        }
    };
}

meta_learners! {
    /// Single model with the arm as a feature.
    S = "s" in s::SLearner,
    /// Two (K) models, one per arm.
    T = "t" in t::TLearner,
    /// Künzel et al.'s X-learner.
    X = "x" in x::XLearner,
    /// Nie & Wager's R-learner.
    R = "r" in r::RLearner,
    /// Kennedy's DR-learner.
    Dr = "dr" in dr::DrLearner,
}

impl Method {
    /// Whether the method needs cross-fitted nuisances.
    pub fn needs_nuisances(self) -> bool {
        self.learner().is_some_and(|l| l.needs_nuisances())
    }

    /// The kind of stages the meta-learner fits (`None` for the forests).
    pub(crate) fn stages(self) -> Option<Stages> {
        self.learner().map(|l| l.stages())
    }
}

impl std::str::FromStr for Method {
    type Err = UpliftError;
    /// A method by its [`Method::name`], any case, `_` for `-`; also `cf` and `urf`.
    fn from_str(s: &str) -> Result<Self> {
        let key = s.to_ascii_lowercase().replace('_', "-");
        let alias = match key.as_str() {
            "cf" => Some(Method::CausalForest),
            "urf" => Some(Method::UpliftForest),
            _ => None,
        };
        alias.or_else(|| Method::ALL.iter().copied().find(|m| m.name() == key)).ok_or_else(|| {
            let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
            UpliftError::InvalidParameter {
                name: "method".into(),
                value: s.into(),
                expected: format!("one of {}", names.join(", ")),
            }
        })
    }
}
