//! The requests a coordinator has in flight (paper §4.5: the coordinator
//! waits for W or R answers), kept in a slab so an answer updates its
//! request in place and a late one never meets a newer request.

use super::ReqId;
use super::coordinator::{Pending, Target};

/// The requests a node is coordinating, by id: a slab, so an answer
/// updates its request in place. An id is the slot and the slot's
/// generation, so a late answer never matches a newer request in the
/// same slot, even after a crash emptied the slab.
#[derive(Clone, Debug, Default)]
pub struct InFlight {
    slots: Vec<Slot>,
    free: Vec<u32>,
    live: usize,
    /// Emptied target lists of finished requests, reused so that a request
    /// costs no allocation for its targets.
    pub(super) spare_targets: Vec<Vec<Target>>,
}

/// Spare target lists kept at most: enough for the requests one node
/// finishes between two it starts.
pub(super) const MAX_SPARE_TARGETS: usize = 64;

#[derive(Clone, Debug, Default)]
struct Slot {
    generation: u32,
    pending: Option<Pending>,
}

impl InFlight {
    pub(super) fn insert(&mut self, p: Pending) -> ReqId {
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(Slot::default());
                (self.slots.len() - 1) as u32
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.pending = Some(p);
        self.live += 1;
        (u64::from(slot.generation) << 32) | u64::from(index)
    }

    fn slot(&mut self, id: ReqId) -> Option<&mut Slot> {
        let slot = self.slots.get_mut((id & 0xffff_ffff) as usize)?;
        (u64::from(slot.generation) == id >> 32).then_some(slot)
    }

    pub(super) fn contains(&self, id: ReqId) -> bool {
        self.slots
            .get((id & 0xffff_ffff) as usize)
            .is_some_and(|s| u64::from(s.generation) == id >> 32 && s.pending.is_some())
    }

    pub(super) fn get_mut(&mut self, id: ReqId) -> Option<&mut Pending> {
        self.slot(id)?.pending.as_mut()
    }

    pub(super) fn remove(&mut self, id: ReqId) -> Option<Pending> {
        let slot = self.slot(id)?;
        let p = slot.pending.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push((id & 0xffff_ffff) as u32);
        self.live -= 1;
        Some(p)
    }

    /// Forgets every request (a crash); generations move on.
    pub fn clear(&mut self) {
        self.free.clear();
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if slot.pending.take().is_some() {
                slot.generation = slot.generation.wrapping_add(1);
            }
            self.free.push(i as u32);
        }
        self.live = 0;
    }

    /// The id the next `insert` will return.
    pub(super) fn next_id(&self) -> ReqId {
        let index = match self.free.last() {
            Some(&i) => i,
            None => self.slots.len() as u32,
        };
        let generation = self.slots.get(index as usize).map_or(0, |s| s.generation);
        (u64::from(generation) << 32) | u64::from(index)
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }
}
