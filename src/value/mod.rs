//! Typed values: what the client makes of a key's siblings (Dynamo §4.4,
//! the shopping cart). Dynamo's store treats a value as opaque bytes and
//! returns every version its clocks cannot order; the application
//! reconciles them. The paper's cart merges its siblings by union, so "an
//! add to cart is never lost, but deleted items can resurface". This
//! module holds that merge and the two that fix or replace it, one module
//! a type, each answering riak_dt's small interface (`value`, `apply`,
//! `merge`):
//!
//! - [`ValueType::Set`] (`set.rs`): a grow-by-union set, §4.4's cart.
//! - [`ValueType::OrSet`] (`orset.rs`): an observed-remove set without
//!   tombstones (riak_dt's ORSWOT), with a causal context and one dot per
//!   element: a remove takes away the adds its writer saw and no others.
//! - [`ValueType::Counter`] (`counter.rs`): a PN-counter, one
//!   (increments, decrements) pair per actor.
//!
//! Pure functions over data: no clock, no I/O, no panics on any input.
//! The node never looks inside a value (it stores the value's id, as it
//! does an opaque value's); a typed value's content is immutable and named
//! by its id, written once by the client that makes it (see
//! `Invocation::typed`). An opaque run builds none of this.

mod counter;
mod orset;
mod set;

#[cfg(test)]
mod laws;

pub use counter::PnCounter;
pub use orset::OrSet;
pub use set::UnionSet;

use std::fmt;

/// How a run's clients read and write values (the scenario's
/// `[values] type`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ValueType {
    /// Labels, one a put; siblings are returned as they are.
    #[default]
    Opaque,
    /// A set merged by union.
    Set,
    /// An observed-remove set.
    OrSet,
    /// A PN-counter.
    Counter,
}

impl ValueType {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::Opaque => "opaque",
            ValueType::Set => "set",
            ValueType::OrSet => "or-set",
            ValueType::Counter => "counter",
        }
    }

    /// A set of elements (adds and removes), not a count or a label.
    pub fn has_elements(self) -> bool {
        matches!(self, ValueType::Set | ValueType::OrSet)
    }
}

/// An element of a set: an index into the run's element names
/// (`Names::elements`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Element(pub u32);

/// An event of one actor (a client), numbered from 1: what an or-set
/// stamps an element's add with. Ordered by actor, then counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dot {
    pub actor: u32,
    pub counter: u32,
}

/// What one update does: set types remove, then add (an element both
/// removed and added ends present); a counter adds `delta`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// Sorted, no repeats.
    pub add: Vec<Element>,
    /// Sorted, no repeats.
    pub remove: Vec<Element>,
    /// Increments minus decrements.
    pub delta: i64,
}

impl Change {
    /// A change from lists in any order, with repeats.
    pub fn new(mut add: Vec<Element>, mut remove: Vec<Element>, delta: i64) -> Change {
        add.sort_unstable();
        add.dedup();
        remove.sort_unstable();
        remove.dedup();
        Change { add, remove, delta }
    }
}

/// A typed value: one state of a key as a writer made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    Set(UnionSet),
    OrSet(OrSet),
    Counter(PnCounter),
}

/// What a client sees of a typed value: the elements, or the count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reading {
    /// Sorted, no repeats.
    Elements(Vec<Element>),
    Count(i64),
}

/// What a typed write stored, and the change that made it from what its
/// writer read: the content for later readers, the change for the
/// checkers (which adds and removes were acknowledged).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub content: Content,
    pub change: Change,
}

/// What an actor remembers of its own writes to one key, so that two of
/// its updates in flight at once, or a read that missed its last write,
/// never make it reuse a dot or count an increment twice (riak_dt's
/// actors are vnodes that write one at a time; a client is not).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OwnWrites {
    /// The last dot counter it minted on the key.
    pub dots: u32,
    /// Its own increments and decrements on the key so far.
    pub increments: u64,
    pub decrements: u64,
}

impl Content {
    /// The state no write has touched.
    pub fn empty(ty: ValueType) -> Option<Content> {
        match ty {
            ValueType::Opaque => None,
            ValueType::Set => Some(Content::Set(UnionSet::default())),
            ValueType::OrSet => Some(Content::OrSet(OrSet::default())),
            ValueType::Counter => Some(Content::Counter(PnCounter::default())),
        }
    }

    pub fn reading(&self) -> Reading {
        match self {
            Content::Set(s) => Reading::Elements(s.elements().to_vec()),
            Content::OrSet(s) => Reading::Elements(s.elements()),
            Content::Counter(c) => Reading::Count(c.value()),
        }
    }

    /// Joins `other` into `self`; contents of different types keep `self`.
    pub fn merge(&mut self, other: &Content) {
        match (self, other) {
            (Content::Set(a), Content::Set(b)) => a.merge(b),
            (Content::OrSet(a), Content::OrSet(b)) => a.merge(b),
            (Content::Counter(a), Content::Counter(b)) => a.merge(b),
            _ => {}
        }
    }

