//! Unit tests of `Protocol::Swim` on the cluster harness of `tests`: what
//! the heartbeat protocol promises (crashes found, cuts between two nodes
//! forgiven, joins, leaves and restarts spread), plus SWIM's own promises:
//! a node wrongly suspected refutes it, a healed partition comes back, and
//! a round costs each node the same whatever the cluster's size.

use std::collections::BTreeSet;
use std::sync::Arc;

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::tests::{Cluster, INTERVAL, log_bound, state};
use super::*;
use crate::id::NodeId;
use crate::time::SimTime;

const SUSPECT_ROUNDS: u64 = 4;

fn swim(reporters: u32) -> Config {
    Config {
        interval: INTERVAL,
        fanout: 1,
        suspect_after: SimTime::from_secs(SUSPECT_ROUNDS),
        reporters,
        protocol: Protocol::Swim,
    }
}

fn downs(c: &Cluster) -> Vec<(NodeId, u64, Transition)> {
    c.seen
        .iter()
        .filter(|(_, _, t)| t.to == Status::Down)
        .copied()
        .collect()
}

#[test]
fn a_crashed_node_is_declared_down_everywhere() {
    let mut c = Cluster::new(16, swim(2), 2);
    c.run_rounds(10);
    assert_eq!(downs(&c), vec![]);
    let victim = NodeId(2);
    c.crashed[victim.index()] = true;
    let taken = c
        .rounds_until(100, |c| {
            c.others(victim)
                .all(|g| g.status(victim) == Some(Status::Down))
        })
        .expect("declared down");
    eprintln!("swim, 16 nodes: a crash is declared down everywhere after {taken} rounds");
    assert!(
        taken <= SUSPECT_ROUNDS + 2 * log_bound(16),
        "{taken} rounds"
    );
    for other in (0..16).map(NodeId).filter(|&n| n != victim) {
        assert_eq!(c.downs_of(other), 0, "{other} declared down falsely");
    }
    // Nobody was suspected but the victim, though it was probed by many.
    assert!(
        c.seen
            .iter()
            .all(|(_, _, t)| t.node == victim || t.to == Status::Alive)
    );
}

#[test]
fn one_suspecting_node_is_not_enough_for_two_reporters() {
    for (reporters, expected) in [(2, Status::Suspect), (1, Status::Down)] {
        let mut c = Cluster::new(2, swim(reporters), 3);
        c.run_rounds(3);
        c.crashed[1] = true;
        c.run_rounds(4 * SUSPECT_ROUNDS);
        assert_eq!(
            c.nodes[0].status(NodeId(1)),
            Some(expected),
            "reporters {reporters}"
        );
    }

    // An observer cut off from everyone suspects everyone it probes, but
    // declares no one down by itself; the many who suspect it do.
    let mut c = Cluster::new(8, swim(2), 4);
    c.run_rounds(3);
    let observer = NodeId(0);
    for i in 1..8 {
        c.cut_both_ways(observer, NodeId(i));
    }
    c.run_rounds(8 * SUSPECT_ROUNDS);
    let view = &c.nodes[observer.index()];
    assert!(view.statuses().all(|(_, s)| s != Status::Down));
    assert!(view.statuses().any(|(_, s)| s == Status::Suspect));
    assert!(
        c.others(observer)
            .all(|g| g.status(observer) == Some(Status::Down))
    );
}

#[test]
fn a_cut_between_two_nodes_is_bridged_by_indirect_probes() {
    let mut c = Cluster::new(8, swim(1), 5);
    c.cut_both_ways(NodeId(0), NodeId(1));
    c.run_rounds(60);
    assert_eq!(downs(&c), vec![]);
    assert!(
        c.nodes
            .iter()
            .all(|g| g.statuses().all(|(_, s)| s == Status::Alive))
    );
    // Node 0 did probe node 1 through others: a PingReq was sent.
    assert!(c.nodes.iter().map(Gossip::sent_messages).sum::<u64>() > 0);
}

