//! The map under a replica store: keys to states, by open addressing with
//! linear probing over one flat array of (key, state) slots.
//!
//! Why not `std`'s `HashMap`: a replica's lookup is the run's most
//! frequent cache miss (every key is touched by its N replicas, a few
//! hundred thousand times a run, in no order a cache can follow), and a
//! miss costs the same whichever map takes it. What this map adds is an
//! address known before the lookup: [`KeyMap::prefetch`] asks the CPU to
//! fetch a key's home slot when the message that will read it is sent,
//! about a millisecond of simulated time, some seventy events, before it
//! is delivered. `std`'s map keeps its buckets private, and its lookups
//! read a control byte group beside the slot.
//!
//! Keys are small dense integers (indexes into the run's key table),
//! spread by a Fibonacci multiply whose high bits pick the home slot (the
//! spread times the table's length, high half: any length will do). The
//! table grows by a quarter, not twice over, so it is between 60% and 75%
//! full once it holds more than a few keys: with ten million keys a table
//! doubled past three quarters was 45% full, and its empty slots cost more
//! than the keys' cells (91 bytes per key-replica, 69 now).
//! Layout, and so probing, depends only on the order of inserts and
//! removes: a map built the same way is laid out the same on every run.
//! Nothing iterates it unsorted on a path that shapes a run (the store's
//! `iter` sorts).

use crate::id::Key;

/// No key: `Key` is a `u32`, so no real key is this.
const EMPTY: u64 = u64::MAX;

/// The table is at most this full, in eighths; linear probing's runs stay
/// short below it.
const MAX_LOAD_EIGHTHS: usize = 6;

/// The smallest table allocated.
const MIN_SLOTS: usize = 8;

#[derive(Clone, Debug)]
struct Slot<V> {
    /// A `Key`'s `u32`, or `EMPTY`. Wider than the key because the state
    /// beside it aligns the slot to 8 bytes anyway.
    key: u64,
    /// `V::default()` in an empty slot.
    value: V,
}

/// Keys to states; see the module doc.
#[derive(Clone, Debug)]
pub struct KeyMap<V> {
    /// No slots before the first insert.
    slots: Box<[Slot<V>]>,
    len: usize,
}

impl<V> Default for KeyMap<V> {
    fn default() -> KeyMap<V> {
        KeyMap {
            slots: Box::new([]),
            len: 0,
        }
    }
}

impl<V: Default> KeyMap<V> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The slot a key's probe starts at. Callers check the table is not
    /// empty.
    #[inline]
    fn home(&self, key: Key) -> usize {
        let spread = u64::from(key.0).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        ((u128::from(spread) * self.slots.len() as u128) >> 64) as usize
    }

    /// The slot after `i`, wrapping.
    #[inline]
    fn next(&self, i: usize) -> usize {
        if i + 1 == self.slots.len() { 0 } else { i + 1 }
    }

    /// How many slots a probe from `from` goes forward to reach `to`.
    #[inline]
    fn distance(&self, from: usize, to: usize) -> usize {
        if to >= from {
            to - from
        } else {
            to + self.slots.len() - from
        }
    }

    /// The slot holding `key`, if any.
    #[inline]
    fn find(&self, key: Key) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let wanted = u64::from(key.0);
        let mut i = self.home(key);
        loop {
            let slot = &self.slots[i];
            if slot.key == wanted {
                return Some(i);
            }
            if slot.key == EMPTY {
                return None;
            }
            i = self.next(i);
        }
    }

    pub fn get(&self, key: Key) -> Option<&V> {
        self.find(key).map(|i| &self.slots[i].value)
    }

    pub fn get_mut(&mut self, key: Key) -> Option<&mut V> {
        self.find(key).map(|i| &mut self.slots[i].value)
    }

    /// The key's value, inserted as `V::default()` if absent.
    pub fn get_or_default(&mut self, key: Key) -> &mut V {
        let i = match self.find(key) {
            Some(i) => i,
            None => self.insert_new(key, V::default()),
        };
        &mut self.slots[i].value
    }

    /// Sets the key's value; returns the one it replaces.
    pub fn insert(&mut self, key: Key, value: V) -> Option<V> {
        match self.find(key) {
            Some(i) => Some(std::mem::replace(&mut self.slots[i].value, value)),
            None => {
                self.insert_new(key, value);
                None
            }
        }
    }

    /// Puts an absent key in its first free slot; returns the slot.
    fn insert_new(&mut self, key: Key, value: V) -> usize {
        if (self.len + 1) * 8 > self.slots.len() * MAX_LOAD_EIGHTHS {
            self.grow();
        }
        let mut i = self.home(key);
        while self.slots[i].key != EMPTY {
            i = self.next(i);
        }
        self.slots[i] = Slot {
            key: u64::from(key.0),
            value,
        };
        self.len += 1;
        i
    }

    fn grow(&mut self) {
        let slots = (self.slots.len() + self.slots.len() / 4).max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.slots, empty_slots(slots));
        self.len = 0;
        // Reinserted in slot order: the new layout depends only on the old.
        for slot in old.into_vec().into_iter().filter(|s| s.key != EMPTY) {
            self.insert_new(Key(slot.key as u32), slot.value);
        }
    }

    /// Takes the key out; returns its value.
    pub fn remove(&mut self, key: Key) -> Option<V> {
        let mut hole = self.find(key)?;
        let removed = std::mem::take(&mut self.slots[hole].value);
        self.slots[hole].key = EMPTY;
        self.len -= 1;
        // Backward shift: move up each later key of the run whose home
        // is not between the hole and it, so every probe still finds its
        // key before an empty slot (no tombstones).
        let mut i = hole;
        loop {
            i = self.next(i);
            let k = self.slots[i].key;
            if k == EMPTY {
                break;
            }
            let home = self.home(Key(k as u32));
            if self.distance(home, hole) < self.distance(home, i) {
                self.slots.swap(hole, i);
                hole = i;
            }
        }
        Some(removed)
    }

    pub fn clear(&mut self) {
        *self = KeyMap::default();
    }

    /// Every key and value, in slot order (not key order).
    pub fn iter(&self) -> impl Iterator<Item = (Key, &V)> {
        self.slots
            .iter()
            .filter(|s| s.key != EMPTY)
            .map(|s| (Key(s.key as u32), &s.value))
    }

    /// Asks the CPU to bring `key`'s home slot into the cache ahead of a
    /// lookup. A hint only: it reads nothing and changes nothing.
    #[inline]
    pub fn prefetch(&self, key: Key) {
        if self.len == 0 {
            return;
        }
        let slot: *const Slot<V> = &self.slots[self.home(key)];
        prefetch_line(slot.cast());
    }
}

