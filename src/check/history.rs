//! The recorded history: every operation a client invoked, with what it
//! wrote or read, the context it wrote with, and how and when it ended.
//! The checkers judge a run from this and the final state alone, as
//! Jepsen's checkers judge a history, never from the nodes' internals.

use crate::actor::{Completion, Invocation, OpKind, Outcome};
use crate::id::{ClientId, Key, OpId, ValueId};
use crate::time::SimTime;

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

/// Every operation of a run, in invocation order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// In invocation order, which is operation-id order.
    ops: Vec<HistoryOp>,
    /// Position in `ops` by operation id (ids are handed out at
    /// invocation, increasing, almost densely: a read-modify-write reserves
    /// its put's value id in between), so completion is one lookup rather
    /// than a search through a long history.
    position_of_op: Vec<u32>,
}

const NO_OP: u32 = u32::MAX;

impl History {
    pub fn new() -> History {
        History::default()
    }

    pub fn invoke(&mut self, inv: &Invocation, at: SimTime) {
        debug_assert!(self.ops.last().is_none_or(|last| last.op < inv.op));
        let id = inv.op.0 as usize;
        // Run op ids are dense; a wildly sparse id is left to the search.
        if id >= self.position_of_op.len() && id < 16 * self.ops.len() + 1024 {
            self.position_of_op.resize(id + 1, NO_OP);
        }
        if let Some(slot) = self.position_of_op.get_mut(id) {
            *slot = self.ops.len() as u32;
        }
        self.ops.push(HistoryOp {
            op: inv.op,
            client: inv.client,
            kind: inv.kind,
            key: inv.key,
            value: inv.value,
            context: inv.context.clone(),
            invoked_at: at,
            completed_at: None,
            outcome: None,
            values: Vec::new(),
        });
    }

    pub fn complete(&mut self, done: Completion, at: SimTime) {
        let position = match self.position_of_op.get(done.op.0 as usize) {
            Some(&i) if i != NO_OP => Some(i as usize),
            _ => self.ops.binary_search_by_key(&done.op, |o| o.op).ok(),
        };
        if let Some(i) = position {
            let op = &mut self.ops[i];
            op.completed_at = Some(at);
            op.outcome = Some(done.outcome);
            op.values = done.values;
        }
    }

    /// A history from finished operations, as tests and tools build one;
    /// put in op order whatever order they come in.
    pub fn from_ops(mut ops: Vec<HistoryOp>) -> History {
        ops.sort_by_key(|o| o.op);
        let mut position_of_op = Vec::new();
        // Ids far sparser than a run's (hand-built histories) get no index;
        // completion then searches.
        let dense = ops
            .last()
            .is_none_or(|o| o.op.0 < 16 * ops.len() as u64 + 1024);
        for (i, o) in ops.iter().enumerate().filter(|_| dense) {
            let id = o.op.0 as usize;
            if id >= position_of_op.len() {
                position_of_op.resize(id + 1, NO_OP);
            }
            position_of_op[id] = i as u32;
        }
        History {
            ops,
            position_of_op,
        }
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