#[test]
fn a_wrongly_suspected_node_refutes_with_a_new_incarnation() {
    let mut c = Cluster::new(16, swim(2), 11);
    c.run_rounds(3);
    let node = NodeId(5);
    // Silent for two rounds, far less than `suspect_after`.
    c.crashed[node.index()] = true;
    let suspected = c.rounds_until(30, |c| {
        c.others(node)
            .any(|g| g.status(node) == Some(Status::Suspect))
    });
    assert!(suspected.is_some(), "someone suspects the silent node");
    c.crashed[node.index()] = false;
    let taken = c
        .rounds_until(100, |c| {
            c.nodes
                .iter()
                .all(|g| g.status(node) == Some(Status::Alive))
        })
        .expect("alive again everywhere");
    assert!(taken <= log_bound(16), "{taken} rounds");
    assert!(
        c.nodes[0].entry(node).unwrap().heartbeat > 0,
        "a new incarnation"
    );
    assert_eq!(c.downs_of(node), 0);
}

#[test]
fn a_spare_joins_through_a_seed() {
    let n = 64;
    let mut c = Cluster::new(n, swim(2), 6);
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
    eprintln!("swim, 64 nodes: a spare is listed by every node after {taken} rounds");
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
fn a_leave_spreads_and_a_left_node_is_never_suspected() {
    let mut c = Cluster::new(16, swim(2), 7);
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
        assert_eq!(g.status(leaver), Some(Status::Left));
    }
    c.crashed[leaver.index()] = true;
    c.run_rounds(4 * SUSPECT_ROUNDS);
    assert!(
        c.others(leaver)
            .all(|g| g.status(leaver) == Some(Status::Left))
    );
    assert!(
        c.seen
            .iter()
            .all(|(_, _, t)| t.node != leaver || t.to != Status::Suspect)
    ); // Nor held suspect underneath its Left status.
    assert!(
        c.others(leaver)
            .all(|g| !g.probing.suspicions.contains_key(&leaver))
    );
}

#[test]
fn a_restarted_node_is_alive_again() {
    let mut c = Cluster::new(16, swim(2), 8);
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
    let taken = c
        .rounds_until(100, |c| {
            c.others(node)
                .all(|g| g.status(node) == Some(Status::Alive))
        })
        .expect("alive again");
    assert!(taken <= log_bound(16), "{taken} rounds");
    assert!(
        c.others(node)
            .all(|g| g.entry(node).unwrap().generation > old)
    );
}

#[test]
fn a_healed_partition_comes_back_alive() {
    let mut c = Cluster::new(12, swim(2), 12);
    c.run_rounds(3);
    for a in 0..6 {
        for b in 6..12 {
            c.cut_both_ways(NodeId(a), NodeId(b));
        }
    }
    c.rounds_until(200, |c| {
        c.nodes[0].status(NodeId(11)) == Some(Status::Down)
            && c.nodes[11].status(NodeId(0)) == Some(Status::Down)
    })
    .expect("each side declares the other down");
    c.cut.clear();
    let taken = c
        .rounds_until(200, |c| {
            c.nodes
                .iter()
                .all(|g| g.statuses().all(|(_, s)| s == Status::Alive))
        })
        .expect("everyone alive again");
    eprintln!("swim, 12 nodes: a healed partition is whole again after {taken} rounds");
    assert!(taken <= 2 * log_bound(12) + 10, "{taken} rounds");
}

/// Bytes each node sends per round once the cluster is quiet.
fn quiet_bytes_per_round(n: u32) -> f64 {
    let mut c = Cluster::new(n, swim(2), 13);
    c.run_rounds(10);
    let before: u64 = c.nodes.iter().map(Gossip::sent_bytes).sum();
    c.run_rounds(20);
    let after: u64 = c.nodes.iter().map(Gossip::sent_bytes).sum();
    (after - before) as f64 / f64::from(n) / 20.0
}

