//! Which key a client operation touches.
//!
//! The Dynamo paper's workloads are skewed: section 6.2 notes that "the
//! workload is skewed towards a few popular keys" and analyses load
//! imbalance under it. The scenario offers three shapes over keys
//! `0..keys`, rank 0 being the hottest:
//!
//! - `uniform`: every key alike (one 64-bit draw);
//! - `zipf(s)`: P(rank k) ∝ 1/(k+1)^s, by rejection-inversion sampling
//!   (W. Hörmann and G. Derflinger, "Rejection-inversion to generate
//!   variates from monotone discrete distributions", ACM TOMACS 6(3), 1996),
//!   following the formulation of Apache Commons RNG's
//!   `RejectionInversionZipfSampler`. It needs O(1) memory and setup for
//!   any number of keys and any s > 0, s = 1 included. Each attempt draws
//!   one uniform and is rejected rarely (measured: 0.2% of attempts at
//!   s = 0.99, 1.5% at s = 2), so a sample costs a seed-fixed number of
//!   draws that is almost always one;
//! - `hotset(fraction, probability)`: one uniform decides hot or cold, one
//!   more picks the key within the chosen set.

use rand::Rng;

use crate::net::dist::uniform_index;
use crate::scenario::KeyDist;

/// Draws key ranks in `0..keys` from the scenario's key distribution.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyChooser {
    keys: u32,
    shape: Shape,
}

#[derive(Clone, Debug, PartialEq)]
enum Shape {
    Uniform,
    Zipf(Zipf),
    HotSet {
        /// Ranks `0..hot` are the hot set.
        hot: u32,
        probability: f64,
    },
}

impl KeyChooser {
    /// # Panics
    /// When `keys` is zero: there is nothing to choose from.
    pub fn new(dist: &KeyDist, keys: u32) -> KeyChooser {
        assert!(keys > 0, "a workload needs at least one key");
        let shape = match *dist {
            KeyDist::Uniform => Shape::Uniform,
            KeyDist::Zipf(exponent) => Shape::Zipf(Zipf::new(keys, exponent)),
            KeyDist::HotSet {
                fraction,
                probability,
            } => {
                let hot = (fraction * f64::from(keys)).ceil();
                let hot = if hot.is_nan() { 1.0 } else { hot };
                Shape::HotSet {
                    hot: (hot as u32).clamp(1, keys),
                    probability,
                }
            }
        };
        KeyChooser { keys, shape }
    }

    pub fn keys(&self) -> u32 {
        self.keys
    }

    /// One key rank in `0..keys`.
    pub fn choose<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        match &self.shape {
            Shape::Uniform => uniform_index(rng, u64::from(self.keys)) as u32,
            Shape::Zipf(zipf) => zipf.sample(rng) - 1,
            Shape::HotSet { hot, probability } => {
                let hot = *hot;
                let cold = self.keys - hot;
                if rng.random::<f64>() < *probability || cold == 0 {
                    uniform_index(rng, u64::from(hot)) as u32
                } else {
                    hot + uniform_index(rng, u64::from(cold)) as u32
                }
            }
        }
    }
}

/// Zipf over `1..=n` with exponent `s`: P(k) ∝ k^−s.
///
/// Rejection-inversion: the continuous hat function h(x) = x^−s is
/// integrated (H), a point is drawn uniformly under the integral between
/// H(1.5) − 1 and H(n + 0.5), inverted, rounded to the nearest integer k,
/// and accepted if it falls under the bar of k. The shortcut `k − x ≤ s`
/// accepts most draws without evaluating H again.
#[derive(Clone, Debug, PartialEq)]
struct Zipf {
    n: f64,
    exponent: f64,
    h_integral_x1: f64,
    h_integral_n: f64,
    /// The acceptance shortcut's threshold (`s` in the paper).
    squeeze: f64,
}

impl Zipf {
    fn new(n: u32, exponent: f64) -> Zipf {
        let mut zipf = Zipf {
            n: f64::from(n),
            exponent,
            h_integral_x1: 0.0,
            h_integral_n: 0.0,
            squeeze: 0.0,
        };
        zipf.h_integral_x1 = zipf.h_integral(1.5) - 1.0;
        zipf.h_integral_n = zipf.h_integral(zipf.n + 0.5);
        zipf.squeeze = 2.0 - zipf.h_integral_inverse(zipf.h_integral(2.5) - zipf.h(2.0));
        zipf
    }

    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        loop {
            // Uniform in (h_integral_x1, h_integral_n].
            let u =
                self.h_integral_n + rng.random::<f64>() * (self.h_integral_x1 - self.h_integral_n);
            let x = self.h_integral_inverse(u);
            let k = (x + 0.5).floor().clamp(1.0, self.n);
            if k - x <= self.squeeze || u >= self.h_integral(k + 0.5) - self.h(k) {
                return k as u32;
            }
        }
    }

    /// h(x) = x^−s.
    fn h(&self, x: f64) -> f64 {
        (-self.exponent * x.ln()).exp()
    }

    /// H(x) = (x^(1−s) − 1) / (1 − s), tending to ln x as s → 1; written so
    /// it stays accurate near s = 1.
    fn h_integral(&self, x: f64) -> f64 {
        let log_x = x.ln();
        expm1_over_x((1.0 - self.exponent) * log_x) * log_x
    }

    /// The inverse of H.
    fn h_integral_inverse(&self, x: f64) -> f64 {
        // Rounding can push t a hair below −1, outside ln1p's domain.
        let t = (x * (1.0 - self.exponent)).max(-1.0);
        (ln1p_over_x(t) * x).exp()
    }
}

