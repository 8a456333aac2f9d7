//! A PN-counter (Shapiro et al.; riak_dt_pncounter): per actor, the
//! increments and the decrements it made, each only ever growing, merged
//! entry by entry by their maximum; the value is every increment less
//! every decrement.

use super::OwnWrites;

/// Per actor `(actor, increments, decrements)`, sorted by actor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PnCounter(Vec<(u32, u64, u64)>);

impl PnCounter {
    pub fn value(&self) -> i64 {
        let (p, n) = self.0.iter().fold((0u64, 0u64), |(p, n), e| {
            (p.saturating_add(e.1), n.saturating_add(e.2))
        });
        (p as i64).wrapping_sub(n as i64)
    }

    /// `actor` adds `delta`. Its entry starts from the larger of what the
    /// state holds and what it remembers writing, so an update whose read
    /// missed the actor's last write still counts that write once.
    pub fn apply(&mut self, delta: i64, actor: u32, own: &mut OwnWrites) {
        let i = match self.0.binary_search_by_key(&actor, |e| e.0) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (actor, 0, 0));
                i
            }
        };
        let entry = &mut self.0[i];
        entry.1 = entry.1.max(own.increments);
        entry.2 = entry.2.max(own.decrements);
        if delta >= 0 {
            entry.1 = entry.1.saturating_add(delta as u64);
        } else {
            entry.2 = entry.2.saturating_add(delta.unsigned_abs());
        }
        own.increments = entry.1;
        own.decrements = entry.2;
    }

    pub fn merge(&mut self, other: &PnCounter) {
        let mut merged = Vec::with_capacity(self.0.len().max(other.0.len()));
        let (mut a, mut b) = (0, 0);
        while a < self.0.len() || b < other.0.len() {
            match (self.0.get(a), other.0.get(b)) {
                (Some(x), Some(y)) if x.0 == y.0 => {
                    merged.push((x.0, x.1.max(y.1), x.2.max(y.2)));
                    a += 1;
                    b += 1;
                }
                (Some(x), y) if y.is_none_or(|y| x.0 < y.0) => {
                    merged.push(*x);
                    a += 1;
                }
                (_, Some(y)) => {
                    merged.push(*y);
                    b += 1;
                }
                _ => break,
            }
        }
        self.0 = merged;
    }

    pub fn heap_bytes(&self) -> usize {
        self.0.capacity() * std::mem::size_of::<(u32, u64, u64)>()
    }
}