#[test]
fn a_round_costs_a_node_the_same_whatever_the_cluster_size() {
    let small = quiet_bytes_per_round(16);
    let large = quiet_bytes_per_round(256);
    eprintln!("swim: {small:.0} bytes a node a round at 16 nodes, {large:.0} at 256");
    // A ping and its ack, a summary now and then: no list travels.
    assert!(large < 100.0, "{large}");
    assert!(large < 1.5 * small, "{small} vs {large}");
}

#[test]
fn lists_that_agree_have_equal_summaries() {
    let mut c = Cluster::new(8, swim(2), 14);
    c.run_rounds(3);
    let summary = c.nodes[0].summary;
    assert!(c.nodes.iter().all(|g| g.summary == summary));
    c.nodes[2].leave();
    c.run_rounds(1);
    assert_ne!(c.nodes[2].summary, summary);
    c.run_rounds(20);
    let summary = c.nodes[0].summary;
    assert!(c.nodes.iter().all(|g| g.summary == summary));
}

#[test]
fn garbage_does_not_panic() {
    let me = NodeId(0);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let all: Vec<(NodeId, Arc<NodeState>)> =
        (0..3).map(|i| (NodeId(i), Arc::new(state(i)))).collect();
    let mut g = Gossip::new(me, swim(0), state(0), &all, vec![me], SimTime(0));
    let huge = NodeId(u32::MAX);
    let news = |node, rank| News {
        node,
        generation: u64::MAX,
        incarnation: u64::MAX,
        rank,
        suspecters: vec![node, huge, me, me],
        version: u64::MAX,
        state: Arc::new(state(9)),
    };
    let messages = vec![
        GossipMsg::Ping {
            seq: 0,
            origin: huge,
            news: vec![news(me, Rank::Dead), news(huge, Rank::Suspect)],
        },
        GossipMsg::PingReq {
            seq: 1,
            target: NodeId(77),
            news: vec![],
        },
        GossipMsg::PingReq {
            seq: 1,
            target: me,
            news: vec![],
        },
        GossipMsg::PingAck {
            seq: 9,
            origin: NodeId(88),
            target: huge,
            news: vec![news(NodeId(1), Rank::Dead)],
        },
        GossipMsg::Summary { hash: 0 },
        GossipMsg::Full {
            entries: vec![news(me, Rank::Suspect), news(NodeId(2), Rank::Alive)],
            answer: true,
        },
        GossipMsg::Syn { digests: vec![] },
    ];
    for msg in messages {
        assert!(msg.wire_bytes() > 0);
        let (out, _) = g.on_message(SimTime(2), NodeId(1), msg);
        // Never a message to a node it does not know.
        assert!(out.iter().all(|(to, _)| g.entry(*to).is_some()), "{out:?}");
    }
    assert_eq!(g.status(me), Some(Status::Alive));
    assert!(g.entry(me).unwrap().generation == u64::MAX);
    for t in 3..8 {
        g.tick(SimTime(t), &mut rng);
    }
    g.declare(state(3));
    g.restart(SimTime(0));
    g.leave();
    g.tick(SimTime(9), &mut rng);
    assert_eq!(g.status(me), Some(Status::Left));
}

fn rank() -> impl Strategy<Value = Rank> {
    prop_oneof![Just(Rank::Alive), Just(Rank::Suspect), Just(Rank::Dead)]
}

/// News about nodes n1..n3, with small counters so ties are common.
fn news() -> impl Strategy<Value = News> {
    (
        1..4u32,
        0..2u64,
        0..3u64,
        rank(),
        prop::collection::vec(0..4u32, 0..3),
        0..2u64,
        0..2u32,
    )
        .prop_map(
            |(node, generation, incarnation, rank, by, version, weight)| {
                let mut s = state(node);
                s.weight = weight;
                News {
                    node: NodeId(node),
                    generation,
                    incarnation,
                    rank,
                    suspecters: by.into_iter().map(NodeId).collect(),
                    version,
                    state: Arc::new(s),
                }
            },
        )
}

type Seen = Vec<(NodeId, Entry, Status)>;

