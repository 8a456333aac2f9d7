//! The coordinator's side of gets and puts (paper §4.5, §4.6): pick the
//! replicas, standing in fallbacks for unreachable ones when the quorum is
//! sloppy; count acknowledgements against W and replies against R; answer
//! the client; repair the stale replicas a get has seen.

mod read_repair;

use super::inflight::MAX_SPARE_TARGETS;
use super::{Config, DeliberateBug, DynamoNode, Msg, ReqId, Request, Timer};
use crate::actor::{OpKind, Outbox};
use crate::id::{ClientId, Endpoint, Key, NodeId, OpId, ValueId};
use crate::node::Answer;
use crate::time::SimTime;
use crate::version::Siblings;

/// How many nodes may pass one request on: the node a client asked, and
/// once more a node whose view disagrees with that one's.
const MAX_HOPS: u8 = 2;

/// A put's new local state, and the owner when it is kept as a hint.
type Versioned = (Siblings, Option<NodeId>);

/// A put last-write-wins dropped: its value, the node's clock reading and
/// the state that won.
type Dropped = (ValueId, SimTime, Siblings);

/// Where a request goes (see `DynamoNode::targets`).
struct Targets {
    targets: Vec<Target>,
    is_replica: bool,
    /// A stand-in coordinator: the owner whose hint it keeps.
    own_hint_for: Option<NodeId>,
}

/// One replica a request went to.
#[derive(Clone, Debug)]
pub(super) struct Target {
    node: NodeId,
    /// The owner this node stands in for (sloppy quorum), if any.
    stand_in_for: Option<NodeId>,
    answered: bool,
    /// A get's reply from this target.
    state: Option<Siblings>,
}

/// A request this node is coordinating.
#[derive(Clone, Debug)]
pub struct Pending {
    op: OpId,
    client: ClientId,
    kind: OpKind,
    key: Key,
    targets: Vec<Target>,
    /// Acks (put) or replies (get) so far, the coordinator's own included.
    heard: usize,
    /// Whether the client has its answer.
    answered: bool,
    /// A get: the merge of every reply so far, the coordinator's included.
    merged: Siblings,
    /// A get: the coordinator's own state when the get began, saved only
    /// once a reply differs from it (`None` while `merged` still is that
    /// state), so a get whose replicas agree copies its state once.
    own: Option<Siblings>,
}

impl DynamoNode {
    /// A client request arrived: coordinate it if this node holds a replica
    /// of the key, else pass it to the first reachable one (the generic
    /// balancer's extra hop, and coordinator failover).
    pub(super) fn on_request(
        &mut self,
        now: SimTime,
        req: Request,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        if self.directory.is_replica(req.key, self.id) {
            return self.coordinate(now, req, out);
        }
        let replicas = self.directory.replicas(req.key);
        let mut req = req;
        req.hops = req.hops.saturating_add(1);
        match replicas.iter().copied().find(|&r| self.reachable(r, now)) {
            Some(to) => {
                self.liveness.sending_to(to, now);
                self.stats.forwards += 1;
                out.send(Endpoint::Node(to), Msg::Forward(req));
            }
            // No replica looks reachable: under a sloppy quorum this node
            // coordinates itself, as a stand-in ("always writeable").
            None if self.config.sloppy_quorum => self.coordinate(now, req, out),
            None => {
                self.stats.forwards += 1;
                out.send(Endpoint::Node(replicas[0]), Msg::Forward(req));
            }
        }
    }

    /// A node passed a request here to coordinate. The sender's view made
    /// this node a replica of the key; if this node's own view agrees, it
    /// coordinates. If not (views differ during a join or a leave), it
    /// passes the request once more to a replica it believes reachable,
    /// never back to the sender; with none, it stands in under a sloppy
    /// quorum, and under a strict one refuses: a node that holds no
    /// replica must not mint versions of the key as if it did.
    pub(super) fn on_forward(
        &mut self,
        now: SimTime,
        from: Option<NodeId>,
        mut req: Request,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        let planted = self.config.deliberate_bug == Some(DeliberateBug::CoordinateAnyForward);
        if planted || self.directory.is_replica(req.key, self.id) {
            return self.coordinate(now, req, out);
        }
        let replicas = self.directory.replicas(req.key);
        let next = replicas
            .iter()
            .copied()
            .find(|&r| Some(r) != from && self.reachable(r, now));
        match next {
            Some(to) if req.hops < MAX_HOPS => {
                self.liveness.sending_to(to, now);
                self.stats.forwards += 1;
                req.hops += 1;
                out.send(Endpoint::Node(to), Msg::Forward(req));
            }
            _ if self.config.sloppy_quorum => self.coordinate(now, req, out),
            _ => {
                self.stats.refused_requests += 1;
                out.note("request-refused", |f| {
                    f.u64("op", req.op.0)
                        .key("key", req.key)
                        .str("why", "not a replica, and the quorum is strict");
                });
                fail_at_once(&req, out);
            }
        }
    }

