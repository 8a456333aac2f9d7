//! Membership figures: how fast and how truly the gossip failure detector
//! and membership protocol (Dynamo §4.8) told each node what happened.
//!
//! Judged against the simulator's own record of each node's life
//! (`timeline::LifeEvent`), never against what the nodes believe: a crash
//! at t, and for each node that was up then and stayed up, when its view
//! first said "down"; a node declared down while it was up (a false positive: a
//! partition or a slow link made a live node look dead); a join or leave,
//! and when the last live node heard of it.
//!
//! Nodes stamp their view changes with their own clocks; the node's skew at
//! the time (from the life record) turns them back into true time.

use crate::gossip::Status as ViewStatus;
use crate::id::NodeId;
use crate::node::MemberEvent;
use crate::time::SimTime;
use crate::timeline::{Life, LifeEvent, Status};

/// A node's view change, in true time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observed {
    pub at: SimTime,
    pub observer: NodeId,
    pub event: MemberEvent,
}

/// Every node's status over the run, from the life record.
#[derive(Clone, Debug)]
pub struct Truth {
    initial: Vec<Status>,
    lifecycle: Vec<LifeEvent>,
}

impl Truth {
    /// `members` nodes up at time zero, the rest of `total` spares.
    pub fn new(members: u32, total: u32, lifecycle: &[LifeEvent]) -> Truth {
        Truth {
            initial: (0..total)
                .map(|i| {
                    if i < members {
                        Status::Up
                    } else {
                        Status::Spare
                    }
                })
                .collect(),
            lifecycle: lifecycle.to_vec(),
        }
    }

    /// The node's status just after every change at or before `t`.
    pub fn status(&self, node: NodeId, t: SimTime) -> Status {
        let mut status = self
            .initial
            .get(node.index())
            .copied()
            .unwrap_or(Status::Spare);
        for e in self.lifecycle.iter().take_while(|e| e.at <= t) {
            if let (true, Life::Status(s)) = (e.node == node, e.change) {
                status = s;
            }
        }
        status
    }

    /// The node's clock offset (ns) in force at true time `t`.
    fn skew(&self, node: NodeId, t: SimTime) -> i64 {
        let mut skew = 0;
        for e in self.lifecycle.iter().take_while(|e| e.at <= t) {
            if let (true, Life::Skew(s)) = (e.node == node, e.change) {
                skew = s;
            }
        }
        skew
    }

    /// Node status changes of one kind: (time, node, status before).
    fn changes_to(&self, to: Status) -> Vec<(SimTime, NodeId, Status)> {
        let mut before = self.initial.clone();
        let mut found = Vec::new();
        for e in &self.lifecycle {
            if let (Life::Status(s), Some(slot)) = (e.change, before.get_mut(e.node.index())) {
                if s == to {
                    found.push((e.at, e.node, *slot));
                }
                *slot = s;
            }
        }
        found
    }

    /// When `node` next changes status after `t`, or `end`.
    fn next_change(&self, node: NodeId, t: SimTime, end: SimTime) -> SimTime {
        self.lifecycle
            .iter()
            .find(|e| e.at > t && e.node == node && matches!(e.change, Life::Status(_)))
            .map_or(end, |e| e.at)
    }

    /// Turns a node's view changes, stamped on its clock, into true time.
    pub fn observed(&self, observer: NodeId, events: &[MemberEvent]) -> Vec<Observed> {
        events
            .iter()
            .map(|e| {
                // The skew in force when the node stamped it: look it up at
                // the stamp itself, which is off by at most the skew.
                let skew = self.skew(observer, e.at);
                Observed {
                    at: e.at.offset_by(-skew),
                    observer,
                    event: *e,
                }
            })
            .collect()
    }
}

/// The `membership` figures of `summary.json`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    /// Per crash and per node up throughout: ms from the crash until that
    /// node's view said down.
    pub detection_ms: Vec<f64>,
    /// (crash, node) pairs where the node stayed up but never said down
    /// before the crashed node came back or the run ended.
    pub undetected: u64,
    /// Times a node's view declared down a node that was up.
    pub false_positives: u64,
    /// Per join: ms until the last node up throughout knew the newcomer;
    /// `None` if some never did.
    pub join_ms: Vec<Option<f64>>,
    /// Per leave (from the leave fault): ms until the last node up
    /// throughout saw it leave; `None` if some never did.
    pub leave_ms: Vec<Option<f64>>,
}

fn ms(d: SimTime) -> f64 {
    d.0 as f64 / 1e6
}