fn after(news: &[News]) -> Seen {
    let mut g = Gossip::new(NodeId(0), swim(2), state(0), &[], vec![], SimTime(0));
    let (out, _) = g.on_message(
        SimTime(1),
        NodeId(1),
        GossipMsg::Full {
            entries: news.to_vec(),
            answer: false,
        },
    );
    assert!(out.is_empty());
    g.statuses()
        .map(|(node, status)| (node, g.entry(node).unwrap().clone(), status))
        .collect()
}

proptest! {
    /// A view ends the same whatever order the news arrives in: the
    /// liveness part is a join, as the state part is.
    #[test]
    fn news_merge_in_any_order(items in prop::collection::vec(news(), 0..10), seed in any::<u64>()) {
        let mut shuffled = items.clone();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        use rand::seq::SliceRandom;
        shuffled.shuffle(&mut rng);
        let mut reversed = items.clone();
        reversed.reverse();
        let once = after(&items);
        prop_assert_eq!(&once, &after(&shuffled));
        prop_assert_eq!(&once, &after(&reversed));
        // And learning it all twice changes nothing.
        let twice: Vec<News> = items.iter().chain(&items).cloned().collect();
        prop_assert_eq!(&once, &after(&twice));
    }
}

#[test]
fn a_ping_tells_a_suspected_target_so_it_refutes_at_once() {
    // Two nodes, reporters 2: the survivor suspects the silent one for
    // good, and has long stopped spreading that news when it comes back.
    let mut c = Cluster::new(2, swim(2), 15);
    c.run_rounds(2);
    c.crashed[1] = true;
    c.run_rounds(20);
    assert_eq!(c.nodes[0].status(NodeId(1)), Some(Status::Suspect));
    assert!(c.nodes[0].probing.queue.is_empty());
    c.crashed[1] = false;
    // The next ping carries the suspicion; its ack, the refutation.
    c.run_rounds(1);
    assert_eq!(c.nodes[0].status(NodeId(1)), Some(Status::Alive));
}

#[test]
fn a_node_that_missed_the_news_catches_up_by_reconciling() {
    let mut config = swim(2);
    config.suspect_after = SimTime::from_secs(1000);
    let mut c = Cluster::new(16, config, 16);
    c.run_rounds(3);
    let asleep = NodeId(5);
    c.crashed[asleep.index()] = true;
    let spare = c.add_spare(vec![NodeId(0)]);
    c.rounds_until(100, |c| {
        c.others(asleep)
            .all(|g| g.members().any(|(m, _)| m == spare) && g.probing.queue.is_empty())
    })
    .expect("the join spreads and its news is spent");
    c.crashed[asleep.index()] = false;
    let taken = c
        .rounds_until(100, |c| {
            c.nodes[asleep.index()].members().any(|(m, _)| m == spare)
        })
        .expect("the sleeper learns the spare");
    eprintln!("swim: a node that slept through a join learns it after {taken} rounds");
}

/// Messages each node sends per round once the cluster is quiet.
fn quiet_messages_per_round(n: u32) -> f64 {
    let mut c = Cluster::new(n, swim(2), 17);
    c.run_rounds(10);
    let before: u64 = c.nodes.iter().map(Gossip::sent_messages).sum();
    c.run_rounds(20);
    let after: u64 = c.nodes.iter().map(Gossip::sent_messages).sum();
    (after - before) as f64 / f64::from(n) / 20.0
}

#[test]
fn a_quiet_round_is_a_ping_an_ack_and_a_summary_every_fifth_round() {
    let per_round = quiet_messages_per_round(32);
    // 1 ping + 1 ack + 1/5 summary; no list differs, so no Full.
    assert!((per_round - 2.2).abs() < 0.05, "{per_round}");
}

