//! A key's versions at one replica (Dynamo §4.4: "the data store keeps all
//! versions the clocks cannot order"), whichever way the run versions them:
//! per-node vector clocks (`vc.rs`), a DVV set (`dvv.rs`) or one
//! last-write-wins value (`lww.rs`). The mode is an argument, not stored: a
//! run uses one mode, and a state written under another mode is treated as
//! empty rather than misread.

use std::fmt;
use std::rc::Rc;

use crate::id::{NodeId, ValueId};
use crate::time::SimTime;

use super::dvv::DvvSet;
use super::lww::Stamped;
use super::vc::Versions;
use super::{Context, Effect, Mode, Order};

/// A key's versions at one replica. 24 bytes; a key holds at most one
/// heap allocation, in every mode, which its replicas share: cloning a
/// state costs a reference count.
///
/// The last-write-wins value is behind an `Rc` too, although it is only
/// 24 bytes: inline, it made every state 32 bytes, so a store's hash-map
/// slot (key and state) 40 bytes, straddling cache lines; at 32 bytes a
/// slot sits in one line, and the quorum workload ran 1.06-1.07× faster.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Siblings(Repr);

#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Repr {
    #[default]
    Empty,
    Clocks(Versions),
    Dvv(DvvSet),
    Lww(Rc<Stamped>),
}

impl Repr {
    fn matches(&self, mode: Mode) -> bool {
        matches!(
            (self, mode),
            (Repr::Empty, _)
                | (Repr::Clocks(_), Mode::VectorClock { .. })
                | (Repr::Dvv(_), Mode::Dvv)
                | (Repr::Lww(_), Mode::Lww)
        )
    }
}

/// A sync of one mode's sets, given that mode's `le_both` and general
/// merge (which returns whether it changed and the false conflicts it
/// made): nothing to do when ours already knows theirs, their cells
/// shared when theirs dominates, the general merge only for concurrent
/// sets. Inlined: each mode's call is on every replica write's path.
#[inline(always)]
fn sync<S: Clone>(
    mine: &mut S,
    theirs: &S,
    le_both: impl FnOnce(&S, &S) -> (bool, bool),
    merge: impl FnOnce(&mut S, &S) -> (bool, u32),
) -> Effect {
    let (changed, false_conflicts) = match le_both(mine, theirs) {
        (_, true) => (false, 0),
        (true, false) => {
            *mine = theirs.clone();
            (true, 0)
        }
        (false, false) => merge(mine, theirs),
    };
    Effect {
        changed,
        false_conflicts,
    }
}

impl Siblings {
    /// Whether the replica holds no value for the key.
    pub fn is_empty(&self) -> bool {
        // Without counting: the sampler asks this of every replica of
        // every key, and a vector-clock set holds cells only for versions.
        match &self.0 {
            Repr::Empty => true,
            Repr::Clocks(v) => v.is_empty(),
            Repr::Dvv(d) => d.dots().is_empty(),
            Repr::Lww(_) => false,
        }
    }

    /// Whether both states are one allocation, shared (tests of the
    /// copy-on-write layout).
    #[cfg(test)]
    pub(crate) fn shares_cells(&self, other: &Siblings) -> bool {
        match (&self.0, &other.0) {
            (Repr::Clocks(a), Repr::Clocks(b)) => a.shares_cells(b),
            (Repr::Dvv(a), Repr::Dvv(b)) => a.shares_cells(b),
            _ => false,
        }
    }

    /// The vector-clock set, if that is the mode (tests of its fast
    /// paths against the general rule).
    #[cfg(test)]
    pub(crate) fn as_clocks(&self) -> Option<&Versions> {
        match &self.0 {
            Repr::Clocks(v) => Some(v),
            _ => None,
        }
    }

