//! Numeric helpers the stages share: moments, quantiles, the normal
//! distribution.
//!
//! Conventions: sample variances divide by `n − 1`; weighted variances use
//! reliability weights (`Σw − Σw²/Σw` in the denominator, which equals `n − 1`
//! when all weights are one); quantiles interpolate linearly between order
//! statistics (type 7, numpy's default). Empty input gives NaN rather than a
//! panic; callers that need an error check lengths first.

/// Arithmetic mean; NaN for an empty slice.
pub fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample variance (divides by `n − 1`); NaN for fewer than two values.
pub fn variance(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return f64::NAN;
    }
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64
}

/// Mean and its standard error `sd / √n`.
pub fn mean_se(x: &[f64]) -> (f64, f64) {
    (mean(x), (variance(x) / x.len() as f64).sqrt())
}

/// Weighted mean `Σ w x / Σ w`; NaN when the weights sum to zero.
pub fn weighted_mean(x: &[f64], w: &[f64]) -> f64 {
    debug_assert_eq!(x.len(), w.len());
    let sw: f64 = w.iter().sum();
    if sw == 0.0 {
        return f64::NAN;
    }
    x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / sw
}

/// Weighted variance with reliability weights:
/// `Σ w (x − x̄_w)² / (Σw − Σw²/Σw)`; equals [`variance`] for unit weights.
pub fn weighted_variance(x: &[f64], w: &[f64]) -> f64 {
    debug_assert_eq!(x.len(), w.len());
    let sw: f64 = w.iter().sum();
    let sw2: f64 = w.iter().map(|v| v * v).sum();
    let denom = sw - sw2 / sw;
    if denom.is_nan() || denom <= 0.0 {
        return f64::NAN;
    }
    let m = weighted_mean(x, w);
    x.iter().zip(w).map(|(a, b)| b * (a - m) * (a - m)).sum::<f64>() / denom
}

/// The `q`-quantile (`0 ≤ q ≤ 1`) by linear interpolation (type 7).
/// NaN for an empty slice or `q` outside `[0, 1]`.
pub fn quantile(x: &[f64], q: f64) -> f64 {
    quantiles(x, &[q])[0]
}

/// Several quantiles with one sort. NaN values sort last (total order).
pub fn quantiles(x: &[f64], qs: &[f64]) -> Vec<f64> {
    let mut s = x.to_vec();
    s.sort_by(f64::total_cmp);
    qs.iter().map(|&q| quantile_sorted(&s, q)).collect()
}

/// The `q`-quantile of an already sorted slice (type 7).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() || !(0.0..=1.0).contains(&q) {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Standard normal density.
pub fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal cdf Φ(x), accurate to about 1e-15 absolute and with full
/// relative accuracy in the tails.
///
/// For |x| < 3 Marsaglia's series Φ(x) = ½ + φ(x)(x + x³/3 + x⁵/15 + …)
/// (all terms positive, no cancellation); beyond, the Laplace continued
/// fraction of the Mills ratio, evaluated with Lentz's method.
pub fn normal_cdf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let a = x.abs();
    if a < 3.0 {
        let mut term = x;
        let mut sum = x;
        let x2 = x * x;
        let mut k = 1.0;
        loop {
            k += 2.0;
            term *= x2 / k;
            let next = sum + term;
            if next == sum {
                break;
            }
            sum = next;
        }
        return 0.5 + normal_pdf(x) * sum;
    }
    let tail = upper_tail(a);
    if x > 0.0 { 1.0 - tail } else { tail }
}

/// 1 − Φ(a) for a ≥ 3 by the continued fraction
/// φ(a) / (a + 1/(a + 2/(a + 3/(a + …)))), Lentz's algorithm.
fn upper_tail(a: f64) -> f64 {
    if a > 40.0 {
        return 0.0;
    }
    let tiny = 1e-300;
    let mut f = a;
    let mut c = a;
    let mut d = 0.0;
    for k in 1..500 {
        let kf = k as f64;
        d = a + kf * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = a + kf / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    normal_pdf(a) / f
}

/// Standard normal quantile Φ⁻¹(p) for `0 < p < 1` (±∞ at 0 and 1, NaN
/// outside). A rational start (Abramowitz & Stegun 26.2.23) polished by
/// Halley steps on [`normal_cdf`], to about 1e-15.
pub fn normal_quantile(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let (q, sign) = if p < 0.5 { (p, -1.0) } else { (1.0 - p, 1.0) };
    let t = (-2.0 * q.ln()).sqrt();
    let mut x = sign
        * (t - (2.515517 + 0.802853 * t + 0.010328 * t * t)
            / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
    for _ in 0..4 {
        // Halley step on f(x) = Φ(x) − p, using the smaller tail for accuracy.
        let err = if x < 0.0 { normal_cdf(x) - p } else { (1.0 - p) - normal_cdf(-x) };
        let pdf = normal_pdf(x);
        if pdf == 0.0 {
            break;
        }
        let u = err / pdf;
        let step = u / (1.0 + 0.5 * x * u);
        x -= step;
        if step.abs() < 1e-15 * x.abs().max(1.0) {
            break;
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(mean(&x), 2.5);
        assert!((variance(&x) - 5.0 / 3.0).abs() < 1e-15);
        assert!((weighted_variance(&x, &[1.0; 4]) - variance(&x)).abs() < 1e-15);
        assert!((weighted_mean(&x, &[1.0, 0.0, 0.0, 1.0]) - 2.5).abs() < 1e-15);
        let (m, se) = mean_se(&x);
        assert_eq!(m, 2.5);
        assert!((se - (5.0f64 / 3.0 / 4.0).sqrt()).abs() < 1e-15);
        assert!(mean(&[]).is_nan());
        assert!(variance(&[1.0]).is_nan());
    }

    #[test]
    fn quantiles_match_numpy_type7() {
        // numpy.quantile([3, 1, 4, 1, 5], [0, .25, .5, .9, 1]) = [1, 1, 3, 4.6, 5]
        let q = quantiles(&[3.0, 1.0, 4.0, 1.0, 5.0], &[0.0, 0.25, 0.5, 0.9, 1.0]);
        for (a, b) in q.iter().zip([1.0, 1.0, 3.0, 4.6, 5.0]) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn normal_cdf_reference_values() {
        // 0.5 * erfc(-x / sqrt(2)) from Python 3.11 math
        let cases = [
            (0.0, 0.5),
            (1.0, 0.8413447460685429),
            (1.959963984540054, 0.975),
            (-1.5, 0.06680720126885809),
            (2.99, 0.9986051127645077),
            (3.5, 0.9997673709209645),
            (-5.0, 2.866515718791946e-07),
            (-10.0, 7.619853024160593e-24),
        ];
        for (x, want) in cases {
            let got = normal_cdf(x);
            assert!(((got - want) / want).abs() < 1e-13, "cdf({x}) = {got}, want {want}");
        }
    }

    #[test]
    fn normal_quantile_inverts_cdf() {
        assert!((normal_quantile(0.975) - 1.959963984540054).abs() < 1e-14);
        assert!((normal_quantile(0.8) - 0.8416212335729143).abs() < 1e-14);
        assert!((normal_quantile(1e-10) + 6.361340902404056).abs() < 1e-12);
        for &p in &[1e-12, 1e-6, 0.01, 0.3, 0.5, 0.7, 0.99, 1.0 - 1e-9] {
            let x = normal_quantile(p);
            let back = normal_cdf(x);
            assert!(((back - p) / p.min(1.0 - p)).abs() < 1e-9, "p={p} x={x} back={back}");
        }
        assert!(normal_quantile(1.5).is_nan());
    }
}