#[test]
fn an_ack_counts_only_for_the_probe_it_answers() {
    let all: Vec<(NodeId, Arc<NodeState>)> =
        (0..3).map(|i| (NodeId(i), Arc::new(state(i)))).collect();
    let mut g = Gossip::new(NodeId(0), swim(2), state(0), &all, vec![], SimTime(0));
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let (out, _) = g.tick(SimTime(1_000), &mut rng);
    let Some((target, GossipMsg::Ping { seq, .. })) = out.into_iter().next() else {
        panic!("a ping");
    };
    // An ack of another probe (another number, or another target).
    for (seq, target) in [(seq + 99, target), (seq, NodeId(7))] {
        let ack = GossipMsg::PingAck {
            seq,
            origin: NodeId(0),
            target,
            news: vec![],
        };
        g.on_message(SimTime(1_500), target, ack);
    }
    let (out, _) = g.tick(SimTime(2_000), &mut rng);
    assert!(
        out.iter()
            .any(|(_, m)| matches!(m, GossipMsg::PingReq { target: t, .. } if *t == target)),
        "the probe is still unanswered: {out:?}"
    );
    // Probes are numbered apart.
    let mut g2 = Gossip::new(NodeId(0), swim(2), state(0), &all, vec![], SimTime(0));
    let mut seqs = Vec::new();
    for round in 1..6u64 {
        let (out, _) = g2.tick(SimTime(round * 1_000), &mut rng);
        for (to, msg) in out {
            if let GossipMsg::Ping { seq, .. } = msg {
                seqs.push(seq);
                let ack = GossipMsg::PingAck {
                    seq,
                    origin: NodeId(0),
                    target: to,
                    news: vec![],
                };
                g2.on_message(SimTime(round * 1_000 + 1), to, ack);
            }
        }
    }
    let mut distinct = seqs.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), seqs.len(), "{seqs:?}");
    assert_eq!(seqs.len(), 5);
}

#[test]
fn indirect_probes_go_to_other_live_nodes() {
    let all: Vec<(NodeId, Arc<NodeState>)> =
        (0..6).map(|i| (NodeId(i), Arc::new(state(i)))).collect();
    let mut g = Gossip::new(NodeId(0), swim(1), state(0), &all, vec![], SimTime(0));
    // Node 5 is dead here; node 4 left.
    let dead = News {
        node: NodeId(5),
        generation: 0,
        incarnation: 0,
        rank: Rank::Dead,
        suspecters: vec![],
        version: 0,
        state: Arc::new(state(5)),
    };
    g.on_message(
        SimTime(1),
        NodeId(1),
        GossipMsg::Full {
            entries: vec![dead],
            answer: false,
        },
    );
    let mut left = state(4);
    left.left = true;
    let news = News {
        node: NodeId(4),
        generation: 0,
        incarnation: 0,
        rank: Rank::Alive,
        suspecters: vec![],
        version: 1,
        state: Arc::new(left),
    };
    g.on_message(
        SimTime(1),
        NodeId(1),
        GossipMsg::Full {
            entries: vec![news],
            answer: false,
        },
    );
    assert_eq!(g.status(NodeId(5)), Some(Status::Down));
    assert_eq!(g.status(NodeId(4)), Some(Status::Left));
    let alive = [NodeId(1), NodeId(2), NodeId(3)];
    for seed in 0..20 {
        let mut g = g.clone();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (out, _) = g.tick(SimTime(1_000), &mut rng);
        let Some(&(target, _)) = out
            .iter()
            .find(|(_, m)| matches!(m, GossipMsg::Ping { .. }))
        else {
            panic!("a ping: {out:?}");
        };
        // No answer: the next round asks the other live nodes.
        let (out, _) = g.tick(SimTime(2_000), &mut rng);
        let helpers: Vec<NodeId> = out
            .iter()
            .filter(|(_, m)| matches!(m, GossipMsg::PingReq { .. }))
            .map(|(to, _)| *to)
            .collect();
        if !alive.contains(&target) {
            continue;
        }
        assert_eq!(helpers.len(), 2, "{helpers:?}");
        assert!(
            helpers.iter().all(|h| alive.contains(h) && *h != target),
            "{target}: {helpers:?}"
        );
    }
}

