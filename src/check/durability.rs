//! The durability checker: Dynamo's promise that a write acknowledged by W
//! replicas survives any W-1 crashes that lose the disk. For each lost
//! acknowledged write (found by [`super::consistency::lost_acked_writes`])
//! it counts the distinct nodes restarted with a wiped disk after the
//! acknowledgement, and says which write was lost and why:
//!
//! - at least W wiped nodes: an *expected* loss, more disks were lost than
//!   the promise covers (`lost_after_disk_loss`);
//! - 1 to W-1 wiped nodes: a *durability violation*, the promise broken;
//! - none: not a disk loss at all (the versioning overwrote the write, as
//!   per-node clocks do with blind puts, or last-writer-wins under skew), so
//!   neither of the above.
//!
//! The checker reads the fault record (when and which nodes were wiped),
//! never the nodes: it does not know which nodes held the write, so any
//! wiped node counts. That can only call a violation expected, never the
//! reverse, when a wipe hit a node holding no copy.

use super::consistency::LostWrite;
use crate::id::{Names, NodeId};
use crate::time::SimTime;
use serde::Serialize;
use std::collections::BTreeSet;

/// How many lost writes a report explains.
pub const MAX_EXAMPLES: usize = super::consistency::MAX_EXAMPLES;

/// One lost write and the disk losses after its acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attributed {
    pub write: LostWrite,
    /// `(when, node)` of each wiping restart after the acknowledgement,
    /// in time order.
    pub wipes_after: Vec<(SimTime, NodeId)>,
    /// Distinct nodes among `wipes_after`.
    pub wiped_nodes: usize,
}

/// Why a lost write was lost, as far as the fault record tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// No disk was lost after the acknowledgement.
    NotDiskLoss,
    /// Fewer than W nodes lost their disks: the promise was broken.
    Violation,
    /// W or more nodes lost their disks: more than the promise covers.
    TooManyDiskLosses,
}

impl Attributed {
    pub fn cause(&self, w: u32) -> Cause {
        match self.wiped_nodes {
            0 => Cause::NotDiskLoss,
            n if n < w as usize => Cause::Violation,
            _ => Cause::TooManyDiskLosses,
        }
    }

    /// One sentence: the write, its acknowledgement, and the disk losses.
    pub fn why(&self, names: &Names, w: u32) -> String {
        let write = format!(
            "put op {} ({}) on {} acknowledged at {:.1} ms by W={w}",
            self.write.put.0,
            names.value(self.write.value),
            names.key(self.write.key),
            self.write.acked_at.as_millis_f64(),
        );
        if self.wipes_after.is_empty() {
            return format!(
                "{write}; no disk was lost after it, so it was overwritten, not lost to a crash"
            );
        }
        let wipes: Vec<String> = self
            .wipes_after
            .iter()
            .map(|(at, node)| format!("{node} at {}", seconds(*at)))
            .collect();
        let verdict = match self.cause(w) {
            Cause::TooManyDiskLosses => "more disk losses than W-1: an expected loss",
            _ => "fewer than W disk losses: a durability violation",
        };
        format!(
            "{write}; {} node(s) restarted with wiped disks after it ({}); {verdict}",
            self.wiped_nodes,
            wipes.join(", ")
        )
    }
}

fn seconds(t: SimTime) -> String {
    format!("{}s", t.as_secs_f64())
}

/// What the durability checker found in one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Durability {
    pub wiping_restarts: u64,
    pub lost_acked_writes: u64,
    /// Lost after at least W wiped nodes.
    pub lost_after_disk_loss: u64,
    /// Lost after 1 to W-1 wiped nodes.
    pub violations: u64,
    /// The first few lost writes, attributed.
    pub examples: Vec<Attributed>,
}

/// Attributes every lost write (in op order) to the wiping restarts after
/// its acknowledgement, for a write quorum of `w`.
pub fn durability(lost: &[LostWrite], wiping_restarts: &[(SimTime, NodeId)], w: u32) -> Durability {
    let mut wipes = wiping_restarts.to_vec();
    wipes.sort_unstable();
    let mut found = Durability {
        wiping_restarts: wipes.len() as u64,
        lost_acked_writes: lost.len() as u64,
        ..Durability::default()
    };
    for write in lost {
        let attributed = attribute(write, &wipes);
        match attributed.cause(w) {
            Cause::NotDiskLoss => {}
            Cause::Violation => found.violations += 1,
            Cause::TooManyDiskLosses => found.lost_after_disk_loss += 1,
        }
        if found.examples.len() < MAX_EXAMPLES {
            found.examples.push(attributed);
        }
    }
    found
}

