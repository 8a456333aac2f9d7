//! Unit tests of the heartbeat protocol, without the event loop, on the
//! cluster of `harness`.

use std::sync::Arc;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::harness::{Cluster, INTERVAL, log_bound, state};
use super::*;
use crate::id::NodeId;
use crate::time::SimTime;

/// `suspect_after` in the tests, in rounds. A heartbeat takes up to about
/// 7 rounds to reach all of 64 nodes at fanout 1, so a node often goes 5
/// rounds without news of a live peer: over 200 rounds of 64 nodes, 5
/// rounds gave hundreds of false downs (reporters 2), 7 a few suspicions,
/// 8 none; 16 nodes need 7, 8 nodes 6. Fanout 2 halves that.
const SUSPECT_ROUNDS: u64 = 8;

fn config(reporters: u32) -> Config {
    Config {
        interval: INTERVAL,
        fanout: 1,
        suspect_after: SimTime::from_secs(SUSPECT_ROUNDS),
        reporters,
        protocol: Protocol::Heartbeats,
    }
}

#[test]
fn heartbeats_spread_in_logarithmic_rounds() {
    let n = 64;
    let mut c = Cluster::new(n, config(2), 1);
    c.run_rounds(3);
    let mut rounds = Vec::new();
    for trial in 0..16 {
        let watched = NodeId((trial * 13) % n);
        // The watched node's next tick makes this heartbeat.
        let beat = c.nodes[watched.index()].entry(watched).unwrap().heartbeat + 1;
        let taken = c
            .rounds_until(100, |c| {
                c.nodes
                    .iter()
                    .all(|g| g.entry(watched).is_some_and(|e| e.heartbeat >= beat))
            })
            .expect("the heartbeat spreads");
        rounds.push(taken);
    }
    let worst = *rounds.iter().max().unwrap();
    let mean = rounds.iter().sum::<u64>() as f64 / rounds.len() as f64;
    eprintln!(
        "64 nodes, fanout 1: a heartbeat reaches every node in {mean:.1} rounds on average, \
         {worst} at worst ({rounds:?})"
    );
    assert!(worst <= log_bound(64), "{rounds:?}");
    assert_eq!(
        c.seen
            .iter()
            .filter(|(_, _, t)| t.to == Status::Down)
            .count(),
        0
    );
}

#[test]
fn a_crashed_node_is_declared_down_everywhere() {
    let mut c = Cluster::new(16, config(2), 2);
    c.run_rounds(10);
    let victim = NodeId(2);
    c.crashed[victim.index()] = true;
    let taken = c
        .rounds_until(100, |c| {
            c.others(victim)
                .all(|g| g.status(victim) == Some(Status::Down))
        })
        .expect("declared down");
    eprintln!("16 nodes: a crash is declared down everywhere after {taken} rounds");
    assert!(taken <= SUSPECT_ROUNDS + log_bound(16), "{taken} rounds");
    assert!(c.others(victim).all(|g| !g.looks_up(victim)));
    for other in (0..16).map(NodeId).filter(|&n| n != victim) {
        assert_eq!(c.downs_of(other), 0, "{other} declared down falsely");
    }
}

#[test]
fn one_suspecting_node_is_not_enough_for_two_reporters() {
    // Two nodes: the survivor alone suspects the crashed one.
    for (reporters, expected) in [(2, Status::Suspect), (1, Status::Down), (0, Status::Down)] {
        let mut c = Cluster::new(2, config(reporters), 3);
        c.run_rounds(3);
        c.crashed[1] = true;
        c.run_rounds(3 * SUSPECT_ROUNDS);
        assert_eq!(
            c.nodes[0].status(NodeId(1)),
            Some(expected),
            "reporters {reporters}"
        );
    }

    // An observer cut off from everyone suspects everyone, but declares
    // no one down by itself; the many who suspect it do.
    let mut c = Cluster::new(8, config(2), 4);
    c.run_rounds(3);
    let observer = NodeId(0);
    for i in 1..8 {
        c.cut_both_ways(observer, NodeId(i));
    }
    c.run_rounds(4 * SUSPECT_ROUNDS);
    let view = &c.nodes[observer.index()];
    for i in 1..8 {
        assert_eq!(view.status(NodeId(i)), Some(Status::Suspect));
    }
    assert!(
        c.others(observer)
            .all(|g| g.status(observer) == Some(Status::Down))
    );
}

