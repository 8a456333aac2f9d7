//! Exponential variates by the ziggurat method (Marsaglia and Tsang, "The
//! Ziggurat Method for Generating Random Variables", 2000).
//!
//! Exponential delays are the commonest draw of a run: every message's
//! latency in the default network, and every open-loop client's gap between
//! arrivals (Poisson arrivals, as in the Dynamo paper's request streams).
//! Inversion (`-ln U`) pays a logarithm each time; the ziggurat covers the
//! density with 256 layers of equal area and, for about 98.9% of draws,
//! answers from one 64-bit draw with one multiply and one compare. The rest
//! fall in a layer's wedge (checked against `exp`) or in the tail past the
//! base layer, where the exponential's lack of memory makes the tail another
//! exponential shifted by `TAIL_START`.
//!
//! One draw's bits are split: the low 8 pick the layer, the top 53 place the
//! point within it. The tables are a pure function of `TAIL_START` and
//! `LAYER_AREA`, built once per process.

use crate::time::SimTime;
use rand::Rng;
use std::sync::OnceLock;

/// Layers; the low bits of a draw pick one.
const LAYERS: usize = 256;
/// Where the base layer's rectangle ends and its tail begins.
const TAIL_START: f64 = 7.697_117_470_131_05;
/// Every layer's area: the base layer's rectangle plus its tail,
/// `TAIL_START·e^-TAIL_START + e^-TAIL_START`.
const LAYER_AREA: f64 = 0.003_949_659_822_581_557;

struct Tables {
    /// `x[i]` is layer `i`'s width; `x[0]` is the base layer's width were
    /// its tail a rectangle, `x[1] = TAIL_START`, falling to `x[256] = 0`.
    x: [f64; LAYERS + 1],
    /// `f[i] = e^-x[i]`, the density at each layer's outer edge.
    f: [f64; LAYERS + 1],
}

fn build() -> Tables {
    let mut x = [0.0; LAYERS + 1];
    let mut f = [0.0; LAYERS + 1];
    x[0] = LAYER_AREA / (-TAIL_START).exp();
    x[1] = TAIL_START;
    for i in 1..LAYERS {
        // The next layer up has the same area:
        // x[i] · (f[i+1] - f[i]) = LAYER_AREA.
        let up = (-x[i]).exp() + LAYER_AREA / x[i];
        x[i + 1] = if up >= 1.0 { 0.0 } else { -up.ln() };
    }
    // Rounding leaves the top a hair from zero; the peak is exactly there.
    x[LAYERS] = 0.0;
    for i in 0..=LAYERS {
        f[i] = (-x[i]).exp();
    }
    Tables { x, f }
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(build)
}

/// A draw from the exponential distribution with mean 1. Usually one 64-bit
/// draw; a wedge or tail case draws more, so the count varies but is fixed
/// by the seed like everything else.
///
/// Inlined, with the rare cases out of line: a call's entry and exit cost
/// about as many instructions as the common case itself.
#[inline]
pub fn standard_exponential<G: Rng + ?Sized>(rng: &mut G) -> f64 {
    let t = tables();
    let bits = rng.next_u64();
    let (layer, x) = place(t, bits);
    if x < t.x[layer + 1] {
        return x;
    }
    outside_the_core(rng, t, layer, x)
}

