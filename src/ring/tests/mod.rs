//! Tests of the ring without the event loop: placement against a brute-force
//! walk, joins and leaves, and load balance (Dynamo §4.2, §4.3, §6.2).

mod balance;
mod membership;
mod placement;

use super::*;

pub(super) fn spec(strategy: Strategy, vnodes: u32, partitions: u32, seed: u64) -> RingSpec {
    RingSpec {
        strategy,
        vnodes,
        partitions,
        placement: Placement::Clockwise,
        n: 3,
        seed,
    }
}

/// `count` weight-1 nodes n1.., in region 0.
pub(super) fn nodes(count: u32) -> Vec<NodeSpec> {
    (0..count).map(|i| NodeSpec::plain(NodeId(i))).collect()
}

/// Key positions of `k0`..`k{count-1}`.
pub(super) fn key_positions(count: u32) -> Vec<Position> {
    (0..count)
        .map(|i| key_position(format!("k{i}").as_bytes()))
        .collect()
}
