//! Applying the fault schedule to the world: the network's reachability,
//! node lifecycles (crash, restart, pause, join, leave), clock skew, and
//! windows of extra loss or latency. Every fault is traced.

use super::{Backlogged, Event, Life, Sim, Status};
use crate::actor::{Client, Node};
use crate::fault;
use crate::id::{Endpoint, NodeId};
use crate::scenario::{Fault, FaultAction, Scenario};

/// Whether a fault came from the file or was drawn by the nemesis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultOrigin {
    File,
    Nemesis,
}

pub(super) fn schedule(scenario: &Scenario) -> Vec<(Fault, FaultOrigin)> {
    let mut rng = super::rng::stream(scenario.seed, super::rng::Stream::Nemesis);
    fault::schedule(scenario, &mut rng)
        .into_iter()
        .map(|(f, from_nemesis)| {
            let origin = if from_nemesis {
                FaultOrigin::Nemesis
            } else {
                FaultOrigin::File
            };
            (f, origin)
        })
        .collect()
}

impl<N: Node, C: Client<Msg = N::Msg>> Sim<N, C> {
    /// Nodes in the cluster now: up, paused or crashed (not spares, not left).
    pub fn members(&self) -> Vec<NodeId> {
        (0..self.nodes.len() as u32)
            .map(NodeId)
            .filter(|n| !matches!(self.status(*n), Status::Spare | Status::Left))
            .collect()
    }

