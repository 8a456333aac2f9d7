//! A node's storage (paper §4.1, §5): the replicas it holds for the key
//! ranges it owns, and the hints it keeps for unreachable owners (§4.6).
//! Both live on disk: they survive a crash, and only a restart that wipes
//! the disk loses them. (Dynamo keeps hints in a separate local database,
//! which is what the second map is.)

use super::keymap::KeyMap;
use crate::id::{Key, NodeId, ValueId};
use crate::version::{Effect, Mode, Order, Siblings};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct Store {
    /// A hash map, not a B-tree: a get or a merge finds its key in one
    /// probe rather than a walk of node arrays whose branches the CPU
    /// mispredicts; and our own (see `keymap.rs`), so a key's slot can be
    /// prefetched. Nothing iterates it unsorted (see [`Store::iter`])
    /// but [`Store::iter_in_any_order`], for a result that cannot depend
    /// on the order.
    data: KeyMap<Siblings>,
    /// Writes kept for another node, by (key, owner): a stand-in answers
    /// reads of a key from all its hints for that key, a range query.
    hints: BTreeMap<(Key, NodeId), Siblings>,
    /// Keys whose replica may have changed since the last `take_changed`,
    /// when tracking is on: what keeps the Merkle trees current without a
    /// digest per write (a key written many times between two exchanges
    /// is rehashed once). Memory, not disk.
    changed: Option<Vec<Key>>,
    /// For keys this node dropped after minting versions of them (a hint
    /// handed back, a key handed to its new owner), the fresh actor name it
    /// mints under there from now on (see `DynamoNode::forget`).
    actors: BTreeMap<Key, NodeId>,
    /// The `MergeDropsSibling` deliberate bug: a merge of two concurrent
    /// states keeps this replica's side and drops the other's siblings.
    drops_concurrent: bool,
    /// Keys whose replica may have changed since the divergence sampler
    /// last looked (`run/observe.rs`), so a sample rereads those keys
    /// rather than every replica. Not part of the model: no node reads it.
    touched: Touched,
}

/// The keys a store's replicas changed at since the last
/// [`Store::take_touched`], perhaps repeated, or `everything` when that
/// list would be longer than the store (a wipe, a bulk load): then
/// rereading the whole store is the cheaper sample, and the list's memory
/// stays bounded by the store's size.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Touched {
    pub keys: Vec<Key>,
    pub everything: bool,
}

impl Touched {
    fn note(&mut self, key: Key, stored: usize) {
        if self.everything {
            return;
        }
        if self.keys.len() >= stored.max(MIN_TOUCHED_LIST) {
            self.everything = true;
            self.keys = Vec::new();
        } else {
            self.keys.push(key);
        }
    }
}

/// A list this short is kept even for a near-empty store.
const MIN_TOUCHED_LIST: usize = 1024;

impl Store {
    /// A store with the `MergeDropsSibling` deliberate bug in its merge
    /// (see [`super::DeliberateBug`]); only tests ask for it.
    pub fn with_merge_dropping_siblings() -> Store {
        Store {
            drops_concurrent: true,
            ..Store::default()
        }
    }

    pub fn get(&self, key: Key) -> Option<&Siblings> {
        self.data.get(key)
    }

    /// Starts bringing `key`'s replica into the cache ahead of a message
    /// about it (see [`crate::actor::Node::prefetch`]). A hint: changes
    /// nothing.
    #[inline]
    pub fn prefetch(&self, key: Key) {
        self.data.prefetch(key);
    }

    /// The key's state, created empty if the node has none.
    pub fn entry(&mut self, key: Key) -> &mut Siblings {
        self.record_change(key);
        self.data.get_or_default(key)
    }

    /// Merges `state` into the key's replica.
    pub fn merge(&mut self, mode: Mode, key: Key, state: &Siblings) -> Effect {
        let effect = match self.data.get_mut(key) {
            Some(mine) if self.drops_concurrent && mine.compare(state) == Order::Concurrent => {
                Effect::default()
            }
            Some(mine) => mine.merge(mode, state),
            None => {
                self.data.insert(key, state.clone());
                Effect {
                    changed: true,
                    false_conflicts: 0,
                }
            }
        };
        if effect.changed {
            self.record_change(key);
        }
        effect
    }

