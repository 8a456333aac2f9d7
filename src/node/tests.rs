//! The node without the event loop: a few-line outbox records its
//! effects, and each test plays the messages a real run would deliver.

use super::*;
use crate::actor::{OpKind, TimerId};
use crate::id::{ClientId, Key, OpId, ValueId};
use crate::ring::{Layout, NodeSpec, Placement, RingSpec, Strategy, key_position};
use crate::trace::Fields;
use crate::version::{Context, Mode, Siblings};
use std::sync::Arc;

#[derive(Default)]
pub(super) struct Effects {
    sent: Vec<(Endpoint, Msg)>,
    pub(super) timers: Vec<(SimTime, Timer)>,
}

impl Outbox<Msg, Timer> for Effects {
    fn send(&mut self, to: Endpoint, msg: Msg) {
        self.sent.push((to, msg));
    }
    fn set_timer(&mut self, after: SimTime, timer: Timer) -> TimerId {
        self.timers.push((after, timer));
        TimerId::from_raw(self.timers.len() as u32, 0)
    }
    fn cancel_timer(&mut self, _id: TimerId) {}
    fn note(&mut self, _kind: &'static str, _fields: impl FnOnce(&mut Fields<'_>)) {}
    fn halt(&mut self) {}
}

impl Effects {
    pub(super) fn take(&mut self) -> Vec<(Endpoint, Msg)> {
        std::mem::take(&mut self.sent)
    }
}

pub(super) const KEY: Key = Key(0);
pub(super) const T0: SimTime = SimTime::from_secs(1);

pub(super) fn config(w: usize, r: usize) -> Config {
    Config {
        n: 3,
        r,
        w,
        request_timeout: SimTime::from_millis(500),
        sloppy_quorum: true,
        hinted_handoff: true,
        read_repair: true,
        mode: Mode::Dvv,
        max_siblings: 0,
        key_epochs: true,
        delete_mode: None,
        reap_needs_all_primaries: true,
        handoff_interval: SimTime::from_secs(1),
        suspect_for: SimTime::from_secs(2),
        gossip: None,
        anti_entropy: None,
        plan: plan(5),
        told_membership: false,
        dot_assertion: true,
        deliberate_bug: None,
    }
}

fn spec() -> RingSpec {
    RingSpec {
        strategy: Strategy::RandomTokens,
        vnodes: 8,
        partitions: 64,
        placement: Placement::Clockwise,
        n: 3,
        seed: 1,
    }
}

fn plan(nodes: u32) -> ClusterPlan {
    let members: Vec<NodeSpec> = (0..nodes).map(|i| NodeSpec::plain(NodeId(i))).collect();
    ClusterPlan {
        spec: spec(),
        initial: members.clone(),
        nodes: members,
        seeds: vec![NodeId(0)],
        views: Default::default(),
        gossip_start: Default::default(),
    }
}

/// A ring of `nodes` nodes and the preference list of `KEY`.
pub(super) fn cluster(nodes: u32, mut cfg: Config) -> (Vec<DynamoNode>, Vec<NodeId>) {
    let spec = spec();
    cfg.plan = plan(nodes);
    let members = cfg.plan.initial.clone();
    let ring = Layout::initial(&spec, &members).ring(&spec);
    let directory = Directory::new(
        Arc::new(ring),
        vec![key_position(b"cart")].into(),
        members.iter().map(|m| m.node).collect(),
    );
    let pref = directory.preference(KEY).to_vec();
    let cfg = Arc::new(cfg);
    let nodes = (0..nodes)
        .map(|i| {
            let rng = rand::SeedableRng::seed_from_u64(u64::from(i));
            DynamoNode::new(NodeId(i), cfg.clone(), directory.clone(), rng)
        })
        .collect();
    (nodes, pref)
}

pub(super) fn put(op: u64, value: u64) -> Msg {
    Msg::Request(Request {
        op: OpId(op),
        client: ClientId(0),
        kind: OpKind::Put,
        key: KEY,
        value: Some(ValueId(value)),
        context: CarriedContext::default(),
        settled_below: 0,
        hops: 0,
    })
}