#[test]
fn a_node_finds_its_last_live_peer_among_many_that_left() {
    // 64 nodes, all but nodes 0 and 9 gone: a few random draws of the list
    // miss node 9, and the draw falls back to a pass over the list.
    let all: Vec<(NodeId, Arc<NodeState>)> = (0..64)
        .map(|i| {
            let mut s = state(i);
            s.left = i != 0 && i != 9;
            (NodeId(i), Arc::new(s))
        })
        .collect();
    for seed in 0..20 {
        let mut g = Gossip::new(NodeId(0), swim(2), state(0), &all, vec![], SimTime(0));
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (out, _) = g.tick(SimTime(1_000), &mut rng);
        let pinged: Vec<NodeId> = out
            .iter()
            .filter(|(_, m)| matches!(m, GossipMsg::Ping { .. }))
            .map(|(to, _)| *to)
            .collect();
        assert_eq!(pinged, vec![NodeId(9)], "seed {seed}: {out:?}");
    }
}

#[test]
fn views_that_start_alike_share_one_list_and_behave_as_fresh_ones() {
    let all: Vec<(NodeId, Arc<NodeState>)> =
        (0..100).map(|i| (NodeId(i), Arc::new(state(i)))).collect();
    let cache = StartCache::default();
    let start = |me: u32, known: &[(NodeId, Arc<NodeState>)]| {
        Gossip::starting(
            NodeId(me),
            swim(2),
            state(me),
            known,
            vec![],
            SimTime(0),
            &cache,
        )
    };
    let a = start(3, &all);
    let b = start(7, &all);
    assert!(b.known.shares_all_with(&a.known));
    let fresh = Gossip::new(NodeId(7), swim(2), state(7), &all, vec![], SimTime(0));
    assert_eq!(b.me(), NodeId(7));
    assert_eq!(b.summary, fresh.summary);
    assert!(b.known.iter().zip(fresh.known.iter()).all(|(x, y)| x == y));
    assert_eq!(
        b.statuses().collect::<Vec<_>>(),
        fresh.statuses().collect::<Vec<_>>()
    );
    // Its own entry is where `new` puts it: a write to it is its own.
    let mut b = b;
    b.leave();
    assert_eq!(b.status(NodeId(7)), Some(Status::Left));
    assert_eq!(a.status(NodeId(7)), Some(Status::Alive));
    // Another starting list (a node declares other tokens) is not shared.
    let mut other = all.clone();
    other[6].1 = Arc::new(state(66));
    let c = start(5, &other);
    assert!(!c.known.shares_all_with(&a.known));
    assert_eq!(c.entry(NodeId(6)).unwrap().state.tokens[..], [66_000]);
    assert_eq!(c.known.len(), 100);
    // Heartbeat views are never shared.
    let mut hb = swim(2);
    hb.protocol = Protocol::Heartbeats;
    let d = Gossip::starting(
        NodeId(1),
        hb.clone(),
        state(1),
        &all,
        vec![],
        SimTime(0),
        &cache,
    );
    let e = Gossip::starting(NodeId(2), hb, state(2), &all, vec![], SimTime(0), &cache);
    assert!(!d.known.shares_all_with(&e.known));
}

#[test]
fn news_is_piggybacked_three_times_log2_of_the_list() {
    // 15 nodes: 3 · log2(15 + 1) = 12 sends of the news, then it is spent.
    let all: Vec<(NodeId, Arc<NodeState>)> =
        (0..15).map(|i| (NodeId(i), Arc::new(state(i)))).collect();
    let mut g = Gossip::new(NodeId(0), swim(2), state(0), &all, vec![], SimTime(0));
    g.leave();
    let mut carried = 0;
    for i in 0..40 {
        let ping = GossipMsg::Ping {
            seq: i,
            origin: NodeId(1),
            news: vec![],
        };
        let (out, _) = g.on_message(SimTime(1), NodeId(1), ping);
        let Some((_, GossipMsg::PingAck { news, .. })) = out.into_iter().next() else {
            panic!("an ack");
        };
        carried += usize::from(news.iter().any(|n| n.node == NodeId(0)));
    }
    assert_eq!(carried, 12);
}

