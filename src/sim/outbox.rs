//! The engine's side of the sans-IO interface: outboxes that apply a node's
//! or a client's effects straight to the queue and the trace, without
//! buffering them first.

use super::{Core, Event};
use crate::actor::{ClientOutbox, Completion, Describe, Invocation, OpKind, Outbox, TimerId};
use crate::id::{ClientId, Endpoint, NodeId, OpId, ValueId};
use crate::time::SimTime;
use crate::trace::Fields;
use crate::value::Written;
use std::rc::Rc;

/// A node's outbox during one handler call.
pub(crate) struct NodeOut<'a, M, NT, CT> {
    core: &'a mut Core<M, NT, CT>,
    me: NodeId,
    incarnation: u32,
    halted: bool,
}

impl<'a, M, NT, CT> NodeOut<'a, M, NT, CT> {
    pub(crate) fn new(core: &'a mut Core<M, NT, CT>, me: NodeId, incarnation: u32) -> Self {
        NodeOut {
            core,
            me,
            incarnation,
            halted: false,
        }
    }

    pub(crate) fn halted(&self) -> bool {
        self.halted
    }
}

impl<M: Describe, NT, CT> Outbox<M, NT> for NodeOut<'_, M, NT, CT> {
    fn send(&mut self, to: Endpoint, msg: M) {
        self.core.send(Endpoint::Node(self.me), to, msg);
    }

    fn set_timer(&mut self, after: SimTime, timer: NT) -> TimerId {
        let event = Event::NodeTimer {
            node: self.me,
            incarnation: self.incarnation,
            timer,
        };
        schedule(self.core, after, event)
    }

    fn cancel_timer(&mut self, id: TimerId) {
        cancel(&mut self.core.queue, id);
    }

    fn tracing(&self) -> bool {
        self.core.trace.enabled()
    }

    fn note(&mut self, kind: &'static str, fields: impl FnOnce(&mut Fields<'_>)) {
        if self.core.trace.enabled() {
            let mut line = self.core.trace.line(self.core.now.0, kind);
            line.node("node", self.me);
            fields(&mut line);
        }
    }

    fn halt(&mut self) {
        self.halted = true;
    }
}

/// Queues a timer event `after` from now; its queue handle is its id.
fn schedule<M, NT, CT>(
    core: &mut Core<M, NT, CT>,
    after: SimTime,
    event: Event<M, NT, CT>,
) -> TimerId {
    let handle = core.queue.push(core.now + after, event);
    if let Some(handles) = &mut core.handles {
        handles.timers.push(handle);
    }
    TimerId {
        slot: handle.slot,
        seq: handle.seq,
    }
}

fn cancel<E>(queue: &mut super::queue::EventQueue<E>, id: TimerId) {
    queue.cancel(super::queue::Scheduled {
        slot: id.slot,
        seq: id.seq,
    });
}

/// A client's outbox during one handler call.
pub(crate) struct ClientOut<'a, M, NT, CT> {
    core: &'a mut Core<M, NT, CT>,
    me: ClientId,
}

impl<'a, M, NT, CT> ClientOut<'a, M, NT, CT> {
    pub(crate) fn new(core: &'a mut Core<M, NT, CT>, me: ClientId) -> Self {
        ClientOut { core, me }
    }
}

impl<M: Describe, NT, CT> Outbox<M, CT> for ClientOut<'_, M, NT, CT> {
    fn send(&mut self, to: Endpoint, msg: M) {
        self.core.send(Endpoint::Client(self.me), to, msg);
    }

    fn set_timer(&mut self, after: SimTime, timer: CT) -> TimerId {
        let event = Event::ClientTimer {
            client: self.me,
            timer,
        };
        schedule(self.core, after, event)
    }

    fn cancel_timer(&mut self, id: TimerId) {
        cancel(&mut self.core.queue, id);
    }

    fn tracing(&self) -> bool {
        self.core.trace.enabled()
    }

    fn note(&mut self, kind: &'static str, fields: impl FnOnce(&mut Fields<'_>)) {
        if self.core.trace.enabled() {
            let mut line = self.core.trace.line(self.core.now.0, kind);
            line.client("client", self.me);
            fields(&mut line);
        }
    }

    /// Clients do not leave; a halt is ignored.
    fn halt(&mut self) {}
}

impl<M: Describe, NT, CT> ClientOutbox<M, CT> for ClientOut<'_, M, NT, CT> {
    fn next_op(&mut self) -> OpId {
        let op = OpId(self.core.next_op);
        self.core.next_op += 1;
        op
    }

    fn invoke(&mut self, inv: &Invocation) {
        debug_assert_eq!(inv.client, self.me);
        self.core.metrics.on_invoke(inv);
        self.core.history.invoke(inv, self.core.now);
        if self.core.trace.enabled() {
            let mut line = self.core.trace.line(self.core.now.0, "invoke");
            line.client("client", inv.client)
                .u64("op", inv.op.0)
                .str("f", inv.kind.as_str())
                .key("key", inv.key);
            if let Some(v) = inv.value {
                line.value("value", v);
                // What the writer had read: `explain` tells a blind put
                // that overwrites a write it never saw from one that read it.
                line.values("context", &inv.context);
                // A typed write's content, for `explain` and the viewer.
                if let Some(typed) = &inv.typed {
                    line.content("content", &typed.content);
                }
            }
        }
    }

    fn written(&self, value: ValueId) -> Option<Rc<Written>> {
        self.core.history.written(value)
    }

    fn complete(&mut self, done: Completion) {
        debug_assert_eq!(done.client, self.me);
        let latency = self.core.now.saturating_sub(done.invoked_at);
        self.core.metrics.on_complete(&done, latency);
        if self.core.trace.enabled() {
            let mut line = self.core.trace.line(self.core.now.0, "complete");
            line.client("client", done.client)
                .u64("op", done.op.0)
                .str("f", done.kind.as_str())
                .key("key", done.key)
                .str("outcome", done.outcome.as_str())
                .u64("latency_ns", latency.0);
            if done.kind == OpKind::Get {
                line.values("values", &done.values);
            }
        }
        self.core.history.complete(&done, self.core.now);
    }
}
