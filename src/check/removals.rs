//! Resurrections and lost adds: what the shopping cart of Dynamo §4.4
//! risks. A union-merged cart never loses an add, "but deleted items can
//! resurface"; an observed-remove set keeps removed items away, and a
//! versioning that drops concurrent writes (last-writer-wins, one
//! coordinator's vector clock) loses adds. Both read the history and the
//! final values alone, as every checker does.
//!
//! Items: a typed key's elements (the contents its puts wrote, merged by
//! the type as a client merges them); an opaque key's values. A put
//! *adds* the elements of its change (an opaque put, its value), and
//! *removes* the elements of its change's `remove` that its read held
//! and it did not add back; a delete removes everything its read held. A
//! put has *seen* another when its context holds that put's value, or a
//! value of a put that had seen it.
//!
//! - A *resurrection* is an item removed by an acknowledged put `r` that
//!   an ok get invoked after `r`'s acknowledgement returns, although every
//!   put that adds the item is one `r` had seen (so nothing `r` did not
//!   see could have brought it back). Counted once per (remover, item).
//! - A *lost add* is an element added by an acknowledged put `a` that the
//!   final state (every value held anywhere at the end, merged by the
//!   type) lacks, although no put that had seen `a` removes it. Removes
//!   count whether acknowledged or not, as supersession does for lost
//!   writes: a write that timed out may have landed.
//!
//! `None` where they cannot apply: resurrections for a counter, and for
//! opaque values without a delete; lost adds for anything but sets.

use super::consistency::key_groups;
use super::history::{History, HistoryOp};
use crate::actor::OpKind;
use crate::id::{Key, Names, OpId, ValueId};
use crate::time::SimTime;
use crate::value::{Element, Reading, ValueType, merge_all};
use std::collections::{BTreeMap, BTreeSet};

/// How many examples of each are kept.
const MAX_EXAMPLES: usize = 10;

/// An item of a key: an element of a typed value, or an opaque value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Item {
    Element(Element),
    Value(ValueId),
}

impl Item {
    pub fn name(&self, names: &Names) -> String {
        match self {
            Item::Element(e) => names.element(*e).into_owned(),
            Item::Value(v) => names.value(*v).into_owned(),
        }
    }
}

/// An item removed by an acknowledged put that a later get returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resurrection {
    pub key: Key,
    pub item: Item,
    pub removed_by: OpId,
    pub removed_at: SimTime,
    pub get: OpId,
    pub get_at: SimTime,
}

impl Resurrection {
    pub fn why(&self, names: &Names) -> String {
        format!(
            "op {} removed {} from {} (acknowledged at {:.3}s); get op {} at {:.3}s returned it, and every write adding it was one the remover had seen",
            self.removed_by.0,
            self.item.name(names),
            names.key(self.key),
            self.removed_at.as_secs_f64(),
            self.get.0,
            self.get_at.as_secs_f64(),
        )
    }
}

/// An element an acknowledged put added that the final state lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostAdd {
    pub key: Key,
    pub element: Element,
    pub added_by: OpId,
    pub acked_at: SimTime,
}

impl LostAdd {
    pub fn why(&self, names: &Names) -> String {
        format!(
            "op {} added {} to {} (acknowledged at {:.3}s); the final state lacks it, and no write that had seen the add removed it",
            self.added_by.0,
            names.element(self.element),
            names.key(self.key),
            self.acked_at.as_secs_f64(),
        )
    }
}

/// A count and its first examples, in (key, op) order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found<T> {
    pub count: u64,
    pub examples: Vec<T>,
}

impl<T> Default for Found<T> {
    fn default() -> Self {
        Found {
            count: 0,
            examples: Vec::new(),
        }
    }
}

impl<T> Found<T> {
    fn add(&mut self, example: impl FnOnce() -> T) {
        self.count += 1;
        if self.examples.len() < MAX_EXAMPLES {
            self.examples.push(example());
        }
    }
}

/// Both checkers' findings; `None` where one cannot apply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removals {
    pub resurrections: Option<Found<Resurrection>>,
    pub lost_adds: Option<Found<LostAdd>>,
}

