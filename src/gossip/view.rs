//! One node's membership view and the failure detector over it: the list
//! (gossiped), when each node's heartbeat last advanced here (local), and
//! the status each node has here, recomputed after every input so that the
//! coordinator's per-request questions are a binary search.

use super::{Config, Entry, NodeState, Status, Update};
use crate::id::NodeId;
use crate::time::SimTime;
use std::sync::Arc;

/// A change of some node's status in this view, for the trace and the
/// membership figures. `from` is `None` when the node was unknown here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub node: NodeId,
    pub from: Option<Status>,
    pub to: Status,
}

/// One node's gossip state: its membership list (gossiped) and, per known
/// node, when its heartbeat last advanced here (local, for suspicion).
#[derive(Clone, Debug)]
pub struct Gossip {
    pub(super) me: NodeId,
    pub(super) config: Config,
    pub(super) seeds: Vec<NodeId>,
    /// Every known node, self included, sorted by node. Kept as a sorted
    /// vector rather than indexed by id: a garbage id from the wire must not
    /// make it grow.
    pub(super) known: Vec<Known>,
    /// Where the own entry sits in `known`; it is never removed.
    pub(super) own_at: usize,
    members_epoch: u64,
    /// Status changes not yet returned to the embedding node.
    pending: Vec<Transition>,
    /// Bookkeeping for the figures, not protocol state.
    pub(super) sent_messages: u64,
    pub(super) sent_bytes: u64,
}

/// What this view holds about one node.
#[derive(Clone, Debug)]
pub(super) struct Known {
    pub(super) node: NodeId,
    pub(super) entry: Entry,
    /// When the node's (generation, heartbeat) last advanced here.
    pub(super) progress: SimTime,
    /// `None` only between learning the node and the next recomputation.
    status: Option<Status>,
    /// Whether the last recomputation counted it a ring member.
    member: bool,
}

impl Gossip {
    /// A node starting at `now` (its own clock) with generation `now`, the
    /// state it declares, and the nodes it knows from configuration (the
    /// initial members for an initial member, nothing for a spare, which
    /// learns through `seeds`). Known nodes start Alive with heartbeat 0 and
    /// their progress clock at `now`. A node listed twice counts once (its
    /// first listing); `me` among `known` is ignored. No transitions are
    /// reported for this starting view, and its members epoch is 0.
    pub fn new(
        me: NodeId,
        config: Config,
        own: NodeState,
        known: &[(NodeId, NodeState)],
        seeds: Vec<NodeId>,
        now: SimTime,
    ) -> Gossip {
        let own_entry = Entry {
            generation: now.0,
            heartbeat: 0,
            suspects: no_suspects(),
            version: 1,
            state: Arc::new(own),
        };
        let mut list: Vec<Known> = std::iter::once((me, own_entry))
            .chain(
                known
                    .iter()
                    .filter(|(node, _)| *node != me)
                    .map(|(node, state)| {
                        let configured = Entry {
                            generation: 0,
                            heartbeat: 0,
                            suspects: no_suspects(),
                            version: 0,
                            state: Arc::new(state.clone()),
                        };
                        (*node, configured)
                    }),
            )
            .map(|(node, entry)| Known {
                node,
                entry,
                progress: now,
                status: None,
                member: false,
            })
            .collect();
        // Stable, so the first listing of a node is the one kept (and self,
        // listed first, wins over a listing of itself).
        list.sort_by_key(|k| k.node);
        list.dedup_by_key(|k| k.node);
        let own_at = list.partition_point(|k| k.node < me);
        let mut gossip = Gossip {
            me,
            config,
            seeds,
            known: list,
            own_at,
            members_epoch: 0,
            pending: Vec::new(),
            sent_messages: 0,
            sent_bytes: 0,
        };
        gossip.refresh();
        gossip.pending.clear();
        gossip.members_epoch = 0;
        gossip
    }

    /// This node's status of `node` (`None` if unknown). O(log n) or better:
    /// the coordinator asks on every request.
    pub fn status(&self, node: NodeId) -> Option<Status> {
        let at = self.find(node).ok()?;
        self.known[at].status
    }

