//! Sample size and minimum detectable effect of the confirming A/B test.
//!
//! Two-sided z-test of a difference in means between a treated and a
//! control arm, allocation ratio `r = n_control / n_treated`:
//! `n_treated = (z_{1−α/2} + z_{power})² (σ₁² + σ₀² / r) / MDE²`,
//! `n_control = r · n_treated`, both rounded up. Binary outcomes use the
//! unpooled variances of the two arms: `σ₀² = p₀(1 − p₀)` at the base rate
//! and `σ₁² = p₁(1 − p₁)` at `p₁ = p₀ + MDE` (the rate the test is designed
//! to detect). The inverse ([`minimum_detectable_effect`]) then solves
//! `MDE = z √((p₁(1 − p₁) + p₀(1 − p₀)/r) / n_treated)` for the MDE.

use crate::error::{Result, invalid};
use serde::{Deserialize, Serialize};
use tp_core::stats::normal_quantile;

/// The outcome whose mean the test compares.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A continuous outcome with standard deviation `sd` in both arms.
    Continuous {
        /// Standard deviation σ.
        sd: f64,
    },
    /// A 0/1 outcome with base rate `p` (σ² = p(1 − p)).
    Binary {
        /// Base rate p in (0, 1).
        base_rate: f64,
    },
}

impl Outcome {
    /// σ₀, the control arm's standard deviation.
    fn sd(self) -> Result<f64> {
        match self {
            Outcome::Continuous { sd } if sd > 0.0 && sd.is_finite() => Ok(sd),
            Outcome::Continuous { sd } => Err(invalid("sd", sd, "a positive, finite standard deviation")),
            Outcome::Binary { base_rate: p } if p > 0.0 && p < 1.0 => Ok((p * (1.0 - p)).sqrt()),
            Outcome::Binary { base_rate: p } => Err(invalid("base_rate", p, "a rate in (0, 1)")),
        }
    }

    /// σ₁, the treated arm's standard deviation when the effect is `mde`:
    /// σ₀ for a continuous outcome, √(p₁(1 − p₁)) at p₁ = p₀ + MDE for a
    /// binary one (an error when p₁ ≥ 1).
    fn sd_treated(self, mde: f64) -> Result<f64> {
        match self {
            Outcome::Continuous { .. } => self.sd(),
            Outcome::Binary { base_rate: p } => {
                self.sd()?;
                let p1 = p + mde;
                if p1 >= 1.0 {
                    return Err(invalid(
                        "mde",
                        mde,
                        &format!("an effect that keeps the treated rate p₀ + MDE below 1 (base rate {p})"),
                    ));
                }
                Ok((p1 * (1.0 - p1)).sqrt())
            }
        }
    }
}

/// Parameters of the A/B design. Defaults: α = 0.05 (two-sided), power 0.8,
/// allocation ratio 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DesignParams {
    /// The outcome.
    pub outcome: Outcome,
    /// Two-sided significance level α.
    pub alpha: f64,
    /// Power 1 − β.
    pub power: f64,
    /// `r = n_control / n_treated`.
    pub ratio: f64,
}

impl DesignParams {
    /// Defaults for `outcome`: α 0.05, power 0.8, equal arms.
    pub fn new(outcome: Outcome) -> DesignParams {
        DesignParams { outcome, alpha: 0.05, power: 0.8, ratio: 1.0 }
    }
    /// Sets α.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }
    /// Sets the power.
    pub fn power(mut self, power: f64) -> Self {
        self.power = power;
        self
    }
    /// Sets the allocation ratio `n_control / n_treated`.
    pub fn ratio(mut self, ratio: f64) -> Self {
        self.ratio = ratio;
        self
    }

    /// `z_{1−α/2} + z_power`, after checking α, power and the ratio.
    fn z(&self) -> Result<f64> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(invalid("alpha", self.alpha, "a level in (0, 1), e.g. 0.05"));
        }
        if !(self.power > 0.0 && self.power < 1.0) {
            return Err(invalid("power", self.power, "a probability in (0, 1), e.g. 0.8"));
        }
        if !(self.ratio > 0.0 && self.ratio.is_finite()) {
            return Err(invalid("ratio", self.ratio, "a positive n_control / n_treated ratio"));
        }
        Ok(normal_quantile(1.0 - self.alpha / 2.0) + normal_quantile(self.power))
    }

    /// `σ₁² + σ₀²/r` at effect `mde`, with σ₀ and σ₁.
    fn variance(&self, mde: f64) -> Result<(f64, f64, f64)> {
        let (s0, s1) = (self.outcome.sd()?, self.outcome.sd_treated(mde)?);
        Ok((s1 * s1 + s0 * s0 / self.ratio, s0, s1))
    }
}

