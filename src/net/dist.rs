//! Latency distributions: a [`Dist`] from the scenario compiled into a
//! [`Sampler`] that draws message delays.
//!
//! The Dynamo paper reports latencies with long tails (its Figure 4 shows a
//! 99.9th percentile an order of magnitude above the average), so the
//! scenario offers heavy-tailed shapes (lognormal, pareto, mixtures) beside
//! the textbook ones. Every sampler is written here by hand from uniform
//! draws rather than taken from `rand_distr`, so a seed fixes the delays by
//! this code alone and a dependency upgrade cannot change a replay:
//!
//! | kind        | method                                        | uniforms per sample |
//! |-------------|-----------------------------------------------|---------------------|
//! | constant    | the value                                     | 0 |
//! | uniform     | `min + U·(max − min)`                         | 1 |
//! | exponential | ziggurat ([`super::exponential`])             | 1, rarely more |
//! | normal      | Box–Muller (cosine half), clamped at zero     | 2 |
//! | lognormal   | `exp(mu + sigma·Z)`, Z by Box–Muller          | 2 |
//! | pareto      | inversion, `scale / U^(1/shape)`              | 1 |
//! | mixture     | one uniform picks the part, then the part's   | 1 + the part's |
//!
//! A lognormal is given by its median and 99th percentile:
//! `mu = ln p50`, `sigma = (ln p99 − ln p50) / z₀.₉₉` with
//! `z₀.₉₉ = 2.3263478740`, the standard normal's 99th percentile.

use rand::Rng;

use super::exponential::standard_exponential;
use crate::scenario::Dist;
use crate::time::SimTime;

/// The standard normal's 99th percentile: `Φ⁻¹(0.99)`.
const Z_99: f64 = 2.326_347_874_0;

/// A latency distribution ready to sample: parameters precomputed, mixture
/// weights turned into a cumulative table.
#[derive(Clone, Debug, PartialEq)]
pub struct Sampler {
    shape: Shape,
}

#[derive(Clone, Debug, PartialEq)]
enum Shape {
    Constant(SimTime),
    Uniform {
        min: f64,
        span: f64,
    },
    Exponential {
        mean: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    Pareto {
        scale: f64,
        inverse_shape: f64,
    },
    /// `cumulative[i]` is the normalised weight of parts `0..=i`; the last
    /// entry is exactly 1 so a draw below 1 always finds a part.
    Mixture {
        cumulative: Vec<f64>,
        parts: Vec<Sampler>,
    },
}

impl Sampler {
    /// Compiles a distribution. Validation has already checked it; a shape
    /// that still makes no sense degrades to something harmless rather than
    /// panicking mid-run (an empty or weightless mixture weighs its parts
    /// equally, or is the constant zero when it has none).
    pub fn new(dist: &Dist) -> Sampler {
        let shape = match dist {
            Dist::Constant { value } => Shape::Constant(*value),
            Dist::Uniform { min, max } => {
                let (lo, hi) = if min <= max { (min, max) } else { (max, min) };
                Shape::Uniform {
                    min: lo.0 as f64,
                    span: (hi.0 - lo.0) as f64,
                }
            }
            Dist::Exponential { mean } => Shape::Exponential {
                mean: mean.0 as f64,
            },
            Dist::Normal { mean, sd } => Shape::Normal {
                mean: mean.0 as f64,
                sd: sd.0 as f64,
            },
            Dist::LogNormal { p50, p99 } => {
                // A zero median would make mu = -inf; one nanosecond is the
                // smallest delay the clock can tell apart from it anyway.
                let ln_p50 = (p50.0.max(1) as f64).ln();
                let ln_p99 = (p99.0.max(p50.0).max(1) as f64).ln();
                Shape::LogNormal {
                    mu: ln_p50,
                    sigma: (ln_p99 - ln_p50) / Z_99,
                }
            }
            Dist::Pareto { scale, shape } => Shape::Pareto {
                scale: scale.0 as f64,
                inverse_shape: if *shape > 0.0 { 1.0 / shape } else { 1.0 },
            },
            Dist::Mixture { parts } => {
                if parts.is_empty() {
                    Shape::Constant(SimTime::ZERO)
                } else {
                    let weights: Vec<f64> = parts
                        .iter()
                        .map(|(w, _)| if w.is_finite() && *w > 0.0 { *w } else { 0.0 })
                        .collect();
                    let total: f64 = weights.iter().sum();
                    let weights = if total > 0.0 {
                        weights
                    } else {
                        vec![1.0; parts.len()]
                    };
                    let total: f64 = weights.iter().sum();
                    let mut running = 0.0;
                    let mut cumulative: Vec<f64> = weights
                        .iter()
                        .map(|w| {
                            running += w;
                            running / total
                        })
                        .collect();
                    // Rounding can leave the sum a hair below one.
                    *cumulative.last_mut().expect("parts is not empty") = 1.0;
                    Shape::Mixture {
                        cumulative,
                        parts: parts.iter().map(|(_, d)| Sampler::new(d)).collect(),
                    }
                }
            }
        };
        Sampler { shape }
    }

