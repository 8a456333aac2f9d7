//! Dotted version vectors (Preguiça, Baquero, Almeida, Fonte, Gonçalves,
//! "Dotted Version Vectors: Logical Clocks for Optimistic Replication",
//! 2010/2012), in the compact form Riak 2.0 ships as DVV sets: one version
//! vector for the whole key plus, per sibling, the dot `(node, counter)`
//! that names the put which wrote it. This replaces Dynamo's per-version
//! vector clocks (§4.4) where they go wrong.
//!
//! The set's version vector covers every dot it has seen, siblings or not.
//! A put at coordinator C with context `ctx` drops the siblings whose dots
//! `ctx` covers (the client read them), mints the dot `(C, max(ctx[C],
//! vv[C]) + 1)`, keeps every other sibling, and joins `ctx` into the vector.
//! Because a sibling is superseded only when its own dot is in the writer's
//! context, two blind puts through one coordinator both survive: the
//! anomaly of per-node vector clocks is gone. A sync keeps each sibling
//! the other side holds too or has never seen (its dot is outside the
//! other side's vector), and joins the vectors.
//!
//! Layout: one flat, immutable `Rc<[Entry]>` (see `vc.rs`): a header cell `Entry { node: vv_len,
//! counter: 0, stamp: 0 }`, the vector's entries (sorted by node, stamps 0),
//! then the siblings as `Entry { node, counter, stamp: value }` sorted by
//! dot. Riak groups the siblings under their node's vector entry; a flat
//! list of dots is as small for the one- and two-sibling keys that matter.

use std::fmt;
use std::rc::Rc;

use super::Context;
use super::clock::{self, Entry};

/// A DVV set in the flat layout above.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DvvSet {
    cells: Rc<[Entry]>,
}

impl DvvSet {
    /// Where the cells start: the allocation's identity.
    pub(crate) fn cells_ptr(&self) -> *const Entry {
        self.cells.as_ptr()
    }

    #[cfg(test)]
    pub(crate) fn shares_cells(&self, other: &DvvSet) -> bool {
        Rc::ptr_eq(&self.cells, &other.cells)
    }
}

/// Whether the version vector `vv` has seen the dot `d`.
fn covers(vv: &[Entry], d: &Entry) -> bool {
    clock::counter(vv, d.node) >= d.counter
}

impl DvvSet {
    /// The set's version vector.
    pub(crate) fn vv(&self) -> &[Entry] {
        vv(&self.cells)
    }

    /// The siblings: `node`/`counter` are the dot, `stamp` the value.
    pub(crate) fn dots(&self) -> &[Entry] {
        dots(&self.cells)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        clock::shared_bytes(&self.cells)
    }

    pub(crate) fn context(&self) -> Context {
        Context {
            clock: self.vv().to_vec(),
            shadow: Vec::new(),
        }
    }

    pub(crate) fn put(&mut self, node: u32, context: &Context, value: u64) {
        let (vv, dots) = (self.vv(), self.dots());
        let counter = clock::counter(&context.clock, node)
            .max(clock::counter(vv, node))
            .saturating_add(1);

        self.cells = clock::with_scratch(|out| {
            out.push(Entry::new(0, 0, 0));
            clock::join_into(out, vv, &context.clock);
            clock::set(out, 1, node, counter, 0);
            for e in out.iter_mut().skip(1) {
                e.stamp = 0;
            }
            out[0] = Entry::new((out.len() - 1) as u32, 0, 0);

            let new_dot = Entry::new(node, counter, value);
            let mut placed = false;
            for d in dots.iter().filter(|d| !covers(&context.clock, d)) {
                if !placed && new_dot < *d {
                    out.push(new_dot);
                    placed = true;
                }
                out.push(*d);
            }
            if !placed {
                out.push(new_dot);
            }
            Rc::from(&out[..])
        });
    }

