//! The membership list's storage: a plain vector, or a vector cut into
//! chunks shared between views until one of them writes (copy on write).
//! A thousand views of a thousand nodes are a million entries; under SWIM,
//! where a quiet cluster's lists agree and rarely change, the views share
//! one copy and each pays for the chunks it changed. Under heartbeats
//! every entry changes every round, so sharing would buy nothing, and the
//! list is a plain vector: its reads and writes cost what a `Vec`'s do
//! (chunks cost a heartbeat run of 1,024 nodes a fifth more CPU).

use std::ops::{Index, IndexMut};
use std::sync::Arc;

/// The log2 of the entries a shared chunk holds (the last may hold fewer).
const CHUNK_BITS: u32 = 6;
const CHUNK_MASK: usize = (1 << CHUNK_BITS) - 1;

/// A vector of `T`, plain or in shared chunks; reads as a slice would,
/// and a write to a shared list copies the one chunk it touches if
/// another list shares it.
#[derive(Clone, Debug)]
pub(super) enum Chunked<T> {
    Plain(Vec<T>),
    Shared {
        chunks: Vec<Arc<Vec<T>>>,
        len: usize,
    },
}

impl<T: Clone> Chunked<T> {
    /// The items as a plain vector, or in chunks another list may share.
    pub(super) fn from_vec(items: Vec<T>, shared: bool) -> Chunked<T> {
        if !shared {
            return Chunked::Plain(items);
        }
        let len = items.len();
        let mut chunks = Vec::with_capacity(len.div_ceil(CHUNK_MASK + 1));
        let mut items = items.into_iter().peekable();
        while items.peek().is_some() {
            chunks.push(Arc::new(items.by_ref().take(CHUNK_MASK + 1).collect()));
        }
        Chunked::Shared { chunks, len }
    }

    #[inline]
    pub(super) fn len(&self) -> usize {
        match self {
            Chunked::Plain(v) => v.len(),
            Chunked::Shared { len, .. } => *len,
        }
    }

    #[inline]
    pub(super) fn iter(&self) -> Iter<'_, T> {
        match self {
            Chunked::Plain(v) => Iter::Plain(v.iter()),
            Chunked::Shared { chunks, .. } => Iter::Shared {
                chunks: chunks.iter(),
                current: [].iter(),
            },
        }
    }

    /// Every entry, to change: copies every shared chunk.
    pub(super) fn iter_mut(&mut self) -> Box<dyn Iterator<Item = &mut T> + '_> {
        match self {
            Chunked::Plain(v) => Box::new(v.iter_mut()),
            Chunked::Shared { chunks, .. } => {
                Box::new(chunks.iter_mut().flat_map(|c| Arc::make_mut(c).iter_mut()))
            }
        }
    }

    /// Inserts `item` at `at`, shifting the rest. A shared list is built
    /// again (a node joining, rare), so it shares no chunk afterwards.
    pub(super) fn insert(&mut self, at: usize, item: T) {
        match self {
            Chunked::Plain(v) => v.insert(at, item),
            Chunked::Shared { .. } => {
                let mut items: Vec<T> = self.iter().cloned().collect();
                items.insert(at, item);
                *self = Chunked::from_vec(items, true);
            }
        }
    }

    /// Whether the two lists are shared chunks, all of them (not a
    /// comparison of contents).
    #[cfg(test)]
    pub(super) fn shares_all_with(&self, other: &Chunked<T>) -> bool {
        match (self, other) {
            (Chunked::Shared { chunks: a, .. }, Chunked::Shared { chunks: b, .. }) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| Arc::ptr_eq(x, y))
            }
            _ => false,
        }
    }

    #[inline]
    pub(super) fn binary_search_by_key<K: Ord>(
        &self,
        key: &K,
        f: impl Fn(&T) -> K,
    ) -> Result<usize, usize> {
        if let Chunked::Plain(v) = self {
            return v.binary_search_by_key(key, f);
        }
        let (mut low, mut high) = (0, self.len());
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
}

/// `Chunked::iter`.
pub(super) enum Iter<'a, T> {
    Plain(std::slice::Iter<'a, T>),
    Shared {
        chunks: std::slice::Iter<'a, Arc<Vec<T>>>,
        current: std::slice::Iter<'a, T>,
    },
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    #[inline]
    fn next(&mut self) -> Option<&'a T> {
        match self {
            Iter::Plain(it) => it.next(),
            Iter::Shared { chunks, current } => loop {
                if let Some(item) = current.next() {
                    return Some(item);
                }
                *current = chunks.next()?.iter();
            },
        }
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;

    #[inline]
    fn index(&self, at: usize) -> &T {
        match self {
            Chunked::Plain(v) => &v[at],
            Chunked::Shared { chunks, len } => {
                assert!(at < *len, "index {at} of a list of {len}");
                &chunks[at >> CHUNK_BITS][at & CHUNK_MASK]
            }
        }
    }
}

impl<T: Clone> IndexMut<usize> for Chunked<T> {
    #[inline]
    fn index_mut(&mut self, at: usize) -> &mut T {
        match self {
            Chunked::Plain(v) => &mut v[at],
            Chunked::Shared { chunks, len } => {
                assert!(at < *len, "index {at} of a list of {len}");
                &mut Arc::make_mut(&mut chunks[at >> CHUNK_BITS])[at & CHUNK_MASK]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks<T>(list: &Chunked<T>) -> &[Arc<Vec<T>>] {
        match list {
            Chunked::Shared { chunks, .. } => chunks,
            Chunked::Plain(_) => &[],
        }
    }

    #[test]
    fn reads_and_writes_as_a_vector_and_copies_only_what_it_writes() {
        let items: Vec<u32> = (0..200).collect();
        for shared in [true, false] {
            let a = Chunked::from_vec(items.clone(), shared);
            let mut b = a.clone();
            assert_eq!(b.iter().copied().collect::<Vec<_>>(), items);
            assert_eq!(b.len(), 200);
            b[130] = 7;
            assert_eq!((a[130], b[130]), (130, 7));
            if shared {
                // Only the written chunk was copied.
                let same = chunks(&a)
                    .iter()
                    .zip(chunks(&b))
                    .filter(|(x, y)| Arc::ptr_eq(x, y));
                assert_eq!(same.count(), chunks(&a).len() - 1);
            }
            b.insert(0, 999);
            assert_eq!(b.len(), 201);
            assert_eq!((b[0], b[1], b[131], b[200]), (999, 0, 7, 199));
            assert_eq!(a.binary_search_by_key(&50, |&x| x), Ok(50));
            assert_eq!(a.binary_search_by_key(&500, |&x| x), Err(200));
            for x in b.iter_mut() {
                *x += 1;
            }
            assert_eq!((a[0], b[0]), (0, 1000));
            let empty: Chunked<u32> = Chunked::from_vec(Vec::new(), shared);
            assert_eq!(empty.len(), 0);
            assert_eq!(empty.iter().count(), 0);
            assert_eq!(empty.binary_search_by_key(&1, |&x| x), Err(0));
        }
    }
}
