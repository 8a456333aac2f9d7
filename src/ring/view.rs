//! The lookup view of a layout: the key ranges in ring order, each with its
//! preference list precomputed (Dynamo §4.3: "the list of nodes that is
//! responsible for storing a particular key").
//!
//! The ring is a clockwise *sequence* of owners (one entry per token for
//! strategies 1 and 2, one per partition for strategy 3) and a list of
//! *ranges* (a token's or a partition's slice of the space), each pointing
//! at the sequence step its walk starts from. For strategy 1 range i starts
//! at token i; for strategy 2, partition p starts at the first token at or
//! after the partition's end; for strategy 3, partition p starts at itself.
//! A preference list is the distinct owners met walking the sequence from
//! there, reordered by the placement rule.

use super::hash::{SPACE, partition_end};
use super::{Layout, Placement, Position, Strategy};
use crate::id::NodeId;

/// The lookup view built from a layout. Immutable, so nodes and clients
/// can share one through an `Arc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ring {
    n: u32,
    /// Every member of the layout, ascending.
    members: Vec<NodeId>,
    /// Region of each member, by index into `members`.
    regions: Vec<u32>,
    /// Inclusive end of each range, ascending. Range i is
    /// (ends[i-1], ends[i]], range 0 wrapping from the last end. Never
    /// empty: a ring with no tokens is one range with no preference list.
    ends: Vec<Position>,
    /// `buckets[b]`: the first range whose end is at or past `b <<
    /// bucket_shift`, and `ends.len()` last; a lookup then searches only
    /// the ranges between two buckets (one or two on average) instead of
    /// every range. About one bucket per range, at most 2^16.
    buckets: Vec<u32>,
    bucket_shift: u32,
    /// Where each range's clockwise walk starts, an index into `sequence`.
    walk_start: Vec<u32>,
    /// Member index owning each step of the clockwise walk.
    sequence: Vec<u32>,
    /// Preference lists, `stride` entries per range (fewer only when the
    /// ring has fewer members on it, then `stride` is that count).
    prefs: Vec<NodeId>,
    stride: usize,
    /// The ranges each member holds a replica of (it is among the first N
    /// of their preference lists), ascending: `replicated[held_from[m]..
    /// held_from[m + 1]]` for member index m. Anti-entropy keeps a tree per
    /// replicated range; with a thousand members, scanning every range's
    /// list for each member cost more than the rest of a node's start.
    held_from: Vec<u32>,
    replicated: Vec<u32>,
}

/// One key range: (after, end], wrapping past `u64::MAX` when
/// `after >= end`; the whole ring when `after == end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRange {
    pub after: Position,
    pub end: Position,
}

impl KeyRange {
    pub fn contains(&self, pos: Position) -> bool {
        if self.after < self.end {
            self.after < pos && pos <= self.end
        } else {
            pos > self.after || pos <= self.end
        }
    }

    /// The range's size as a fraction of the ring, in (0, 1].
    pub fn fraction(&self) -> f64 {
        let size = (u128::from(self.end) + SPACE - u128::from(self.after)) % SPACE;
        let size = if size == 0 { SPACE } else { size };
        size as f64 / SPACE as f64
    }
}

impl Ring {
    pub(super) fn build(layout: &Layout, n: u32, placement: Placement) -> Ring {
        let members: Vec<NodeId> = layout.members().iter().map(|m| m.spec.node).collect();
        let regions: Vec<u32> = layout.members().iter().map(|m| m.spec.region).collect();
        let (sequence, ends, walk_start) = match layout.strategy() {
            Strategy::RandomTokens => {
                let sequence = token_sequence(layout);
                let ends: Vec<Position> = sequence.iter().map(|&(t, _)| t).collect();
                let starts = (0..ends.len() as u32).collect();
                (owners(&sequence), ends, starts)
            }
            Strategy::EqualPartitions => {
                let sequence = token_sequence(layout);
                let q = layout.partitions();
                let ends: Vec<Position> = (0..q).map(|p| partition_end(p, q)).collect();
                let starts = ends
                    .iter()
                    .map(|&end| first_at_or_after(&sequence, end) as u32)
                    .collect();
                (owners(&sequence), ends, starts)
            }
            Strategy::QOverS => {
                let q = layout.partitions();
                let mut owner = vec![u32::MAX; q as usize];
                for (i, member) in layout.members().iter().enumerate() {
                    for &t in &member.tokens {
                        owner[super::partition_of(t, q) as usize] = i as u32;
                    }
                }
                // A layout deals every partition; should one be unowned, it
                // falls to the next owned partition clockwise, like a
                // missing token would.
                let owned: Vec<(Position, u32)> = owner
                    .iter()
                    .enumerate()
                    .filter(|&(_, &o)| o != u32::MAX)
                    .map(|(p, &o)| (partition_end(p as u32, q), o))
                    .collect();
                if owned.len() == owner.len() {
                    let ends = owned.iter().map(|&(e, _)| e).collect();
                    (owner, ends, (0..q).collect())
                } else {
                    let ends = owned.iter().map(|&(e, _)| e).collect();
                    let starts = (0..owned.len() as u32).collect();
                    (owners(&owned), ends, starts)
                }
            }
        };
        let on_ring = distinct_count(&sequence, members.len());
        let stride = on_ring.min(2 * n.max(1) as usize);
        let mut ring = Ring {
            n,
            members,
            regions,
            ends,
            buckets: Vec::new(),
            bucket_shift: 0,
            walk_start,
            sequence,
            prefs: Vec::new(),
            stride,
            held_from: Vec::new(),
            replicated: Vec::new(),
        };
        if ring.ends.is_empty() || stride == 0 {
            ring.ends = vec![u64::MAX];
            ring.walk_start = vec![0];
            ring.stride = 0;
        } else {
            ring.prefs = super::placement::preference_lists(&ring, placement, on_ring);
        }
        (ring.buckets, ring.bucket_shift) = buckets(&ring.ends);
        (ring.held_from, ring.replicated) = replicated_ranges(&ring);
        ring
    }

