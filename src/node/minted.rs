//! An assertion, not a protocol: no actor ever issues the same dot twice
//! for a key (Dynamo §4.4's per-node counters, and the dots of a DVV set).
//! Two versions minted under one (actor, counter) are taken for one
//! version, and the replica that sees the second drops it as already
//! known: an acknowledged write lost, Riak's KV679 bug. The node renames
//! its actor wherever it forgets what it minted (see `DynamoNode::forget`);
//! this ledger checks that it always did, on every put, in debug builds
//! (the tests and the property tests), and costs nothing in release.

use crate::id::{Key, NodeId};
use crate::version::Siblings;

/// The highest counter this node minted per (key, actor). Bookkeeping of
/// the test build, not node state: it survives crashes and wiped disks,
/// which is the point.
#[derive(Clone, Debug, Default)]
pub struct MintLedger {
    #[cfg(debug_assertions)]
    highest: std::collections::BTreeMap<(Key, NodeId), u32>,
}

impl MintLedger {
    /// `state` is a key's state right after this node minted a version
    /// under `actor`: its counter for `actor` is the new dot's, and must be
    /// above every counter minted before. Panics (in debug builds) when it
    /// is not. Last-write-wins has no dots (counter 0) and is not checked.
    #[inline]
    pub fn check(&mut self, key: Key, actor: NodeId, state: &Siblings) {
        #[cfg(debug_assertions)]
        {
            let counter = state.counter_of(actor);
            if counter == 0 {
                return;
            }
            let before = self.highest.insert((key, actor), counter);
            assert!(
                before.is_none_or(|b| b < counter),
                "{actor} minted the dot {actor}:{counter} on key {} twice (it had minted up to {})",
                key.0,
                before.unwrap_or(0)
            );
        }
        #[cfg(not(debug_assertions))]
        let _ = (key, actor, state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::ValueId;
    use crate::time::SimTime;
    use crate::version::{Context, Mode};

    fn put(state: &mut Siblings, actor: NodeId, value: u64) {
        state.put(
            Mode::Dvv,
            actor,
            SimTime::ZERO,
            &Context::none(),
            ValueId(value),
        );
    }

    #[test]
    fn rising_counters_pass() {
        let mut ledger = MintLedger::default();
        let mut s = Siblings::default();
        for v in 1..4 {
            put(&mut s, NodeId(2), v);
            ledger.check(Key(7), NodeId(2), &s);
        }
        // Another key and another actor have counters of their own.
        let mut t = Siblings::default();
        put(&mut t, NodeId(2), 9);
        ledger.check(Key(8), NodeId(2), &t);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "twice")]
    fn a_counter_minted_again_panics() {
        let mut ledger = MintLedger::default();
        let mut s = Siblings::default();
        put(&mut s, NodeId(2), 1);
        ledger.check(Key(7), NodeId(2), &s);
        // The node forgot its state and minted from scratch.
        let mut forgotten = Siblings::default();
        put(&mut forgotten, NodeId(2), 2);
        ledger.check(Key(7), NodeId(2), &forgotten);
    }
}
