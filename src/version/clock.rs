//! Vector clocks as sorted slices of `(node, counter, stamp)` entries: the
//! paper's `[(node, counter)]` lists (Dynamo §4.4), plus the timestamp of
//! each entry's last update that clock truncation needs, and the
//! [`Context`] a read hands a client and a later put sends back.
//!
//! A clock is a slice of [`Entry`] sorted by node with one entry per node;
//! a node missing from the slice has counter 0. Comparisons look at nodes
//! and counters only: the stamps are metadata for truncation.

use std::cmp::Ordering;
use std::fmt;

use crate::id::NodeId;

use super::Order;

/// One clock entry: `node` has coordinated `counter` updates in this
/// history, the last at its own clock reading `stamp` (nanoseconds).
///
/// The flat sibling layouts also use an `Entry` as a 16-byte header cell;
/// each layout documents how it reads the fields there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Entry {
    pub(crate) node: u32,
    pub(crate) counter: u32,
    pub(crate) stamp: u64,
}

impl Entry {
    pub(crate) fn new(node: u32, counter: u32, stamp: u64) -> Entry {
        Entry {
            node,
            counter,
            stamp,
        }
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<Entry>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `build` on an empty, reused buffer: a put or a sync builds its
/// new cells there and copies them once into their shared allocation,
/// rather than allocating a `Vec` and then the `Rc`. Only the buffer's
/// capacity outlives a call, so it never shapes a run.
pub(crate) fn with_scratch<R>(build: impl FnOnce(&mut Vec<Entry>) -> R) -> R {
    SCRATCH.with_borrow_mut(|out| {
        out.clear();
        build(out)
    })
}

/// Builds a state's cells anew in the scratch buffer (see
/// [`with_scratch`]) and, if they differ from `cells`, replaces them with
/// one shared copy: what a sync does. Returns whether they changed, and
/// what `build` returned.
pub(crate) fn rebuild<R>(
    cells: &mut std::rc::Rc<[Entry]>,
    build: impl FnOnce(&mut Vec<Entry>, &[Entry]) -> R,
) -> (bool, R) {
    let (rebuilt, result) = with_scratch(|out| {
        let result = build(out, cells);
        let rebuilt = (out[..] != cells[..]).then(|| std::rc::Rc::<[Entry]>::from(&out[..]));
        (rebuilt, result)
    });
    let changed = rebuilt.is_some();
    if let Some(new) = rebuilt {
        *cells = new;
    }
    (changed, result)
}

/// Heap bytes behind shared cells: the allocation's two reference counts
/// and the cells, whoever else shares them; none when there are no cells.
pub(crate) fn shared_bytes(cells: &std::rc::Rc<[Entry]>) -> usize {
    if cells.is_empty() {
        0
    } else {
        2 * std::mem::size_of::<usize>() + std::mem::size_of_val::<[Entry]>(cells)
    }
}

/// `node`'s counter in `clock` (0 when absent).
pub(crate) fn counter(clock: &[Entry], node: u32) -> u32 {
    match clock.binary_search_by_key(&node, |e| e.node) {
        Ok(i) => clock.get(i).map_or(0, |e| e.counter),
        Err(_) => 0,
    }
}

/// Whether `a ≤ b`: every counter in `a` is at most `b`'s for that node
/// (`b` descends from `a`).
pub(crate) fn le(a: &[Entry], b: &[Entry]) -> bool {
    let mut rest = b.iter().peekable();
    for x in a {
        if x.counter == 0 {
            continue;
        }
        while rest.next_if(|y| y.node < x.node).is_some() {}
        match rest.peek() {
            Some(y) if y.node == x.node && y.counter >= x.counter => {}
            _ => return false,
        }
    }
    true
}

/// Whether `a < b` strictly.
pub(crate) fn lt(a: &[Entry], b: &[Entry]) -> bool {
    le(a, b) && !le(b, a)
}

/// The causal order of two clocks.
pub(crate) fn order(a: &[Entry], b: &[Entry]) -> Order {
    match (le(a, b), le(b, a)) {
        (true, true) => Order::Equal,
        (true, false) => Order::Before,
        (false, true) => Order::After,
        (false, false) => Order::Concurrent,
    }
}

/// Whether two clocks list the same nodes and counters (stamps aside).
pub(crate) fn same_counters(a: &[Entry], b: &[Entry]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.node == y.node && x.counter == y.counter)
}

/// Appends the pointwise maximum of `a` and `b` to `out`. For a node in
/// both, the entry with the higher counter wins with its stamp; on equal
/// counters (the same event) the later stamp, so the join is commutative.
pub(crate) fn join_into(out: &mut Vec<Entry>, a: &[Entry], b: &[Entry]) {
    let (mut i, mut j) = (0, 0);
    loop {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => match x.node.cmp(&y.node) {
                Ordering::Less => {
                    out.push(*x);
                    i += 1;
                }
                Ordering::Greater => {
                    out.push(*y);
                    j += 1;
                }
                Ordering::Equal => {
                    out.push((*x).max(*y));
                    i += 1;
                    j += 1;
                }
            },
            (Some(x), None) => {
                out.push(*x);
                i += 1;
            }
            (None, Some(y)) => {
                out.push(*y);
                j += 1;
            }
            (None, None) => return,
        }
    }
}