/// Runs both checkers over a history and the values held at the end.
pub fn removals(
    history: &History,
    final_values: &BTreeMap<Key, Vec<ValueId>>,
    value_type: ValueType,
) -> Removals {
    let ops = history.ops();
    let has_delete = ops
        .iter()
        .any(|op| op.value.is_some_and(ValueId::is_tombstone));
    let judge_resurrections = match value_type {
        ValueType::Counter => false,
        ValueType::Opaque => has_delete,
        ValueType::Set | ValueType::OrSet => true,
    };
    let judge_lost_adds = value_type.has_elements();
    let mut found = Removals {
        resurrections: judge_resurrections.then(Found::default),
        lost_adds: judge_lost_adds.then(Found::default),
    };
    if !judge_resurrections && !judge_lost_adds {
        return found;
    }
    let no_values = Vec::new();
    for group in key_groups(ops).iter() {
        let key = ops[group[0] as usize].key;
        let at_end = final_values.get(&key).unwrap_or(&no_values);
        let mut k = KeyJudge::new(history, group, value_type);
        if let Some(res) = &mut found.resurrections {
            k.resurrections(res);
        }
        if let Some(lost) = &mut found.lost_adds {
            k.lost_adds(at_end, lost);
        }
    }
    found
}

/// One key's puts, with what each adds and removes and whom it had seen.
struct KeyJudge<'h> {
    history: &'h History,
    value_type: ValueType,
    ops: Vec<&'h HistoryOp>,
    /// Indices (into `ops`) of the puts that carry a value.
    puts: Vec<usize>,
    /// The put (index into `ops`) that wrote each value.
    writer: BTreeMap<ValueId, usize>,
    adds: BTreeMap<usize, Vec<Item>>,
    removes: BTreeMap<usize, Vec<Item>>,
    /// Per put, the values of the puts it had seen (filled as asked).
    seen: BTreeMap<usize, BTreeSet<ValueId>>,
}

impl<'h> KeyJudge<'h> {
    fn new(history: &'h History, group: &[u32], value_type: ValueType) -> Self {
        let ops: Vec<&HistoryOp> = group.iter().map(|&i| &history.ops()[i as usize]).collect();
        let mut k = KeyJudge {
            history,
            value_type,
            puts: Vec::new(),
            writer: BTreeMap::new(),
            adds: BTreeMap::new(),
            removes: BTreeMap::new(),
            seen: BTreeMap::new(),
            ops,
        };
        for (i, op) in k.ops.iter().enumerate() {
            let (OpKind::Put, Some(value)) = (op.kind, op.value) else {
                continue;
            };
            k.puts.push(i);
            k.writer.insert(value, i);
            let read = k.items(&op.context);
            let (adds, removes) = if value.is_tombstone() {
                (Vec::new(), read)
            } else if let Some(w) = history.written(value) {
                let adds: Vec<Item> = w.change.add.iter().map(|e| Item::Element(*e)).collect();
                let removes = w
                    .change
                    .remove
                    .iter()
                    .map(|e| Item::Element(*e))
                    .filter(|e| read.contains(e) && !adds.contains(e))
                    .collect();
                (adds, removes)
            } else {
                (vec![Item::Value(value)], Vec::new())
            };
            k.adds.insert(i, adds);
            k.removes.insert(i, removes);
        }
        k
    }

