//! The consistency checkers: stale reads and lost acknowledged writes,
//! judged from the recorded history and the values left at the end, by the
//! definitions in DESIGN.md's "Checker terms". For an acknowledged put `w`
//! to key `k`:
//!
//! - a put `p` to `k` (acknowledged or not) *supersedes* `w` under the
//!   [`Rule::Causal`] rule (`vector-clock`, `dvv`) when `p`'s context holds
//!   `w`'s value or the value of a put that supersedes `w`; under
//!   [`Rule::RealTime`] (`lww`) when `p` is not `w` and did not complete
//!   before `w` was invoked, so `p` may follow `w`;
//! - a *stale read* is an ok get invoked after `w` was acknowledged that
//!   returned neither `w`'s value nor the value of a put superseding `w`;
//!   each stale get counts once, however many writes it missed;
//! - a *lost acknowledged write* is a `w` whose value is absent from the
//!   final values of `k`, which hold no value of a put superseding `w`.
//!
//! Both checkers group the history by key and take each key's operations
//! in time order, so a run of a million operations is judged in well under
//! a second. The brute-force definitions live in the tests, which compare
//! the two on random histories.

use super::history::{History, HistoryOp};
use crate::actor::OpKind;
use crate::id::{Key, Names, OpId, ValueId};
use crate::scenario::Versioning;
use crate::time::SimTime;
use std::collections::BTreeMap;

/// How many examples of each anomaly a report keeps: enough to start
/// debugging from, few enough to read.
pub const MAX_EXAMPLES: usize = 10;

/// Which writes may follow which: the supersession rule of a versioning
/// mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Through contexts: a writer superseded what it had read.
    Causal,
    /// Through time: a write may follow any write that had not finished
    /// before it began (last-writer-wins has no causal metadata to go by).
    RealTime,
}

impl Rule {
    pub fn for_versioning(versioning: Versioning) -> Rule {
        match versioning {
            Versioning::VectorClock | Versioning::Dvv => Rule::Causal,
            Versioning::Lww => Rule::RealTime,
        }
    }
}

/// A get that missed an acknowledged write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaleRead {
    pub get: OpId,
    pub key: Key,
    pub get_invoked_at: SimTime,
    pub returned: Vec<ValueId>,
    /// One acknowledged write the get missed (the first in op order).
    pub missed_put: OpId,
    pub missed_value: ValueId,
    pub missed_acked_at: SimTime,
}

impl StaleRead {
    /// One line saying why the get is stale, with the run's names.
    pub fn why(&self, names: &Names) -> String {
        format!(
            "get op {} on {} returned {} at {}; put op {} ({}) was acknowledged at {} and nothing returned supersedes it",
            self.get.0,
            names.key(self.key),
            value_list(names, &self.returned),
            seconds(self.get_invoked_at),
            self.missed_put.0,
            names.value(self.missed_value),
            seconds(self.missed_acked_at),
        )
    }
}

/// An acknowledged write that nothing at the end remembers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostWrite {
    pub put: OpId,
    pub key: Key,
    pub value: ValueId,
    pub acked_at: SimTime,
    /// What the key holds at the end.
    pub final_values: Vec<ValueId>,
}

impl LostWrite {
    pub fn why(&self, names: &Names) -> String {
        format!(
            "put op {} ({}) on {} was acknowledged at {}; at the end {} holds {}, none of which is it or supersedes it",
            self.put.0,
            names.value(self.value),
            names.key(self.key),
            seconds(self.acked_at),
            names.key(self.key),
            value_list(names, &self.final_values),
        )
    }
}

/// A checker's finding: how many, and the first few in op order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anomalies<T> {
    pub count: u64,
    pub examples: Vec<T>,
}

impl<T> Default for Anomalies<T> {
    fn default() -> Self {
        Anomalies {
            count: 0,
            examples: Vec::new(),
        }
    }
}

fn seconds(t: SimTime) -> String {
    format!("{:.3}s", t.as_secs_f64())
}

