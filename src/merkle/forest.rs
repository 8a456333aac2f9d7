//! A node's trees: one per key range it replicates, and the digest of each
//! key it holds in them.
//!
//! The digests are what make the trees incremental: a key's old
//! contribution can be XORed out of its leaf only if the old digest is
//! known. They also answer the leaf level of the exchange (`keys_in`), so
//! the node's store is consulted only to ship the states that differ.

use std::collections::BTreeMap;

use super::{Tree, key_hash};
use crate::id::Key;
use crate::ring::{KeyRange, Position};

/// Bytes a tracked key is reckoned to cost in the digest map: its 24
/// bytes of payload (position, key, digest, padded) plus a B-tree node's
/// share of slack and links. An estimate for memory figures, not a
/// measurement.
const ENTRY_BYTES: usize = 48;

/// Two forests are equal when they have the same depth, ranges and
/// tracked digests (and so the same trees).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Forest {
    depth: u32,
    /// Sorted by range end, ends distinct.
    trees: Vec<Tree>,
    /// The digest of every key held in some tree's range; ordered by
    /// position, so a leaf's keys are one range scan.
    digests: BTreeMap<(Position, Key), u64>,
}

impl Forest {
    /// Empty trees of `depth` (capped at [`Tree::MAX_DEPTH`]) over `ranges`
    /// (disjoint). Of two ranges with one end only the first is kept.
    pub fn new(depth: u32, ranges: impl IntoIterator<Item = KeyRange>) -> Forest {
        let depth = depth.min(Tree::MAX_DEPTH);
        let mut trees: Vec<Tree> = ranges.into_iter().map(|r| Tree::new(r, depth)).collect();
        trees.sort_by_key(|t| t.range().end);
        trees.dedup_by_key(|t| t.range().end);
        Forest {
            depth,
            trees,
            digests: BTreeMap::new(),
        }
    }

    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// The key's state is now `digest` (`None`: gone). Updates its leaf
    /// incrementally; a key in none of the ranges is ignored. Returns
    /// whether a tree changed (the key's digest did; a tree then changes
    /// unless two contributions collide, odds 2^-64).
    pub fn update(&mut self, key: Key, position: Position, digest: Option<u64>) -> bool {
        let Some(t) = self.tree_index(position) else {
            return false;
        };
        let old = match digest {
            Some(d) => self.digests.insert((position, key), d),
            None => self.digests.remove(&(position, key)),
        };
        if old == digest {
            return false;
        }
        let contribution = |d: Option<u64>| d.map_or(0, |d| key_hash(position, key, d));
        let tree = &mut self.trees[t];
        tree.toggle(
            tree.leaf_of(position),
            contribution(old) ^ contribution(digest),
        );
        true
    }

    /// The ranges, sorted by end.
    pub fn ranges(&self) -> impl Iterator<Item = KeyRange> + '_ {
        self.trees.iter().map(Tree::range)
    }

    /// The tree of exactly `range`, if this forest has one.
    pub fn tree(&self, range: KeyRange) -> Option<&Tree> {
        let i = self
            .trees
            .binary_search_by_key(&range.end, |t| t.range().end)
            .ok()?;
        let tree = &self.trees[i];
        (tree.range() == range).then_some(tree)
    }

    /// The keys (and digests) held in `leaves` of `range`'s tree, by
    /// position then key. Leaves out of range or repeated are skipped; an
    /// unknown range has no keys.
    pub fn keys_in(&self, range: KeyRange, leaves: &[u32]) -> Vec<(Key, u64)> {
        let Some(tree) = self.tree(range) else {
            return Vec::new();
        };
        let mut leaves = leaves.to_vec();
        leaves.sort_unstable();
        leaves.dedup();
        let mut found: Vec<(Position, Key, u64)> = Vec::new();
        for (first, last) in leaves.iter().filter_map(|&l| tree.leaf_positions(l)) {
            if first <= last {
                self.scan(first, last, &mut found);
            } else {
                self.scan(first, Position::MAX, &mut found);
                self.scan(0, last, &mut found);
            }
        }
        // Leaves go round the ring from the range's start; when the range
        // passes u64::MAX, restore plain position order.
        if range.after >= range.end {
            found.sort_unstable();
        }
        found.into_iter().map(|(_, k, d)| (k, d)).collect()
    }

    /// Appends the tracked keys at positions first..=last.
    fn scan(&self, first: Position, last: Position, into: &mut Vec<(Position, Key, u64)>) {
        let span = (first, Key(0))..=(last, Key(u32::MAX));
        into.extend(self.digests.range(span).map(|(&(p, k), &d)| (p, k, d)));
    }

    /// The digest tracked for `key` at `position`, if any.
    pub fn digest(&self, key: Key, position: Position) -> Option<u64> {
        self.digests.get(&(position, key)).copied()
    }

    /// Keys tracked.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The trees' arrays plus the digest map, reckoned at 48 bytes a
    /// tracked key (see `ENTRY_BYTES`).
    pub fn heap_bytes(&self) -> usize {
        let trees: usize = self.trees.iter().map(Tree::heap_bytes).sum();
        self.trees.capacity() * std::mem::size_of::<Tree>() + trees + self.len() * ENTRY_BYTES
    }

    /// The tree whose range holds `position`: the first range ending at or
    /// after it, or, past the last end, the first range (the one that
    /// wraps). Disjointness makes that the only candidate.
    fn tree_index(&self, position: Position) -> Option<usize> {
        let i = self.trees.partition_point(|t| t.range().end < position);
        let i = if i == self.trees.len() { 0 } else { i };
        let tree = self.trees.get(i)?;
        tree.range().contains(position).then_some(i)
    }
}