#[test]
fn a_cut_between_two_nodes_declares_no_one_down() {
    let mut c = Cluster::new(8, config(2), 5);
    c.cut_both_ways(NodeId(0), NodeId(1));
    c.run_rounds(60);
    let downs: Vec<_> = c
        .seen
        .iter()
        .filter(|(_, _, t)| t.to == Status::Down)
        .collect();
    assert!(downs.is_empty(), "{downs:?}");
    assert!(
        c.nodes
            .iter()
            .all(|g| g.statuses().all(|(_, s)| s == Status::Alive))
    );
}

#[test]
fn a_spare_joins_through_a_seed() {
    let n = 64;
    let mut c = Cluster::new(n, config(2), 6);
    c.run_rounds(3);
    let epochs: Vec<u64> = c.nodes.iter().map(Gossip::members_epoch).collect();
    let spare = c.add_spare(vec![NodeId(0)]);
    let taken = c
        .rounds_until(100, |c| {
            c.nodes[..n as usize]
                .iter()
                .all(|g| g.members().any(|(m, _)| m == spare))
        })
        .expect("the spare is learned");
    eprintln!("64 nodes: a spare is listed by every node after {taken} rounds");
    assert!(taken <= log_bound(64), "{taken} rounds");
    for (g, before) in c.nodes.iter().zip(&epochs) {
        assert!(g.members_epoch() > *before);
        assert_eq!(g.status(spare), Some(Status::Alive));
        assert_eq!(g.entry(spare).unwrap().state.tokens[..], [64_000]);
    }
    let learned = c
        .seen
        .iter()
        .filter(|(_, _, t)| t.node == spare && t.from.is_none())
        .count();
    assert_eq!(learned, n as usize, "each node reports learning it once");
    assert_eq!(c.nodes[spare.index()].members().count(), n as usize + 1);
}

#[test]
fn a_leave_spreads() {
    let mut c = Cluster::new(16, config(2), 7);
    c.run_rounds(5);
    let epochs: Vec<u64> = c.nodes.iter().map(Gossip::members_epoch).collect();
    let leaver = NodeId(4);
    c.nodes[leaver.index()].leave();
    let taken = c
        .rounds_until(100, |c| {
            c.nodes
                .iter()
                .all(|g| g.members().all(|(m, _)| m != leaver))
        })
        .expect("the leave spreads");
    assert!(taken <= log_bound(16), "{taken} rounds");
    for (g, before) in c.nodes.iter().zip(&epochs) {
        assert_eq!(g.members_epoch(), before + 1);
        assert_eq!(g.members().count(), 15);
        assert_eq!(g.status(leaver), Some(Status::Left));
        assert!(!g.looks_up(leaver));
    }
    // The leaver reported its own change; once gone it is never suspected.
    assert!(c.seen.contains(&(
        leaver,
        c.round - taken + 1,
        Transition {
            node: leaver,
            from: Some(Status::Alive),
            to: Status::Left
        }
    )));
    c.crashed[leaver.index()] = true;
    c.run_rounds(4 * SUSPECT_ROUNDS);
    assert!(
        c.others(leaver)
            .all(|g| g.status(leaver) == Some(Status::Left))
    );
    assert!(c.others(leaver).all(|g| {
        g.entry(g.me())
            .unwrap()
            .suspects
            .iter()
            .all(|s| s.0 != leaver)
    }));
}

