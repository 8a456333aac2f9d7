//! The outbox an explored world hands a node or a client for one input
//! (the `actor` traits' effects): messages and timers land straight in
//! the state, each hashed once as it is made, and the client's
//! invocations and completions in the history (Dynamo's nodes and
//! clients, unchanged; only where their effects go differs from a run).

use super::{Envelope, Event, PendingTimer, TimerKind};
use crate::actor::{ClientOutbox, Completion, Invocation, Outbox, TimerId};
use crate::client::driver::ClientTimer;
use crate::id::{Endpoint, OpId, ValueId};
use crate::node::{Msg, Timer};
use crate::time::SimTime;
use crate::trace::Fields;
use crate::value::Written;
use std::fmt::Write as _;
use std::rc::Rc;

use super::super::fingerprint::Hash64;

/// The outbox of one handler call: effects land straight in the state.
pub(super) struct Fx<'a> {
    pub(super) owner: Endpoint,
    pub(super) now: SimTime,
    pub(super) flight: &'a mut Vec<Rc<Envelope>>,
    pub(super) timers: &'a mut Vec<PendingTimer>,
    pub(super) history: &'a mut Rc<Vec<Event>>,
    pub(super) history_print: &'a mut u64,
    pub(super) next_op: &'a mut u64,
    pub(super) next_timer: &'a mut u64,
    pub(super) next_message: &'a mut u32,
    pub(super) halted: bool,
}

impl Fx<'_> {
    fn timer(&mut self, after: SimTime, timer: TimerKind) -> TimerId {
        *self.next_timer += 1;
        let due = self.now + after;
        let mut h = Hash64::default();
        h.u64(due.0);
        let _ = write!(h, "{:?}{:?}", self.owner, timer);
        self.timers.push(PendingTimer {
            due,
            id: *self.next_timer,
            owner: self.owner,
            timer,
            print: h.finish(),
        });
        TimerId::from_raw(0, *self.next_timer)
    }

    pub(super) fn record(&mut self, event: Event) {
        let mut h = Hash64::default();
        h.u64(*self.history_print);
        let _ = write!(h, "{event:?}");
        *self.history_print = h.finish();
        Rc::make_mut(self.history).push(event);
    }

    fn send_msg(&mut self, to: Endpoint, msg: Msg) {
        *self.next_message += 1;
        let mut h = Hash64::default();
        let _ = write!(h, "{:?}{:?}{:?}", self.owner, to, msg);
        self.flight.push(Rc::new(Envelope {
            number: *self.next_message - 1,
            from: self.owner,
            to,
            msg,
            print: h.finish(),
        }));
    }
}

impl From<Timer> for TimerKind {
    fn from(timer: Timer) -> TimerKind {
        TimerKind::Node(timer)
    }
}

impl From<ClientTimer> for TimerKind {
    fn from(timer: ClientTimer) -> TimerKind {
        TimerKind::Client(timer)
    }
}

/// One outbox for nodes' timers and clients' alike: they differ only in
/// which kind of pending timer they become.
impl<T: Into<TimerKind>> Outbox<Msg, T> for Fx<'_> {
    fn send(&mut self, to: Endpoint, msg: Msg) {
        self.send_msg(to, msg);
    }
    fn set_timer(&mut self, after: SimTime, timer: T) -> TimerId {
        self.timer(after, timer.into())
    }
    fn cancel_timer(&mut self, id: TimerId) {
        self.timers.retain(|t| t.id != id.seq);
    }
    fn note(&mut self, _kind: &'static str, _fields: impl FnOnce(&mut Fields<'_>)) {}
    fn tracing(&self) -> bool {
        false
    }
    fn halt(&mut self) {
        self.halted = true;
    }
}

impl ClientOutbox<Msg, ClientTimer> for Fx<'_> {
    fn next_op(&mut self) -> OpId {
        let op = OpId(*self.next_op);
        *self.next_op += 1;
        op
    }
    fn invoke(&mut self, inv: &Invocation) {
        self.record(Event::Invoke(inv.clone()));
    }
    fn complete(&mut self, done: Completion) {
        self.record(Event::Complete(done));
    }
    fn written(&self, value: ValueId) -> Option<Rc<Written>> {
        // Explorations are short: a walk back through the history.
        self.history.iter().rev().find_map(|e| match e {
            Event::Invoke(inv) if inv.value == Some(value) => inv.typed.clone(),
            _ => None,
        })
    }
}
