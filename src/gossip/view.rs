//! One node's membership view and the failure detector over it: the list
//! (gossiped), when each node's heartbeat last advanced here (local), and
//! the status each node has here, recomputed after every input so that the
//! coordinator's per-request questions are a binary search.

use super::list::Chunked;
use super::suspicion::{self, Listing};
use super::swim::{Probing, Rank};
use super::{Config, Entry, NodeState, Protocol, Status, Update};
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
    pub(super) known: Chunked<Known>,
    /// Where the own entry sits in `known`; it is never removed.
    pub(super) own_at: usize,
    /// Where each node sits in `known`, by node id (`UNKNOWN` if absent),
    /// for ids below twice the known nodes plus `SLOT_SLACK`: the tally
    /// looks nodes up by the million with a thousand nodes. A larger id (a
    /// garbled one from the wire) is found by binary search instead, so it
    /// cannot make the table grow.
    slots: Vec<u32>,
    /// Beside `slots`, each node's status, so that the coordinator's
    /// question on every request reads one small table rather than the
    /// list (shared in chunks under SWIM, a cache miss away).
    slot_statuses: Vec<Option<Status>>,
    members_epoch: u64,
    /// Nodes whose entry changed since the last `refresh`.
    pub(super) touched: Vec<NodeId>,
    /// `Protocol::Swim`'s probes, suspicions and news to spread.
    pub(super) probing: Probing,
    /// `Protocol::Swim`: the sum of every entry's `summand`, kept up to
    /// date by `refresh` (see `Gossip::summary`).
    pub(super) summary: u64,
    /// A reused buffer for a list's changes (`suspicion::changes`).
    pub(super) scratch: Vec<suspicion::Change>,
    /// A reused buffer for the nodes `refresh` gives a new status.
    dirty: Vec<NodeId>,
    /// Status changes not yet returned to the embedding node.
    pending: Vec<Transition>,
    /// Status changes ever made here, so an observer can tell that a view
    /// is as it last read it without reading it again.
    status_changes: u64,
    /// Bookkeeping for the figures, not protocol state.
    pub(super) sent_messages: u64,
    pub(super) sent_bytes: u64,
}

/// What this view holds about one node.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Known {
    pub(super) node: NodeId,
    pub(super) entry: Entry,
    /// When the node's (generation, heartbeat) last advanced here.
    pub(super) progress: SimTime,
    /// `None` only between learning the node and the next recomputation.
    pub(super) status: Option<Status>,
    /// `Protocol::Swim`: where the node stands in its incarnation.
    pub(super) rank: Rank,
    /// `Protocol::Swim`: this entry's term in the view's `summary`.
    summand: u64,
    /// Whether the last recomputation counted it a ring member.
    member: bool,
    /// The nodes, sorted, whose counted list suspects this one at a
    /// (generation, heartbeat) no older than `counted_seen` (`suspicion`).
    pub(super) suspected_by: Vec<NodeId>,
    /// The (generation, heartbeat) of this node `suspected_by` was counted
    /// against; `None` until it is first counted.
    pub(super) counted_seen: Option<(u64, u64)>,
    /// This node's list of suspects as the tally last counted it, and
    /// whether it was well formed.
    pub(super) counted_list: Arc<[Listing]>,
    pub(super) counted_list_sorted: bool,
}

impl Known {
    fn new(node: NodeId, entry: Entry, now: SimTime) -> Known {
        Known {
            node,
            entry,
            progress: now,
            status: None,
            rank: Rank::Alive,
            summand: 0,
            member: false,
            suspected_by: Vec::new(),
            counted_seen: None,
            counted_list: no_suspects(),
            counted_list_sorted: true,
        }
    }