/// A sample-size design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Design {
    /// Rows in the treated arm (= in each arm when the ratio is 1).
    pub n_per_arm: u64,
    /// Rows in the treated arm.
    pub n_treated: u64,
    /// Rows in the control arm (`ceil(r · n_treated)`).
    pub n_control: u64,
    /// Both arms.
    pub n_total: u64,
    /// The minimum detectable effect designed for.
    pub mde: f64,
    /// The control arm's outcome standard deviation σ₀ (√(p₀(1 − p₀)) for
    /// a binary outcome).
    pub sd: f64,
    /// The treated arm's σ₁ at the MDE: σ₀ for a continuous outcome,
    /// √(p₁(1 − p₁)) with p₁ = p₀ + MDE for a binary one.
    pub sd_treated: f64,
    /// α (two-sided).
    pub alpha: f64,
    /// Power.
    pub power: f64,
    /// `n_control / n_treated`.
    pub ratio: f64,
}

/// Sample sizes that detect an absolute difference `mde` with the given
/// power at two-sided level α.
pub fn ab_design(mde: f64, params: &DesignParams) -> Result<Design> {
    if !(mde > 0.0 && mde.is_finite()) {
        return Err(invalid("mde", mde, "a positive effect size in outcome units"));
    }
    let z = params.z()?;
    let (var_sum, sd, sd_treated) = params.variance(mde)?;
    let exact = z * z * var_sum / (mde * mde);
    // guard against 1569.9999999 becoming 1570 by rounding noise in the other direction
    let n_treated = (exact - 1e-9).ceil().max(1.0) as u64;
    let n_control = ((n_treated as f64) * params.ratio - 1e-9).ceil().max(1.0) as u64;
    Ok(Design {
        n_per_arm: n_treated,
        n_treated,
        n_control,
        n_total: n_treated + n_control,
        mde,
        sd,
        sd_treated,
        alpha: params.alpha,
        power: params.power,
        ratio: params.ratio,
    })
}

