//! A 4-ary min-heap of small `Copy` entries: the event queue's entries past
//! the calendar's window (`calendar`).
//!
//! The algorithm is std's `BinaryHeap`'s (a pop sifts the hole to the
//! bottom, then the last entry up from there) with four children a node,
//! written so that:
//! - the entry being placed stays in registers until its final store.
//!   std's pop swaps the last entry into the root and reads it straight
//!   back through a `Hole`; with 24-byte entries that load spans two fresh
//!   8-byte stores, the CPU cannot forward them, and each pop and push
//!   stalled for the store to retire (about 9% of the quorum workload's
//!   wall-clock samples, on two instructions of a thousand per event);
//! - choosing the smallest child does not branch. Which child is smallest
//!   is a coin toss, so a branch on it mispredicts about every other level;
//!   a select waits for its loads instead, and four children a level halve
//!   the levels to wait on (3 for a hundred entries, against 7), the
//!   pairs of the four compared side by side.

/// Smallest first; ties in whatever order the entries' `Ord` gives (the
/// event queue's entries are never equal).
#[derive(Debug, Default)]
pub struct MinHeap<T> {
    data: Vec<T>,
}

impl<T: Copy + Ord> MinHeap<T> {
    pub fn new() -> Self {
        MinHeap { data: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn peek(&self) -> Option<T> {
        self.data.first().copied()
    }

    #[inline]
    pub fn push(&mut self, entry: T) {
        let hole = self.data.len();
        // Room at the end; what goes there is decided by the sift.
        self.data.push(entry);
        self.rise(hole, entry);
    }

    pub fn pop(&mut self) -> Option<T> {
        let last = self.data.pop()?;
        let Some(&top) = self.data.first() else {
            return Some(last);
        };
        let len = self.data.len();
        // The hole left at the root falls to the bottom along the smallest
        // children...
        let mut hole = 0;
        loop {
            let first = 4 * hole + 1;
            if first + 3 < len {
                let d = &self.data;
                let left = first + usize::from(d[first + 1] < d[first]);
                let right = first + 2 + usize::from(d[first + 3] < d[first + 2]);
                let smallest = if d[right] < d[left] { right } else { left };
                self.data[hole] = self.data[smallest];
                hole = smallest;
            } else {
                // The last parent, with fewer than four children.
                if let Some(smallest) = (first..len).min_by_key(|&c| self.data[c]) {
                    self.data[hole] = self.data[smallest];
                    hole = smallest;
                }
                break;
            }
        }
        // ...and the last entry rises from there: it came from the bottom,
        // so it rarely rises far.
        self.rise(hole, last);
        Some(top)
    }

    /// Moves the hole at `hole` up past every parent greater than `entry`,
    /// then fills it with `entry`, which is never read back from memory.
    #[inline]
    fn rise(&mut self, mut hole: usize, entry: T) {
        while hole > 0 {
            let parent = (hole - 1) / 4;
            let above = self.data[parent];
            if above <= entry {
                break;
            }
            self.data[hole] = above;
            hole = parent;
        }
        self.data[hole] = entry;
    }

    /// Keeps the entries `keep` accepts, in heap order again.
    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.data.retain(keep);
        // A sorted vector is a heap; sweeps are rare enough for a sort.
        self.data.sort_unstable();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any interleaving of pushes and pops gives what std's heap gives.
        #[test]
        fn agrees_with_std(ops in proptest::collection::vec(proptest::option::of(0u32..50), 0..300)) {
            let mut ours = MinHeap::new();
            let mut std = std::collections::BinaryHeap::new();
            for op in ops {
                match op {
                    Some(v) => {
                        ours.push(v);
                        std.push(std::cmp::Reverse(v));
                    }
                    None => prop_assert_eq!(ours.pop(), std.pop().map(|r| r.0)),
                }
                prop_assert_eq!(ours.len(), std.len());
                prop_assert_eq!(ours.peek(), std.peek().map(|r| r.0));
            }
            let mut drained = Vec::new();
            while let Some(v) = ours.pop() {
                drained.push(v);
            }
            prop_assert!(drained.is_sorted());
        }

        #[test]
        fn retain_keeps_a_heap(values in proptest::collection::vec(0u32..100, 0..200)) {
            let mut heap = MinHeap::new();
            for &v in &values {
                heap.push(v);
            }
            heap.retain(|v| v % 3 != 0);
            let mut expected: Vec<u32> = values.into_iter().filter(|v| v % 3 != 0).collect();
            expected.sort_unstable();
            let drained: Vec<u32> = std::iter::from_fn(|| heap.pop()).collect();
            prop_assert_eq!(drained, expected);
        }
    }
}
