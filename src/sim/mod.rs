//! The event loop: the one place that owns simulated time and the queue.
//!
//! [`Sim`] holds the nodes, the clients, the network and the fault
//! schedule. Each step pops the earliest event, ordered by `(time,
//! sequence)`, and hands it to its target through the sans-IO interface of
//! [`crate::actor`]; the effects the target pushes into its outbox (sends,
//! timers, notes) go straight into the queue and the trace. Nothing here
//! reads a clock or an unseeded random source: the same scenario and seed
//! give the same sequence of events, byte for byte in the trace.

mod calendar;
mod faults;
mod heap;
mod outbox;
pub mod queue;
pub mod rng;
mod scripted;
pub mod testkit;
mod wire;

use crate::actor::{Client, Describe, Node};
use crate::check::history::{History, HistoryLog};
use crate::id::{ClientId, Endpoint, NodeId};
use crate::metrics::RunMetrics;
use crate::net::{DropReason, Net};
use crate::scenario::{Fault, Scenario};
use crate::time::SimTime;
use crate::trace::Tracer;
use outbox::{ClientOut, NodeOut};
use queue::{Due, EventQueue, Scheduled};
use rand_chacha::ChaCha8Rng;

pub use faults::FaultOrigin;
pub use scripted::{Choice, Scripted};
// The life record is the run output's (`crate::timeline`); the loop keeps it.
pub use crate::timeline::{Life, LifeEvent, Status};

/// What the queue holds.
pub(crate) enum Event<M, NT, CT> {
    Deliver {
        to: Endpoint,
        from: Endpoint,
        msg: M,
        msg_id: u64,
        /// The link's cut epoch at send time: a cut since then drops it.
        epoch: u32,
    },
    NodeTimer {
        node: NodeId,
        incarnation: u32,
        timer: NT,
    },
    ClientTimer {
        client: ClientId,
        timer: CT,
    },
    Fault(u32),
    /// A loss or latency window closes, unless a later one replaced it.
    WindowEnd {
        latency: bool,
        generation: u32,
    },
    End,
}

/// Input held for a paused node.
pub(crate) enum Backlogged<M, T> {
    Deliver {
        from: Endpoint,
        msg: M,
        msg_id: u64,
        epoch: u32,
    },
    Timer {
        incarnation: u32,
        timer: T,
    },
}

pub(crate) struct NodeSlot<N: Node> {
    pub node: N,
    pub status: Status,
    /// Bumped at each crash, so timers set before it never fire after.
    pub incarnation: u32,
    pub skew_ns: i64,
    /// Input that arrived while paused, handled on resume in arrival order.
    pub backlog: Vec<Backlogged<N::Msg, N::Timer>>,
}

/// Everything but the nodes and clients, so that a handler can borrow a
/// node mutably and the core (queue, network, trace) at the same time.
pub(crate) struct Core<M, NT, CT> {
    pub now: SimTime,
    pub queue: EventQueue<Event<M, NT, CT>>,
    pub net: Net,
    pub net_rng: ChaCha8Rng,
    pub fault_rng: ChaCha8Rng,
    pub trace: Tracer,
    pub metrics: RunMetrics,
    /// Every client operation, for the checkers.
    pub history: HistoryLog,
    /// Every status and clock change of every node, in time order.
    pub lifecycle: Vec<LifeEvent>,
    /// The node each client sits beside: its network site.
    pub client_home: Vec<NodeId>,
    pub next_msg_id: u64,
    pub next_op: u64,
    pub faults: Vec<(Fault, FaultOrigin)>,
    pub loss_window: u32,
    pub latency_window: u32,
    /// Messages sent to nodes by the handler running now: once it
    /// returns, each receiver is asked to prefetch what the message will
    /// read (see [`Node::prefetch`]).
    pub sent_to_nodes: Vec<(NodeId, Scheduled)>,
    /// In a scripted run, every message and timer by number (see
    /// [`scripted`]); `None` otherwise.
    pub handles: Option<scripted::Handles>,
}

/// One run of a scenario.
pub struct Sim<N: Node, C: Client<Msg = N::Msg>> {
    nodes: Vec<NodeSlot<N>>,
    clients: Vec<C>,
    core: Core<N::Msg, N::Timer, C::Timer>,
    end: SimTime,
    started: bool,
    finished: bool,
    /// The choices a scripted run follows instead of the clock.
    script: Option<scripted::Script>,
}

