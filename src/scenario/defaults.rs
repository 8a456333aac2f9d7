//! Every default of the scenario file, in one place. The README's table of
//! defaults is checked against these values by a test.

use super::model::*;
use crate::id::NodeId;
use crate::time::{Rate, SimTime};

pub const SEED: u64 = 1;
pub const DURATION: SimTime = SimTime::from_secs(60);
pub const QUIESCE: SimTime = SimTime::from_secs(30);

/// The largest cluster a scenario may ask for (nodes + spares). Beyond this
/// the all-pairs link tables stop being small; say so rather than thrash.
pub const MAX_NODES: u32 = 4096;
pub const MAX_VNODES: u32 = 4096;
/// `anti_entropy.ranges_per_exchange`: more (range, peer) comparisons an
/// interval than any ring here has pairs for a node.
pub const MAX_RANGES_PER_EXCHANGE: u32 = 65_536;
/// Q: the ring holds one entry per partition, so keep it bounded.
pub const MAX_PARTITIONS: u32 = 1 << 20;
pub const MAX_CLIENTS: u32 = 100_000;
pub const MAX_KEYS: u32 = 100_000_000;
/// Samples over time one run may take (`(duration + quiesce) /
/// metrics.sample_interval`): each costs a pass over the keys.
pub const MAX_SAMPLES: u64 = 1_000_000;

/// `gossip.suspect_after` when a file does not set it: 5 s, or, past 64
/// nodes on the initial ring (spares not counted), `interval` times (⌈log2 nodes⌉ − 1) rounds
/// when that is longer. With fanout 1 a heartbeat needs about log2 of the
/// cluster's size in rounds to reach every node, so a fixed 5 s calls live
/// nodes down by the thousand past a hundred nodes: measured over 40 s of
/// gossip, 3 false downs at 128 nodes, 66 at 256, 1,675 at 512 and 29,311
/// at 1,024, and none at 6, 6, 7 and 8 rounds (this rule gives 6, 7, 8
/// and 9). Up to 64 nodes the default is 5 s as before.
pub fn suspect_after(ring_nodes: u32, interval: SimTime) -> SimTime {
    const FIXED: SimTime = SimTime::from_secs(5);
    if ring_nodes <= 64 {
        return FIXED;
    }
    let log2_ceil = u64::from(ring_nodes.next_power_of_two().trailing_zeros());
    FIXED.max(SimTime(interval.0.saturating_mul(log2_ceil - 1)))
}

/// The default `gossip.protocol` for a ring of `ring_nodes` initial
/// members: heartbeats up to 64 nodes, SWIM past them. Gossiping every
/// heartbeat to every node costs n² digests a round: at 1,024 nodes that
/// was 1.7 s of CPU in a run whose requests took 0.5 s, and 196 MiB of
/// lists; SWIM's round costs each node the same at any size (0.68 s,
/// 56 MiB, the lists shared until written). Up to 64 nodes the heartbeat
/// protocol, which the lessons teach, stays the default.
pub fn gossip_protocol(ring_nodes: u32) -> GossipProtocol {
    if ring_nodes <= 64 {
        GossipProtocol::Heartbeats
    } else {
        GossipProtocol::Swim
    }
}

impl Scenario {
    /// A scenario with every default and no workload, faults or ops.
    pub fn with_defaults(name: &str) -> Scenario {
        Scenario {
            name: name.to_string(),
            description: String::new(),
            seed: SEED,
            duration: DURATION,
            quiesce: QUIESCE,
            cluster: Cluster::default(),
            replication: Replication::default(),
            network: Network::default(),
            gossip: Gossip::default(),
            anti_entropy: AntiEntropy::default(),
            metrics: Metrics::default(),
            report: ReportSettings::default(),
            values: Values::default(),
            workload: None,
            ops: Vec::new(),
            named_clients: Vec::new(),
            faults: Vec::new(),
            nemesis: None,
            expect: Expect::default(),
            check: None,
        }
    }
}

impl Default for Cluster {
    fn default() -> Self {
        Cluster {
            nodes: 8,
            regions: Vec::new(),
            racks: 1,
            vnodes: 32,
            strategy: Strategy::RandomTokens,
            partitions: 256,
            placement: Placement::Clockwise,
            seeds: vec![NodeId(0)],
            spares: 0,
        }
    }
}

impl Default for Replication {
    fn default() -> Self {
        Replication {
            n: 3,
            r: 2,
            w: 2,
            request_timeout: SimTime::from_millis(500),
            sloppy_quorum: true,
            hinted_handoff: true,
            read_repair: true,
            versioning: Versioning::VectorClock,
            clock_truncation: 10,
            // Riak's default.
            max_siblings: 100,
            key_epochs: true,
            // Riak's defaults: reap 3 s after the delete, by its rule.
            delete_mode: DeleteMode::After(SimTime::from_secs(3)),
            reap_needs_all_primaries: true,
            handoff_interval: SimTime::from_secs(1),
            suspect_for: SimTime::from_secs(2),
        }
    }
}

impl Default for Network {
    fn default() -> Self {
        Network {
            latency: Dist::LogNormal {
                p50: SimTime::from_millis(2),
                p99: SimTime::from_millis(25),
            },
            inter_rack: None,
            inter_region: Dist::LogNormal {
                p50: SimTime::from_millis(40),
                p99: SimTime::from_millis(90),
            },
            links: Vec::new(),
            loss: 0.0,
            duplicate: 0.0,
        }
    }
}

impl Default for Gossip {
    fn default() -> Self {
        Gossip {
            enabled: true,
            interval: SimTime::from_secs(1),
            fanout: 1,
            suspect_after: SimTime::from_secs(5),
            reporters: 2,
            protocol: GossipProtocol::Heartbeats,
        }
    }
}

impl Default for AntiEntropy {
    fn default() -> Self {
        AntiEntropy {
            enabled: true,
            interval: SimTime::from_secs(10),
            tree_depth: 10,
            ranges_per_exchange: 1,
        }
    }
}

// `Check` derives its default: no drops, duplicates, crashes or early
// timers, and no schedule (explore everything).

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            sample_interval: SimTime::from_secs(1),
            staleness_buckets: StalenessBuckets::Log,
        }
    }
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            clients: 16,
            keys: 10_000,
            key_dist: KeyDist::Zipf(0.99),
            mix_get: 0.5,
            mix_put: 0.5,
            mix_delete: 0.0,
            mix_update: 0.0,
            mode: LoopMode::Open,
            rate: Rate {
                count: 2000.0,
                per: SimTime::from_secs(1),
            },
            read_modify_write: 0.0,
            balancer: Balancer::PartitionAware,
        }
    }
}

impl Default for Nemesis {
    fn default() -> Self {
        Nemesis {
            rate: Rate {
                count: 1.0,
                per: SimTime::from_secs(10),
            },
            mix: NemesisMix {
                partition: 1.0,
                crash: 1.0,
                pause: 1.0,
                ..NemesisMix::default()
            },
            // Filled in by the parser when absent: the end of `duration`.
            heal_by: SimTime::ZERO,
            min_fault: SimTime::from_secs(1),
            max_fault: SimTime::from_secs(10),
        }
    }
}
