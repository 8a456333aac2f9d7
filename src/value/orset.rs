//! An observed-remove set without tombstones: riak_dt's ORSWOT, with the
//! causal context of Almeida, Shoker and Baquero's delta-state CRDTs.
//!
//! Each present element carries the dots of the adds that put it there;
//! the set as a whole carries the dots it has seen (its causal context).
//! A remove drops the element's dots and keeps them in the context, so
//! nothing of the element remains but the memory that those adds were
//! seen. A merge keeps an element's dot when both sides hold it, or when
//! one side holds it and the other has not seen it; a dot one side holds
//! and the other has seen and dropped was removed. So a remove wins over
//! the adds its writer saw, and an add it did not see survives.
//!
//! The context is a version vector (each actor's dots seen from 1 up to a
//! counter) and, beside it, the dots seen past a gap. riak_dt keeps a
//! version vector alone, which is exact because its actors (vnodes) write
//! one at a time; a client may have two updates of one key in flight, or
//! read a state that misses its last write, so a dot it mints may leave a
//! gap that a bare vector would claim seen, and a merge would then drop an
//! add nobody removed. A gap closes, and the dots past it fold into the
//! vector, once the missing dot arrives.

use super::{Change, Dot, Element, OwnWrites};

/// An or-set. Every dot of `entries` is in the context (`clock` or
/// `cloud`); `apply` and `merge` keep it so.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrSet {
    /// Per actor, every dot from 1 to this counter seen; sorted by actor,
    /// no zero counters.
    clock: Vec<(u32, u32)>,
    /// Dots seen past a gap in `clock`; sorted, none covered by `clock`.
    cloud: Vec<Dot>,
    /// The present elements with their dots, sorted by element then dot.
    entries: Vec<(Element, Dot)>,
}

impl OrSet {
    /// The present elements, sorted, no repeats.
    pub fn elements(&self) -> Vec<Element> {
        let mut out: Vec<Element> = self.entries.iter().map(|(e, _)| *e).collect();
        out.dedup();
        out
    }

    /// Each present element with each of its dots.
    pub fn entries(&self) -> &[(Element, Dot)] {
        &self.entries
    }

    /// Whether the set has seen `dot`.
    pub fn has_seen(&self, dot: Dot) -> bool {
        self.covered_by_clock(dot) || self.cloud.binary_search(&dot).is_ok()
    }

    fn covered_by_clock(&self, dot: Dot) -> bool {
        match self.clock.binary_search_by_key(&dot.actor, |c| c.0) {
            Ok(i) => dot.counter <= self.clock[i].1,
            Err(_) => false,
        }
    }

    /// The highest counter of `actor`'s dots this set has seen.
    fn max_counter(&self, actor: u32) -> u32 {
        let in_clock = match self.clock.binary_search_by_key(&actor, |c| c.0) {
            Ok(i) => self.clock[i].1,
            Err(_) => 0,
        };
        let in_cloud = self
            .cloud
            .iter()
            .filter(|d| d.actor == actor)
            .map(|d| d.counter)
            .max()
            .unwrap_or(0);
        in_clock.max(in_cloud)
    }

    /// Removes the elements of `change.remove` (dropping the dots seen
    /// for them), then adds each of `change.add` under a fresh dot of
    /// `actor`, which replaces the element's dots: the writer has seen
    /// them all.
    pub fn apply(&mut self, change: &Change, actor: u32, own: &mut OwnWrites) {
        self.entries.retain(|(e, _)| {
            change.remove.binary_search(e).is_err() && change.add.binary_search(e).is_err()
        });
        for &element in &change.add {
            let counter = self.max_counter(actor).max(own.dots).saturating_add(1);
            own.dots = counter;
            let dot = Dot { actor, counter };
            self.see(dot);
            let at = self.entries.partition_point(|x| x.0 < element);
            self.entries.insert(at, (element, dot));
        }
    }

    /// Adds `dot` to the context.
    fn see(&mut self, dot: Dot) {
        if let Err(at) = self.cloud.binary_search(&dot) {
            self.cloud.insert(at, dot);
        }
        self.compact();
    }

