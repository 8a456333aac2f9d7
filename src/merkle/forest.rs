//! A node's trees: one per key range it replicates, and the digest of each
//! key it holds in them.

use super::Tree;
use crate::id::Key;
use crate::ring::{KeyRange, Position};

#[derive(Clone, Debug, Default)]
pub struct Forest {
    depth: u32,
    // trees sorted by range end; per (position, key) the current digest
    // (a BTreeMap, so a leaf's keys are one range scan)
}

impl Forest {
    /// Empty trees of `depth` over `ranges` (disjoint).
    pub fn new(depth: u32, ranges: impl IntoIterator<Item = KeyRange>) -> Forest {
        todo!()
    }

    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// The key's state is now `digest` (`None`: gone). Updates its leaf
    /// incrementally; a key in none of the ranges is ignored. Returns
    /// whether a tree changed.
    pub fn update(&mut self, key: Key, position: Position, digest: Option<u64>) -> bool {
        todo!()
    }

    /// The ranges, sorted by end.
    pub fn ranges(&self) -> impl Iterator<Item = KeyRange> + '_ {
        todo!();
        #[allow(unreachable_code)]
        std::iter::empty()
    }

    /// The tree of exactly `range`, if this forest has one.
    pub fn tree(&self, range: KeyRange) -> Option<&Tree> {
        todo!()
    }

    /// The keys (and digests) held in `leaves` of `range`'s tree, by
    /// position then key.
    pub fn keys_in(&self, range: KeyRange, leaves: &[u32]) -> Vec<(Key, u64)> {
        todo!()
    }

    /// Keys tracked.
    pub fn len(&self) -> usize {
        todo!()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn heap_bytes(&self) -> usize {
        todo!()
    }
}
