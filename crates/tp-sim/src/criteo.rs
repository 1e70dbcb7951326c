//! The criteo preset: a large uplift data set in the shape of the Criteo
//! uplift benchmark (12 anonymous features, 85% treated, rare visits and
//! rarer conversions), generated row by row from per-row RNG streams and
//! delivered in bounded chunks.

use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use tp_core::rng::{derive_seed_str, stream};
use tp_core::{Column, Table};

use crate::error::{Result, check_f64, check_usize};

/// Number of features (`f0..f11`).
pub const CRITEO_FEATURES: usize = 12;

/// The columns of a criteo table that `tp simulate` writes to their own file (`criteo_truth`)
/// instead of the data file, so that the data file's default covariates are the twelve
/// features: the second outcome `conversion` (observed, but only after a visit, so with `visit`
/// as the outcome it is a post-treatment copy of the answer) and the truth (potential-outcome
/// probabilities and effects, never observable).
pub const CRITEO_TRUTH_COLUMNS: [&str; 5] = ["conversion", "mu0", "mu1", "tau", "tau_visit"];

/// Parameters of the criteo-like preset (a consuming builder).
///
/// Defaults: 1,000,000 rows, chunks of 262,144 rows, 85% treated, seed 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CriteoParams {
    rows: usize,
    seed: u64,
    chunk_rows: usize,
    treated_share: f64,
}

impl Default for CriteoParams {
    fn default() -> Self {
        CriteoParams { rows: 1_000_000, seed: 0, chunk_rows: 1 << 18, treated_share: 0.85 }
    }
}

/// Largest number of rows.
pub const MAX_CRITEO_ROWS: usize = 1 << 32;
/// Largest chunk.
pub const MAX_CHUNK_ROWS: usize = 1 << 24;

impl CriteoParams {
    /// Total rows (default 1,000,000; allowed [1, 2^32]).
    pub fn rows(mut self, n: usize) -> Self {
        self.rows = n;
        self
    }
    /// Seed (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Rows per chunk (default 2^18; allowed [1, 2^24]). Memory per chunk is
    /// about 140 bytes per row.
    pub fn chunk_rows(mut self, n: usize) -> Self {
        self.chunk_rows = n;
        self
    }
    /// Probability of treatment, the same for every row (default 0.85; allowed [0.05, 0.95]).
    pub fn treated_share(mut self, p: f64) -> Self {
        self.treated_share = p;
        self
    }

    /// Checks every parameter.
    pub fn validate(&self) -> Result<()> {
        check_usize("rows", self.rows, 1, MAX_CRITEO_ROWS)?;
        check_usize("chunk_rows", self.chunk_rows, 1, MAX_CHUNK_ROWS)?;
        check_f64("treated_share", self.treated_share, 0.05, 0.95)
    }

    /// Number of chunks.
    pub fn n_chunks(&self) -> usize {
        self.rows.div_ceil(self.chunk_rows.max(1))
    }

    /// An iterator over the chunks, in row order. Validates first.
    pub fn chunks(&self) -> Result<CriteoChunks> {
        self.validate()?;
        Ok(CriteoChunks { params: *self, next: 0 })
    }

    /// Chunk `index` (rows `index * chunk_rows ..`). Each row is drawn from its
    /// own stream, so a row's values do not depend on the chunk size or on
    /// which chunks were generated before.
    pub fn chunk(&self, index: usize) -> Result<Table> {
        self.validate()?;
        let start = index.saturating_mul(self.chunk_rows).min(self.rows);
        let end = start.saturating_add(self.chunk_rows).min(self.rows);
        self.rows_table(start, end)
    }

    /// All rows in one table (for small `rows`).
    pub fn generate(&self) -> Result<Table> {
        self.validate()?;
        self.rows_table(0, self.rows)
    }

    fn rows_table(&self, start: usize, end: usize) -> Result<Table> {
        let seed = derive_seed_str(self.seed, "criteo");
        let rows: Vec<Row> =
            (start..end).into_par_iter().map(|i| draw_row(seed, i as u64, self.treated_share)).collect();
        let mut cols: Vec<Column> = (0..CRITEO_FEATURES)
            .map(|j| Column::f64(format!("f{j}"), rows.iter().map(|r| r.x[j]).collect()))
            .collect();
        cols.push(Column::i64("treatment", rows.iter().map(|r| i64::from(r.treated)).collect()));
        cols.push(Column::i64("visit", rows.iter().map(|r| i64::from(r.visit)).collect()));
        cols.push(Column::i64("conversion", rows.iter().map(|r| i64::from(r.conversion)).collect()));
        // the probability of the arm the row received (as in the retail world's campaign log),
        // which `tp ope --propensity` reads: the treated share for treated rows, its complement
        // for control rows
        let p = self.treated_share;
        cols.push(Column::f64(
            "propensity",
            rows.iter().map(|r| if r.treated { p } else { 1.0 - p }).collect(),
        ));
        cols.push(Column::f64("mu0", rows.iter().map(|r| r.mu0).collect()));
        cols.push(Column::f64("mu1", rows.iter().map(|r| r.mu1).collect()));
        cols.push(Column::f64("tau", rows.iter().map(|r| r.mu1 - r.mu0).collect()));
        cols.push(Column::f64("tau_visit", rows.iter().map(|r| r.visit1 - r.visit0).collect()));
        Ok(Table::new(cols)?)
    }
}

