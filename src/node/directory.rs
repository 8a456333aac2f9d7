//! Where keys live, as one node (or client) sees it: its ring view and the
//! table of key positions, plus its idea of which peers are reachable.
//!
//! The ring view is a value built from a membership view, so two holders
//! with different views can disagree about ownership (paper §4.8). Until
//! gossip lands, every holder starts from the initial membership and learns
//! reachability from its own requests: a peer that let a request time out
//! is suspected for a while, and any message from it clears that.
//! [`Liveness`] is the seam where the gossip failure detector plugs in.

use crate::id::{Key, NodeId};
use crate::ring::{Position, Ring};
use crate::time::SimTime;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A ring view and the positions of the run's keys on it.
#[derive(Clone, Debug)]
pub struct Directory {
    ring: Arc<Ring>,
    /// Indexed by key id; computed once per run from the keys' names.
    positions: Arc<[Position]>,
    members: Arc<[NodeId]>,
}

impl Directory {
    pub fn new(ring: Arc<Ring>, positions: Arc<[Position]>, members: Arc<[NodeId]>) -> Self {
        Directory {
            ring,
            positions,
            members,
        }
    }

    pub fn ring(&self) -> &Ring {
        &self.ring
    }

    /// Replicas per key.
    pub fn n(&self) -> usize {
        self.ring.n()
    }

    pub fn position(&self, key: Key) -> Position {
        // Every key of a run is in the table; a key outside it (a bug
        // elsewhere) lands at position 0 rather than stopping the run.
        self.positions.get(key.0 as usize).copied().unwrap_or(0)
    }

    /// The key's preference list: its N replicas, then fallbacks.
    pub fn preference(&self, key: Key) -> &[NodeId] {
        self.ring.preference_list(self.position(key))
    }

    /// Every member in the key's preference order, for deep fallbacks.
    pub fn walk(&self, key: Key) -> impl Iterator<Item = NodeId> + '_ {
        self.ring.walk(self.position(key))
    }

    /// Whether `node` is among the key's N replicas.
    pub fn is_replica(&self, key: Key, node: NodeId) -> bool {
        self.preference(key)[..self.n()].contains(&node)
    }

    /// The members of the ring view, sorted.
    pub fn members(&self) -> &[NodeId] {
        &self.members
    }
}

/// Which peers a node believes it can reach.
#[derive(Clone, Debug, Default)]
pub struct Liveness {
    /// Suspected peers and when the suspicion lapses.
    suspected_until: BTreeMap<NodeId, SimTime>,
    span: SimTime,
}

impl Liveness {
    /// Suspicions last `span` unless the peer is heard from first.
    pub fn new(span: SimTime) -> Self {
        Liveness {
            suspected_until: BTreeMap::new(),
            span,
        }
    }

    /// `node` let a request time out. Returns whether it is newly suspected.
    pub fn suspect(&mut self, node: NodeId, now: SimTime) -> bool {
        self.suspected_until
            .insert(node, now + self.span)
            .is_none_or(|until| until <= now)
    }

    /// A message from `node` arrived: it is reachable.
    #[inline]
    pub fn heard_from(&mut self, node: NodeId) {
        if !self.suspected_until.is_empty() {
            self.suspected_until.remove(&node);
        }
    }

    #[inline]
    pub fn looks_up(&self, node: NodeId, now: SimTime) -> bool {
        self.suspected_until.is_empty()
            || self
                .suspected_until
                .get(&node)
                .is_none_or(|&until| until <= now)
    }

    /// Forget everything (a restarted process knows nothing).
    pub fn clear(&mut self) {
        self.suspected_until.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suspicion_lapses_or_is_cleared_by_news() {
        let mut l = Liveness::new(SimTime::from_secs(1));
        let t0 = SimTime::from_secs(10);
        assert!(l.looks_up(NodeId(2), t0));
        assert!(l.suspect(NodeId(2), t0));
        assert!(!l.suspect(NodeId(2), t0), "already suspected");
        assert!(!l.looks_up(NodeId(2), t0 + SimTime::from_millis(999)));
        assert!(l.looks_up(NodeId(2), t0 + SimTime::from_secs(1)));
        l.suspect(NodeId(3), t0);
        l.heard_from(NodeId(3));
        assert!(l.looks_up(NodeId(3), t0));
    }
}
