//! Stable 64-bit fingerprints of explored states, and the set that
//! remembers them: stateright's visited set of hashes rather than of
//! states. FNV-1a over a canonical text of the state, with fixed
//! constants, so one state has one fingerprint in every run and on every
//! platform (std's hasher is seeded per process and would not).

use std::fmt;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, fed through `fmt::Write` so that a state's `Debug` text is
/// hashed as it is formatted, never gathered into a string.
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(FNV_OFFSET)
    }
}

impl Fnv {
    pub fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
    }

    pub fn u64(&mut self, x: u64) {
        self.bytes(&x.to_le_bytes());
    }

    /// The hash, with a final mix (splitmix64's) so that the low bits the
    /// visited set indexes by depend on every byte.
    pub fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl fmt::Write for Fnv {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

/// The fingerprints seen so far: open addressing with linear probing over
/// one array, the fingerprint its own hash (0 marks an empty slot, so a
/// fingerprint of 0 is stored as 1). Never iterated: order cannot leak.
#[derive(Clone, Debug, Default)]
pub struct FingerprintSet {
    slots: Vec<u64>,
    len: usize,
}

impl FingerprintSet {
    /// Adds `fp`; true when it was not there yet.
    pub fn insert(&mut self, fp: u64) -> bool {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let fp = fp.max(1);
        let mask = self.slots.len() - 1;
        let mut i = (fp as usize) & mask;
        loop {
            match self.slots[i] {
                0 => {
                    self.slots[i] = fp;
                    self.len += 1;
                    return true;
                }
                seen if seen == fp => return false,
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
        self.slots.len() * std::mem::size_of::<u64>()
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(1024);
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        self.len = 0;
        for fp in old.into_iter().filter(|&fp| fp != 0) {
            self.insert(fp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write;

    #[test]
    fn fingerprints_are_fixed_values() {
        // Pinned: a change of constants would silently change every
        // fingerprint, and the pinned state counts with them.
        let mut h = Fnv::default();
        write!(h, "{:?}", (1u32, "a")).unwrap();
        assert_eq!(h.finish(), 0x10aa_bea2_7fb5_6adf);
        let mut empty = Fnv::default();
        empty.bytes(b"");
        assert_ne!(empty.finish(), h.finish());
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
        assert!(set.insert(0));
        assert!(!set.insert(1), "0 is stored as 1: the empty mark");
    }
}
