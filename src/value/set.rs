//! The shopping cart of Dynamo §4.4: siblings merged by union. A remove
//! takes an element out of the writer's state, but any sibling that still
//! holds it brings it back at the next merge: "deleted items can
//! resurface".

use super::{Change, Element};

/// A set of elements, merged by union. Sorted, no repeats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnionSet(Vec<Element>);

impl UnionSet {
    pub fn elements(&self) -> &[Element] {
        &self.0
    }

    /// Removes, then adds.
    pub fn apply(&mut self, change: &Change) {
        self.0.retain(|e| change.remove.binary_search(e).is_err());
        self.0.extend_from_slice(&change.add);
        self.0.sort_unstable();
        self.0.dedup();
    }

    pub fn merge(&mut self, other: &UnionSet) {
        if other.0.iter().all(|e| self.0.binary_search(e).is_ok()) {
            return;
        }
        self.0.extend_from_slice(&other.0);
        self.0.sort_unstable();
        self.0.dedup();
    }

    pub fn heap_bytes(&self) -> usize {
        self.0.capacity() * std::mem::size_of::<Element>()
    }
}