#[test]
fn a_restarted_node_is_alive_again_and_old_suspicions_do_not_count() {
    let mut c = Cluster::new(16, config(2), 8);
    c.run_rounds(5);
    let node = NodeId(3);
    c.crashed[node.index()] = true;
    c.rounds_until(100, |c| {
        c.others(node).all(|g| g.status(node) == Some(Status::Down))
    })
    .expect("declared down");
    let old = c.nodes[0].entry(node).unwrap().generation;

    c.crashed[node.index()] = false;
    let now = c.now();
    c.nodes[node.index()].restart(now);
    assert!(c.nodes[node.index()].entry(node).unwrap().generation > old);
    assert!(
        c.nodes[node.index()]
            .entry(node)
            .unwrap()
            .suspects
            .is_empty()
    );
    // Each view, from the moment it learns the new generation, must say
    // Alive, though its list may still carry suspicions of the old one.
    let mut old_suspicions_held = 0;
    let mut taken = None;
    for round in 1..=100 {
        c.run_round();
        for g in c.others(node) {
            if g.entry(node).unwrap().generation == old {
                continue;
            }
            assert_eq!(g.status(node), Some(Status::Alive), "in {}'s view", g.me());
            let stale = g.statuses().any(|(y, _)| {
                g.entry(y)
                    .unwrap()
                    .suspects
                    .iter()
                    .any(|&(x, generation, _)| x == node && generation == old)
            });
            old_suspicions_held += usize::from(stale);
        }
        if c.others(node)
            .all(|g| g.status(node) == Some(Status::Alive))
        {
            taken = Some(round);
            break;
        }
    }
    let taken = taken.expect("alive again");
    eprintln!("16 nodes: a restarted node is alive everywhere after {taken} rounds");
    assert!(taken <= log_bound(16), "{taken} rounds");
    assert!(old_suspicions_held > 0, "the test saw no stale suspicion");
    assert!(c.others(node).all(|g| g.looks_up(node)));
}

#[test]
fn garbage_does_not_panic() {
    let zero = Config {
        interval: SimTime::ZERO,
        fanout: 0,
        suspect_after: SimTime::ZERO,
        reporters: 0,
        protocol: Protocol::Heartbeats,
    };
    let me = NodeId(0);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut g = Gossip::new(
        me,
        zero,
        state(0),
        &[(me, Arc::new(state(5)))],
        vec![me],
        SimTime(0),
    );
    assert_eq!(g.tick(SimTime(1), &mut rng).0, vec![]);

    let huge = NodeId(u32::MAX);
    let digest = |node, generation, heartbeat, version| Digest {
        node,
        generation,
        heartbeat,
        version,
    };
    let garbage_update = |node, with_state: bool| Update {
        node,
        generation: u64::MAX,
        heartbeat: u64::MAX,
        suspects: Arc::from([(node, 0, 0), (me, u64::MAX, 0), (huge, 1, 1), (huge, 0, 0)]),
        version: u64::MAX,
        state: with_state.then(|| Arc::new(state(9))),
    };
    let stranger = NodeId(999);
    let messages = vec![
        GossipMsg::Syn { digests: vec![] },
        GossipMsg::Syn {
            digests: vec![
                digest(huge, 1, 2, 3),
                digest(me, u64::MAX, u64::MAX, u64::MAX),
                digest(stranger, 0, 0, 0),
                digest(huge, 5, 0, 0),
            ],
        },
        GossipMsg::Ack {
            updates: vec![],
            wants: vec![],
        },
        GossipMsg::Ack {
            updates: vec![
                garbage_update(NodeId(7), false),
                garbage_update(huge, true),
                garbage_update(me, true),
                garbage_update(me, false),
            ],
            wants: vec![
                digest(huge, 0, 0, 0),
                digest(NodeId(42), 1, 1, 1),
                digest(me, 9, 9, 9),
            ],
        },
        GossipMsg::Ack2 { updates: vec![] },
        GossipMsg::Ack2 {
            updates: vec![
                garbage_update(NodeId(7), true),
                garbage_update(stranger, false),
            ],
        },
    ];
    for msg in messages {
        let bytes = msg.wire_bytes();
        assert!(bytes > 0);
        g.on_message(SimTime(2), stranger, msg);
    }
    assert_eq!(g.status(me), Some(Status::Alive));
    assert_eq!(g.status(stranger), None);
    assert!(!g.looks_up(NodeId(12345)));
    // Suspected at once (suspect_after 0), and down with reporters 0 as 1.
    g.tick(SimTime(3), &mut rng);
    assert_eq!(g.status(huge), Some(Status::Down));
    g.declare(state(3));
    g.restart(SimTime(0));
    g.leave();
    g.tick(SimTime(4), &mut rng);
    assert_eq!(g.status(me), Some(Status::Left));

    // A spare whose only seed is itself has no one to talk to.
    let mut alone = Gossip::new(me, config(1), state(0), &[], vec![me, me], SimTime(0));
    assert!(alone.tick(SimTime(1), &mut rng).0.is_empty());
    assert_eq!(alone.members().count(), 1);
}