    /// The replicas a request goes to, besides this node: the key's top N,
    /// each unreachable one replaced by the next reachable node past the
    /// top N when the quorum is sloppy (that node keeps the write as a hint
    /// for the owner). Also says whether this node is one of the top N
    /// and, when it is not (a stand-in coordinator, which keeps the write
    /// as a hint itself), whom it stands in for: the first owner it cannot
    /// reach, so that no two stand-ins keep hints for one owner while
    /// another owner gets none (else the write reaches that owner only by
    /// anti-entropy), or, with every owner reachable, the first owner.
    fn targets(&mut self, key: Key, now: SimTime) -> Targets {
        let mut targets = self.pending.spare_targets.pop().unwrap_or_default();
        let n = self.directory.n();
        let pref = self.directory.preference(key);
        let top = &pref[..n.min(pref.len())];
        let is_replica = top.contains(&self.id);
        let mut own_hint_for = None;
        if !is_replica && self.config.sloppy_quorum {
            own_hint_for = top.iter().copied().find(|&o| !self.reachable(o, now));
        }
        // Built only when a fallback is needed: walking allocates.
        let mut fallbacks = None;
        for &owner in top {
            if owner == self.id || Some(owner) == own_hint_for {
                continue;
            }
            let mut target = Target {
                node: owner,
                stand_in_for: None,
                answered: false,
                state: None,
            };
            if self.config.sloppy_quorum && !self.reachable(owner, now) {
                let stand_in = fallbacks
                    .get_or_insert_with(|| self.directory.walk(key).skip(n))
                    .find(|&f| f != self.id && self.reachable(f, now));
                if let Some(f) = stand_in {
                    target.node = f;
                    target.stand_in_for = Some(owner);
                }
            }
            targets.push(target);
        }
        Targets {
            targets,
            is_replica,
            own_hint_for: match is_replica {
                true => None,
                false => Some(own_hint_for.unwrap_or(top[0])),
            },
        }
    }

