//! Superseded siblings: ok gets that returned a value beside a value
//! superseding it (Dynamo §4.4: a read returns the versions no other
//! version it returns descends from; a sibling set that keeps an ancestor
//! beside its descendant is a reconciliation the store got wrong).
//!
//! Supersession is [`super::consistency`]'s, read from the history alone:
//! under [`Rule::Causal`] a put supersedes the values its context holds and
//! what those supersede; under [`Rule::RealTime`] (last-writer-wins, which
//! never returns two values) a put supersedes another when it had not
//! completed before the other was invoked. Zero in a correct run, in every
//! versioning mode.
//!
//! Cost: only gets with two or more values are judged. Under the causal
//! rule each walks the context edges down from its values' puts, never
//! below the earliest of them in op order: a context names puts invoked
//! before the writer's put (its writer had read them), so nothing further
//! down can be a returned value.

use super::consistency::{KeyOps, Rule, completed, key_groups};
use super::history::{History, HistoryOp};
use crate::actor::OpKind;
use crate::id::{Key, Names, OpId, ValueId};
use crate::time::SimTime;

/// One get that returned a value beside one superseding it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupersededSibling {
    pub get: OpId,
    pub key: Key,
    pub invoked_at: SimTime,
    pub returned: Vec<ValueId>,
    /// A returned value that another returned value supersedes.
    pub superseded: ValueId,
    /// The returned value superseding it.
    pub by: ValueId,
}

impl SupersededSibling {
    pub fn why(&self, names: &Names) -> String {
        let returned: Vec<String> = self
            .returned
            .iter()
            .map(|v| names.value(*v).into_owned())
            .collect();
        format!(
            "get op {} on {} returned [{}] at {:.3}s; {} supersedes {} (its writer had read it, or a value superseding it)",
            self.get.0,
            names.key(self.key),
            returned.join(", "),
            self.invoked_at.as_secs_f64(),
            names.value(self.by),
            names.value(self.superseded),
        )
    }
}

/// How many ok gets returned a superseded sibling, and the first few (in
/// op order) of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SupersededSiblings {
    pub count: u64,
    pub examples: Vec<SupersededSibling>,
}

/// Ok gets that returned a value beside one superseding it.
pub fn superseded_siblings(history: &History, rule: Rule) -> SupersededSiblings {
    let ops = history.ops();
    let mut tally = Tally::default();
    for group in key_groups(ops).iter() {
        if judged(ops, group) {
            tally.add_key(ops, group, &KeyOps::new(ops, group), rule);
        }
    }
    tally.finish()
}

/// Whether any of the key's operations (`group`) is a get this checker
/// judges; a key without one needs no [`KeyOps`].
pub(super) fn judged(ops: &[HistoryOp], group: &[u32]) -> bool {
    group
        .iter()
        .any(|&i| is_ok_get_with_siblings(&ops[i as usize]))
}

/// The count and the examples so far, key by key.
#[derive(Default)]
pub(super) struct Tally {
    found: SupersededSiblings,
    first: Vec<(u32, SupersededSibling)>,
}

impl Tally {
    /// Judges one key's gets: `group` its operations in op order.
    pub(super) fn add_key(
        &mut self,
        ops: &[HistoryOp],
        group: &[u32],
        key_ops: &KeyOps,
        rule: Rule,
    ) {
        let mut walk = Walk::new(key_ops.puts.len());
        for &i in group {
            let get = &ops[i as usize];
            if !is_ok_get_with_siblings(get) {
                continue;
            }
            let Some((superseded, by)) = walk.pair(key_ops, ops, get, rule) else {
                continue;
            };
            self.found.count += 1;
            if self.first.len() < super::consistency::MAX_EXAMPLES {
                self.first.push((
                    i,
                    SupersededSibling {
                        get: get.op,
                        key: get.key,
                        invoked_at: get.invoked_at,
                        returned: get.values.clone(),
                        superseded,
                        by,
                    },
                ));
            }
        }
    }

    pub(super) fn finish(mut self) -> SupersededSiblings {
        // Groups come key by key: keep the first in op order overall.
        self.first.sort_by_key(|(i, _)| *i);
        self.found.examples = self.first.into_iter().map(|(_, e)| e).collect();
        self.found
    }
}

fn is_ok_get_with_siblings(op: &HistoryOp) -> bool {
    op.kind == OpKind::Get && op.is_ok() && op.values.len() >= 2
}

/// A depth-first walk's scratch space, reused across one key's gets.
struct Walk {
    seen_in: Vec<u32>,
    epoch: u32,
    stack: Vec<u32>,
}

impl Walk {
    fn new(puts: usize) -> Walk {
        Walk {
            seen_in: vec![0; puts],
            epoch: 0,
            stack: Vec::new(),
        }
    }

