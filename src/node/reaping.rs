//! Reaping tombstones. The Dynamo paper (§4.4, §6.1) versions a delete
//! like any write but never says when its tombstone may go; this follows
//! Riak's `delete_mode`, which the paper's successors settled on:
//!
//! - **Riak's rule** (`reap_needs_all_primaries = true`): `delay` after a
//!   delete is acknowledged, its coordinator asks every member what it
//!   holds of the key. Only when every primary holds exactly the tombstone
//!   and no other node holds anything of it (no fallback keeps a hint that
//!   a later handoff would bring back) does it tell the primaries to drop
//!   the key. A member that does not answer blocks the reap: a node that
//!   is down may hold a hint on its disk.
//! - **On the delay alone** (`false`), as Cassandra's `gc_grace_seconds`:
//!   each replica drops its own tombstone `delay` after storing it. A
//!   replica that missed the delete keeps the old value, and read repair
//!   or anti-entropy bring it back: a resurrection, which the checkers
//!   count.
//!
//! A node that drops a key it minted versions of takes a fresh actor name
//! for it with key epochs on (`DynamoNode::forget`): without, its next
//! write of the key restarts the counter under a name a fallback's old
//! tombstone still covers, and is dropped as already seen (riak_test's
//! kv679_tombstone). Scheduled reaps and checks are memory: a crash
//! forgets them, and the tombstone stays.

use super::msg::Holds;
use super::{DynamoNode, Msg, Timer};
use crate::actor::Outbox;
use crate::id::{Endpoint, Key, NodeId, ValueId};
use crate::time::SimTime;
use crate::version::Siblings;
use std::collections::BTreeMap;

/// The reap checks a node has under way (memory).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct ReapChecks {
    next: u64,
    open: BTreeMap<u64, OpenCheck>,
    /// Keys with a check scheduled or open, one at a time per key: the
    /// ticket of the timer that will start it and the tombstone it is
    /// for (a reap only ever removes the tombstone its check was
    /// scheduled for, as Riak's carries the delete's clock).
    scheduled: BTreeMap<Key, (u32, Siblings)>,
    tickets: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct OpenCheck {
    key: Key,
    /// The tombstone every primary must hold exactly.
    state: Siblings,
    primaries: Vec<NodeId>,
    /// Members yet to answer, sorted.
    waiting: Vec<NodeId>,
}

/// A tombstone a node reaped, for the checkers: the run counts a reaped
/// tombstone as still present (its key reads as deleted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reaped {
    pub at: SimTime,
    pub key: Key,
    pub values: Vec<ValueId>,
}

impl DynamoNode {
    /// A request this node coordinated is over and went well (a delete
    /// reached W, or a get heard from every replica it asked): if the key
    /// is deleted here, schedule a reap check (Riak checks after a delete,
    /// and after any get that finds the key deleted everywhere it looked).
    pub(super) fn after_request(
        &mut self,
        key: Key,
        went_well: bool,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        let Some(delay) = self.config.delete_mode else {
            return;
        };
        if !went_well || !self.config.reap_needs_all_primaries {
            return;
        }
        let Some(state) = self.store.get(key).filter(|s| s.only_tombstones()) else {
            return;
        };
        let checks = &mut self.reap_checks;
        if checks.scheduled.get(&key).is_some_and(|(_, s)| s == state) {
            return; // this tombstone's check is on its way
        }
        // A newer tombstone: its own delay, and the older timer is void.
        checks.tickets = checks.tickets.wrapping_add(1);
        checks
            .scheduled
            .insert(key, (checks.tickets, state.clone()));
        out.set_timer(delay, Timer::ReapCheck(key, checks.tickets));
    }

    /// A replica of `key` changed: reaping on the delay alone, a
    /// tombstone starts waiting it out.
    pub(super) fn after_replica_write(&mut self, key: Key, out: &mut impl Outbox<Msg, Timer>) {
        let Some(delay) = self.config.delete_mode else {
            return;
        };
        if !self.config.reap_needs_all_primaries
            && self.store.get(key).is_some_and(Siblings::only_tombstones)
        {
            out.set_timer(delay, Timer::Reap(key));
        }
    }

    /// Riak's rule: ask every member what it holds of the key.
    pub(super) fn start_reap_check(
        &mut self,
        now: SimTime,
        key: Key,
        ticket: u32,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        match self.reap_checks.scheduled.get(&key) {
            Some((t, _)) if *t == ticket => {}
            _ => return, // a newer tombstone's timer replaced this one
        }
        let state = match self.store.get(key) {
            Some(s) if *s == self.reap_checks.scheduled[&key].1 => s.clone(),
            _ => {
                self.reap_checks.scheduled.remove(&key);
                return; // written again since the delete
            }
        };
        let primaries = self.directory.replicas(key).to_vec();
        if primaries.len() < self.directory.n() {
            // A view of fewer than N members (a node still joining) cannot
            // tell who must hold the tombstone: keep it.
            self.reap_checks.scheduled.remove(&key);
            return;
        }
        let check = self.reap_checks.next;
        self.reap_checks.next += 1;
        let mut waiting: Vec<NodeId> = Vec::new();
        for &member in self.directory.members() {
            if member == self.id {
                continue;
            }
            waiting.push(member);
            out.send(
                Endpoint::Node(member),
                Msg::ReapCheck {
                    check,
                    key,
                    state: state.clone(),
                },
            );
        }
        waiting.sort_unstable();
        let open = OpenCheck {
            key,
            state,
            primaries,
            waiting,
        };
        // This node answers its own check first.
        let own = self.holds(key, &open.state);
        if let Err(blocker) = open.accepts(self.id, own) {
            self.reap_checks.scheduled.remove(&key);
            return abandon(key, blocker, out);
        }
        self.reap_checks.open.insert(check, open);
        out.set_timer(self.config.request_timeout, Timer::ReapCheckDeadline(check));
        self.finish_reap_check(now, check, out);
    }