/// The minimum detectable effect with `n_treated` treated rows (and
/// `r · n_treated` controls): the MDE solving
/// `MDE = (z_{1−α/2} + z_power) √((σ₁² + σ₀²/r) / n_treated)`. For a
/// continuous outcome σ₁ = σ₀ and this is explicit; for a binary one σ₁²
/// = p₁(1 − p₁) at p₁ = p₀ + MDE, and the smallest root is found by
/// bisection on (0, 1 − p₀) (an error when even p₁ → 1 is not detectable).
pub fn minimum_detectable_effect(n_treated: u64, params: &DesignParams) -> Result<f64> {
    if n_treated == 0 {
        return Err(invalid("n", 0, "at least one row per arm"));
    }
    let z = params.z()?;
    let n = n_treated as f64;
    let Outcome::Binary { base_rate: p0 } = params.outcome else {
        return Ok(z * (params.variance(0.0)?.0 / n).sqrt());
    };
    params.outcome.sd()?;
    // g(δ) = z √(V(δ)/n) − δ is positive at δ = 0; the MDE is its first zero
    let g = |d: f64| -> f64 {
        let p1 = p0 + d;
        z * ((p1 * (1.0 - p1) + p0 * (1.0 - p0) / params.ratio) / n).sqrt() - d
    };
    // scan a fine grid for the first sign change, then bisect inside it
    let top = 1.0 - p0;
    let steps = 4096;
    let mut lo = 0.0;
    let mut hi = None;
    for s in 1..=steps {
        let d = top * f64::from(s) / f64::from(steps) * (1.0 - 1e-12);
        if g(d) <= 0.0 {
            hi = Some(d);
            break;
        }
        lo = d;
    }
    let Some(mut hi) = hi else {
        return Err(invalid(
            "n",
            n_treated,
            &format!(
                "enough rows to detect any effect on a base rate of {p0} (even p₁ → 1 is not detectable)"
            ),
        ));
    };
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if g(mid) > 0.0 { lo = mid } else { hi = mid }
    }
    Ok(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_md_worked_example() {
        // 2 σ² (1.959964 + 0.841621)² / 0.1² = 2 · 7.848879 / 0.01 = 1569.78 → 1570
        let d = ab_design(0.1, &DesignParams::new(Outcome::Continuous { sd: 1.0 })).unwrap();
        assert_eq!(d.n_per_arm, 1570);
        assert_eq!(d.n_control, 1570);
        assert_eq!(d.n_total, 3140);
    }

    #[test]
    fn binary_worked_example() {
        // Base rate 10%, absolute MDE 2 points, α 0.05, power 0.8, equal arms,
        // unpooled variances (Chow, Shao & Wang, Sample Size Calculations in
        // Clinical Research, §4.2): σ₀² = 0.1 · 0.9 = 0.09, σ₁² = 0.12 · 0.88
        // = 0.1056; n = (1.959964 + 0.841621)² (0.09 + 0.1056) / 0.02²
        //   = 7.848879 · 0.1956 / 0.0004 = 3838.1 → 3839 per arm.
        let d = ab_design(0.02, &DesignParams::new(Outcome::Binary { base_rate: 0.1 })).unwrap();
        assert_eq!(d.n_per_arm, 3839);
        assert!((d.sd_treated - 0.1056f64.sqrt()).abs() < 1e-12);
        // the inverse gives back the MDE at that n (just under 0.02), and one row less needs more
        let p = DesignParams::new(Outcome::Binary { base_rate: 0.1 });
        let m = minimum_detectable_effect(3839, &p).unwrap();
        assert!(m <= 0.02 && m > 0.0199, "{m}");
        assert!(minimum_detectable_effect(3838, &p).unwrap() > 0.02);
        // a rate the treated arm cannot reach
        assert!(ab_design(0.95, &p).is_err());
        assert!(
            minimum_detectable_effect(1, &DesignParams::new(Outcome::Binary { base_rate: 0.5 })).is_err()
        );
    }

    #[test]
    fn lehr_rules_of_thumb() {
        // Lehr (1992, Stat. Med. 11:1099): per-arm n ≈ 16/Δ² at power 0.8 and
        // ≈ 21/Δ² at power 0.9 (α = 0.05 two-sided, Δ = MDE/σ); the rules are
        // 2(z_{α/2} + z_β)² = 15.70 and 21.01 rounded. Δ = 0.5: 62.79 → 63 and
        // 84.06 → 85; Δ = 0.25: 251.2 → 252 and 336.2 → 337.
        let p = DesignParams::new(Outcome::Continuous { sd: 2.0 });
        assert_eq!(ab_design(1.0, &p).unwrap().n_per_arm, 63);
        assert_eq!(ab_design(1.0, &p.power(0.9)).unwrap().n_per_arm, 85);
        assert_eq!(ab_design(0.5, &p).unwrap().n_per_arm, 252);
        assert_eq!(ab_design(0.5, &p.power(0.9)).unwrap().n_per_arm, 337);
    }

    #[test]
    fn unequal_allocation_and_inverse() {
        // r = 2: n_t = 7.848879 · (1 + 1/2) / 0.01 = 1177.33 → 1178, n_c = 2356
        let p = DesignParams::new(Outcome::Continuous { sd: 1.0 }).ratio(2.0);
        let d = ab_design(0.1, &p).unwrap();
        assert_eq!((d.n_treated, d.n_control), (1178, 2356));
        // the MDE at the designed n is at most the requested one, and just above it one row less
        assert!(minimum_detectable_effect(d.n_treated, &p).unwrap() <= 0.1);
        assert!(minimum_detectable_effect(d.n_treated - 1, &p).unwrap() > 0.1);
        let m = minimum_detectable_effect(1570, &DesignParams::new(Outcome::Continuous { sd: 1.0 })).unwrap();
        assert!((m - 0.1).abs() < 1e-4);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let p = DesignParams::new(Outcome::Binary { base_rate: 1.0 });
        assert!(ab_design(0.1, &p).is_err());
        let p = DesignParams::new(Outcome::Continuous { sd: 1.0 });
        assert!(ab_design(0.0, &p).is_err());
        assert!(ab_design(0.1, &p.power(1.0)).is_err());
        assert!(ab_design(0.1, &p.alpha(0.0)).is_err());
    }
}
