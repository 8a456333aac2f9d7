//! The recorded history: every operation a client invoked, with what it
//! wrote or read, the context it wrote with, and how and when it ended.
//! The checkers judge a run from this and the final state alone, as
//! Jepsen's checkers judge a history, never from the nodes' internals.

use crate::actor::{Completion, Invocation, OpKind, Outcome};
use crate::id::{ClientId, Key, OpId, ValueId};
use crate::time::SimTime;
use crate::value::Written;
use std::collections::BTreeMap;
use std::rc::Rc;

/// One operation, from invocation to completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryOp {
    pub op: OpId,
    pub client: ClientId,
    pub kind: OpKind,
    pub key: Key,
    /// A put's value.
    pub value: Option<ValueId>,
    /// A put's context: the values its writer had read; empty when blind.
    pub context: Vec<ValueId>,
    pub invoked_at: SimTime,
    /// `None` while the operation is still outstanding at the end.
    pub completed_at: Option<SimTime>,
    pub outcome: Option<Outcome>,
    /// A get's values (siblings), sorted.
    pub values: Vec<ValueId>,
}

impl HistoryOp {
    /// Acknowledged: completed with `ok`.
    pub fn is_ok(&self) -> bool {
        self.outcome == Some(Outcome::Ok)
    }
}

/// Every operation of a run, in invocation order, as the checkers read it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// In invocation order, which is operation-id order.
    ops: Vec<HistoryOp>,
    /// Each reaped tombstone, with when a node first reaped it (see
    /// `run::reaps`).
    reaped: BTreeMap<ValueId, SimTime>,
    /// What each typed write stored, by its value (empty for opaque
    /// values).
    written: BTreeMap<ValueId, Rc<Written>>,
}

impl History {
    pub fn new() -> History {
        History::default()
    }

    /// Records the tombstones the run reaped, each with when a node first
    /// reaped it.
    pub fn set_reaped(&mut self, reaped: BTreeMap<ValueId, SimTime>) {
        self.reaped = reaped;
    }

    /// When a node first reaped the tombstone `value`, if one did: from
    /// then on a get need not return it (the key reads as deleted).
    pub fn reaped(&self) -> &BTreeMap<ValueId, SimTime> {
        &self.reaped
    }

    /// A history from finished operations, as tests and tools build one;
    /// put in op order whatever order they come in.
    pub fn from_ops(mut ops: Vec<HistoryOp>) -> History {
        ops.sort_by_key(|o| o.op);
        History {
            ops,
            reaped: BTreeMap::new(),
            written: BTreeMap::new(),
        }
    }

    /// The history with what its typed writes stored.
    pub fn with_written(mut self, written: BTreeMap<ValueId, Rc<Written>>) -> History {
        self.written = written;
        self
    }

    /// What the typed write of `value` stored, if it was one.
    pub fn written(&self, value: ValueId) -> Option<&Written> {
        self.written.get(&value).map(|w| &**w)
    }

    pub fn ops(&self) -> &[HistoryOp] {
        &self.ops
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// The history as a run records it, one operation at a time; expanded
/// into a [`History`] when the run ends.
///
/// Why not record `HistoryOp`s directly: a run writes one record per
/// operation into memory it never reads again until the checkers run,
/// and each new page of it costs a fault and displaces the keys' state
/// from the cache. A `HistoryOp` is 104 bytes plus a heap allocation
/// per get (its values) that stays alive until the end; a [`Record`] is
/// one 64-byte cache line, and the values of all operations sit end to
/// end in one vector. For the 100,000-operation quorum workload this cut
/// the history's resident memory from 12.5 MiB to 6.9 MiB, and the run
/// went 1.045× faster.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryLog {
    /// In invocation order, which is operation-id order.
    records: Vec<Record>,
    /// Every record's context and values, end to end.
    values: Vec<ValueId>,
    /// Position in `records` by operation id (ids are handed out at
    /// invocation, increasing, almost densely: a read-modify-write reserves
    /// its put's value id in between), so completion is one lookup rather
    /// than a search through a long history.
    position_of_op: Vec<u32>,
    /// What each typed write stored, by its value: read by the clients
    /// that read the value, and by the checkers. Empty for opaque values.
    written: BTreeMap<ValueId, Rc<Written>>,
}

/// One operation in the log: a `HistoryOp` with its lists as spans of
/// the log's value vector and its options as flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Record {
    op: OpId,
    invoked_at: SimTime,
    /// Meaningful once `outcome` is set.
    completed_at: SimTime,
    /// Meaningful when `has_value`.
    value: ValueId,
    context: Span,
    values: Span,
    client: ClientId,
    key: Key,
    kind: OpKind,
    outcome: Option<Outcome>,
    has_value: bool,
}

