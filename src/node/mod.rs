//! The Dynamo storage node (paper §4.1–§4.6): it stores the replicas of the
//! key ranges it owns, coordinates the gets and puts of keys it is a
//! replica of, stands in for unreachable replicas (sloppy quorum) and hands
//! their writes back later (hinted handoff), and repairs stale replicas
//! that a get has seen (read repair).
//!
//! The node is sans-IO: it answers each input by pushing effects into an
//! [`Outbox`]. `msg` holds the protocol's messages, `directory` the node's
//! view of where keys live and who is reachable, `store` its disk, and
//! `coordinator` the get and put state machines.
//!
//! What a crash loses (memory): the requests it was coordinating, its
//! suspicions of peers, its handoff schedule. What survives (disk): every
//! replica and every hint, unless the restart wipes the disk.

mod anti_entropy;
mod config;
mod coordinator;
pub mod directory;
mod inflight;
pub mod keymap;
mod membership;
mod minted;
pub mod msg;
mod reaping;
mod replica;
pub mod requests;
pub mod stats;
pub mod store;
pub mod views;

use crate::actor::{Node, Outbox};
use crate::gossip::Gossip;
use crate::id::{Endpoint, Key, NodeId, ValueId};
use crate::merkle::Forest;
use crate::time::SimTime;
pub use anti_entropy::full_pass;
pub use config::{AntiEntropyConfig, Config, DeliberateBug};
pub use directory::{Directory, Liveness};
pub use inflight::InFlight;
use membership::Handover;
pub use membership::{ClusterPlan, MemberEvent};
pub use msg::{Answer, CarriedContext, Holds, Msg, ReqId, Request, Timer};
use rand_chacha::ChaCha8Rng;
pub use reaping::Reaped;
pub use stats::NodeStats;
use std::collections::VecDeque;
pub use store::Store;

#[derive(Clone, Debug)]
pub struct DynamoNode {
    id: NodeId,
    config: std::sync::Arc<Config>,
    directory: Directory,
    /// Disk.
    store: Store,
    /// The client requests this node has acted on (disk: see `requests`).
    requests: requests::RequestJournal,
    // Memory, lost in a crash:
    pending: InFlight,
    /// In-flight requests' deadlines, oldest first (see `expire_requests`).
    deadlines: VecDeque<(SimTime, ReqId)>,
    deadlines_armed: bool,
    liveness: Liveness,
    handoff_armed: bool,
    /// The gossip membership list (kept across a crash: membership is
    /// configuration; its heartbeat clocks restart).
    gossip: Option<Gossip>,
    /// The gossip members epoch the directory was built for.
    view_epoch: u64,
    /// Merkle trees of the replicated ranges (memory).
    forest: Option<Forest>,
    /// Which (range, peer) pair anti-entropy compares next.
    ae_turn: usize,
    /// A graceful leave is under way.
    leaving: bool,
    /// Transfers not yet acknowledged (memory).
    handover: Handover,
    /// Checks under way of whether a tombstone may be reaped (memory).
    reap_checks: reaping::ReapChecks,
    /// The name this node mints versions under: itself, renamed after each
    /// restart with a wiped disk (`NodeId::actor`); per-key renames are in
    /// the store.
    actor: NodeId,
    /// Actor epochs handed out so far. Identity, not data: it survives a
    /// wiped disk, so no epoch is ever handed out twice.
    epochs: u32,
    /// Draws gossip peers and anti-entropy ranges: the node's own stream.
    rng: ChaCha8Rng,
    // Bookkeeping of the simulator, kept across crashes:
    /// Every dot this node minted, checked never to repeat (debug builds).
    minted: minted::MintLedger,
    stats: NodeStats,
    member_events: Vec<MemberEvent>,
    /// Every Merkle exchange this node ended, for the report's chart.
    merkle_exchanges: Vec<MerkleExchange>,
    /// Every tombstone this node reaped, for the checkers.
    reaped: Vec<Reaped>,
}

/// What one finished Merkle exchange cost and found, recorded by the node
/// that ended it (an exchange cut short by a lost message or a ring-view
/// mismatch is not recorded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MerkleExchange {
    /// Keys whose digests differed between the two replicas (0 when the
    /// trees agreed).
    pub divergent_keys: u64,
    /// Tree hashes and key digests both sides sent.
    pub hashes: u64,
}

