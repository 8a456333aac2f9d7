//! The consistent-hashing ring: partitioning and replica placement, steps 1
//! and 2 of the Dynamo design (DeCandia et al., SOSP 2007, §4.2 and §4.3),
//! with the three partitioning strategies of §6.2.
//!
//! Pure code: no event loop, no clock, no randomness but the seeded,
//! specified functions in `hash` and `qos`. Two halves:
//! - [`Layout`] is token ownership, what one membership view agrees on: each
//!   member and the tokens (ring positions) it owns. Joins and leaves make a
//!   new layout.
//! - [`Ring`] is the lookup view built from a layout: the key ranges, each
//!   with its preference list precomputed, so a lookup is a binary search and
//!   a slice, with no allocation.
//!
//! The hash spec: a key's position is the first 8 bytes of MD5(key name),
//! big-endian ([`key_position`]). A range is (previous token, token]; the
//! coordinator of a key is the owner of the first token at or after its
//! position, wrapping around.

mod balance;
mod hash;
mod layout;
mod placement;
mod qos;
mod view;

#[cfg(test)]
mod tests;

use crate::id::NodeId;

pub use hash::{key_position, node_token, partition_end, partition_of};
pub use layout::Layout;
pub use view::{KeyRange, Ring};

/// A point on the ring: the first 8 bytes of the MD5 digest, big-endian.
pub type Position = u64;

/// Dynamo's partitioning strategies (§6.2 of the paper, Figure 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strategy {
    /// Strategy 1: T random tokens per node; a token's range is
    /// (previous token, token], so ranges have random sizes and partitioning
    /// and placement are one and the same.
    RandomTokens,
    /// Strategy 2: T random tokens per node and Q equal-sized partitions of
    /// the hash space. The tokens only decide placement: a partition lives
    /// on the first N distinct nodes met walking clockwise from its end.
    EqualPartitions,
    /// Strategy 3: Q equal partitions, each node owning Q/S of them (by
    /// weight); the tokens are the partition boundaries. A join takes
    /// partitions from the most loaded nodes, a leave deals them out to the
    /// least loaded.
    QOverS,
}

impl Strategy {
    /// Every strategy, in the paper's order.
    pub const ALL: [Strategy; 3] = [
        Strategy::RandomTokens,
        Strategy::EqualPartitions,
        Strategy::QOverS,
    ];

    /// The name used in scenario files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::RandomTokens => "random-tokens",
            Strategy::EqualPartitions => "equal-partitions",
            Strategy::QOverS => "q-over-s",
        }
    }

    /// The strategy named `name` (`random-tokens`, ...), if any.
    pub fn from_name(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// How a key's N replicas are chosen from the clockwise walk (§4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Placement {
    /// The coordinator and the next N-1 distinct physical nodes clockwise.
    Clockwise,
    /// The coordinator, then distinct regions first: clockwise, take a node
    /// only if its region is not yet used, until min(regions, N); then fill
    /// up to N with the next distinct nodes clockwise. Dynamo replicates
    /// across data centers for the same reason (§4.6).
    RegionAware,
}

impl Placement {
    pub const ALL: [Placement; 2] = [Placement::Clockwise, Placement::RegionAware];

    /// The name used in scenario files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Placement::Clockwise => "clockwise",
            Placement::RegionAware => "region-aware",
        }
    }

    /// The placement named `name` (`clockwise`, `region-aware`), if any.
    pub fn from_name(name: &str) -> Option<Placement> {
        Placement::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// The ring's parameters, the `[cluster]` and `replication.n` of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct RingSpec {
    pub strategy: Strategy,
    /// T: tokens per node of weight 1 (strategies 1 and 2).
    pub vnodes: u32,
    /// Q: equal partitions (strategies 2 and 3). Read when a layout is made;
    /// the layout keeps it.
    pub partitions: u32,
    pub placement: Placement,
    /// N: replicas per key.
    pub n: u32,
    /// Draws the random tokens (strategies 1, 2) and the initial shuffle
    /// and join choices (strategy 3).
    pub seed: u64,
}

/// A node as the ring needs to know it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    pub node: NodeId,
    /// Region index, for region-aware placement.
    pub region: u32,
    /// Capacity weight: tokens (strategies 1, 2) and partitions (strategy 3)
    /// scale with it. 1 is the default; 0 puts the node on no range.
    pub weight: u32,
}

impl NodeSpec {
    /// A node of weight 1 in region 0.
    pub fn plain(node: NodeId) -> NodeSpec {
        NodeSpec {
            node,
            region: 0,
            weight: 1,
        }
    }
}

/// A member of a ring view: the node and the tokens it owns, ascending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub spec: NodeSpec,
    pub tokens: Vec<Position>,
}

/// The most preference-list entries a ring may precompute (ranges × 2N):
/// 2^25 entries are 128 MiB of node ids.
pub const MAX_LIST_ENTRIES: u64 = 1 << 25;

/// How many preference-list entries a ring of `nodes` nodes under `spec`
/// precomputes, to refuse a ring too large before building it.
pub fn precomputed_entries(spec: &RingSpec, nodes: u32) -> u64 {
    let tokens = u64::from(nodes) * u64::from(spec.vnodes);
    let ranges = match spec.strategy {
        Strategy::RandomTokens => tokens,
        Strategy::EqualPartitions => tokens.max(u64::from(spec.partitions)),
        Strategy::QOverS => u64::from(spec.partitions),
    };
    ranges * u64::from(nodes.min(2 * spec.n))
}
