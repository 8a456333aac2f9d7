//! Stable 64-bit fingerprints of explored states, and the set that
//! remembers them: stateright's visited set of hashes rather than of
//! states. A word-at-a-time multiply-rotate hash (FxHash's step) with
//! fixed constants and a final splitmix64 mix, so one state has one
//! fingerprint in every run and on every platform (std's hasher is
//! seeded per process and would not).

use std::fmt;

const SEED: u64 = 0xcbf2_9ce4_8422_2325;
const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// The state hasher, fed through `fmt::Write` so that a node's `Debug`
/// text is hashed as it is formatted, never gathered into a string. It
/// hashes the stream of bytes, whatever pieces they come in: formatting
/// writes many pieces of a few bytes, so they are gathered in a small
/// buffer and mixed eight bytes per multiply (byte-at-a-time FNV-1a was a
/// third of the search).
#[derive(Clone, Copy, Debug)]
pub struct Hash64 {
    h: u64,
    buf: [u8; BUF],
    used: usize,
    total: u64,
}

const BUF: usize = 32;

impl Default for Hash64 {
    fn default() -> Self {
        Hash64 {
            h: SEED,
            buf: [0; BUF],
            used: 0,
            total: 0,
        }
    }
}

impl Hash64 {
    #[inline]
    fn mix(h: u64, word: u64) -> u64 {
        (h.rotate_left(5) ^ word).wrapping_mul(K)
    }

    pub fn u64(&mut self, x: u64) {
        self.bytes(&x.to_le_bytes());
    }

    #[inline]
    pub fn bytes(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len() as u64;
        while !bytes.is_empty() {
            let take = (BUF - self.used).min(bytes.len());
            self.buf[self.used..self.used + take].copy_from_slice(&bytes[..take]);
            self.used += take;
            bytes = &bytes[take..];
            if self.used == BUF {
                for word in self.buf.chunks_exact(8) {
                    self.h = Self::mix(self.h, u64::from_le_bytes(word.try_into().expect("8")));
                }
                self.used = 0;
            }
        }
    }

    /// The hash of every byte and their number, with a final mix
    /// (splitmix64's) so that the low bits the visited set indexes by
    /// depend on every word.
    pub fn finish(&self) -> u64 {
        let mut h = self.h;
        let mut tail = self.buf;
        tail[self.used..].fill(0);
        for word in tail[..self.used.div_ceil(8) * 8].chunks_exact(8) {
            h = Self::mix(h, u64::from_le_bytes(word.try_into().expect("8")));
        }
        let mut z = Self::mix(h, self.total);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl fmt::Write for Hash64 {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

/// The fingerprints seen so far, each with the number of the state it
/// names (the order states were first seen): open addressing with linear
/// probing over one array, the fingerprint its own hash (0 marks an empty
/// slot, so a fingerprint of 0 is stored as 1). Never iterated: order
/// cannot leak.
#[derive(Clone, Debug, Default)]
pub struct FingerprintSet {
    slots: Vec<u64>,
    ids: Vec<u32>,
    len: usize,
}

impl FingerprintSet {
    /// Adds `fp`; true when it was not there yet.
    pub fn insert(&mut self, fp: u64) -> bool {
        self.number(fp).1
    }

    /// The number of the state `fp` names, and whether it is new (then
    /// numbered next).
    pub fn number(&mut self, fp: u64) -> (u32, bool) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let fp = fp.max(1);
        let mask = self.slots.len() - 1;
        let mut i = (fp as usize) & mask;
        loop {
            match self.slots[i] {
                0 => {
                    let id = self.len as u32;
                    self.slots[i] = fp;
                    self.ids[i] = id;
                    self.len += 1;
                    return (id, true);
                }
                seen if seen == fp => return (self.ids[i], false),
                _ => i = (i + 1) & mask,
            }
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The memory the set holds.
    pub fn bytes(&self) -> usize {
        self.slots.len() * (std::mem::size_of::<u64>() + std::mem::size_of::<u32>())
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(1024);
        let slots = std::mem::replace(&mut self.slots, vec![0; size]);
        let ids = std::mem::replace(&mut self.ids, vec![0; size]);
        let mask = size - 1;
        for (fp, id) in slots.into_iter().zip(ids).filter(|&(fp, _)| fp != 0) {
            let mut i = (fp as usize) & mask;
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = fp;
            self.ids[i] = id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write;

    #[test]
    fn fingerprints_are_fixed_values() {
        // Pinned: a change of constants changes every fingerprint (the
        // pinned state counts stay, unless two states then collide).
        let mut h = Hash64::default();
        write!(h, "{:?}", (1u32, "a")).unwrap();
        assert_eq!(h.finish(), 0x64ac_2c22_376d_7958);
        let mut empty = Hash64::default();
        empty.bytes(b"");
        assert_ne!(empty.finish(), h.finish());
        let (mut a, mut b) = (Hash64::default(), Hash64::default());
        a.bytes(b"a");
        b.bytes(b"a\0");
        assert_ne!(a.finish(), b.finish(), "the length is hashed");
        // The bytes, not the pieces they came in, past the buffer too.
        let text: Vec<u8> = (0..100u8).collect();
        let (mut whole, mut pieces) = (Hash64::default(), Hash64::default());
        whole.bytes(&text);
        text.chunks(7).for_each(|c| pieces.bytes(c));
        assert_eq!(whole.finish(), pieces.finish());
    }

    #[test]
    fn the_set_tells_new_from_seen_across_growth() {
        let mut set = FingerprintSet::default();
        let spread = |i: u64| i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for i in 1..5000u64 {
            assert!(set.insert(spread(i)));
        }
        for i in 1..5000u64 {
            assert!(!set.insert(spread(i)));
        }
        assert_eq!(set.len(), 4999);
        assert_eq!(set.number(spread(77)), (76, false), "numbered in order");
        assert!(set.insert(0));
        assert!(!set.insert(1), "0 is stored as 1: the empty mark");
    }
}