    pub(super) fn coordinate(
        &mut self,
        now: SimTime,
        req: Request,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        let mode = self.config.mode;
        let key = req.key;
        let Targets {
            targets,
            is_replica,
            own_hint_for,
        } = self.targets(key, now);
        for t in &targets {
            self.liveness.sending_to(t.node, now);
        }
        // The id this request will get: its answers carry it back.
        let rid = self.pending.next_id();
        // A put's new local state (and the owner, when kept as a hint), or
        // the value last-write-wins dropped: traced after the coordination.
        let mut versioned: Option<Result<Versioned, Dropped>> = None;
        let (own, merged) = match req.kind {
            OpKind::Put => {
                self.stats.coordinated_puts += 1;
                let value = req.value.unwrap_or(ValueId(req.op.0));
                let state = if is_replica {
                    let actor = self.actor_for(key);
                    // Hints this node keeps for the key (it stood in before
                    // its view made it a replica) may hold versions it
                    // minted: the new one must count past them too.
                    let hinted = match self.store.has_hints() {
                        true => self.store.hinted(mode, key),
                        false => None,
                    };
                    let local = self.store.entry(key);
                    let before = local.clone();
                    if let Some(hinted) = hinted {
                        local.merge(mode, &hinted);
                    }
                    let effect = local.put(mode, actor, now, req.context.get(), value);
                    if self.config.too_many_siblings(local.len()) {
                        let siblings = local.len();
                        *local = before;
                        return self.refuse_put(req, siblings, targets, out);
                    }
                    self.stats.false_conflicts += u64::from(effect.false_conflicts);
                    let state = local.clone();
                    self.check_minted(key, actor, &state);
                    if effect.changed {
                        self.after_replica_write(key, out);
                    }
                    if out.tracing() {
                        versioned = Some(match effect.changed {
                            true => Ok((state.clone(), None)),
                            false => Err((value, now, state.clone())),
                        });
                    }
                    state
                } else {
                    // A stand-in coordinator versions the write against
                    // everything it holds of the key (its hints, and its
                    // own replica if an old view left it one: versioning
                    // against the hints alone would mint a counter its
                    // replica already holds, and a replica taking the new
                    // version for the old would drop it), and keeps it as
                    // a hint for the key's first owner.
                    let mut local = match self.config.deliberate_bug {
                        Some(DeliberateBug::CoordinateAnyForward) => {
                            self.store.hinted(mode, key).unwrap_or_default()
                        }
                        _ => self.store.held(mode, key),
                    };
                    let actor = self.actor_for(key);
                    local.put(mode, actor, now, req.context.get(), value);
                    if self.config.too_many_siblings(local.len()) {
                        return self.refuse_put(req, local.len(), targets, out);
                    }
                    self.check_minted(key, actor, &local);
                    let owner = own_hint_for.unwrap_or(self.id);
                    if self.store.keep_hint(mode, owner, key, &local) {
                        self.stats.hints_stored += 1;
                    }
                    self.arm_handoff(out);
                    if out.tracing() {
                        let kept = self.store.hint(owner, key).cloned().unwrap_or_default();
                        versioned = Some(Ok((kept, Some(owner))));
                    }
                    local
                };
                for t in &targets {
                    out.send(
                        Endpoint::Node(t.node),
                        Msg::Store {
                            req: rid,
                            key,
                            state: state.clone(),
                            hint: t.stand_in_for,
                        },
                    );
                }
                (None, Siblings::default())
            }
            OpKind::Get => {
                self.stats.coordinated_gets += 1;
                for t in &targets {
                    out.send(Endpoint::Node(t.node), Msg::Fetch { req: rid, key });
                }
                (None, self.store.held(mode, key))
            }
        };
        if out.tracing() {
            let pref = self.directory.replicas(key);
            let sent: Vec<NodeId> = targets.iter().map(|t| t.node).collect();
            out.note("coordinate", |f| {
                f.u64("op", req.op.0)
                    .str("f", req.kind.as_str())
                    .key("key", key)
                    .nodes("pref", pref)
                    .nodes("to", &sent);
            });
            if let Some(tombstone) = req.value.filter(|v| v.is_tombstone()) {
                out.note("tombstone", |f| {
                    f.u64("op", req.op.0)
                        .key("key", key)
                        .value("value", tombstone);
                });
            }
            for t in &targets {
                if let Some(owner) = t.stand_in_for {
                    let why = self.unreachable_because(owner, now);
                    out.note("stand-in", |f| {
                        f.key("key", key)
                            .node("owner", owner)
                            .node("at", t.node)
                            .str("why", why);
                    });
                }
            }
        }
        match versioned {
            Some(Ok((state, None))) => Self::note_stored(out, key, Some(&state), "put", None),
            Some(Ok((state, owner))) => Self::note_stored(out, key, Some(&state), "hint", owner),
            // Only last-write-wins drops a put: the stored value's
            // timestamp is later than this node's clock.
            Some(Err((value, stamp, kept))) => out.note("put-ignored", |f| {
                let shown = kept.shown_versions();
                let values: Vec<ValueId> = shown.iter().map(|(v, _)| *v).collect();
                f.key("key", key)
                    .value("value", value)
                    .u64("stamp", stamp.0)
                    .values("kept", &values)
                    .strs("clocks", shown.iter().map(|(_, c)| c.as_str()))
                    .str("why", "older timestamp");
            }),
            None => {}
        }
        let mut pending = Pending {
            op: req.op,
            client: req.client,
            kind: req.kind,
            key,
            targets,
            heard: 1,
            answered: false,
            merged,
            own,
        };
        check_quorum(&self.config, &mut pending, out);
        if pending.targets.is_empty() {
            self.finish(pending, out);
        } else {
            let id = self.pending.insert(pending);
            debug_assert_eq!(id, rid);
            self.deadlines
                .push_back((now + self.config.request_timeout, rid));
            if !self.deadlines_armed {
                self.deadlines_armed = true;
                out.set_timer(self.config.request_timeout, Timer::Requests);
            }
        }
    }

    /// A put that would leave more siblings than `max_siblings` fails at
    /// once, as Riak's does: nothing is stored or sent (the version it
    /// would have minted was seen by no one, so its counter is free).
    fn refuse_put(
        &mut self,
        req: Request,
        siblings: usize,
        mut targets: Vec<Target>,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        self.stats.refused_over_max_siblings += 1;
        out.note("put-refused", |f| {
            f.u64("op", req.op.0)
                .key("key", req.key)
                .u64("siblings", siblings as u64)
                .u64("max", self.config.max_siblings as u64)
                .str("why", "too many siblings");
        });
        fail_at_once(&req, out);
        if self.pending.spare_targets.len() < MAX_SPARE_TARGETS {
            targets.clear();
            self.pending.spare_targets.push(targets);
        }
    }

    pub(super) fn on_store_ack(
        &mut self,
        from: NodeId,
        req: ReqId,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        self.on_answer(from, req, None, out);
    }

    pub(super) fn on_fetch_reply(
        &mut self,
        from: NodeId,
        req: ReqId,
        state: Siblings,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        self.on_answer(from, req, Some(state), out);
    }

