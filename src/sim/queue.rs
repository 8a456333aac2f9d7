//! The event queue: a calendar queue (`calendar`) of small
//! `(time, seq, slot)` entries over a slab of event payloads.
//!
//! Keeping payloads out of the order keeps it on 24-byte entries whatever
//! the message type. The sequence number, unique and rising, breaks ties
//! between events at the same time, so order never depends on memory
//! addresses or hash order.
//!
//! Cancellation is O(1): the slot is freed at once and its entry becomes a
//! tombstone, recognised and dropped when it comes first because the
//! slot's sequence number no longer matches. Tombstones are swept out when
//! they outnumber live entries, so a cancelled request timeout never costs
//! an entry for long.

use super::calendar::{Calendar, Entry};
use crate::time::SimTime;

/// Below this many tombstones a sweep is not worth its O(n).
const MIN_TOMBSTONES_TO_SWEEP: usize = 1024;

struct Slot<E> {
    /// The sequence number of the event living here; stale entries carry
    /// another.
    seq: u64,
    event: Option<E>,
}

/// A popped event still in its slot: [`EventQueue::take`] moves it out.
/// Moving it straight from the slab into the handler's match, rather
/// than through a copy on the stack, spares the handler a load of bytes
/// stored a moment before in narrower pieces (a store-forwarding stall).
#[must_use]
pub struct Due(u32);

/// A handle to a scheduled event, for cancelling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scheduled {
    pub slot: u32,
    pub seq: u64,
}

pub struct EventQueue<E> {
    order: Calendar,
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
            order: Calendar::default(),
            slots: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
            tombstones: 0,
        }
    }

    /// Events waiting (cancelled ones not counted).
    pub fn len(&self) -> usize {
        self.order.len() - self.tombstones
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries including tombstones: what the queue costs in memory.
    pub fn stored_entries(&self) -> usize {
        self.order.len()
    }

    #[inline]
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
        self.order.push(Entry { time, seq, slot });
        Scheduled { slot, seq }
    }

    /// The event `handle` names, while it is pending.
    pub fn get(&self, handle: Scheduled) -> Option<&E> {
        let slot = self.slots.get(handle.slot as usize)?;
        if slot.seq != handle.seq {
            return None; // delivered or cancelled, and the slot reused
        }
        slot.event.as_ref()
    }

    /// Removes the earliest event, skipping cancelled ones.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_until(SimTime::MAX)
    }

    /// Removes the earliest event if it is due by `until`, skipping (and
    /// forgetting) cancelled ones.
    pub fn pop_until(&mut self, until: SimTime) -> Option<(SimTime, E)> {
        let (time, due) = self.next_due(until)?;
        Some((time, self.take(due)))
    }

    /// Removes the earliest event's entry if it is due by `until`,
    /// skipping (and forgetting) cancelled ones, and leaves the event in
    /// its slot for [`EventQueue::take`]; the slot stays taken until then.
    #[inline]
    pub fn next_due(&mut self, until: SimTime) -> Option<(SimTime, Due)> {
        let slots = &self.slots;
        let (entry, dropped) = self.order.pop_live(until, |e| is_live(slots, e));
        self.tombstones -= dropped;
        let entry = entry?;
        Some((entry.time, Due(entry.slot)))
    }

    /// Moves a due event out of its slot and frees the slot.
    #[inline(always)]
    pub fn take(&mut self, due: Due) -> E {
        self.free.push(due.0);
        self.slots[due.0 as usize]
            .event
            .take()
            .expect("a live entry's slot holds its event")
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
        if self.tombstones >= MIN_TOMBSTONES_TO_SWEEP && self.tombstones * 2 > self.order.len() {
            self.sweep();
        }
        Some(event)
    }

    fn sweep(&mut self) {
        let slots = &self.slots;
        self.order.retain(|e| is_live(slots, e));
        self.tombstones = 0;
    }
}

/// Whether the entry's event is still scheduled: its slot holds an event
/// with the entry's sequence number (not cancelled, nor freed and reused).
fn is_live<E>(slots: &[Slot<E>], entry: &Entry) -> bool {
    let slot = &slots[entry.slot as usize];
    slot.seq == entry.seq && slot.event.is_some()
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
    fn cancelled_timers_do_not_accumulate_in_the_queue() {
        // A request timeout per operation, nearly all cancelled by the reply:
        // the queue must stay near the live count, not grow with the total.
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
            q.stored_entries() < 3 * MIN_TOMBSTONES_TO_SWEEP,
            "the queue holds {}",
            q.stored_entries()
        );
    }
}
