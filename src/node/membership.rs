//! The node's side of membership (paper §4.8): it runs the gossip protocol,
//! rebuilds its ring view from its own membership list when the member set
//! changes, and hands the keys whose ownership moved to their new
//! replicas, sending each again every request timeout until the new replica
//! acknowledges it (a key this node no longer replicates is dropped only
//! once every new replica has it). A graceful leave gossips the departure,
//! hands everything over, then stops.
//!
//! The ring view is `Layout::evolved(initial members, current members)`, a
//! pure function of the member set, so two nodes whose lists agree on who
//! is a member agree on the ring, and two that do not, disagree: a request
//! routed on a stale view lands on a node that forwards it or keeps a hint
//! it did not need, as in the real system.

use super::views::{RingViews, declared};
use super::{DynamoNode, Msg, Timer};
use crate::actor::Outbox;
use crate::gossip::{self, Gossip, NodeState, Transition};
use crate::id::{Endpoint, Key, NodeId};
use crate::ring::{NodeSpec, RingSpec};
use crate::time::SimTime;
use crate::version::Siblings;
use rand::Rng;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Keys handed to a new replica and not yet acknowledged by it.
#[derive(Clone, Debug, Default)]
pub(super) struct Handover {
    unacked: BTreeSet<(Key, NodeId)>,
    /// A retry timer is set.
    armed: bool,
}

impl Handover {
    /// Whether some new replica of `key` has not acknowledged it yet.
    fn awaits(&self, key: Key) -> bool {
        self.unacked
            .range((key, NodeId(0))..=(key, NodeId(u32::MAX)))
            .next()
            .is_some()
    }
}

/// Who the nodes of a run are: what a node needs to build a ring view from
/// any member set. Configuration, shared by every node.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterPlan {
    pub spec: RingSpec,
    /// The members at time zero.
    pub initial: Vec<NodeSpec>,
    /// Every node of the run, members and spares, by id.
    pub nodes: Vec<NodeSpec>,
    /// Gossip seeds: where a joining node first gossips.
    pub seeds: Vec<NodeId>,
    /// The ring views built so far, shared by the nodes whose member sets
    /// agree (a cache: it changes what a view costs, never what it is).
    pub views: Arc<RingViews>,
    /// The views' starting membership lists, shared likewise.
    pub gossip_start: Arc<gossip::StartCache>,
}

impl ClusterPlan {
    fn node(&self, id: NodeId) -> NodeSpec {
        self.nodes
            .get(id.index())
            .cloned()
            .unwrap_or_else(|| NodeSpec::plain(id))
    }
}

/// A status change in a node's membership view, on the node's clock: the
/// membership figures (detection time, false positives, join spread) are
/// read from these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberEvent {
    pub at: SimTime,
    pub peer: NodeId,
    /// `None`: the peer was unknown here until now.
    pub was: Option<gossip::Status>,
    pub status: gossip::Status,
}

impl DynamoNode {
    /// Starts gossiping: an initial member knows the initial members, a
    /// spare only itself (it learns the rest from a seed).
    pub(super) fn start_gossip(&mut self, now: SimTime, out: &mut impl Outbox<Msg, Timer>) {
        let Some(config) = self.config.gossip.clone() else {
            return;
        };
        if let Some(g) = &mut self.gossip {
            // A restart: the list is configuration, kept; the rest is new.
            g.restart(now);
            let changes = g.take_transitions();
            self.membership_changed(now, &changes, out);
        } else {
            let plan = &self.config.plan;
            let me = plan.node(self.id);
            let mut current = plan.initial.clone();
            if !current.iter().any(|s| s.node == self.id) {
                current = vec![me.clone()];
            }
            // The run's initial ring stands in for an equal view, so the
            // nodes that start with it share it with the clients.
            let initial_ring = self.directory.shared_ring();
            let reuse =
                (self.directory.members() == initial_ring.members()).then_some(&initial_ring);
            let view = plan.views.view(&plan.spec, &plan.initial, &current, reuse);
            let known: Vec<(NodeId, Arc<NodeState>)> = view
                .declared
                .iter()
                .filter(|(node, _)| *node != self.id)
                .cloned()
                .collect();
            let own = view
                .declared_by(self.id)
                .cloned()
                .unwrap_or_else(|| declared(&me, &[]));
            let g = Gossip::starting(
                self.id,
                config.clone(),
                own,
                &known,
                plan.seeds.clone(),
                now,
                &plan.gossip_start,
            );
            self.view_epoch = g.members_epoch();
            if !Arc::ptr_eq(&view.ring, &initial_ring) {
                self.directory = self.directory.with_ring(view.ring.clone());
            }
            self.gossip = Some(g);
        }
        // Nodes start their rounds at different offsets, as real ones would.
        let offset = SimTime(self.rng.random_range(0..config.interval.0.max(1)));
        out.set_timer(offset, Timer::Gossip);
    }