    /// A returned value some other returned value supersedes, and that
    /// one; `None` when the get's values are pairwise unordered.
    fn pair(
        &mut self,
        key_ops: &KeyOps,
        ops: &[HistoryOp],
        get: &HistoryOp,
        rule: Rule,
    ) -> Option<(ValueId, ValueId)> {
        let returned: Vec<(ValueId, u32)> = get
            .values
            .iter()
            .filter_map(|&v| Some((v, key_ops.put_of(v)?)))
            .collect();
        match rule {
            Rule::RealTime => {
                // `by` did not complete before `superseded` was invoked.
                for &(by, p) in &returned {
                    for &(superseded, q) in &returned {
                        let (later, earlier) = (key_ops.put(ops, p), key_ops.put(ops, q));
                        if p != q && completed(later) >= earlier.invoked_at {
                            return Some((superseded, by));
                        }
                    }
                }
                None
            }
            Rule::Causal => {
                let lowest = returned.iter().map(|&(_, p)| p).min()?;
                for &(by, p) in &returned {
                    self.epoch += 1;
                    self.stack.clear();
                    self.stack.extend_from_slice(key_ops.children(p));
                    while let Some(q) = self.stack.pop() {
                        let q_us = q as usize;
                        if q < lowest || self.seen_in[q_us] == self.epoch {
                            continue;
                        }
                        self.seen_in[q_us] = self.epoch;
                        if let Some(&(superseded, _)) = returned.iter().find(|&&(_, r)| r == q) {
                            return Some((superseded, by));
                        }
                        self.stack.extend_from_slice(key_ops.children(q));
                    }
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Outcome;
    use crate::id::ClientId;

    fn op(id: u64, kind: OpKind, at_ms: u64, context: &[u64], values: &[u64]) -> HistoryOp {
        HistoryOp {
            op: OpId(id),
            client: ClientId(0),
            kind,
            key: Key(0),
            value: (kind == OpKind::Put).then_some(ValueId(id)),
            context: context.iter().map(|&v| ValueId(v)).collect(),
            invoked_at: SimTime::from_millis(at_ms),
            completed_at: Some(SimTime::from_millis(at_ms + 1)),
            outcome: Some(Outcome::Ok),
            values: values.iter().map(|&v| ValueId(v)).collect(),
        }
    }

    fn put(id: u64, at_ms: u64, context: &[u64]) -> HistoryOp {
        op(id, OpKind::Put, at_ms, context, &[])
    }

    fn get(id: u64, at_ms: u64, values: &[u64]) -> HistoryOp {
        op(id, OpKind::Get, at_ms, &[], values)
    }

    fn judge(ops: Vec<HistoryOp>, rule: Rule) -> SupersededSiblings {
        superseded_siblings(&History::from_ops(ops), rule)
    }

    #[test]
    fn concurrent_siblings_are_fine_a_superseded_one_is_not() {
        // 1 and 2 are blind: concurrent. 3 read 1; 4 read 3 (so 4
        // supersedes 1 through 3).
        let puts = || {
            vec![
                put(1, 0, &[]),
                put(2, 0, &[]),
                put(3, 5, &[1]),
                put(4, 7, &[3]),
            ]
        };
        let mut ops = puts();
        ops.extend([
            get(10, 20, &[1, 2]),
            get(11, 20, &[2, 3]),
            get(12, 20, &[4]),
        ]);
        assert_eq!(judge(ops, Rule::Causal).count, 0);
        let mut ops = puts();
        ops.extend([
            get(10, 20, &[1, 3]),
            get(11, 20, &[2, 4, 1]),
            get(12, 20, &[2]),
        ]);
        let found = judge(ops, Rule::Causal);
        assert_eq!(found.count, 2);
        let first = &found.examples[0];
        assert_eq!(
            (first.get, first.superseded, first.by),
            (OpId(10), ValueId(1), ValueId(3))
        );
        // Through a put between: 4 supersedes 1, which it never read.
        let second = &found.examples[1];
        assert_eq!((second.superseded, second.by), (ValueId(1), ValueId(4)));
        let why = second.why(&Names::default());
        assert!(why.contains("supersedes"), "{why}");
    }

    #[test]
    fn failed_gets_and_single_values_are_not_judged() {
        let mut failed = get(10, 20, &[1, 3]);
        failed.outcome = Some(Outcome::Timeout);
        let ops = vec![put(1, 0, &[]), put(3, 5, &[1]), failed, get(11, 20, &[3])];
        assert_eq!(judge(ops, Rule::Causal).count, 0);
    }

    #[test]
    fn under_real_time_overlapping_or_later_puts_supersede() {
        // Put 2 began after put 1 completed: 2 supersedes 1 (and 1 does
        // not supersede 2, but one direction is enough).
        let ops = vec![put(1, 0, &[]), put(2, 5, &[]), get(10, 20, &[1, 2])];
        let found = judge(ops, Rule::RealTime);
        assert_eq!(found.count, 1);
        assert_eq!(found.examples[0].by, ValueId(2));
    }
}
