//! One state of `dynsim check` and the steps between states: the Dynamo
//! nodes and clients (§4.3-§4.6: coordination, quorums, sloppy quorum,
//! hinted handoff, versioning) as the event loop builds them, the
//! messages in flight, the timers set, and the history so far. Time is
//! abstract: it moves only when a timer fires, to that timer's due time;
//! a message takes any time at all, so it may arrive before or after any
//! timer (a slow reply after its request timed out, within
//! `[check] max_early_timers`), or never (a drop). Without that budget a
//! protocol timer waits until no message is in flight: the network is
//! faster than every timeout. A scripted op's timer never waits, so ops
//! whose `at`s no other timer separates run concurrently.

use crate::actor::{Client, ClientOutbox, Completion, Describe, Invocation, Node, Outbox, TimerId};
use crate::client::driver::{ClientTimer, StoreClient};
use crate::id::{Endpoint, Names, NodeId, OpId, ValueId};
use crate::node::{DynamoNode, Msg, Timer};
use crate::scenario::Check;
use crate::time::SimTime;
use crate::trace::Fields;
use crate::value::Written;
use std::fmt::Write as _;
use std::rc::Rc;

use super::fingerprint::Fnv;

/// A node's life: crashed nodes come back (`Restart`); a node that
/// halted after a graceful leave does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Life {
    Up,
    Down,
    Gone,
}

#[derive(Clone, Debug)]
pub struct Envelope {
    pub from: Endpoint,
    pub to: Endpoint,
    pub msg: Msg,
}

#[derive(Clone, Debug)]
pub enum TimerKind {
    Node(Timer),
    Client(ClientTimer),
}

#[derive(Clone, Debug)]
pub struct PendingTimer {
    pub due: SimTime,
    /// Names the timer for `cancel_timer`; not part of the state (no
    /// actor keeps one), so it is left out of the fingerprint.
    pub id: u64,
    pub owner: Endpoint,
    pub timer: TimerKind,
}

impl PendingTimer {
    /// A scripted operation's start, which no message holds back.
    fn is_script(&self) -> bool {
        matches!(self.timer, TimerKind::Client(ClientTimer::Script(_)))
    }
}

/// What the history checkers read: invocations and completions, in the
/// order they happened in this execution.
#[derive(Clone, Debug)]
pub enum Event {
    Invoke(Invocation),
    Complete(Completion),
}

#[derive(Clone)]
pub struct State {
    pub nodes: Vec<DynamoNode>,
    pub life: Vec<Life>,
    pub clients: Vec<StoreClient>,
    pub now: SimTime,
    pub flight: Vec<Envelope>,
    pub timers: Vec<PendingTimer>,
    pub history: Vec<Event>,
    next_op: u64,
    next_timer: u64,
    pub drops: u32,
    pub duplicates: u32,
    pub crashes: u32,
    pub early_timers: u32,
}

/// A choice the explorer makes at a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A timer due earliest fires (index into `timers`).
    Fire(usize),
    /// A message arrives (index into `flight`); at a crashed node it is lost.
    Deliver(usize),
    /// The network loses a message.
    Drop(usize),
    /// The network copies a message; both copies are in flight.
    Duplicate(usize),
    /// A node crashes: its memory and timers are lost, its disk kept.
    Crash(NodeId),
    /// A crashed node comes back with its disk.
    Restart(NodeId),
}

/// The fixed part of an exploration: the bounds, and when time ends.
pub struct Rules {
    pub bounds: Check,
    /// Timers due after this never fire: the scenario's end
    /// (`duration + quiesce`), which keeps the space finite.
    pub horizon: SimTime,
}

impl State {
    /// The world at time zero after every node and client started.
    pub fn initial(nodes: Vec<DynamoNode>, clients: Vec<StoreClient>) -> State {
        let mut s = State {
            life: vec![Life::Up; nodes.len()],
            nodes,
            clients,
            now: SimTime::ZERO,
            flight: Vec::new(),
            timers: Vec::new(),
            history: Vec::new(),
            next_op: 0,
            next_timer: 0,
            drops: 0,
            duplicates: 0,
            crashes: 0,
            early_timers: 0,
        };
        for i in 0..s.nodes.len() {
            s.act(Endpoint::Node(NodeId(i as u32)), |actor, fx| match actor {
                Actor::Node(node) => node.on_start(SimTime::ZERO, fx),
                Actor::Client(client) => client.on_start(SimTime::ZERO, fx),
            });
        }
        for i in 0..s.clients.len() {
            let id = s.clients[i].id();
            s.act(Endpoint::Client(id), |actor, fx| match actor {
                Actor::Node(node) => node.on_start(SimTime::ZERO, fx),
                Actor::Client(client) => client.on_start(SimTime::ZERO, fx),
            });
        }
        s
    }