    /// The content `actor` writes after reading `self` and applying
    /// `change`; `own` is what the actor remembers of its writes to the
    /// key, updated here.
    pub fn apply(&self, change: &Change, actor: u32, own: &mut OwnWrites) -> Content {
        let mut next = self.clone();
        match &mut next {
            Content::Set(s) => s.apply(change),
            Content::OrSet(s) => s.apply(change, actor, own),
            Content::Counter(c) => c.apply(change.delta, actor, own),
        }
        next
    }

    /// Bytes this content holds on the heap (its inline size is
    /// `size_of::<Content>()`), for the cost of an element.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Content::Set(s) => s.heap_bytes(),
            Content::OrSet(s) => s.heap_bytes(),
            Content::Counter(c) => c.heap_bytes(),
        }
    }

    /// The content with element names: `{beer, milk}`, or with each
    /// element's dots (actor and counter) for an or-set,
    /// `{beer@alice.1, milk@bob.3}`, or a count, `5`.
    pub fn render<'a>(
        &'a self,
        name: &'a dyn Fn(Element) -> String,
        actor: &'a dyn Fn(u32) -> String,
    ) -> impl fmt::Display + 'a {
        Render {
            content: self,
            name,
            actor,
        }
    }
}

/// Merges the contents of a read's siblings; `None` when no sibling has
/// content (all are tombstones, or the key was never written).
pub fn merge_all<'a>(contents: impl IntoIterator<Item = &'a Content>) -> Option<Content> {
    let mut merged: Option<Content> = None;
    for c in contents {
        match &mut merged {
            Some(m) => m.merge(c),
            None => merged = Some(c.clone()),
        }
    }
    merged
}

struct Render<'a> {
    content: &'a Content,
    name: &'a dyn Fn(Element) -> String,
    actor: &'a dyn Fn(u32) -> String,
}

impl fmt::Display for Render<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name;
        match self.content {
            Content::Counter(c) => write!(f, "{}", c.value()),
            Content::Set(s) => {
                let names: Vec<String> = s.elements().iter().map(|e| name(*e)).collect();
                write!(f, "{{{}}}", names.join(", "))
            }
            Content::OrSet(s) => {
                let names: Vec<String> = s
                    .entries()
                    .iter()
                    .map(|(e, d)| format!("{}@{}.{}", name(*e), (self.actor)(d.actor), d.counter))
                    .collect();
                write!(f, "{{{}}}", names.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(i: u32) -> Element {
        Element(i)
    }

    /// The distsys-course-hse homework 9 cart, by hand: [beer, snacks]
    /// written everywhere; one side adds milk then eggs, the other reads,
    /// empties the cart and adds cheese and wine; merged at the heal, the
    /// union keeps six items and the or-set four.
    #[test]
    fn the_cart_keeps_six_items_as_a_set_and_four_as_an_or_set() {
        let (beer, snacks, milk, eggs, cheese, wine) = (e(0), e(1), e(2), e(3), e(4), e(5));
        for (ty, want) in [
            (ValueType::Set, vec![beer, snacks, milk, eggs, cheese, wine]),
            (ValueType::OrSet, vec![milk, eggs, cheese, wine]),
        ] {
            let mut own = [OwnWrites::default(); 3];
            let start = Content::empty(ty).unwrap().apply(
                &Change::new(vec![beer, snacks], vec![], 0),
                0,
                &mut own[0],
            );
            let side_a = start
                .apply(&Change::new(vec![milk], vec![], 0), 1, &mut own[1])
                .apply(&Change::new(vec![eggs], vec![], 0), 1, &mut own[1]);
            let side_b = start.apply(
                &Change::new(vec![cheese, wine], vec![beer, snacks], 0),
                2,
                &mut own[2],
            );
            let merged = merge_all([&side_a, &side_b]).unwrap();
            let mut want = want;
            want.sort();
            assert_eq!(merged.reading(), Reading::Elements(want), "{ty:?}");
        }
    }

    #[test]
    fn contents_render_with_names_and_dots() {
        let name = |e: Element| ["beer", "milk"][e.0 as usize].to_string();
        let actor = |a: u32| ["alice", "bob"][a as usize].to_string();
        let mut own = OwnWrites::default();
        let set = Content::empty(ValueType::Set).unwrap().apply(
            &Change::new(vec![e(1), e(0)], vec![], 0),
            0,
            &mut own,
        );
        assert_eq!(set.render(&name, &actor).to_string(), "{beer, milk}");
        let orset = Content::empty(ValueType::OrSet).unwrap().apply(
            &Change::new(vec![e(1)], vec![], 0),
            1,
            &mut own,
        );
        assert_eq!(orset.render(&name, &actor).to_string(), "{milk@bob.1}");
        let counter = Content::empty(ValueType::Counter).unwrap().apply(
            &Change::new(vec![], vec![], -2),
            0,
            &mut OwnWrites::default(),
        );
        assert_eq!(counter.render(&name, &actor).to_string(), "-2");
    }
}
