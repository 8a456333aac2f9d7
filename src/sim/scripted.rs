//! A scripted execution: the event loop follows a list of choices instead
//! of the clock and the network's dice, so that a `dynsim check`
//! counterexample (one execution of the Dynamo nodes the explorer found,
//! `crate::explore`) runs as an ordinary run, traced, judged by the run's
//! checkers, narrated by `explain` and shown in the viewer.
//!
//! In a scripted run every send is queued at once, with no latency, loss
//! or duplication of the network's own; nothing leaves the queue by its
//! time. Each step names the message or timer to take next by its number
//! (messages and timers are numbered in the order they were sent and set,
//! a duplicate as a new message), and the simulated time it happens at:
//! the explorer's abstract time, which moves only when a timer fires. The
//! nodes see the same inputs in the same order at the same times as in
//! the explorer, so they do the same. The fault schedule (a check file
//! may skew clocks from time 0, nothing else) applies between steps at
//! its times.

use super::queue::Scheduled;
use super::{Event, FaultOrigin, Sim};
use crate::actor::{Client, Node};
use crate::id::NodeId;
use crate::net::DropReason;
use crate::scenario::FaultAction;
use crate::time::SimTime;

/// What happens at one step of a scripted execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// The `n`th timer set (from 0) fires.
    Fire(u32),
    /// The `n`th message sent (from 0) arrives; at a crashed node it is lost.
    Deliver(u32),
    /// The network loses the `n`th message.
    Drop(u32),
    /// The network copies the `n`th message; the copy is numbered next.
    Duplicate(u32),
    Crash(NodeId),
    /// A crashed node comes back with its disk.
    Restart(NodeId),
    /// A spare joins (the file's `join` fault, taken here rather than by
    /// the fault schedule).
    Join(NodeId),
    /// A member leaves gracefully (the file's `leave` fault).
    Leave(NodeId),
    /// `node` learns the ring's members (a bit per node): membership told,
    /// not gossiped (`Node::on_membership`).
    Learn {
        node: NodeId,
        members: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scripted {
    pub at: SimTime,
    pub choice: Choice,
}

/// The queue handles of every message sent and timer set, in order, so a
/// step can take the one it names.
#[derive(Default)]
pub(crate) struct Handles {
    pub messages: Vec<Scheduled>,
    pub timers: Vec<Scheduled>,
}

pub(crate) struct Script {
    steps: Vec<Scripted>,
    next: usize,
    /// The next fault of the schedule to apply (a check file's only
    /// faults are clock skews from time 0).
    next_fault: usize,
}

impl<N: Node, C: Client<Msg = N::Msg>> Sim<N, C> {
    /// Makes this run follow `steps` (before it starts). The steps must
    /// be a whole execution of this world, as `explore::script` makes
    /// them: a step naming a message or timer that is not pending panics.
    pub fn follow(&mut self, steps: Vec<Scripted>) {
        assert!(!self.started, "a script is set before the run starts");
        self.script = Some(Script {
            steps,
            next: 0,
            next_fault: 0,
        });
        self.core.handles = Some(Handles::default());
    }

    /// Takes the script's steps due by `until`; once none is left the
    /// execution has ended, and the run ends at its end time.
    pub(super) fn run_script_until(&mut self, until: SimTime) {
        loop {
            let Some(script) = &mut self.script else {
                return;
            };
            let Some(&step) = script.steps.get(script.next) else {
                break;
            };
            if step.at > until {
                return;
            }
            script.next += 1;
            self.apply_faults_until(step.at);
            self.core.now = self.core.now.max(step.at);
            self.core.metrics.events += 1;
            self.take(step.choice);
            self.prefetch_for_sent();
        }
        if until >= self.end {
            self.apply_faults_until(self.end);
            self.core.now = self.end;
            self.dispatch(Event::End);
        }
    }

    /// Faults still happen at their times, between the steps; joins and
    /// leaves are steps of their own (`Choice::Join`, `Choice::Leave`).
    fn apply_faults_until(&mut self, t: SimTime) {
        while let Some(script) = &mut self.script {
            let i = script.next_fault;
            match self.core.faults.get(i) {
                Some((fault, _))
                    if matches!(fault.action, FaultAction::Join(_) | FaultAction::Leave(_)) =>
                {
                    script.next_fault += 1;
                }
                Some((fault, _)) if fault.at <= t => {
                    script.next_fault += 1;
                    self.core.now = self.core.now.max(fault.at);
                    self.apply_fault(i);
                }
                _ => return,
            }
        }
    }

    fn take(&mut self, choice: Choice) {
        let handles = self.core.handles.as_ref().expect("a scripted run");
        let handle = match choice {
            Choice::Fire(i) => handles.timers[i as usize],
            Choice::Deliver(i) | Choice::Drop(i) | Choice::Duplicate(i) => {
                handles.messages[i as usize]
            }
            Choice::Crash(n) => {
                self.crash(n, FaultOrigin::File);
                return;
            }
            Choice::Restart(n) => {
                self.restart(n, false, FaultOrigin::File);
                return;
            }
            Choice::Join(n) => {
                self.join(n, FaultOrigin::File);
                return;
            }
            Choice::Leave(n) => {
                self.leave(n, FaultOrigin::File);
                return;
            }
            Choice::Learn { node, members } => {
                let members: Vec<NodeId> = (0..64u32)
                    .filter(|i| members & (1 << i) != 0)
                    .map(NodeId)
                    .collect();
                self.with_node(node, |n, now, out| n.on_membership(now, &members, out));
                return;
            }
        };
        if let Choice::Duplicate(_) = choice {
            let Some(Event::Deliver {
                to,
                from,
                msg,
                msg_id,
                epoch,
            }) = self.core.queue.get(handle)
            else {
                panic!("the script duplicates a message that is not in flight: {choice:?}");
            };
            let copy = Event::Deliver {
                to: *to,
                from: *from,
                msg: msg.clone(),
                msg_id: *msg_id,
                epoch: *epoch,
            };
            self.core.duplicate_scripted(copy);
            return;
        }
        let event = self
            .core
            .queue
            .cancel(handle)
            .unwrap_or_else(|| panic!("the script takes what is not pending: {choice:?}"));
        match (choice, event) {
            (
                Choice::Drop(_),
                Event::Deliver {
                    to,
                    from,
                    msg,
                    msg_id,
                    ..
                },
            ) => self
                .core
                .drop_message(from, to, &msg, msg_id, DropReason::Loss),
            (_, event) => self.dispatch(event),
        }
    }
}
