//! One range's hash tree, kept in an array in heap order.

use super::Hash;
use crate::ring::{KeyRange, Position};

/// The hash tree of one key range: level 0 is the root, level `depth` the
/// 2^depth leaves; leaf i covers the i-th of 2^depth equal slices of the
/// range. An empty range hashes to 0 everywhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    range: KeyRange,
    depth: u32,
    // the node array is allocated when the first key lands
}

impl Tree {
    pub fn new(range: KeyRange, depth: u32) -> Tree {
        todo!()
    }

    pub fn range(&self) -> KeyRange {
        self.range
    }

    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// The leaf covering `position` (which the range contains).
    pub fn leaf_of(&self, position: Position) -> u32 {
        todo!()
    }

    /// The positions leaf `leaf` covers: (after, end], as a range.
    pub fn leaf_span(&self, leaf: u32) -> KeyRange {
        todo!()
    }

    /// XORs `h` into leaf `leaf` (adding or removing a key's contribution)
    /// and rehashes the path to the root: O(depth).
    pub fn toggle(&mut self, leaf: u32, h: Hash) {
        todo!()
    }

    /// The hash at `level` (0 = root), `index` in 0..2^level.
    pub fn hash(&self, level: u32, index: u32) -> Hash {
        todo!()
    }

    pub fn root(&self) -> Hash {
        self.hash(0, 0)
    }

    /// The leaves whose hashes differ from `other`'s, found top-down
    /// (descending only into differing subtrees), ascending.
    pub fn differing_leaves(&self, other: &Tree) -> Vec<u32> {
        todo!()
    }

    pub fn heap_bytes(&self) -> usize {
        todo!()
    }
}
