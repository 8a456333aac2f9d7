//! One node's membership view and the failure detector over it.

use super::{Config, Entry, GossipMsg, NodeState, Outgoing, Status};
use crate::id::NodeId;
use crate::time::SimTime;
use rand::Rng;

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
    me: NodeId,
    config: Config,
    seeds: Vec<NodeId>,
    // the rest is the implementer's choice; lookups by node are O(log n)
    // or better, and nothing iterates a HashMap.
}

impl Gossip {
    /// A node starting at `now` (its own clock) with generation `now`, the
    /// state it declares, and the nodes it knows from configuration (the
    /// initial members for an initial member, nothing for a spare, which
    /// learns through `seeds`). Known nodes start Alive with heartbeat 0 and
    /// their progress clock at `now`.
    pub fn new(
        me: NodeId,
        config: Config,
        own: NodeState,
        known: &[(NodeId, NodeState)],
        seeds: Vec<NodeId>,
        now: SimTime,
    ) -> Gossip {
        todo!()
    }

    /// Every `interval`: bump the own heartbeat, refresh suspicions (a peer
    /// whose heartbeat has not advanced for `suspect_after`; never self, never
    /// a Left node), recompute statuses, and send a `Syn` to `fanout`
    /// distinct peers drawn uniformly from the known nodes that are not
    /// Left and not self (Down ones included, so a healed cut is found
    /// again); a node that knows no such peer sends to its seeds (not
    /// itself). Returns the messages and the status changes.
    pub fn tick(&mut self, now: SimTime, rng: &mut impl Rng) -> (Vec<Outgoing>, Vec<Transition>) {
        todo!()
    }

    /// A gossip message from `from`: merge what it carries, answer a `Syn`
    /// with an `Ack` and an `Ack` with an `Ack2` (none when there is nothing
    /// to send), recompute statuses. Returns the reply and the changes.
    pub fn on_message(
        &mut self,
        now: SimTime,
        from: NodeId,
        msg: GossipMsg,
    ) -> (Option<GossipMsg>, Vec<Transition>) {
        todo!()
    }

    /// This node's status of `node` (`None` if unknown). O(log n) or better:
    /// the coordinator asks on every request.
    pub fn status(&self, node: NodeId) -> Option<Status> {
        todo!()
    }

    /// Whether `node` is known, not Down and not Left here.
    pub fn looks_up(&self, node: NodeId) -> bool {
        todo!()
    }

    /// The ring members in this view (known and not Left), sorted by node,
    /// with their declared state.
    pub fn members(&self) -> impl Iterator<Item = (NodeId, &NodeState)> + '_ {
        todo!();
        #[allow(unreachable_code)]
        std::iter::empty()
    }

    /// Bumped whenever the member set (known and not Left) changes, so the
    /// embedding node rebuilds its ring view only then.
    pub fn members_epoch(&self) -> u64 {
        todo!()
    }

    /// The entry this view holds for `node`.
    pub fn entry(&self, node: NodeId) -> Option<&Entry> {
        todo!()
    }

    /// Every known node and its status here, sorted by node.
    pub fn statuses(&self) -> impl Iterator<Item = (NodeId, Status)> + '_ {
        todo!();
        #[allow(unreachable_code)]
        std::iter::empty()
    }

    /// Declares a graceful leave: the own state becomes `left` with a new
    /// version, to be gossiped from the next tick on.
    pub fn leave(&mut self) {
        todo!()
    }

    /// Replaces the own declared state (new tokens after a view change),
    /// with a new version.
    pub fn declare(&mut self, state: NodeState) {
        todo!()
    }

    /// Back after a crash that lost memory: a new generation (`now`), the
    /// list kept (the ring membership is configuration, on disk) but every
    /// heartbeat's progress clock restarted at `now` and no suspicion held.
    pub fn restart(&mut self, now: SimTime) {
        todo!()
    }

    pub fn sent_messages(&self) -> u64 {
        todo!()
    }

    pub fn sent_bytes(&self) -> u64 {
        todo!()
    }

    pub fn me(&self) -> NodeId {
        self.me
    }

    pub fn config(&self) -> &Config {
        &self.config
    }
}