    /// N, the replicas per key (the list holds fewer when fewer nodes are
    /// on the ring).
    pub fn n(&self) -> usize {
        self.n as usize
    }

    /// Every member of the layout, ascending.
    pub fn members(&self) -> &[NodeId] {
        &self.members
    }

    /// The key's preference list: the coordinator first, then the rest of
    /// its `n()` replicas (distinct physical nodes), then fallbacks for a
    /// sloppy quorum; min(nodes on the ring, 2N) entries in all. Binary
    /// search, no allocation.
    pub fn preference_list(&self, pos: Position) -> &[NodeId] {
        self.range_preference_list(self.range_index(pos))
    }

    /// The first min(N, nodes) entries of the preference list: where the
    /// key's replicas live.
    pub fn replicas(&self, pos: Position) -> &[NodeId] {
        let list = self.preference_list(pos);
        &list[..list.len().min(self.n())]
    }

    /// Whether `node` holds one of the key's N replicas.
    pub fn is_replica(&self, pos: Position, node: NodeId) -> bool {
        self.replicas(pos).contains(&node)
    }

    /// The key's coordinator, `None` on a ring with no one on it.
    pub fn coordinator(&self, pos: Position) -> Option<NodeId> {
        self.preference_list(pos).first().copied()
    }

    /// Every distinct member on the ring, in preference order: the
    /// preference list, then the rest clockwise. For fallbacks deeper than
    /// the preference list. Allocates one flag per member.
    pub fn walk(&self, pos: Position) -> impl Iterator<Item = NodeId> + '_ {
        let range = self.range_index(pos);
        let listed = self.range_preference_list(range);
        let mut seen = vec![false; self.members.len()];
        for node in listed {
            if let Ok(i) = self.members.binary_search(node) {
                seen[i] = true;
            }
        }
        let start = self.walk_start[range] as usize;
        let len = self.sequence.len();
        let rest = (0..len).filter_map(move |step| {
            let owner = self.sequence[(start + step) % len] as usize;
            (!std::mem::replace(&mut seen[owner], true)).then_some(self.members[owner])
        });
        listed.iter().copied().chain(rest)
    }

    /// How many key ranges the ring has (tokens for strategy 1, Q for 2
    /// and 3). Merkle trees are kept per range.
    pub fn range_count(&self) -> usize {
        self.ends.len()
    }

    /// The range holding `pos`: the first range whose end is at or after
    /// it, wrapping to range 0.
    pub fn range_index(&self, pos: Position) -> usize {
        // The answer lies between the bucket's first range and the next
        // bucket's (whose end is past every position in this bucket).
        let b = (pos >> self.bucket_shift) as usize;
        let lo = self.buckets.get(b).map_or(0, |&i| i as usize);
        let hi = self
            .buckets
            .get(b + 1)
            .map_or(self.ends.len(), |&i| (i as usize + 1).min(self.ends.len()));
        let i = lo + self.ends[lo..hi].partition_point(|&end| end < pos);
        if i == self.ends.len() { 0 } else { i }
    }

    /// Range `i` (`i < range_count()`).
    pub fn range(&self, i: usize) -> KeyRange {
        let after = if i == 0 {
            self.ends[self.ends.len() - 1]
        } else {
            self.ends[i - 1]
        };
        KeyRange {
            after,
            end: self.ends[i],
        }
    }

    /// Every range, in ring order.
    pub fn ranges(&self) -> impl Iterator<Item = KeyRange> + '_ {
        (0..self.range_count()).map(|i| self.range(i))
    }

    /// The ranges `node` holds one of the N replicas of, ascending (none
    /// when it is not a member).
    pub fn replicated_ranges(&self, node: NodeId) -> impl Iterator<Item = usize> + '_ {
        let held = match self.members.binary_search(&node) {
            Ok(m) => &self.replicated[self.held_from[m] as usize..self.held_from[m + 1] as usize],
            Err(_) => &[],
        };
        held.iter().map(|&i| i as usize)
    }

    /// The preference list of range `i` (`i < range_count()`).
    pub fn range_preference_list(&self, i: usize) -> &[NodeId] {
        &self.prefs[i * self.stride..(i + 1) * self.stride]
    }

    pub(super) fn region_of(&self, member: usize) -> u32 {
        self.regions[member]
    }

    pub(super) fn member_id(&self, member: usize) -> NodeId {
        self.members[member]
    }

    pub(super) fn sequence(&self) -> &[u32] {
        &self.sequence
    }

    pub(super) fn walk_starts(&self) -> &[u32] {
        &self.walk_start
    }

    pub(super) fn stride(&self) -> usize {
        self.stride
    }
}