/// Iterator over the chunks of a criteo-like data set.
#[derive(Debug, Clone)]
pub struct CriteoChunks {
    params: CriteoParams,
    next: usize,
}

impl Iterator for CriteoChunks {
    type Item = Result<Table>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.params.n_chunks() {
            return None;
        }
        self.next += 1;
        Some(self.params.chunk(self.next - 1))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.params.n_chunks() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for CriteoChunks {}

struct Row {
    x: [f64; CRITEO_FEATURES],
    treated: bool,
    visit: bool,
    conversion: bool,
    mu0: f64,
    mu1: f64,
    visit0: f64,
    visit1: f64,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The features of one row from 12 standard normals: three correlated blocks
/// pushed through non-Gaussian transforms (log-normal, counts, binary,
/// bounded, censored, categorical codes); `f11` is pure noise.
fn features(u: [f64; CRITEO_FEATURES]) -> [f64; CRITEO_FEATURES] {
    let v0 = u[0];
    let v1 = 0.7 * u[0] + 0.71 * u[1];
    let v2 = 0.5 * u[0] - 0.4 * u[1] + 0.77 * u[2];
    let v3 = 0.6 * u[2] + 0.8 * u[3];
    let v4 = u[4];
    let v5 = -0.6 * u[4] + 0.8 * u[5];
    let v6 = 0.4 * u[4] + 0.3 * u[0] + 0.87 * u[6];
    let v7 = 0.5 * u[5] + 0.87 * u[7];
    let v8 = u[8];
    let v9 = 0.8 * u[8] + 0.6 * u[9];
    let v10 = 0.3 * u[9] + 0.95 * u[10];
    [
        v0,
        (0.5 * v1).exp(),
        (3.0 * (0.6 * v2).exp()).floor(),
        f64::from(u8::from(v3 > 0.8)),
        v4.sinh(),
        sigmoid(1.7 * v5),
        v6.max(0.0),
        f64::from(u8::from(v7 > -0.7)) + f64::from(u8::from(v7 > 0.0)) + f64::from(u8::from(v7 > 0.9)),
        v8,
        (v9 * 0.8).exp() / (1.0 + (v9 * 0.8).exp()) * 10.0,
        v10.abs(),
        u[11],
    ]
}

/// Probabilities of a visit and of a conversion given a visit, without and
/// with treatment.
fn probabilities(x: &[f64; CRITEO_FEATURES]) -> (f64, f64, f64, f64) {
    let visit_base = -4.0 + 0.55 * x[0] + 0.5 * (x[1] - 1.0).tanh() + 0.35 * x[3] + 0.1 * x[2].min(10.0)
        - 0.25 * x[4].clamp(-3.0, 3.0)
        + 0.2 * x[8];
    let visit_lift = 0.25 + 0.35 * x[3] - 0.3 * f64::from(u8::from(x[6] > 0.8)) + 0.1 * (x[7] - 1.5);
    let conv_base = -3.0 + 0.45 * x[0] + 0.6 * x[5] - 0.3 * x[10] + 0.08 * x[9];
    let conv_lift = 0.1 + 0.5 * (x[5] - 0.5) - 0.25 * x[10] + 0.2 * x[3];
    (
        sigmoid(visit_base),
        sigmoid(visit_base + visit_lift),
        sigmoid(conv_base),
        sigmoid(conv_base + conv_lift),
    )
}

fn draw_row(seed: u64, row: u64, treated_share: f64) -> Row {
    let mut rng = stream(seed, row);
    let mut u = [0.0; CRITEO_FEATURES];
    for v in &mut u {
        *v = rng.sample(StandardNormal);
    }
    let x = features(u);
    let (v0, v1, c0, c1) = probabilities(&x);
    let treated = rng.random::<f64>() < treated_share;
    let (pv, pc) = if treated { (v1, c1) } else { (v0, c0) };
    let visit = rng.random::<f64>() < pv;
    let converts = rng.random::<f64>() < pc;
    Row {
        x,
        treated,
        visit,
        conversion: visit && converts,
        mu0: v0 * c0,
        mu1: v1 * c1,
        visit0: v0,
        visit1: v1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propensity_is_that_of_the_arm_received() {
        let t = CriteoParams::default().rows(2000).treated_share(0.8).generate().unwrap();
        let (w, e) = (t.f64_values("treatment").unwrap(), t.f64_values("propensity").unwrap());
        assert!(w.contains(&0.0) && w.contains(&1.0));
        for (w, e) in w.iter().zip(e.iter()) {
            assert_eq!(*e, if *w == 1.0 { 0.8 } else { 1.0 - 0.8 });
        }
    }

    #[test]
    fn chunk_bounds_and_validation() {
        let p = CriteoParams::default().rows(10).chunk_rows(4);
        assert_eq!(p.n_chunks(), 3);
        let sizes: Vec<usize> = p.chunks().unwrap().map(|c| c.unwrap().n_rows()).collect();
        assert_eq!(sizes, vec![4, 4, 2]);
        assert!(CriteoParams::default().rows(0).validate().is_err());
        assert!(CriteoParams::default().chunk_rows(0).chunks().is_err());
        assert!(CriteoParams::default().treated_share(1.0).validate().is_err());
    }
}
