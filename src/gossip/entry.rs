//! One node's entry in a membership list, and its merge: a join over
//! (generation, heartbeat) for the liveness part and (generation, version)
//! for the state part.

use crate::id::NodeId;
use crate::ring::Position;
use std::cmp::Ordering;
use std::sync::Arc;

/// What a node declares about itself; changes rarely (join, leave), so it
/// travels only when its version is newer than the receiver's.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodeState {
    /// The node left the ring gracefully.
    pub left: bool,
    /// Region index and capacity weight, as the ring needs them.
    pub region: u32,
    pub weight: u32,
    /// The ring tokens the node owns in its own view, ascending.
    pub tokens: Arc<[Position]>,
}

/// Everything one node's list holds about a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The node's start time on its own clock (ns) at its latest start or
    /// restart: a restarted node's entries outrank its old ones.
    pub generation: u64,
    /// Bumped by the node itself every gossip interval.
    pub heartbeat: u64,
    /// The peers the node suspected at this heartbeat, each with the
    /// (generation, heartbeat) of theirs it had seen last. Sorted by node.
    pub suspects: Arc<[(NodeId, u64, u64)]>,
    /// Bumped by the node when `state` changes.
    pub version: u64,
    pub state: Arc<NodeState>,
}

/// A digest: what a list knows of one node, without the content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Digest {
    pub node: NodeId,
    pub generation: u64,
    pub heartbeat: u64,
    pub version: u64,
}

/// An entry on the wire: `state` is `None` when the receiver's digest
/// showed it already has this version of the state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    pub node: NodeId,
    pub generation: u64,
    pub heartbeat: u64,
    pub suspects: Arc<[(NodeId, u64, u64)]>,
    pub version: u64,
    pub state: Option<Arc<NodeState>>,
}

impl Entry {
    /// What a `Syn` says of this entry, which belongs to `node`.
    pub fn digest(&self, node: NodeId) -> Digest {
        Digest {
            node,
            generation: self.generation,
            heartbeat: self.heartbeat,
            version: self.version,
        }
    }

    /// This entry on the wire, with its state or without it.
    pub fn update(&self, node: NodeId, with_state: bool) -> Update {
        Update {
            node,
            generation: self.generation,
            heartbeat: self.heartbeat,
            suspects: self.suspects.clone(),
            version: self.version,
            state: with_state.then(|| self.state.clone()),
        }
    }

    /// Merges `other` into `self`; returns whether anything changed. A
    /// higher generation replaces the whole entry; within one generation
    /// the liveness part (heartbeat, suspects) and the state part (version,
    /// state) are each the greater of the two, ties broken by content, so
    /// merge is commutative, associative and idempotent.
    pub fn merge(&mut self, other: &Entry) -> bool {
        match other.generation.cmp(&self.generation) {
            Ordering::Less => false,
            Ordering::Greater => {
                *self = other.clone();
                true
            }
            Ordering::Equal => {
                // Two independent chains, each totally ordered by (counter,
                // content): their product is a lattice, and taking the
                // greater in each is its join.
                let mut changed = false;
                if (other.heartbeat, &*other.suspects) > (self.heartbeat, &*self.suspects) {
                    self.heartbeat = other.heartbeat;
                    self.suspects = other.suspects.clone();
                    changed = true;
                }
                if (other.version, &*other.state) > (self.version, &*self.state) {
                    self.version = other.version;
                    self.state = other.state.clone();
                    changed = true;
                }
                changed
            }
        }
    }
}

impl Entry {
    /// `merge` of the entry `update` describes, without building it: an
    /// update without a state carries only the liveness part, which merges
    /// into an entry of its generation (the held state standing in); one of
    /// another generation without a state is ignored, since a state is
    /// never invented. Returns whether anything changed.
    pub fn merge_update(&mut self, update: &Update) -> bool {
        match (&update.state, update.generation.cmp(&self.generation)) {
            (_, Ordering::Less) | (None, Ordering::Greater) => false,
            (Some(state), Ordering::Greater) => {
                *self = Entry {
                    generation: update.generation,
                    heartbeat: update.heartbeat,
                    suspects: update.suspects.clone(),
                    version: update.version,
                    state: state.clone(),
                };
                true
            }
            (state, Ordering::Equal) => {
                let mut changed = false;
                if (update.heartbeat, &*update.suspects) > (self.heartbeat, &*self.suspects) {
                    self.heartbeat = update.heartbeat;
                    self.suspects = update.suspects.clone();
                    changed = true;
                }
                if let Some(state) = state {
                    if (update.version, &**state) > (self.version, &*self.state) {
                        self.version = update.version;
                        self.state = state.clone();
                        changed = true;
                    }
                }
                changed
            }
        }
    }
}

impl Update {
    /// The entry this update describes, when it carries a state.
    pub fn to_entry(&self) -> Option<Entry> {
        Some(Entry {
            generation: self.generation,
            heartbeat: self.heartbeat,
            suspects: self.suspects.clone(),
            version: self.version,
            state: self.state.clone()?,
        })
    }
}
