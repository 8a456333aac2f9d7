//! One range's hash tree, kept as its non-zero leaves.
//!
//! Leaf i covers the positions whose offset into the range (`position -
//! after - 1`, wrapping) lies in the i-th of 2^depth equal slices of the
//! range's size: `leaf = offset · 2^depth / size`, in u128 so the whole
//! ring (size 2^64) needs no special case. A leaf's hash is the XOR of its
//! keys' contributions, so adding and removing a key are the same
//! `toggle`; an inner node is [`node_hash`] of its two children, 0 when
//! both are 0.
//!
//! Why only the leaves: a node's trees are many and sparse (on the
//! 16-node quorum workload each node keeps about a hundred trees of 1,024
//! leaves over some twenty keys each), and writes come by the hundred
//! thousand while comparisons come a few a second. A full array in heap
//! order cost 16 KiB a tree (45% of that run's page faults) and a
//! rehash of the path to the root on every write; a sorted list of the
//! non-zero leaves costs a search per write, and an inner hash is computed
//! from the leaves under it when an exchange asks for it, O(leaves under
//! it × levels below). The list is canonical (no zero leaf, sorted), so two
//! trees with the same hashes compare equal.

use super::{Hash, node_hash};
use crate::ring::{KeyRange, Position};

/// The hash tree of one key range: level 0 is the root, level `depth` the
/// 2^depth leaves; leaf i covers the i-th of 2^depth equal slices of the
/// range. An empty range hashes to 0 everywhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    range: KeyRange,
    depth: u32,
    /// `(leaf, hash)` of every leaf whose hash is not 0, by leaf.
    leaves: Vec<(u32, Hash)>,
}

/// 2^64, the size of the ring.
const SPACE: u128 = 1 << 64;

impl Tree {
    /// The deepest tree kept: 2^20 leaves (12 MiB if every one is
    /// non-zero). Deeper requests are cut to this, so no depth can
    /// overflow an index or exhaust memory.
    pub const MAX_DEPTH: u32 = 20;

    /// An empty tree over `range` (no allocation); `depth` is capped at
    /// [`Tree::MAX_DEPTH`].
    pub fn new(range: KeyRange, depth: u32) -> Tree {
        Tree {
            range,
            depth: depth.min(Tree::MAX_DEPTH),
            leaves: Vec::new(),
        }
    }

    pub fn range(&self) -> KeyRange {
        self.range
    }

    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// 2^depth.
    pub fn leaf_count(&self) -> u32 {
        1 << self.depth
    }

    /// The leaf covering `position` (which the range contains). A position
    /// outside the range maps to some leaf (never a panic); callers look
    /// the range up first.
    pub fn leaf_of(&self, position: Position) -> u32 {
        let offset = u128::from(position.wrapping_sub(self.range.after).wrapping_sub(1));
        let leaf = (offset << self.depth) / self.size();
        leaf.min(u128::from(self.leaf_count() - 1)) as u32
    }

    /// The positions leaf `leaf` covers: (after, end], as a range. A leaf
    /// past the last is read as the last. In a range of fewer positions
    /// than leaves some leaves cover nothing; their span comes out as
    /// `(x, x]`, which `KeyRange` reads as the whole ring, so code that
    /// must tell uses [`Tree::leaf_positions`].
    pub fn leaf_span(&self, leaf: u32) -> KeyRange {
        let leaf = leaf.min(self.leaf_count() - 1);
        let (lo, hi) = (self.slice_start(leaf), self.slice_start(leaf + 1));
        // Truncating 2^64 to 0 is the wrap it stands for.
        KeyRange {
            after: self.range.after.wrapping_add(lo as u64),
            end: self.range.after.wrapping_add(hi as u64),
        }
    }

    /// The first and last position leaf `leaf` covers (first > last when
    /// the span wraps past `u64::MAX`); `None` for a leaf out of range or
    /// one that covers no position.
    pub fn leaf_positions(&self, leaf: u32) -> Option<(Position, Position)> {
        if leaf >= self.leaf_count() {
            return None;
        }
        let (lo, hi) = (self.slice_start(leaf), self.slice_start(leaf + 1));
        if lo == hi {
            return None;
        }
        let first = self.range.after.wrapping_add(1).wrapping_add(lo as u64);
        let last = self.range.after.wrapping_add(hi as u64);
        Some((first, last))
    }