/// A run of the log's value vector.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

const NO_OP: u32 = u32::MAX;

impl HistoryLog {
    pub fn new() -> HistoryLog {
        HistoryLog::default()
    }

    pub fn invoke(&mut self, inv: &Invocation, at: SimTime) {
        debug_assert!(self.records.last().is_none_or(|last| last.op < inv.op));
        let id = inv.op.0 as usize;
        // Run op ids are dense; a wildly sparse id is left to the search.
        if id >= self.position_of_op.len() && id < 16 * self.records.len() + 1024 {
            self.position_of_op.resize(id + 1, NO_OP);
        }
        if let Some(slot) = self.position_of_op.get_mut(id) {
            *slot = self.records.len() as u32;
        }
        let context = self.append(&inv.context);
        if let (Some(value), Some(typed)) = (inv.value, &inv.typed) {
            self.record_written(value, typed);
        }
        self.records.push(Record {
            op: inv.op,
            invoked_at: at,
            completed_at: SimTime::ZERO,
            value: inv.value.unwrap_or(ValueId(0)),
            context,
            values: Span::default(),
            client: inv.client,
            key: inv.key,
            kind: inv.kind,
            outcome: None,
            has_value: inv.value.is_some(),
        });
    }

    pub fn complete(&mut self, done: &Completion, at: SimTime) {
        let position = match self.position_of_op.get(done.op.0 as usize) {
            Some(&i) if i != NO_OP => Some(i as usize),
            _ => self.records.binary_search_by_key(&done.op, |r| r.op).ok(),
        };
        if let Some(i) = position {
            let values = self.append(&done.values);
            let record = &mut self.records[i];
            record.completed_at = at;
            record.outcome = Some(done.outcome);
            record.values = values;
        }
    }

