//! Strategy 3 of Dynamo §6.2, "Q/S tokens per node, equal-sized
//! partitions": who owns which of the Q partitions, at the start and after a
//! join or a leave.
//!
//! The start is a seeded shuffle of the partitions dealt out by quota (Q
//! split in proportion to weight, the remainder by largest remainder). A
//! joining node takes partitions one at a time from the most loaded node
//! until it holds its quota; a leaving node's partitions go one at a time
//! to the least loaded. "Load" is partitions per unit of weight. Only the
//! newcomer gains on a join and only the leaver loses on a leave, so
//! ownership moves no more than it must (§6.2: "the partitions are
//! stolen/handed over").
//!
//! Randomness is a ChaCha8 stream keyed by the ring seed, a purpose tag and
//! a node id, with uniform draws written here, so the dealing is fixed by
//! this file and ChaCha's specification, not by `rand`'s algorithms.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

use crate::id::NodeId;

/// One member's claim: its id, weight and the partitions it owns.
#[derive(Clone, Debug)]
pub(super) struct Holding {
    pub node: NodeId,
    pub weight: u32,
    pub partitions: Vec<u32>,
}

const INITIAL_SHUFFLE: u64 = 1;
const JOIN_DRAWS: u64 = 2;

/// A ChaCha8 stream for one purpose: seed LE ‖ purpose LE ‖ node LE ‖ zeros.
fn stream(seed: u64, purpose: u64, node: NodeId) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&purpose.to_le_bytes());
    key[16..20].copy_from_slice(&node.0.to_le_bytes());
    ChaCha8Rng::from_seed(key)
}

/// A draw in `0..bound` (bound ≥ 1) by multiply-shift; the bias, at most
/// bound / 2^64, does not matter for dealing partitions.
fn below(rng: &mut ChaCha8Rng, bound: usize) -> usize {
    ((u128::from(rng.next_u64()) * bound as u128) >> 64) as usize
}

/// The weights dealing uses: all ones when every weight is 0, so the
/// partitions always have owners.
fn effective_weights(weights: &[u32]) -> Vec<u64> {
    if weights.iter().all(|&w| w == 0) {
        vec![1; weights.len()]
    } else {
        weights.iter().map(|&w| u64::from(w)).collect()
    }
}

/// Q split in proportion to weight: floor shares, then one more each to the
/// largest remainders (ties to the earlier member).
pub(super) fn quotas(weights: &[u32], partitions: u32) -> Vec<u32> {
    let weights = effective_weights(weights);
    let total: u64 = weights.iter().sum();
    if total == 0 {
        return Vec::new();
    }
    let q = u64::from(partitions);
    let mut quota: Vec<u32> = weights.iter().map(|w| (q * w / total) as u32).collect();
    let dealt: u64 = quota.iter().map(|&x| u64::from(x)).sum();
    let mut by_remainder: Vec<usize> = (0..weights.len()).collect();
    by_remainder.sort_by_key(|&i| (Reverse(q * weights[i] % total), i));
    for &i in by_remainder.iter().take((q - dealt) as usize) {
        quota[i] += 1;
    }
    quota
}

/// The starting ownership: a seeded shuffle of 0..Q dealt by quota, in
/// member order.
pub(super) fn deal_initial(seed: u64, holders: &mut [Holding], partitions: u32) {
    let weights: Vec<u32> = holders.iter().map(|h| h.weight).collect();
    let quota = quotas(&weights, partitions);
    let mut order: Vec<u32> = (0..partitions).collect();
    let mut rng = stream(seed, INITIAL_SHUFFLE, NodeId(0));
    for i in (1..order.len()).rev() {
        let j = below(&mut rng, i + 1);
        order.swap(i, j);
    }
    let mut next = order.into_iter();
    for (holder, &count) in holders.iter_mut().zip(&quota) {
        holder.partitions = next.by_ref().take(count as usize).collect();
    }
}

/// Partitions per unit of weight, compared exactly by cross-multiplying;
/// weight 0 holding anything counts as infinitely loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Load {
    owned: u64,
    weight: u64,
}

impl Ord for Load {
    fn cmp(&self, other: &Self) -> Ordering {
        let mine = u128::from(self.owned) * u128::from(other.weight);
        let theirs = u128::from(other.owned) * u128::from(self.weight);
        mine.cmp(&theirs)
    }
}

impl PartialOrd for Load {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `holders[newcomer]` (holding nothing) takes its quota of the new
/// membership, one partition at a time from the most loaded holder (ties:
/// the lower node id), a partition drawn at random from the donor's.
pub(super) fn join(seed: u64, holders: &mut [Holding], newcomer: usize, partitions: u32) {
    let weights: Vec<u32> = holders.iter().map(|h| h.weight).collect();
    let effective = effective_weights(&weights);
    let target = quotas(&weights, partitions)[newcomer];
    let mut rng = stream(seed, JOIN_DRAWS, holders[newcomer].node);
    // Only holders with something to give are donors, which keeps the load
    // order transitive (0 partitions at weight 0 would tie with everything).
    let mut donors: BinaryHeap<(Load, Reverse<NodeId>, usize)> = holders
        .iter()
        .enumerate()
        .filter(|(i, h)| *i != newcomer && !h.partitions.is_empty())
        .map(|(i, h)| (load(h, effective[i]), Reverse(h.node), i))
        .collect();
    for _ in 0..target {
        let Some((before, node, donor)) = donors.pop() else {
            break;
        };
        let owned = &mut holders[donor].partitions;
        let taken = owned.swap_remove(below(&mut rng, owned.len()));
        if !owned.is_empty() {
            donors.push((load(&holders[donor], before.weight), node, donor));
        }
        holders[newcomer].partitions.push(taken);
    }
}

/// `holders[leaver]`'s partitions, ascending, go one at a time to the least
/// loaded of the others (ties: the lower node id). Weight-0 members receive
/// nothing unless every other member weighs 0.
pub(super) fn leave(holders: &mut [Holding], leaver: usize) {
    let mut given = std::mem::take(&mut holders[leaver].partitions);
    given.sort_unstable();
    let others: Vec<usize> = (0..holders.len()).filter(|&i| i != leaver).collect();
    let weights: Vec<u32> = others.iter().map(|&i| holders[i].weight).collect();
    let effective = effective_weights(&weights);
    let mut takers: BinaryHeap<Reverse<(Load, NodeId, usize)>> = others
        .iter()
        .zip(&effective)
        .filter(|&(_, &w)| w > 0)
        .map(|(&i, &w)| Reverse((load(&holders[i], w), holders[i].node, i)))
        .collect();
    for partition in given {
        let Some(Reverse((before, node, taker))) = takers.pop() else {
            break;
        };
        holders[taker].partitions.push(partition);
        takers.push(Reverse((load(&holders[taker], before.weight), node, taker)));
    }
}

fn load(holder: &Holding, weight: u64) -> Load {
    Load {
        owned: holder.partitions.len() as u64,
        weight,
    }
}