/// The join of two clocks as a new vector.
pub(crate) fn join(a: &[Entry], b: &[Entry]) -> Vec<Entry> {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    join_into(&mut out, a, b);
    out
}

/// Writes `clock` with `node`'s entry set to `(counter, stamp)` onto `out`,
/// keeping the node order.
pub(crate) fn push_with(
    out: &mut Vec<Entry>,
    clock: &[Entry],
    node: u32,
    counter: u32,
    stamp: u64,
) {
    let mut placed = false;
    for e in clock {
        if !placed && e.node >= node {
            out.push(Entry::new(node, counter, stamp));
            placed = true;
            if e.node == node {
                continue;
            }
        }
        out.push(*e);
    }
    if !placed {
        out.push(Entry::new(node, counter, stamp));
    }
}

/// Sets `node`'s entry of the clock `clock[start..]` to `(counter, stamp)`
/// in place, inserting it in node order if absent.
pub(crate) fn set(clock: &mut Vec<Entry>, start: usize, node: u32, counter: u32, stamp: u64) {
    let start = start.min(clock.len());
    let tail = clock.get(start..).unwrap_or_default();
    match tail.binary_search_by_key(&node, |e| e.node) {
        Ok(i) => clock[start + i] = Entry::new(node, counter, stamp),
        Err(i) => clock.insert(start + i, Entry::new(node, counter, stamp)),
    }
}

/// Dynamo's clock truncation (§4.4): while `clock` has more than `limit`
/// entries, drop the one with the oldest stamp (ties: the lower node).
/// The entry of `keep`, the coordinator that just bumped it, is never
/// dropped: without it the new version would be indistinguishable from
/// its ancestor. Returns whether anything was dropped.
pub(crate) fn truncate(clock: &mut Vec<Entry>, start: usize, limit: usize, keep: u32) -> bool {
    let mut dropped = false;
    while clock.len().saturating_sub(start) > limit.max(1) {
        let oldest = clock
            .iter()
            .enumerate()
            .skip(start)
            .filter(|(_, e)| e.node != keep)
            .min_by_key(|(_, e)| (e.stamp, e.node))
            .map(|(i, _)| i);
        match oldest {
            Some(i) => {
                clock.remove(i);
                dropped = true;
            }
            None => break,
        }
    }
    dropped
}

/// A node as `NodeId` shows it (`n1` for 0), without its `+ 1` overflow
/// on `u32::MAX`: these functions take any input.
pub(crate) struct NodeName(pub(crate) u32);

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", u64::from(self.0) + 1)
    }
}

/// Writes `[n3:2, n5:1]`.
pub(crate) fn fmt_clock(f: &mut impl fmt::Write, clock: &[Entry]) -> fmt::Result {
    f.write_char('[')?;
    for (i, e) in clock.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{}:{}", NodeName(e.node), e.counter)?;
    }
    f.write_char(']')
}