    /// The steps enabled here, in a fixed order: timers, deliveries,
    /// drops, duplicates, crashes, restarts. None: the execution ended.
    pub fn steps(&self, rules: &Rules, out: &mut Vec<Step>) {
        out.clear();
        let earliest = self
            .timers
            .iter()
            .map(|t| t.due)
            .filter(|&due| due <= rules.horizon)
            .min();
        // A protocol timer waits for the messages in flight unless the
        // early budget lets it overtake them; a scripted op starts at its
        // `at` whatever is in flight.
        let may_overtake =
            self.flight.is_empty() || self.early_timers < rules.bounds.max_early_timers;
        if let Some(earliest) = earliest {
            out.extend(
                (0..self.timers.len())
                    .filter(|&i| {
                        let t = &self.timers[i];
                        t.due == earliest && (may_overtake || t.is_script())
                    })
                    .map(Step::Fire),
            );
        }
        let messages = self.flight.len();
        out.extend((0..messages).map(Step::Deliver));
        if self.drops < rules.bounds.max_drops {
            out.extend((0..messages).map(Step::Drop));
        }
        if self.duplicates < rules.bounds.max_duplicates {
            out.extend((0..messages).map(Step::Duplicate));
        }
        // A crash once nothing is left to happen changes no outcome; only
        // crashes while the execution goes on are choices.
        let going_on = !out.is_empty();
        for (i, life) in self.life.iter().enumerate() {
            let node = NodeId(i as u32);
            match life {
                Life::Up if going_on && self.crashes < rules.bounds.max_crashes => {
                    out.push(Step::Crash(node))
                }
                Life::Down => out.push(Step::Restart(node)),
                _ => {}
            }
        }
    }

    /// The state after `step`.
    pub fn after(&self, step: Step) -> State {
        let mut s = self.clone();
        match step {
            Step::Fire(i) => {
                let t = s.timers.remove(i);
                if !s.flight.is_empty() && !t.is_script() {
                    s.early_timers += 1;
                }
                s.now = s.now.max(t.due);
                let now = s.now;
                s.act(t.owner, |actor, fx| match (actor, t.timer) {
                    (Actor::Node(node), TimerKind::Node(timer)) => node.on_timer(now, timer, fx),
                    (Actor::Client(client), TimerKind::Client(timer)) => {
                        client.on_timer(now, timer, fx)
                    }
                    // A timer is set by its owner, in the owner's kind.
                    _ => {}
                });
            }
            Step::Deliver(i) => {
                let Envelope { from, to, msg } = s.flight.remove(i);
                let now = s.now;
                let up = match to {
                    Endpoint::Node(n) => s.life[n.0 as usize] == Life::Up,
                    Endpoint::Client(_) => true,
                };
                if up {
                    s.act(to, |actor, fx| match actor {
                        Actor::Node(node) => node.on_message(now, from, msg, fx),
                        Actor::Client(client) => client.on_message(now, from, msg, fx),
                    });
                }
            }
            Step::Drop(i) => {
                s.flight.remove(i);
                s.drops += 1;
            }
            Step::Duplicate(i) => {
                let copy = s.flight[i].clone();
                s.flight.push(copy);
                s.duplicates += 1;
            }
            Step::Crash(n) => {
                s.nodes[n.0 as usize].on_crash();
                s.life[n.0 as usize] = Life::Down;
                s.timers.retain(|t| t.owner != Endpoint::Node(n));
                s.crashes += 1;
            }
            Step::Restart(n) => {
                s.life[n.0 as usize] = Life::Up;
                let now = s.now;
                s.act(Endpoint::Node(n), |actor, fx| {
                    if let Actor::Node(node) = actor {
                        node.on_restart(now, false, fx);
                    }
                });
            }
        }
        s
    }

    /// Hands one input to the node or client `who` with an outbox over
    /// this state; a node that halts is gone.
    fn act(&mut self, who: Endpoint, input: impl FnOnce(Actor<'_>, &mut Fx<'_>)) {
        let State {
            nodes,
            clients,
            flight,
            timers,
            history,
            next_op,
            next_timer,
            now,
            life,
            ..
        } = self;
        let mut fx = Fx {
            owner: who,
            now: *now,
            flight,
            timers,
            history,
            next_op,
            next_timer,
            halted: false,
        };
        match who {
            Endpoint::Node(n) => {
                input(Actor::Node(&mut nodes[n.0 as usize]), &mut fx);
                if fx.halted {
                    life[n.0 as usize] = Life::Gone;
                }
            }
            Endpoint::Client(c) => input(Actor::Client(&mut clients[c.0 as usize]), &mut fx),
        }
    }