impl DynamoNode {
    pub fn new(
        id: NodeId,
        config: std::sync::Arc<Config>,
        directory: Directory,
        rng: ChaCha8Rng,
    ) -> Self {
        let liveness = Liveness::new(config.suspect_for);
        let store = match config.deliberate_bug {
            Some(DeliberateBug::MergeDropsSibling) => Store::with_merge_dropping_siblings(),
            _ => Store::default(),
        };
        DynamoNode {
            id,
            config,
            directory,
            store,
            requests: requests::RequestJournal::default(),
            pending: InFlight::default(),
            deadlines: VecDeque::new(),
            deadlines_armed: false,
            liveness,
            handoff_armed: false,
            gossip: None,
            view_epoch: 0,
            forest: None,
            ae_turn: 0,
            leaving: false,
            handover: Handover::default(),
            reap_checks: reaping::ReapChecks::default(),
            actor: id,
            epochs: 0,
            rng,
            minted: minted::MintLedger::default(),
            stats: NodeStats::default(),
            member_events: Vec::new(),
            merkle_exchanges: Vec::new(),
            reaped: Vec::new(),
        }
    }

    /// Whether a request may go to `node` now: the gossip failure detector
    /// has not declared it down (or left), and it has not let one of this
    /// node's requests time out lately.
    #[inline]
    pub(super) fn reachable(&self, node: NodeId, now: SimTime) -> bool {
        self.gossip.as_ref().is_none_or(|g| g.looks_up(node)) && self.liveness.looks_up(node, now)
    }

