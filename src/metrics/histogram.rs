//! A latency histogram with bounded relative error and constant memory.
//!
//! The Dynamo paper states its service-level agreements at the 99.9th
//! percentile (section 2.2) rather than the mean, so the simulator keeps
//! whole latency distributions, not averages. The layout follows Gil
//! Tene's HdrHistogram: log-linear buckets over nanoseconds. Values below
//! 256 ns get a bucket each; above, every power of two `[2^e, 2^(e+1))` is
//! split into 128 equal sub-buckets, so a bucket is at most 1/128 (0.78%)
//! of its lower edge wide. That covers the whole `u64` range in 7,424
//! counters (58 KiB), whatever the number of samples.
//!
//! Quantiles report the upper edge of the bucket that holds them (clamped
//! to the largest value seen), so a reported p99 is never below the true
//! one and at most 0.78% above it.
//!
//! An empty histogram has no quantiles, minimum, maximum or mean: those
//! return `None`.

use std::fmt;

use crate::time::SimTime;

/// log2 of the sub-buckets per power of two.
const SUB_BUCKET_BITS: u32 = 7;
const SUB_BUCKETS: usize = 1 << SUB_BUCKET_BITS;
/// Values below this are recorded exactly.
const LINEAR_LIMIT: u64 = 2 * SUB_BUCKETS as u64;
/// Enough buckets for `u64::MAX`: its shift in [`bucket_of`] is 63 − 7 = 56,
/// putting it in bucket 56 · 128 + 255, the last of (56 + 2) · 128 = 7,424.
const BUCKETS: usize = (64 - SUB_BUCKET_BITS as usize + 1) * SUB_BUCKETS;

/// Counts of nanosecond values in log-linear buckets.
#[derive(Clone, PartialEq, Eq)]
pub struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    count: u64,
    /// u128: 2^64 samples of u64::MAX cannot overflow it.
    sum: u128,
    min: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

impl fmt::Debug for Histogram {
    /// A summary; the 7,424 counters would drown any test failure.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.count)
            .field("min", &self.min())
            .field("p50", &self.quantile(0.5))
            .field("p99", &self.quantile(0.99))
            .field("max", &self.max())
            .finish()
    }
}

/// The bucket of a value. For `v ≥ 256` with highest set bit `e`, the
/// value is shifted right by `e − 7` so its top eight bits (128..=255)
/// remain; buckets run on from 256 at 128 per shift step.
fn bucket_of(value: u64) -> usize {
    if value < LINEAR_LIMIT {
        return value as usize;
    }
    let highest_bit = 63 - value.leading_zeros();
    let shift = highest_bit - SUB_BUCKET_BITS;
    shift as usize * SUB_BUCKETS + (value >> shift) as usize
}

/// The smallest and largest value a bucket holds.
fn bucket_bounds(bucket: usize) -> (u64, u64) {
    if bucket < LINEAR_LIMIT as usize {
        return (bucket as u64, bucket as u64);
    }
    let shift = bucket / SUB_BUCKETS - 1;
    let mantissa = (bucket - shift * SUB_BUCKETS) as u64;
    let lower = mantissa << shift;
    (lower, lower + ((1u64 << shift) - 1))
}