/// The layer a draw picks and the point it places in that layer's
/// rectangle.
#[inline(always)]
fn place(t: &Tables, bits: u64) -> (usize, f64) {
    let layer = (bits & (LAYERS as u64 - 1)) as usize;
    let unit = (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
    (layer, unit * t.x[layer])
}

/// The rest of a draw whose point fell outside the part of its layer
/// wholly under the density: the tail or a wedge, and a fresh try after a
/// rejection.
#[cold]
#[inline(never)]
fn outside_the_core<G: Rng + ?Sized>(
    rng: &mut G,
    t: &Tables,
    first_layer: usize,
    first_x: f64,
) -> f64 {
    let (mut layer, mut x) = (first_layer, first_x);
    loop {
        if layer == 0 {
            // Past TAIL_START the draw is TAIL_START plus a fresh
            // exponential (the distribution has no memory); 1 - U lies
            // in (0, 1], so the logarithm is finite.
            return TAIL_START - (1.0 - rng.random::<f64>()).ln();
        }
        let y = t.f[layer] + (t.f[layer + 1] - t.f[layer]) * rng.random::<f64>();
        if y < (-x).exp() {
            return x;
        }
        (layer, x) = place(t, rng.next_u64());
        if x < t.x[layer + 1] {
            return x;
        }
    }
}

/// An exponential delay with the given mean, rounded to a nanosecond.
pub fn exponential<G: Rng + ?Sized>(rng: &mut G, mean: SimTime) -> SimTime {
    SimTime::from_nanos_f64(standard_exponential(rng) * mean.0 as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// `count` draws where `expected` were due, within a relative
    /// `tolerance`.
    fn assert_near(count: usize, expected: f64, tolerance: f64, what: &str) {
        let count = count as f64;
        assert!(
            (count - expected).abs() < tolerance * expected,
            "{count} draws {what}, expected about {expected:.0}"
        );
    }

    fn sorted_draws(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut v: Vec<f64> = (0..n).map(|_| standard_exponential(&mut rng)).collect();
        v.sort_by(f64::total_cmp);
        v
    }

    #[test]
    fn the_layers_close_at_the_peak() {
        // Before snapping, the recurrence must land on x = 0 by itself, or
        // TAIL_START and LAYER_AREA do not describe 256 layers of equal area.
        let mut x = TAIL_START;
        for _ in 1..LAYERS - 1 {
            x = -((-x).exp() + LAYER_AREA / x).ln();
        }
        let top = (-x).exp() + LAYER_AREA / x;
        assert!((top - 1.0).abs() < 1e-9, "top layer reaches {top}");
        // Every layer's area is LAYER_AREA.
        let t = tables();
        for i in 1..LAYERS {
            let area = t.x[i] * (t.f[i + 1] - t.f[i]);
            assert!((area - LAYER_AREA).abs() < 1e-9, "layer {i}: {area}");
        }
    }

    #[test]
    fn quantiles_match_the_exponential() {
        let n = 400_000;
        let v = sorted_draws(n, 11);
        for q in [0.1, 0.5, 0.9, 0.99, 0.999] {
            let expected = -(1.0f64 - q).ln();
            let actual = v[(q * n as f64) as usize];
            assert!(
                (actual - expected).abs() / expected < 0.03,
                "quantile {q}: {actual} vs {expected}"
            );
        }
        let mean = v.iter().sum::<f64>() / n as f64;
        assert!((mean - 1.0).abs() < 0.01, "mean {mean}");
        assert!(v[0] >= 0.0);
    }

    #[test]
    fn the_tail_past_the_base_layer_is_drawn() {
        // P(X > 8.5) = e^-8.5 ≈ 2.0e-4: about 400 of 2M draws, all from the
        // tail branch; a tail that stopped at TAIL_START would give none.
        let v = sorted_draws(2_000_000, 12);
        let beyond = v.iter().filter(|&&x| x > 8.5).count();
        assert_near(beyond, 2_000_000.0 * (-8.5f64).exp(), 0.25, "past 8.5");
    }

    #[test]
    fn the_wedges_are_filled() {
        // The top layer has no inner rectangle (x[256] = 0): every draw it
        // gives passes the wedge test. It holds about 6% of the density at
        // zero, so a wedge test that always rejected (or always accepted)
        // would move the mass of [0, 0.03) by several percent.
        let n = 1_000_000;
        let v = sorted_draws(n, 14);
        let near_zero = v.partition_point(|&x| x < 0.03);
        let expected = n as f64 * (1.0 - (-0.03f64).exp());
        assert_near(near_zero, expected, 0.015, "below 0.03");
    }

    #[test]
    fn the_whole_distribution_passes_kolmogorov_smirnov() {
        // The largest gap between the empirical and the true CDF over 1M
        // draws; 1.95/sqrt(n) is the 0.1% critical value. Wedges all
        // accepted fail this; wedges all rejected move too little mass for
        // it, which `the_wedges_are_filled` catches.
        let n = 1_000_000;
        let v = sorted_draws(n, 13);
        let gap = v
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let cdf = 1.0 - (-x).exp();
                let below = i as f64 / n as f64;
                let upto = (i + 1) as f64 / n as f64;
                (upto - cdf).max(cdf - below)
            })
            .fold(0.0, f64::max);
        let critical = 1.95 / (n as f64).sqrt();
        assert!(gap < critical, "KS distance {gap:.5} over {critical:.5}");
    }
}