    /// The allocation the state's cells live in (0 for an empty state):
    /// two states with the same identity are equal without a look at the
    /// cells, as every replica sharing a write's cells is.
    pub fn identity(&self) -> usize {
        match &self.0 {
            Repr::Empty => 0,
            Repr::Clocks(v) => v.cells_ptr() as usize,
            Repr::Dvv(d) => d.cells_ptr() as usize,
            Repr::Lww(s) => Rc::as_ptr(s) as usize,
        }
    }

    /// The sibling count.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Empty => 0,
            Repr::Clocks(v) => v.len(),
            Repr::Dvv(d) => d.dots().len(),
            Repr::Lww(_) => 1,
        }
    }

    /// Bytes this state holds on the heap (its inline size is
    /// `size_of::<Siblings>()`), for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        match &self.0 {
            Repr::Empty => 0,
            // The allocation's two reference counts and the value.
            Repr::Lww(_) => 2 * std::mem::size_of::<usize>() + std::mem::size_of::<Stamped>(),
            Repr::Clocks(v) => v.heap_bytes(),
            Repr::Dvv(d) => d.heap_bytes(),
        }
    }

    /// The siblings' values, sorted ascending.
    pub fn values(&self) -> Vec<ValueId> {
        let mut values: Vec<ValueId> = match &self.0 {
            Repr::Empty => Vec::new(),
            Repr::Clocks(v) => v.iter().map(|v| ValueId(v.value)).collect(),
            Repr::Dvv(d) => d.dots().iter().map(|d| ValueId(d.stamp)).collect(),
            Repr::Lww(s) => vec![ValueId(s.value)],
        };
        values.sort_unstable();
        values.dedup();
        values
    }

    /// Whether the key is deleted here and nothing stands beside the
    /// delete: every sibling is a tombstone (what may be reaped).
    pub fn only_tombstones(&self) -> bool {
        let tomb = |v: u64| crate::id::ValueId(v).is_tombstone();
        match &self.0 {
            Repr::Empty => false,
            Repr::Clocks(v) => !v.is_empty() && v.iter().all(|v| tomb(v.value)),
            Repr::Dvv(d) => !d.dots().is_empty() && d.dots().iter().all(|d| tomb(d.stamp)),
            Repr::Lww(s) => tomb(s.value),
        }
    }

    /// Whether `value` is one of the siblings.
    pub fn contains(&self, value: ValueId) -> bool {
        match &self.0 {
            Repr::Empty => false,
            Repr::Clocks(v) => v.iter().any(|v| v.value == value.0),
            Repr::Dvv(d) => d.dots().iter().any(|d| d.stamp == value.0),
            Repr::Lww(s) => s.value == value.0,
        }
    }

    /// The merged clock over all siblings: what a read hands the client.
    /// Empty under LWW.
    /// The highest counter `node` has in this state (0 for LWW or none).
    pub fn counter_of(&self, node: NodeId) -> u32 {
        match &self.0 {
            Repr::Empty | Repr::Lww(_) => 0,
            Repr::Clocks(v) => v
                .iter()
                .map(|x| super::clock::counter(x.clock, node.0))
                .max()
                .unwrap_or(0),
            Repr::Dvv(d) => super::clock::counter(d.vv(), node.0),
        }
    }

    pub fn context(&self) -> Context {
        match &self.0 {
            Repr::Empty | Repr::Lww(_) => Context::none(),
            Repr::Clocks(v) => v.context(),
            Repr::Dvv(d) => d.context(),
        }
    }

    /// The coordinator's write: mint a new version at `node` with the
    /// node's clock reading `now` (LWW timestamp; VC entry timestamp for
    /// truncation), replacing every sibling the context covers and keeping
    /// the rest.
    pub fn put(
        &mut self,
        mode: Mode,
        node: NodeId,
        now: SimTime,
        context: &Context,
        value: ValueId,
    ) -> Effect {
        if !self.0.matches(mode) {
            self.0 = Repr::Empty;
        }
        match mode {
            Mode::VectorClock { truncate } => {
                if !matches!(self.0, Repr::Clocks(_)) {
                    self.0 = Repr::Clocks(Versions::default());
                }
                let false_conflicts = match &mut self.0 {
                    Repr::Clocks(v) => v.put(truncate, node.0, now.0, context, value.0),
                    _ => 0,
                };
                Effect {
                    changed: true,
                    false_conflicts,
                }
            }
            Mode::Dvv => {
                if !matches!(self.0, Repr::Dvv(_)) {
                    self.0 = Repr::Dvv(DvvSet::default());
                }
                if let Repr::Dvv(d) = &mut self.0 {
                    d.put(node.0, context, value.0);
                }
                Effect {
                    changed: true,
                    false_conflicts: 0,
                }
            }
            Mode::Lww => {
                let new = Stamped {
                    stamp: now.0,
                    node: node.0,
                    value: value.0,
                };
                let changed = match &self.0 {
                    Repr::Lww(old) => new > **old,
                    _ => true,
                };
                if changed {
                    self.0 = Repr::Lww(Rc::new(new));
                }
                Effect {
                    changed,
                    false_conflicts: 0,
                }
            }
        }
    }

    /// A replica receives another replica's state for the key (a put's new
    /// state shipped by the coordinator, read repair, a hint, anti-entropy):
    /// sync, keeping every version not dominated by the other side.
    pub fn merge(&mut self, mode: Mode, other: &Siblings) -> Effect {
        if !other.0.matches(mode) || matches!(other.0, Repr::Empty) {
            return Effect::default();
        }
        if !self.0.matches(mode) || matches!(self.0, Repr::Empty) {
            self.0 = other.0.clone();
            return Effect {
                changed: true,
                false_conflicts: 0,
            };
        }
        match (&mut self.0, &other.0) {
            // Most syncs carry a state that dominates or equals ours (the
            // coordinator's new version, a repair): skip the general merge
            // and its allocation. `le` and `le_both` are exact, so the
            // result is the same, and taking theirs shares their cells.
            (Repr::Clocks(a), Repr::Clocks(b)) => sync(a, b, Versions::le_both, Versions::merge),
            (Repr::Dvv(a), Repr::Dvv(b)) => sync(a, b, DvvSet::le_both, |a, b| (a.merge(b), 0)),
            (Repr::Lww(a), Repr::Lww(b)) => {
                let changed = **b > **a;
                if changed {
                    *a = Rc::clone(b);
                }
                Effect {
                    changed,
                    false_conflicts: 0,
                }
            }
            _ => Effect::default(),
        }
    }

    /// The causal order of two replica states: `Before` when syncing `self`
    /// into `other` would leave `other` unchanged (it already knows
    /// everything `self` does), `Equal` when they hold the same versions.
    /// States of different modes are `Concurrent`.
    pub fn compare(&self, other: &Siblings) -> Order {
        let (le, ge) = match (&self.0, &other.0) {
            (Repr::Empty, Repr::Empty) => (true, true),
            (Repr::Empty, _) => (true, false),
            (_, Repr::Empty) => (false, true),
            (Repr::Clocks(a), Repr::Clocks(b)) => a.le_both(b),
            (Repr::Dvv(a), Repr::Dvv(b)) => a.le_both(b),
            (Repr::Lww(a), Repr::Lww(b)) => (a <= b, b <= a),
            _ => (false, false),
        };
        match (le, ge) {
            (true, true) => Order::Equal,
            (true, false) => Order::Before,
            (false, true) => Order::After,
            (false, false) => Order::Concurrent,
        }
    }

    /// A fixed, specified hash of the sibling set, for Merkle trees: FNV-1a
    /// 64 over a canonical little-endian encoding. A tag byte (0 empty, 1
    /// vector clocks, 2 DVV, 3 LWW), then:
    /// - vector clocks: the version count (u32); per version in canonical
    ///   order, the value (u64), the entry count (u32) and each entry's
    ///   node and counter (u32, u32). Stamps and shadows are bookkeeping
    ///   and left out;
    /// - DVV: the vector's length (u32) and its node/counter pairs, then the
    ///   sibling count (u32) and per sibling value (u64), node, counter;
    /// - LWW: value (u64), timestamp (u64), node (u32).
    ///
    /// Equal sets have equal digests on every platform and Rust version.
    pub fn digest(&self) -> u64 {
        let mut hash = Fnv1a::new();
        let mut sink = |bytes: &[u8]| hash.write(bytes);
        match &self.0 {
            Repr::Empty => sink(&[0]),
            Repr::Clocks(v) => {
                sink(&[1]);
                v.encode(&mut sink);
            }
            Repr::Dvv(d) => {
                sink(&[2]);
                d.encode(&mut sink);
            }
            Repr::Lww(s) => {
                sink(&[3]);
                s.encode(&mut sink);
            }
        }
        hash.finish()
    }

    /// Like `Display`, naming values with `value` (e.g. the run's
    /// `Names::value`, so scripted puts show their labels).
    pub fn describe(&self, value: &dyn Fn(ValueId) -> String) -> String {
        let mut out = String::new();
        let _ = self.write(&mut out, &|v| value(ValueId(v)));
        out
    }

    /// Each sibling's value and its clock in compact form, in the set's
    /// own order, for the trace's `stored` notes: a vector clock as
    /// `[n3:2,n5:1]`, a DVV sibling as its dot then the set's vector,
    /// `(n3:2)[n3:2,n5:1]`, last-write-wins as its timestamp and
    /// coordinator, `t=1.5ms@n3`.
    pub fn shown_versions(&self) -> Vec<(ValueId, String)> {
        let compact = |clock: &[super::clock::Entry]| {
            let entries: Vec<String> = clock
                .iter()
                .map(|e| format!("{}:{}", NodeId(e.node), e.counter))
                .collect();
            format!("[{}]", entries.join(","))
        };
        match &self.0 {
            Repr::Empty => Vec::new(),
            Repr::Clocks(v) => v
                .iter()
                .map(|v| (ValueId(v.value), compact(v.clock)))
                .collect(),
            Repr::Dvv(d) => {
                let vv = compact(d.vv());
                d.dots()
                    .iter()
                    .map(|dot| {
                        let shown = format!("({}:{}){vv}", NodeId(dot.node), dot.counter);
                        (ValueId(dot.stamp), shown)
                    })
                    .collect()
            }
            Repr::Lww(s) => vec![(
                ValueId(s.value),
                format!("t={}@{}", SimTime(s.stamp), NodeId(s.node)),
            )],
        }
    }

    fn write(&self, f: &mut impl fmt::Write, value: &dyn Fn(u64) -> String) -> fmt::Result {
        match &self.0 {
            Repr::Empty => f.write_str("(none)"),
            Repr::Clocks(v) => v.fmt(f, value),
            Repr::Dvv(d) => d.fmt(f, value),
            Repr::Lww(s) => s.fmt(f, value),
        }
    }
}

/// `v17 [n3:2, n5:1] | v18 [n4:1]` under vector clocks, `v17 @n3:2 | v18
/// @n3:3 ctx [n3:3, n5:1]` under DVV (each sibling's dot, then the shared
/// vector), `v17 @n3 t=1500000ns` under LWW, `(none)` when empty. Values
/// show their raw id; see [`Siblings::describe`] for labels.
impl fmt::Display for Siblings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, &|v| format!("v{v}"))
    }
}

/// FNV-1a, 64-bit (Fowler, Noll, Vo): fixed by its spec, unlike std's
/// hasher.
struct Fnv1a(u64);

impl Fnv1a {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn new() -> Fnv1a {
        Fnv1a(Self::OFFSET)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
