//! Unit tests of `Protocol::Swim` on the cluster of `harness`: what
//! the heartbeat protocol promises (crashes found, cuts between two nodes
//! forgiven, joins, leaves and restarts spread), plus SWIM's own promises:
//! a node wrongly suspected refutes it, a healed partition comes back, and
//! a round costs each node the same whatever the cluster's size.

use super::harness::{Cluster, INTERVAL, log_bound};
use super::*;
use crate::id::NodeId;
use crate::time::SimTime;

pub(super) const SUSPECT_ROUNDS: u64 = 4;

pub(super) fn swim(reporters: u32) -> Config {
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