    /// One delay. Draws the number of uniforms documented in the module
    /// table; every result is at least zero.
    ///
    /// Inlined with the exponential's common case (a message's delay, a
    /// client's gap): the call cost as many instructions as the draw. The
    /// other shapes stay out of line.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        match &self.shape {
            Shape::Exponential { mean } => {
                SimTime::from_nanos_f64(mean * standard_exponential(rng))
            }
            _ => self.sample_other(rng),
        }
    }

    #[inline(never)]
    fn sample_other<R: Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        match &self.shape {
            Shape::Exponential { .. } => self.sample(rng),
            Shape::Constant(value) => *value,
            Shape::Uniform { min, span } => {
                SimTime::from_nanos_f64(min + rng.random::<f64>() * span)
            }
            Shape::Normal { mean, sd } => SimTime::from_nanos_f64(mean + sd * standard_normal(rng)),
            Shape::LogNormal { mu, sigma } => {
                SimTime::from_nanos_f64((mu + sigma * standard_normal(rng)).exp())
            }
            Shape::Pareto {
                scale,
                inverse_shape,
            } => SimTime::from_nanos_f64(scale / unit_open_low(rng).powf(*inverse_shape)),
            Shape::Mixture { cumulative, parts } => {
                let u = rng.random::<f64>();
                let index = cumulative.partition_point(|&c| c <= u).min(parts.len() - 1);
                parts[index].sample(rng)
            }
        }
    }

    /// The distribution's mean, rounded to a nanosecond: a guide for timeouts
    /// and for reports. A pareto with shape ≤ 1 has no finite mean and gives
    /// [`SimTime::MAX`]; the normal's mean accounts for the clamp at zero.
    pub fn mean(&self) -> SimTime {
        SimTime::from_nanos_f64(self.mean_nanos())
    }

    fn mean_nanos(&self) -> f64 {
        match &self.shape {
            Shape::Constant(value) => value.0 as f64,
            Shape::Uniform { min, span } => min + span / 2.0,
            Shape::Exponential { mean } => *mean,
            Shape::Normal { mean, sd } => {
                if *sd == 0.0 {
                    mean.max(0.0)
                } else {
                    // E[max(X, 0)] for X ~ N(m, s²) is m·Φ(m/s) + s·φ(m/s).
                    let z = mean / sd;
                    let pdf = (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
                    mean * standard_normal_cdf(z) + sd * pdf
                }
            }
            Shape::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Shape::Pareto {
                scale,
                inverse_shape,
            } => {
                let shape = 1.0 / inverse_shape;
                if shape > 1.0 {
                    scale * shape / (shape - 1.0)
                } else {
                    f64::INFINITY
                }
            }
            Shape::Mixture { cumulative, parts } => {
                let mut previous = 0.0;
                cumulative
                    .iter()
                    .zip(parts)
                    .map(|(&c, part)| {
                        let weight = c - previous;
                        previous = c;
                        weight * part.mean_nanos()
                    })
                    .sum()
            }
        }
    }
}

/// A uniform draw in (0, 1]: safe to take the logarithm of or divide by.
fn unit_open_low<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    1.0 - rng.random::<f64>()
}

/// A standard normal variate by Box–Muller, from exactly two uniforms. The
/// sine half is thrown away rather than cached, so every sample costs the
/// same draws and a sampler carries no hidden state between calls.
fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let radius = (-2.0 * unit_open_low(rng).ln()).sqrt();
    let angle = 2.0 * std::f64::consts::PI * rng.random::<f64>();
    radius * angle.cos()
}

/// Φ(z), via the complementary error function (Abramowitz & Stegun 7.1.26,
/// absolute error below 1.5e-7: ample for a mean rounded to nanoseconds).
fn standard_normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erfc = poly * (-x * x).exp();
    if z >= 0.0 {
        1.0 - erfc / 2.0
    } else {
        erfc / 2.0
    }
}