    /// XORs `h` into leaf `leaf` (adding or removing a key's
    /// contribution): a search among the non-zero leaves. A leaf out of
    /// range is ignored.
    pub fn toggle(&mut self, leaf: u32, h: Hash) {
        if leaf >= self.leaf_count() || h == 0 {
            return;
        }
        match self.leaves.binary_search_by_key(&leaf, |&(l, _)| l) {
            Ok(at) => {
                self.leaves[at].1 ^= h;
                if self.leaves[at].1 == 0 {
                    self.leaves.remove(at);
                    if self.leaves.is_empty() {
                        // Empty again: no memory kept, as a new tree.
                        self.leaves = Vec::new();
                    }
                }
            }
            Err(at) => self.leaves.insert(at, (leaf, h)),
        }
    }

    /// The hash at `level` (0 = root), `index` in 0..2^level; 0 for a
    /// level past the depth or an index past the level.
    pub fn hash(&self, level: u32, index: u32) -> Hash {
        if level > self.depth || index >= 1 << level {
            return 0;
        }
        let below = self.depth - level;
        let first = index << below;
        let end = u64::from(index + 1) << below;
        let from = self.leaves.partition_point(|&(l, _)| l < first);
        let to = self.leaves.partition_point(|&(l, _)| u64::from(l) < end);
        self.subtree_hash(&self.leaves[from..to], level, index)
    }

    /// The hash of node (`level`, `index`) from `leaves`, exactly the
    /// non-zero leaves under it.
    fn subtree_hash(&self, leaves: &[(u32, Hash)], level: u32, index: u32) -> Hash {
        match leaves {
            [] => 0,
            [(_, h)] if level == self.depth => *h,
            _ => {
                // The first leaf of the right child.
                let middle = (2 * index + 1) << (self.depth - level - 1);
                let split = leaves.partition_point(|&(l, _)| l < middle);
                node_hash(
                    self.subtree_hash(&leaves[..split], level + 1, 2 * index),
                    self.subtree_hash(&leaves[split..], level + 1, 2 * index + 1),
                )
            }
        }
    }

    pub fn root(&self) -> Hash {
        self.hash(0, 0)
    }

    /// The leaves whose hashes differ from `other`'s, found top-down
    /// (descending only into differing subtrees), ascending. Meaningful
    /// for trees of one range and depth; others compare without a panic.
    pub fn differing_leaves(&self, other: &Tree) -> Vec<u32> {
        let mut leaves = Vec::new();
        self.descend(other, 0, 0, &mut leaves);
        leaves
    }

    fn descend(&self, other: &Tree, level: u32, index: u32, leaves: &mut Vec<u32>) {
        if self.hash(level, index) == other.hash(level, index) {
            return;
        }
        if level == self.depth {
            leaves.push(index);
        } else {
            self.descend(other, level + 1, 2 * index, leaves);
            self.descend(other, level + 1, 2 * index + 1, leaves);
        }
    }

    /// The leaf list's bytes (0 while the tree is empty).
    pub fn heap_bytes(&self) -> usize {
        self.leaves.capacity() * std::mem::size_of::<(u32, Hash)>()
    }

    /// The range's size in positions, 2^64 for the whole ring.
    fn size(&self) -> u128 {
        match self.range.end.wrapping_sub(self.range.after) {
            0 => SPACE,
            size => u128::from(size),
        }
    }

    /// The first offset of leaf `leaf` (`leaf_count()` for one past the
    /// last): the least offset o with o · 2^depth / size ≥ leaf, i.e.
    /// ceil(leaf · size / 2^depth), so it inverts `leaf_of` exactly.
    fn slice_start(&self, leaf: u32) -> u128 {
        let scaled = u128::from(leaf) * self.size();
        (scaled + (1u128 << self.depth) - 1) >> self.depth
    }
}
