//! Paired statistics for the timing test, as tlsfuzzer's analysis does:
//! for two probe classes measured in the same blocks, the sign test, the
//! Wilcoxon signed-rank test (normal approximation with tie and zero
//! corrections) and a bootstrap confidence interval of the median of the
//! paired differences. Pure functions over numbers: tested on their own.

use gauntlet_engine::Provider;

/// Two-sided p-value of the sign test: `pos` differences above zero and
/// `neg` below (zeros dropped), under Binomial(n, 1/2).
pub fn sign_test(pos: usize, neg: usize) -> f64 {
    let n = pos + neg;
    if n == 0 {
        return 1.0;
    }
    let k = pos.min(neg);
    // P(X <= k) for X ~ Bin(n, 1/2), in log space (n can be 100,000).
    let ln_half_n = -(n as f64) * std::f64::consts::LN_2;
    let mut ln_c = 0.0f64; // ln C(n, 0)
    let mut total = 0.0f64;
    for i in 0..=k {
        if i > 0 {
            ln_c += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        total += (ln_c + ln_half_n).exp();
    }
    (2.0 * total).min(1.0)
}

/// Standard normal upper tail, P(Z > z), by the complementary error function.
fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// erfc with the Numerical Recipes Chebyshev fit (|error| < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Two-sided p-value of the Wilcoxon signed-rank test on paired differences.
pub fn wilcoxon(diffs: &[f64]) -> f64 {
    let mut nz: Vec<f64> = diffs.iter().copied().filter(|d| *d != 0.0).collect();
    let n = nz.len();
    if n == 0 {
        return 1.0;
    }
    nz.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    // Average ranks over ties of |d|; tie correction term.
    let mut w_plus = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && nz[j + 1].abs() == nz[i].abs() {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        for d in &nz[i..=j] {
            if *d > 0.0 {
                w_plus += rank;
            }
        }
        i = j + 1;
    }
    let nf = n as f64;
    let mean = nf * (nf + 1.0) / 4.0;
    let var = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0 - tie_term / 48.0;
    if var <= 0.0 {
        return 1.0;
    }
    let z = (w_plus - mean).abs() / var.sqrt();
    (2.0 * normal_sf(z)).min(1.0)
}

/// The median of a non-empty slice (sorted copy).
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// A `level` (e.g. 0.95) bootstrap interval of the median of `diffs`,
/// `rounds` resamples drawn from the seeded `rng` (reproducible).
pub fn bootstrap_median_ci(
    diffs: &[f64],
    rounds: usize,
    level: f64,
    rng: &mut Provider,
) -> (f64, f64) {
    if diffs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = diffs.len();
    let mut medians = Vec::with_capacity(rounds);
    let mut sample = vec![0.0; n];
    for _ in 0..rounds {
        for s in sample.iter_mut() {
            let r = u64::from_be_bytes(rng.array());
            *s = diffs[(r % n as u64) as usize];
        }
        medians.push(median(&sample));
    }
    medians.sort_by(f64::total_cmp);
    let lo = ((1.0 - level) / 2.0 * rounds as f64) as usize;
    let hi = (((1.0 + level) / 2.0 * rounds as f64) as usize).min(rounds - 1);
    (medians[lo], medians[hi])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_test_matches_the_binomial() {
        // 10 vs 0: 2 * 0.5^10.
        assert!((sign_test(10, 0) - 2.0 / 1024.0).abs() < 1e-12);
        assert!((sign_test(5, 5) - 1.0).abs() < 1e-12);
        // 60 of 100: two-sided p ≈ 0.0569 (scipy.stats.binomtest).
        assert!((sign_test(60, 40) - 0.056_888).abs() < 1e-4);
    }

    #[test]
    fn wilcoxon_separates_a_shift_from_noise() {
        let mut rng = Provider::from_seed([1; 32]);
        let noise: Vec<f64> = (0..2000)
            .map(|_| f64::from(u16::from_be_bytes(rng.array())) - 32768.0)
            .collect();
        assert!(wilcoxon(&noise) > 0.001);
        let shifted: Vec<f64> = noise.iter().map(|d| d + 3000.0).collect();
        assert!(wilcoxon(&shifted) < 1e-6);
        // Known value: differences 1..=10, all positive: z = 2.803, p ≈ 0.00506.
        let d: Vec<f64> = (1..=10).map(f64::from).collect();
        assert!((wilcoxon(&d) - 0.005_06).abs() < 2e-4, "{}", wilcoxon(&d));
    }

    #[test]
    fn bootstrap_interval_covers_the_median() {
        let mut rng = Provider::from_seed([2; 32]);
        let d: Vec<f64> = (0..1001).map(|i| f64::from(i) - 500.0).collect();
        let (lo, hi) = bootstrap_median_ci(&d, 500, 0.95, &mut rng);
        assert!(lo < 0.0 && hi > 0.0 && hi - lo < 200.0, "{lo} {hi}");
    }
}