/// A uniform index in `0..n` from one 64-bit draw, by multiply-and-shift
/// (Lemire). The bias is below n / 2⁶⁴, far under anything a run can
/// observe, and unlike `random_range` it never rejects, so every call costs
/// exactly one draw and the result is fixed by this code. `n` must be > 0.
pub fn uniform_index<R: Rng + ?Sized>(rng: &mut R, n: u64) -> u64 {
    debug_assert!(n > 0, "uniform_index over an empty range");
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngCore, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn ms(v: u64) -> SimTime {
        SimTime::from_millis(v)
    }

    fn draws(dist: &Dist, n: usize, seed: u64) -> Vec<u64> {
        let sampler = Sampler::new(dist);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut out: Vec<u64> = (0..n).map(|_| sampler.sample(&mut rng).0).collect();
        out.sort_unstable();
        out
    }

    fn quantile(sorted: &[u64], q: f64) -> f64 {
        sorted[((q * sorted.len() as f64).ceil() as usize - 1).min(sorted.len() - 1)] as f64
    }

    fn assert_close(actual: f64, expected: f64, tolerance: f64, what: &str) {
        let error = (actual - expected).abs() / expected;
        assert!(
            error <= tolerance,
            "{what}: {actual} vs {expected} ({:.2}% off)",
            error * 100.0
        );
    }

    #[test]
    fn lognormal_hits_its_median_and_p99() {
        let dist = Dist::LogNormal {
            p50: ms(2),
            p99: ms(25),
        };
        let sorted = draws(&dist, 200_000, 1);
        assert_close(quantile(&sorted, 0.50), ms(2).0 as f64, 0.03, "p50");
        assert_close(quantile(&sorted, 0.99), ms(25).0 as f64, 0.05, "p99");
    }

    #[test]
    fn constant_is_constant_and_draws_nothing() {
        let sampler = Sampler::new(&Dist::Constant { value: ms(3) });
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut untouched = rng.clone();
        for _ in 0..100 {
            assert_eq!(sampler.sample(&mut rng), ms(3));
        }
        assert_eq!(rng.next_u64(), untouched.next_u64());
        assert_eq!(sampler.mean(), ms(3));
    }

    #[test]
    fn uniform_stays_within_bounds() {
        let dist = Dist::Uniform {
            min: ms(1),
            max: ms(4),
        };
        let sorted = draws(&dist, 50_000, 2);
        assert!(sorted[0] >= ms(1).0 && *sorted.last().unwrap() <= ms(4).0);
        assert_close(quantile(&sorted, 0.5), 2.5e6, 0.02, "uniform median");
        assert_eq!(Sampler::new(&dist).mean(), SimTime::from_micros(2500));
    }

    #[test]
    fn exponential_and_pareto_match_their_quantiles() {
        let sorted = draws(&Dist::Exponential { mean: ms(10) }, 200_000, 3);
        // The median of an exponential is mean·ln 2.
        assert_close(quantile(&sorted, 0.5), 1e7 * 2f64.ln(), 0.02, "exp p50");
        let sorted = draws(
            &Dist::Pareto {
                scale: ms(1),
                shape: 2.0,
            },
            200_000,
            4,
        );
        assert!(sorted[0] >= ms(1).0, "pareto never goes below its scale");
        // Quantile q of a pareto is scale / (1 − q)^(1/shape).
        assert_close(quantile(&sorted, 0.99), 1e6 * 10.0, 0.05, "pareto p99");
    }

    #[test]
    fn normal_is_clamped_at_zero() {
        let sorted = draws(
            &Dist::Normal {
                mean: ms(1),
                sd: ms(2),
            },
            100_000,
            5,
        );
        // About Φ(−0.5) ≈ 31% of the draws fall at or below zero.
        let zeros = sorted.iter().filter(|&&v| v == 0).count() as f64 / sorted.len() as f64;
        assert!((zeros - 0.3085).abs() < 0.01, "{zeros}");
        let empirical_mean = sorted.iter().sum::<u64>() as f64 / sorted.len() as f64;
        let mean = Sampler::new(&Dist::Normal {
            mean: ms(1),
            sd: ms(2),
        })
        .mean();
        assert_close(empirical_mean, mean.0 as f64, 0.02, "clamped normal mean");
    }

    #[test]
    fn mixture_follows_its_weights() {
        let dist = Dist::Mixture {
            parts: vec![
                (3.0, Dist::Constant { value: ms(1) }),
                (1.0, Dist::Constant { value: ms(100) }),
            ],
        };
        let sorted = draws(&dist, 100_000, 6);
        let slow = sorted.iter().filter(|&&v| v == ms(100).0).count() as f64 / 100_000.0;
        assert!((slow - 0.25).abs() < 0.01, "{slow}");
        assert_eq!(Sampler::new(&dist).mean(), SimTime::from_micros(25_750));
    }

    #[test]
    fn the_same_seed_gives_the_same_sequence() {
        let dist = Dist::Mixture {
            parts: vec![
                (
                    1.0,
                    Dist::LogNormal {
                        p50: ms(2),
                        p99: ms(25),
                    },
                ),
                (
                    1.0,
                    Dist::Pareto {
                        scale: ms(1),
                        shape: 1.5,
                    },
                ),
            ],
        };
        let sampler = Sampler::new(&dist);
        let run = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..1000)
                .map(|_| sampler.sample(&mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
        assert_ne!(run(9), run(10));
    }

    #[test]
    fn uniform_index_covers_its_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut seen = [0u32; 5];
        for _ in 0..10_000 {
            seen[uniform_index(&mut rng, 5) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| (1800..2200).contains(&c)), "{seen:?}");
    }
}
