//! A client request at a node, without the event loop: a network copy is
//! coordinated once, a forward reaching a node whose view disagrees is
//! passed on or refused, never coordinated as if it were a replica, and a
//! stand-in's new version counts past every version it holds.

use super::tests::{CLIENT, Effects, KEY, T0, cluster, config, put};
use super::*;
use crate::id::ValueId;
use crate::version::{Context, Mode, Siblings};

fn stores(sent: &[(Endpoint, Msg)]) -> Vec<(NodeId, Option<NodeId>)> {
    sent.iter()
        .filter_map(|(to, m)| match (to, m) {
            (Endpoint::Node(n), Msg::Store { hint, .. }) => Some((*n, *hint)),
            _ => None,
        })
        .collect()
}

fn forward(msg: Msg, hops: u8) -> Msg {
    match msg {
        Msg::Request(mut r) => {
            r.hops = hops;
            Msg::Forward(r)
        }
        m => m,
    }
}

#[test]
fn a_request_the_network_delivered_twice_is_coordinated_once() {
    let (mut nodes, pref) = cluster(5, config(2, 2));
    let coord = &mut nodes[pref[0].index()];
    let mut out = Effects::default();
    coord.on_message(T0, CLIENT, put(1, 7), &mut out);
    assert_eq!(stores(&out.take()).len(), 2);
    coord.on_message(T0, CLIENT, put(1, 7), &mut out);
    assert!(out.take().is_empty(), "the copy is ignored");
    let from_peer = Endpoint::Node(pref[3]);
    coord.on_message(T0, from_peer, forward(put(1, 7), 1), &mut out);
    assert!(out.take().is_empty(), "a forwarded copy too");
    assert_eq!(coord.stats().coordinated_puts, 1);
    assert_eq!(coord.stats().repeated_requests, 2);
    assert_eq!(coord.store().get(KEY).map(Siblings::len), Some(1));
    // The next op of the same client is new.
    coord.on_message(T0, CLIENT, put(2, 8), &mut out);
    assert_eq!(coord.stats().coordinated_puts, 2);
}

#[test]
fn a_forward_to_a_node_outside_the_top_n_goes_on_to_a_replica() {
    let (mut nodes, pref) = cluster(5, config(2, 2));
    let outsider = &mut nodes[pref[3].index()];
    let mut out = Effects::default();
    // pref[4]'s stale view made pref[3] a replica; pref[3]'s does not.
    outsider.on_message(T0, Endpoint::Node(pref[4]), forward(put(1, 7), 1), &mut out);
    let sent = out.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, Endpoint::Node(pref[0]));
    let Msg::Forward(r) = &sent[0].1 else {
        panic!("{:?}", sent[0].1)
    };
    assert_eq!(r.hops, 2);
    assert_eq!(outsider.stats().coordinated_puts, 0);
    assert_eq!(outsider.store().hint_count(), 0);
}

#[test]
fn a_forward_is_never_passed_back_to_its_sender() {
    let (mut nodes, pref) = cluster(5, config(2, 2));
    let outsider = &mut nodes[pref[3].index()];
    let mut out = Effects::default();
    outsider.on_message(T0, Endpoint::Node(pref[0]), forward(put(1, 7), 1), &mut out);
    let sent = out.take();
    assert_eq!(sent[0].0, Endpoint::Node(pref[1]), "the next replica");
}

#[test]
fn with_no_hop_left_a_strict_quorum_refuses_and_keeps_no_hint() {
    let mut cfg = config(2, 2);
    cfg.sloppy_quorum = false;
    let (mut nodes, pref) = cluster(5, cfg);
    let outsider = &mut nodes[pref[3].index()];
    let mut out = Effects::default();
    outsider.on_message(T0, Endpoint::Node(pref[4]), forward(put(1, 7), 2), &mut out);
    let sent = out.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, CLIENT);
    assert!(matches!(
        sent[0].1,
        Msg::Reply {
            answer: Answer::Fail,
            ..
        }
    ));
    assert_eq!(outsider.stats().refused_requests, 1);
    assert_eq!(outsider.store().hint_count(), 0);
    assert!(outsider.store().get(KEY).is_none());
}

