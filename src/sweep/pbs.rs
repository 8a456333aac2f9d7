//! The PBS curve of a sweep: for every run, its counted gets (see
//! [`crate::check::staleness`]) tallied into one fixed set of
//! time-since-commit buckets, so the runs of a `--set` combination can be
//! summed into one curve of P(consistent read) against time since commit
//! (Bailis et al., PBS, VLDB 2012), one per combination.
//!
//! The buckets are fixed, not fitted to a run as `summary.json`'s curve is:
//! rows of different runs (and of shards run elsewhere) must add up bucket
//! by bucket. The edges step 1, 2, 5 per decade of milliseconds, enough
//! to span a LAN's sub-millisecond replication lag up to a WAN's seconds.

use crate::check::staleness::Staleness;
use crate::time::SimTime;

/// The lower edges of the buckets in milliseconds; each bucket reaches up
/// to the next edge, the last one has no upper edge.
pub const EDGES_MS: [u64; 11] = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/// How many buckets a row carries.
pub const BUCKETS: usize = EDGES_MS.len();

/// The counted gets of one bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub gets: u64,
    /// Gets that saw the latest acknowledged put (or one superseding it).
    pub consistent: u64,
}

/// A run's (or a combination's) gets per bucket.
pub type Tallies = [Tally; BUCKETS];

/// The bucket a get `since_commit` after the latest acknowledgement falls in.
pub fn bucket_of(since_commit: SimTime) -> usize {
    let ns_per_ms = SimTime::from_millis(1).0;
    // The last edge at or below the time; edge 0 is always at or below.
    EDGES_MS
        .iter()
        .rposition(|&edge| edge.saturating_mul(ns_per_ms) <= since_commit.0)
        .unwrap_or(0)
}

/// A run's tallies from its staleness samples.
pub fn tally(staleness: &Staleness) -> Tallies {
    let mut tallies = Tallies::default();
    for sample in &staleness.samples {
        let slot = &mut tallies[bucket_of(sample.since_commit)];
        slot.gets += 1;
        slot.consistent += u64::from(sample.consistent);
    }
    tallies
}

/// Bucket `i`'s edges in milliseconds; `None` above the last.
pub fn bounds_ms(i: usize) -> (u64, Option<u64>) {
    (EDGES_MS[i], EDGES_MS.get(i + 1).copied())
}

/// Bucket `i` as a column name's part: `0-1ms`, ..., `1000ms+`.
pub fn label(i: usize) -> String {
    match bounds_ms(i) {
        (lo, Some(hi)) => format!("{lo}-{hi}ms"),
        (lo, None) => format!("{lo}ms+"),
    }
}

/// The row's columns for the buckets, in order: per bucket its gets, then
/// its consistent gets.
pub fn columns() -> Vec<String> {
    (0..BUCKETS)
        .flat_map(|i| {
            let bucket = label(i);
            [
                format!("pbs.gets.{bucket}"),
                format!("pbs.consistent.{bucket}"),
            ]
        })
        .collect()
}

/// The bucket-by-bucket sum of `tallies`.
pub fn sum<'a>(tallies: impl IntoIterator<Item = &'a Tallies>) -> Tallies {
    let mut total = Tallies::default();
    for run in tallies {
        for (slot, t) in total.iter_mut().zip(run) {
            slot.gets += t.gets;
            slot.consistent += t.consistent;
        }
    }
    total
}

/// One point of `aggregate.json`'s `staleness_curve`: `[lo_ms, hi_ms, p,
/// gets]`, `hi_ms` `null` for the open last bucket, `p` `null` without gets.
pub type CurvePoint = (u64, Option<u64>, Option<f64>, u64);

/// The curve of summed tallies, a point per bucket.
pub fn curve(total: &Tallies) -> Vec<CurvePoint> {
    total
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let (lo, hi) = bounds_ms(i);
            let p = (t.gets > 0).then(|| t.consistent as f64 / t.gets as f64);
            (lo, hi, p, t.gets)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::staleness::Sample;

    fn ms(x: u64) -> SimTime {
        SimTime::from_millis(x)
    }

    #[test]
    fn a_get_falls_in_the_bucket_whose_lower_edge_it_reached() {
        assert_eq!(bucket_of(SimTime(0)), 0);
        assert_eq!(bucket_of(SimTime(ms(1).0 - 1)), 0);
        assert_eq!(bucket_of(ms(1)), 1);
        assert_eq!(bucket_of(ms(4)), 2);
        assert_eq!(bucket_of(ms(5)), 3);
        assert_eq!(bucket_of(ms(999)), 9);
        assert_eq!(bucket_of(ms(1000)), 10);
        assert_eq!(bucket_of(SimTime(u64::MAX)), 10);
    }

    #[test]
    fn tallies_count_gets_and_consistent_gets_per_bucket() {
        let sample = |t: SimTime, consistent| Sample {
            since_commit: t,
            consistent,
        };
        let staleness = Staleness {
            samples: vec![
                sample(SimTime(5), false),
                sample(SimTime(6), true),
                sample(ms(3), true),
                sample(ms(5000), true),
            ],
            ..Staleness::default()
        };
        let t = tally(&staleness);
        assert_eq!(
            t[0],
            Tally {
                gets: 2,
                consistent: 1
            }
        );
        assert_eq!(t[2].gets, 1);
        assert_eq!(t[10].consistent, 1);
        let both = sum([&t, &t]);
        assert_eq!(both[0].gets, 4);
        let points = curve(&both);
        assert_eq!(points[0], (0, Some(1), Some(0.5), 4));
        assert_eq!(points[1], (1, Some(2), None, 0));
        assert_eq!(points[10], (1000, None, Some(1.0), 2));
    }

    #[test]
    fn columns_name_each_bucket_twice_in_order() {
        let c = columns();
        assert_eq!(c.len(), 2 * BUCKETS);
        assert_eq!(
            &c[..3],
            ["pbs.gets.0-1ms", "pbs.consistent.0-1ms", "pbs.gets.1-2ms"]
        );
        assert_eq!(c.last().map(String::as_str), Some("pbs.consistent.1000ms+"));
    }
}