/// What a get returns and a later put sends back: the join of the clocks
/// of every version the client read. `Context::none()` is a blind put.
///
/// In vector-clock mode the entries carry their stamps (so truncation can
/// keep the newest), and when any clock read had been truncated, `shadow`
/// holds the untruncated join: simulator bookkeeping for counting false
/// conflicts, never used for a protocol decision. `shadow` is empty when it
/// would equal `clock`. In DVV mode `clock` is the version vector and the
/// stamps are 0. In LWW mode the context is always empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    pub(crate) clock: Vec<Entry>,
    pub(crate) shadow: Vec<Entry>,
}

impl Context {
    /// The empty context of a blind put. `const` so that a message's
    /// absent context can lend out a shared empty one.
    pub const fn none() -> Context {
        Context {
            clock: Vec::new(),
            shadow: Vec::new(),
        }
    }

    /// Whether this is the empty context (a blind put sends this).
    pub fn is_none(&self) -> bool {
        self.clock.is_empty()
    }

    /// How many nodes the clock names (a message-size figure).
    pub fn len(&self) -> usize {
        self.clock.len()
    }

    /// Same as [`Context::is_none`].
    pub fn is_empty(&self) -> bool {
        self.is_none()
    }

    /// The clock's `(node, counter)` pairs in node order.
    pub fn entries(&self) -> impl Iterator<Item = (NodeId, u32)> + '_ {
        self.clock.iter().map(|e| (NodeId(e.node), e.counter))
    }

    /// A client joining what it has read: the pointwise maximum, so a put
    /// with the result supersedes everything either context covered.
    pub fn merge(&mut self, other: &Context) {
        if other.clock.is_empty() && other.shadow.is_empty() {
            return;
        }
        let shadow = if self.shadow.is_empty() && other.shadow.is_empty() {
            Vec::new()
        } else {
            join(self.untruncated(), other.untruncated())
        };
        self.clock = join(&self.clock, &other.clock);
        self.shadow = shadow;
        if same_counters(&self.shadow, &self.clock) {
            self.shadow = Vec::new();
        }
    }

    /// The untruncated clock: the shadow when there is one.
    pub(crate) fn untruncated(&self) -> &[Entry] {
        if self.shadow.is_empty() {
            &self.clock
        } else {
            &self.shadow
        }
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_clock(f, &self.clock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(pairs: &[(u32, u32)]) -> Vec<Entry> {
        pairs.iter().map(|&(n, c)| Entry::new(n, c, 0)).collect()
    }

    #[test]
    fn clocks_order_pointwise() {
        let a = clock(&[(0, 1), (2, 1)]);
        let b = clock(&[(0, 2), (2, 1)]);
        let c = clock(&[(1, 1)]);
        assert_eq!(order(&a, &b), Order::Before);
        assert_eq!(order(&b, &a), Order::After);
        assert_eq!(order(&a, &c), Order::Concurrent);
        assert_eq!(order(&a, &a), Order::Equal);
        assert_eq!(order(&[], &a), Order::Before);
        assert_eq!(join(&a, &c), clock(&[(0, 1), (1, 1), (2, 1)]));
        assert_eq!(counter(&b, 0), 2);
        assert_eq!(counter(&b, 1), 0);
    }

    #[test]
    fn truncation_drops_the_oldest_stamps_but_never_the_coordinator() {
        let mut c = vec![
            Entry::new(0, 1, 30),
            Entry::new(1, 1, 10),
            Entry::new(2, 1, 20),
            Entry::new(3, 1, 5),
        ];
        assert!(truncate(&mut c, 0, 2, 3));
        assert_eq!(c, vec![Entry::new(0, 1, 30), Entry::new(3, 1, 5)]);
        assert!(!truncate(&mut c, 0, 2, 3));
    }

    #[test]
    fn context_display_and_merge() {
        let mut a = Context {
            clock: clock(&[(2, 2)]),
            shadow: Vec::new(),
        };
        let b = Context {
            clock: clock(&[(4, 1)]),
            shadow: Vec::new(),
        };
        a.merge(&b);
        assert_eq!(a.to_string(), "[n3:2, n5:1]");
        assert_eq!(a.entries().count(), 2);
        assert!(Context::none().is_none());
    }
}
