//! The staleness curve of Bailis et al., "Probabilistically Bounded
//! Staleness for Practical Partial Quorums" (VLDB 2012), measured on the
//! recorded history.
//!
//! For each ok get of key `k`, take the latest put to `k` acknowledged
//! strictly before the get was invoked (by completion time; ties go to the
//! later op). `t` is the time from that acknowledgement to the get's start.
//! The get is *consistent* when it returned that put's value or the value of
//! a put superseding it (the supersession of [`super::consistency`]: through
//! contexts under [`Rule::Causal`], through time under [`Rule::RealTime`]).
//! Gets with no acknowledged put before them are not counted.
//!
//! An inconsistent get is *k versions behind*: `k` counts the acknowledged
//! puts, in acknowledgement order, after the newest acknowledged put the get
//! returned or superseded, up to and including the latest one (all of them
//! when it covered none). `k = 1` means it missed only the latest write.
//!
//! This differs from [`super::consistency::stale_reads`] on purpose: PBS asks
//! about the *latest* acknowledged version, so a get that returned it but
//! not an older concurrent acknowledged sibling is consistent here and stale
//! there.
//!
//! Cost: each key's operations are taken in time order. Under the causal
//! rule a get walks the context graph down from the values it returned,
//! pruned by a precomputed bound on the newest acknowledgement below each
//! put; under the real-time rule a Fenwick tree answers "the newest
//! acknowledged put invoked by then" in `O(log n)`.

use super::consistency::{KeyOps, Rule, completed, key_groups};
use super::history::{History, HistoryOp};
use crate::scenario::StalenessBuckets;
use crate::time::SimTime;
use serde::Serialize;
use std::collections::BTreeMap;

/// How many equal-width buckets the automatic curve has.
pub const AUTO_BUCKETS: u64 = 20;

/// One counted get.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sample {
    /// From the latest acknowledgement before the get to the get's start.
    pub since_commit: SimTime,
    pub consistent: bool,
}

/// What the staleness checker measured over one history.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Staleness {
    /// Every counted get, sorted by `since_commit`.
    pub samples: Vec<Sample>,
    /// Inconsistent gets by how many acknowledged versions behind they were.
    pub k_staleness: BTreeMap<u64, u64>,
}

/// One bucket of the curve: gets whose `t` lies in `[lo, hi)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    pub lo: SimTime,
    pub hi: SimTime,
    /// Consistent share; `None` for an empty bucket.
    pub p: Option<f64>,
    pub gets: u64,
}

/// The `staleness` key of `summary.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StalenessSummary {
    /// `"log"` or `"linear"`: how `by_time_since_commit` is cut
    /// (`metrics.staleness_buckets`).
    pub buckets: &'static str,
    /// Consistent share of the counted gets; `null` with none.
    pub p_consistent: Option<f64>,
    /// Gets counted (an acknowledged put to their key came before them).
    pub gets: u64,
    /// `[[lo_ms, hi_ms, p, gets], ...]`; `p` is `null` for an empty bucket.
    pub by_time_since_commit: Vec<(f64, f64, Option<f64>, u64)>,
    /// `{"1": n, "2": n, ...}`: inconsistent gets by versions behind.
    pub k_staleness: BTreeMap<u64, u64>,
}

impl Staleness {
    /// Consistent share of the counted gets; `None` with none.
    pub fn p_consistent(&self) -> Option<f64> {
        let consistent = self.samples.iter().filter(|s| s.consistent).count();
        (!self.samples.is_empty()).then(|| consistent as f64 / self.samples.len() as f64)
    }

