//! Updates of typed values, the client's half of Dynamo §4.4: the
//! application reconciles a key's siblings (the shopping cart's merge),
//! changes the result and writes it back with the context it read.

use super::{Call, ClientTimer, LastRead, Pending, StoreClient};
use crate::actor::{ClientOutbox, OpKind, Outcome};
use crate::client::workload::GeneratedUpdate;
use crate::id::{Key, ValueId};
use crate::node::Msg;
use crate::value::{Change, Content, Element, Reading, ValueType, Written, merge_all};
use std::rc::Rc;

/// What an update will change, once it has read the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Plan {
    Scripted(Change),
    Generated(GeneratedUpdate),
}

impl StoreClient {
    /// The merged content of the typed values among `values`; `None` when
    /// none has content (tombstones only, or nothing).
    #[inline(never)]
    pub(super) fn merged(
        &self,
        values: &[ValueId],
        out: &impl ClientOutbox<Msg, ClientTimer>,
    ) -> Option<Content> {
        let written: Vec<Rc<Written>> = values.iter().filter_map(|v| out.written(*v)).collect();
        merge_all(written.iter().map(|w| &w.content))
            .or_else(|| Content::empty(self.setup.value_type))
    }

    /// The write of an update that read `read`: the siblings merged, the
    /// plan's change applied under this client's name.
    // Out of line, as the other typed paths: an opaque run never calls
    // them, and inlined they made its hot callers' frames larger.
    #[inline(never)]
    pub(super) fn update(
        &mut self,
        key: Key,
        plan: Plan,
        read: LastRead,
        out: &impl ClientOutbox<Msg, ClientTimer>,
    ) -> Call {
        let base = self.merged(&read.values, out);
        let change = match plan {
            Plan::Scripted(change) => change,
            Plan::Generated(g) => {
                match (self.setup.value_type, base.as_ref().map(Content::reading)) {
                    (ValueType::Counter, _) => Change::new(Vec::new(), Vec::new(), g.delta),
                    (_, Some(Reading::Elements(read))) => {
                        let remove = match (g.remove, read.len()) {
                            (Some(pick), n @ 1..) => vec![read[pick as usize % n]],
                            _ => Vec::new(),
                        };
                        Change::new(vec![Element(g.add)], remove, 0)
                    }
                    _ => Change::new(vec![Element(g.add)], Vec::new(), 0),
                }
            }
        };
        let own = self.own_writes.entry(key).or_default();
        let typed = base.map(|base| {
            Rc::new(Written {
                content: base.apply(&change, self.setup.id.0, own),
                change,
            })
        });
        Call {
            context: Some(read),
            typed,
            ..Call::new(OpKind::Put, key)
        }
    }

    /// What a delete of an or-set key writes beside its tombstone: what it
    /// read, every element removed, so its causal context travels with it
    /// and a sibling written concurrently from the same read cannot bring
    /// back the elements the delete saw (an observed remove of the whole
    /// set). Other types keep a bare tombstone: a union set's elements do
    /// come back (Dynamo §4.4's cart), and a counter has no elements.
    #[inline(never)]
    pub(super) fn delete_content(
        &mut self,
        key: Key,
        read: &LastRead,
        out: &impl ClientOutbox<Msg, ClientTimer>,
    ) -> Option<Rc<Written>> {
        if self.setup.value_type != ValueType::OrSet {
            return None;
        }
        let base = self.merged(&read.values, out)?;
        let Reading::Elements(elements) = base.reading() else {
            return None;
        };
        let change = Change::new(Vec::new(), elements, 0);
        let own = self.own_writes.entry(key).or_default();
        Some(Rc::new(Written {
            content: base.apply(&change, self.setup.id.0, own),
            change,
        }))
    }

    /// A typed get's siblings merged: to tell in the trace (only while
    /// tracing, for `explain` and the viewer), and, for a scripted get,
    /// what its `returns` compares.
    #[inline(never)]
    pub(super) fn typed_read(
        &self,
        p: &Pending,
        outcome: Outcome,
        values: &[ValueId],
        out: &impl ClientOutbox<Msg, ClientTimer>,
    ) -> (Option<Content>, Option<Reading>) {
        let typed = self.setup.value_type != ValueType::Opaque;
        if !typed || outcome != Outcome::Ok || p.kind != OpKind::Get {
            return (None, None);
        }
        let note = out.tracing().then(|| self.merged(values, out)).flatten();
        let reading = p
            .script
            .and_then(|_| self.merged(values, out))
            .map(|c| c.reading());
        (note, reading)
    }
}