    /// What this node holds of `key`, against the tombstone `state`.
    fn holds(&self, key: Key, state: &Siblings) -> Holds {
        if self.store.hinted(self.config.mode, key).is_some() {
            return Holds::Other;
        }
        match self.store.get(key) {
            None => Holds::Nothing,
            Some(mine) if mine == state => Holds::Exactly,
            Some(_) => Holds::Other,
        }
    }

    pub(super) fn on_reap_check(
        &mut self,
        from: NodeId,
        check: u64,
        key: Key,
        state: &Siblings,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        let holds = self.holds(key, state);
        out.send(Endpoint::Node(from), Msg::ReapCheckReply { check, holds });
    }

    pub(super) fn on_reap_check_reply(
        &mut self,
        now: SimTime,
        from: NodeId,
        check: u64,
        holds: Holds,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        let Some(open) = self.reap_checks.open.get_mut(&check) else {
            return; // abandoned, or a copy
        };
        let Ok(at) = open.waiting.binary_search(&from) else {
            return;
        };
        open.waiting.remove(at);
        if let Err(blocker) = open.accepts(from, holds) {
            let key = open.key;
            self.reap_checks.open.remove(&check);
            self.reap_checks.scheduled.remove(&key);
            return abandon(key, blocker, out);
        }
        self.finish_reap_check(now, check, out);
    }

    /// Every member answered as it must: the primaries drop the key.
    fn finish_reap_check(&mut self, now: SimTime, check: u64, out: &mut impl Outbox<Msg, Timer>) {
        if !self.reap_checks.open[&check].waiting.is_empty() {
            return;
        }
        let open = self.reap_checks.open.remove(&check).expect("checked above");
        self.reap_checks.scheduled.remove(&open.key);
        for &primary in &open.primaries {
            if primary == self.id {
                continue;
            }
            out.send(
                Endpoint::Node(primary),
                Msg::Reap {
                    key: open.key,
                    state: open.state.clone(),
                },
            );
        }
        if open.primaries.contains(&self.id) {
            self.reap(now, open.key, &open.state, "every primary held it", out);
        }
    }

    pub(super) fn on_reap_check_deadline(&mut self, check: u64, out: &mut impl Outbox<Msg, Timer>) {
        if let Some(open) = self.reap_checks.open.remove(&check) {
            self.reap_checks.scheduled.remove(&open.key);
            abandon(open.key, Blocker::Silent(&open.waiting), out);
        }
    }

    /// On the delay alone: this replica's tombstone has waited long enough.
    pub(super) fn on_reap_timer(
        &mut self,
        now: SimTime,
        key: Key,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        if let Some(state) = self.store.get(key).filter(|s| s.only_tombstones()).cloned() {
            self.reap(now, key, &state, "the delay passed", out);
        }
    }

    /// Drops the key's replica if it is still exactly the tombstone `state`.
    pub(super) fn reap(
        &mut self,
        now: SimTime,
        key: Key,
        state: &Siblings,
        why: &'static str,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        if !self.store.remove_if(key, state) {
            return; // written since
        }
        self.forget(key, state);
        let values = state.values();
        out.note("reaped", |f| {
            f.key("key", key).values("values", &values).str("why", why);
        });
        self.reaped.push(Reaped {
            at: now,
            key,
            values,
        });
    }

    /// The tombstones this node reaped, in the order it reaped them.
    pub fn reaped(&self) -> &[Reaped] {
        &self.reaped
    }

    pub(super) fn forget_reap_checks(&mut self) {
        self.reap_checks.open.clear();
        self.reap_checks.scheduled.clear();
    }
}

impl OpenCheck {
    /// Whether `node`'s answer lets the reap go on; who blocks it, if not.
    fn accepts(&self, node: NodeId, holds: Holds) -> Result<(), Blocker<'static>> {
        let primary = self.primaries.contains(&node);
        match (primary, holds) {
            (true, Holds::Exactly) | (false, Holds::Nothing) => Ok(()),
            (true, _) => Err(Blocker::Primary(node)),
            (false, _) => Err(Blocker::Holder(node)),
        }
    }
}

/// Why a reap check gave up.
enum Blocker<'a> {
    /// A primary holds something other than exactly the tombstone.
    Primary(NodeId),
    /// A node that is not a primary holds the key (a hint, an old replica).
    Holder(NodeId),
    /// These members did not answer in time.
    Silent(&'a [NodeId]),
}

fn abandon(key: Key, blocker: Blocker<'_>, out: &mut impl Outbox<Msg, Timer>) {
    out.note("reap-abandoned", |f| {
        f.key("key", key);
        match blocker {
            Blocker::Primary(node) => f
                .node("holder", node)
                .str("why", "a primary does not hold exactly the tombstone"),
            Blocker::Holder(node) => f
                .node("holder", node)
                .str("why", "a node that is not a primary holds the key"),
            Blocker::Silent(nodes) => f.nodes("nodes", nodes).str("why", "no answer in time"),
        };
    });
}
