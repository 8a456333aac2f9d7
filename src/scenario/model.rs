//! The typed scenario: what a run needs, after parsing, defaults and
//! validation. Every field here has passed validation, so the simulator
//! never re-checks it (a bad value is the parser's bug, not the run's).
//!
//! Field names follow the scenario contract in DESIGN.md; defaults live in
//! `defaults.rs` and nowhere else.

use crate::id::NodeId;
use crate::time::{Rate, SimTime};

#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// `[a-z0-9-]+`; names the report folder.
    pub name: String,
    pub description: String,
    pub seed: u64,
    /// The workload runs this long.
    pub duration: SimTime,
    /// Then no client operations for this long: time to converge.
    pub quiesce: SimTime,
    pub cluster: Cluster,
    pub replication: Replication,
    pub network: Network,
    pub gossip: Gossip,
    pub anti_entropy: AntiEntropy,
    /// `[metrics]`: how the run samples figures over time.
    pub metrics: Metrics,
    /// `[report]`: choices about the report's pictures; none changes the run.
    pub report: ReportSettings,
    /// `[values]`: what a value is (opaque labels, or a type the clients
    /// merge siblings by).
    pub values: Values,
    /// `None` when the file has no `[workload]`: only scripted operations.
    pub workload: Option<Workload>,
    /// `[[op]]` entries, sorted by `at` (stable, so file order breaks ties).
    pub ops: Vec<ScriptedOp>,
    /// Named clients of scripted operations, in order of first appearance;
    /// `ScriptedOp::client` indexes this list.
    pub named_clients: Vec<String>,
    /// `[[fault]]` entries, sorted by `at` (stable).
    pub faults: Vec<Fault>,
    pub nemesis: Option<Nemesis>,
    pub expect: Expect,
    /// `[check]`: the bounds of `dynsim check`'s exploration; `None` when
    /// the file has no such section (`dynsim run` ignores it).
    pub check: Option<Check>,
}