    /// The keys of the puts invoked less than `window` before `at`, newest
    /// first, repeats included: a walk back from the end of the log, which
    /// is in invocation order and so in time order.
    pub fn keys_put_within(&self, at: SimTime, window: SimTime) -> impl Iterator<Item = Key> + '_ {
        self.records
            .iter()
            .rev()
            .take_while(move |r| r.invoked_at.0.saturating_add(window.0) > at.0)
            .filter(|r| r.kind == OpKind::Put)
            .map(|r| r.key)
    }

    /// Out of line: an opaque run never records a typed write.
    #[cold]
    #[inline(never)]
    fn record_written(&mut self, value: ValueId, typed: &Rc<Written>) {
        self.written.insert(value, typed.clone());
    }

    /// What the typed write of `value` stored, if it was one.
    pub fn written(&self, value: ValueId) -> Option<Rc<Written>> {
        self.written.get(&value).cloned()
    }

    /// Operations invoked so far.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The history the checkers read.
    pub fn to_history(&self) -> History {
        let ops = self
            .records
            .iter()
            .map(|r| HistoryOp {
                op: r.op,
                client: r.client,
                kind: r.kind,
                key: r.key,
                value: r.has_value.then_some(r.value),
                context: self.span(r.context).to_vec(),
                invoked_at: r.invoked_at,
                completed_at: r.outcome.map(|_| r.completed_at),
                outcome: r.outcome,
                values: self.span(r.values).to_vec(),
            })
            .collect();
        History {
            ops,
            reaped: BTreeMap::new(),
            written: self.written.clone(),
        }
    }

    fn append(&mut self, values: &[ValueId]) -> Span {
        // Four billion values would take 32 GiB: the span cannot overflow
        // before memory runs out.
        let start = self.values.len() as u32;
        self.values.extend_from_slice(values);
        Span {
            start,
            len: values.len() as u32,
        }
    }

    fn span(&self, span: Span) -> &[ValueId] {
        let start = span.start as usize;
        &self.values[start..start + span.len as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_one_cache_line() {
        assert!(std::mem::size_of::<Record>() <= 64);
    }

    fn invocation(op: u64, kind: OpKind, value: Option<u64>, context: &[u64]) -> Invocation {
        Invocation {
            op: OpId(op),
            client: ClientId(op as u32 % 3),
            kind,
            key: Key(op as u32 * 7),
            value: value.map(ValueId),
            context: context.iter().copied().map(ValueId).collect(),
            typed: None,
        }
    }

    fn completion(inv: &Invocation, outcome: Outcome, values: &[u64]) -> Completion {
        Completion {
            op: inv.op,
            client: inv.client,
            kind: inv.kind,
            key: inv.key,
            outcome,
            values: values.iter().copied().map(ValueId).collect(),
            invoked_at: SimTime::ZERO,
        }
    }

    /// What the log expands to is what recording `HistoryOp`s directly
    /// would have given: lists, options and completions out of order,
    /// an outstanding operation, and an id too sparse for the index.
    #[test]
    fn the_log_expands_to_the_operations_it_recorded() {
        let get = invocation(1, OpKind::Get, None, &[]);
        let put = invocation(2, OpKind::Put, Some(0), &[4, 9]);
        let blind = invocation(4, OpKind::Put, Some(5), &[]);
        let sparse = invocation(1 << 40, OpKind::Get, None, &[]);
        let mut log = HistoryLog::new();
        for (i, inv) in [&get, &put, &blind, &sparse].into_iter().enumerate() {
            log.invoke(inv, SimTime(10 * i as u64));
        }
        log.complete(&completion(&put, Outcome::Ok, &[]), SimTime(31));
        log.complete(&completion(&sparse, Outcome::Timeout, &[]), SimTime(32));
        log.complete(&completion(&get, Outcome::Ok, &[4, 9]), SimTime(33));
        let op =
            |inv: &Invocation, at: u64, done: Option<(u64, Outcome)>, values: &[u64]| HistoryOp {
                op: inv.op,
                client: inv.client,
                kind: inv.kind,
                key: inv.key,
                value: inv.value,
                context: inv.context.clone(),
                invoked_at: SimTime(at),
                completed_at: done.map(|(t, _)| SimTime(t)),
                outcome: done.map(|(_, o)| o),
                values: values.iter().copied().map(ValueId).collect(),
            };
        let expected = [
            op(&get, 0, Some((33, Outcome::Ok)), &[4, 9]),
            op(&put, 10, Some((31, Outcome::Ok)), &[]),
            op(&blind, 20, None, &[]),
            op(&sparse, 30, Some((32, Outcome::Timeout)), &[]),
        ];
        assert_eq!(log.len(), 4);
        assert_eq!(log.to_history().ops(), &expected);
    }

    #[test]
    fn recent_puts_are_those_invoked_within_the_window() {
        // Puts on keys 7, 14 and 28 at 0, 10 and 30 ns; a get at 20.
        let mut log = HistoryLog::new();
        for (op, kind, at) in [
            (1, OpKind::Put, 0),
            (2, OpKind::Put, 10),
            (3, OpKind::Get, 20),
            (4, OpKind::Put, 30),
        ] {
            log.invoke(&invocation(op, kind, Some(op), &[]), SimTime(at));
        }
        let recent = |at, window| -> Vec<u32> {
            log.keys_put_within(SimTime(at), SimTime(window))
                .map(|k| k.0)
                .collect()
        };
        assert_eq!(recent(30, 21), [28, 14], "10 is within 21 of 30, 0 is not");
        assert_eq!(recent(30, 20), [28], "10 is exactly 20 before: settled");
        assert_eq!(
            recent(5, 100),
            [28, 14, 7],
            "the window reaches back past 0"
        );
        assert_eq!(recent(100, 50), Vec::<u32>::new());
    }
}