impl Histogram {
    pub fn new() -> Histogram {
        Histogram {
            counts: Box::new([0; BUCKETS]),
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    pub fn record(&mut self, value: SimTime) {
        let ns = value.as_nanos();
        self.counts[bucket_of(ns)] += 1;
        self.count += 1;
        self.sum += u128::from(ns);
        self.min = self.min.min(ns);
        self.max = self.max.max(ns);
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The value at quantile `q` (clamped to [0, 1]): the upper edge of the
    /// bucket holding the ⌈q·count⌉-th smallest value, at most the maximum.
    /// `quantile(0.0)` is the minimum. `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<SimTime> {
        if self.count == 0 {
            return None;
        }
        let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
        if q == 0.0 {
            return self.min();
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0u64;
        for (bucket, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let (_, upper) = bucket_bounds(bucket);
                return Some(SimTime(upper.min(self.max)));
            }
        }
        unreachable!("the counts sum to count")
    }

    pub fn min(&self) -> Option<SimTime> {
        (self.count > 0).then_some(SimTime(self.min))
    }

    pub fn max(&self) -> Option<SimTime> {
        (self.count > 0).then_some(SimTime(self.max))
    }

    /// The exact mean (kept from a running sum, not from the buckets),
    /// rounded down to a nanosecond.
    pub fn mean(&self) -> Option<SimTime> {
        (self.count > 0).then(|| SimTime((self.sum / u128::from(self.count)) as u64))
    }

    /// Adds another histogram's values to this one, as if recorded here.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine += theirs;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The non-empty buckets in ascending order as `(lowest, highest,
    /// count)`, for charts.
    pub fn buckets(&self) -> impl Iterator<Item = (SimTime, SimTime, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|&(_, &count)| count > 0)
            .map(|(bucket, &count)| {
                let (lower, upper) = bucket_bounds(bucket);
                (SimTime(lower), SimTime(upper), count)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn exact_quantile(sorted: &[u64], q: f64) -> u64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }

    #[test]
    fn an_empty_histogram_has_no_figures() {
        let h = Histogram::new();
        assert_eq!(h.count(), 0);
        assert_eq!(h.quantile(0.5), None);
        assert_eq!((h.min(), h.max(), h.mean()), (None, None, None));
        assert_eq!(h.buckets().count(), 0);
    }

    #[test]
    fn buckets_tile_the_whole_range() {
        let mut next = 0u64;
        for bucket in 0..BUCKETS {
            let (lower, upper) = bucket_bounds(bucket);
            assert_eq!(lower, next, "bucket {bucket}");
            assert_eq!(bucket_of(lower), bucket);
            assert_eq!(bucket_of(upper), bucket);
            assert!((upper - lower) as f64 <= lower as f64 / 128.0);
            next = upper.wrapping_add(1);
        }
        assert_eq!(next, 0, "the last bucket ends at u64::MAX");
    }

    #[test]
    fn quantiles_are_within_one_percent_on_random_data() {
        let mut rng = ChaCha8Rng::seed_from_u64(21);
        let mut h = Histogram::new();
        let mut values: Vec<u64> = (0..100_000)
            .map(|_| {
                // Log-uniform from 1us to 10s: every scale gets tested.
                let exponent = rng.random::<f64>() * 7.0 + 3.0;
                10f64.powf(exponent) as u64
            })
            .collect();
        for &v in &values {
            h.record(SimTime(v));
        }
        values.sort_unstable();
        for q in [0.0, 0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0] {
            let exact = exact_quantile(&values, q) as f64;
            let reported = h.quantile(q).unwrap().0 as f64;
            assert!(reported >= exact, "q={q}: {reported} < {exact}");
            assert!(reported <= exact * 1.01, "q={q}: {reported} vs {exact}");
        }
        assert_eq!(h.min(), Some(SimTime(values[0])));
        assert_eq!(h.max(), Some(SimTime(*values.last().unwrap())));
        let mean = values.iter().map(|&v| u128::from(v)).sum::<u128>() / values.len() as u128;
        assert_eq!(h.mean(), Some(SimTime(mean as u64)));
    }

    #[test]
    fn small_values_are_exact_and_the_max_clamps() {
        let mut h = Histogram::new();
        for v in [3, 3, 7, 200] {
            h.record(SimTime(v));
        }
        assert_eq!(h.quantile(0.5), Some(SimTime(3)));
        assert_eq!(h.quantile(0.75), Some(SimTime(7)));
        assert_eq!(h.quantile(1.0), Some(SimTime(200)));
        let mut h = Histogram::new();
        h.record(SimTime(1_000_001));
        // The bucket reaches past 1_000_001; the answer does not.
        assert_eq!(h.quantile(0.99), Some(SimTime(1_000_001)));
        h.record(SimTime::MAX);
        assert_eq!(h.quantile(1.0), Some(SimTime::MAX));
    }

    proptest! {
        #[test]
        fn merging_equals_recording_into_one(
            left in proptest::collection::vec(any::<u64>(), 0..50),
            right in proptest::collection::vec(0u64..1_000_000, 0..50),
        ) {
            let mut a = Histogram::new();
            let mut b = Histogram::new();
            let mut both = Histogram::new();
            for &v in &left {
                a.record(SimTime(v));
                both.record(SimTime(v));
            }
            for &v in &right {
                b.record(SimTime(v));
                both.record(SimTime(v));
            }
            a.merge(&b);
            prop_assert_eq!(&a, &both);
            prop_assert_eq!(a.count(), (left.len() + right.len()) as u64);
        }
    }
}