impl<N: Node, C: Client<Msg = N::Msg>> Sim<N, C> {
    /// Builds the world: `nodes` holds every node, members first then
    /// spares; `clients` sit beside the nodes `client_home` names.
    pub fn new(
        scenario: &Scenario,
        nodes: Vec<N>,
        clients: Vec<C>,
        client_home: Vec<NodeId>,
        trace: Tracer,
    ) -> Self {
        assert_eq!(
            nodes.len(),
            scenario.total_nodes() as usize,
            "one node per member and spare"
        );
        assert_eq!(
            clients.len(),
            client_home.len(),
            "each client sits beside a node"
        );
        let members = scenario.cluster.nodes as usize;
        let nodes = nodes
            .into_iter()
            .enumerate()
            .map(|(i, node)| {
                debug_assert_eq!(node.id(), NodeId(i as u32));
                NodeSlot {
                    node,
                    status: if i < members {
                        Status::Up
                    } else {
                        Status::Spare
                    },
                    incarnation: 0,
                    skew_ns: 0,
                    backlog: Vec::new(),
                }
            })
            .collect();
        let faults = faults::schedule(scenario);
        let mut queue = EventQueue::new();
        for (i, (fault, _)) in faults.iter().enumerate() {
            queue.push(fault.at, Event::Fault(i as u32));
        }
        let end = scenario.end();
        queue.push(end, Event::End);
        Sim {
            nodes,
            clients,
            core: Core {
                now: SimTime::ZERO,
                queue,
                net: Net::new(&scenario.cluster, &scenario.network, scenario.total_nodes()),
                net_rng: rng::stream(scenario.seed, rng::Stream::Network),
                fault_rng: rng::stream(scenario.seed, rng::Stream::Faults),
                trace,
                metrics: RunMetrics::default(),
                history: HistoryLog::new(),
                lifecycle: Vec::new(),
                client_home,
                next_msg_id: 0,
                next_op: 0,
                faults,
                loss_window: 0,
                latency_window: 0,
                sent_to_nodes: Vec::new(),
                handles: None,
            },
            end,
            started: false,
            finished: false,
            script: None,
        }
    }

    pub fn now(&self) -> SimTime {
        self.core.now
    }