#[test]
fn a_failed_probe_asks_three_others_at_most() {
    // Nodes 0 and five others alive among 64, the rest gone: the draw of
    // helpers falls back to a pass over the list, and stops at three.
    let alive = [0, 9, 19, 29, 39, 49];
    let all: Vec<(NodeId, Arc<NodeState>)> = (0..64)
        .map(|i| {
            let mut s = state(i);
            s.left = !alive.contains(&i);
            (NodeId(i), Arc::new(s))
        })
        .collect();
    for seed in 0..20 {
        let mut g = Gossip::new(NodeId(0), swim(2), state(0), &all, vec![], SimTime(0));
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        g.tick(SimTime(1_000), &mut rng);
        let (out, _) = g.tick(SimTime(2_000), &mut rng);
        let asked = out
            .iter()
            .filter(|(_, m)| matches!(m, GossipMsg::PingReq { .. }))
            .count();
        assert_eq!(asked, 3, "seed {seed}: {out:?}");
    }
}

#[test]
fn a_ping_carries_each_news_item_once() {
    let all: Vec<(NodeId, Arc<NodeState>)> =
        (0..3).map(|i| (NodeId(i), Arc::new(state(i)))).collect();
    let news = |node: u32, rank, version| News {
        node: NodeId(node),
        generation: 0,
        incarnation: 0,
        rank,
        suspecters: vec![NodeId(2)],
        version,
        state: Arc::new(state(node)),
    };
    let mut targets = BTreeSet::new();
    for seed in 0..12 {
        let mut g = Gossip::new(NodeId(0), swim(2), state(0), &all, vec![], SimTime(0));
        // News of node 1 suspected and of node 2's new state, both queued.
        let entries = vec![news(1, Rank::Suspect, 0), news(2, Rank::Alive, 1)];
        g.on_message(
            SimTime(1),
            NodeId(2),
            GossipMsg::Full {
                entries,
                answer: false,
            },
        );
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (out, _) = g.tick(SimTime(1_000), &mut rng);
        let Some((to, GossipMsg::Ping { news, .. })) = out.into_iter().next() else {
            panic!("a ping");
        };
        targets.insert(to);
        let mut about: Vec<NodeId> = news.iter().map(|n| n.node).collect();
        about.sort_unstable();
        assert_eq!(about, [NodeId(1), NodeId(2)], "to {to}");
    }
    assert_eq!(targets.len(), 2, "both peers were pinged");
}

#[test]
fn a_probe_of_a_node_that_left_meanwhile_suspects_nothing() {
    let all: Vec<(NodeId, Arc<NodeState>)> =
        (0..2).map(|i| (NodeId(i), Arc::new(state(i)))).collect();
    let mut g = Gossip::new(NodeId(0), swim(1), state(0), &all, vec![], SimTime(0));
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let (out, _) = g.tick(SimTime(1_000), &mut rng);
    assert!(matches!(out[..], [(to, GossipMsg::Ping { .. })] if to == NodeId(1)));
    let mut left = state(1);
    left.left = true;
    let news = News {
        node: NodeId(1),
        generation: 0,
        incarnation: 0,
        rank: Rank::Alive,
        suspecters: vec![],
        version: 1,
        state: Arc::new(left),
    };
    let full = GossipMsg::Full {
        entries: vec![news],
        answer: false,
    };
    g.on_message(SimTime(1_500), NodeId(1), full);
    // The probe goes unanswered (no helper to ask): not a suspect.
    g.tick(SimTime(2_000), &mut rng);
    g.tick(SimTime(3_000), &mut rng);
    assert_eq!(g.status(NodeId(1)), Some(Status::Left));
    assert!(g.probing.suspicions.is_empty());
}

/// A view of nodes 0..4 as node 0, with SWIM and two reporters.
fn view_of_four() -> Gossip {
    let all: Vec<(NodeId, Arc<NodeState>)> =
        (0..4).map(|i| (NodeId(i), Arc::new(state(i)))).collect();
    Gossip::new(NodeId(0), swim(2), state(0), &all, vec![], SimTime(0))
}

