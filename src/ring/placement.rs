//! Replica placement (Dynamo §4.3): from a range's clockwise walk, its
//! preference list — the coordinator and the next N-1 distinct physical
//! nodes ("skipping positions in the ring to ensure that the list contains
//! only distinct physical nodes"), then fallbacks — or, region-aware, the
//! same list with distinct regions pulled forward into the top N (§4.6:
//! replicas span data centers).
//!
//! Computed once per ring, for every range, so a lookup is a slice.

use super::Placement;
use super::view::Ring;
use crate::id::NodeId;

/// Every range's preference list, `ring.stride()` entries each, flat.
/// `on_ring` is how many members own at least one step of the walk.
pub(super) fn preference_lists(ring: &Ring, placement: Placement, on_ring: usize) -> Vec<NodeId> {
    let stride = ring.stride();
    let top = ring.n().clamp(1, on_ring);
    // Region-aware fills the top N and the fallbacks from the clockwise
    // order less at most N nodes pulled forward, so `stride + top` deep is
    // always enough.
    let depth = match placement {
        Placement::Clockwise => stride,
        Placement::RegionAware => (stride + top).min(on_ring),
    };
    let clockwise = clockwise_lists(ring.sequence(), ring.members().len(), depth);
    let target_regions = {
        let mut regions: Vec<u32> = ring
            .sequence()
            .iter()
            .map(|&m| ring.region_of(m as usize))
            .collect();
        regions.sort_unstable();
        regions.dedup();
        regions.len().min(top)
    };
    let mut out = Vec::with_capacity(ring.walk_starts().len() * stride);
    let mut reordered = Vec::with_capacity(depth);
    for &start in ring.walk_starts() {
        let start = start as usize;
        let walk = &clockwise[start * depth..(start + 1) * depth];
        let order = match placement {
            Placement::Clockwise => walk,
            Placement::RegionAware => {
                region_aware(ring, start, walk, target_regions, &mut reordered);
                &reordered[..]
            }
        };
        out.extend(order[..stride].iter().map(|&m| ring.member_id(m as usize)));
    }
    out
}

/// For every step i of the walk, the first `depth` distinct owners met from
/// step i clockwise, flat. `depth` must not exceed the distinct owners.
///
/// The distinct order from step i is owner(i), then the distinct order
/// from step i+1 without owner(i); cut to `depth`, the second needs only
/// `depth` entries of step i+1's list. So one direct walk (from step 0)
/// and one backward pass give every list in O(steps * depth).
fn clockwise_lists(sequence: &[u32], members: usize, depth: usize) -> Vec<u32> {
    let len = sequence.len();
    let mut lists = vec![0u32; len * depth];
    if len == 0 || depth == 0 {
        return lists;
    }
    lists[..depth].copy_from_slice(&distinct_from(sequence, members, 0, depth));
    for i in (1..len).rev() {
        let next = (i + 1) % len;
        let owner = sequence[i];
        let (head, tail) = lists.split_at_mut(i * depth);
        let (here, after) = tail.split_at_mut(depth);
        let from = if next == 0 {
            &head[..depth]
        } else {
            &after[..depth]
        };
        here[0] = owner;
        let mut k = 1;
        for &m in from {
            if k == depth {
                break;
            }
            if m != owner {
                here[k] = m;
                k += 1;
            }
        }
    }
    lists
}

/// The first `depth` distinct owners walking from step `start`, by a direct
/// walk (fewer if the ring has fewer).
fn distinct_from(sequence: &[u32], members: usize, start: usize, depth: usize) -> Vec<u32> {
    let mut seen = vec![false; members];
    let mut out = Vec::with_capacity(depth);
    for step in 0..sequence.len() {
        if out.len() == depth {
            break;
        }
        let owner = sequence[(start + step) % sequence.len()];
        if !std::mem::replace(&mut seen[owner as usize], true) {
            out.push(owner);
        }
    }
    out
}

/// The region-aware order of the range whose walk starts at step `start`:
/// clockwise from there, each node of a region not yet used, until
/// `target_regions` regions (the coordinator comes first: its region is
/// new); then the top N filled, and the fallbacks listed, from `walk` (the
/// clockwise distinct order) without the nodes already chosen.
///
/// The first node met of each new region is the one chosen, so the region
/// phase walks raw steps and stops at the last region it needs: no full
/// walk even when one region is rare.
fn region_aware(
    ring: &Ring,
    start: usize,
    walk: &[u32],
    target_regions: usize,
    order: &mut Vec<u32>,
) {
    order.clear();
    let mut used_regions: Vec<u32> = Vec::with_capacity(target_regions);
    let sequence = ring.sequence();
    for step in 0..sequence.len() {
        if used_regions.len() == target_regions {
            break;
        }
        let owner = sequence[(start + step) % sequence.len()];
        let region = ring.region_of(owner as usize);
        if !used_regions.contains(&region) {
            used_regions.push(region);
            order.push(owner);
        }
    }
    // The rest of the top N and then the fallbacks: both are the clockwise
    // order less the chosen, so one pass lists them.
    let chosen = order.len();
    for &m in walk {
        if !order[..chosen].contains(&m) {
            order.push(m);
        }
    }
}