impl Scenario {
    /// When the run ends: the workload, then the quiet period.
    pub fn end(&self) -> SimTime {
        self.duration + self.quiesce
    }
    /// Nodes in the ring at the start plus the spares that may join.
    pub fn total_nodes(&self) -> u32 {
        self.cluster.nodes + self.cluster.spares
    }
    /// The ring settings: the cluster's strategy and placement, N, and the
    /// seed that draws the tokens.
    pub fn ring_spec(&self) -> crate::ring::RingSpec {
        let c = &self.cluster;
        crate::ring::RingSpec {
            strategy: c.strategy,
            vnodes: c.vnodes,
            partitions: c.partitions,
            placement: c.placement,
            n: self.replication.n,
            seed: self.seed,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    /// Nodes `n1..=n{nodes}` start in the ring.
    pub nodes: u32,
    /// Region names and sizes, filled in order over `n1..`; empty means one
    /// region named `default` holding every node (spares included).
    pub regions: Vec<(String, u32)>,
    /// Racks per region; a region's nodes are dealt to its racks in turn.
    pub racks: u32,
    pub vnodes: u32,
    pub strategy: Strategy,
    /// Q, for strategies 2 and 3.
    pub partitions: u32,
    pub placement: Placement,
    pub seeds: Vec<NodeId>,
    /// Extra nodes `n{nodes+1}..` outside the ring, for joins.
    pub spares: u32,
}

/// `cluster.strategy` and `cluster.placement` are the ring's own types, so
/// the scenario and the ring share one definition: Dynamo's partitioning
/// strategies 1-3 (`random-tokens`, `equal-partitions`, `q-over-s`) and the
/// replica placement (`clockwise`, `region-aware`). See `crate::ring`.
pub use crate::ring::{Placement, Strategy};

/// `replication.delete_mode`: when a delete's tombstone goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteMode {
    /// Tombstones stay for ever.
    Keep,
    /// Reaped as soon as the delete is acknowledged.
    Immediate,
    /// Reaped this long after the delete (Riak's default: 3 s).
    After(SimTime),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Replication {
    pub n: u32,
    pub r: u32,
    pub w: u32,
    pub request_timeout: SimTime,
    pub sloppy_quorum: bool,
    pub hinted_handoff: bool,
    pub read_repair: bool,
    pub versioning: Versioning,
    /// 0 = never truncate.
    pub clock_truncation: u32,
    /// A put that would leave a key more siblings than this fails, as in
    /// Riak; 0 = no cap.
    pub max_siblings: u32,
    /// Riak's KV679 fix: a node that forgets what it minted on a key
    /// mints under a fresh actor name there.
    pub key_epochs: bool,
    /// When a tombstone is reaped (Riak's `delete_mode`).
    pub delete_mode: DeleteMode,
    /// Riak's rule: reap only once every primary holds the tombstone and
    /// no other node holds the key; `false` reaps on the delay alone.
    pub reap_needs_all_primaries: bool,
    /// How often a node holding hints offers them to their owners.
    pub handoff_interval: SimTime,
    /// How long a node (or client) that saw a peer let a request time out
    /// keeps treating it as unreachable, unless it hears from it first.
    pub suspect_for: SimTime,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Versioning {
    VectorClock,
    Dvv,
    Lww,
}

/// A latency distribution, as written in the file. Every time is a
/// `SimTime`; samples are clamped at zero.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Constant {
        value: SimTime,
    },
    Uniform {
        min: SimTime,
        max: SimTime,
    },
    Exponential {
        mean: SimTime,
    },
    /// Clamped at zero.
    Normal {
        mean: SimTime,
        sd: SimTime,
    },
    /// Given by its median and 99th percentile (p99 >= p50).
    LogNormal {
        p50: SimTime,
        p99: SimTime,
    },
    /// `scale` is the minimum; `shape` (alpha) > 0.
    Pareto {
        scale: SimTime,
        shape: f64,
    },
    /// Weights need not sum to one; they are normalised.
    Mixture {
        parts: Vec<(f64, Dist)>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// Between nodes of one region (and between a client and its node).
    pub latency: Dist,
    /// Between nodes of one region on different racks; `None`: `latency`.
    pub inter_rack: Option<Dist>,
    /// Between regions.
    pub inter_region: Dist,
    /// Per-link overrides, both directions unless `one_way`.
    pub links: Vec<LinkOverride>,
    /// Probability a message is lost, in [0, 1].
    pub loss: f64,
    /// Probability a message is delivered twice, in [0, 1].
    pub duplicate: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LinkOverride {
    pub from: NodeId,
    pub to: NodeId,
    pub one_way: bool,
    pub latency: Dist,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Gossip {
    /// Off: membership is static and reachability comes from request
    /// timeouts alone (the node issue's behaviour, kept for contrast).
    pub enabled: bool,
    pub interval: SimTime,
    pub fanout: u32,
    pub suspect_after: SimTime,
    pub reporters: u32,
    pub protocol: GossipProtocol,
}

/// `gossip.protocol`: how nodes learn who is alive (`gossip::Protocol`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GossipProtocol {
    /// Every node's heartbeat gossiped to every node.
    Heartbeats,
    /// SWIM's probes, suspicions and piggybacked news.
    Swim,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AntiEntropy {
    pub enabled: bool,
    pub interval: SimTime,
    pub tree_depth: u32,
    /// How many (range, peer) comparisons a node starts every `interval`.
    pub ranges_per_exchange: u32,
}

/// `[report]`: the window of the report's space-time diagram. Each field
/// set is fixed; the rest are chosen as `dynsim lamport` chooses them.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ReportSettings {
    pub spacetime_from: Option<SimTime>,
    pub spacetime_until: Option<SimTime>,
    pub spacetime_key: Option<String>,
}

/// `[check]`: how far `dynsim check` may stray from the fault-free
/// executions, and the one execution a counterexample replays.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Check {
    /// Messages the network may lose, in one execution.
    pub max_drops: u32,
    /// Messages the network may deliver twice, in one execution.
    pub max_duplicates: u32,
    /// Node crashes (each restarted later, disk kept), in one execution.
    pub max_crashes: u32,
    /// Times a protocol timer (a request or client timeout, a handoff
    /// tick) may fire while messages are still in flight, in one
    /// execution: a reply slower than a timeout. With 0 the network is
    /// faster than every timer; scripted ops start at their `at` anyway.
    pub max_early_timers: u32,
    /// A counterexample's execution, as the index of the step taken at
    /// each state among the steps enabled there; empty: explore them all.
    pub schedule: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    /// The run samples figures over time (divergent keys) every this
    /// long, and once more at the end.
    pub sample_interval: SimTime,
    /// How `summary.staleness.by_time_since_commit` cuts time since commit.
    pub staleness_buckets: StalenessBuckets,
}

/// The buckets of the staleness curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StalenessBuckets {
    /// Edges at 0, then 1, 2 and 5 times each power of ten from 0.1 ms up
    /// past the longest time: stale reads live in the first milliseconds.
    Log,
    /// Twenty equal buckets up to the 99th percentile of the time.
    Linear,
}

/// `[values]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Values {
    pub value_type: ValueType,
}

pub use crate::value::ValueType;