/// The one message of `out`, which must be for `to`, if any.
fn reply_to(to: NodeId, (out, _): (Vec<Outgoing>, Vec<Transition>)) -> Option<GossipMsg> {
    assert!(out.len() <= 1, "{out:?}");
    out.into_iter().next().map(|(at, msg)| {
        assert_eq!(at, to);
        msg
    })
}

#[test]
fn a_syn_exchange_carries_states_only_when_newer() {
    let mut c = Cluster::new(2, config(2), 10);
    let (a, b) = (NodeId(0), NodeId(1));
    c.round = 1;
    let now = c.now();
    let (out, _) = c.nodes[0].tick(now, &mut c.rng);
    assert_eq!(out.len(), 1);
    let (to, syn) = out.into_iter().next().unwrap();
    assert_eq!(to, b);
    // b holds a's configured entry (version 0): it wants a's, and sends its
    // own, with state, as a holds version 0 of it.
    let ack = reply_to(a, c.nodes[1].on_message(now, a, syn));
    let Some(GossipMsg::Ack { updates, wants }) = ack.clone() else {
        panic!("{ack:?}");
    };
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].node, b);
    assert!(updates[0].state.is_some());
    assert_eq!(wants.iter().map(|d| d.node).collect::<Vec<_>>(), [a]);
    let ack2 = reply_to(b, c.nodes[0].on_message(now, b, ack.unwrap()));
    let Some(GossipMsg::Ack2 { updates }) = ack2.clone() else {
        panic!("{ack2:?}");
    };
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].heartbeat, 1);
    assert!(updates[0].state.is_some());
    c.nodes[1].on_message(now, a, ack2.unwrap());
    for g in &c.nodes {
        assert_eq!(g.entry(a).unwrap().heartbeat, 1);
        assert_eq!(g.entry(a).unwrap().version, 1);
        assert_eq!(g.entry(b).unwrap().version, 1);
    }
    assert_eq!(c.nodes[0].sent_messages(), 2);
    assert_eq!(c.nodes[1].sent_messages(), 1);

    // Next time the states are equal: liveness only.
    c.round = 2;
    let now = c.now();
    c.nodes[1].tick(now, &mut c.rng);
    let (out, _) = c.nodes[0].tick(now, &mut c.rng);
    let (_, syn) = out.into_iter().next().unwrap();
    let Some(GossipMsg::Ack { updates, wants }) = reply_to(a, c.nodes[1].on_message(now, a, syn))
    else {
        panic!("an ack");
    };
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].state, None);
    assert_eq!(wants.len(), 1);
}

#[test]
fn wire_bytes_follow_the_model() {
    let d = Digest {
        node: NodeId(0),
        generation: 1,
        heartbeat: 2,
        version: 3,
    };
    assert_eq!(
        GossipMsg::Syn {
            digests: vec![d; 3]
        }
        .wire_bytes(),
        1 + 4 + 3 * 28
    );
    let with_state = Update {
        node: NodeId(0),
        generation: 1,
        heartbeat: 2,
        suspects: Arc::from([(NodeId(1), 0, 0), (NodeId(2), 0, 0)]),
        version: 3,
        state: Some(Arc::new(NodeState {
            left: false,
            region: 0,
            weight: 1,
            tokens: Arc::from([1, 2, 3]),
        })),
    };
    let bare = Update {
        state: None,
        ..with_state.clone()
    };
    let full = 28 + 2 * 20 + (1 + 4 + 4 + 4 + 3 * 8);
    let thin = 28 + 2 * 20 + 1;
    assert_eq!(
        GossipMsg::Ack {
            updates: vec![with_state.clone(), bare.clone()],
            wants: vec![d],
        }
        .wire_bytes(),
        1 + 4 + 4 + full + thin + 28
    );
    assert_eq!(GossipMsg::Ack2 { updates: vec![] }.wire_bytes(), 5);
}