fn empty_slots<V: Default>(slots: usize) -> Box<[Slot<V>]> {
    (0..slots)
        .map(|_| Slot {
            key: EMPTY,
            value: V::default(),
        })
        .collect()
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn prefetch_line(p: *const i8) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: a prefetch is a hint; it never faults, whatever the address,
    // and reads nor writes nothing the program can observe. `sse` is part
    // of every x86-64 target.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(p) }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn prefetch_line(_: *const i8) {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Clone, Debug)]
    enum Step {
        Insert(u32, u32),
        Remove(u32),
        Bump(u32),
    }

    fn step() -> impl Strategy<Value = Step> {
        // Few distinct keys, so removes hit and runs collide; some far
        // apart, so the spread is exercised.
        let key = prop_oneof![0u32..64, any::<u32>()];
        prop_oneof![
            (key.clone(), any::<u32>()).prop_map(|(k, v)| Step::Insert(k, v)),
            key.clone().prop_map(Step::Remove),
            key.prop_map(Step::Bump),
        ]
    }

    proptest! {
        /// The map answers every lookup as a `BTreeMap` given the same
        /// steps does, through growth and backward-shift removal.
        #[test]
        fn behaves_as_an_ordered_map(steps in proptest::collection::vec(step(), 0..400)) {
            let mut map: KeyMap<u32> = KeyMap::default();
            let mut model: BTreeMap<u32, u32> = BTreeMap::new();
            for s in &steps {
                match *s {
                    Step::Insert(k, v) => {
                        prop_assert_eq!(map.insert(Key(k), v), model.insert(k, v));
                    }
                    Step::Remove(k) => {
                        prop_assert_eq!(map.remove(Key(k)), model.remove(&k));
                    }
                    Step::Bump(k) => {
                        *map.get_or_default(Key(k)) += 1;
                        *model.entry(k).or_default() += 1;
                    }
                }
                prop_assert_eq!(map.len(), model.len());
            }
            for (&k, &v) in &model {
                prop_assert_eq!(map.get(Key(k)), Some(&v));
            }
            for s in &steps {
                let (Step::Remove(k) | Step::Insert(k, _) | Step::Bump(k)) = *s;
                prop_assert_eq!(map.get(Key(k)), model.get(&k));
            }
            let mut listed: Vec<(u32, u32)> = map.iter().map(|(k, &v)| (k.0, v)).collect();
            listed.sort_unstable();
            let expected: Vec<(u32, u32)> = model.into_iter().collect();
            prop_assert_eq!(listed, expected);
        }
    }

    #[test]
    fn stays_at_most_three_quarters_full() {
        let mut map: KeyMap<u8> = KeyMap::default();
        for k in 0..100_000 {
            map.insert(Key(k), 1);
            assert!(map.len() * 8 <= map.slots.len() * MAX_LOAD_EIGHTHS);
            // Growing by a quarter keeps it at least 60% full.
            if k >= 100 {
                assert!(map.len() * 10 >= map.slots.len() * 6, "{k}");
            }
        }
    }

    #[test]
    fn the_same_steps_give_the_same_layout() {
        let build = || {
            let mut map: KeyMap<u32> = KeyMap::default();
            for k in (0..500).rev() {
                map.insert(Key(k * 7919), k);
            }
            for k in (0..500).step_by(3) {
                map.remove(Key(k * 7919));
            }
            map.iter().map(|(k, &v)| (k, v)).collect::<Vec<_>>()
        };
        assert_eq!(build(), build());
    }
}