fn hear(g: &mut Gossip, at: u64, entries: Vec<News>) {
    let full = GossipMsg::Full {
        entries,
        answer: false,
    };
    g.on_message(SimTime(at), NodeId(3), full);
}

fn about(node: u32, incarnation: u64, rank: Rank, by: &[u32], version: u64) -> News {
    News {
        node: NodeId(node),
        generation: 0,
        incarnation,
        rank,
        suspecters: by.iter().copied().map(NodeId).collect(),
        version,
        state: Arc::new(state(node)),
    }
}

#[test]
fn suspicions_of_an_older_incarnation_do_not_count() {
    let mut g = view_of_four();
    hear(&mut g, 1, vec![about(1, 2, Rank::Suspect, &[2], 0)]);
    hear(&mut g, 2, vec![about(1, 1, Rank::Suspect, &[3], 0)]);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    g.tick(SimTime::from_secs(2 * SUSPECT_ROUNDS), &mut rng);
    assert_eq!(g.status(NodeId(1)), Some(Status::Suspect));
    // A second suspecter of the current incarnation does count.
    hear(&mut g, 3, vec![about(1, 2, Rank::Suspect, &[3], 0)]);
    g.tick(SimTime::from_secs(3 * SUSPECT_ROUNDS), &mut rng);
    assert_eq!(g.status(NodeId(1)), Some(Status::Down));
}

#[test]
fn a_new_suspecter_is_news_again() {
    let mut g = view_of_four();
    hear(&mut g, 1, vec![about(1, 0, Rank::Suspect, &[2], 0)]);
    // Spend the news: enough pings answered.
    for seq in 0..40 {
        let ping = GossipMsg::Ping {
            seq,
            origin: NodeId(2),
            news: vec![],
        };
        g.on_message(SimTime(2), NodeId(2), ping);
    }
    assert!(g.probing.queue.is_empty());
    hear(&mut g, 3, vec![about(1, 0, Rank::Suspect, &[3], 0)]);
    assert_eq!(g.probing.queue, vec![(NodeId(1), 0)]);
}

#[test]
fn news_of_self_with_a_newer_or_other_state_is_outranked() {
    let mut g = view_of_four();
    let mut relic = about(0, 0, Rank::Alive, &[], 5);
    relic.state = Arc::new(state(9));
    hear(&mut g, 1, vec![relic.clone()]);
    assert_eq!(g.entry(NodeId(0)).unwrap().version, 6);
    assert_eq!(*g.entry(NodeId(0)).unwrap().state, state(0));
    relic.version = 6;
    hear(&mut g, 2, vec![relic]);
    assert_eq!(g.entry(NodeId(0)).unwrap().version, 7);
    // The same state at an older version is no news.
    hear(&mut g, 3, vec![about(0, 0, Rank::Alive, &[], 1)]);
    assert_eq!(g.entry(NodeId(0)).unwrap().version, 7);
}

#[test]
fn a_restart_forgets_every_suspicion_and_death() {
    let mut g = view_of_four();
    hear(
        &mut g,
        1,
        vec![
            about(1, 0, Rank::Dead, &[], 0),
            about(2, 0, Rank::Suspect, &[3], 0),
        ],
    );
    assert_eq!(g.status(NodeId(1)), Some(Status::Down));
    assert_eq!(g.status(NodeId(2)), Some(Status::Suspect));
    g.restart(SimTime(5));
    assert!(g.statuses().all(|(_, s)| s == Status::Alive));
    assert!(g.probing.suspicions.is_empty());
}

#[test]
fn a_summary_tells_incarnations_apart() {
    let mut summaries: Vec<u64> = (0..32)
        .map(|incarnation| {
            let mut g = view_of_four();
            hear(&mut g, 1, vec![about(1, incarnation, Rank::Alive, &[], 0)]);
            g.summary
        })
        .collect();
    summaries.sort_unstable();
    summaries.dedup();
    assert_eq!(summaries.len(), 32);
}