#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub clients: u32,
    pub keys: u32,
    pub key_dist: KeyDist,
    /// Weights of gets and puts; normalised, not both zero.
    pub mix_get: f64,
    pub mix_put: f64,
    /// Deletes' weight (each reads the key first, then writes a tombstone
    /// with the read's context).
    pub mix_delete: f64,
    /// Updates' weight (typed values: each reads the key, merges the
    /// siblings by the type, changes the result and writes it back).
    pub mix_update: f64,
    pub mode: LoopMode,
    /// Open loop: Poisson arrivals at this total rate over all clients.
    pub rate: Rate,
    /// Share of puts that read first and send the context, in [0, 1].
    pub read_modify_write: f64,
    pub balancer: Balancer,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KeyDist {
    Uniform,
    /// `zipf(s)`, s > 0.
    Zipf(f64),
    /// `hotset(fraction, probability)`: `probability` of the requests go to
    /// the first `fraction` of the keys.
    HotSet {
        fraction: f64,
        probability: f64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopMode {
    Open,
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Balancer {
    PartitionAware,
    Generic,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScriptedOp {
    pub at: SimTime,
    /// Index into `Scenario::named_clients`.
    pub client: u32,
    pub key: String,
    pub kind: ScriptedKind,
    /// Send to this node instead of the balancer's choice.
    pub via: Option<NodeId>,
    /// The exact set of values a get must return (an expectation).
    pub returns: Option<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ScriptedKind {
    Get,
    Put {
        value: String,
        context: PutContext,
    },
    /// A delete: a put of a tombstone, with the context of the client's
    /// last read by default.
    Delete {
        context: PutContext,
    },
    /// An update of a typed value: read, merge the siblings, remove
    /// `remove`, add `add` (sets) or add `delta` (a counter), write back
    /// with the read's context.
    Update {
        add: Vec<String>,
        remove: Vec<String>,
        delta: i64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutContext {
    /// The context of this client's last read of the key.
    LastRead,
    /// A blind put.
    None,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    pub at: SimTime,
    pub action: FaultAction,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FaultAction {
    /// Nodes in different groups cannot reach each other; nodes in no group
    /// form one more group together.
    Partition(Vec<Vec<NodeId>>),
    HealAll,
    /// Reopens every link between two members of each listed group.
    Heal(Vec<Vec<NodeId>>),
    Isolate(NodeId),
    /// One way: `from` can no longer reach `to`.
    Cut {
        from: NodeId,
        to: NodeId,
    },
    /// `left` and `right` cannot reach each other; `via` reaches both.
    Bridge {
        left: Vec<NodeId>,
        right: Vec<NodeId>,
        via: NodeId,
    },
    /// A majority and a minority side, drawn from the fault stream.
    SplitMajority,
    Crash(NodeId),
    Restart {
        node: NodeId,
        wipe_disk: bool,
    },
    Pause(NodeId),
    Resume(NodeId),
    /// Message loss probability until `until`, then the file's value again.
    Loss {
        probability: f64,
        until: SimTime,
    },
    /// Every link's latency until `until`.
    Latency {
        dist: Dist,
        until: SimTime,
    },
    /// The node's clock reads true time plus this offset (ns, signed).
    Skew {
        node: NodeId,
        offset_ns: i64,
    },
    /// A spare joins through a seed.
    Join(NodeId),
    /// A member leaves gracefully.
    Leave(NodeId),
    /// The node loses its replica of one key (a bad sector), and nothing
    /// else (Riak's KV679 scenarios).
    Forget {
        node: NodeId,
        key: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Nemesis {
    pub rate: Rate,
    pub mix: NemesisMix,
    /// Every fault the nemesis starts is healed by then.
    pub heal_by: SimTime,
    /// How long each fault lasts: uniform in [min, max], cut short at heal_by.
    pub min_fault: SimTime,
    pub max_fault: SimTime,
}

/// Relative weights of the kinds of fault the nemesis draws.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NemesisMix {
    pub partition: f64,
    pub crash: f64,
    pub pause: f64,
    pub isolate: f64,
    pub cut: f64,
    pub loss: f64,
    pub skew: f64,
}

/// Expectations: each becomes a verdict in `summary.json`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Expect {
    pub lost_acked_writes: Option<u64>,
    pub stale_reads: Option<u64>,
    /// Lost acknowledged writes with fewer than W disks wiped after them.
    pub durability_violations: Option<u64>,
    pub converged_within: Option<SimTime>,
    /// ok / (ok + fail + timeout) over all operations.
    pub availability: Option<f64>,
    pub get_availability: Option<f64>,
    pub put_availability: Option<f64>,
    pub get_p99: Option<SimTime>,
    pub put_p99: Option<SimTime>,
    pub max_siblings: Option<u32>,
    /// Ok gets that returned a value beside one superseding it.
    pub superseded_siblings: Option<u64>,
    /// Items removed by an acknowledged write that a later get returned.
    pub resurrections: Option<u64>,
    /// Acknowledged adds the final state lacks with no remove that saw them.
    pub lost_adds: Option<u64>,
}