    pub(super) fn apply_fault(&mut self, index: usize) {
        let (fault, origin) = self.core.faults[index].clone();
        let now = self.core.now;
        let tracing = self.core.trace.enabled();
        self.core.metrics.faults += 1;
        // The trace line is written first, so that the effects of a fault
        // (a node's restart messages) follow it.
        let mut kind = "";
        match &fault.action {
            FaultAction::Partition(groups) => {
                self.core.net.reachability_mut().partition(groups);
                if tracing {
                    let mut line = self.core.trace.line(now.0, "partition");
                    line.str("how", "groups").groups("groups", groups);
                    nemesis_flag(&mut line, origin);
                }
            }
            FaultAction::Isolate(n) => {
                self.core.net.reachability_mut().isolate(*n);
                if tracing {
                    let mut line = self.core.trace.line(now.0, "partition");
                    line.str("how", "isolate").node("node", *n);
                    nemesis_flag(&mut line, origin);
                }
            }
            FaultAction::Cut { from, to } => {
                self.core.net.reachability_mut().cut(*from, *to);
                if tracing {
                    let mut line = self.core.trace.line(now.0, "partition");
                    line.str("how", "cut").node("from", *from).node("to", *to);
                    nemesis_flag(&mut line, origin);
                }
            }
            FaultAction::Bridge { left, right, via } => {
                self.core.net.reachability_mut().bridge(left, right, *via);
                if tracing {
                    let mut line = self.core.trace.line(now.0, "partition");
                    line.str("how", "bridge")
                        .nodes("left", left)
                        .nodes("right", right)
                        .node("via", *via);
                    nemesis_flag(&mut line, origin);
                }
            }
            FaultAction::SplitMajority => {
                let members = self.members();
                let (major, minor) = self
                    .core
                    .net
                    .reachability_mut()
                    .split_majority(&mut self.core.fault_rng, &members);
                if tracing {
                    let mut line = self.core.trace.line(now.0, "partition");
                    line.str("how", "split").groups("groups", &[major, minor]);
                    nemesis_flag(&mut line, origin);
                }
            }
            FaultAction::HealAll => {
                self.core.net.reachability_mut().heal_all();
                if tracing {
                    let mut line = self.core.trace.line(now.0, "heal");
                    line.str("links", "all");
                    nemesis_flag(&mut line, origin);
                }
            }
            FaultAction::Heal(groups) => {
                for g in groups {
                    self.core.net.reachability_mut().heal_group(g);
                }
                if tracing {
                    let mut line = self.core.trace.line(now.0, "heal");
                    line.groups("groups", groups);
                    nemesis_flag(&mut line, origin);
                }
            }
            FaultAction::Loss { probability, until } => {
                self.core.net.set_loss_override(Some(*probability));
                self.core.loss_window += 1;
                let generation = self.core.loss_window;
                self.core.queue.push(
                    *until,
                    Event::WindowEnd {
                        latency: false,
                        generation,
                    },
                );
                if tracing {
                    let mut line = self.core.trace.line(now.0, "loss");
                    line.f64("p", *probability).u64("until", until.0);
                    nemesis_flag(&mut line, origin);
                }
            }
            FaultAction::Latency { dist, until } => {
                self.core
                    .net
                    .topology_mut()
                    .set_override(Some(dist.clone()));
                self.core.latency_window += 1;
                let generation = self.core.latency_window;
                self.core.queue.push(
                    *until,
                    Event::WindowEnd {
                        latency: true,
                        generation,
                    },
                );
                if tracing {
                    let mut line = self.core.trace.line(now.0, "latency");
                    line.u64("until", until.0);
                    nemesis_flag(&mut line, origin);
                }
            }
            FaultAction::Skew { node, offset_ns } => {
                self.nodes[node.index()].skew_ns = *offset_ns;
                self.core.log_life(*node, Life::Skew(*offset_ns));
                if tracing {
                    let mut line = self.core.trace.line(now.0, "skew");
                    line.node("node", *node).i64("offset_ns", *offset_ns);
                    nemesis_flag(&mut line, origin);
                }
            }
            FaultAction::Crash(n) => kind = self.crash(*n, origin),
            FaultAction::Restart { node, wipe_disk } => {
                kind = self.restart(*node, *wipe_disk, origin)
            }
            FaultAction::Pause(n) => kind = self.pause(*n, origin),
            FaultAction::Resume(n) => kind = self.resume(*n, origin),
            FaultAction::Join(n) => kind = self.join(*n, origin),
            FaultAction::Leave(n) => kind = self.leave(*n, origin),
            FaultAction::Forget { node, key } => {
                // Scenario keys are all named in the run's table.
                if let Some(k) = self.core.trace.names().find_key(key) {
                    if tracing {
                        let mut line = self.core.trace.line(now.0, "forget");
                        line.node("node", *node).str("key", key);
                        nemesis_flag(&mut line, origin);
                    }
                    self.with_node(*node, |n, now, out| n.on_forget(now, k, out));
                }
            }
        }
        // Lifecycle faults trace themselves; one that did not apply (a crash
        // of a crashed node) is traced as ignored, with why.
        if tracing && !kind.is_empty() {
            let node = match &fault.action {
                FaultAction::Crash(n)
                | FaultAction::Pause(n)
                | FaultAction::Resume(n)
                | FaultAction::Join(n)
                | FaultAction::Leave(n) => *n,
                FaultAction::Restart { node, .. } => *node,
                _ => unreachable!("only lifecycle faults set a kind"),
            };
            let status = self.status(node).as_str();
            let mut line = self.core.trace.line(now.0, "fault-ignored");
            line.str("fault", kind)
                .node("node", node)
                .str("status", status);
            nemesis_flag(&mut line, origin);
        }
    }