    /// Sync with another replica's set; returns whether this one changed.
    pub(crate) fn merge(&mut self, other: &DvvSet) -> bool {
        if self == other || other.is_empty() {
            return false;
        }
        clock::rebuild(&mut self.cells, |out, mine| {
            sync_into(out, mine, &other.cells)
        })
        .0
    }

    /// Whether syncing `self` into `other` would leave `other` as it is,
    /// and the other way round: a sync and a comparison need both, and
    /// the states are told equal once rather than once each way.
    pub(crate) fn le_both(&self, other: &DvvSet) -> (bool, bool) {
        if self.equal(other) {
            return (true, true);
        }
        (self.le_unequal(other), other.le_unequal(self))
    }

    /// Equal states, most often shared cells (a replica against the state
    /// it took from the coordinator): merge is idempotent.
    fn equal(&self, other: &DvvSet) -> bool {
        Rc::ptr_eq(&self.cells, &other.cells) || self.cells == other.cells
    }

    /// Whether syncing `self` into `other` would leave `other` as it is,
    /// for states known to differ.
    fn le_unequal(&self, other: &DvvSet) -> bool {
        let (va, vb) = (self.vv(), other.vv());
        let (da, db) = (self.dots(), other.dots());
        clock::le(va, vb)
            && da.iter().all(|x| db.contains(x) || covers(vb, x))
            && db.iter().all(|y| da.contains(y) || !covers(va, y))
    }

    pub(crate) fn fmt(
        &self,
        f: &mut impl fmt::Write,
        value: &dyn Fn(u64) -> String,
    ) -> fmt::Result {
        for (i, d) in self.dots().iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(
                f,
                "{} @{}:{}",
                value(d.stamp),
                crate::id::NodeId(d.node),
                d.counter
            )?;
        }
        f.write_str(" ctx ")?;
        clock::fmt_clock(f, self.vv())
    }

    /// Feeds the canonical encoding (vector, then dots and values).
    pub(crate) fn encode(&self, sink: &mut impl FnMut(&[u8])) {
        let (vv, dots) = (self.vv(), self.dots());
        sink(&(vv.len() as u32).to_le_bytes());
        for e in vv {
            sink(&e.node.to_le_bytes());
            sink(&e.counter.to_le_bytes());
        }
        sink(&(dots.len() as u32).to_le_bytes());
        for d in dots {
            sink(&d.stamp.to_le_bytes());
            sink(&d.node.to_le_bytes());
            sink(&d.counter.to_le_bytes());
        }
    }
}

/// The version vector of a set's cells.
fn vv(cells: &[Entry]) -> &[Entry] {
    let len = cells.first().map_or(0, |h| h.node as usize);
    cells.get(1..1 + len).unwrap_or(&[])
}

/// The dots of a set's cells.
fn dots(cells: &[Entry]) -> &[Entry] {
    let len = cells.first().map_or(0, |h| h.node as usize);
    cells.get(1 + len..).unwrap_or(&[])
}

/// Appends to `out` the sync of `a` and `b`: the joined vector, then the
/// dots of both sides that the other side's vector does not cover.
fn sync_into(out: &mut Vec<Entry>, a: &[Entry], b: &[Entry]) {
    let (va, vb) = (vv(a), vv(b));
    let (da, db) = (dots(a), dots(b));
    out.push(Entry::new(0, 0, 0));
    clock::join_into(out, va, vb);
    out[0] = Entry::new((out.len() - 1) as u32, 0, 0);
    let (mut i, mut j) = (0, 0);
    loop {
        match (da.get(i), db.get(j)) {
            (Some(x), Some(y)) if x == y => {
                out.push(*x);
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                if !covers(vb, x) {
                    out.push(*x);
                }
                i += 1;
            }
            (_, Some(y)) => {
                if !covers(va, y) {
                    out.push(*y);
                }
                j += 1;
            }
            (Some(x), None) => {
                if !covers(vb, x) {
                    out.push(*x);
                }
                i += 1;
            }
            (None, None) => break,
        }
    }
}
