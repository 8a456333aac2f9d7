//! Sibling sets under per-node vector clocks, as in Dynamo §4.4 (and Riak
//! before 2.0): each version carries its own clock; a put at coordinator C
//! stamps the context's clock with C's counter bumped past every C counter
//! the context and the local siblings hold, and drops every sibling that
//! clock (or the context) descends from; a sync keeps the versions of both
//! sides that no version of the other side strictly dominates.
//!
//! The per-node counter is what loses writes: two blind puts through one
//! coordinator get `[C:1]` and then `[C:2]`, and the second silently
//! replaces the first although neither writer saw the other. Dotted
//! version vectors (`dvv.rs`) fix exactly this.
//!
//! Truncation (§4.4): with a limit, a new clock with more entries than the
//! limit loses its entries with the oldest stamps. Each version whose clock
//! lost entries (or descends from one that did) also keeps a shadow, the
//! untruncated clock, used only to count false conflicts: pairs of versions
//! kept as concurrent siblings although their untruncated clocks are
//! ordered.
//!
//! Equal clocks name the same version, as the protocol sees it. Two
//! versions with different values can only share a clock when a counter
//! was reused (truncation dropped the coordinator's old entry, or a wiped
//! disk restarted it); then the one with the higher value id stands for
//! both everywhere, and the other is silently lost, as it would be in
//! Dynamo.
//!
//! Layout: one flat `Rc<[Entry]>` for the whole set, so a one-sibling key is
//! one allocation. A built set is never changed in place: a put or a sync
//! that changes it builds new cells, so every replica, message and pending
//! request holding the same state shares one allocation, cloning it costs a
//! reference count, and two states are often told equal by address alone.
//! Per version, in canonical order (value, then clock, then
//! shadow): a header cell `Entry { node: clock_len, counter: shadow_len,
//! stamp: value }`, its clock entries, then its shadow entries (stamps 0;
//! none when the shadow would equal the clock, and a real shadow is never
//! empty: it always holds the coordinator's entry).

use std::cmp::Ordering;
use std::fmt;
use std::rc::Rc;

use super::clock::{self, Entry};
use super::{Context, Order};

/// A vector-clock sibling set in the flat layout above.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Versions {
    cells: Rc<[Entry]>,
}

impl Versions {
    /// Where the cells start: the allocation's identity.
    pub(crate) fn cells_ptr(&self) -> *const Entry {
        self.cells.as_ptr()
    }

    #[cfg(test)]
    pub(crate) fn shares_cells(&self, other: &Versions) -> bool {
        Rc::ptr_eq(&self.cells, &other.cells)
    }
}

/// One version, borrowed from the flat layout.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Version<'a> {
    pub(crate) value: u64,
    pub(crate) clock: &'a [Entry],
    /// Empty unless the clock has been truncated somewhere in its history.
    shadow: &'a [Entry],
    /// The header and everything after it: the version's whole encoding.
    cells: &'a [Entry],
}

impl<'a> Version<'a> {
    /// The clock as it would be without truncation.
    fn untruncated(&self) -> &'a [Entry] {
        if self.shadow.is_empty() {
            self.clock
        } else {
            self.shadow
        }
    }

    /// The canonical order of versions inside a set.
    fn canonical(&self, other: &Version<'_>) -> Ordering {
        (self.value, self.clock, self.shadow).cmp(&(other.value, other.clock, other.shadow))
    }

    fn same(&self, other: &Version<'_>) -> bool {
        self.cells == other.cells
    }
}

/// Walks the flat layout; stops (rather than panicking) at a malformed
/// header, which the code in this file never writes.
pub(crate) struct Iter<'a> {
    rest: &'a [Entry],
}

