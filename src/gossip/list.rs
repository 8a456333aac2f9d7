//! The membership list's storage: a vector cut into chunks shared between
//! views until one of them writes (copy on write). A thousand views of a
//! thousand nodes are a million entries; under SWIM, where a quiet
//! cluster's lists agree and rarely change, the views share one copy and
//! each pays for the chunks it changed. Under heartbeats every entry
//! changes every round, so each view soon holds its own chunks, as a
//! plain vector would.

use std::ops::{Index, IndexMut};
use std::sync::Arc;

/// The log2 of the entries a chunk holds (the last may hold fewer) when
/// the list is to be shared.
pub(super) const SHARED_CHUNK_BITS: u32 = 6;

/// One chunk for the whole list: a list no other view will share reads
/// as fast as a plain vector.
pub(super) const WHOLE_BITS: u32 = usize::BITS - 1;

/// A vector of `T` in shared chunks; reads as a slice would, and a write
/// copies the one chunk it touches if another list shares it.
#[derive(Clone, Debug)]
pub(super) struct Chunked<T> {
    chunks: Vec<Arc<Vec<T>>>,
    len: usize,
    /// A chunk holds 2^bits entries.
    bits: u32,
}

impl<T: Clone> Chunked<T> {
    /// The items in chunks of 2^`bits`.
    pub(super) fn from_vec(items: Vec<T>, bits: u32) -> Chunked<T> {
        let len = items.len();
        if len <= 1 << bits {
            let chunks = if len == 0 {
                Vec::new()
            } else {
                vec![Arc::new(items)]
            };
            return Chunked { chunks, len, bits };
        }
        let size = 1 << bits;
        let mut chunks = Vec::with_capacity(len.div_ceil(size));
        let mut items = items.into_iter().peekable();
        while items.peek().is_some() {
            chunks.push(Arc::new(items.by_ref().take(size).collect()));
        }
        Chunked { chunks, len, bits }
    }

    #[inline]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(super) fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// Every entry, to change: copies every shared chunk.
    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> + '_ {
        self.chunks
            .iter_mut()
            .flat_map(|c| Arc::make_mut(c).iter_mut())
    }

    /// Inserts `item` at `at`, shifting the rest: rebuilds the list (a
    /// node joining, rare), so this list shares no chunk afterwards.
    pub(super) fn insert(&mut self, at: usize, item: T) {
        let mut items: Vec<T> = self.iter().cloned().collect();
        items.insert(at, item);
        *self = Chunked::from_vec(items, self.bits);
    }

    #[inline]
    pub(super) fn binary_search_by_key<K: Ord>(
        &self,
        key: &K,
        f: impl Fn(&T) -> K,
    ) -> Result<usize, usize> {
        let (mut low, mut high) = (0, self.len);
        while low < high {
            let mid = low + (high - low) / 2;
            match f(&self[mid]).cmp(key) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(low)
    }

    /// Whether the two lists hold the same chunks (not a comparison of
    /// contents: shared chunks are equal, equal ones need not be shared).
    #[cfg(test)]
    pub(super) fn shares_all_with(&self, other: &Chunked<T>) -> bool {
        self.chunks.len() == other.chunks.len()
            && self
                .chunks
                .iter()
                .zip(&other.chunks)
                .all(|(a, b)| Arc::ptr_eq(a, b))
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;

    #[inline]
    fn index(&self, at: usize) -> &T {
        assert!(at < self.len, "index {at} of a list of {}", self.len);
        &self.chunks[at >> self.bits][at & ((1 << self.bits) - 1)]
    }
}

impl<T: Clone> IndexMut<usize> for Chunked<T> {
    #[inline]
    fn index_mut(&mut self, at: usize) -> &mut T {
        assert!(at < self.len, "index {at} of a list of {}", self.len);
        let mask = (1 << self.bits) - 1;
        &mut Arc::make_mut(&mut self.chunks[at >> self.bits])[at & mask]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_as_a_vector_and_copies_only_what_it_writes() {
        let items: Vec<u32> = (0..200).collect();
        let a = Chunked::from_vec(items.clone(), SHARED_CHUNK_BITS);
        let mut b = a.clone();
        assert!(b.shares_all_with(&a));
        assert_eq!(b.iter().copied().collect::<Vec<_>>(), items);
        b[130] = 7;
        assert_eq!(a[130], 130);
        assert_eq!(b[130], 7);
        // Only the written chunk was copied.
        let shared = a
            .chunks
            .iter()
            .zip(&b.chunks)
            .filter(|(x, y)| Arc::ptr_eq(x, y));
        assert_eq!(shared.count(), a.chunks.len() - 1);
        b.insert(0, 999);
        assert_eq!(b.len(), 201);
        assert_eq!((b[0], b[1], b[131], b[200]), (999, 0, 7, 199));
        assert_eq!(a.binary_search_by_key(&50, |&x| x), Ok(50));
        assert_eq!(a.binary_search_by_key(&500, |&x| x), Err(200));
        for x in b.iter_mut() {
            *x += 1;
        }
        assert_eq!(b[0], 1000);
        assert_eq!(a[0], 0);
        let empty: Chunked<u32> = Chunked::from_vec(Vec::new(), SHARED_CHUNK_BITS);
        assert_eq!(empty.len(), 0);
        let whole = Chunked::from_vec(items.clone(), WHOLE_BITS);
        assert_eq!(whole.chunks.len(), 1);
        assert_eq!(whole.iter().copied().collect::<Vec<_>>(), items);
        assert_eq!((whole[0], whole[199]), (0, 199));
        assert_eq!(empty.binary_search_by_key(&1, |&x| x), Err(0));
    }
}
