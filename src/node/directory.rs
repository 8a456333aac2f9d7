//! Where keys live, as one node (or client) sees it: its ring view and the
//! table of key positions, plus its idea of which peers are reachable.
//!
//! The ring view is a value built from a membership view, so two holders
//! with different views can disagree about ownership (paper §4.8): a node
//! rebuilds its own from its gossip membership list. Reachability has two
//! sources, as in Dynamo: the gossip failure detector (a peer declared
//! down) and the node's own requests ([`Liveness`]: a peer that let a
//! request time out is suspected for a while, and any message from it
//! clears that).

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

    /// The same key positions over another ring view.
    pub fn with_ring(&self, ring: Arc<Ring>) -> Directory {
        let members = ring.members().into();
        Directory {
            ring,
            positions: self.positions.clone(),
            members,
        }
    }

    /// The run's key positions, by key id (shared, not copied).
    pub fn positions(&self) -> Arc<[Position]> {
        self.positions.clone()
    }

    pub fn ring(&self) -> &Ring {
        &self.ring
    }

    /// The ring view itself, shared rather than copied (for a client that
    /// downloads it).
    pub fn shared_ring(&self) -> Arc<Ring> {
        self.ring.clone()
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

    /// The key's replicas: the first N of its preference list, or all of
    /// it in a view of fewer than N members (a joining node's before it
    /// has heard of the others).
    pub fn replicas(&self, key: Key) -> &[NodeId] {
        self.ring.replicas(self.position(key))
    }

    /// Whether `node` is among the key's N replicas.
    pub fn is_replica(&self, key: Key, node: NodeId) -> bool {
        self.replicas(key).contains(&node)
    }

    /// The members of the ring view, sorted.
    pub fn members(&self) -> &[NodeId] {
        &self.members
    }
}

/// Which peers a node (or client) believes it can reach.
///
/// A peer that let a request time out is suspected for `span`. When the
/// suspicion lapses the peer is on probation: one request may go to it (the
/// probe), and the others keep avoiding it until it answers. So a peer that
/// stays unreachable costs one timed-out request per `span`, not a burst.
#[derive(Clone, Debug, Default)]
pub struct Liveness {
    suspects: BTreeMap<NodeId, Suspicion>,
    span: SimTime,
}

#[derive(Clone, Copy, Debug)]
struct Suspicion {
    until: SimTime,
    /// A probe was sent after the suspicion lapsed; wait for its answer.
    probing: bool,
}

impl Liveness {
    pub fn new(span: SimTime) -> Self {
        Liveness {
            suspects: BTreeMap::new(),
            span,
        }
    }

    /// `node` let a request time out. Returns whether it was trusted until
    /// now (a new suspicion, worth a trace note).
    pub fn suspect(&mut self, node: NodeId, now: SimTime) -> bool {
        let fresh = Suspicion {
            until: now + self.span,
            probing: false,
        };
        self.suspects.insert(node, fresh).is_none()
    }

    /// A message from `node` arrived: it is reachable.
    #[inline]
    pub fn heard_from(&mut self, node: NodeId) {
        if !self.suspects.is_empty() {
            self.suspects.remove(&node);
        }
    }

    /// Whether a request may go to `node` now: it is trusted, or its
    /// suspicion lapsed and no probe is out yet.
    #[inline]
    pub fn looks_up(&self, node: NodeId, now: SimTime) -> bool {
        self.suspects.is_empty()
            || self
                .suspects
                .get(&node)
                .is_none_or(|s| now >= s.until && !s.probing)
    }

    /// A request is going to `node`: if it is on probation, this is its
    /// probe, and nothing else goes there until it answers or times out.
    #[inline]
    pub fn sending_to(&mut self, node: NodeId, now: SimTime) {
        if let Some(s) = self.suspects.get_mut(&node) {
            if now >= s.until {
                s.probing = true;
            }
        }
    }

    /// Forget everything (a restarted process knows nothing).
    pub fn clear(&mut self) {
        self.suspects.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lapsed_suspicion_allows_one_probe_and_news_clears_it() {
        let mut l = Liveness::new(SimTime::from_secs(1));
        let t0 = SimTime::from_secs(10);
        assert!(l.looks_up(NodeId(2), t0));
        assert!(l.suspect(NodeId(2), t0));
        assert!(!l.suspect(NodeId(2), t0), "already suspected");
        assert!(!l.looks_up(NodeId(2), t0 + SimTime::from_millis(999)));
        let lapsed = t0 + SimTime::from_secs(1);
        assert!(l.looks_up(NodeId(2), lapsed), "one probe may go");
        l.sending_to(NodeId(2), lapsed);
        assert!(!l.looks_up(NodeId(2), lapsed), "only one");
        assert!(!l.suspect(NodeId(2), lapsed), "the probe timed out");
        assert!(!l.looks_up(NodeId(2), lapsed + SimTime::from_millis(1)));
        l.suspect(NodeId(3), t0);
        l.heard_from(NodeId(3));
        assert!(l.looks_up(NodeId(3), t0));
    }
}