    /// Why `node` is not reachable from here, in words, for the trace.
    pub(super) fn unreachable_because(&self, node: NodeId, now: SimTime) -> &'static str {
        if self.gossip.as_ref().is_some_and(|g| !g.looks_up(node)) {
            "gossip declared it down"
        } else if !self.liveness.looks_up(node, now) {
            "a request to it timed out"
        } else {
            "reachable"
        }
    }

    /// The name this node mints versions of `key` under.
    pub(super) fn actor_for(&self, key: Key) -> NodeId {
        self.store.actor_for(key).unwrap_or(self.actor)
    }

    /// Asserts (debug builds) that the version just minted under `actor`
    /// repeats no dot; off with key epochs off, whose loss is the point.
    pub(super) fn check_minted(
        &mut self,
        key: Key,
        actor: NodeId,
        state: &crate::version::Siblings,
    ) {
        if self.config.key_epochs && self.config.dot_assertion {
            self.minted.check(key, actor, state);
        }
    }

    /// Whether this node acts on `req`: not if it already acted on this
    /// (client, op), or the client had finished the op (see `requests`).
    fn first_time(&mut self, req: &Request, out: &mut impl Outbox<Msg, Timer>) -> bool {
        if self.config.deliberate_bug == Some(DeliberateBug::CoordinateDuplicates) {
            return true;
        }
        match self.requests.first_time(req) {
            Ok(()) => true,
            Err(repeat) => {
                self.stats.repeated_requests += 1;
                out.note("request-ignored", |f| {
                    f.u64("op", req.op.0)
                        .key("key", req.key)
                        .str("why", repeat.as_str());
                });
                false
            }
        }
    }

    /// This node dropped `state` of `key` (a hint handed back, a key handed
    /// to its new owner). If it had minted versions there, it has now
    /// forgotten their counters: minting again under the same name would
    /// reuse a counter (taken for the old version, and one of the two lost)
    /// or skip one (and a version vector would claim the missing one seen,
    /// dropping it on merge). So it takes a fresh name for that key, as
    /// Riak does after its KV679 data-loss bug.
    pub(super) fn forget(&mut self, key: Key, state: &crate::version::Siblings) {
        if self.config.key_epochs && state.counter_of(self.actor_for(key)) > 0 {
            self.epochs += 1;
            self.store.set_actor(key, self.id.actor(self.epochs));
        }
    }

    /// The gossip membership view, when gossip is on.
    pub fn gossip(&self) -> Option<&Gossip> {
        self.gossip.as_ref()
    }

    /// Every status change this node's membership view went through.
    pub fn member_events(&self) -> &[MemberEvent] {
        &self.member_events
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The disk, for tools that load data before a run starts.
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    pub fn stats(&self) -> &NodeStats {
        &self.stats
    }

    /// The Merkle exchanges this node ended, in the order they ended.
    pub fn merkle_exchanges(&self) -> &[MerkleExchange] {
        &self.merkle_exchanges
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The node's protocol state, disk and memory, written for a model
    /// checker's fingerprint (`dynsim check`): two nodes that write the
    /// same text answer every input alike. The simulator's bookkeeping
    /// (stats, the mint ledger, member events, Merkle records) is left
    /// out, and so is the random stream, which only gossip and
    /// anti-entropy draw from (both off under `dynsim check`).
    pub fn write_state(&self, out: &mut impl std::fmt::Write) -> std::fmt::Result {
        self.store.write_state(out)?;
        write!(
            out,
            "|{:?}|{:?}|{:?}|{}|{:?}|{}|{:?}|{}|{}|{:?}|{:?}|{}|{:?}",
            self.requests,
            self.pending,
            self.deadlines,
            self.deadlines_armed,
            self.liveness,
            self.handoff_armed,
            self.gossip,
            self.view_epoch,
            self.leaving,
            self.handover,
            self.actor,
            self.epochs,
            self.reap_checks,
        )?;
        // What it reaped, not when: the explorer judges an execution's
        // lost writes by it (`run::final_values`), so two states that
        // differ in it must not be taken for one.
        for reaped in &self.reaped {
            write!(out, "|{:?}={:?}", reaped.key, reaped.values)?;
        }
        Ok(())
    }

    /// Requests this node is coordinating right now.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Traces this node's sibling set for `key` after it changed, and
    /// why (`put`, `store`, `read-repair`, `hint`, `handoff`, `transfer`,
    /// `anti-entropy`): the record `explain`, the viewer and the Lamport
    /// diagram read replica states from. Values and clocks are in the same
    /// order. A hint holder's note names the owner (`for`).
    pub(super) fn note_stored(
        out: &mut impl Outbox<Msg, Timer>,
        key: Key,
        state: Option<&crate::version::Siblings>,
        why: &'static str,
        hint_for: Option<NodeId>,
    ) {
        if !out.tracing() {
            return;
        }
        let shown = state.map(|s| s.shown_versions()).unwrap_or_default();
        let values: Vec<ValueId> = shown.iter().map(|(v, _)| *v).collect();
        out.note("stored", |f| {
            f.key("key", key)
                .values("values", &values)
                .strs("clocks", shown.iter().map(|(_, c)| c.as_str()))
                .str("why", why);
            if let Some(owner) = hint_for {
                f.node("for", owner);
            }
        });
    }

    pub(super) fn arm_handoff(&mut self, out: &mut impl Outbox<Msg, Timer>) {
        if self.config.hinted_handoff && !self.handoff_armed && self.store.has_hints() {
            out.set_timer(self.config.handoff_interval, Timer::Handoff);
            self.handoff_armed = true;
        }
    }

    /// Offers every hint to its owner. A hint stays until the owner
    /// acknowledges exactly that state, so a lost offer is simply made
    /// again at the next tick.
    fn offer_hints(&mut self, out: &mut impl Outbox<Msg, Timer>) {
        self.handoff_armed = false;
        for (owner, key, state) in self.store.hints() {
            out.send(
                Endpoint::Node(owner),
                Msg::Handoff {
                    key,
                    state: state.clone(),
                },
            );
        }
        self.arm_handoff(out);
    }
}

impl Node for DynamoNode {
    /// The replica a client request, a replica write or a replica read
    /// will look up: the run's most frequent cache miss.
    fn prefetch(&self, msg: &Msg) {
        match msg {
            Msg::Request(r) | Msg::Forward(r) => self.store.prefetch(r.key),
            Msg::Store { key, .. } | Msg::Fetch { key, .. } => self.store.prefetch(*key),
            _ => {}
        }
    }

    type Msg = Msg;
    type Timer = Timer;

    fn id(&self) -> NodeId {
        self.id
    }

    fn on_start(&mut self, now: SimTime, out: &mut impl Outbox<Msg, Timer>) {
        self.arm_handoff(out);
        self.start_gossip(now, out);
        self.start_anti_entropy(out);
    }

    fn on_message(
        &mut self,
        now: SimTime,
        from: Endpoint,
        msg: Msg,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        match (from, msg) {
            (_, Msg::Request(req)) => {
                if self.first_time(&req, out) {
                    self.on_request(now, req, out);
                }
            }
            // The sender chose this node to coordinate.
            (from, Msg::Forward(req)) => {
                if self.first_time(&req, out) {
                    let from = match from {
                        Endpoint::Node(peer) => Some(peer),
                        Endpoint::Client(_) => None,
                    };
                    self.on_forward(now, from, req, out);
                }
            }
            (Endpoint::Node(peer), msg) => {
                self.liveness.heard_from(peer);
                self.serve(now, peer, msg, out);
            }
            (Endpoint::Client(client), Msg::ViewPull) => {
                let ring = self.directory.shared_ring();
                out.send(Endpoint::Client(client), Msg::View(ring));
            }
            (Endpoint::Client(_), _) => {}
        }
    }

    fn on_timer(&mut self, now: SimTime, timer: Timer, out: &mut impl Outbox<Msg, Timer>) {
        match timer {
            Timer::Requests => self.expire_requests(now, out),
            Timer::Handoff => self.offer_hints(out),
            Timer::Gossip => self.gossip_tick(now, out),
            Timer::AntiEntropy => self.anti_entropy_tick(now, out),
            Timer::Leave => out.halt(),
            Timer::Transfers => self.retry_transfers(out),
            Timer::ReapCheck(key, ticket) => self.start_reap_check(now, key, ticket, out),
            Timer::ReapCheckDeadline(check) => self.on_reap_check_deadline(check, out),
            Timer::Reap(key) => self.on_reap_timer(now, key, out),
        }
    }

    fn on_crash(&mut self) {
        self.pending.clear();
        self.deadlines.clear();
        self.deadlines_armed = false;
        self.liveness.clear();
        self.handoff_armed = false;
        self.handover = Handover::default();
        self.forget_reap_checks();
        self.forest = None;
        self.store.track_changes(false);
    }

    fn on_restart(&mut self, now: SimTime, wipe_disk: bool, out: &mut impl Outbox<Msg, Timer>) {
        if wipe_disk {
            self.store.wipe();
            self.requests.clear();
            if self.config.key_epochs {
                self.epochs += 1;
                self.actor = self.id.actor(self.epochs);
            }
        }
        self.arm_handoff(out);
        self.start_gossip(now, out);
        self.start_anti_entropy(out);
        if self.leaving {
            // A leave cut short by a crash (its timer died with the
            // memory) finishes now: announced again, handed over again,
            // and the node stops after the same linger.
            self.leave(now, out);
        }
    }

    fn on_leave(&mut self, now: SimTime, out: &mut impl Outbox<Msg, Timer>) {
        self.leave(now, out);
    }

    fn on_membership(
        &mut self,
        now: SimTime,
        members: &[NodeId],
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        self.learn_membership(now, members, out);
    }

    /// A bad sector: the replica of `key` is gone (hints live in their own
    /// store and survive). The node finds the key missing, so with key
    /// epochs it mints under a fresh name there (Riak's KV679 fix);
    /// without, its next version of the key reuses a counter its peers
    /// have seen, and they drop it as known.
    fn on_forget(&mut self, _now: SimTime, key: Key, out: &mut impl Outbox<Msg, Timer>) {
        if let Some(lost) = self.store.lose(key) {
            self.forget(key, &lost);
            out.note("dropped", |f| {
                f.key("key", key)
                    .values("values", &lost.values())
                    .str("why", "lost on disk");
            });
        }
    }

    fn stored_keys(&self) -> usize {
        self.store.keys()
    }
}

#[cfg(test)]
mod coordinator_tests;
#[cfg(test)]
mod reaping_tests;
#[cfg(test)]
mod request_tests;
#[cfg(test)]
mod tests;
