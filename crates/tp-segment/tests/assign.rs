//! Fitted centers applied by partition: labels equal the fitted model's, and the merged summary
//! of any contiguous split (empty and one-row parts included) is the same bits as one pass.

use proptest::prelude::*;
use tp_core::Mergeable;
use tp_core::faer::Mat;
use tp_core::merge::merge_tree;
use tp_segment::{AssignSums, Centers, KMeans};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn partitioned_assignment_is_the_one_pass_bits(
        n in 20usize..200,
        d in 1usize..5,
        k in 1usize..5,
        seed in any::<u64>(),
        cuts in prop::collection::vec(0usize..300, 0..8),
    ) {
        let mut s = seed | 1;
        let mut u = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let x = Mat::from_fn(n, d, |i, t| ((i % 3) * 4) as f64 + t as f64 * 0.5 + u());
        let km = KMeans::params(k.min(n)).n_init(2).seed(seed).fit(x.as_ref()).unwrap();
        let centers = Centers::new(km.centers()).unwrap();
        let (labels, whole) = AssignSums::assign(&centers, x.as_ref()).unwrap();
        // the fitted model's own labels (a converged fit assigns each row its nearest center)
        if km.diagnostics().converged {
            prop_assert_eq!(&labels, &km.predict(x.as_ref()).unwrap());
        }
        let mut c: Vec<usize> = cuts.iter().map(|&q| q % (n + 1)).collect();
        c.sort_unstable();
        c.push(n);
        let mut lo = 0;
        let mut parts = Vec::new();
        let mut part_labels = Vec::new();
        for hi in c {
            let (l, p) = AssignSums::assign(&centers, x.subrows(lo, hi - lo)).unwrap();
            part_labels.extend(l);
            parts.push(p);
            lo = hi;
        }
        prop_assert_eq!(&part_labels, &labels);
        let one = whole.finish(&centers).unwrap();
        for merged in [
            AssignSums::merge_all(&centers, parts.clone()).unwrap(),
            AssignSums::merge_all(&centers, parts.iter().rev().cloned()).unwrap(),
            merge_tree(parts).unwrap().unwrap(),
        ] {
            let moved: AssignSums = serde_json::from_str(&serde_json::to_string(&merged).unwrap()).unwrap();
            let got = moved.finish(&centers).unwrap();
            prop_assert_eq!(&got.sizes, &one.sizes);
            prop_assert_eq!(got.inertia.to_bits(), one.inertia.to_bits());
            prop_assert_eq!(
                got.means.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                one.means.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
        }
        // the inertia of the fitted centers on their data is the fit's
        if km.diagnostics().converged {
            prop_assert!((one.inertia - km.inertia()).abs() <= 1e-9 * km.inertia().max(1.0));
        }
    }
}

#[test]
fn bad_rows_are_errors_naming_row_and_column() {
    let centers = Centers::new(Mat::from_fn(2, 2, |c, t| (c + t) as f64).as_ref()).unwrap();
    let wide = Mat::<f64>::zeros(3, 3);
    let e = centers.assign(wide.as_ref()).unwrap_err().to_string();
    assert!(e.contains("2 columns") && e.contains("3 columns"), "{e}");
    let mut x = Mat::<f64>::zeros(3, 2);
    x[(2, 1)] = f64::NAN;
    let e = centers.assign(x.as_ref()).unwrap_err().to_string();
    assert!(e.contains("row 2") && e.contains("column 1"), "{e}");
    assert!(Centers::new(Mat::<f64>::zeros(0, 2).as_ref()).is_err());
}