/// ln(1 + x) / x, continuous at 0.
fn ln1p_over_x(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        x.ln_1p() / x
    } else {
        1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x))
    }
}

/// (eˣ − 1) / x, continuous at 0.
fn expm1_over_x(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        x.exp_m1() / x
    } else {
        1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn counts(chooser: &KeyChooser, draws: usize, seed: u64) -> Vec<u32> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut counts = vec![0u32; chooser.keys() as usize];
        for _ in 0..draws {
            counts[chooser.choose(&mut rng) as usize] += 1;
        }
        counts
    }

    fn zipf_probability(rank: u32, keys: u32, s: f64) -> f64 {
        let norm: f64 = (1..=keys).map(|k| f64::from(k).powf(-s)).sum();
        f64::from(rank + 1).powf(-s) / norm
    }

    fn assert_zipf_frequencies(keys: u32, s: f64, ranks: &[u32]) {
        let draws = 200_000;
        let counts = counts(&KeyChooser::new(&KeyDist::Zipf(s), keys), draws, 11);
        for &rank in ranks {
            let expected = zipf_probability(rank, keys, s);
            let actual = f64::from(counts[rank as usize]) / draws as f64;
            assert!(
                (actual - expected).abs() <= 0.1 * expected,
                "zipf({s}) rank {rank}: {actual} vs {expected}"
            );
        }
    }

    #[test]
    fn zipf_099_matches_theory() {
        assert_zipf_frequencies(1000, 0.99, &[0, 9]);
    }

    #[test]
    fn zipf_works_at_s_1_and_s_2() {
        assert_zipf_frequencies(1000, 1.0, &[0, 1, 9]);
        assert_zipf_frequencies(1000, 2.0, &[0, 1, 4]);
        assert_zipf_frequencies(50, 0.5, &[0, 49]);
    }

    #[test]
    fn zipf_handles_a_hundred_million_keys_in_constant_memory() {
        let chooser = KeyChooser::new(&KeyDist::Zipf(0.99), 100_000_000);
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let draws: Vec<u32> = (0..10_000).map(|_| chooser.choose(&mut rng)).collect();
        assert!(draws.iter().all(|&k| k < 100_000_000));
        let hottest = draws.iter().filter(|&&k| k == 0).count() as f64 / 10_000.0;
        let expected = zipf_probability_large(100_000_000, 0.99);
        assert!(
            (hottest - expected).abs() < 0.2 * expected,
            "{hottest} vs {expected}"
        );
    }

    /// P(rank 0) for huge n: 1 / H(n, s), with the tail of the harmonic sum
    /// from an integral (Euler–Maclaurin's first terms).
    fn zipf_probability_large(n: u32, s: f64) -> f64 {
        let head = 10_000u32;
        let mut sum: f64 = (1..=head).map(|k| f64::from(k).powf(-s)).sum();
        let (a, b) = (f64::from(head), f64::from(n));
        sum += (b.powf(1.0 - s) - a.powf(1.0 - s)) / (1.0 - s);
        sum += (b.powf(-s) - a.powf(-s)) / 2.0;
        1.0 / sum
    }

    #[test]
    fn a_single_key_is_always_chosen() {
        for dist in [
            KeyDist::Uniform,
            KeyDist::Zipf(0.99),
            KeyDist::HotSet {
                fraction: 0.5,
                probability: 0.9,
            },
        ] {
            assert_eq!(counts(&KeyChooser::new(&dist, 1), 100, 1), [100]);
        }
    }

    #[test]
    fn hotset_sends_its_share_to_the_hot_keys() {
        let dist = KeyDist::HotSet {
            fraction: 0.01,
            probability: 0.9,
        };
        let chooser = KeyChooser::new(&dist, 1000);
        let drawn = counts(&chooser, 100_000, 13);
        let hot: u32 = drawn[..10].iter().sum();
        let share = f64::from(hot) / 100_000.0;
        assert!((share - 0.9).abs() < 0.005, "{share}");
        assert!(
            drawn[10..].iter().all(|&c| c > 0),
            "every cold key is drawn"
        );
        // A tiny fraction still makes one hot key; the whole set leaves no
        // cold keys, so every draw is uniform over all.
        let tiny = KeyChooser::new(
            &KeyDist::HotSet {
                fraction: 1e-9,
                probability: 1.0,
            },
            1000,
        );
        assert_eq!(counts_of_rank(&tiny, 0), 1000);
        let whole = KeyChooser::new(
            &KeyDist::HotSet {
                fraction: 1.0,
                probability: 0.0,
            },
            10,
        );
        assert!(counts(&whole, 10_000, 14).iter().all(|&c| c > 800));
    }

    fn counts_of_rank(chooser: &KeyChooser, rank: usize) -> u32 {
        counts(chooser, 1000, 15)[rank]
    }

    #[test]
    fn uniform_is_flat_and_in_range() {
        let counts = counts(&KeyChooser::new(&KeyDist::Uniform, 10), 100_000, 16);
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn every_draw_is_a_key() {
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        for keys in [1, 2, 3, 7, 100, 12_345] {
            for dist in [
                KeyDist::Uniform,
                KeyDist::Zipf(0.2),
                KeyDist::Zipf(1.0),
                KeyDist::Zipf(3.5),
                KeyDist::HotSet {
                    fraction: 0.3,
                    probability: 0.5,
                },
            ] {
                let chooser = KeyChooser::new(&dist, keys);
                for _ in 0..2_000 {
                    assert!(chooser.choose(&mut rng) < keys);
                }
            }
        }
    }
}
