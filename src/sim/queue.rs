//! The event queue: a 4-ary min-heap (`heap`) of small `(time, seq, slot)` entries over
//! a slab of event payloads.
//!
//! Keeping payloads out of the heap keeps sift operations on 24-byte
//! entries whatever the message type. The sequence number, unique and
//! rising, breaks ties between events at the same time, so order never
//! depends on memory addresses or hash order.
//!
//! Cancellation is O(1): the slot is freed at once and its heap entry
//! becomes a tombstone, recognised on pop because the slot's sequence number
//! no longer matches. Tombstones are swept out when they outnumber live
//! entries, so a cancelled request timeout never costs a heap entry for long.

use super::heap::MinHeap;
use crate::time::SimTime;

/// Below this many tombstones a sweep is not worth its O(n).
const MIN_TOMBSTONES_TO_SWEEP: usize = 1024;

#[derive(Clone, Copy, Debug)]
struct Entry {
    time: SimTime,
    seq: u64,
    slot: u32,
}

impl Entry {
    /// `(time, seq)` as one number: the sequence is unique, so it alone
    /// breaks ties and the slot never needs comparing. One 128-bit compare
    /// is branch-free where the derived, field-by-field order branched on
    /// each field in every sift step.
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

    fn gt(&self, other: &Self) -> bool {
        self.order_key() > other.order_key()
    }

    fn ge(&self, other: &Self) -> bool {
        self.order_key() >= other.order_key()
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.order_key().cmp(&other.order_key())
    }
}

struct Slot<E> {
    /// The sequence number of the event living here; stale heap entries
    /// carry another.
    seq: u64,
    event: Option<E>,
}

/// A handle to a scheduled event, for cancelling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scheduled {
    pub slot: u32,
    pub seq: u64,
}

pub struct EventQueue<E> {
    heap: MinHeap<Entry>,
    slots: Vec<Slot<E>>,
    free: Vec<u32>,
    next_seq: u64,
    tombstones: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: MinHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
            tombstones: 0,
        }
    }

    /// Events waiting (cancelled ones not counted).
    pub fn len(&self) -> usize {
        self.heap.len() - self.tombstones
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap entries including tombstones: what the queue costs in memory.
    pub fn heap_entries(&self) -> usize {
        self.heap.len()
    }

    pub fn push(&mut self, time: SimTime, event: E) -> Scheduled {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                let s = &mut self.slots[slot as usize];
                debug_assert!(s.event.is_none(), "a free slot holds no event");
                s.seq = seq;
                s.event = Some(event);
                slot
            }
            None => {
                let slot = u32::try_from(self.slots.len()).expect("fewer than 2^32 pending events");
                self.slots.push(Slot {
                    seq,
                    event: Some(event),
                });
                slot
            }
        };
        self.heap.push(Entry { time, seq, slot });
        Scheduled { slot, seq }
    }

    /// Removes the earliest event, skipping cancelled ones.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        while let Some(entry) = self.heap.pop() {
            let slot = &mut self.slots[entry.slot as usize];
            if slot.seq != entry.seq || slot.event.is_none() {
                self.tombstones -= 1;
                continue;
            }
            let event = slot.event.take().expect("checked above");
            self.free.push(entry.slot);
            return Some((entry.time, event));
        }
        None
    }

    /// The time of the earliest live event.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        loop {
            let entry = self.heap.peek()?;
            let slot = &self.slots[entry.slot as usize];
            if slot.seq == entry.seq && slot.event.is_some() {
                return Some(entry.time);
            }
            self.heap.pop();
            self.tombstones -= 1;
        }
    }

    /// Cancels a scheduled event; returns it if it was still pending.
    pub fn cancel(&mut self, handle: Scheduled) -> Option<E> {
        let slot = self.slots.get_mut(handle.slot as usize)?;
        if slot.seq != handle.seq {
            return None;
        }
        let event = slot.event.take()?;
        self.free.push(handle.slot);
        self.tombstones += 1;
        if self.tombstones >= MIN_TOMBSTONES_TO_SWEEP && self.tombstones * 2 > self.heap.len() {
            self.sweep();
        }
        Some(event)
    }

    fn sweep(&mut self) {
        let slots = &self.slots;
        self.heap.retain(|e| {
            let s = &slots[e.slot as usize];
            s.seq == e.seq && s.event.is_some()
        });
        self.tombstones = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut q = EventQueue::new();
        q.push(SimTime(5), "b");
        q.push(SimTime(1), "a");
        q.push(SimTime(5), "c");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![(SimTime(1), "a"), (SimTime(5), "b"), (SimTime(5), "c")]
        );
    }

    #[test]
    fn cancelled_events_never_pop_and_stale_handles_do_nothing() {
        let mut q = EventQueue::new();
        let a = q.push(SimTime(1), 1);
        q.push(SimTime(2), 2);
        assert_eq!(q.cancel(a), Some(1));
        assert_eq!(q.cancel(a), None, "second cancel is a no-op");
        // The freed slot is reused; the old handle must not cancel the new event.
        q.push(SimTime(3), 3);
        assert_eq!(q.cancel(a), None);
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop(), Some((SimTime(2), 2)));
        assert_eq!(q.pop(), Some((SimTime(3), 3)));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn cancelled_timers_do_not_accumulate_in_the_heap() {
        // A request timeout per operation, nearly all cancelled by the reply:
        // the heap must stay near the live count, not grow with the total.
        let mut q = EventQueue::new();
        let mut now = 0u64;
        for i in 0..100_000u64 {
            now += 10;
            let timeout = q.push(SimTime(now + 500_000), i);
            q.push(SimTime(now + 5), i);
            let (_, _) = q.pop().expect("the reply");
            q.cancel(timeout);
        }
        assert!(q.len() <= 1);
        assert!(
            q.heap_entries() < 3 * MIN_TOMBSTONES_TO_SWEEP,
            "heap holds {}",
            q.heap_entries()
        );
    }
}
