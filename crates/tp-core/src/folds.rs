//! Seeded cross-fitting folds.
//!
//! Nuisance models that feed a score (propensities, outcome models) are
//! fitted on `k − 1` folds and predicted on the held-out one. Folds are
//! stratified by arm so every training set sees every arm in proportion.

use crate::error::{CoreError, Result};
use crate::rng::{derive_seed_str, stream};
use rand::seq::SliceRandom;

/// An assignment of rows to `k` folds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folds {
    fold_of: Vec<usize>,
    members: Vec<Vec<usize>>,
}

impl Folds {
    /// Plain k-fold split of `n` rows, shuffled with `seed`.
    pub fn kfold(n: usize, k: usize, seed: u64) -> Result<Folds> {
        Folds::stratified(&vec![0; n], 1, k, seed)
    }

    /// K-fold split stratified by arm: within each arm the rows are shuffled
    /// (stream = arm index) and dealt round-robin, continuing where the
    /// previous arm stopped so fold sizes differ by at most one.
    ///
    /// Errors when `k < 2`, when there are fewer rows than folds, or when an
    /// arm index is out of range.
    pub fn stratified(arms: &[usize], n_arms: usize, k: usize, seed: u64) -> Result<Folds> {
        if k < 2 {
            return Err(CoreError::InvalidParameter {
                name: "folds".into(),
                value: k.to_string(),
                expected: "at least 2".into(),
            });
        }
        if arms.len() < k {
            return Err(CoreError::NotEnoughSamples {
                what: format!("{k}-fold cross-fitting"),
                needed: k,
                got: arms.len(),
            });
        }
        let mut by_arm = vec![Vec::new(); n_arms];
        for (row, &a) in arms.iter().enumerate() {
            if a >= n_arms {
                return Err(CoreError::ArmOutOfRange { row, index: a, n_arms });
            }
            by_arm[a].push(row);
        }
        let base = derive_seed_str(seed, "folds");
        let mut fold_of = vec![0; arms.len()];
        let mut next = 0usize;
        for (a, rows) in by_arm.iter_mut().enumerate() {
            rows.shuffle(&mut stream(base, a as u64));
            for &r in rows.iter() {
                fold_of[r] = next;
                next = (next + 1) % k;
            }
        }
        let mut members = vec![Vec::new(); k];
        for (r, &f) in fold_of.iter().enumerate() {
            members[f].push(r);
        }
        Ok(Folds { fold_of, members })
    }

    /// Number of folds.
    pub fn k(&self) -> usize {
        self.members.len()
    }

    /// Number of rows.
    pub fn n(&self) -> usize {
        self.fold_of.len()
    }

    /// The fold of row `i`.
    pub fn fold_of(&self, i: usize) -> usize {
        self.fold_of[i]
    }

    /// Fold index of every row.
    pub fn assignments(&self) -> &[usize] {
        &self.fold_of
    }

    /// Rows held out in fold `f`, ascending.
    pub fn test(&self, f: usize) -> &[usize] {
        &self.members[f]
    }

    /// Rows used for training when fold `f` is held out, ascending.
    pub fn train(&self, f: usize) -> Vec<usize> {
        (0..self.n()).filter(|&i| self.fold_of[i] != f).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_parameters() {
        assert!(matches!(Folds::kfold(10, 1, 0), Err(CoreError::InvalidParameter { .. })));
        assert!(matches!(Folds::kfold(2, 3, 0), Err(CoreError::NotEnoughSamples { .. })));
        assert!(matches!(Folds::stratified(&[0, 2], 2, 2, 0), Err(CoreError::ArmOutOfRange { row: 1, .. })));
    }

    proptest! {
        #[test]
        fn partition_balanced_and_stratified(arms in proptest::collection::vec(0usize..3, 6..200), k in 2usize..6, seed: u64) {
            prop_assume!(arms.len() >= k);
            let f = Folds::stratified(&arms, 3, k, seed).unwrap();
            // a partition
            let mut all: Vec<usize> = (0..k).flat_map(|j| f.test(j).to_vec()).collect();
            all.sort_unstable();
            prop_assert_eq!(all, (0..arms.len()).collect::<Vec<_>>());
            // balanced sizes
            let sizes: Vec<usize> = (0..k).map(|j| f.test(j).len()).collect();
            prop_assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
            // each arm spread evenly (counts per fold differ by at most one)
            for a in 0..3 {
                let c: Vec<usize> = (0..k).map(|j| f.test(j).iter().filter(|&&r| arms[r] == a).count()).collect();
                prop_assert!(c.iter().max().unwrap() - c.iter().min().unwrap() <= 1);
            }
            // train is the complement
            prop_assert_eq!(f.train(0).len() + f.test(0).len(), arms.len());
            // deterministic
            prop_assert_eq!(&f, &Folds::stratified(&arms, 3, k, seed).unwrap());
        }
    }
}
