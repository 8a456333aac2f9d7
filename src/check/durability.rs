//! The durability checker: Dynamo's promise that a write acknowledged by W
//! replicas survives any W-1 crashes that lose the disk (§4.5, §4.7). For
//! each lost acknowledged write (found by
//! [`super::consistency::lost_acked_writes`]) it asks whether disk losses
//! took the write's last copies, and if so how many distinct disks held a
//! copy when they were wiped:
//!
//! - at least W: an *expected* loss, more disks were lost than the promise
//!   covers (`lost_after_disk_loss`);
//! - 1 to W-1: a *durability violation*, the promise broken (the other
//!   copies went some other way, and a disk loss finished the write off);
//! - the wipes never took its last copies (none happened after it, none
//!   held it, or other nodes still held it or had overwritten it): not a
//!   disk loss (the versioning overwrote the write, as per-node clocks do
//!   with blind puts, or last-writer-wins under skew, or a bug), so neither.
//!
//! What the wiped nodes held comes from the run's record of each wiping
//! restart ([`DiskLoss`]): just before the wipe, the run reads each wiped
//! node's values of every key it held, the values every other node held of
//! that key (replicas and hints, a crashed node's disk included: it comes
//! back), and the values a sync of all their states would keep. A set of
//! values *holds a copy* of `w` when it holds `w`'s value or a superseding
//! put's (the supersession of [`super::consistency`]). The wipes at one
//! instant take the last copies of `w` when the wiped nodes held a copy,
//! no other node did, and the sync would have kept one (otherwise the
//! versioning had already overwritten `w` elsewhere, and would have here:
//! the disk took nothing the run would have kept). The checker reads this record and
//! the history, never a node.

use super::consistency::{Anomalies, KeyOps, LostWrite, Rule, key_groups};
use super::history::History;
use crate::id::{Key, Names, NodeId, ValueId};
use crate::time::SimTime;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How many lost writes a report explains.
pub const MAX_EXAMPLES: usize = super::consistency::MAX_EXAMPLES;

/// The restarts that wiped disks at one instant, and what the wiped nodes
/// held just before: recorded by the run (`run::disk_loss`), read here.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiskLoss {
    pub at: SimTime,
    /// The nodes wiped at `at`, sorted.
    pub nodes: Vec<NodeId>,
    /// Every key some wiped node held (replica or hint), sorted by key.
    pub keys: Vec<KeyAtWipe>,
}

/// One key at a wipe: what the wiped nodes and everyone else held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyAtWipe {
    pub key: Key,
    /// Each wiped node that held the key, with its values (replica and
    /// hints together), by node.
    pub wiped: Vec<(NodeId, Vec<ValueId>)>,
    /// The values every other node held (replicas and hints, crashed
    /// nodes' disks included), sorted, without repeats.
    pub elsewhere: Vec<ValueId>,
    /// The values a sync of every wiped and every other node's state would
    /// keep (their merge), sorted: a wiped value missing here was already
    /// overwritten elsewhere (per-node clocks drop a version that a newer
    /// one from the same coordinator dominates), so the wipe did not take
    /// it from the run.
    pub kept_by_sync: Vec<ValueId>,
}

/// One lost write and the disk losses after its acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attributed {
    pub write: LostWrite,
    /// `(when, node)` of each wiping restart after the acknowledgement,
    /// in time order.
    pub wipes_after: Vec<(SimTime, NodeId)>,
    /// `(when, node)` of those wipes whose node held a copy of the write
    /// (its value or a superseding one), up to `last_copies_at`.
    pub copies_wiped: Vec<(SimTime, NodeId)>,
    /// When wipes took the write's last copies; `None` if they never did.
    pub last_copies_at: Option<SimTime>,
    /// Distinct nodes among `copies_wiped` when the wipes took the last
    /// copies; 0 when they never did.
    pub wiped_nodes: usize,
}

