//! Reaping tombstones without the event loop: each test plays a delete,
//! the timers it sets and the messages a run would deliver, and checks
//! when the tombstone goes and when it must stay.

use super::tests::{CLIENT, Effects, KEY, T0, cluster, config, put};
use super::*;
use crate::actor::OpKind;
use crate::id::{ClientId, OpId, ValueId};
use crate::version::{Context, Mode, Siblings};

const DELAY: SimTime = SimTime::from_secs(3);

/// A timer some node set: the node, after how long, and the timer.
type SetTimer = (NodeId, SimTime, Timer);

fn reaping(all_primaries: bool) -> Config {
    let mut cfg = config(2, 2);
    cfg.delete_mode = Some(DELAY);
    cfg.reap_needs_all_primaries = all_primaries;
    cfg
}

/// A delete of `KEY` that read `context`.
fn delete(op: u64, context: &Siblings) -> Msg {
    Msg::Request(Request {
        op: OpId(op),
        client: ClientId(0),
        kind: OpKind::Put,
        key: KEY,
        value: Some(ValueId::tombstone(OpId(op))),
        context: CarriedContext::new(context.context()),
        settled_below: 0,
        hops: 0,
    })
}

/// Delivers node-to-node messages until none are left, except to the
/// nodes in `down` (their messages are lost). Returns the timers set.
fn settle(
    nodes: &mut [DynamoNode],
    first: NodeId,
    out: &mut Effects,
    down: &[NodeId],
) -> Vec<SetTimer> {
    let mut timers: Vec<SetTimer> = Vec::new();
    let mut queue: Vec<(NodeId, Endpoint, Msg)> = Vec::new();
    let mut from = first;
    loop {
        timers.extend(out.timers.drain(..).map(|(after, t)| (from, after, t)));
        queue.extend(out.take().into_iter().map(|(to, m)| (from, to, m)));
        let Some(at) = queue
            .iter()
            .position(|(_, to, _)| matches!(to, Endpoint::Node(_)))
        else {
            return timers;
        };
        let (sender, to, msg) = queue.remove(at);
        let Endpoint::Node(to) = to else {
            unreachable!()
        };
        if down.contains(&to) {
            continue;
        }
        nodes[to.index()].on_message(T0, Endpoint::Node(sender), msg, out);
        from = to;
    }
}

fn fire(
    nodes: &mut [DynamoNode],
    timers: &[SetTimer],
    kind: fn(&Timer) -> bool,
    out: &mut Effects,
) -> Vec<SetTimer> {
    let mut later = Vec::new();
    for &(node, _, timer) in timers.iter().filter(|(_, _, t)| kind(t)) {
        nodes[node.index()].on_timer(T0 + DELAY, timer, out);
        later.extend(settle(nodes, node, out, &[]));
    }
    later
}

fn is_reap_check(t: &Timer) -> bool {
    matches!(t, Timer::ReapCheck(..))
}

/// Five nodes; `KEY` written then deleted through its first replica, with
/// every message delivered except to `down`. Returns the nodes, the
/// preference list and the timers the delete set.
fn deleted(cfg: Config, down: &[NodeId]) -> (Vec<DynamoNode>, Vec<NodeId>, Vec<SetTimer>) {
    let (mut nodes, pref) = cluster(5, cfg);
    let coord = pref[0];
    let mut out = Effects::default();
    nodes[coord.index()].on_message(T0, CLIENT, put(1, 7), &mut out);
    settle(&mut nodes, coord, &mut out, &[]);
    let read = nodes[coord.index()].store().get(KEY).cloned().unwrap();
    nodes[coord.index()].on_message(T0, CLIENT, delete(2, &read), &mut out);
    let mut timers = settle(&mut nodes, coord, &mut out, down);
    // The delete is over once its deadline passes (a silent replica).
    nodes[coord.index()].on_timer(T0 + config(2, 2).request_timeout, Timer::Requests, &mut out);
    timers.extend(settle(&mut nodes, coord, &mut out, down));
    (nodes, pref, timers)
}

fn holds_key(node: &DynamoNode) -> bool {
    node.store().get(KEY).is_some()
}

#[test]
fn riaks_rule_reaps_once_every_primary_holds_the_tombstone_and_nobody_else_the_key() {
    let (mut nodes, pref, timers) = deleted(reaping(true), &[]);
    let checks: Vec<_> = timers.iter().filter(|(_, _, t)| is_reap_check(t)).collect();
    assert_eq!(
        checks.len(),
        1,
        "one check, by the delete's coordinator: {timers:?}"
    );
    assert_eq!((checks[0].0, checks[0].1), (pref[0], DELAY));
    assert!(pref[..3].iter().all(|&p| holds_key(&nodes[p.index()])));

    let mut out = Effects::default();
    fire(&mut nodes, &timers, is_reap_check, &mut out);
    for &p in &pref[..3] {
        assert!(!holds_key(&nodes[p.index()]), "{p} reaped");
        let reaped = nodes[p.index()].reaped();
        assert_eq!(reaped.len(), 1);
        assert_eq!(reaped[0].values, vec![ValueId::tombstone(OpId(2))]);
    }
}