/// Every token with its member index, ascending by position; of tokens at
/// one position (a 2^-64 chance) the lower node keeps it.
fn token_sequence(layout: &Layout) -> Vec<(Position, u32)> {
    let mut tokens: Vec<(Position, u32)> = layout
        .members()
        .iter()
        .enumerate()
        .flat_map(|(i, m)| m.tokens.iter().map(move |&t| (t, i as u32)))
        .collect();
    tokens.sort_unstable();
    tokens.dedup_by_key(|&mut (t, _)| t);
    tokens
}

fn owners(sequence: &[(Position, u32)]) -> Vec<u32> {
    sequence.iter().map(|&(_, owner)| owner).collect()
}

/// The index of the first token at or after `pos`, wrapping to 0.
fn first_at_or_after(sequence: &[(Position, u32)], pos: Position) -> usize {
    let i = sequence.partition_point(|&(t, _)| t < pos);
    if i == sequence.len() { 0 } else { i }
}

fn distinct_count(sequence: &[u32], members: usize) -> usize {
    let mut seen = vec![false; members];
    sequence
        .iter()
        .filter(|&&o| !std::mem::replace(&mut seen[o as usize], true))
        .count()
}

/// The bucket table of `Ring::buckets` for sorted `ends`, and its shift.
fn buckets(ends: &[Position]) -> (Vec<u32>, u32) {
    let count = ends.len().next_power_of_two().clamp(2, 1 << 16);
    let shift = 64 - count.trailing_zeros();
    let mut table: Vec<u32> = (0..count as u64)
        .map(|b| ends.partition_point(|&end| end < b << shift) as u32)
        .collect();
    table.push(ends.len() as u32);
    (table, shift)
}

/// The inverse of the preference lists' first N entries, by member, as
/// `Ring::held_from` and `Ring::replicated` hold it (a counting sort).
fn replicated_ranges(ring: &Ring) -> (Vec<u32>, Vec<u32>) {
    let member = |node: &NodeId| ring.members.binary_search(node).ok();
    let replicas = |i: usize| {
        let list = ring.range_preference_list(i);
        list[..list.len().min(ring.n())].iter().filter_map(member)
    };
    let ranges = if ring.stride == 0 {
        0
    } else {
        ring.range_count()
    };
    let mut held_from = vec![0u32; ring.members.len() + 1];
    for i in 0..ranges {
        for m in replicas(i) {
            held_from[m + 1] += 1;
        }
    }
    for m in 0..ring.members.len() {
        held_from[m + 1] += held_from[m];
    }
    let mut next: Vec<u32> = held_from[..ring.members.len()].to_vec();
    let mut replicated = vec![0u32; held_from[ring.members.len()] as usize];
    for i in 0..ranges {
        for m in replicas(i) {
            replicated[next[m] as usize] = i as u32;
            next[m] += 1;
        }
    }
    (held_from, replicated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The bucketed lookup finds the range a plain binary search over
    /// every end finds, for ends clustered or spread, near and at them.
    #[test]
    fn range_index_agrees_with_a_search_of_every_end() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for count in [1usize, 2, 3, 7, 64, 500, 4096] {
            let mut ends: Vec<Position> = (0..count)
                .map(|i| match i % 3 {
                    0 => rng.random(),
                    1 => rng.random_range(0..1 << 20),
                    _ => u64::MAX - rng.random_range(0..1 << 20),
                })
                .collect();
            ends.sort_unstable();
            ends.dedup();
            let (buckets, bucket_shift) = buckets(&ends);
            let ring = Ring {
                n: 1,
                members: Vec::new(),
                regions: Vec::new(),
                ends: ends.clone(),
                buckets,
                bucket_shift,
                walk_start: Vec::new(),
                sequence: Vec::new(),
                prefs: Vec::new(),
                stride: 0,
                held_from: vec![0],
                replicated: Vec::new(),
            };
            let plain = |pos: Position| {
                let i = ends.partition_point(|&end| end < pos);
                if i == ends.len() { 0 } else { i }
            };
            let near_ends = ends
                .iter()
                .flat_map(|&e| [e.wrapping_sub(1), e, e.wrapping_add(1)]);
            let random = (0..2000).map(|_| rng.random::<u64>());
            for pos in near_ends.chain(random).chain([0, u64::MAX]) {
                assert_eq!(ring.range_index(pos), plain(pos), "{count} ends, {pos}");
            }
        }
    }
}