fn value_list(names: &Names, values: &[ValueId]) -> String {
    let shown: Vec<String> = values
        .iter()
        .map(|v| names.value(*v).into_owned())
        .collect();
    format!("[{}]", shown.join(", "))
}

/// Ok gets that missed an acknowledged write; see the module's definition.
pub fn stale_reads(history: &History, rule: Rule) -> Anomalies<StaleRead> {
    let ops = history.ops();
    let mut firsts = Firsts::new();
    let mut count = 0;
    for range in key_groups(ops).iter() {
        count += KeyOps::new(ops, range).stale(ops, history.reaped(), rule, &mut firsts);
    }
    Anomalies {
        count,
        examples: firsts.into_sorted(),
    }
}

/// Acknowledged puts that neither survive in `final_values` nor are
/// superseded by a put whose value does. A key missing from
/// `final_values` holds nothing.
pub fn lost_acked_writes(
    history: &History,
    final_values: &BTreeMap<Key, Vec<ValueId>>,
    rule: Rule,
) -> Anomalies<LostWrite> {
    lost_keeping(history, final_values, rule, MAX_EXAMPLES)
}

/// Every lost acknowledged write, in op order, for checkers that judge
/// each one (the durability checker).
pub fn every_lost_acked_write(
    history: &History,
    final_values: &BTreeMap<Key, Vec<ValueId>>,
    rule: Rule,
) -> Vec<LostWrite> {
    lost_keeping(history, final_values, rule, usize::MAX).examples
}

fn lost_keeping(
    history: &History,
    final_values: &BTreeMap<Key, Vec<ValueId>>,
    rule: Rule,
    limit: usize,
) -> Anomalies<LostWrite> {
    let ops = history.ops();
    let mut firsts = Firsts::keeping(limit);
    let mut count = 0;
    for range in key_groups(ops).iter() {
        let key_ops = KeyOps::new(ops, range);
        count += key_ops.lost(ops, final_values, rule, &mut firsts);
    }
    Anomalies {
        count,
        examples: firsts.into_sorted(),
    }
}

/// How many ok gets returned each number of values (0: the key was not
/// found).
pub fn sibling_counts(history: &History) -> BTreeMap<usize, u64> {
    let mut counts = BTreeMap::new();
    for op in ok_gets(history.ops()) {
        *counts.entry(op.values.len()).or_insert(0) += 1;
    }
    counts
}

/// The most values one ok get returned; `None` without an ok get.
pub fn max_siblings(history: &History) -> Option<usize> {
    ok_gets(history.ops()).map(|op| op.values.len()).max()
}

fn ok_gets(ops: &[HistoryOp]) -> impl Iterator<Item = &HistoryOp> {
    ops.iter().filter(|op| op.kind == OpKind::Get && op.is_ok())
}

/// The history's indices grouped by key, keys ascending, each group in op
/// order: one vector of indices and where each group ends, so the groups
/// cost two allocations, not one per key.
pub(super) struct KeyGroups {
    order: Vec<u32>,
    ends: Vec<u32>,
}

impl KeyGroups {
    pub(super) fn iter(&self) -> impl Iterator<Item = &[u32]> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(start, end)| &self.order[start as usize..end as usize])
    }
}