    /// `buckets` buckets of `width` from 0; gets with a larger `t` fall
    /// outside the curve (they still count in [`Staleness::p_consistent`]).
    pub fn curve(&self, width: SimTime, buckets: u64) -> Vec<Bucket> {
        let width = width.0.max(1);
        let mut tally = vec![(0u64, 0u64); buckets as usize];
        for s in &self.samples {
            let Some(slot) = tally.get_mut((s.since_commit.0 / width) as usize) else {
                // Sorted: every later sample is further out.
                break;
            };
            slot.0 += 1;
            slot.1 += u64::from(s.consistent);
        }
        tally
            .into_iter()
            .enumerate()
            .map(|(i, (gets, consistent))| Bucket {
                lo: SimTime(i as u64 * width),
                hi: SimTime((i as u64 + 1).saturating_mul(width)),
                p: (gets > 0).then(|| consistent as f64 / gets as f64),
                gets,
            })
            .collect()
    }

    /// The default curve: [`AUTO_BUCKETS`] buckets whose width is the
    /// smallest 1, 2 or 5 times a power of ten nanoseconds that puts the
    /// 99th percentile of `t` inside them; empty without samples.
    pub fn auto_curve(&self) -> Vec<Bucket> {
        let Some(p99) = percentile(&self.samples, 0.99) else {
            return Vec::new();
        };
        self.curve(nice_width(p99.0 / AUTO_BUCKETS + 1), AUTO_BUCKETS)
    }

    /// Log-spaced buckets: `[0, 0.1 ms)`, then edges 1, 2 and 5 times each
    /// power of ten from 0.1 ms, the last edge the first past the longest
    /// time since commit; empty without samples. Stale reads live in the
    /// first milliseconds after a commit, which equal buckets sized to the
    /// slowest gets lump into one.
    pub fn log_curve(&self) -> Vec<Bucket> {
        let Some(longest) = self.samples.last().map(|s| s.since_commit) else {
            return Vec::new();
        };
        let mut edges = vec![SimTime::ZERO];
        let mut decade = SimTime::from_micros(100).0;
        'edges: loop {
            for step in [1, 2, 5] {
                let edge = SimTime(decade.saturating_mul(step));
                edges.push(edge);
                if edge > longest || edge == SimTime::MAX {
                    break 'edges;
                }
            }
            decade = decade.saturating_mul(10);
        }
        self.tally(&edges)
    }

    /// Buckets `[edges[i], edges[i + 1])`; samples past the last edge are
    /// left out.
    fn tally(&self, edges: &[SimTime]) -> Vec<Bucket> {
        let mut buckets: Vec<Bucket> = edges
            .windows(2)
            .map(|w| Bucket {
                lo: w[0],
                hi: w[1],
                p: None,
                gets: 0,
            })
            .collect();
        let mut consistent = vec![0u64; buckets.len()];
        for s in &self.samples {
            let at = edges.partition_point(|e| *e <= s.since_commit);
            let Some(i) = at.checked_sub(1).filter(|&i| i < buckets.len()) else {
                continue;
            };
            buckets[i].gets += 1;
            consistent[i] += u64::from(s.consistent);
        }
        for (b, c) in buckets.iter_mut().zip(consistent) {
            b.p = (b.gets > 0).then(|| c as f64 / b.gets as f64);
        }
        buckets
    }

    /// The summary, its curve cut by `buckets`.
    pub fn summary(&self, buckets: StalenessBuckets) -> StalenessSummary {
        let (name, curve) = match buckets {
            StalenessBuckets::Log => ("log", self.log_curve()),
            StalenessBuckets::Linear => ("linear", self.auto_curve()),
        };
        StalenessSummary {
            buckets: name,
            p_consistent: self.p_consistent(),
            gets: self.samples.len() as u64,
            by_time_since_commit: curve
                .iter()
                .map(|b| (b.lo.as_millis_f64(), b.hi.as_millis_f64(), b.p, b.gets))
                .collect(),
            k_staleness: self.k_staleness.clone(),
        }
    }
}

fn percentile(sorted: &[Sample], q: f64) -> Option<SimTime> {
    let last = sorted.len().checked_sub(1)?;
    Some(sorted[((last as f64 * q).round() as usize).min(last)].since_commit)
}

