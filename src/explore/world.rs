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
use crate::sim::{Choice, Scripted};
use crate::time::SimTime;
use crate::trace::Fields;
use crate::value::Written;
use std::fmt::Write as _;
use std::rc::Rc;

use super::fingerprint::Hash64;

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
    /// The message's number in send order (a duplicate numbered as a new
    /// send), for `dynsim run` to name it; not part of the state, so left
    /// out of the fingerprint.
    pub number: u32,
    pub from: Endpoint,
    pub to: Endpoint,
    pub msg: Msg,
    /// The hash of `from`, `to` and `msg`, taken once when it is sent.
    print: u64,
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
    /// The hash of `due`, `owner` and `timer`, taken once when it is set.
    print: u64,
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

/// A world. Nodes, clients and the history are shared between a state
/// and its successors until a step changes them (`Rc::make_mut`): a step
/// touches one actor, so a successor copies one node, not all of them.
/// Each keeps its hash beside it, retaken only when it changes.
#[derive(Clone)]
pub struct State {
    pub nodes: Vec<Rc<DynamoNode>>,
    node_prints: Vec<u64>,
    pub life: Vec<Life>,
    pub clients: Vec<Rc<StoreClient>>,
    client_prints: Vec<u64>,
    pub now: SimTime,
    /// Shared with the successors, as the actors are: a message is
    /// never changed in flight, so a step copies pointers, not messages.
    pub flight: Vec<Rc<Envelope>>,
    pub timers: Vec<PendingTimer>,
    pub history: Rc<Vec<Event>>,
    /// A running hash of the history, event by event.
    history_print: u64,
    /// Each node's clock offset from true time (a skew from the start),
    /// in ns: what it reads as `now`. Fixed for an exploration, so not
    /// part of the fingerprint.
    skew_ns: Rc<[i64]>,
    next_op: u64,
    next_timer: u64,
    next_message: u32,
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
            node_prints: nodes.iter().map(node_print).collect(),
            nodes: nodes.into_iter().map(Rc::new).collect(),
            client_prints: clients.iter().map(client_print).collect(),
            clients: clients.into_iter().map(Rc::new).collect(),
            now: SimTime::ZERO,
            flight: Vec::new(),
            timers: Vec::new(),
            history: Rc::default(),
            history_print: 0,
            skew_ns: Rc::from(Vec::new()),
            next_op: 0,
            next_timer: 0,
            next_message: 0,
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
                let now = s.local(t.owner);
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
                let Envelope { from, to, msg, .. } = Rc::unwrap_or_clone(s.flight.remove(i));
                let now = s.local(to);
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
                let copy = Envelope {
                    number: s.next_message,
                    ..(*s.flight[i]).clone()
                };
                s.next_message += 1;
                s.flight.push(Rc::new(copy));
                s.duplicates += 1;
            }
            Step::Crash(n) => {
                Rc::make_mut(&mut s.nodes[n.0 as usize]).on_crash();
                s.node_prints[n.0 as usize] = node_print(&s.nodes[n.0 as usize]);
                s.life[n.0 as usize] = Life::Down;
                s.timers.retain(|t| t.owner != Endpoint::Node(n));
                s.crashes += 1;
            }
            Step::Restart(n) => {
                s.life[n.0 as usize] = Life::Up;
                let now = s.local(Endpoint::Node(n));
                s.act(Endpoint::Node(n), |actor, fx| {
                    if let Actor::Node(node) = actor {
                        node.on_restart(now, false, fx);
                    }
                });
            }
        }
        s
    }

    /// Skews each node's clock by `skew_ns` (by node index) from here on:
    /// the event loop applies a skew fault at time 0 after every node
    /// started, and so does this.
    pub fn with_skews(mut self, skew_ns: Vec<i64>) -> State {
        self.skew_ns = Rc::from(skew_ns);
        self
    }

    /// The time `who` reads on its clock now.
    fn local(&self, who: Endpoint) -> SimTime {
        match who {
            Endpoint::Node(n) => self
                .now
                .offset_by(self.skew_ns.get(n.0 as usize).copied().unwrap_or(0)),
            Endpoint::Client(_) => self.now,
        }
    }

    /// Hands one input to the node or client `who` with an outbox over
    /// this state; a node that halts is gone.
    fn act(&mut self, who: Endpoint, input: impl FnOnce(Actor<'_>, &mut Fx<'_>)) {
        let State {
            nodes,
            node_prints,
            clients,
            client_prints,
            flight,
            timers,
            history,
            history_print,
            next_op,
            next_timer,
            next_message,
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
            history_print,
            next_op,
            next_timer,
            next_message,
            halted: false,
        };
        match who {
            Endpoint::Node(n) => {
                let n = n.0 as usize;
                input(Actor::Node(Rc::make_mut(&mut nodes[n])), &mut fx);
                node_prints[n] = node_print(&nodes[n]);
                if fx.halted {
                    life[n] = Life::Gone;
                }
            }
            Endpoint::Client(c) => {
                let c = c.0 as usize;
                input(Actor::Client(Rc::make_mut(&mut clients[c])), &mut fx);
                client_prints[c] = client_print(&clients[c]);
            }
        }
    }

    /// The state's fingerprint: every node's and client's state, the
    /// messages in flight and the timers set (each as a multiset, the sum
    /// of their hashes: their order in the vectors is how this state was
    /// reached, not what it is), the history, the clock and the faults
    /// spent. The parts' hashes are kept up to date by the steps, so this
    /// only combines them.
    pub fn fingerprint(&self) -> u64 {
        let mut h = Hash64::default();
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
        for (print, life) in self.node_prints.iter().zip(&self.life) {
            h.u64(*life as u64);
            h.u64(*print);
        }
        self.client_prints.iter().for_each(|&p| h.u64(p));
        let multiset =
            |prints: &mut dyn Iterator<Item = u64>| prints.fold(0u64, |sum, p| sum.wrapping_add(p));
        h.u64(self.flight.len() as u64);
        h.u64(multiset(&mut self.flight.iter().map(|e| e.print)));
        h.u64(self.timers.len() as u64);
        h.u64(multiset(&mut self.timers.iter().map(|t| t.print)));
        h.u64(self.history_print);
        h.finish()
    }

    /// `step` as the event loop names it (see `sim::scripted`), at the
    /// time it happens.
    pub fn scripted(&self, step: Step) -> Scripted {
        let (at, choice) = match step {
            Step::Fire(i) => {
                let t = &self.timers[i];
                // Timer ids count from 1, the loop's numbers from 0.
                (self.now.max(t.due), Choice::Fire(t.id as u32 - 1))
            }
            Step::Deliver(i) => (self.now, Choice::Deliver(self.flight[i].number)),
            Step::Drop(i) => (self.now, Choice::Drop(self.flight[i].number)),
            Step::Duplicate(i) => (self.now, Choice::Duplicate(self.flight[i].number)),
            Step::Crash(n) => (self.now, Choice::Crash(n)),
            Step::Restart(n) => (self.now, Choice::Restart(n)),
        };
        Scripted { at, choice }
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

fn node_print(node: &DynamoNode) -> u64 {
    let mut h = Hash64::default();
    let _ = node.write_state(&mut h);
    h.finish()
}

fn client_print(client: &StoreClient) -> u64 {
    let mut h = Hash64::default();
    let _ = client.write_state(&mut h);
    h.finish()
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
    flight: &'a mut Vec<Rc<Envelope>>,
    timers: &'a mut Vec<PendingTimer>,
    history: &'a mut Rc<Vec<Event>>,
    history_print: &'a mut u64,
    next_op: &'a mut u64,
    next_timer: &'a mut u64,
    next_message: &'a mut u32,
    halted: bool,
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

    fn record(&mut self, event: Event) {
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
