//! A binary min-heap of small `Copy` entries, for the event queue.
//!
//! The algorithm is std's `BinaryHeap` (a pop sifts the hole to the bottom,
//! then the last entry up from there), written so that the entry being
//! placed stays in registers until its final store. std's pop swaps the
//! last entry into the root and reads it straight back through a `Hole`;
//! with 24-byte entries that load spans two fresh 8-byte stores, the CPU
//! cannot forward them, and each pop and push stalled for the store to
//! retire: a wall-clock profile put about 9% of the quorum workload's
//! samples on those two loads, though they were two instructions of
//! over a thousand per event.

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
        // The hole left at the root falls to the bottom along the smaller
        // children...
        let mut hole = 0;
        let mut child = 1;
        while child < len {
            if child + 1 < len && self.data[child + 1] < self.data[child] {
                child += 1;
            }
            self.data[hole] = self.data[child];
            hole = child;
            child = 2 * hole + 1;
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
            let parent = (hole - 1) / 2;
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