pub(super) fn get(op: u64) -> Msg {
    Msg::Request(Request {
        op: OpId(op),
        client: ClientId(0),
        kind: OpKind::Get,
        key: KEY,
        value: None,
        context: CarriedContext::default(),
        settled_below: 0,
        hops: 0,
    })
}

pub(super) const CLIENT: Endpoint = Endpoint::Client(ClientId(0));

fn replies(sent: &[(Endpoint, Msg)]) -> Vec<(Answer, Vec<ValueId>)> {
    sent.iter()
        .filter_map(|(_, m)| match m {
            Msg::Reply { answer, read, .. } => Some((*answer, read.values())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_put_is_answered_after_w_acks_including_the_coordinators() {
    let (mut nodes, pref) = cluster(5, config(2, 2));
    let coord = pref[0];
    let mut out = Effects::default();
    nodes[coord.index()].on_message(T0, CLIENT, put(1, 7), &mut out);
    let sent = out.take();
    let stores: Vec<(NodeId, ReqId)> = sent
        .iter()
        .filter_map(|(to, m)| match (to, m) {
            (
                Endpoint::Node(n),
                Msg::Store {
                    req, hint: None, ..
                },
            ) => Some((*n, *req)),
            _ => None,
        })
        .collect();
    assert_eq!(
        stores.iter().map(|s| s.0).collect::<Vec<_>>(),
        pref[1..3].to_vec()
    );
    assert!(replies(&sent).is_empty(), "W=2: one ack is not enough");
    nodes[coord.index()].on_message(
        T0,
        Endpoint::Node(stores[0].0),
        Msg::StoreAck { req: stores[0].1 },
        &mut out,
    );
    assert_eq!(replies(&out.take()), vec![(Answer::Ok, vec![])]);
}

#[test]
fn a_timed_out_put_fails_and_the_next_one_uses_a_stand_in_with_a_hint() {
    let (mut nodes, pref) = cluster(5, config(3, 2));
    let coord = pref[0];
    let mut out = Effects::default();
    nodes[coord.index()].on_message(T0, CLIENT, put(1, 7), &mut out);
    let req = match &out.take()[0].1 {
        Msg::Store { req, .. } => *req,
        m => panic!("{m:?}"),
    };
    // Only the first replica acknowledges; the second is silent.
    nodes[coord.index()].on_message(T0, Endpoint::Node(pref[1]), Msg::StoreAck { req }, &mut out);
    let deadline = T0 + SimTime::from_millis(500);
    nodes[coord.index()].on_timer(deadline, Timer::Requests, &mut out);
    assert_eq!(replies(&out.take()), vec![(Answer::Fail, vec![])]);
    assert_eq!(nodes[coord.index()].stats().quorum_failures, 1);

    nodes[coord.index()].on_message(T0, CLIENT, put(2, 8), &mut out);
    let hinted: Vec<(NodeId, Option<NodeId>)> = out
        .take()
        .iter()
        .filter_map(|(to, m)| match (to, m) {
            (Endpoint::Node(n), Msg::Store { hint, .. }) => Some((*n, *hint)),
            _ => None,
        })
        .collect();
    assert_eq!(hinted, vec![(pref[1], None), (pref[3], Some(pref[2]))]);
}

#[test]
fn a_stand_in_hands_its_hint_back_and_then_drops_it() {
    let (mut nodes, pref) = cluster(5, config(2, 2));
    let (owner, stand_in) = (pref[2], pref[3]);
    let mut state = Siblings::default();
    state.put(Mode::Dvv, pref[0], T0, &Context::none(), ValueId(7));
    let mut out = Effects::default();
    let node = &mut nodes[stand_in.index()];
    node.on_message(
        T0,
        Endpoint::Node(pref[0]),
        Msg::Store {
            req: 9,
            key: KEY,
            state: state.clone(),
            hint: Some(owner),
        },
        &mut out,
    );
    assert!(matches!(out.take()[0].1, Msg::StoreAck { req: 9 }));
    assert_eq!(node.store().hint_count(), 1);
    assert!(node.store().get(KEY).is_none(), "a hint is not a replica");
    assert_eq!(out.timers, vec![(SimTime::from_secs(1), Timer::Handoff)]);

    node.on_timer(T0, Timer::Handoff, &mut out);
    let offer = out.take();
    assert_eq!(offer.len(), 1);
    assert_eq!(offer[0].0, Endpoint::Node(owner));
    let Msg::Handoff { key, state: handed } = offer[0].1.clone() else {
        panic!("{:?}", offer[0].1)
    };
    let mut out2 = Effects::default();
    nodes[owner.index()].on_message(
        T0,
        Endpoint::Node(stand_in),
        Msg::Handoff {
            key,
            state: handed.clone(),
        },
        &mut out2,
    );
    assert_eq!(nodes[owner.index()].store().get(KEY), Some(&state));
    let ack = out2.take().remove(0).1;
    nodes[stand_in.index()].on_message(T0, Endpoint::Node(owner), ack, &mut out);
    assert_eq!(nodes[stand_in.index()].store().hint_count(), 0);
    assert_eq!(nodes[stand_in.index()].stats().hints_delivered, 1);
}

#[test]
fn a_get_answers_after_r_replies_and_repairs_the_stale_replica() {
    let (mut nodes, pref) = cluster(5, config(2, 2));
    let coord = pref[0];
    let mut newer = Siblings::default();
    newer.put(Mode::Dvv, coord, T0, &Context::none(), ValueId(7));
    let mut out = Effects::default();
    // The coordinator and pref[1] have the write; pref[2] missed it.
    for n in [coord, pref[1]] {
        nodes[n.index()].on_message(
            T0,
            Endpoint::Node(coord),
            Msg::Repair {
                key: KEY,
                state: newer.clone(),
            },
            &mut out,
        );
    }
    out.take();
    nodes[coord.index()].on_message(T0, CLIENT, get(5), &mut out);
    let fetches: Vec<(NodeId, ReqId)> = out
        .take()
        .iter()
        .filter_map(|(to, m)| match (to, m) {
            (Endpoint::Node(n), Msg::Fetch { req, .. }) => Some((*n, *req)),
            _ => None,
        })
        .collect();
    assert_eq!(fetches.len(), 2);
    let req = fetches[0].1;
    let reply = |state: Siblings| Msg::FetchReply {
        req,
        key: KEY,
        state,
    };
    // The stale replica answers first: R=2 is met, with the merged value.
    nodes[coord.index()].on_message(
        T0,
        Endpoint::Node(pref[2]),
        reply(Siblings::default()),
        &mut out,
    );
    assert_eq!(replies(&out.take()), vec![(Answer::Ok, vec![ValueId(7)])]);
    nodes[coord.index()].on_message(T0, Endpoint::Node(pref[1]), reply(newer.clone()), &mut out);
    let repairs: Vec<Endpoint> = out
        .take()
        .into_iter()
        .filter(|(_, m)| matches!(m, Msg::Repair { .. }))
        .map(|(to, _)| to)
        .collect();
    assert_eq!(repairs, vec![Endpoint::Node(pref[2])]);
    assert_eq!(nodes[coord.index()].stats().read_repairs, 1);
}

#[test]
fn a_node_without_a_replica_forwards_to_the_coordinator() {
    let (mut nodes, pref) = cluster(5, config(2, 2));
    let outsider = (0..5).map(NodeId).find(|n| !pref[..3].contains(n)).unwrap();
    let mut out = Effects::default();
    nodes[outsider.index()].on_message(T0, CLIENT, put(1, 7), &mut out);
    let sent = out.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, Endpoint::Node(pref[0]));
    assert!(matches!(sent[0].1, Msg::Forward(_)));
}

#[test]
fn a_crash_forgets_requests_but_not_the_disk() {
    let (mut nodes, pref) = cluster(5, config(2, 2));
    let coord = pref[0];
    let mut out = Effects::default();
    let node = &mut nodes[coord.index()];
    node.on_message(T0, CLIENT, put(1, 7), &mut out);
    assert_eq!(node.in_flight(), 1);
    node.on_crash();
    assert_eq!(node.in_flight(), 0);
    node.on_restart(T0, false, &mut out);
    assert_eq!(
        node.store().get(KEY).map(|s| s.values()),
        Some(vec![ValueId(7)])
    );
    node.on_crash();
    node.on_restart(T0, true, &mut out);
    assert!(node.store().get(KEY).is_none());
}

/// Relays one node's anti-entropy messages until the exchange is over,
/// summing the hashes its steps carried.
fn relay_exchange(nodes: &mut [DynamoNode], from: NodeId, sent: Vec<(Endpoint, Msg)>) -> u64 {
    let mut queue: Vec<(NodeId, Endpoint, Msg)> =
        sent.into_iter().map(|(to, m)| (from, to, m)).collect();
    let mut hashes = 0;
    while let Some((sender, to, msg)) = queue.pop() {
        let Endpoint::Node(to) = to else { continue };
        match &msg {
            Msg::AntiEntropy { step, .. } => hashes += step.hashes(),
            Msg::AeStates { .. } => {}
            _ => continue,
        }
        let mut out = Effects::default();
        nodes[to.index()].on_message(T0, Endpoint::Node(sender), msg, &mut out);
        queue.extend(out.take().into_iter().map(|(t, m)| (to, t, m)));
    }
    hashes
}

#[test]
fn a_merkle_exchange_records_the_keys_it_found_and_the_hashes_both_sides_sent() {
    let mut cfg = config(1, 1);
    cfg.anti_entropy = Some(AntiEntropyConfig {
        interval: SimTime::from_secs(1),
        tree_depth: 3,
        ranges_per_exchange: 1,
    });
    let (mut nodes, pref) = cluster(5, cfg);
    let mut out = Effects::default();
    for node in &mut nodes {
        node.on_start(T0, &mut out);
    }
    // W = 1: the coordinator alone acknowledges; its stores to the other
    // replicas are never delivered, so they miss the write.
    let coordinator = pref[0];
    nodes[coordinator.index()].on_message(T0, CLIENT, put(1, 7), &mut out);
    out.take();
    let counts = |nodes: &[DynamoNode]| -> Vec<usize> {
        nodes.iter().map(|n| n.merkle_exchanges().len()).collect()
    };
    let mut found = None;
    for _ in 0..200 {
        let before = counts(&nodes);
        let mut tick = Effects::default();
        nodes[coordinator.index()].on_timer(T0, Timer::AntiEntropy, &mut tick);
        let sent = relay_exchange(&mut nodes, coordinator, tick.take());
        let after = counts(&nodes);
        // Exactly one node, whichever ended the exchange, recorded it (none
        // when no exchange started).
        let ended: Vec<usize> = (0..nodes.len()).filter(|&i| after[i] > before[i]).collect();
        let Some(&i) = ended.first() else { continue };
        assert_eq!(ended.len(), 1);
        assert_eq!(after[i], before[i] + 1);
        let last = nodes[i].merkle_exchanges()[before[i]];
        assert_eq!(last.hashes, sent, "the cost is what the messages carried");
        if last.divergent_keys > 0 {
            found = Some(last);
            break;
        }
        assert_eq!(last.hashes, 1, "trees that agree stop at the root");
    }
    let found = found.expect("the coordinator compares the key's range within 200 ticks");
    assert_eq!(found.divergent_keys, 1, "the one key the replica missed");
    assert!(found.hashes > 1, "it descended to the leaves");
}

/// Every queued event is as large as the largest message variant, and each
/// event is moved into and out of the queue's slab: the queue's share of
/// the profile grew with these sizes. Contexts and anti-entropy steps are
/// boxed to keep them here (a message was 96 bytes); a new inline field
/// that grows them should be boxed too, or this pin moved knowingly.
/// Sizes as on a 64-bit target; `sim` pins the queued event's.
#[cfg(target_pointer_width = "64")]
#[test]
fn messages_stay_small() {
    assert_eq!(std::mem::size_of::<Request>(), 48);
    assert_eq!(std::mem::size_of::<Msg>(), 56);
}