impl<'a> Iterator for Iter<'a> {
    type Item = Version<'a>;
    fn next(&mut self) -> Option<Version<'a>> {
        let header = self.rest.first()?;
        let clock_len = header.node as usize;
        let shadow_len = header.counter as usize;
        let total = 1 + clock_len + shadow_len;
        let cells = self.rest.get(..total)?;
        self.rest = self.rest.get(total..).unwrap_or(&[]);
        Some(Version {
            value: header.stamp,
            clock: cells.get(1..1 + clock_len)?,
            shadow: cells.get(1 + clock_len..)?,
            cells,
        })
    }
}

/// Appends to `out` the sync of sets `a` and `b`: the versions of both
/// sides that no version of the other side dominates, in canonical order.
/// Returns the false conflicts it newly keeps.
fn sync_into(out: &mut Vec<Entry>, a: &[Entry], b: &[Entry]) -> u32 {
    let mut xs = versions(a).peekable();
    let mut ys = versions(b).peekable();
    loop {
        let (next, keep) = match (xs.peek().copied(), ys.peek().copied()) {
            (Some(x), Some(y)) => match x.canonical(&y) {
                Ordering::Less => (xs.next(), !dominated(&x, b)),
                Ordering::Greater => (ys.next(), !dominated(&y, a)),
                Ordering::Equal if x.same(&y) => {
                    let keep = !dominated(&x, a) || !dominated(&x, b);
                    ys.next();
                    (xs.next(), keep)
                }
                Ordering::Equal => (xs.next(), !dominated(&x, b)),
            },
            (Some(x), None) => (xs.next(), !dominated(&x, b)),
            (None, Some(y)) => (ys.next(), !dominated(&y, a)),
            (None, None) => break,
        };
        match next {
            Some(v) if keep => out.extend_from_slice(v.cells),
            Some(_) => {}
            None => break,
        }
    }

    let mut false_conflicts = 0;
    if has_shadows(a) || has_shadows(b) {
        // Count only pairs this sync brings together: one version from
        // each side that the other side lacked.
        for x in versions(a).filter(|x| !contains(b, x) && !dominated(x, b)) {
            for y in versions(b).filter(|y| !contains(a, y) && !dominated(y, a)) {
                if false_conflict(&x, &y) {
                    false_conflicts += 1;
                }
            }
        }
    }
    false_conflicts
}

fn has_shadows(cells: &[Entry]) -> bool {
    versions(cells).any(|v| !v.shadow.is_empty())
}

fn versions(cells: &[Entry]) -> Iter<'_> {
    Iter { rest: cells }
}

/// Whether a version of `set` supersedes `x`: its clock is strictly
/// later, or equal (the same version, as the protocol sees it) with a
/// canonically greater encoding.
fn dominated(x: &Version<'_>, set: &[Entry]) -> bool {
    versions(set).any(|y| dominated_by(x, &y))
}

/// Whether `y` supersedes `x` (see [`dominated`]).
fn dominated_by(x: &Version<'_>, y: &Version<'_>) -> bool {
    clock::lt(x.clock, y.clock)
        || (clock::same_counters(x.clock, y.clock) && x.canonical(y) == Ordering::Less)
}

/// The set's only version, when it holds exactly one.
fn single(cells: &[Entry]) -> Option<Version<'_>> {
    let mut all = versions(cells);
    let first = all.next()?;
    (first.cells.len() == cells.len()).then_some(first)
}

fn contains(set: &[Entry], x: &Version<'_>) -> bool {
    versions(set).any(|y| y.same(x))
}

/// A kept pair of siblings that truncation made look concurrent.
fn false_conflict(x: &Version<'_>, y: &Version<'_>) -> bool {
    clock::order(x.clock, y.clock) == Order::Concurrent
        && clock::order(x.untruncated(), y.untruncated()) != Order::Concurrent
}