    /// Notes a change to `key`'s replica in both journals: the Merkle
    /// trees' (when tracking) and the divergence sampler's.
    fn record_change(&mut self, key: Key) {
        if let Some(changed) = &mut self.changed {
            changed.push(key);
        }
        self.touched.note(key, self.data.len());
    }

    /// Drops the key's replica if it is still exactly `state` (a newer
    /// write keeps it). Returns whether it was dropped.
    pub fn remove_if(&mut self, key: Key, state: &Siblings) -> bool {
        if self.data.get(key) != Some(state) {
            return false;
        }
        self.data.remove(key);
        self.record_change(key);
        true
    }

    /// The key's replica is lost (a disk fault); returns what it held.
    pub fn lose(&mut self, key: Key) -> Option<Siblings> {
        let lost = self.data.get(key).cloned()?;
        self.data.remove(key);
        self.record_change(key);
        Some(lost)
    }

    /// From now on this node mints versions of `key` as `actor`.
    pub fn set_actor(&mut self, key: Key, actor: NodeId) {
        self.actors.insert(key, actor);
    }

    /// The actor this node mints versions of `key` under, if not its own.
    pub fn actor_for(&self, key: Key) -> Option<NodeId> {
        self.actors.get(&key).copied()
    }

    /// Starts (or stops) recording which keys change.
    pub fn track_changes(&mut self, on: bool) {
        self.changed = on.then(Vec::new);
    }

    /// The keys changed since the last call (perhaps repeated), in order.
    pub fn take_changed(&mut self) -> Vec<Key> {
        self.changed
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// The keys whose replica changed since the last call, for the
    /// divergence sampler; starts a new list.
    pub fn take_touched(&mut self) -> Touched {
        std::mem::take(&mut self.touched)
    }

    /// Keeps `state` for `owner`. Returns whether the hint is new.
    pub fn keep_hint(&mut self, mode: Mode, owner: NodeId, key: Key, state: &Siblings) -> bool {
        match self.hints.get_mut(&(key, owner)) {
            Some(kept) => {
                kept.merge(mode, state);
                false
            }
            None => {
                self.hints.insert((key, owner), state.clone());
                true
            }
        }
    }

    /// The hint kept for `owner` about `key`, if any.
    pub fn hint(&self, owner: NodeId, key: Key) -> Option<&Siblings> {
        self.hints.get(&(key, owner))
    }

    /// Drops the hint if it is still exactly what was handed back (a write
    /// that landed since stays, to be handed back next time). Returns
    /// whether it was dropped.
    pub fn drop_hint_if(&mut self, owner: NodeId, key: Key, handed: &Siblings) -> bool {
        if self.hints.get(&(key, owner)) == Some(handed) {
            self.hints.remove(&(key, owner));
            true
        } else {
            false
        }
    }

    /// Everything this node holds of `key`, its replica and its hints,
    /// merged: what it reads for a get or a fetch, and what a stand-in
    /// versions a put against.
    pub fn held(&self, mode: Mode, key: Key) -> Siblings {
        let mut state = self.get(key).cloned().unwrap_or_default();
        if let Some(hinted) = self.hinted(mode, key) {
            state.merge(mode, &hinted);
        }
        state
    }

    /// Every hint kept for any owner about `key`, merged: a stand-in
    /// answers reads for the keys it holds hints of.
    pub fn hinted(&self, mode: Mode, key: Key) -> Option<Siblings> {
        let mut merged: Option<Siblings> = None;
        for (_, state) in self.hints.range((key, NodeId(0))..=(key, NodeId(u32::MAX))) {
            match &mut merged {
                Some(m) => {
                    m.merge(mode, state);
                }
                None => merged = Some(state.clone()),
            }
        }
        merged
    }

    pub fn hints(&self) -> impl Iterator<Item = (NodeId, Key, &Siblings)> {
        self.hints.iter().map(|(&(key, owner), s)| (owner, key, s))
    }

    pub fn has_hints(&self) -> bool {
        !self.hints.is_empty()
    }

    pub fn hint_count(&self) -> usize {
        self.hints.len()
    }

    pub fn keys(&self) -> usize {
        self.data.len()
    }

    /// The replicas in key order, whatever order the map keeps them in:
    /// a hand-over, a tree rebuild and a full divergence sample see keys
    /// the same way on every run. Costs a sort, which these rare callers
    /// can afford.
    pub fn iter(&self) -> impl Iterator<Item = (Key, &Siblings)> {
        let mut sorted: Vec<(Key, &Siblings)> = self.data.iter().collect();
        sorted.sort_unstable_by_key(|&(k, _)| k);
        sorted.into_iter()
    }

    /// The replicas in the map's own order (memory order), for a caller
    /// whose result cannot depend on the order, and that reads every slot:
    /// a pass in memory order streams, where one in key order waits on a
    /// cache miss per key.
    pub fn iter_in_any_order(&self) -> impl Iterator<Item = (Key, &Siblings)> {
        self.data.iter()
    }

    /// The store's protocol state, written for a model checker's
    /// fingerprint (`dynsim check`): replicas in key order, hints, and the
    /// per-key actor names; not the change journals kept for the Merkle
    /// trees and the sampler, which no protocol decision reads.
    pub fn write_state(&self, out: &mut impl std::fmt::Write) -> std::fmt::Result {
        for (key, state) in self.iter() {
            write!(out, "{key:?}={state:?};")?;
        }
        write!(out, "{:?}{:?}", self.hints, self.actors)
    }

    /// Every value held for `key` here, replica and hints alike.
    pub fn values_held(&self) -> impl Iterator<Item = (Key, Vec<ValueId>)> + '_ {
        self.iter()
            .map(|(k, s)| (k, s.values()))
            .chain(self.hints.iter().map(|(&(k, _), s)| (k, s.values())))
    }