/// Groups the history by key. A run's keys are interned from 0 up, so a
/// counting sort over them (one pass to count, one to place, which keeps
/// op order within a key) does it in linear time; sparse keys, as a
/// hand-built history may have, fall back to a sort.
pub(super) fn key_groups(ops: &[HistoryOp]) -> KeyGroups {
    let max_key = ops.iter().map(|op| op.key.0 as usize).max().unwrap_or(0);
    if max_key > 4 * ops.len() + 1024 {
        let mut order: Vec<u32> = (0..ops.len() as u32).collect();
        // Stable: within a key, op order is kept.
        order.sort_by_key(|&i| ops[i as usize].key);
        let mut ends = Vec::new();
        for (at, pair) in order.windows(2).enumerate() {
            if ops[pair[0] as usize].key != ops[pair[1] as usize].key {
                ends.push(at as u32 + 1);
            }
        }
        if !order.is_empty() {
            ends.push(order.len() as u32);
        }
        return KeyGroups { order, ends };
    }
    // `starts[k]`: where key k's group starts (the count of smaller keys).
    let mut starts = vec![0u32; max_key + 2];
    for op in ops {
        starts[op.key.0 as usize + 1] += 1;
    }
    for k in 1..starts.len() {
        starts[k] += starts[k - 1];
    }
    let mut next = starts.clone();
    let mut order = vec![0u32; ops.len()];
    for (i, op) in ops.iter().enumerate() {
        let slot = &mut next[op.key.0 as usize];
        order[*slot as usize] = i as u32;
        *slot += 1;
    }
    // Placed, `next[k]` is where key k's group ends; empty groups are left out.
    let ends = (0..=max_key)
        .filter(|&k| next[k] > starts[k])
        .map(|k| next[k])
        .collect();
    KeyGroups { order, ends }
}

/// The examples with the smallest history index seen so far.
pub(super) struct Firsts<T> {
    kept: Vec<(u32, T)>,
    limit: usize,
}

impl<T> Firsts<T> {
    pub(super) fn new() -> Self {
        Firsts::keeping(MAX_EXAMPLES)
    }
    pub(super) fn keeping(limit: usize) -> Self {
        Firsts {
            kept: Vec::new(),
            limit,
        }
    }
    /// Whether an example at this index would be kept: building one costs
    /// more than asking.
    fn wants(&self, index: u32) -> bool {
        self.kept.len() < self.limit || self.kept.iter().any(|(i, _)| *i > index)
    }
    fn offer(&mut self, index: u32, example: T) {
        if !self.wants(index) {
            return;
        }
        self.kept.push((index, example));
        if self.kept.len() > self.limit {
            if let Some(last) = (0..self.kept.len()).max_by_key(|&i| self.kept[i].0) {
                self.kept.swap_remove(last);
            }
        }
    }
    pub(super) fn into_sorted(mut self) -> Vec<T> {
        self.kept.sort_by_key(|(i, _)| *i);
        self.kept.into_iter().map(|(_, e)| e).collect()
    }
}

/// One key's puts and ok gets, with the context edges between its puts.
/// Puts are numbered locally `0..puts.len()` in op order.
pub(super) struct KeyOps {
    /// History indices of the key's puts that carry a value.
    pub(super) puts: Vec<u32>,
    /// (value, local put) sorted, to find the put that wrote a value.
    by_value: Vec<(ValueId, u32)>,
    /// Context edges: `superseded[p]` are the local puts whose values
    /// put `p`'s context holds (compressed rows, `edge_start[p]..[p+1]`).
    edge_start: Vec<u32>,
    superseded: Vec<u32>,
    /// Local indices of acknowledged puts, by acknowledgement time.
    pub(super) acked_in_time: Vec<u32>,
    /// History indices of ok gets, by invocation time.
    pub(super) gets_in_time: Vec<u32>,
}

impl KeyOps {
    pub(super) fn new(ops: &[HistoryOp], group: &[u32]) -> KeyOps {
        let mut puts = Vec::new();
        let mut gets_in_time = Vec::new();
        for &i in group {
            let op = &ops[i as usize];
            match op.kind {
                OpKind::Put if op.value.is_some() => puts.push(i),
                OpKind::Get if op.is_ok() => gets_in_time.push(i),
                _ => {}
            }
        }
        let mut by_value: Vec<(ValueId, u32)> = puts
            .iter()
            .enumerate()
            .filter_map(|(local, &i)| Some((ops[i as usize].value?, local as u32)))
            .collect();
        by_value.sort_unstable();
        let mut key_ops = KeyOps {
            puts,
            by_value,
            edge_start: Vec::new(),
            superseded: Vec::new(),
            acked_in_time: Vec::new(),
            gets_in_time,
        };
        key_ops.edge_start.push(0);
        for local in 0..key_ops.puts.len() {
            let op = &ops[key_ops.puts[local] as usize];
            for &v in &op.context {
                // A context value no put to this key wrote cannot be a
                // write this key's checkers ask about.
                if let Some(p) = key_ops.put_of(v) {
                    key_ops.superseded.push(p);
                }
            }
            key_ops.edge_start.push(key_ops.superseded.len() as u32);
        }
        let mut acked: Vec<u32> = (0..key_ops.puts.len() as u32)
            .filter(|&p| ops[key_ops.puts[p as usize] as usize].is_ok())
            .collect();
        acked.sort_by_key(|&p| completed(&ops[key_ops.puts[p as usize] as usize]));
        key_ops.acked_in_time = acked;
        key_ops
            .gets_in_time
            .sort_by_key(|&i| ops[i as usize].invoked_at);
        key_ops
    }