fn attribute(write: &LostWrite, sorted_wipes: &[(SimTime, NodeId)]) -> Attributed {
    let from = sorted_wipes.partition_point(|(at, _)| *at <= write.acked_at);
    let wipes_after = sorted_wipes[from..].to_vec();
    let wiped_nodes = wipes_after
        .iter()
        .map(|(_, n)| *n)
        .collect::<BTreeSet<_>>()
        .len();
    Attributed {
        write: write.clone(),
        wipes_after,
        wiped_nodes,
    }
}

/// The `durability` key of `summary.json`.
#[derive(Clone, Debug, Serialize)]
pub struct DurabilitySummary {
    pub wiping_restarts: u64,
    pub lost_acked_writes: Option<u64>,
    pub lost_after_disk_loss: u64,
    pub violations: u64,
    pub examples: Vec<DurabilityExample>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DurabilityExample {
    pub op: u64,
    pub key: String,
    pub value: String,
    pub wiped_nodes: usize,
    pub why: String,
}

impl Durability {
    pub fn summary(&self, names: &Names, w: u32, history_complete: bool) -> DurabilitySummary {
        DurabilitySummary {
            wiping_restarts: self.wiping_restarts,
            lost_acked_writes: history_complete.then_some(self.lost_acked_writes),
            lost_after_disk_loss: self.lost_after_disk_loss,
            violations: self.violations,
            examples: self
                .examples
                .iter()
                .map(|a| DurabilityExample {
                    op: a.write.put.0,
                    key: names.key(a.write.key).into_owned(),
                    value: names.value(a.write.value).into_owned(),
                    wiped_nodes: a.wiped_nodes,
                    why: a.why(names, w),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{Key, OpId, ValueId};

    fn lost_at(op: u64, acked_ms: u64) -> LostWrite {
        LostWrite {
            put: OpId(op),
            key: Key(0),
            value: ValueId(op),
            acked_at: SimTime::from_millis(acked_ms),
            final_values: Vec::new(),
        }
    }

    fn judge(lost: &[LostWrite], wipes: &[(u64, u32)], w: u32) -> Durability {
        let wipes: Vec<(SimTime, NodeId)> = wipes
            .iter()
            .map(|&(s, n)| (SimTime::from_secs(s), NodeId(n)))
            .collect();
        durability(lost, &wipes, w)
    }

    #[test]
    fn no_wipe_is_not_a_disk_loss() {
        let d = judge(&[lost_at(1, 12)], &[], 2);
        assert_eq!((d.violations, d.lost_after_disk_loss), (0, 0));
        assert_eq!(d.examples[0].cause(2), Cause::NotDiskLoss);
        let why = d.examples[0].why(&Names::default(), 2);
        assert!(why.contains("overwritten"), "{why}");
    }

    #[test]
    fn fewer_than_w_wipes_is_a_violation() {
        // W=2: one wipe after the ack (and one before it, which the write
        // outlived) breaks the promise.
        let d = judge(&[lost_at(1, 12_000)], &[(5, 1), (20, 2)], 2);
        assert_eq!((d.violations, d.lost_after_disk_loss), (1, 0));
        assert_eq!(d.examples[0].wipes_after.len(), 1);
        let why = d.examples[0].why(&Names::default(), 2);
        assert!(why.contains("durability violation"), "{why}");
        assert!(why.contains("n3 at 20s"), "{why}");
        // The same node wiped twice is one disk lost.
        let d = judge(&[lost_at(1, 12_000)], &[(20, 2), (25, 2)], 2);
        assert_eq!(d.violations, 1);
    }

    #[test]
    fn w_wipes_is_an_expected_loss() {
        let d = judge(&[lost_at(1, 12)], &[(20, 2), (25, 4)], 2);
        assert_eq!((d.violations, d.lost_after_disk_loss), (0, 1));
        let why = d.examples[0].why(&Names::default(), 2);
        assert!(
            why.contains("acknowledged at 12.0 ms by W=2") && why.contains("n3 at 20s, n5 at 25s"),
            "{why}"
        );
        assert_eq!(d.wiping_restarts, 2);
    }
}
