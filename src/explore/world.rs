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

use crate::actor::{Client, Completion, Describe, Invocation, Node};
use crate::client::driver::{ClientTimer, StoreClient};
use crate::id::{Endpoint, Names, NodeId, ValueId};
use crate::node::{DynamoNode, Msg, Timer};
use crate::scenario::Check;
use crate::sim::{Choice, Scripted};
use crate::time::SimTime;
use std::rc::Rc;

use super::fingerprint::Hash64;

mod membership;
mod outbox;
pub use membership::nodes_of;
use outbox::Fx;

/// A node's life: crashed nodes come back (`Restart`); a node that
/// halted after a graceful leave does not; a spare takes no input until
/// it joins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Life {
    Up,
    Down,
    Gone,
    Spare,
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

/// What the history checkers read: invocations, completions and reaped
/// tombstones, in the order they happened in this execution.
#[derive(Clone, Debug)]
pub enum Event {
    Invoke(Invocation),
    Complete(Completion),
    /// A node reaped a tombstone (these values of a key): a get invoked
    /// after it need not return them, as in a run
    /// (`History::set_reaped`).
    Reaped(Vec<ValueId>),
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
    /// The file's joins and leaves taken so far (`Rules::changes`).
    pub next_change: u32,
    /// The true members, a bit per node: who has joined and not left.
    members: u64,
    /// The member sets not yet told, at most one per node (a newer one
    /// replaces it, as gossip carries the latest list).
    pub news: Vec<News>,
}

/// A node not yet told the members after a join or a leave: it learns
/// them at a step of its own (`Step::Learn`), as gossip reaches each node
/// at a time of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct News {
    pub to: NodeId,
    /// A bit per node.
    pub members: u64,
}

/// A join or a leave of the file's `[[fault]]`s: at its `at`, before any
/// timer due then or later (as a run applies faults before the events
/// at their time), whatever is in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub at: SimTime,
    pub node: NodeId,
    pub joined: bool,
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
    /// The next join or leave of the file happens.
    Change(Change),
    /// A node learns the members (index into `news`).
    Learn(usize),
}

/// The fixed part of an exploration: the bounds, and when time ends.
pub struct Rules {
    pub bounds: Check,
    /// Timers due after this never fire: the scenario's end
    /// (`duration + quiesce`), which keeps the space finite.
    pub horizon: SimTime,
    /// The file's joins and leaves, in time order.
    pub changes: Vec<Change>,
}

impl State {
    /// The world at time zero after every node but the spares (those
    /// from `members` on) and every client started.
    pub fn initial(nodes: Vec<DynamoNode>, clients: Vec<StoreClient>, members: usize) -> State {
        let mut s = State {
            life: (0..nodes.len())
                .map(|i| if i < members { Life::Up } else { Life::Spare })
                .collect(),
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
            next_change: 0,
            members: (0..members.min(64)).fold(0, |m, i| m | 1 << i),
            news: Vec::new(),
        };
        for i in 0..members {
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

    /// The steps enabled here, in a fixed order: timers (or the next
    /// join or leave), deliveries, drops, duplicates, crashes, restarts,
    /// news. None: the execution ended.
    pub fn steps(&self, rules: &Rules, out: &mut Vec<Step>) {
        out.clear();
        let mut earliest = self
            .timers
            .iter()
            .map(|t| t.due)
            .filter(|&due| due <= rules.horizon)
            .min();
        // A join or a leave comes before the timers due at its time or
        // later, whatever is in flight.
        if let Some(change) = rules.changes.get(self.next_change as usize) {
            if change.at <= rules.horizon && earliest.is_none_or(|due| change.at <= due) {
                out.push(Step::Change(*change));
                earliest = None;
            }
        }
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
        self.learn_steps(out);
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
            Step::Change(change) => s.change(change),
            Step::Learn(i) => s.learn(i),
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
            news,
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
                let reaped_before = nodes[n].reaped().len();
                input(Actor::Node(Rc::make_mut(&mut nodes[n])), &mut fx);
                for reaped in &nodes[n].reaped()[reaped_before..] {
                    fx.record(Event::Reaped(reaped.values.clone()));
                }
                node_prints[n] = node_print(&nodes[n]);
                if fx.halted {
                    // Gone: its timers and its news with it.
                    life[n] = Life::Gone;
                    let me = Endpoint::Node(NodeId(n as u32));
                    timers.retain(|t| t.owner != me);
                    news.retain(|x| x.to.0 as usize != n);
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
        // Only a file with joins or leaves has these, so the others' fingerprints
        // (and the zoo's pinned counts) are as before.
        if self.next_change > 0 {
            h.u64(u64::from(self.next_change));
            h.u64(self.members);
            for x in &self.news {
                h.u64(u64::from(x.to.0));
                h.u64(x.members);
            }
        }
        h.finish()
    }

    /// The message `flight[i]` as a delivery step names it across states
    /// (its hash: sender, receiver and content) and its receiver.
    pub fn delivery(&self, i: usize) -> (u64, Endpoint) {
        let e = &self.flight[i];
        (e.print, e.to)
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
            Step::Change(c) if c.joined => (self.now.max(c.at), Choice::Join(c.node)),
            Step::Change(c) => (self.now.max(c.at), Choice::Leave(c.node)),
            Step::Learn(i) => {
                let news = self.news[i];
                (
                    self.now,
                    Choice::Learn {
                        node: news.to,
                        members: news.members,
                    },
                )
            }
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
            Step::Change(c) => format!(
                "at {}ms {} {}",
                c.at.as_millis_f64(),
                c.node,
                if c.joined { "joins" } else { "leaves" }
            ),
            Step::Learn(i) => {
                let news = self.news[i];
                let members: Vec<String> = membership::nodes_of(news.members)
                    .map(|n| n.to_string())
                    .collect();
                format!("{} learns the members: {}", news.to, members.join(", "))
            }
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