/// The smallest 1, 2 or 5 times a power of ten at least `at_least` (ns).
fn nice_width(at_least: u64) -> SimTime {
    let mut decade: u64 = 1;
    loop {
        for step in [1, 2, 5] {
            let width = decade.saturating_mul(step);
            if width >= at_least || width == u64::MAX {
                return SimTime(width);
            }
        }
        decade = decade.saturating_mul(10);
    }
}

/// Measures every counted get of the history; see the module's definitions.
pub fn staleness(history: &History, rule: Rule) -> Staleness {
    let ops = history.ops();
    let mut found = Staleness::default();
    for group in key_groups(ops).iter() {
        measure_key(ops, &KeyOps::new(ops, group), rule, &mut found);
    }
    found.samples.sort_unstable();
    found
}

/// Adds one key's counted gets to `found`, its samples unsorted (sort them
/// once every key is in).
pub(super) fn measure_key(ops: &[HistoryOp], key_ops: &KeyOps, rule: Rule, found: &mut Staleness) {
    KeyStaleness::new(ops, key_ops, rule).measure(found);
}

/// A bound meaning "not known": no pruning below this put.
const UNBOUNDED: u32 = u32::MAX;

/// No position: a put the real-time rule does not rank (the causal rule).
const NOWHERE: usize = usize::MAX;

/// One key's puts ranked by acknowledgement, with what each rule needs.
struct KeyStaleness<'a> {
    ops: &'a [HistoryOp],
    key_ops: &'a KeyOps,
    rule: Rule,
    /// `rank[p]`: 1 + position of local put `p` in acknowledgement order;
    /// 0 when never acknowledged.
    rank: Vec<u32>,
    /// Causal rule: an upper bound on the rank of any put `p` is or
    /// supersedes. Contexts in a real run name only earlier puts, so the
    /// bound is exact in op order; an edge to a later put (a hand-built
    /// history) makes it [`UNBOUNDED`], which only costs pruning.
    newest_below: Vec<u32>,
    /// Real-time rule: acknowledged local puts by invocation time.
    by_invocation: Vec<u32>,
}

impl<'a> KeyStaleness<'a> {
    fn new(ops: &'a [HistoryOp], key_ops: &'a KeyOps, rule: Rule) -> Self {
        let n = key_ops.puts.len();
        let mut rank = vec![0u32; n];
        for (i, &p) in key_ops.acked_in_time.iter().enumerate() {
            rank[p as usize] = i as u32 + 1;
        }
        let mut newest_below = Vec::new();
        let mut by_invocation = Vec::new();
        match rule {
            Rule::Causal => {
                newest_below = rank.clone();
                for p in 0..n {
                    for &c in key_ops.children(p as u32) {
                        let below = if (c as usize) < p {
                            newest_below[c as usize]
                        } else {
                            UNBOUNDED
                        };
                        newest_below[p] = newest_below[p].max(below);
                    }
                }
            }
            Rule::RealTime => {
                by_invocation = key_ops.acked_in_time.clone();
                by_invocation.sort_by_key(|&p| (key_ops.put(ops, p).invoked_at, p));
            }
        }
        KeyStaleness {
            ops,
            key_ops,
            rule,
            rank,
            newest_below,
            by_invocation,
        }
    }

