//! The event queue's order: a calendar queue (R. Brown, CACM 1988) of
//! `(time, seq, slot)` entries, smallest `(time, seq)` first.
//!
//! A window of [`BUCKETS`] buckets, each [`BUCKET_WIDTH`] of simulated
//! time wide, starts at the bucket of the last entry popped (the clock:
//! nothing earlier is ever pushed). An entry inside the window goes on its
//! bucket's list; one past it waits in a binary heap (`later`) and moves
//! to its bucket when the window reaches it. A bitmap of nonempty buckets
//! finds the next one in a word or two, and the earliest entry of a
//! bucket is found by walking its list, which holds an entry or two at the
//! loads a simulation runs (a message latency of a millisecond spreads
//! the events in flight over sixty buckets).
//!
//! Why not a heap alone: a pop there sifts through every level of the
//! heap, each level a comparison whose outcome is a coin toss, so it
//! either mispredicts or waits on its loads: about a fifth of the quorum
//! workload's time, where a bucket costs a bit scan and a short walk.
//! The order is exactly the heap's (ties by the unique sequence number),
//! so a run is the same event for event.

use super::heap::MinHeap;
use crate::time::SimTime;

/// Each bucket spans 2^14 ns (about 16 µs) of simulated time.
const BUCKET_SHIFT: u32 = 14;
pub const BUCKET_WIDTH: SimTime = SimTime(1 << BUCKET_SHIFT);
/// About 268 ms of simulated time in the window: a LAN's messages and a
/// WAN's land in it (a heap behind a window of 17 ms ran 150 ms links
/// 0.92 times as fast as a heap alone); timeouts and sampling timers wait
/// in `later`.
pub const BUCKETS: usize = 16384;
const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub time: SimTime,
    pub seq: u64,
    pub slot: u32,
}

impl Entry {
    /// `(time, seq)` as one number: the sequence is unique, so it alone
    /// breaks ties and the slot never needs comparing. One 128-bit compare
    /// is branch-free where a field-by-field order branches on each field.
    fn order_key(&self) -> u128 {
        (u128::from(self.time.0) << 64) | u128::from(self.seq)
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.order_key() == other.order_key()
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }

    fn lt(&self, other: &Self) -> bool {
        self.order_key() < other.order_key()
    }

    fn le(&self, other: &Self) -> bool {
        self.order_key() <= other.order_key()
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.order_key().cmp(&other.order_key())
    }
}

/// A filed entry and the next on its bucket's list. The entry's fields
/// are spelled out so that `next` fills what would be `Entry`'s padding:
/// 24 bytes a node, not 32.
#[derive(Clone, Copy, Debug)]
struct Node {
    time: SimTime,
    seq: u64,
    slot: u32,
    next: u32,
}

const _: () = assert!(std::mem::size_of::<Node>() == 24);

impl Node {
    fn entry(&self) -> Entry {
        Entry {
            time: self.time,
            seq: self.seq,
            slot: self.slot,
        }
    }
}

/// Where the earliest filed entry is: its bucket, the node before it on
/// the list (or `NIL`), and its node.
#[derive(Clone, Copy)]
struct Found {
    bucket: usize,
    before: u32,
    node: u32,
}

#[derive(Debug)]
pub struct Calendar {
    /// The first node of each bucket's list, unordered. Arrays of fixed
    /// length, not vectors: an index reduced modulo the length needs no
    /// bounds check.
    heads: Box<[u32; BUCKETS]>,
    /// One bit per bucket, set while its list is nonempty.
    occupied: Box<[u64; BUCKETS / 64]>,
    /// One bit per word of `occupied`, set while that word is nonzero:
    /// the next nonempty bucket is two bit scans away however far it is.
    summary: [u64; BUCKETS / 64 / 64],
    nodes: Vec<Node>,
    free: Vec<u32>,
    filed: usize,
    /// Entries at or past the window's end when pushed.
    later: MinHeap<Entry>,
    /// The time of the last entry popped; the window starts at its bucket.
    clock: SimTime,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            heads: Box::new([NIL; BUCKETS]),
            occupied: Box::new([0; BUCKETS / 64]),
            summary: [0; BUCKETS / 64 / 64],
            nodes: Vec::new(),
            free: Vec::new(),
            filed: 0,
            later: MinHeap::new(),
            clock: SimTime::ZERO,
        }
    }
}

impl Calendar {
    pub fn len(&self) -> usize {
        self.filed + self.later.len()
    }

    /// Adds an entry, which must not be earlier than the last one popped
    /// (the simulation never schedules into its past). Inlined, with
    /// `file`, into the queue's push: two calls' register saves and
    /// restores were about a sixth of a push's instructions.
    #[inline]
    pub fn push(&mut self, entry: Entry) {
        if self.len() == 0 {
            // Nothing filed relies on the window: it may start anywhere.
            self.clock = self.clock.min(entry.time);
        }
        assert!(
            entry.time >= self.clock,
            "an event scheduled before the last one popped"
        );
        if entry.time < self.window_end() {
            self.file(entry);
        } else {
            self.later.push(entry);
        }
    }

