//! One range's hash tree, kept in an array in heap order.
//!
//! Leaf i covers the positions whose offset into the range (`position -
//! after - 1`, wrapping) lies in the i-th of 2^depth equal slices of the
//! range's size: `leaf = offset · 2^depth / size`, in u128 so the whole
//! ring (size 2^64) needs no special case. A leaf's hash is the XOR of its
//! keys' contributions, so adding and removing a key are the same
//! `toggle`; an inner node is [`node_hash`] of its two children, 0 when
//! both are 0. The array is allocated when the first non-zero contribution
//! lands and freed when the root returns to 0 (the tree is then empty), so
//! the representation is canonical: two trees with the same hashes compare
//! equal, allocated or not.

use super::{Hash, node_hash};
use crate::ring::{KeyRange, Position};

/// The hash tree of one key range: level 0 is the root, level `depth` the
/// 2^depth leaves; leaf i covers the i-th of 2^depth equal slices of the
/// range. An empty range hashes to 0 everywhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    range: KeyRange,
    depth: u32,
    /// Level l, index i at `2^l - 1 + i`; empty while every hash is 0.
    nodes: Vec<Hash>,
}

/// 2^64, the size of the ring.
const SPACE: u128 = 1 << 64;

impl Tree {
    /// The deepest tree kept: 2^20 leaves, a 16 MiB array. Deeper requests
    /// are cut to this, so no depth can overflow an index or exhaust
    /// memory.
    pub const MAX_DEPTH: u32 = 20;

    /// An empty tree over `range` (no allocation); `depth` is capped at
    /// [`Tree::MAX_DEPTH`].
    pub fn new(range: KeyRange, depth: u32) -> Tree {
        Tree {
            range,
            depth: depth.min(Tree::MAX_DEPTH),
            nodes: Vec::new(),
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

    /// XORs `h` into leaf `leaf` (adding or removing a key's contribution)
    /// and rehashes the path to the root: O(depth). A leaf out of range is
    /// ignored.
    pub fn toggle(&mut self, leaf: u32, h: Hash) {
        if leaf >= self.leaf_count() || h == 0 {
            return;
        }
        if self.nodes.is_empty() {
            self.nodes = vec![0; (2usize << self.depth) - 1];
        }
        let mut slot = slot(self.depth, leaf);
        self.nodes[slot] ^= h;
        while slot > 0 {
            let parent = (slot - 1) / 2;
            let left = 2 * parent + 1;
            self.nodes[parent] = node_hash(self.nodes[left], self.nodes[left + 1]);
            slot = parent;
        }
        // The root is 0 only when every leaf is: the tree is empty again.
        if self.nodes[0] == 0 {
            self.nodes = Vec::new();
        }
    }

    /// The hash at `level` (0 = root), `index` in 0..2^level; 0 for a
    /// level past the depth or an index past the level.
    pub fn hash(&self, level: u32, index: u32) -> Hash {
        if level > self.depth || index >= 1 << level {
            return 0;
        }
        self.nodes.get(slot(level, index)).copied().unwrap_or(0)
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

    /// The node array's bytes (0 while the tree is empty).
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Hash>()
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

/// Where level `level`, index `index` sits in the heap-ordered array.
fn slot(level: u32, index: u32) -> usize {
    (1usize << level) - 1 + index as usize
}