    fn measure(&self, found: &mut Staleness) {
        let acked = &self.key_ops.acked_in_time;
        let mut seen_in = vec![0u32; self.rank.len()];
        let mut epoch = 0u32;
        let mut stack = Vec::new();
        // Real-time rule: position in `by_invocation` -> rank, the newest
        // rank among the acknowledged puts up to that position.
        let mut newest_invoked = Fenwick::new(self.by_invocation.len());
        let mut position_of = vec![NOWHERE; self.rank.len()];
        for (i, &p) in self.by_invocation.iter().enumerate() {
            position_of[p as usize] = i;
        }
        let mut m = 0usize;
        for &g in &self.key_ops.gets_in_time {
            let get = &self.ops[g as usize];
            while let Some(&w) = acked.get(m) {
                if completed(self.key_ops.put(self.ops, w)) >= get.invoked_at {
                    break;
                }
                m += 1;
                match position_of.get(w as usize) {
                    Some(&at) if at != NOWHERE => newest_invoked.raise(at, m as u32),
                    _ => {}
                }
            }
            let Some(&latest) = m.checked_sub(1).and_then(|i| acked.get(i)) else {
                continue;
            };
            let m = m as u32;
            let best = match self.rule {
                Rule::Causal => {
                    epoch += 1;
                    self.newest_causal(get, m, epoch, &mut seen_in, &mut stack)
                }
                Rule::RealTime => self.newest_real_time(get, m, &newest_invoked),
            };
            let committed = completed(self.key_ops.put(self.ops, latest));
            let consistent = best >= m;
            found.samples.push(Sample {
                since_commit: SimTime(get.invoked_at.0.saturating_sub(committed.0)),
                consistent,
            });
            if !consistent {
                *found.k_staleness.entry(u64::from(m - best)).or_insert(0) += 1;
            }
        }
    }

    /// The newest rank `<= m` the get's values are or supersede through
    /// contexts (0: none), stopping early at `m`.
    fn newest_causal(
        &self,
        get: &HistoryOp,
        m: u32,
        epoch: u32,
        seen_in: &mut [u32],
        stack: &mut Vec<u32>,
    ) -> u32 {
        stack.clear();
        stack.extend(get.values.iter().filter_map(|v| self.key_ops.put_of(*v)));
        let mut best = 0;
        while let Some(p) = stack.pop() {
            let p_us = p as usize;
            if seen_in[p_us] == epoch || self.newest_below[p_us] <= best {
                continue;
            }
            seen_in[p_us] = epoch;
            let r = self.rank[p_us];
            if r <= m && r > best {
                best = r;
                if best == m {
                    break;
                }
            }
            stack.extend_from_slice(self.key_ops.children(p));
        }
        best
    }

    /// The newest rank `<= m` the get's values are or supersede through
    /// time (0: none): a returned put supersedes every put invoked no later
    /// than it completed, and an unfinished one supersedes them all.
    fn newest_real_time(&self, get: &HistoryOp, m: u32, newest_invoked: &Fenwick) -> u32 {
        let returned: Vec<u32> = get
            .values
            .iter()
            .filter_map(|v| self.key_ops.put_of(*v))
            .collect();
        let own = returned
            .iter()
            .map(|&p| self.rank[p as usize])
            .filter(|&r| r <= m)
            .max()
            .unwrap_or(0);
        let Some(reach) = returned
            .iter()
            .map(|&p| completed(self.key_ops.put(self.ops, p)))
            .max()
        else {
            return 0;
        };
        let invoked_by_then = self
            .by_invocation
            .partition_point(|&p| self.key_ops.put(self.ops, p).invoked_at <= reach);
        // Only puts acknowledged before the get are in the tree, so every
        // rank it holds is `<= m`.
        own.max(newest_invoked.prefix_max(invoked_by_then))
    }
}

/// Prefix maxima under point raises (a Fenwick tree over `max`).
struct Fenwick {
    tree: Vec<u32>,
}

impl Fenwick {
    fn new(len: usize) -> Fenwick {
        Fenwick {
            tree: vec![0; len + 1],
        }
    }

    /// Raises position `at` (0-based) to at least `value`.
    fn raise(&mut self, at: usize, value: u32) {
        let mut i = at + 1;
        while i < self.tree.len() {
            self.tree[i] = self.tree[i].max(value);
            i += i & i.wrapping_neg();
        }
    }

    /// The largest value at positions `0..len`.
    fn prefix_max(&self, len: usize) -> u32 {
        let mut i = len.min(self.tree.len().saturating_sub(1));
        let mut best = 0;
        while i > 0 {
            best = best.max(self.tree[i]);
            i -= i & i.wrapping_neg();
        }
        best
    }
}

#[cfg(test)]
mod tests;