impl Versions {
    pub(crate) fn iter(&self) -> Iter<'_> {
        versions(&self.cells)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        clock::shared_bytes(&self.cells)
    }

    pub(crate) fn len(&self) -> usize {
        self.iter().count()
    }

    fn has_shadows(&self) -> bool {
        has_shadows(&self.cells)
    }

    /// The join of every sibling's clock (and shadow).
    pub(crate) fn context(&self) -> Context {
        // One version (most gets read one): the join is its own clock, and
        // its shadow only where that says more than the clock.
        if let Some(v) = single(&self.cells) {
            let shadow = if v.shadow.is_empty() || clock::same_counters(v.shadow, v.clock) {
                Vec::new()
            } else {
                v.shadow.to_vec()
            };
            return Context {
                clock: v.clock.to_vec(),
                shadow,
            };
        }
        let mut acc = Vec::new();
        let mut tmp = Vec::new();
        for v in self.iter() {
            tmp.clear();
            clock::join_into(&mut tmp, &acc, v.clock);
            std::mem::swap(&mut acc, &mut tmp);
        }
        let mut shadow = Vec::new();
        if self.has_shadows() {
            for v in self.iter() {
                tmp.clear();
                clock::join_into(&mut tmp, &shadow, v.untruncated());
                std::mem::swap(&mut shadow, &mut tmp);
            }
            if clock::same_counters(&shadow, &acc) {
                shadow = Vec::new();
            }
        }
        Context { clock: acc, shadow }
    }

    /// The coordinator's write; returns the false conflicts it kept.
    pub(crate) fn put(
        &mut self,
        truncate: u32,
        node: u32,
        now: u64,
        context: &Context,
        value: u64,
    ) -> u32 {
        clock::with_scratch(|out| self.put_via(out, truncate, node, now, context, value))
    }

    fn put_via(
        &mut self,
        out: &mut Vec<Entry>,
        truncate: u32,
        node: u32,
        now: u64,
        context: &Context,
        value: u64,
    ) -> u32 {
        // The per-node counter: past everything the context and this
        // replica know of the coordinator's updates.
        let local = self.iter().map(|v| clock::counter(v.clock, node)).max();
        let counter = clock::counter(&context.clock, node)
            .max(local.unwrap_or(0))
            .saturating_add(1);

        out.push(Entry::new(0, 0, value));
        clock::push_with(out, &context.clock, node, counter, now);
        let truncated = truncate > 0 && clock::truncate(out, 1, truncate as usize, node);
        let clock_end = out.len();

        if truncated || !context.shadow.is_empty() || self.has_shadows() {
            // The same computation on untruncated clocks, for bookkeeping.
            let local = self
                .iter()
                .map(|v| clock::counter(v.untruncated(), node))
                .max();
            let base = context.untruncated();
            let counter = clock::counter(base, node)
                .max(local.unwrap_or(0))
                .saturating_add(1);
            clock::push_with(out, base, node, counter, 0);
            for e in out.get_mut(clock_end..).unwrap_or_default() {
                e.stamp = 0;
            }
            let (clock_part, shadow_part) = out.split_at(clock_end);
            if clock::same_counters(&clock_part[1..], shadow_part) {
                out.truncate(clock_end);
            }
        }
        let new_len = out.len();
        out[0] = Entry::new((clock_end - 1) as u32, (new_len - clock_end) as u32, value);

        // Replace what the context (or the new clock) descends from; keep
        // the rest as siblings.
        let mut false_conflicts = 0;
        for v in self.iter() {
            let (new, _) = out.split_at(new_len);
            let Some(new) = versions(new).next() else {
                break;
            };
            if clock::le(v.clock, &context.clock) || clock::le(v.clock, new.clock) {
                continue;
            }
            if false_conflict(&v, &new) {
                false_conflicts += 1;
            }
            out.extend_from_slice(v.cells);
        }

        // Move the new version to its canonical place.
        let position = {
            let (new, kept) = out.split_at(new_len);
            match versions(new).next() {
                Some(new) => versions(kept)
                    .take_while(|v| v.canonical(&new) == Ordering::Less)
                    .map(|v| v.cells.len())
                    .sum::<usize>(),
                None => 0,
            }
        };
        out[..new_len + position].rotate_left(new_len);
        self.cells = Rc::from(&out[..]);
        false_conflicts
    }

    /// Sync with another replica's set: the versions of both sides that no
    /// version of the other side strictly dominates. Returns whether this
    /// set changed and the false conflicts newly kept.
    pub(crate) fn merge(&mut self, other: &Versions) -> (bool, u32) {
        if self == other || other.is_empty() {
            return (false, 0);
        }
        clock::rebuild(&mut self.cells, |out, mine| {
            sync_into(out, mine, &other.cells)
        })
    }

    /// `(self.le(other), other.le(self))`, for a sync or a comparison that
    /// needs both: one version against one (most syncs: a replica's state
    /// and the coordinator's newer one) walks the two clocks once each way
    /// rather than twice.
    pub(crate) fn le_both(&self, other: &Versions) -> (bool, bool) {
        let (a, b) = (&self.cells[..], &other.cells[..]);
        if Rc::ptr_eq(&self.cells, &other.cells) || a == b {
            return (true, true);
        }
        if let (Some(x), Some(y)) = (single(a), single(b)) {
            // `le` for [x] and [y] with x ≠ y is `dominated_by`, each way;
            // a strict order rules out equal counters, so only clocks
            // equal in both directions need the canonical tie-break.
            let (x_le_y, y_le_x) = (clock::le(x.clock, y.clock), clock::le(y.clock, x.clock));
            if !(x_le_y && y_le_x) {
                return (x_le_y, y_le_x);
            }
            if !clock::same_counters(x.clock, y.clock) {
                return (false, false);
            }
            return match x.canonical(&y) {
                Ordering::Less => (true, false),
                Ordering::Greater => (false, true),
                Ordering::Equal => (false, false),
            };
        }
        (self.le(other), other.le(self))
    }

    /// Whether syncing `self` into `other` would leave `other` as it is.
    pub(crate) fn le(&self, other: &Versions) -> bool {
        let (a, b) = (&self.cells[..], &other.cells[..]);
        // Fast paths for what most syncs and get replies compare: two equal
        // states (merge is idempotent), and one version against one.
        if Rc::ptr_eq(&self.cells, &other.cells) || a == b {
            return true;
        }
        if let (Some(x), Some(y)) = (single(a), single(b)) {
            // The general rule below, for a = [x] and b = [y]: x must be in
            // b or dominated by y, and y must survive ([y] never dominates
            // y, and y dominating x rules out x dominating y).
            return x.same(&y) || dominated_by(&x, &y);
        }
        // Mirrors `merge`: ours that the other lacks must be dominated
        // there...
        versions(a).all(|x| contains(b, &x) || dominated(&x, b))
            // ...and every one of theirs must survive.
            && versions(b).all(|y| {
                !dominated(&y, a) || (contains(a, &y) && !dominated(&y, b))
            })
    }

    pub(crate) fn fmt(
        &self,
        f: &mut impl fmt::Write,
        value: &dyn Fn(u64) -> String,
    ) -> fmt::Result {
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            f.write_str(&value(v.value))?;
            f.write_char(' ')?;
            clock::fmt_clock(f, v.clock)?;
        }
        Ok(())
    }

    /// Feeds the canonical encoding (values, nodes and counters; stamps and
    /// shadows are bookkeeping) to `sink`.
    pub(crate) fn encode(&self, sink: &mut impl FnMut(&[u8])) {
        sink(&(self.len() as u32).to_le_bytes());
        for v in self.iter() {
            sink(&v.value.to_le_bytes());
            sink(&(v.clock.len() as u32).to_le_bytes());
            for e in v.clock {
                sink(&e.node.to_le_bytes());
                sink(&e.counter.to_le_bytes());
            }
        }
    }
}