    /// Removes the earliest entry `live` accepts, if it is due by `until`,
    /// and moves the window up to it. Earlier entries `live` rejects
    /// (cancelled events) are dropped on the way without moving the
    /// window, since the simulation's clock never reached them; returns
    /// how many.
    pub fn pop_live(
        &mut self,
        until: SimTime,
        mut live: impl FnMut(&Entry) -> bool,
    ) -> (Option<Entry>, usize) {
        let mut dropped = 0;
        loop {
            self.refile();
            let found = self.earliest();
            let entry = match found {
                Some(found) => self.nodes[found.node as usize].entry(),
                None => match self.later.peek() {
                    Some(entry) => entry,
                    None => return (None, dropped),
                },
            };
            let due = live(&entry);
            if due && entry.time > until {
                return (None, dropped);
            }
            match found {
                Some(found) => {
                    self.unlink(found);
                }
                None => {
                    self.later.pop();
                }
            }
            if due {
                self.clock = entry.time;
                return (Some(entry), dropped);
            }
            dropped += 1;
        }
    }

    /// Removes the earliest entry; the window moves up to it.
    #[cfg(test)]
    fn pop(&mut self) -> Option<Entry> {
        self.pop_live(SimTime::MAX, |_| true).0
    }

    /// Keeps the entries `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&Entry) -> bool) {
        for bucket in 0..BUCKETS {
            let mut before = NIL;
            let mut node = self.heads[bucket];
            while node != NIL {
                let next = self.nodes[node as usize].next;
                if keep(&self.nodes[node as usize].entry()) {
                    before = node;
                } else {
                    self.unlink(Found {
                        bucket,
                        before,
                        node,
                    });
                }
                node = next;
            }
        }
        self.later.retain(keep);
    }

    /// The first time past the window.
    fn window_end(&self) -> SimTime {
        let first_bucket = self.clock.0 >> BUCKET_SHIFT;
        SimTime(
            first_bucket
                .saturating_add(BUCKETS as u64)
                .saturating_mul(BUCKET_WIDTH.0),
        )
    }

    fn bucket_of(time: SimTime) -> usize {
        (time.0 >> BUCKET_SHIFT) as usize % BUCKETS
    }

    #[inline]
    fn file(&mut self, entry: Entry) {
        let bucket = Self::bucket_of(entry.time);
        let node = Node {
            time: entry.time,
            seq: entry.seq,
            slot: entry.slot,
            next: self.heads[bucket],
        };
        let index = match self.free.pop() {
            Some(index) => {
                self.nodes[index as usize] = node;
                index
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        self.heads[bucket] = index;
        self.occupied[bucket / 64] |= 1 << (bucket % 64);
        self.summary[bucket / 4096] |= 1 << (bucket / 64 % 64);
        self.filed += 1;
    }

    /// Files the waiting entries the window has reached.
    fn refile(&mut self) {
        let end = self.window_end();
        while let Some(entry) = self.later.peek() {
            if entry.time >= end {
                break;
            }
            self.later.pop();
            self.file(entry);
        }
    }

    /// The earliest filed entry. The filed entries all lie in the window,
    /// so the buckets from the clock's onwards, wrapping round, are in
    /// time order.
    fn earliest(&self) -> Option<Found> {
        if self.filed == 0 {
            return None;
        }
        let start = Self::bucket_of(self.clock);
        let word = start / 64;
        let here = self.occupied[word] & (!0u64 << (start % 64));
        let bucket = if here != 0 {
            word * 64 + here.trailing_zeros() as usize
        } else {
            // The next nonzero word after the clock's, wrapping round to
            // the clock's own (its buckets before the clock's are the
            // window's far end).
            let next = first_set_from(&self.summary, (word + 1) % self.occupied.len())?;
            next * 64 + self.occupied[next].trailing_zeros() as usize
        };

        let mut best = self.heads[bucket];
        let mut best_before = NIL;
        let mut before = best;
        let mut node = self.nodes[best as usize].next;
        while node != NIL {
            let n = &self.nodes[node as usize];
            if n.entry() < self.nodes[best as usize].entry() {
                best = node;
                best_before = before;
            }
            before = node;
            node = n.next;
        }
        Some(Found {
            bucket,
            before: best_before,
            node: best,
        })
    }

    fn unlink(&mut self, found: Found) -> Entry {
        let node = self.nodes[found.node as usize];
        if found.before == NIL {
            self.heads[found.bucket] = node.next;
        } else {
            self.nodes[found.before as usize].next = node.next;
        }
        if self.heads[found.bucket] == NIL {
            let word = found.bucket / 64;
            self.occupied[word] &= !(1 << (found.bucket % 64));
            if self.occupied[word] == 0 {
                self.summary[word / 64] &= !(1 << (word % 64));
            }
        }
        self.free.push(found.node);
        self.filed -= 1;
        node.entry()
    }
}

/// The first set bit at or after bit `from`, wrapping round once.
fn first_set_from(words: &[u64], from: usize) -> Option<usize> {
    let word = from / 64;
    let here = words[word] & (!0u64 << (from % 64));
    if here != 0 {
        return Some(word * 64 + here.trailing_zeros() as usize);
    }
    (1..=words.len()).find_map(|i| {
        let w = (word + i) % words.len();
        (words[w] != 0).then(|| w * 64 + words[w].trailing_zeros() as usize)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    #[derive(Clone, Debug)]
    enum Op {
        /// Push at the clock plus this delay.
        Push(u64),
        /// Pop what is due by the clock plus this delay (or whatever is
        /// first), dropping entries whose sequence number is a multiple
        /// of the second (cancelled) on the way.
        Pop(Option<u64>, Option<u64>),
        /// Keep entries whose sequence number is not a multiple of this.
        Retain(u64),
    }

    fn delay() -> impl Strategy<Value = u64> {
        let window = BUCKETS as u64 * BUCKET_WIDTH.0;
        prop_oneof![
            Just(0u64),
            0u64..BUCKET_WIDTH.0, // the same bucket
            0u64..window,
            window..4 * window, // later
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            5 => delay().prop_map(Op::Push),
            4 => (proptest::option::of(delay()), proptest::option::of(2u64..5))
                .prop_map(|(after, m)| Op::Pop(after, m)),
            1 => (2u64..5).prop_map(Op::Retain),
        ]
    }

    /// What `pop_live` must do, on a binary heap.
    fn model_pop(
        model: &mut BinaryHeap<Reverse<Entry>>,
        until: SimTime,
        live: impl Fn(&Entry) -> bool,
    ) -> (Option<Entry>, usize) {
        let mut dropped = 0;
        while let Some(Reverse(entry)) = model.pop() {
            if !live(&entry) {
                dropped += 1;
            } else if entry.time > until {
                model.push(Reverse(entry));
                return (None, dropped);
            } else {
                return (Some(entry), dropped);
            }
        }
        (None, dropped)
    }

    proptest! {
        /// Any interleaving gives what a binary heap of the same entries
        /// gives, entry for entry, while pushes come no earlier than the
        /// last entry popped (not the last dropped: a simulation's clock
        /// never reaches a cancelled event).
        #[test]
        fn agrees_with_a_heap(ops in proptest::collection::vec(op(), 0..400), start in 0u64..u64::MAX / 4) {
            let mut ours = Calendar::default();
            let mut model = BinaryHeap::new();
            let mut now = SimTime(start);
            let mut seq = 0;
            for op in ops {
                let (until, m) = match op {
                    Op::Push(after) => {
                        let entry = Entry { time: now + SimTime(after), seq, slot: seq as u32 };
                        seq += 1;
                        ours.push(entry);
                        model.push(Reverse(entry));
                        continue;
                    }
                    Op::Retain(m) => {
                        ours.retain(|e| e.seq % m != 0);
                        model.retain(|r| r.0.seq % m != 0);
                        prop_assert_eq!(ours.len(), model.len());
                        continue;
                    }
                    Op::Pop(after, m) => (after.map_or(SimTime::MAX, |a| now + SimTime(a)), m),
                };
                let live = |e: &Entry| m.is_none_or(|m| e.seq % m != 0);
                let popped = ours.pop_live(until, live);
                prop_assert_eq!(popped, model_pop(&mut model, until, live));
                if let (Some(e), _) = popped {
                    now = e.time;
                }
                prop_assert_eq!(ours.len(), model.len());
            }
            let drained: Vec<Entry> = std::iter::from_fn(|| ours.pop()).collect();
            let expected: Vec<Entry> = std::iter::from_fn(|| model.pop().map(|r| r.0)).collect();
            prop_assert_eq!(drained, expected);
        }
    }

    #[test]
    fn an_entry_at_the_window_end_waits_for_the_window() {
        // Filed, it would share the clock's bucket and pop first.
        let mut c = Calendar::default();
        let end = c.window_end();
        for (seq, time) in [(0, end), (1, SimTime(end.0 - 1)), (2, SimTime(5))] {
            c.push(Entry { time, seq, slot: 0 });
        }
        let order: Vec<u64> = std::iter::from_fn(|| c.pop()).map(|e| e.seq).collect();
        assert_eq!(order, vec![2, 1, 0]);
    }

    #[test]
    fn an_emptied_calendar_takes_an_entry_before_its_clock() {
        // A drained queue may be filled again from an earlier time (the
        // clock only bounds what is filed): nothing relies on the window.
        let mut c = Calendar::default();
        c.push(Entry {
            time: SimTime(500),
            seq: 0,
            slot: 0,
        });
        assert_eq!(c.pop().map(|e| e.time), Some(SimTime(500)));
        c.push(Entry {
            time: SimTime(100),
            seq: 1,
            slot: 1,
        });
        c.push(Entry {
            time: SimTime(100 + 3 * BUCKETS as u64 * BUCKET_WIDTH.0),
            seq: 2,
            slot: 2,
        });
        assert_eq!(c.pop().map(|e| e.seq), Some(1));
        assert_eq!(c.pop().map(|e| e.seq), Some(2));
        assert_eq!(c.pop(), None);
    }
}
