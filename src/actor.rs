//! The sans-IO interface between protocol code and whatever drives it.
//!
//! A node never sends, sleeps or reads a clock. The driver (the simulator's
//! event loop, or a unit test's few-line harness) hands it one input at a
//! time, with the time as an argument, and the node answers by pushing
//! effects into an [`Outbox`]: messages to send, timers to set or cancel,
//! notes for the trace. This is quinn-proto's `Connection` and stateright's
//! `Actor` applied to Dynamo: the same node code could run on a real network.
//!
//! Calling contract, for a [`Node`]:
//! 1. `on_start` once, when the node enters the cluster (time zero for the
//!    initial members, the `join` fault for a spare);
//! 2. then any sequence of `on_message` and `on_timer`, in time order;
//! 3. `on_crash` drops the volatile state; nothing is delivered until
//!    `on_restart`, after which timers set before the crash never fire;
//! 4. `on_leave` asks for a graceful exit; the node calls [`Outbox::halt`]
//!    when it is done, and receives nothing after that.
//!
//! `now` is the node's own clock: true simulated time plus the node's skew,
//! so a skewed node stamps skewed times, as a real one would. Durations given
//! to `set_timer` are spans, which skew does not change.

use crate::id::{ClientId, Endpoint, Key, NodeId, OpId, ValueId};
use crate::time::SimTime;
use crate::trace::Fields;
use crate::value::Written;
use std::fmt::Debug;
use std::rc::Rc;

/// A message or timer that can describe itself in the trace.
pub trait Describe: Clone + Debug {
    /// A short stable name: `"PutReq"`, `"RequestTimeout"`.
    fn kind(&self) -> &'static str;
    /// Extra trace fields (`key`, `op`, ...). Called only when tracing.
    fn describe(&self, _fields: &mut Fields<'_>) {}
}

/// Names a timer so that it can be cancelled. Cancelling a timer that has
/// fired or was cancelled already does nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId {
    pub(crate) slot: u32,
    pub(crate) seq: u64,
}

impl TimerId {
    /// For test harnesses that hand out their own ids.
    pub fn from_raw(slot: u32, seq: u64) -> TimerId {
        TimerId { slot, seq }
    }
}

/// Where a node's effects go.
pub trait Outbox<M, T> {
    fn send(&mut self, to: Endpoint, msg: M);
    fn set_timer(&mut self, after: SimTime, timer: T) -> TimerId;
    fn cancel_timer(&mut self, id: TimerId);
    /// A protocol event for the trace (`kind` names it, as in `"hint"`);
    /// `fields` runs only when the trace is on, so notes cost nothing
    /// otherwise.
    fn note(&mut self, kind: &'static str, fields: impl FnOnce(&mut Fields<'_>));
    /// Whether notes are recorded: lets a node skip gathering what only a
    /// note would show.
    fn tracing(&self) -> bool {
        true
    }
    /// The node has finished leaving; it receives nothing more.
    fn halt(&mut self);
}

/// A storage node, driven through the calling contract above.
pub trait Node {
    type Msg: Describe;
    type Timer: Describe;

    fn id(&self) -> NodeId;
    fn on_start(&mut self, now: SimTime, out: &mut impl Outbox<Self::Msg, Self::Timer>);
    fn on_message(
        &mut self,
        now: SimTime,
        from: Endpoint,
        msg: Self::Msg,
        out: &mut impl Outbox<Self::Msg, Self::Timer>,
    );
    fn on_timer(
        &mut self,
        now: SimTime,
        timer: Self::Timer,
        out: &mut impl Outbox<Self::Msg, Self::Timer>,
    );
    /// Volatile state is lost; durable state stays.
    fn on_crash(&mut self);
    /// Back after a crash, with the durable state, or empty if `wipe_disk`.
    fn on_restart(
        &mut self,
        now: SimTime,
        wipe_disk: bool,
        out: &mut impl Outbox<Self::Msg, Self::Timer>,
    );
    /// Asked to leave gracefully. The default leaves at once.
    fn on_leave(&mut self, _now: SimTime, out: &mut impl Outbox<Self::Msg, Self::Timer>) {
        out.halt();
    }
    /// Membership told from outside instead of gossiped (`dynsim check`
    /// and its counterexamples): the ring's members are now `members`.
    /// The default ignores it.
    fn on_membership(
        &mut self,
        _now: SimTime,
        _members: &[NodeId],
        _out: &mut impl Outbox<Self::Msg, Self::Timer>,
    ) {
    }
    /// A disk fault: the node loses what it stores of `key` and nothing
    /// else. The default ignores it.
    fn on_forget(
        &mut self,
        _now: SimTime,
        _key: Key,
        _out: &mut impl Outbox<Self::Msg, Self::Timer>,
    ) {
    }
    /// A one-line summary of what the node stores, for tests and `explain`.
    fn stored_keys(&self) -> usize;
    /// A message for this node was just sent: start bringing into the
    /// cache what handling it will read (its key's replica, say). Called
    /// whatever becomes of the message; a hint for speed that must change
    /// nothing. The default does nothing.
    fn prefetch(&self, _msg: &Self::Msg) {}
}

/// What a client asks of the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    Get,
    Put,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Get => "get",
            OpKind::Put => "put",
        }
    }
}

/// How an operation ended, as the client saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// The store answered with a failure (a quorum could not be formed).
    Fail,
    /// No answer within the client's timeout.
    Timeout,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Fail => "fail",
            Outcome::Timeout => "timeout",
        }
    }
}

/// A client starts an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    pub op: OpId,
    pub client: ClientId,
    pub kind: OpKind,
    pub key: Key,
    /// A put's value.
    pub value: Option<ValueId>,
    /// A put's context, as the values its writer had read (the get that
    /// produced the context returned these); empty for a blind put. The
    /// checkers judge causal supersession from it.
    pub context: Vec<ValueId>,
    /// A typed write: its content, which later readers of `value` merge,
    /// and the change that made it. The node carries only the value's
    /// id, as it does an opaque value's: the content is immutable and
    /// named by the id.
    pub typed: Option<Rc<Written>>,
}

/// A client sees an operation end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub op: OpId,
    pub client: ClientId,
    pub kind: OpKind,
    pub key: Key,
    pub outcome: Outcome,
    /// A get's values (siblings), sorted.
    pub values: Vec<ValueId>,
    /// When the operation was invoked, for its latency.
    pub invoked_at: SimTime,
}

/// A client's effects: a node's, plus the history it records.
pub trait ClientOutbox<M, T>: Outbox<M, T> {
    /// A fresh operation id, unique in the run.
    fn next_op(&mut self) -> OpId;
    fn invoke(&mut self, inv: &Invocation);
    fn complete(&mut self, done: Completion);
    /// What a typed write of `value` stored (`None` for an opaque value,
    /// a tombstone, or a value never written): how a client reads the
    /// siblings a get returned.
    fn written(&self, value: ValueId) -> Option<Rc<Written>>;
}

/// A client: a workload generator, or a script of operations.
pub trait Client {
    type Msg: Describe;
    type Timer: Describe;

    fn on_start(&mut self, now: SimTime, out: &mut impl ClientOutbox<Self::Msg, Self::Timer>);
    fn on_message(
        &mut self,
        now: SimTime,
        from: Endpoint,
        msg: Self::Msg,
        out: &mut impl ClientOutbox<Self::Msg, Self::Timer>,
    );
    fn on_timer(
        &mut self,
        now: SimTime,
        timer: Self::Timer,
        out: &mut impl ClientOutbox<Self::Msg, Self::Timer>,
    );
}