    /// A gossip round, and the next one scheduled.
    pub(super) fn gossip_tick(&mut self, now: SimTime, out: &mut impl Outbox<Msg, Timer>) {
        if let Some(g) = &self.gossip {
            out.set_timer(g.config().interval, Timer::Gossip);
        }
        self.gossip_round(now, out);
    }

    fn gossip_round(&mut self, now: SimTime, out: &mut impl Outbox<Msg, Timer>) {
        let Some(g) = &mut self.gossip else {
            return;
        };
        let (messages, changes) = g.tick(now, &mut self.rng);
        for (to, msg) in messages {
            out.send(Endpoint::Node(to), Msg::Gossip(msg));
        }
        self.membership_changed(now, &changes, out);
    }

    pub(super) fn on_gossip(
        &mut self,
        now: SimTime,
        from: NodeId,
        msg: gossip::GossipMsg,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        let Some(g) = &mut self.gossip else {
            return;
        };
        let (messages, changes) = g.on_message(now, from, msg);
        for (to, msg) in messages {
            out.send(Endpoint::Node(to), Msg::Gossip(msg));
        }
        self.membership_changed(now, &changes, out);
    }

    /// Records status changes and, when the member set changed, rebuilds
    /// the ring view and hands over the keys that moved.
    fn membership_changed(
        &mut self,
        now: SimTime,
        changes: &[Transition],
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        for t in changes {
            self.member_events.push(MemberEvent {
                at: now,
                peer: t.node,
                was: t.from,
                status: t.to,
            });
            out.note("member", |f| {
                f.node("peer", t.node).str("status", t.to.as_str());
                if let Some(from) = t.from {
                    f.str("was", from.as_str());
                }
            });
        }
        let Some(g) = &self.gossip else {
            return;
        };
        if g.members_epoch() == self.view_epoch {
            return;
        }
        self.view_epoch = g.members_epoch();
        let current: Vec<NodeSpec> = g
            .members()
            .map(|(node, state)| NodeSpec {
                node,
                region: state.region,
                weight: state.weight,
            })
            .collect();
        let old = self.directory.clone();
        let view = self.adopt_view(now, &current, &old, out);
        if !self.leaving {
            // Under strategy 3 a join takes partitions from the others: the
            // tokens this node owns change, and it says so.
            if let (Some(g), Some(mine)) = (&mut self.gossip, view.declared_by(self.id)) {
                if g.entry(self.id).is_none_or(|e| *e.state != *mine) {
                    g.declare(mine.clone());
                }
            }
        }
    }

    /// Takes the ring view of the member set `current` and hands over the
    /// keys whose replicas moved since `old`.
    fn adopt_view(
        &mut self,
        now: SimTime,
        current: &[NodeSpec],
        old: &super::Directory,
        out: &mut impl Outbox<Msg, Timer>,
    ) -> Arc<super::views::RingView> {
        let plan = &self.config.plan;
        let view = plan.views.view(&plan.spec, &plan.initial, current, None);
        self.directory = self.directory.with_ring(view.ring.clone());
        out.note("view", |f| {
            f.nodes("members", self.directory.members());
        });
        self.hand_over(old, now, out);
        self.rebuild_forest();
        view
    }

    /// The member set of this node's view with `member` in or out, as
    /// specs sorted by node.
    fn members_with(&self, member: NodeId, joined: bool) -> Vec<NodeSpec> {
        let mut nodes: Vec<NodeId> = self.directory.members().to_vec();
        nodes.retain(|&n| n != member);
        if joined {
            nodes.push(member);
        }
        nodes.sort_unstable();
        nodes
            .into_iter()
            .map(|n| self.config.plan.node(n))
            .collect()
    }

    /// Membership told rather than gossiped (`Config::told_membership`:
    /// `dynsim check` tells each node the member set after a join or a
    /// leave at a step of its own, as gossip would reach it at a time of
    /// its own): the view becomes that of `members`, and the keys that
    /// moved are handed over as after a gossiped change.
    pub(super) fn learn_membership(
        &mut self,
        now: SimTime,
        members: &[NodeId],
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        if !self.config.told_membership || self.gossip.is_some() {
            return;
        }
        let mut nodes = members.to_vec();
        nodes.sort_unstable();
        nodes.dedup();
        if nodes.is_empty() || nodes == self.directory.members() {
            return;
        }
        let current: Vec<NodeSpec> = nodes
            .into_iter()
            .map(|n| self.config.plan.node(n))
            .collect();
        let old = self.directory.clone();
        self.adopt_view(now, &current, &old, out);
    }