    pub fn wipe(&mut self) {
        self.data.clear();
        self.hints.clear();
        self.actors.clear();
        if let Some(changed) = &mut self.changed {
            changed.clear();
        }
        self.touched = Touched {
            keys: Vec::new(),
            everything: true,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimTime;
    use crate::version::Context;

    fn state(value: u64) -> Siblings {
        let mut s = Siblings::default();
        s.put(
            Mode::Dvv,
            NodeId(0),
            SimTime::ZERO,
            &Context::none(),
            ValueId(value),
        );
        s
    }

    #[test]
    fn iteration_is_in_key_order_whatever_the_order_of_writes() {
        let mut store = Store::default();
        for k in [907u32, 3, 5000, 12, 64, 1 << 30, 0, 77] {
            store.merge(Mode::Dvv, Key(k), &state(k.into()));
        }
        let keys: Vec<u32> = store.iter().map(|(k, _)| k.0).collect();
        assert_eq!(keys, vec![0, 3, 12, 64, 77, 907, 5000, 1 << 30]);
        let held: Vec<u32> = store.values_held().map(|(k, _)| k.0).collect();
        assert_eq!(held, keys);
    }

    #[test]
    fn touched_lists_changed_keys_and_gives_up_past_the_store_size() {
        let mut store = Store::default();
        store.merge(Mode::Dvv, Key(4), &state(1));
        store.merge(Mode::Dvv, Key(4), &state(1)); // no change
        store.merge(Mode::Dvv, Key(9), &state(2));
        let touched = store.take_touched();
        assert_eq!(touched.keys, vec![Key(4), Key(9)]);
        assert!(!touched.everything);
        assert_eq!(store.take_touched(), Touched::default(), "a new list");

        for _ in 0..=MIN_TOUCHED_LIST {
            let _ = store.entry(Key(4));
        }
        let touched = store.take_touched();
        assert!(touched.everything && touched.keys.is_empty());

        store.wipe();
        assert!(store.take_touched().everything);
    }
}