    pub fn end(&self) -> SimTime {
        self.end
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    pub fn metrics(&self) -> &RunMetrics {
        &self.core.metrics
    }

    /// Every client operation so far, as recorded.
    pub fn history(&self) -> &HistoryLog {
        &self.core.history
    }

    /// Every node's status and clock changes so far, in time order.
    pub fn lifecycle(&self) -> &[LifeEvent] {
        &self.core.lifecycle
    }

    /// Hands the history over (the world keeps an empty one).
    pub fn take_history(&mut self) -> History {
        std::mem::take(&mut self.core.history).to_history()
    }

    /// A node, to set up before the run starts (loading data, say).
    pub fn node_mut(&mut self, id: NodeId) -> &mut N {
        &mut self.nodes[id.index()].node
    }

    pub fn node(&self, id: NodeId) -> &N {
        &self.nodes[id.index()].node
    }

    pub fn status(&self, id: NodeId) -> Status {
        self.nodes[id.index()].status
    }

    pub fn nodes(&self) -> impl Iterator<Item = &N> {
        self.nodes.iter().map(|s| &s.node)
    }

    pub fn clients(&self) -> &[C] {
        &self.clients
    }

    /// The fault schedule, file and nemesis faults merged in time order.
    pub fn fault_schedule(&self) -> &[(Fault, FaultOrigin)] {
        &self.core.faults
    }

    /// Runs to the end of the scenario.
    pub fn run(&mut self) {
        self.run_until(SimTime::MAX);
    }

    /// Handles every event at or before `until` (or up to the end), so a
    /// caller can show progress between slices.
    pub fn run_until(&mut self, until: SimTime) {
        if !self.started {
            self.start();
        }
        if self.script.is_some() {
            return self.run_script_until(until);
        }
        while !self.finished {
            match self.core.queue.next_due(until) {
                Some((t, due)) => self.handle(t, due),
                None => break,
            }
        }
    }

    /// Closes the trace; returns its first write error, if any.
    pub fn finish_trace(&mut self) -> std::io::Result<()> {
        self.core.trace.finish()
    }

    /// Trace lines written (0 with the trace off).
    pub fn trace_lines(&self) -> u64 {
        self.core.trace.lines()
    }

    fn start(&mut self) {
        self.started = true;
        for i in 0..self.nodes.len() {
            if self.nodes[i].status == Status::Up {
                self.with_node(NodeId(i as u32), |node, now, out| node.on_start(now, out));
            }
        }
        for i in 0..self.clients.len() {
            let now = self.core.now;
            let mut out = ClientOut::new(&mut self.core, ClientId(i as u32));
            self.clients[i].on_start(now, &mut out);
        }
    }

    /// Handles the next event.
    pub fn step(&mut self) {
        match self.core.queue.next_due(SimTime::MAX) {
            Some((t, due)) => self.handle(t, due),
            None => self.finished = true,
        }
    }

    fn handle(&mut self, t: SimTime, due: Due) {
        debug_assert!(t >= self.core.now, "time never goes backwards");
        self.core.now = t;
        self.core.metrics.events += 1;
        let event = self.core.queue.take(due);
        self.dispatch(event);
        self.prefetch_for_sent();
    }

    /// Hands one event to its target.
    fn dispatch(&mut self, event: Event<N::Msg, N::Timer, C::Timer>) {
        let t = self.core.now;
        match event {
            Event::Deliver {
                to,
                from,
                msg,
                msg_id,
                epoch,
            } => self.deliver(to, from, msg, msg_id, epoch),
            Event::NodeTimer {
                node,
                incarnation,
                timer,
            } => self.node_timer(node, incarnation, timer),
            Event::ClientTimer { client, timer } => {
                if self.core.trace.enabled() {
                    self.core
                        .trace
                        .line(t.0, "timer")
                        .client("client", client)
                        .str("timer", timer.kind());
                }
                let mut out = ClientOut::new(&mut self.core, client);
                self.clients[client.index()].on_timer(t, timer, &mut out);
            }
            Event::Fault(i) => self.apply_fault(i as usize),
            Event::WindowEnd {
                latency,
                generation,
            } => self.close_window(latency, generation),
            Event::End => {
                self.finished = true;
                if self.core.trace.enabled() {
                    self.core.trace.line(t.0, "end");
                }
            }
        }
    }

    /// Lets each node a message was just sent to start fetching what the
    /// message will read, some events before it is delivered. Changes
    /// nothing the run can observe.
    fn prefetch_for_sent(&mut self) {
        for (node, scheduled) in self.core.sent_to_nodes.drain(..) {
            if let Some(Event::Deliver { msg, .. }) = self.core.queue.get(scheduled) {
                self.nodes[node.index()].node.prefetch(msg);
            }
        }
    }

    fn deliver(&mut self, to: Endpoint, from: Endpoint, msg: N::Msg, msg_id: u64, epoch: u32) {
        let (from_site, to_site) = (self.core.site(from), self.core.site(to));
        if !self
            .core
            .net
            .reachability()
            .open_since(from_site, to_site, epoch)
        {
            self.core
                .drop_message(from, to, &msg, msg_id, DropReason::Partition);
            return;
        }
        match to {
            Endpoint::Client(c) => {
                self.core.trace_deliver(from, to, &msg, msg_id);
                self.core.metrics.messages.delivered += 1;
                let now = self.core.now;
                let mut out = ClientOut::new(&mut self.core, c);
                self.clients[c.index()].on_message(now, from, msg, &mut out);
            }
            Endpoint::Node(n) => match self.nodes[n.index()].status {
                Status::Up => {
                    self.core.trace_deliver(from, to, &msg, msg_id);
                    self.core.metrics.messages.delivered += 1;
                    self.with_node(n, |node, now, out| node.on_message(now, from, msg, out));
                }
                Status::Paused => self.nodes[n.index()].backlog.push(Backlogged::Deliver {
                    from,
                    msg,
                    msg_id,
                    epoch,
                }),
                Status::Crashed | Status::Spare | Status::Left => {
                    self.core
                        .drop_message(from, to, &msg, msg_id, DropReason::Crashed)
                }
            },
        }
    }

    fn node_timer(&mut self, node: NodeId, incarnation: u32, timer: N::Timer) {
        let slot = &mut self.nodes[node.index()];
        if slot.incarnation != incarnation {
            return; // set before a crash: that process is gone
        }
        match slot.status {
            Status::Up => {
                if self.core.trace.enabled() {
                    let mut line = self.core.trace.line(self.core.now.0, "timer");
                    line.node("node", node).str("timer", timer.kind());
                    timer.describe(&mut line);
                }
                self.with_node(node, |n, now, out| n.on_timer(now, timer, out));
            }
            Status::Paused => slot.backlog.push(Backlogged::Timer { incarnation, timer }),
            Status::Crashed | Status::Spare | Status::Left => {}
        }
    }

    /// Calls into a node with its own clock and an outbox bound to it; a
    /// node that halts during the call has left.
    fn with_node(
        &mut self,
        id: NodeId,
        f: impl FnOnce(&mut N, SimTime, &mut NodeOut<'_, N::Msg, N::Timer, C::Timer>),
    ) {
        let slot = &mut self.nodes[id.index()];
        let local_now = self.core.now.offset_by(slot.skew_ns);
        let mut out = NodeOut::new(&mut self.core, id, slot.incarnation);
        f(&mut slot.node, local_now, &mut out);
        if out.halted() {
            slot.status = Status::Left;
            self.core.lifecycle.push(LifeEvent {
                at: self.core.now,
                node: id,
                change: Life::Status(Status::Left),
            });
            slot.incarnation += 1;
            if self.core.trace.enabled() {
                self.core
                    .trace
                    .line(self.core.now.0, "left")
                    .node("node", id);
            }
        }
    }
}

impl<M: Describe, NT, CT> Core<M, NT, CT> {
    pub(crate) fn log_life(&mut self, node: NodeId, change: Life) {
        self.lifecycle.push(LifeEvent {
            at: self.now,
            node,
            change,
        });
    }
}

/// A queued event moves into and out of the queue's slab, so its size is
/// paid on every event: the Dynamo node's was 128 bytes before messages
/// boxed their contexts and anti-entropy steps (see `node::msg`). Sizes as
/// on a 64-bit target.
#[cfg(all(test, target_pointer_width = "64"))]
#[test]
fn a_queued_dynamo_event_stays_small() {
    use crate::client::driver::ClientTimer;
    use crate::node::{Msg, Timer};
    assert_eq!(std::mem::size_of::<Event<Msg, Timer, ClientTimer>>(), 88);
}