    pub(super) fn seen(&self) -> (u64, u64) {
        (self.entry.generation, self.entry.heartbeat)
    }
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
        known: &[(NodeId, Arc<NodeState>)],
        seeds: Vec<NodeId>,
        now: SimTime,
    ) -> Gossip {
        // Under SWIM an initial member starts as the others configured it
        // (generation and version 0), so lists agree from the start and
        // nothing needs spreading; a spare, or a restart, is news.
        let configured_start = config.protocol == Protocol::Swim && !known.is_empty();
        let own_entry = Entry {
            generation: if configured_start { 0 } else { now.0 },
            heartbeat: 0,
            suspects: no_suspects(),
            version: if configured_start { 0 } else { 1 },
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
                            state: state.clone(),
                        };
                        (*node, configured)
                    }),
            )
            .map(|(node, entry)| Known::new(node, entry, now))
            .collect();
        // Stable, so the first listing of a node is the one kept (and self,
        // listed first, wins over a listing of itself).
        list.sort_by_key(|k| k.node);
        list.dedup_by_key(|k| k.node);
        let own_at = list.partition_point(|k| k.node < me);
        let touched = list.iter().map(|k| k.node).collect();
        // Only SWIM's lists are shared (`starting`).
        let shared = config.protocol == Protocol::Swim;
        let mut gossip = Gossip {
            me,
            config,
            seeds,
            known: Chunked::from_vec(list, shared),
            own_at,
            slots: Vec::new(),
            slot_statuses: Vec::new(),
            members_epoch: 0,
            touched,
            probing: Probing::default(),
            summary: 0,
            scratch: Vec::new(),
            dirty: Vec::new(),
            pending: Vec::new(),
            status_changes: 0,
            sent_messages: 0,
            sent_bytes: 0,
        };
        gossip.index_slots();
        gossip.refresh();
        gossip.pending.clear();
        gossip.members_epoch = 0;
        gossip
    }

    /// `new`, sharing with the views `cache` saw start alike: under SWIM
    /// the initial members all start with the same list, so the first one
    /// built stands for the rest (its list shared, copied a chunk at a time
    /// as each view writes) instead of a thousand lists of a thousand.
    pub fn starting(
        me: NodeId,
        config: Config,
        own: NodeState,
        known: &[(NodeId, Arc<NodeState>)],
        seeds: Vec<NodeId>,
        now: SimTime,
        cache: &StartCache,
    ) -> Gossip {
        if config.protocol != Protocol::Swim || known.is_empty() {
            return Gossip::new(me, config, own, known, seeds, now);
        }
        let mut kept = cache.kept.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(template) = &*kept {
            if template.config == config && template.starts_as(me, &own, known) {
                let mut g = template.clone();
                g.me = me;
                g.seeds = seeds;
                g.own_at = g.known.binary_search_by_key(&me, |k| k.node).unwrap_or(0);
                g.index_slots();
                return g;
            }
        }
        let g = Gossip::new(me, config, own, known, seeds, now);
        *kept = Some(g.clone());
        g
    }

    /// Whether this fresh SWIM view is the one `new` would build for `me`
    /// declaring `own` and knowing `known`: the same nodes and states, all
    /// as configured (the progress clocks aside, which SWIM does not read).
    fn starts_as(&self, me: NodeId, own: &NodeState, known: &[(NodeId, Arc<NodeState>)]) -> bool {
        let mut wanted: Vec<(NodeId, &NodeState)> = std::iter::once((me, own))
            .chain(
                known
                    .iter()
                    .filter(|(n, _)| *n != me)
                    .map(|(n, s)| (*n, &**s)),
            )
            .collect();
        wanted.sort_by_key(|w| w.0);
        wanted.dedup_by_key(|w| w.0);
        self.sent_messages == 0
            && self.members_epoch == 0
            && wanted.len() == self.known.len()
            && self.known.iter().zip(&wanted).all(|(k, (node, state))| {
                k.node == *node
                    && *k.entry.state == **state
                    && (k.entry.generation, k.entry.heartbeat, k.entry.version) == (0, 0, 0)
            })
    }

    /// This node's status of `node` (`None` if unknown). O(log n) or better:
    /// the coordinator asks on every request.
    pub fn status(&self, node: NodeId) -> Option<Status> {
        match self.slots.get(node.index()) {
            Some(&at) if at != UNKNOWN => self.slot_statuses[node.index()],
            _ => self.known[self.find(node).ok()?].status,
        }
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

    /// A stamp of this view's statuses: equal stamps of one node's view
    /// mean `statuses` gives the same list. (The own generation tells a
    /// restarted or new view from an old one with as many changes.)
    pub fn statuses_stamp(&self) -> (u64, u64) {
        (self.own().generation, self.status_changes)
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
        if self.config.protocol == Protocol::Swim {
            self.swim_declared();
        }
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
        for known in self.known.iter_mut() {
            known.progress = now;
        }
        if self.config.protocol == Protocol::Swim {
            self.swim_restart();
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
        match self.slots.get(node.index()) {
            Some(&at) if at != UNKNOWN => Ok(at as usize),
            _ => self.known.binary_search_by_key(&node, |k| k.node),
        }
    }

    /// Rebuilds `slots` after `known` changed shape.
    fn index_slots(&mut self) {
        let bound = self.known.len() * 2 + SLOT_SLACK;
        let len = self
            .known
            .iter()
            .map(|k| k.node.index() + 1)
            .filter(|&end| end <= bound)
            .max()
            .unwrap_or(0);
        self.slots.clear();
        self.slots.resize(len, UNKNOWN);
        self.slot_statuses.clear();
        self.slot_statuses.resize(len, None);
        for (at, k) in self.known.iter().enumerate() {
            if let Some(slot) = self.slots.get_mut(k.node.index()) {
                *slot = at as u32;
                self.slot_statuses[k.node.index()] = k.status;
            }
        }
    }

    pub(super) fn own(&self) -> &Entry {
        &self.known[self.own_at].entry
    }

    /// The own entry, to change: the next `refresh` looks at it again.
    pub(super) fn own_mut(&mut self) -> &mut Entry {
        self.touched.push(self.me);
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
                self.insert_known(at, update.node, entry, now);
            }
            Ok(at) => {
                let known = &mut self.known[at];
                let before = known.seen();
                if known.entry.merge_update(update) {
                    self.touched.push(update.node);
                    if known.seen() > before {
                        known.progress = now;
                    }
                }
            }
        }
    }

    /// Lists `node`, unknown until now, at `at` (where `find` placed it).
    pub(super) fn insert_known(&mut self, at: usize, node: NodeId, entry: Entry, now: SimTime) {
        self.known.insert(at, Known::new(node, entry, now));
        self.touched.push(node);
        if at <= self.own_at {
            self.own_at += 1;
        }
        self.index_slots();
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

    /// Brings the tally up to date with the entries changed since the last
    /// call, recomputes the status of every node whose tally or entry
    /// changed, and queues the changes in node order; bumps the members
    /// epoch if the member set changed. The statuses are those a recount
    /// of every list would give (`suspicion` says why).
    pub(super) fn refresh(&mut self) {
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_unstable();
        touched.dedup();
        let mut dirty = std::mem::take(&mut self.dirty);
        dirty.clear();
        self.count_newcomers(&touched, &mut dirty);
        for &node in &touched {
            let Ok(at) = self.find(node) else {
                continue;
            };
            // A status follows from `left` and the tally alone, and the
            // tally's changes mark their nodes below; so an entry whose
            // status is known and whose `left` is as last counted (mostly a
            // heartbeat that advanced) keeps its status.
            let swim = self.config.protocol == Protocol::Swim;
            if swim {
                let summand = self.known[at].summand();
                let known = &mut self.known[at];
                self.summary = self
                    .summary
                    .wrapping_sub(known.summand)
                    .wrapping_add(summand);
                known.summand = summand;
            }
            let known = &self.known[at];
            if swim || known.status.is_none() || known.member == known.entry.state.left {
                dirty.push(node);
            }
            if !Arc::ptr_eq(&self.known[at].counted_list, &self.known[at].entry.suspects) {
                self.recount_list(at, &mut dirty);
            }
        }
        for &node in &touched {
            let Ok(at) = self.find(node) else {
                continue;
            };
            if self.known[at].counted_seen != Some(self.known[at].seen()) {
                self.recount_seen(at, &mut dirty);
            }
        }
        dirty.sort_unstable();
        dirty.dedup();
        let needed = self.config.reporters.max(1) as usize;
        let mut members_changed = false;
        for &node in &dirty {
            let Ok(at) = self.find(node) else {
                continue;
            };
            let me = self.me;
            let known = &mut self.known[at];
            let left = known.entry.state.left;
            let status = if left {
                Status::Left
            } else if at == self.own_at {
                Status::Alive
            } else if self.config.protocol == Protocol::Swim {
                match known.rank {
                    Rank::Alive => Status::Alive,
                    Rank::Suspect => Status::Suspect,
                    Rank::Dead => Status::Down,
                }
            } else if known.suspected_by.len() >= needed {
                Status::Down
            } else if known.suspected_by.binary_search(&me).is_ok() {
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
                self.status_changes += 1;
                known.status = Some(status);
                if let Some(slot) = self.slot_statuses.get_mut(node.index()) {
                    *slot = Some(status);
                }
            }
            if known.member == left {
                known.member = !left;
                members_changed = true;
            }
        }
        if members_changed {
            self.members_epoch += 1;
        }
        // Keep the buffers' room for the next input.
        touched.clear();
        self.touched = touched;
        self.dirty = dirty;
    }
}

/// The starting lists of the views of one run, for `Gossip::starting`
/// to share (a cache: it changes what a view costs, never what it is).
#[derive(Debug, Default)]
pub struct StartCache {
    kept: std::sync::Mutex<Option<Gossip>>,
}

impl PartialEq for StartCache {
    fn eq(&self, _: &StartCache) -> bool {
        true
    }
}

/// A `slots` entry for a node not in `known`.
const UNKNOWN: u32 = u32::MAX;

/// Ids `slots` covers past twice the known nodes: room for the spares a
/// run adds without a table rebuilt for garbage.
const SLOT_SLACK: usize = 64;

/// The empty suspects list, one shared allocation: a thousand views of a
/// thousand nodes each start with a million of them.
pub(super) fn no_suspects() -> Arc<[(NodeId, u64, u64)]> {
    static EMPTY: std::sync::LazyLock<Arc<[Listing]>> = std::sync::LazyLock::new(|| Arc::from([]));
    EMPTY.clone()
}
