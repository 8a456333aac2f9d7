//! A client's outstanding operations, in invocation order, each with its
//! deadline.
//!
//! Every operation waits the same time, so deadlines fall due in
//! invocation order, which is operation-id order: one list serves both as
//! the table of what is outstanding (found by binary search on the id) and
//! as the queue of deadlines (the oldest at the front), where a map per
//! operation plus a separate deadline queue cost a tree insert and remove
//! per operation. A finished operation leaves a hole, dropped once every
//! older entry is gone too; so the list holds at most the operations of
//! one timeout, as the deadline queue did.

use crate::id::OpId;
use crate::time::SimTime;
use std::collections::VecDeque;

#[derive(Clone, Debug)]
pub struct Outstanding<P> {
    entries: VecDeque<Entry<P>>,
    live: usize,
}

#[derive(Clone, Debug)]
struct Entry<P> {
    op: OpId,
    deadline: SimTime,
    /// `None` once the operation ended.
    pending: Option<P>,
}

impl<P> Default for Outstanding<P> {
    fn default() -> Self {
        Outstanding {
            entries: VecDeque::new(),
            live: 0,
        }
    }
}

impl<P> Outstanding<P> {
    /// Operations not yet ended.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Adds an operation; ids must rise from one call to the next.
    pub fn insert(&mut self, op: OpId, deadline: SimTime, pending: P) {
        debug_assert!(self.entries.back().is_none_or(|e| e.op < op));
        self.entries.push_back(Entry {
            op,
            deadline,
            pending: Some(pending),
        });
        self.live += 1;
    }

    pub fn get(&self, op: OpId) -> Option<&P> {
        let i = self.position(op)?;
        self.entries[i].pending.as_ref()
    }

    /// Ends the operation, returning what was kept for it (`None` if it
    /// had ended already or was never here).
    pub fn remove(&mut self, op: OpId) -> Option<P> {
        let i = self.position(op)?;
        let pending = self.entries[i].pending.take()?;
        self.live -= 1;
        while self.entries.front().is_some_and(|e| e.pending.is_none()) {
            self.entries.pop_front();
        }
        Some(pending)
    }

    /// The oldest operation still outstanding, with its deadline.
    pub fn oldest(&self) -> Option<(OpId, SimTime, &P)> {
        let e = self.entries.front()?;
        // The front is never a hole: `remove` drops holes there.
        e.pending.as_ref().map(|p| (e.op, e.deadline, p))
    }

    fn position(&self, op: OpId) -> Option<usize> {
        self.entries.binary_search_by_key(&op, |e| e.op).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// Behaves as a map from op to pending beside a deadline queue:
        /// the same lookups, the same removals, the oldest live operation
        /// at the front, and no entries older than it.
        #[test]
        fn agrees_with_a_map(steps in proptest::collection::vec((any::<bool>(), 0usize..8), 0..200)) {
            let mut ours = Outstanding::default();
            let mut model: BTreeMap<OpId, u64> = BTreeMap::new();
            let mut next = 0u64;
            for (add, pick) in steps {
                if add || model.is_empty() {
                    next += 1 + pick as u64 % 3; // ids rise, not densely
                    ours.insert(OpId(next), SimTime(next * 10), next);
                    model.insert(OpId(next), next);
                } else {
                    let op = *model.keys().nth(pick % model.len()).unwrap();
                    prop_assert_eq!(ours.remove(op), model.remove(&op));
                    prop_assert_eq!(ours.remove(op), None, "ended once only");
                }
                prop_assert_eq!(ours.len(), model.len());
                for (&op, &p) in &model {
                    prop_assert_eq!(ours.get(op), Some(&p));
                }
                let oldest = model.iter().next().map(|(&op, p)| (op, SimTime(op.0 * 10), p));
                prop_assert_eq!(ours.oldest(), oldest);
                if let Some((first, ..)) = ours.oldest() {
                    prop_assert!(ours.entries.len() as u64 <= next - first.0 + 1);
                } else {
                    prop_assert!(ours.entries.is_empty());
                }
            }
        }
    }

    #[test]
    fn an_unknown_or_ended_operation_is_not_found() {
        let mut ours = Outstanding::default();
        ours.insert(OpId(3), SimTime(1), 'a');
        ours.insert(OpId(7), SimTime(2), 'b');
        assert_eq!(ours.get(OpId(5)), None);
        assert_eq!(ours.remove(OpId(5)), None);
        assert_eq!(ours.remove(OpId(7)), Some('b'));
        assert_eq!(ours.get(OpId(7)), None);
        assert_eq!(ours.oldest(), Some((OpId(3), SimTime(1), &'a')));
        assert_eq!(ours.remove(OpId(3)), Some('a'));
        assert_eq!(ours.oldest(), None);
        assert_eq!(ours.len(), 0);
    }
}