#[test]
fn riaks_rule_keeps_the_tombstone_while_a_primary_is_silent() {
    let (mut nodes, pref, timers) = deleted(reaping(true), &[]);
    let coord = pref[0];
    let mut out = Effects::default();
    let check = timers.iter().find(|(_, _, t)| is_reap_check(t)).unwrap().2;
    nodes[coord.index()].on_timer(T0 + DELAY, check, &mut out);
    // pref[2] never answers; everyone else does.
    let later = settle(&mut nodes, coord, &mut out, &[pref[2]]);
    assert!(
        holds_key(&nodes[coord.index()]),
        "not reaped before the deadline"
    );
    let deadline = later
        .iter()
        .find(|(_, _, t)| matches!(t, Timer::ReapCheckDeadline(_)))
        .expect("a deadline for the check");
    assert_eq!(deadline.1, config(2, 2).request_timeout);
    nodes[coord.index()].on_timer(T0 + DELAY, deadline.2, &mut out);
    settle(&mut nodes, coord, &mut out, &[]);
    assert!(pref[..3].iter().all(|&p| holds_key(&nodes[p.index()])));
    assert!(nodes.iter().all(|n| n.reaped().is_empty()));
}

#[test]
fn riaks_rule_keeps_the_tombstone_while_a_fallback_holds_a_hint() {
    // The third replica is down during the delete: a fallback keeps the
    // tombstone for it, and a later handoff would need it.
    let mut cfg = reaping(true);
    cfg.w = 3;
    let (mut nodes, pref) = cluster(5, cfg);
    let coord = pref[0];
    let mut out = Effects::default();
    nodes[coord.index()].on_message(T0, CLIENT, put(1, 7), &mut out);
    settle(&mut nodes, coord, &mut out, &[]);
    // A put times out on pref[2]: the coordinator suspects it.
    nodes[coord.index()].on_message(T0, CLIENT, put(3, 9), &mut out);
    settle(&mut nodes, coord, &mut out, &[pref[2]]);
    nodes[coord.index()].on_timer(T0 + SimTime::from_millis(500), Timer::Requests, &mut out);
    settle(&mut nodes, coord, &mut out, &[pref[2]]);
    let read = nodes[coord.index()].store().get(KEY).cloned().unwrap();
    let later = T0 + SimTime::from_millis(600);
    nodes[coord.index()].on_message(later, CLIENT, delete(4, &read), &mut out);
    let timers = settle(&mut nodes, coord, &mut out, &[pref[2]]);
    assert!(
        nodes.iter().any(|n| n.store().hint(pref[2], KEY).is_some()),
        "a fallback keeps the tombstone for {}",
        pref[2]
    );
    // Even once pref[2] holds the tombstone too, the hint blocks the reap.
    let tombstone = nodes[coord.index()].store().get(KEY).cloned().unwrap();
    nodes[pref[2].index()]
        .store_mut()
        .merge(Mode::Dvv, KEY, &tombstone);
    fire(&mut nodes, &timers, is_reap_check, &mut out);
    assert!(holds_key(&nodes[coord.index()]));
    assert!(nodes.iter().all(|n| n.reaped().is_empty()));
}

#[test]
fn a_primary_holding_more_than_the_tombstone_blocks_the_reap() {
    let (mut nodes, pref, timers) = deleted(reaping(true), &[]);
    // A concurrent write reached pref[1] alone.
    let mut more = nodes[pref[1].index()].store().get(KEY).cloned().unwrap();
    more.put(Mode::Dvv, pref[3], T0, &Context::none(), ValueId(99));
    nodes[pref[1].index()]
        .store_mut()
        .merge(Mode::Dvv, KEY, &more);
    let mut out = Effects::default();
    fire(&mut nodes, &timers, is_reap_check, &mut out);
    assert!(pref[..3].iter().all(|&p| holds_key(&nodes[p.index()])));
}

#[test]
fn reaping_on_the_delay_alone_drops_each_replicas_tombstone_even_if_a_replica_missed_it() {
    let (mut nodes, pref, timers) = deleted(reaping(false), &[pref_third()]);
    let reaps: Vec<_> = timers
        .iter()
        .filter(|(_, _, t)| matches!(t, Timer::Reap(_)))
        .collect();
    assert!(
        timers.iter().all(|(_, _, t)| !is_reap_check(t)),
        "no check: {timers:?}"
    );
    let mut reapers: Vec<NodeId> = reaps.iter().map(|r| r.0).collect();
    reapers.sort();
    let mut expected = vec![pref[0], pref[1]];
    expected.sort();
    assert_eq!(reapers, expected, "each replica that stored the tombstone");
    assert!(reaps.iter().all(|r| r.1 == DELAY));
    let mut out = Effects::default();
    fire(
        &mut nodes,
        &timers,
        |t| matches!(t, Timer::Reap(_)),
        &mut out,
    );
    assert!(!holds_key(&nodes[pref[0].index()]) && !holds_key(&nodes[pref[1].index()]));
    let missed = nodes[pref[2].index()].store().get(KEY).unwrap().values();
    assert_eq!(missed, vec![ValueId(7)], "the old value waits to come back");
}