    fn on_answer(
        &mut self,
        from: NodeId,
        req: ReqId,
        state: Option<Siblings>,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        let Some(p) = self.pending.get_mut(req) else {
            self.stats.late_replies += 1;
            return;
        };
        let mode = self.config.mode;
        if let Some(t) = p.targets.iter_mut().find(|t| t.node == from && !t.answered) {
            t.answered = true;
            p.heard += 1;
            if let Some(state) = state {
                if p.own.is_none() && state != p.merged {
                    p.own = Some(p.merged.clone());
                }
                let effect = p.merged.merge(mode, &state);
                self.stats.false_conflicts += u64::from(effect.false_conflicts);
                t.state = Some(state);
            }
        }
        check_quorum(&self.config, p, out);
        if p.targets.iter().all(|t| t.answered) {
            if let Some(p) = self.pending.remove(req) {
                self.finish(p, out);
            }
        }
    }

    /// Times out every request whose deadline has come, then sets the
    /// timer for the oldest one still in flight. Every request waits the
    /// same `request_timeout`, so deadlines come in the order requests
    /// began, and one timer serves them all. Deadlines are read on the
    /// node's own clock, as a real node would.
    pub(super) fn expire_requests(&mut self, now: SimTime, out: &mut impl Outbox<Msg, Timer>) {
        self.deadlines_armed = true;
        while let Some(&(deadline, req)) = self.deadlines.front() {
            if !self.pending.contains(req) {
                self.deadlines.pop_front();
            } else if deadline <= now {
                self.deadlines.pop_front();
                self.on_request_timeout(now, req, out);
            } else {
                out.set_timer(deadline.saturating_sub(now), Timer::Requests);
                return;
            }
        }
        self.deadlines_armed = false;
    }

    fn on_request_timeout(&mut self, now: SimTime, req: ReqId, out: &mut impl Outbox<Msg, Timer>) {
        let Some(mut p) = self.pending.remove(req) else {
            return;
        };
        for t in p.targets.iter().filter(|t| !t.answered) {
            if self.liveness.suspect(t.node, now) {
                out.note("suspect", |f| {
                    f.node("peer", t.node).str("why", "request timed out");
                });
            }
        }
        if !p.answered {
            self.stats.quorum_failures += 1;
            answer(&mut p, Answer::Fail, out);
        }
        self.finish(p, out);
    }

    /// The request is over: every target answered, or time ran out. Its
    /// target list goes back to the pool.
    fn finish(&mut self, mut p: Pending, out: &mut impl Outbox<Msg, Timer>) {
        self.read_repair(&p, out);
        let went_well = match p.kind {
            OpKind::Put => p.heard >= self.config.w,
            OpKind::Get => p
                .targets
                .iter()
                .all(|t| t.answered && t.stand_in_for.is_none()),
        };
        self.after_request(p.key, went_well, out);
        if self.pending.spare_targets.len() < MAX_SPARE_TARGETS {
            p.targets.clear();
            self.pending.spare_targets.push(p.targets);
        }
    }
}

/// Answers a request this node will not coordinate with a failure.
fn fail_at_once(req: &Request, out: &mut impl Outbox<Msg, Timer>) {
    out.send(
        Endpoint::Client(req.client),
        Msg::Reply {
            op: req.op,
            answer: Answer::Fail,
            read: Siblings::default(),
        },
    );
}

/// Answers the client once the quorum is in.
fn check_quorum(config: &Config, p: &mut Pending, out: &mut impl Outbox<Msg, Timer>) {
    let quorum = match p.kind {
        OpKind::Put if config.deliberate_bug == Some(super::DeliberateBug::AckBeforeQuorum) => {
            config.w.saturating_sub(1).max(1)
        }
        OpKind::Put => config.w,
        OpKind::Get => config.r,
    };
    if !p.answered && p.heard >= quorum {
        answer(p, Answer::Ok, out);
    }
}

/// Gives the client its answer: a get that succeeded carries the merged
/// state, shared.
fn answer(p: &mut Pending, answer: Answer, out: &mut impl Outbox<Msg, Timer>) {
    p.answered = true;
    let read = match (p.kind, answer) {
        (OpKind::Get, Answer::Ok) => p.merged.clone(),
        _ => Siblings::default(),
    };
    out.note("quorum", |f| {
        let acked: Vec<NodeId> = p
            .targets
            .iter()
            .filter(|t| t.answered)
            .map(|t| t.node)
            .collect();
        f.u64("op", p.op.0)
            .u64("heard", p.heard as u64)
            .str("outcome", answer.as_str())
            .nodes("acked", &acked);
    });
    out.send(
        Endpoint::Client(p.client),
        Msg::Reply {
            op: p.op,
            answer,
            read,
        },
    );
}
