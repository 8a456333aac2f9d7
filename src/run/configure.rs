//! Configures the sans-IO protocol from a scenario: the node's shared
//! settings (`node::Config`, Dynamo §4.5-§4.8), who the nodes are
//! (`node::ClusterPlan`) and gossip's timing. Here, not in `node` or
//! `gossip`, so that the protocol knows nothing of the scenario file.

use crate::gossip;
use crate::id::NodeId;
use crate::net::topology::region_indices;
use crate::node::{AntiEntropyConfig, ClusterPlan, Config};
use crate::ring::NodeSpec;
use crate::scenario::{DeleteMode, Scenario, Versioning};
use crate::time::SimTime;
use crate::version::Mode;
use std::sync::Arc;

/// The settings every node of the scenario's run shares.
pub fn node_config(scenario: &Scenario) -> Config {
    let r = &scenario.replication;
    Config {
        n: r.n as usize,
        r: r.r as usize,
        w: r.w as usize,
        request_timeout: r.request_timeout,
        sloppy_quorum: r.sloppy_quorum,
        hinted_handoff: r.hinted_handoff,
        read_repair: r.read_repair,
        mode: match r.versioning {
            Versioning::VectorClock => Mode::VectorClock {
                truncate: r.clock_truncation,
            },
            Versioning::Dvv => Mode::Dvv,
            Versioning::Lww => Mode::Lww,
        },
        max_siblings: r.max_siblings as usize,
        key_epochs: r.key_epochs,
        delete_mode: match r.delete_mode {
            DeleteMode::Keep => None,
            DeleteMode::Immediate => Some(SimTime::ZERO),
            DeleteMode::After(delay) => Some(delay),
        },
        reap_needs_all_primaries: r.reap_needs_all_primaries,
        handoff_interval: r.handoff_interval,
        suspect_for: r.suspect_for,
        gossip: scenario
            .gossip
            .enabled
            .then(|| gossip_config(&scenario.gossip)),
        anti_entropy: scenario.anti_entropy.enabled.then_some(AntiEntropyConfig {
            interval: scenario.anti_entropy.interval,
            tree_depth: scenario.anti_entropy.tree_depth,
            ranges_per_exchange: scenario.anti_entropy.ranges_per_exchange,
        }),
        plan: cluster_plan(scenario),
        told_membership: false,
        dot_assertion: true,
        deliberate_bug: None,
    }
}

/// Who the scenario's nodes are: members, spares, regions, seeds.
pub fn cluster_plan(scenario: &Scenario) -> ClusterPlan {
    let total = scenario.total_nodes();
    let regions = region_indices(&scenario.cluster, total);
    let nodes: Vec<NodeSpec> = (0..total)
        .map(|i| NodeSpec {
            node: NodeId(i),
            region: regions.get(i as usize).copied().unwrap_or(0),
            weight: 1,
        })
        .collect();
    ClusterPlan {
        spec: scenario.ring_spec(),
        initial: nodes[..scenario.cluster.nodes as usize].to_vec(),
        nodes,
        seeds: scenario.cluster.seeds.clone(),
        views: Arc::default(),
        gossip_start: Arc::default(),
    }
}

fn gossip_config(g: &crate::scenario::Gossip) -> gossip::Config {
    gossip::Config {
        interval: g.interval,
        fanout: g.fanout,
        suspect_after: g.suspect_after,
        reporters: g.reporters,
        protocol: match g.protocol {
            crate::scenario::GossipProtocol::Heartbeats => gossip::Protocol::Heartbeats,
            crate::scenario::GossipProtocol::Swim => gossip::Protocol::Swim,
        },
    }
}
