//! A node's storage (paper §4.1, §5): the replicas it holds for the key
//! ranges it owns, and the hints it keeps for unreachable owners (§4.6).
//! Both live on disk: they survive a crash, and only a restart that wipes
//! the disk loses them. (Dynamo keeps hints in a separate local database,
//! which is what the second map is.)

use crate::id::{Key, NodeId, ValueId};
use crate::version::{Effect, Mode, Siblings};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct Store {
    data: BTreeMap<Key, Siblings>,
    /// Writes kept for another node, by (key, owner): a stand-in answers
    /// reads of a key from all its hints for that key, a range query.
    hints: BTreeMap<(Key, NodeId), Siblings>,
}

impl Store {
    pub fn get(&self, key: Key) -> Option<&Siblings> {
        self.data.get(&key)
    }

    /// The key's state, created empty if the node has none.
    pub fn entry(&mut self, key: Key) -> &mut Siblings {
        self.data.entry(key).or_default()
    }

    /// Merges `state` into the key's replica.
    pub fn merge(&mut self, mode: Mode, key: Key, state: &Siblings) -> Effect {
        match self.data.get_mut(&key) {
            Some(mine) => mine.merge(mode, state),
            None => {
                self.data.insert(key, state.clone());
                Effect {
                    changed: true,
                    false_conflicts: 0,
                }
            }
        }
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

    pub fn iter(&self) -> impl Iterator<Item = (Key, &Siblings)> {
        self.data.iter().map(|(&k, s)| (k, s))
    }

    /// Every value held for `key` here, replica and hints alike.
    pub fn values_held(&self) -> impl Iterator<Item = (Key, Vec<ValueId>)> + '_ {
        self.data
            .iter()
            .map(|(&k, s)| (k, s.values()))
            .chain(self.hints.iter().map(|(&(k, _), s)| (k, s.values())))
    }

    pub fn wipe(&mut self) {
        self.data.clear();
        self.hints.clear();
    }
}