#[test]
fn a_stand_in_mints_past_the_versions_of_its_own_old_replica() {
    let (mut nodes, pref) = cluster(5, config(2, 2));
    let outsider_id = pref[3];
    let outsider = &mut nodes[outsider_id.index()];
    // An older view made it a replica, and it coordinated a put then.
    let mut old = Siblings::default();
    old.put(Mode::Dvv, outsider_id, T0, &Context::none(), ValueId(5));
    outsider.store_mut().merge(Mode::Dvv, KEY, &old);
    // No hop left, sloppy quorum: it stands in.
    let mut out = Effects::default();
    outsider.on_message(T0, Endpoint::Node(pref[4]), forward(put(1, 7), 2), &mut out);
    let hint = outsider.store().hint(pref[0], KEY).expect("kept as a hint");
    assert_eq!(hint.counter_of(outsider_id), 2, "past the replica's dot");
    assert_eq!(hint.values().len(), 2, "a blind put beside the old value");
    assert_eq!(stores(&out.take()).len(), 3, "to every owner");
}

#[test]
fn a_replica_mints_past_the_versions_of_hints_it_keeps() {
    let (mut nodes, pref) = cluster(5, config(2, 2));
    let coord_id = pref[0];
    let coord = &mut nodes[coord_id.index()];
    // It stood in for pref[1] once and minted a version there.
    let mut hinted = Siblings::default();
    hinted.put(Mode::Dvv, coord_id, T0, &Context::none(), ValueId(5));
    let mut out = Effects::default();
    coord.on_message(
        T0,
        Endpoint::Node(pref[2]),
        Msg::Store {
            req: 1,
            key: KEY,
            state: hinted,
            hint: Some(pref[1]),
        },
        &mut out,
    );
    coord.on_message(T0, CLIENT, put(1, 7), &mut out);
    let mine = coord.store().get(KEY).expect("stored");
    assert_eq!(mine.counter_of(coord_id), 2);
    assert_eq!(mine.values().len(), 2);
}

#[test]
fn a_stand_in_coordinator_keeps_the_hint_of_an_owner_no_other_stand_in_covers() {
    let (mut nodes, pref) = cluster(5, config(2, 2));
    let coord = &mut nodes[pref[3].index()];
    // Every owner looks down from here (their requests timed out).
    for &owner in &pref[..3] {
        coord.liveness.suspect(owner, T0);
    }
    let mut out = Effects::default();
    coord.on_message(T0, CLIENT, put(1, 7), &mut out);
    assert!(
        coord.store().hint(pref[0], KEY).is_some(),
        "its own: the first owner"
    );
    // The one fallback left (pref[4]) stands in for the second owner, not
    // the first again; the third gets the write directly, if it can.
    assert_eq!(
        stores(&out.take()),
        vec![(pref[4], Some(pref[1])), (pref[2], None)]
    );
}

#[test]
fn a_node_that_loses_a_key_mints_under_a_fresh_name_there() {
    for key_epochs in [true, false] {
        let mut cfg = config(1, 1);
        cfg.key_epochs = key_epochs;
        let (mut nodes, pref) = cluster(5, cfg);
        let id = pref[0];
        let coord = &mut nodes[id.index()];
        let mut out = Effects::default();
        coord.on_message(T0, CLIENT, put(1, 7), &mut out);
        assert_eq!(coord.store().get(KEY).map(|s| s.counter_of(id)), Some(1));
        coord.on_forget(T0, KEY, &mut out);
        assert!(coord.store().get(KEY).is_none(), "the replica is gone");
        coord.on_message(T0, CLIENT, put(2, 8), &mut out);
        let state = coord.store().get(KEY).expect("the new write");
        if key_epochs {
            assert_eq!(state.counter_of(id), 0);
            assert_eq!(state.counter_of(id.actor(1)), 1, "n#1 mints afresh");
        } else {
            // The KV679 bug, kept on purpose when the fix is off: the
            // counter n minted before is minted again.
            assert_eq!(state.counter_of(id), 1);
        }
    }
}
