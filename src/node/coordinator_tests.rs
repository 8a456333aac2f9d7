//! The coordinator's gates, without the event loop: read repair only after
//! a get that reached its quorum and only when read repair is on; a
//! stand-in only under a sloppy quorum; a request's deadline exactly at
//! `request_timeout`; a put refused past `max_siblings`.

use super::tests::{CLIENT, Effects, KEY, T0, cluster, config, get, put};
use super::*;
use crate::id::ValueId;
use crate::version::{Context, Mode, Siblings};

fn repairs(sent: &[(Endpoint, Msg)]) -> Vec<Endpoint> {
    sent.iter()
        .filter(|(_, m)| matches!(m, Msg::Repair { .. }))
        .map(|(to, _)| *to)
        .collect()
}

fn fetch_ids(sent: &[(Endpoint, Msg)]) -> Vec<(NodeId, ReqId)> {
    sent.iter()
        .filter_map(|(to, m)| match (to, m) {
            (Endpoint::Node(n), Msg::Fetch { req, .. }) => Some((*n, *req)),
            _ => None,
        })
        .collect()
}

fn answers(sent: &[(Endpoint, Msg)]) -> Vec<Answer> {
    sent.iter()
        .filter_map(|(_, m)| match m {
            Msg::Reply { answer, .. } => Some(*answer),
            _ => None,
        })
        .collect()
}

/// The coordinator holds value 7; a get's replicas answer with nothing
/// (stale). Returns what the coordinator sent after `replies` of them
/// answered and, if `expire`, its deadline passed.
fn get_with_stale_replies(cfg: Config, replies: usize, expire: bool) -> Vec<(Endpoint, Msg)> {
    let (mut nodes, pref) = cluster(5, cfg);
    let coord = &mut nodes[pref[0].index()];
    let mut newer = Siblings::default();
    newer.put(Mode::Dvv, pref[0], T0, &Context::none(), ValueId(7));
    coord.store_mut().merge(Mode::Dvv, KEY, &newer);
    let mut out = Effects::default();
    coord.on_message(T0, CLIENT, get(5), &mut out);
    let fetches = fetch_ids(&out.take());
    let mut sent = Vec::new();
    for &(from, req) in fetches.iter().take(replies) {
        let reply = Msg::FetchReply {
            req,
            key: KEY,
            state: Siblings::default(),
        };
        coord.on_message(T0, Endpoint::Node(from), reply, &mut out);
        sent.extend(out.take());
    }
    if expire {
        coord.on_timer(T0 + SimTime::from_millis(500), Timer::Requests, &mut out);
        sent.extend(out.take());
    }
    sent
}

#[test]
fn a_get_that_heard_every_replica_repairs_the_stale_ones() {
    let sent = get_with_stale_replies(config(2, 2), 2, false);
    assert_eq!(answers(&sent), vec![Answer::Ok]);
    assert_eq!(repairs(&sent).len(), 2);
}

#[test]
fn a_get_that_reached_exactly_r_and_then_timed_out_still_repairs() {
    // R = 2: the coordinator and one replica; the other never answers.
    let sent = get_with_stale_replies(config(2, 2), 1, true);
    assert_eq!(answers(&sent), vec![Answer::Ok]);
    assert_eq!(repairs(&sent).len(), 1, "the replica that answered");
}

#[test]
fn a_get_that_missed_its_quorum_repairs_nothing() {
    // R = 3: the coordinator and one replica are not enough.
    let sent = get_with_stale_replies(config(2, 3), 1, true);
    assert_eq!(answers(&sent), vec![Answer::Fail]);
    assert!(repairs(&sent).is_empty());
}

#[test]
fn without_read_repair_a_stale_replica_is_left_alone() {
    let mut cfg = config(2, 2);
    cfg.read_repair = false;
    let sent = get_with_stale_replies(cfg, 2, false);
    assert_eq!(answers(&sent), vec![Answer::Ok]);
    assert!(repairs(&sent).is_empty());
}

#[test]
fn a_strict_quorum_sends_to_an_unreachable_owner_and_keeps_no_hint() {
    let mut cfg = config(2, 2);
    cfg.sloppy_quorum = false;
    let (mut nodes, pref) = cluster(5, cfg);
    let coord = &mut nodes[pref[0].index()];
    coord.liveness.suspect(pref[2], T0);
    let mut out = Effects::default();
    coord.on_message(T0, CLIENT, put(1, 7), &mut out);
    let stores: Vec<(Endpoint, Option<NodeId>)> = out
        .take()
        .into_iter()
        .filter_map(|(to, m)| match m {
            Msg::Store { hint, .. } => Some((to, hint)),
            _ => None,
        })
        .collect();
    assert_eq!(
        stores,
        vec![
            (Endpoint::Node(pref[1]), None),
            (Endpoint::Node(pref[2]), None)
        ]
    );
}

#[test]
fn a_request_times_out_exactly_at_its_deadline_and_not_before() {
    let (mut nodes, pref) = cluster(5, config(3, 2));
    let coord = &mut nodes[pref[0].index()];
    let mut out = Effects::default();
    coord.on_message(T0, CLIENT, put(1, 7), &mut out);
    assert_eq!(
        out.timers,
        vec![(SimTime::from_millis(500), Timer::Requests)]
    );
    out.take();
    out.timers.clear();
    // A timer that fires early (a skewed clock) re-arms for the rest.
    coord.on_timer(T0 + SimTime::from_millis(200), Timer::Requests, &mut out);
    assert!(answers(&out.take()).is_empty());
    assert_eq!(
        out.timers,
        vec![(SimTime::from_millis(300), Timer::Requests)]
    );
    coord.on_timer(T0 + SimTime::from_millis(500), Timer::Requests, &mut out);
    assert_eq!(answers(&out.take()), vec![Answer::Fail]);
    assert_eq!(coord.in_flight(), 0);
}

#[test]
fn a_put_past_max_siblings_fails_and_stores_nothing() {
    let mut cfg = config(1, 1);
    cfg.max_siblings = 2;
    let (mut nodes, pref) = cluster(5, cfg);
    let coord = &mut nodes[pref[0].index()];
    let mut out = Effects::default();
    // Blind puts under DVV: each one a new sibling.
    for op in 1..=2 {
        coord.on_message(T0, CLIENT, put(op, op), &mut out);
        assert_eq!(answers(&out.take()), vec![Answer::Ok]);
    }
    let before = coord.store().get(KEY).cloned();
    coord.on_message(T0, CLIENT, put(3, 3), &mut out);
    let sent = out.take();
    assert_eq!(answers(&sent), vec![Answer::Fail]);
    assert_eq!(sent.len(), 1, "no store is sent");
    assert_eq!(coord.store().get(KEY).cloned(), before, "nothing stored");
    assert_eq!(coord.stats().refused_over_max_siblings, 1);
    // A put that reads first (its context covers the siblings) is fine,
    // and mints the counter the refused one would have.
    let context = before.unwrap().context();
    let mut with_context = put(4, 4);
    if let Msg::Request(r) = &mut with_context {
        r.context = CarriedContext::new(context);
    }
    coord.on_message(T0, CLIENT, with_context, &mut out);
    assert_eq!(answers(&out.take()), vec![Answer::Ok]);
    assert_eq!(coord.store().get(KEY).map(Siblings::len), Some(1));
}