/// The figures from every node's view changes (`observed`, true time,
/// sorted by time) and the truth. `leaves` are the leave faults' times.
pub fn figures(
    truth: &Truth,
    observed: &[Observed],
    leaves: &[(SimTime, NodeId)],
    nodes: u32,
    end: SimTime,
) -> Figures {
    let mut f = Figures::default();
    let up = |n: NodeId, t: SimTime| truth.status(n, t) == Status::Up;
    let all = || (0..nodes).map(NodeId);
    for (crash, x, _) in truth.changes_to(Status::Crashed) {
        let until = truth.next_change(x, crash, end);
        for y in all().filter(|&y| y != x && up(y, crash) && up(y, until)) {
            let about = |o: &&Observed| o.observer == y && o.event.peer == x;
            let already = observed
                .iter()
                .filter(about)
                .take_while(|o| o.at <= crash)
                .last()
                .is_some_and(|o| o.event.status == ViewStatus::Down);
            let found = observed
                .iter()
                .filter(about)
                .find(|o| o.at >= crash && o.at < until && o.event.status == ViewStatus::Down);
            match (already, found) {
                (true, _) => f.detection_ms.push(0.0),
                (false, Some(o)) => f.detection_ms.push(ms(o.at - crash)),
                (false, None) => f.undetected += 1,
            }
        }
    }
    f.false_positives = observed
        .iter()
        .filter(|o| {
            o.event.status == ViewStatus::Down && up(o.event.peer, o.at) && up(o.observer, o.at)
        })
        .count() as u64;
    let spread = |x: NodeId, from: SimTime, learned: &dyn Fn(&MemberEvent) -> bool| {
        let mut last = from;
        for y in all().filter(|&y| y != x && up(y, from) && up(y, end)) {
            let seen = observed.iter().find(|o| {
                o.observer == y && o.event.peer == x && o.at >= from && learned(&o.event)
            });
            last = last.max(seen?.at);
        }
        Some(ms(last - from))
    };
    for (join, x, before) in truth.changes_to(Status::Up) {
        if before == Status::Spare {
            f.join_ms
                .push(spread(x, join, &|e: &MemberEvent| e.was.is_none()));
        }
    }
    for &(leave, x) in leaves {
        f.leave_ms.push(spread(x, leave, &|e: &MemberEvent| {
            e.status == ViewStatus::Left
        }));
    }
    f
}

/// Whether a node's view (`view(x)`: its status of x, `None` if unknown)
/// differs from the truth at one moment: a member it does not list or a
/// non-member it does; an up or paused member it holds down; a crashed one
/// it does not.
pub fn view_differs(view: impl Fn(NodeId) -> Option<ViewStatus>, truth: &[Status]) -> bool {
    truth.iter().enumerate().any(|(i, &actual)| {
        let seen = view(NodeId(i as u32));
        let listed = seen.is_some_and(|s| s != ViewStatus::Left);
        let member = !matches!(actual, Status::Spare | Status::Left);
        if listed != member {
            return true;
        }
        let held_down = seen == Some(ViewStatus::Down);
        member && held_down != (actual == Status::Crashed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn life(at_ms: u64, node: u32, change: Life) -> LifeEvent {
        LifeEvent {
            at: SimTime::from_millis(at_ms),
            node: NodeId(node),
            change,
        }
    }

    fn seen(
        at_ms: u64,
        observer: u32,
        peer: u32,
        was: Option<ViewStatus>,
        status: ViewStatus,
    ) -> Observed {
        Observed {
            at: SimTime::from_millis(at_ms),
            observer: NodeId(observer),
            event: MemberEvent {
                at: SimTime::from_millis(at_ms),
                peer: NodeId(peer),
                was,
                status,
            },
        }
    }

    #[test]
    fn detection_false_positives_and_join_spread() {
        use ViewStatus::*;
        let truth = Truth::new(
            3,
            4,
            &[
                life(1_000, 2, Life::Status(Status::Crashed)),
                life(20_000, 3, Life::Status(Status::Up)),
            ],
        );
        let observed = vec![
            seen(500, 0, 1, Some(Alive), Down), // n2 was up: false positive
            seen(600, 0, 1, Some(Down), Alive),
            seen(7_000, 0, 2, Some(Suspect), Down),
            seen(8_500, 1, 2, Some(Alive), Down),
            seen(21_000, 0, 3, None, Alive),
            seen(23_000, 1, 3, None, Alive),
        ];
        let f = figures(&truth, &observed, &[], 4, SimTime::from_secs(30));
        assert_eq!(f.detection_ms, vec![6_000.0, 7_500.0]);
        assert_eq!(f.undetected, 0);
        assert_eq!(f.false_positives, 1);
        // n3 crashed, so only n1 and n2 count for the join, and n4 itself not.
        assert_eq!(f.join_ms, vec![Some(3_000.0)]);
        let missing = &observed[..5];
        let f = figures(&truth, missing, &[], 4, SimTime::from_secs(30));
        assert_eq!(f.join_ms, vec![None], "n2 never heard of n4");
        assert_eq!(f.undetected, 0);
        let f = figures(&truth, &observed[..3], &[], 4, SimTime::from_secs(30));
        assert_eq!(f.undetected, 1, "n2 never declared n3 down");
    }

    #[test]
    fn skew_is_taken_back_out_of_a_node_stamp() {
        let truth = Truth::new(2, 2, &[life(0, 1, Life::Skew(-500_000_000))]);
        let stamped = MemberEvent {
            at: SimTime::from_millis(1_500),
            peer: NodeId(0),
            was: None,
            status: ViewStatus::Alive,
        };
        let o = truth.observed(NodeId(1), &[stamped]);
        assert_eq!(o[0].at, SimTime::from_millis(2_000));
    }

    #[test]
    fn a_view_differs_when_it_misses_a_crash_or_holds_a_live_node_down() {
        use ViewStatus::*;
        let truth = [Status::Up, Status::Crashed, Status::Spare];
        let view = |s: [Option<ViewStatus>; 3]| move |n: NodeId| s[n.index()];
        assert!(!view_differs(view([Some(Alive), Some(Down), None]), &truth));
        assert!(view_differs(view([Some(Alive), Some(Alive), None]), &truth));
        assert!(view_differs(view([Some(Down), Some(Down), None]), &truth));
        assert!(view_differs(
            view([Some(Alive), Some(Down), Some(Alive)]),
            &truth
        ));
        assert!(!view_differs(
            view([Some(Suspect), Some(Down), Some(Left)]),
            &truth
        ));
    }
}