    /// Whether `node` is known, not Down and not Left here.
    pub fn looks_up(&self, node: NodeId) -> bool {
        matches!(self.status(node), Some(Status::Alive | Status::Suspect))
    }

    /// The ring members in this view (known and not Left), sorted by node,
    /// with their declared state.
    pub fn members(&self) -> impl Iterator<Item = (NodeId, &NodeState)> + '_ {
        self.known
            .iter()
            .filter(|k| !k.entry.state.left)
            .map(|k| (k.node, &*k.entry.state))
    }

    /// Bumped whenever the member set (known and not Left) changes, so the
    /// embedding node rebuilds its ring view only then. A member's state
    /// changing (new tokens) does not bump it.
    pub fn members_epoch(&self) -> u64 {
        self.members_epoch
    }

    /// The entry this view holds for `node`.
    pub fn entry(&self, node: NodeId) -> Option<&Entry> {
        let at = self.find(node).ok()?;
        Some(&self.known[at].entry)
    }

    /// Every known node and its status here, sorted by node.
    pub fn statuses(&self) -> impl Iterator<Item = (NodeId, Status)> + '_ {
        self.known
            .iter()
            .map(|k| (k.node, k.status.unwrap_or(Status::Alive)))
    }

    /// Declares a graceful leave: the own state becomes `left` with a new
    /// version, to be gossiped from the next tick on. The node should go on
    /// ticking a while so the news spreads. Its own Alive → Left transition
    /// comes with the next `tick` or `on_message` (or `take_transitions`).
    pub fn leave(&mut self) {
        let mut state = (*self.own().state).clone();
        state.left = true;
        self.declare(state);
    }

    /// Replaces the own declared state (new tokens after a view change),
    /// with a new version.
    pub fn declare(&mut self, state: NodeState) {
        let own = self.own_mut();
        own.state = Arc::new(state);
        own.version = own.version.saturating_add(1);
        self.refresh();
    }

    /// Back after a crash that lost memory: a new generation (`now`), the
    /// list kept (the ring membership is configuration, on disk) but every
    /// heartbeat's progress clock restarted at `now` and no suspicion held.
    /// Should `now` not exceed the old generation (a clock skewed back),
    /// the new generation is the old one plus one.
    pub fn restart(&mut self, now: SimTime) {
        let own = self.own_mut();
        own.generation = if now.0 > own.generation {
            now.0
        } else {
            own.generation.saturating_add(1)
        };
        own.heartbeat = 0;
        own.suspects = no_suspects();
        for known in &mut self.known {
            known.progress = now;
        }
        self.refresh();
    }

    /// The status changes seen since the last `tick`, `on_message` or call
    /// of this; those of `leave`, `declare` and `restart` wait here.
    pub fn take_transitions(&mut self) -> Vec<Transition> {
        std::mem::take(&mut self.pending)
    }

    /// Gossip messages this node has sent (every message `tick` and
    /// `on_message` returned), and their `wire_bytes`.
    pub fn sent_messages(&self) -> u64 {
        self.sent_messages
    }

    pub fn sent_bytes(&self) -> u64 {
        self.sent_bytes
    }

    pub fn me(&self) -> NodeId {
        self.me
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub(super) fn find(&self, node: NodeId) -> Result<usize, usize> {
        self.known.binary_search_by_key(&node, |k| k.node)
    }

    pub(super) fn own(&self) -> &Entry {
        &self.known[self.own_at].entry
    }

    pub(super) fn own_mut(&mut self) -> &mut Entry {
        &mut self.known[self.own_at].entry
    }

    /// Merges an update from the wire. An update about an unknown node, or
    /// of another generation than the one held, is applied only with its
    /// state: a state is never invented. Restarts the node's progress clock
    /// when its (generation, heartbeat) advances.
    pub(super) fn apply(&mut self, now: SimTime, update: &Update) {
        if update.node == self.me {
            self.outrank(
                update.generation,
                update.heartbeat,
                update.version,
                update.state.as_deref(),
            );
            return;
        }
        match self.find(update.node) {
            Err(at) => {
                let Some(entry) = update.to_entry() else {
                    return;
                };
                self.known.insert(
                    at,
                    Known {
                        node: update.node,
                        entry,
                        progress: now,
                        status: None,
                        member: false,
                    },
                );
                if at <= self.own_at {
                    self.own_at += 1;
                }
            }
            Ok(at) => {
                let known = &mut self.known[at];
                let held = &known.entry;
                let incoming = match update.to_entry() {
                    Some(entry) => entry,
                    // Liveness only: with the held state part, merge leaves
                    // that part as it is.
                    None if update.generation == held.generation => Entry {
                        generation: update.generation,
                        heartbeat: update.heartbeat,
                        suspects: update.suspects.clone(),
                        version: held.version,
                        state: held.state.clone(),
                    },
                    None => return,
                };
                let before = (held.generation, held.heartbeat);
                if known.entry.merge(&incoming)
                    && (known.entry.generation, known.entry.heartbeat) > before
                {
                    known.progress = now;
                }
            }
        }
    }

    /// News of this node newer than its own entry can only be a relic of an
    /// earlier life (or garbage): lift the own counters above it, so the
    /// own entry wins everywhere again instead of being ignored as old.
    pub(super) fn outrank(
        &mut self,
        generation: u64,
        heartbeat: u64,
        version: u64,
        state: Option<&NodeState>,
    ) {
        let own = self.own_mut();
        if generation > own.generation {
            own.generation = generation;
            own.heartbeat = heartbeat.saturating_add(1);
            own.version = version.max(own.version).saturating_add(1);
            return;
        }
        if generation < own.generation {
            return;
        }
        if heartbeat > own.heartbeat {
            own.heartbeat = heartbeat.saturating_add(1);
        }
        let other_state = state.is_some_and(|s| *s != *own.state);
        if version > own.version || (version == own.version && other_state) {
            own.version = version.saturating_add(1);
        }
    }

    /// Recomputes every status from the list and queues the changes; bumps
    /// the members epoch if the member set changed.
    pub(super) fn refresh(&mut self) {
        #[derive(Clone, Copy)]
        struct Tally {
            reporters: u32,
            /// The reporter counted last, so a repeated listing counts once.
            last_reporter: usize,
            suspected_here: bool,
        }
        let mut tally = vec![
            Tally {
                reporters: 0,
                last_reporter: usize::MAX,
                suspected_here: false,
            };
            self.known.len()
        ];
        for (reporter, known) in self.known.iter().enumerate() {
            for &(node, generation, heartbeat) in known.entry.suspects.iter() {
                if node == known.node {
                    continue;
                }
                let Ok(at) = self.find(node) else {
                    continue;
                };
                let seen = &self.known[at].entry;
                // Newer news of the node outdates the suspicion.
                if (generation, heartbeat) < (seen.generation, seen.heartbeat) {
                    continue;
                }
                let t = &mut tally[at];
                if t.last_reporter != reporter {
                    t.last_reporter = reporter;
                    t.reporters += 1;
                }
                if reporter == self.own_at {
                    t.suspected_here = true;
                }
            }
        }
        let needed = self.config.reporters.max(1);
        let mut members_changed = false;
        for (at, (known, t)) in self.known.iter_mut().zip(&tally).enumerate() {
            let left = known.entry.state.left;
            let status = if left {
                Status::Left
            } else if at == self.own_at {
                Status::Alive
            } else if t.reporters >= needed {
                Status::Down
            } else if t.suspected_here {
                Status::Suspect
            } else {
                Status::Alive
            };
            if known.status != Some(status) {
                self.pending.push(Transition {
                    node: known.node,
                    from: known.status,
                    to: status,
                });
                known.status = Some(status);
            }
            if known.member == left {
                known.member = !left;
                members_changed = true;
            }
        }
        if members_changed {
            self.members_epoch += 1;
        }
    }
}

pub(super) fn no_suspects() -> Arc<[(NodeId, u64, u64)]> {
    Arc::from([])
}