    /// Each lifecycle fault returns "" when applied (and traced), or its
    /// name when the node was in no state to take it.
    pub(super) fn crash(&mut self, n: NodeId, origin: FaultOrigin) -> &'static str {
        let slot = &mut self.nodes[n.index()];
        if !matches!(slot.status, Status::Up | Status::Paused) {
            return "crash";
        }
        slot.status = Status::Crashed;
        self.core.log_life(n, Life::Status(Status::Crashed));
        slot.incarnation += 1;
        // Whatever waited for a paused node dies with it.
        slot.backlog.clear();
        slot.node.on_crash();
        if self.core.trace.enabled() {
            let mut line = self.core.trace.line(self.core.now.0, "crash");
            line.node("node", n);
            nemesis_flag(&mut line, origin);
        }
        ""
    }

    pub(super) fn restart(
        &mut self,
        n: NodeId,
        wipe_disk: bool,
        origin: FaultOrigin,
    ) -> &'static str {
        if self.nodes[n.index()].status != Status::Crashed {
            return "restart";
        }
        self.nodes[n.index()].status = Status::Up;
        self.core.log_life(n, Life::Status(Status::Up));
        if self.core.trace.enabled() {
            let mut line = self.core.trace.line(self.core.now.0, "restart");
            line.node("node", n).bool("wipe_disk", wipe_disk);
            nemesis_flag(&mut line, origin);
        }
        self.with_node(n, |node, now, out| node.on_restart(now, wipe_disk, out));
        ""
    }

    fn pause(&mut self, n: NodeId, origin: FaultOrigin) -> &'static str {
        if self.nodes[n.index()].status != Status::Up {
            return "pause";
        }
        self.nodes[n.index()].status = Status::Paused;
        self.core.log_life(n, Life::Status(Status::Paused));
        if self.core.trace.enabled() {
            let mut line = self.core.trace.line(self.core.now.0, "pause");
            line.node("node", n);
            nemesis_flag(&mut line, origin);
        }
        ""
    }

    /// The node takes up its backlog at once, in arrival order: a process
    /// back from a long pause finds its socket buffers full.
    fn resume(&mut self, n: NodeId, origin: FaultOrigin) -> &'static str {
        if self.nodes[n.index()].status != Status::Paused {
            return "resume";
        }
        self.nodes[n.index()].status = Status::Up;
        self.core.log_life(n, Life::Status(Status::Up));
        if self.core.trace.enabled() {
            let mut line = self.core.trace.line(self.core.now.0, "resume");
            line.node("node", n);
            nemesis_flag(&mut line, origin);
        }
        let backlog = std::mem::take(&mut self.nodes[n.index()].backlog);
        let now = self.core.now;
        for item in backlog {
            let event = match item {
                Backlogged::Deliver {
                    from,
                    msg,
                    msg_id,
                    epoch,
                } => Event::Deliver {
                    to: Endpoint::Node(n),
                    from,
                    msg,
                    msg_id,
                    epoch,
                },
                Backlogged::Timer { incarnation, timer } => Event::NodeTimer {
                    node: n,
                    incarnation,
                    timer,
                },
            };
            self.core.queue.push(now, event);
        }
        ""
    }

    pub(super) fn join(&mut self, n: NodeId, origin: FaultOrigin) -> &'static str {
        if self.nodes[n.index()].status != Status::Spare {
            return "join";
        }
        self.nodes[n.index()].status = Status::Up;
        self.core.log_life(n, Life::Status(Status::Up));
        if self.core.trace.enabled() {
            let mut line = self.core.trace.line(self.core.now.0, "join");
            line.node("node", n);
            nemesis_flag(&mut line, origin);
        }
        self.with_node(n, |node, now, out| node.on_start(now, out));
        ""
    }

    pub(super) fn leave(&mut self, n: NodeId, origin: FaultOrigin) -> &'static str {
        if self.nodes[n.index()].status != Status::Up {
            return "leave";
        }
        if self.core.trace.enabled() {
            let mut line = self.core.trace.line(self.core.now.0, "leave");
            line.node("node", n);
            nemesis_flag(&mut line, origin);
        }
        self.with_node(n, |node, now, out| node.on_leave(now, out));
        ""
    }

    pub(super) fn close_window(&mut self, latency: bool, generation: u32) {
        let (current, what) = if latency {
            (self.core.latency_window, "latency")
        } else {
            (self.core.loss_window, "loss")
        };
        if generation != current {
            return; // a later window replaced this one
        }
        if latency {
            self.core.net.topology_mut().set_override(None);
        } else {
            self.core.net.set_loss_override(None);
        }
        if self.core.trace.enabled() {
            self.core
                .trace
                .line(self.core.now.0, "window-end")
                .str("what", what);
        }
    }
}

fn nemesis_flag(line: &mut crate::trace::Fields<'_>, origin: FaultOrigin) {
    if origin == FaultOrigin::Nemesis {
        line.bool("nemesis", true);
    }
}