    /// Folds the cloud's dots that continue the clock into it, and drops
    /// those it covers.
    fn compact(&mut self) {
        let mut kept = Vec::with_capacity(self.cloud.len());
        // Sorted by actor then counter: each dot meets its actor's clock
        // after every lower dot of the actor was folded in.
        for dot in std::mem::take(&mut self.cloud) {
            match self.clock.binary_search_by_key(&dot.actor, |c| c.0) {
                Ok(i) if dot.counter <= self.clock[i].1 => {}
                Ok(i) if dot.counter == self.clock[i].1 + 1 => self.clock[i].1 += 1,
                Err(i) if dot.counter == 1 => self.clock.insert(i, (dot.actor, 1)),
                _ => kept.push(dot),
            }
        }
        self.cloud = kept;
    }

    /// The join: an entry stays when both sides hold it or the side
    /// without it has not seen its dot; the contexts unite.
    pub fn merge(&mut self, other: &OrSet) {
        if self == other {
            return;
        }
        let mut entries = Vec::with_capacity(self.entries.len().max(other.entries.len()));
        let (mut a, mut b) = (0, 0);
        while a < self.entries.len() || b < other.entries.len() {
            let x = self.entries.get(a);
            let y = other.entries.get(b);
            match (x, y) {
                (Some(x), Some(y)) if x == y => {
                    entries.push(*x);
                    a += 1;
                    b += 1;
                }
                (Some(x), y) if y.is_none_or(|y| x < y) => {
                    if !other.has_seen(x.1) {
                        entries.push(*x);
                    }
                    a += 1;
                }
                (_, Some(y)) => {
                    if !self.has_seen(y.1) {
                        entries.push(*y);
                    }
                    b += 1;
                }
                _ => break,
            }
        }
        let mut clock = self.clock.clone();
        for &(actor, counter) in &other.clock {
            match clock.binary_search_by_key(&actor, |c| c.0) {
                Ok(i) => clock[i].1 = clock[i].1.max(counter),
                Err(i) => clock.insert(i, (actor, counter)),
            }
        }
        let mut cloud = self.cloud.clone();
        cloud.extend_from_slice(&other.cloud);
        cloud.sort_unstable();
        cloud.dedup();
        self.clock = clock;
        self.cloud = cloud;
        self.entries = entries;
        self.compact();
    }

    pub fn heap_bytes(&self) -> usize {
        self.clock.capacity() * std::mem::size_of::<(u32, u32)>()
            + self.cloud.capacity() * std::mem::size_of::<Dot>()
            + self.entries.capacity() * std::mem::size_of::<(Element, Dot)>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(s: &OrSet, e: u32, actor: u32, own: &mut OwnWrites) -> OrSet {
        let mut s = s.clone();
        s.apply(&Change::new(vec![Element(e)], vec![], 0), actor, own);
        s
    }

    /// Two updates of one client in flight at once, both from the empty
    /// set: the second's dot (2) leaves a gap at 1 until the first's
    /// state is merged. A bare version vector would claim dot 1 seen by
    /// the second state and drop the first add at the merge.
    #[test]
    fn a_clients_concurrent_adds_both_survive() {
        let mut own = OwnWrites::default();
        let empty = OrSet::default();
        let first = add(&empty, 0, 0, &mut own);
        // The second update read the empty set too.
        let second = add(&empty, 1, 0, &mut own);
        assert_eq!(second.entries()[0].1.counter, 2, "dot 2: no reuse");
        assert!(!second.has_seen(Dot {
            actor: 0,
            counter: 1
        }));
        let mut merged = second.clone();
        merged.merge(&first);
        assert_eq!(merged.elements(), [Element(0), Element(1)]);
        assert!(merged.cloud.is_empty(), "the gap closed: {merged:?}");
    }

    #[test]
    fn an_or_set_element_costs_twelve_bytes() {
        // Measured for the closing figures: one actor, elements added one
        // by one (the vector's growth aside, a shrunk copy is exact).
        let mut own = OwnWrites::default();
        let mut s = OrSet::default();
        for e in 0..1000 {
            s = add(&s, e, 0, &mut own);
        }
        let mut exact = s.clone();
        exact.entries.shrink_to_fit();
        exact.clock.shrink_to_fit();
        exact.cloud.shrink_to_fit();
        assert_eq!(exact.heap_bytes(), 1000 * 12 + 8);
    }
}
