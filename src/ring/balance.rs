//! Load balance of a ring, as Dynamo §6.2 measures it for Figure 8: each
//! node's share of the key space it replicates, and the load-balancing
//! efficiency, the mean share over the largest.
//!
//! A share counts every range whose top N (the key's replicas) include the
//! node, by the range's size. Shares therefore sum to min(N, nodes on the
//! ring), not to 1: with N = 3 and 30 equal nodes each share is about 0.1.

use super::view::Ring;
use crate::id::NodeId;

impl Ring {
    /// Each member's share of the key space it replicates (is among the
    /// key's first N), in member order. The shares sum to min(N, nodes on
    /// the ring); a member with no range has share 0.
    pub fn shares(&self) -> Vec<(NodeId, f64)> {
        let members = self.members();
        let mut share = vec![0.0f64; members.len()];
        for (i, range) in self.ranges().enumerate() {
            let fraction = range.fraction();
            let list = self.range_preference_list(i);
            for node in &list[..list.len().min(self.n())] {
                if let Ok(m) = members.binary_search(node) {
                    share[m] += fraction;
                }
            }
        }
        members.iter().copied().zip(share).collect()
    }

    /// Load-balancing efficiency (Dynamo Figure 8): mean share over the
    /// largest share, in (0, 1]; 1 is perfect balance. 0 for a ring with no
    /// one on it.
    pub fn efficiency(&self) -> f64 {
        let shares = self.shares();
        let max = shares.iter().map(|&(_, s)| s).fold(0.0, f64::max);
        if max <= 0.0 {
            return 0.0;
        }
        let mean = shares.iter().map(|&(_, s)| s).sum::<f64>() / shares.len() as f64;
        mean / max
    }
}