/// The third replica of `KEY` in the five-node test ring.
fn pref_third() -> NodeId {
    cluster(5, config(2, 2)).1[2]
}

#[test]
fn a_tombstone_written_over_before_its_delay_stays() {
    let (mut nodes, pref, timers) = deleted(reaping(false), &[]);
    let read = nodes[pref[0].index()].store().get(KEY).cloned().unwrap();
    let mut out = Effects::default();
    let mut again = put(5, 55);
    if let Msg::Request(r) = &mut again {
        r.context = CarriedContext::new(read.context());
    }
    nodes[pref[0].index()].on_message(T0, CLIENT, again, &mut out);
    settle(&mut nodes, pref[0], &mut out, &[]);
    fire(
        &mut nodes,
        &timers,
        |t| matches!(t, Timer::Reap(_)),
        &mut out,
    );
    for &p in &pref[..3] {
        assert_eq!(
            nodes[p.index()].store().get(KEY).unwrap().values(),
            vec![ValueId(55)]
        );
    }
}

#[test]
fn keep_never_reaps_and_immediate_checks_at_once() {
    for (mode, expected) in [(None, None), (Some(SimTime::ZERO), Some(SimTime::ZERO))] {
        let mut cfg = reaping(true);
        cfg.delete_mode = mode;
        let (_, _, timers) = deleted(cfg, &[]);
        let check = timers
            .iter()
            .find(|(_, _, t)| is_reap_check(t))
            .map(|t| t.1);
        assert_eq!(check, expected, "{mode:?}");
    }
}

#[test]
fn a_node_that_reaped_a_key_mints_under_a_fresh_name_there() {
    for key_epochs in [true, false] {
        let mut cfg = reaping(true);
        cfg.key_epochs = key_epochs;
        let (mut nodes, pref, timers) = deleted(cfg, &[]);
        let mut out = Effects::default();
        fire(&mut nodes, &timers, is_reap_check, &mut out);
        let coord = &mut nodes[pref[0].index()];
        coord.on_message(T0, CLIENT, put(3, 8), &mut out);
        let state = coord.store().get(KEY).expect("the new write");
        let id = pref[0];
        if key_epochs {
            assert_eq!(
                (state.counter_of(id), state.counter_of(id.actor(1))),
                (0, 1)
            );
        } else {
            assert_eq!(state.counter_of(id), 1, "kv679: n:1 minted again");
        }
    }
}

#[test]
fn a_get_that_finds_the_key_deleted_everywhere_schedules_one_check() {
    let mut cfg = reaping(true);
    cfg.delete_mode = Some(DELAY);
    let (mut nodes, pref, _) = deleted(cfg, &[]);
    let coord = pref[1];
    let mut out = Effects::default();
    for op in [10, 11] {
        nodes[coord.index()].on_message(T0, CLIENT, super::tests::get(op), &mut out);
    }
    let timers = settle(&mut nodes, coord, &mut out, &[]);
    let checks = timers.iter().filter(|(_, _, t)| is_reap_check(t)).count();
    assert_eq!(checks, 1, "one check per key at a time: {timers:?}");
}

#[test]
fn a_check_scheduled_for_one_tombstone_never_reaps_a_newer_one_early() {
    let (mut nodes, pref, timers) = deleted(reaping(true), &[]);
    let coord = pref[0];
    let first = timers.iter().find(|(_, _, t)| is_reap_check(t)).unwrap().2;
    // The key is written and deleted again before the first check fires.
    let mut out = Effects::default();
    let read = nodes[coord.index()].store().get(KEY).cloned().unwrap();
    let mut again = put(5, 55);
    if let Msg::Request(r) = &mut again {
        r.context = CarriedContext::new(read.context());
    }
    nodes[coord.index()].on_message(T0, CLIENT, again, &mut out);
    settle(&mut nodes, coord, &mut out, &[]);
    let read = nodes[coord.index()].store().get(KEY).cloned().unwrap();
    nodes[coord.index()].on_message(T0, CLIENT, delete(6, &read), &mut out);
    let second = settle(&mut nodes, coord, &mut out, &[]);
    let second = second
        .iter()
        .find(|(_, _, t)| is_reap_check(t))
        .expect("its own check")
        .2;
    assert_ne!(first, second);
    nodes[coord.index()].on_timer(T0 + DELAY, first, &mut out);
    settle(&mut nodes, coord, &mut out, &[]);
    assert!(holds_key(&nodes[coord.index()]), "the old timer is void");
    nodes[coord.index()].on_timer(T0 + DELAY, second, &mut out);
    settle(&mut nodes, coord, &mut out, &[]);
    assert!(
        !holds_key(&nodes[coord.index()]),
        "the newer tombstone's own check reaps it"
    );
}