    /// What a client reading `values` sees: a typed key's merged
    /// elements, an opaque key's values less tombstones. Sorted.
    fn items(&self, values: &[ValueId]) -> Vec<Item> {
        if self.value_type == ValueType::Opaque {
            return values
                .iter()
                .filter(|v| !v.is_tombstone())
                .map(|v| Item::Value(*v))
                .collect();
        }
        let contents = values
            .iter()
            .filter_map(|v| self.history.written(*v))
            .map(|w| &w.content);
        match merge_all(contents).map(|c| c.reading()) {
            Some(Reading::Elements(elements)) => elements.into_iter().map(Item::Element).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether put `p` had seen the put that wrote `value`.
    fn has_seen(&mut self, p: usize, value: ValueId) -> bool {
        if !self.seen.contains_key(&p) {
            let mut seen = BTreeSet::new();
            let mut stack: Vec<ValueId> = self.ops[p].context.clone();
            while let Some(v) = stack.pop() {
                if !seen.insert(v) {
                    continue;
                }
                if let Some(&w) = self.writer.get(&v) {
                    stack.extend_from_slice(&self.ops[w].context);
                }
            }
            self.seen.insert(p, seen);
        }
        self.seen[&p].contains(&value)
    }

    fn resurrections(&mut self, found: &mut Found<Resurrection>) {
        let removers: Vec<usize> = self
            .puts
            .iter()
            .copied()
            .filter(|&p| self.ops[p].is_ok() && !self.removes[&p].is_empty())
            .collect();
        if removers.is_empty() {
            return;
        }
        // Each ok get's items, in invocation order.
        let gets: Vec<(usize, Vec<Item>)> = (0..self.ops.len())
            .filter(|&g| self.ops[g].kind == OpKind::Get && self.ops[g].is_ok())
            .map(|g| (g, self.items(&self.ops[g].values)))
            .collect();
        for r in removers {
            let removed_at = self.ops[r].completed_at.unwrap_or(SimTime::MAX);
            for item in self.removes[&r].clone() {
                let unseen_add = self.puts.clone().into_iter().any(|a| {
                    a != r
                        && self.adds[&a].contains(&item)
                        && !self.has_seen(r, self.ops[a].value.unwrap_or(ValueId(0)))
                });
                if unseen_add {
                    continue;
                }
                let back = gets.iter().find(|(g, items)| {
                    self.ops[*g].invoked_at > removed_at && items.binary_search(&item).is_ok()
                });
                if let Some((g, _)) = back {
                    found.add(|| Resurrection {
                        key: self.ops[r].key,
                        item,
                        removed_by: self.ops[r].op,
                        removed_at,
                        get: self.ops[*g].op,
                        get_at: self.ops[*g].invoked_at,
                    });
                }
            }
        }
    }

    fn lost_adds(&mut self, at_end: &[ValueId], found: &mut Found<LostAdd>) {
        let final_items = self.items(at_end);
        for a in self.puts.clone() {
            if !self.ops[a].is_ok() {
                continue;
            }
            let value = self.ops[a].value.unwrap_or(ValueId(0));
            for item in self.adds[&a].clone() {
                let Item::Element(element) = item else {
                    continue;
                };
                if final_items.binary_search(&item).is_ok() {
                    continue;
                }
                let removed = self
                    .puts
                    .clone()
                    .into_iter()
                    .any(|r| self.removes[&r].contains(&item) && self.has_seen(r, value));
                if !removed {
                    found.add(|| LostAdd {
                        key: self.ops[a].key,
                        element,
                        added_by: self.ops[a].op,
                        acked_at: self.ops[a].completed_at.unwrap_or(SimTime::MAX),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Outcome;
    use crate::id::ClientId;
    use crate::value::{Change, Content, OwnWrites, Written};
    use std::rc::Rc;

    fn op(id: u64, kind: OpKind, at: u64, context: &[u64], values: &[u64]) -> HistoryOp {
        HistoryOp {
            op: OpId(id),
            client: ClientId(0),
            kind,
            key: Key(0),
            value: (kind == OpKind::Put).then_some(ValueId(id)),
            context: context.iter().map(|&v| ValueId(v)).collect(),
            invoked_at: SimTime::from_millis(at),
            completed_at: Some(SimTime::from_millis(at + 1)),
            outcome: Some(Outcome::Ok),
            values: values.iter().map(|&v| ValueId(v)).collect(),
        }
    }

    /// The cart by hand: put 1 writes [beer(0), snacks(1)]; put 2 (saw 1)
    /// adds milk(2); put 3 (saw 1) removes beer and snacks; get 4 after
    /// both returns the siblings 2 and 3 merged.
    fn cart(ty: ValueType) -> (History, BTreeMap<Key, Vec<ValueId>>) {
        let e = Element;
        let mut own = OwnWrites::default();
        let start = Content::empty(ty).unwrap();
        let w1 = Written {
            content: start.apply(&Change::new(vec![e(0), e(1)], vec![], 0), 0, &mut own),
            change: Change::new(vec![e(0), e(1)], vec![], 0),
        };
        let c2 = Change::new(vec![e(2)], vec![], 0);
        let w2 = Written {
            content: w1.content.apply(&c2, 1, &mut own),
            change: c2,
        };
        let c3 = Change::new(vec![], vec![e(0), e(1)], 0);
        let w3 = Written {
            content: w1.content.apply(&c3, 2, &mut own),
            change: c3,
        };
        let ops = vec![
            op(1, OpKind::Put, 0, &[], &[]),
            op(2, OpKind::Put, 10, &[1], &[]),
            op(3, OpKind::Put, 10, &[1], &[]),
            op(4, OpKind::Get, 20, &[], &[2, 3]),
        ];
        let written = [(1, w1), (2, w2), (3, w3)]
            .into_iter()
            .map(|(v, w)| (ValueId(v), Rc::new(w)))
            .collect();
        let history = History::from_ops(ops).with_written(written);
        (history, [(Key(0), vec![ValueId(2), ValueId(3)])].into())
    }

    #[test]
    fn the_union_cart_resurrects_what_the_or_set_keeps_removed() {
        let (history, at_end) = cart(ValueType::Set);
        let found = removals(&history, &at_end, ValueType::Set);
        let res = found.resurrections.unwrap();
        assert_eq!(res.count, 2, "beer and snacks: {:?}", res.examples);
        assert_eq!(res.examples[0].removed_by, OpId(3));
        assert_eq!(found.lost_adds.unwrap().count, 0);
        let (history, at_end) = cart(ValueType::OrSet);
        let found = removals(&history, &at_end, ValueType::OrSet);
        assert_eq!(found.resurrections.unwrap().count, 0);
        assert_eq!(found.lost_adds.unwrap().count, 0);
    }

    #[test]
    fn an_add_the_final_state_lacks_is_lost_unless_a_remover_saw_it() {
        let (history, _) = cart(ValueType::OrSet);
        // Only put 3 survives: milk (put 2) is lost; beer and snacks were
        // removed by put 3, which had seen put 1.
        let at_end = [(Key(0), vec![ValueId(3)])].into();
        let lost = removals(&history, &at_end, ValueType::OrSet)
            .lost_adds
            .unwrap();
        assert_eq!(lost.count, 1);
        assert_eq!(
            (lost.examples[0].added_by, lost.examples[0].element),
            (OpId(2), Element(2))
        );
    }

    #[test]
    fn an_add_the_remover_did_not_see_excuses_a_return() {
        let (history, at_end) = cart(ValueType::Set);
        // A fifth put, unseen by put 3, adds beer (0) back.
        let mut ops = history.ops().to_vec();
        ops.push(op(5, OpKind::Put, 15, &[], &[]));
        let mut written: BTreeMap<ValueId, Rc<Written>> = [1, 2, 3]
            .iter()
            .map(|&v| {
                (
                    ValueId(v),
                    Rc::new(history.written(ValueId(v)).unwrap().clone()),
                )
            })
            .collect();
        let c5 = Change::new(vec![Element(0)], vec![], 0);
        written.insert(
            ValueId(5),
            Rc::new(Written {
                content: Content::empty(ValueType::Set).unwrap().apply(
                    &c5,
                    3,
                    &mut OwnWrites::default(),
                ),
                change: c5,
            }),
        );
        let history = History::from_ops(ops).with_written(written);
        let res = removals(&history, &at_end, ValueType::Set)
            .resurrections
            .unwrap();
        assert_eq!(res.count, 1, "snacks only: {:?}", res.examples);
    }

    #[test]
    fn checkers_that_cannot_apply_say_null() {
        let history = History::from_ops(vec![op(1, OpKind::Put, 0, &[], &[])]);
        let none = removals(&history, &BTreeMap::new(), ValueType::Opaque);
        assert_eq!(none, Removals::default());
        let counter = removals(&history, &BTreeMap::new(), ValueType::Counter);
        assert_eq!(counter, Removals::default());
    }

    #[test]
    fn a_deleted_opaque_value_returned_later_is_a_resurrection() {
        let mut delete = op(2, OpKind::Put, 10, &[1], &[]);
        delete.value = Some(ValueId::tombstone(OpId(2)));
        let ops = vec![
            op(1, OpKind::Put, 0, &[], &[]),
            delete,
            op(3, OpKind::Get, 20, &[], &[1]),
        ];
        let found = removals(&History::from_ops(ops), &BTreeMap::new(), ValueType::Opaque);
        assert_eq!(found.resurrections.unwrap().count, 1);
        assert_eq!(found.lost_adds, None);
    }
}
