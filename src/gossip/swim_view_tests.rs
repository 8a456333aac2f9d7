//! Unit tests of `Protocol::Swim` on one view at a time: what a view
//! sends for the messages and ticks a test hands it (probes, relays,
//! piggybacked news, the retransmit count, refutation, sharing a starting
//! list), the merge of news as a join, and garbage from the wire.

use std::collections::BTreeSet;
use std::sync::Arc;

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::harness::state;
use super::swim_tests::{SUSPECT_ROUNDS, swim};
use super::*;
use crate::id::NodeId;
use crate::time::SimTime;

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
