//! The `membership` and `anti_entropy` sections of `summary.json`: what
//! gossip and Merkle anti-entropy did, and how well the nodes knew the
//! truth.

use crate::run::RunOutput;
use crate::time::SimTime;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Membership {
    /// Per crash and per node up throughout: ms until its view said down.
    pub detection_ms: Vec<f64>,
    /// (crash, node) pairs never detected before the node came back or
    /// the run ended.
    pub undetected: u64,
    /// Live nodes declared down (by a node that was up itself).
    pub false_positives: u64,
    /// `[[ms, nodes], ...]`: at each sample, the up nodes whose view
    /// differs from the truth.
    pub views_differ: Vec<(f64, u64)>,
    /// Per join: ms until every node up throughout knew the newcomer
    /// (`null`: some never did).
    pub join_ms: Vec<Option<f64>>,
    /// Per leave: ms until every node up throughout saw it leave.
    pub leave_ms: Vec<Option<f64>>,
    /// Gossip traffic per node per second in the cluster.
    pub gossip_messages_per_node_s: f64,
    pub gossip_bytes_per_node_s: f64,
    /// Keys handed to new replicas after joins and leaves, and dropped by
    /// their old replicas once received.
    pub keys_transferred: u64,
    /// Transfers sent again for want of an acknowledgement.
    pub transfers_sent_again: u64,
    pub keys_dropped: u64,
    /// Replica messages that reached a node holding no replica by its own
    /// view: stale views.
    pub misrouted: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct AntiEntropy {
    pub enabled: bool,
    /// (Range, peer) comparisons a node starts every interval.
    pub ranges_per_exchange: u32,
    /// How long every node takes to compare each range it replicates with
    /// each other replica of it, at the slowest node of the initial ring:
    /// ranges × (N-1) / `ranges_per_exchange` intervals; `null` when off.
    pub full_pass_ms: Option<f64>,
    /// Tree comparisons started.
    pub exchanges: u64,
    /// Tree hashes sent in comparisons.
    pub hashes_sent: u64,
    /// Key states sent to repair divergence.
    pub keys_sent: u64,
}

/// `null` with gossip off.
pub fn membership(out: &RunOutput) -> Option<Membership> {
    let m = out.membership.as_ref()?;
    let per_node_s = |x: u64| {
        if m.node_seconds > 0.0 {
            x as f64 / m.node_seconds
        } else {
            0.0
        }
    };
    Some(Membership {
        detection_ms: m.figures.detection_ms.clone(),
        undetected: m.figures.undetected,
        false_positives: m.figures.false_positives,
        views_differ: m
            .views_differ
            .iter()
            .map(|&(t, n)| (t.as_millis_f64(), n))
            .collect(),
        join_ms: m.figures.join_ms.clone(),
        leave_ms: m.figures.leave_ms.clone(),
        gossip_messages_per_node_s: per_node_s(m.gossip_messages),
        gossip_bytes_per_node_s: per_node_s(m.gossip_bytes),
        keys_transferred: out.nodes.transfers,
        transfers_sent_again: out.nodes.transfer_retries,
        keys_dropped: out.nodes.transfers_dropped,
        misrouted: out.nodes.misrouted,
    })
}

pub fn anti_entropy(out: &RunOutput, settings: &crate::scenario::AntiEntropy) -> AntiEntropy {
    AntiEntropy {
        enabled: settings.enabled,
        ranges_per_exchange: settings.ranges_per_exchange,
        full_pass_ms: out.anti_entropy_full_pass.map(SimTime::as_millis_f64),
        exchanges: out.nodes.ae_exchanges,
        hashes_sent: out.nodes.ae_hashes_sent,
        keys_sent: out.nodes.ae_keys_sent,
    }
}