/// Why a lost write was lost, as far as the record of disk losses tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// No wipe took the write's last copies.
    NotDiskLoss,
    /// Fewer than W disks held a copy when wiped: the promise was broken.
    Violation,
    /// W or more disks held a copy when wiped: more than the promise covers.
    TooManyDiskLosses,
}

impl Attributed {
    pub fn cause(&self, w: u32) -> Cause {
        match self.wiped_nodes {
            _ if self.last_copies_at.is_none() => Cause::NotDiskLoss,
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
        let list = |wipes: &[(SimTime, NodeId)]| {
            let shown: Vec<String> = wipes
                .iter()
                .map(|(at, node)| format!("{node} at {}", seconds(*at)))
                .collect();
            shown.join(", ")
        };
        if self.wipes_after.is_empty() {
            return format!(
                "{write}; no disk was lost after it, so it was overwritten, not lost to a crash"
            );
        }
        let Some(at) = self.last_copies_at else {
            return format!(
                "{write}; disks were wiped after it ({}), but none took its last copy \
                 (other nodes held it, a superseding value, or a state that had overwritten it), \
                 so it was not lost to a crash",
                list(&self.wipes_after)
            );
        };
        let verdict = match self.cause(w) {
            Cause::TooManyDiskLosses => "more disk losses than W-1: an expected loss",
            _ => "fewer than W disk losses: a durability violation",
        };
        format!(
            "{write}; {} node(s) holding a copy restarted with wiped disks ({}), \
             the last copies gone at {}; {verdict}",
            self.wiped_nodes,
            list(&self.copies_wiped),
            seconds(at)
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
    /// Lost with the last copies on at least W wiped disks.
    pub lost_after_disk_loss: u64,
    /// Lost with the last copies on 1 to W-1 wiped disks.
    pub violations: u64,
    /// The first few lost writes, attributed.
    pub examples: Vec<Attributed>,
}

/// Attributes every lost write (in op order) to the disk losses after its
/// acknowledgement, for a write quorum of `w`; `rule` is the run's
/// supersession rule, `history` the run's history.
pub fn durability(
    history: &History,
    lost: &[LostWrite],
    disk_losses: &[DiskLoss],
    w: u32,
    rule: Rule,
) -> Durability {
    let mut losses: Vec<&DiskLoss> = disk_losses.iter().collect();
    losses.sort_by_key(|l| l.at);
    let mut found = Durability {
        wiping_restarts: losses.iter().map(|l| l.nodes.len() as u64).sum(),
        lost_acked_writes: lost.len() as u64,
        ..Durability::default()
    };
    let mut copies = Copies::new(history, rule, lost, &losses);
    for write in lost {
        let attributed = copies.attribute(write, &losses);
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

/// What [`durability`] finds in a run that wiped no disk, from the lost
/// writes' count and first few alone: with no wipe to attribute, none is
/// a disk loss, and only the first few are explained. A run that lost
/// tens of thousands of writes to its versioning (blind puts under
/// per-node clocks) need not list them all to say so.
pub fn without_disk_loss(lost: &Anomalies<LostWrite>) -> Durability {
    Durability {
        lost_acked_writes: lost.count,
        examples: lost
            .examples
            .iter()
            .take(MAX_EXAMPLES)
            .map(|write| Attributed {
                write: write.clone(),
                wipes_after: Vec::new(),
                copies_wiped: Vec::new(),
                last_copies_at: None,
                wiped_nodes: 0,
            })
            .collect(),
        ..Durability::default()
    }
}

/// Which puts each wiped node's values and the others' values remember,
/// per key and disk loss, computed once for all the key's lost writes.
struct Copies<'h> {
    history: &'h History,
    rule: Rule,
    /// The history's indices of each key with a lost write and a wipe.
    groups: BTreeMap<Key, Vec<u32>>,
    key_ops: BTreeMap<Key, KeyOps>,
    /// Per (key, disk loss index): per wiped node that held the key,
    /// which local puts its values remember; then which the others' do,
    /// and which the sync's would.
    remembered: BTreeMap<(Key, usize), Remembered>,
}

struct Remembered {
    wiped: Vec<(NodeId, Vec<bool>)>,
    elsewhere: Vec<bool>,
    kept_by_sync: Vec<bool>,
}

impl<'h> Copies<'h> {
    fn new(history: &'h History, rule: Rule, lost: &[LostWrite], losses: &[&DiskLoss]) -> Self {
        let mut groups = BTreeMap::new();
        if !lost.is_empty() && !losses.is_empty() {
            let wanted: BTreeSet<Key> = lost.iter().map(|l| l.key).collect();
            let ops = history.ops();
            for group in key_groups(ops).iter() {
                let Some(&first) = group.first() else {
                    continue;
                };
                let key = ops[first as usize].key;
                if wanted.contains(&key) {
                    groups.insert(key, group.to_vec());
                }
            }
        }
        Copies {
            history,
            rule,
            groups,
            key_ops: BTreeMap::new(),
            remembered: BTreeMap::new(),
        }
    }

    fn attribute(&mut self, write: &LostWrite, losses: &[&DiskLoss]) -> Attributed {
        let from = losses.partition_point(|l| l.at <= write.acked_at);
        let mut attributed = Attributed {
            write: write.clone(),
            wipes_after: losses[from..]
                .iter()
                .flat_map(|l| l.nodes.iter().map(|&n| (l.at, n)))
                .collect(),
            copies_wiped: Vec::new(),
            last_copies_at: None,
            wiped_nodes: 0,
        };
        let ops = self.history.ops();
        let Some(group) = self.groups.get(&write.key) else {
            return attributed;
        };
        let key_ops = self
            .key_ops
            .entry(write.key)
            .or_insert_with(|| KeyOps::new(ops, group));
        let Some(put) = key_ops.put_of(write.value) else {
            return attributed;
        };
        for (index, loss) in losses.iter().enumerate().skip(from) {
            let Ok(at) = loss.keys.binary_search_by_key(&write.key, |k| k.key) else {
                continue;
            };
            let held = &loss.keys[at];
            let rule = self.rule;
            let remembered = self
                .remembered
                .entry((write.key, index))
                .or_insert_with(|| Remembered {
                    wiped: held
                        .wiped
                        .iter()
                        .map(|(node, values)| (*node, key_ops.remembered(ops, values, rule)))
                        .collect(),
                    elsewhere: key_ops.remembered(ops, &held.elsewhere, rule),
                    kept_by_sync: key_ops.remembered(ops, &held.kept_by_sync, rule),
                });
            let before = attributed.copies_wiped.len();
            for (node, remembers) in &remembered.wiped {
                if remembers[put as usize] {
                    attributed.copies_wiped.push((loss.at, *node));
                }
            }
            let took_copies = attributed.copies_wiped.len() > before;
            let p = put as usize;
            if took_copies && !remembered.elsewhere[p] && remembered.kept_by_sync[p] {
                attributed.last_copies_at = Some(loss.at);
                attributed.wiped_nodes = attributed
                    .copies_wiped
                    .iter()
                    .map(|(_, n)| *n)
                    .collect::<BTreeSet<_>>()
                    .len();
                break;
            }
        }
        attributed
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
    use crate::actor::{OpKind, Outcome};
    use crate::check::history::HistoryOp;
    use crate::id::{ClientId, OpId};

    /// A put of value `op` to key 0, acknowledged at `acked_ms`, whose
    /// writer had read `context`.
    fn put(op: u64, acked_ms: u64, context: &[u64]) -> HistoryOp {
        HistoryOp {
            op: OpId(op),
            client: ClientId(0),
            kind: OpKind::Put,
            key: Key(0),
            value: Some(ValueId(op)),
            context: context.iter().map(|&v| ValueId(v)).collect(),
            invoked_at: SimTime::from_millis(acked_ms.saturating_sub(1)),
            completed_at: Some(SimTime::from_millis(acked_ms)),
            outcome: Some(Outcome::Ok),
            values: Vec::new(),
        }
    }

    fn lost_at(op: u64, acked_ms: u64) -> LostWrite {
        LostWrite {
            put: OpId(op),
            key: Key(0),
            value: ValueId(op),
            acked_at: SimTime::from_millis(acked_ms),
            final_values: Vec::new(),
        }
    }

    fn values(v: &[u64]) -> Vec<ValueId> {
        v.iter().map(|&v| ValueId(v)).collect()
    }

    /// Nodes wiped at `secs`, holding `wiped` of key 0 while the others
    /// held `elsewhere` (and overwrote none of them).
    fn wipe(secs: u64, wiped: &[(u32, &[u64])], elsewhere: &[u64]) -> DiskLoss {
        let mut kept: Vec<u64> = wiped.iter().flat_map(|(_, v)| v.iter().copied()).collect();
        kept.extend_from_slice(elsewhere);
        kept.sort_unstable();
        kept.dedup();
        DiskLoss {
            at: SimTime::from_secs(secs),
            nodes: wiped.iter().map(|&(n, _)| NodeId(n)).collect(),
            keys: vec![KeyAtWipe {
                key: Key(0),
                wiped: wiped
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|&(n, v)| (NodeId(n), values(v)))
                    .collect(),
                elsewhere: values(elsewhere),
                kept_by_sync: values(&kept),
            }],
        }
    }

    fn judge(ops: Vec<HistoryOp>, lost: &[LostWrite], wipes: &[DiskLoss], w: u32) -> Durability {
        durability(&History::from_ops(ops), lost, wipes, w, Rule::Causal)
    }

    #[test]
    fn without_a_wipe_the_first_few_and_the_count_say_it_all() {
        // More lost writes than the examples keep: the shortcut gives what
        // attributing every one of them gives.
        let ops: Vec<HistoryOp> = (1..=25).map(|op| put(op, 10 + op, &[])).collect();
        let lost: Vec<LostWrite> = (1..=25).map(|op| lost_at(op, 10 + op)).collect();
        let every = judge(ops, &lost, &[], 2);
        let first = Anomalies {
            count: 25,
            examples: lost[..MAX_EXAMPLES].to_vec(),
        };
        assert_eq!(without_disk_loss(&first), every);
        assert_eq!(every.examples.len(), MAX_EXAMPLES);
    }

    #[test]
    fn no_wipe_is_not_a_disk_loss() {
        let d = judge(vec![put(1, 12, &[])], &[lost_at(1, 12)], &[], 2);
        assert_eq!((d.violations, d.lost_after_disk_loss), (0, 0));
        assert_eq!(d.examples[0].cause(2), Cause::NotDiskLoss);
        let why = d.examples[0].why(&Names::default(), 2);
        assert!(why.contains("overwritten"), "{why}");
    }

    #[test]
    fn a_wiped_node_without_a_copy_is_not_a_disk_loss() {
        // n3 is wiped after the ack, but held another value of the key, or
        // nothing of it: the write was lost some other way.
        for held in [&[2][..], &[]] {
            let ops = vec![put(1, 12, &[]), put(2, 15, &[])];
            let d = judge(ops, &[lost_at(1, 12)], &[wipe(20, &[(2, held)], &[2])], 2);
            assert_eq!((d.violations, d.lost_after_disk_loss), (0, 0), "{held:?}");
            assert_eq!(d.wiping_restarts, 1);
            let why = d.examples[0].why(&Names::default(), 2);
            assert!(why.contains("none took its last copy"), "{why}");
        }
    }

    #[test]
    fn a_copy_left_elsewhere_is_not_a_disk_loss() {
        let ops = vec![put(1, 12, &[])];
        let d = judge(ops, &[lost_at(1, 12)], &[wipe(20, &[(2, &[1])], &[1])], 2);
        assert_eq!(d.examples[0].cause(2), Cause::NotDiskLoss);
        // A superseding value elsewhere keeps it too.
        let ops = vec![put(1, 12, &[]), put(2, 15, &[1])];
        let d = judge(ops, &[lost_at(1, 12)], &[wipe(20, &[(2, &[1])], &[2])], 2);
        assert_eq!(d.examples[0].cause(2), Cause::NotDiskLoss);
        assert!(d.examples[0].copies_wiped.len() == 1);
    }

    #[test]
    fn a_state_elsewhere_that_overwrote_it_is_not_a_disk_loss() {
        // Per-node clocks: the others' newer version of the key dominates
        // the write's, so a sync keeps only theirs: the write was gone
        // there already and would have gone here. The wiped node's other
        // value, which the sync would keep, changes nothing for it.
        let ops = vec![put(1, 12, &[]), put(2, 15, &[]), put(3, 16, &[])];
        let mut loss = wipe(20, &[(2, &[1, 3])], &[2]);
        loss.keys[0].kept_by_sync = values(&[2, 3]);
        let d = judge(ops, &[lost_at(1, 12)], &[loss], 2);
        assert_eq!(d.examples[0].cause(2), Cause::NotDiskLoss);
    }

    #[test]
    fn the_last_copy_on_fewer_than_w_disks_is_a_violation() {
        // W=2: the write's other copy went some other way; the wipe of n3,
        // which held the last one, after the ack breaks the promise. A wipe
        // before the ack does not count.
        let ops = vec![put(1, 12_000, &[]), put(2, 15_000, &[])];
        let wipes = [wipe(5, &[(1, &[1])], &[]), wipe(20, &[(2, &[1])], &[2])];
        let d = judge(ops, &[lost_at(1, 12_000)], &wipes, 2);
        assert_eq!((d.violations, d.lost_after_disk_loss), (1, 0));
        let example = &d.examples[0];
        assert_eq!(example.wipes_after.len(), 1);
        assert_eq!(example.last_copies_at, Some(SimTime::from_secs(20)));
        let why = example.why(&Names::default(), 2);
        assert!(why.contains("durability violation"), "{why}");
        assert!(why.contains("n3 at 20s"), "{why}");
        // Two disks wiped at once, but only n3's held a copy: one disk.
        let ops = vec![put(1, 12_000, &[]), put(2, 15_000, &[])];
        let wipes = [wipe(20, &[(2, &[1]), (4, &[2])], &[])];
        let d = judge(ops, &[lost_at(1, 12_000)], &wipes, 2);
        assert_eq!((d.violations, d.lost_after_disk_loss), (1, 0));
        assert_eq!(d.examples[0].wiped_nodes, 1);
        // A superseding value is a copy too.
        let ops = vec![put(1, 12_000, &[]), put(2, 15_000, &[1])];
        let d = judge(
            ops,
            &[lost_at(1, 12_000)],
            &[wipe(20, &[(2, &[2])], &[])],
            2,
        );
        assert_eq!(d.violations, 1);
    }

    #[test]
    fn copies_on_w_wiped_disks_are_an_expected_loss() {
        // n3 wiped while n5 still held it, then n5 wiped: two disks.
        let ops = vec![put(1, 12, &[])];
        let wipes = [wipe(20, &[(2, &[1])], &[1]), wipe(25, &[(4, &[1])], &[])];
        let d = judge(ops, &[lost_at(1, 12)], &wipes, 2);
        assert_eq!((d.violations, d.lost_after_disk_loss), (0, 1));
        let why = d.examples[0].why(&Names::default(), 2);
        assert!(
            why.contains("acknowledged at 12.0 ms by W=2") && why.contains("n3 at 20s, n5 at 25s"),
            "{why}"
        );
        // Both at one instant: the others held none.
        let wipes = [wipe(20, &[(2, &[1]), (4, &[1])], &[])];
        let d = judge(vec![put(1, 12, &[])], &[lost_at(1, 12)], &wipes, 2);
        assert_eq!((d.violations, d.lost_after_disk_loss), (0, 1));
        assert_eq!(d.wiping_restarts, 2);
    }
}