    /// The state's fingerprint: every node's and client's state, the
    /// messages in flight and the timers set (each as a multiset: their
    /// order in the vectors is how this state was reached, not what it
    /// is), the history, the clock and the faults spent.
    pub fn fingerprint(&self) -> u64 {
        let mut h = Fnv::default();
        for x in [
            self.now.0,
            self.next_op,
            u64::from(self.drops),
            u64::from(self.duplicates),
            u64::from(self.crashes),
            u64::from(self.early_timers),
        ] {
            h.u64(x);
        }
        for (node, life) in self.nodes.iter().zip(&self.life) {
            let _ = write!(h, "{life:?}");
            let _ = node.write_state(&mut h);
        }
        for client in &self.clients {
            let _ = client.write_state(&mut h);
        }
        let mut parts: Vec<u64> = self
            .flight
            .iter()
            .map(|e| {
                let mut m = Fnv::default();
                let _ = write!(m, "{:?}{:?}{:?}", e.from, e.to, e.msg);
                m.finish()
            })
            .collect();
        parts.sort_unstable();
        h.u64(parts.len() as u64);
        parts.iter().for_each(|&p| h.u64(p));
        parts.clear();
        parts.extend(self.timers.iter().map(|t| {
            let mut m = Fnv::default();
            let _ = write!(m, "{}{:?}{:?}", t.due.0, t.owner, t.timer);
            m.finish()
        }));
        parts.sort_unstable();
        h.u64(parts.len() as u64);
        parts.iter().for_each(|&p| h.u64(p));
        let _ = write!(h, "{:?}", self.history);
        h.finish()
    }

    /// A step in words, for the terminal and a counterexample's comments.
    pub fn describe(&self, step: Step, names: &Names) -> String {
        let end = |e: Endpoint| match e {
            Endpoint::Node(n) => n.to_string(),
            Endpoint::Client(c) => names.client(c).into_owned(),
        };
        let message = |i: usize| {
            let e = &self.flight[i];
            format!("{} {} -> {}", e.msg.kind(), end(e.from), end(e.to))
        };
        match step {
            Step::Fire(i) => {
                let t = &self.timers[i];
                let kind = match &t.timer {
                    TimerKind::Node(timer) => timer.kind(),
                    TimerKind::Client(timer) => timer.kind(),
                };
                format!(
                    "at {}ms {} timer {kind} fires",
                    t.due.as_millis_f64(),
                    end(t.owner)
                )
            }
            Step::Deliver(i) => format!("deliver {}", message(i)),
            Step::Drop(i) => format!("drop {}", message(i)),
            Step::Duplicate(i) => format!("duplicate {}", message(i)),
            Step::Crash(n) => format!("crash {n}"),
            Step::Restart(n) => format!("restart {n}"),
        }
    }
}

/// Whom an input is for.
enum Actor<'a> {
    Node(&'a mut DynamoNode),
    Client(&'a mut StoreClient),
}

/// The outbox of one handler call: effects land straight in the state.
struct Fx<'a> {
    owner: Endpoint,
    now: SimTime,
    flight: &'a mut Vec<Envelope>,
    timers: &'a mut Vec<PendingTimer>,
    history: &'a mut Vec<Event>,
    next_op: &'a mut u64,
    next_timer: &'a mut u64,
    halted: bool,
}

impl Fx<'_> {
    fn timer(&mut self, after: SimTime, timer: TimerKind) -> TimerId {
        *self.next_timer += 1;
        self.timers.push(PendingTimer {
            due: self.now + after,
            id: *self.next_timer,
            owner: self.owner,
            timer,
        });
        TimerId::from_raw(0, *self.next_timer)
    }

    fn send_msg(&mut self, to: Endpoint, msg: Msg) {
        self.flight.push(Envelope {
            from: self.owner,
            to,
            msg,
        });
    }
}

impl Outbox<Msg, Timer> for Fx<'_> {
    fn send(&mut self, to: Endpoint, msg: Msg) {
        self.send_msg(to, msg);
    }
    fn set_timer(&mut self, after: SimTime, timer: Timer) -> TimerId {
        self.timer(after, TimerKind::Node(timer))
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

impl Outbox<Msg, ClientTimer> for Fx<'_> {
    fn send(&mut self, to: Endpoint, msg: Msg) {
        self.send_msg(to, msg);
    }
    fn set_timer(&mut self, after: SimTime, timer: ClientTimer) -> TimerId {
        self.timer(after, TimerKind::Client(timer))
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
        self.history.push(Event::Invoke(inv.clone()));
    }
    fn complete(&mut self, done: Completion) {
        self.history.push(Event::Complete(done));
    }
    fn written(&self, value: ValueId) -> Option<Rc<Written>> {
        // Explorations are short: a walk back through the history.
        self.history.iter().rev().find_map(|e| match e {
            Event::Invoke(inv) if inv.value == Some(value) => inv.typed.clone(),
            _ => None,
        })
    }
}
