//! The membership figures of a finished run: every node's view changes,
//! judged against the simulator's life record (`check::membership`), and
//! the gossip traffic.

use super::World;
use crate::check::membership::{self, Observed, Truth};
use crate::id::NodeId;
use crate::node::DynamoNode;
use crate::scenario::{FaultAction, Scenario};
use crate::time::SimTime;
use crate::timeline::{Life, Status};

/// The membership figures of a run with gossip on.
#[derive(Clone, Debug)]
pub struct MembershipOutput {
    pub figures: membership::Figures,
    /// Gossip messages and bytes sent, over all nodes.
    pub gossip_messages: u64,
    pub gossip_bytes: u64,
    /// Seconds each node spent in the cluster, summed: the divisor of the
    /// per-node-per-second rates.
    pub node_seconds: f64,
    /// `(sample time, up nodes whose view differs from the truth)`.
    pub views_differ: Vec<(SimTime, u64)>,
}

/// Reads the membership figures off a finished world.
pub(super) fn membership_output(
    scenario: &Scenario,
    world: &World,
    views_differ: Vec<(SimTime, u64)>,
) -> Option<MembershipOutput> {
    if !scenario.gossip.enabled {
        return None;
    }
    let total = scenario.total_nodes();
    let truth = Truth::new(scenario.cluster.nodes, total, world.lifecycle());
    let mut observed: Vec<Observed> = world
        .nodes()
        .flat_map(|n| truth.observed(crate::actor::Node::id(n), n.member_events()))
        .collect();
    observed.sort_by_key(|o| (o.at, o.observer));
    let leaves: Vec<(SimTime, NodeId)> = world
        .fault_schedule()
        .iter()
        .filter_map(|(f, _)| match f.action {
            FaultAction::Leave(n) if truth.status(n, f.at) == Status::Up => Some((f.at, n)),
            _ => None,
        })
        .collect();
    let end = world.now();
    let figures = membership::figures(&truth, &observed, &leaves, total, end);
    let (mut gossip_messages, mut gossip_bytes) = (0, 0);
    for g in world.nodes().filter_map(DynamoNode::gossip) {
        gossip_messages += g.sent_messages();
        gossip_bytes += g.sent_bytes();
    }
    let node_seconds = (0..total)
        .map(|i| {
            let id = NodeId(i);
            // Time in the cluster: from time zero or the join, to the leave
            // or the end (crashed time included: it is still a member).
            let mut from = (i < scenario.cluster.nodes).then_some(SimTime::ZERO);
            let mut span = SimTime::ZERO;
            for e in world.lifecycle().iter().filter(|e| e.node == id) {
                match e.change {
                    Life::Status(Status::Up) if from.is_none() => from = Some(e.at),
                    Life::Status(Status::Left) => {
                        span += e.at - from.take().unwrap_or(e.at);
                    }
                    _ => {}
                }
            }
            if let Some(from) = from {
                span += end - from;
            }
            span.0 as f64 / 1e9
        })
        .sum();
    Some(MembershipOutput {
        figures,
        gossip_messages,
        gossip_bytes,
        node_seconds,
        views_differ,
    })
}