    /// Sends each key whose replicas changed between `old` and the current
    /// view to its new replicas. One old replica sends (the first of the
    /// old top N this node believes reachable, or a leaving node, which
    /// holds what others may not), so a join is not flooded N times over.
    fn hand_over(
        &mut self,
        old: &super::Directory,
        now: SimTime,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        let n = self.config.n;
        let mut sends: Vec<(NodeId, Key, Siblings)> = Vec::new();
        for (key, state) in self.store.iter() {
            if state.is_empty() {
                continue;
            }
            let before = old.preference(key);
            let before = &before[..n.min(before.len())];
            let sender = self.leaving
                || before
                    .iter()
                    .find(|&&r| r == self.id || self.reachable(r, now))
                    .is_some_and(|&r| r == self.id);
            if !sender {
                continue;
            }
            let after = self.directory.preference(key);
            for &r in &after[..n.min(after.len())] {
                if r != self.id && !before.contains(&r) {
                    sends.push((r, key, state.clone()));
                }
            }
        }
        for (to, key, state) in sends {
            self.stats.transfers += 1;
            self.handover.unacked.insert((key, to));
            out.send(Endpoint::Node(to), Msg::Transfer { key, state });
        }
        self.arm_transfers(out);
    }

    fn arm_transfers(&mut self, out: &mut impl Outbox<Msg, Timer>) {
        if !self.handover.armed && !self.handover.unacked.is_empty() {
            out.set_timer(self.config.request_timeout, Timer::Transfers);
            self.handover.armed = true;
        }
    }

    /// Sends again, with what this node now holds, every transfer still
    /// unacknowledged, unless the view has moved on and the receiver no
    /// longer replicates the key, or there is nothing left to send.
    pub(super) fn retry_transfers(&mut self, out: &mut impl Outbox<Msg, Timer>) {
        self.handover.armed = false;
        let n = self.config.n;
        let unacked = std::mem::take(&mut self.handover.unacked);
        for (key, to) in unacked {
            let preference = self.directory.preference(key);
            let still_owner = preference[..n.min(preference.len())].contains(&to);
            let Some(state) = self.store.get(key).filter(|s| !s.is_empty()) else {
                continue;
            };
            if still_owner {
                self.stats.transfer_retries += 1;
                self.handover.unacked.insert((key, to));
                let state = state.clone();
                out.send(Endpoint::Node(to), Msg::Transfer { key, state });
            }
        }
        self.arm_transfers(out);
    }

    /// A transferred key was merged by its new replica `from`: once every
    /// new replica has it, drop it here if this node no longer replicates
    /// it and nothing was written since. The drop is a trace line
    /// (`dropped`), so a reader of the trace alone can rebuild each
    /// node's store.
    pub(super) fn on_transfer_ack(
        &mut self,
        from: NodeId,
        key: Key,
        state: &Siblings,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        self.handover.unacked.remove(&(key, from));
        if self.handover.awaits(key) {
            return;
        }
        if !self.directory.is_replica(key, self.id) && self.store.remove_if(key, state) {
            self.forget(key, state);
            self.stats.transfers_dropped += 1;
            out.note("dropped", |f| {
                f.key("key", key)
                    .values("values", &state.values())
                    .str("why", "handed over");
            });
        }
    }

    /// A graceful leave: say so by gossip, hand every key over, and stop
    /// once the handover had time to land. Without gossip the ring cannot
    /// learn of it, and the node stops at once.
    pub(super) fn leave(&mut self, now: SimTime, out: &mut impl Outbox<Msg, Timer>) {
        let Some(g) = &mut self.gossip else {
            if self.config.told_membership {
                self.leave_told(now, out);
            } else {
                out.halt();
            }
            return;
        };
        self.leaving = true;
        g.leave();
        let interval = g.config().interval;
        let changes = g.take_transitions();
        self.membership_changed(now, &changes, out);
        // Tell some peers now rather than at the next round.
        self.gossip_round(now, out);
        let linger =
            (interval + interval).max(self.config.request_timeout + self.config.request_timeout);
        out.set_timer(linger, Timer::Leave);
    }

    /// A graceful leave when membership is told: the others learn of it
    /// at steps of their own; this node takes itself out of its view,
    /// hands every key over (from the view with itself in, so a leave
    /// resumed after a crash sends everything again), and stops after
    /// two request timeouts.
    fn leave_told(&mut self, now: SimTime, out: &mut impl Outbox<Msg, Timer>) {
        self.leaving = true;
        let with_me = self.members_with(self.id, true);
        let plan = &self.config.plan;
        let before = plan.views.view(&plan.spec, &plan.initial, &with_me, None);
        let old = self.directory.with_ring(before.ring.clone());
        let without_me = self.members_with(self.id, false);
        self.adopt_view(now, &without_me, &old, out);
        let linger = self.config.request_timeout + self.config.request_timeout;
        out.set_timer(linger, Timer::Leave);
    }
}