    /// The local put that wrote `value`, if one did.
    pub(super) fn put_of(&self, value: ValueId) -> Option<u32> {
        let at = self.by_value.partition_point(|(v, _)| *v < value);
        self.by_value
            .get(at)
            .filter(|(v, _)| *v == value)
            .map(|(_, p)| *p)
    }

    pub(super) fn children(&self, p: u32) -> &[u32] {
        let p = p as usize;
        &self.superseded[self.edge_start[p] as usize..self.edge_start[p + 1] as usize]
    }

    pub(super) fn put<'a>(&self, ops: &'a [HistoryOp], p: u32) -> &'a HistoryOp {
        &ops[self.puts[p as usize] as usize]
    }

    /// Per local put, whether `held` holds its value or the value of a put
    /// superseding it.
    pub(super) fn remembered(&self, ops: &[HistoryOp], held: &[ValueId], rule: Rule) -> Vec<bool> {
        let n = self.puts.len();
        match rule {
            Rule::Causal => {
                let mut reached = vec![false; n];
                let mut stack: Vec<u32> = held.iter().filter_map(|v| self.put_of(*v)).collect();
                while let Some(p) = stack.pop() {
                    if !std::mem::replace(&mut reached[p as usize], true) {
                        stack.extend_from_slice(self.children(p));
                    }
                }
                reached
            }
            Rule::RealTime => {
                let reach = held
                    .iter()
                    .filter_map(|v| self.put_of(*v))
                    .map(|p| completed(self.put(ops, p)))
                    .max();
                (0..n as u32)
                    .map(|p| {
                        let put = self.put(ops, p);
                        reach.is_some_and(|t| put.invoked_at <= t)
                            || put.value.is_some_and(|v| held.contains(&v))
                    })
                    .collect()
            }
        }
    }

    /// Acknowledged puts of this key that its `final_values` neither hold
    /// nor supersede.
    pub(super) fn lost(
        &self,
        ops: &[HistoryOp],
        final_values: &BTreeMap<Key, Vec<ValueId>>,
        rule: Rule,
        firsts: &mut Firsts<LostWrite>,
    ) -> u64 {
        let Some(&first) = self.puts.first() else {
            return 0;
        };
        let key = ops[first as usize].key;
        let at_end = final_values.get(&key).map_or(&[][..], Vec::as_slice);
        let n = self.puts.len();
        let remembered = self.remembered(ops, at_end, rule);
        let mut lost = 0;
        for p in 0..n as u32 {
            let put = self.put(ops, p);
            if !put.is_ok() || remembered[p as usize] {
                continue;
            }
            lost += 1;
            let index = self.puts[p as usize];
            if firsts.wants(index) {
                firsts.offer(
                    index,
                    LostWrite {
                        put: put.op,
                        key: put.key,
                        value: put.value.unwrap_or(ValueId(put.op.0)),
                        acked_at: completed(put),
                        final_values: at_end.to_vec(),
                    },
                );
            }
        }
        lost
    }
}

/// When an operation completed; an unfinished one completes "never", after
/// everything.
pub(super) fn completed(op: &HistoryOp) -> SimTime {
    op.completed_at.unwrap_or(SimTime::MAX)
}

mod stale;
#[cfg(test)]
mod tests;
