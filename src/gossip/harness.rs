//! The gossip tests' cluster: `Gossip`s in a vector, every node ticking
//! once a round and the messages (and what they cause) delivered within
//! the round, in order, over links a test may cut or a node it may crash.
//! Shared by the heartbeat tests (`tests`) and SWIM's (`swim_tests`).

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::id::NodeId;
use crate::time::SimTime;

pub(super) const INTERVAL: SimTime = SimTime::from_secs(1);
pub(super) fn state(node: u32) -> NodeState {
    NodeState {
        left: false,
        region: 0,
        weight: 1,
        tokens: Arc::from([u64::from(node) * 1000]),
    }
}

/// O(log n) with a generous constant: 3·log2(n) rounds.
pub(super) fn log_bound(n: usize) -> u64 {
    3 * u64::from(n.ilog2())
}

pub(super) struct Cluster {
    pub(super) nodes: Vec<Gossip>,
    pub(super) rng: ChaCha8Rng,
    pub(super) round: u64,
    pub(super) crashed: Vec<bool>,
    /// Directed links that drop everything.
    pub(super) cut: BTreeSet<(NodeId, NodeId)>,
    /// Every transition any view reported: (viewer, round, transition).
    pub(super) seen: Vec<(NodeId, u64, Transition)>,
}

impl Cluster {
    /// `n` nodes that all know each other, started at time 0.
    pub(super) fn new(n: u32, config: Config, seed: u64) -> Cluster {
        let all: Vec<(NodeId, Arc<NodeState>)> =
            (0..n).map(|i| (NodeId(i), Arc::new(state(i)))).collect();
        let nodes = (0..n)
            .map(|i| {
                let seeds = vec![NodeId(0)];
                Gossip::new(NodeId(i), config.clone(), state(i), &all, seeds, SimTime(0))
            })
            .collect();
        Cluster {
            nodes,
            rng: ChaCha8Rng::seed_from_u64(seed),
            round: 0,
            crashed: vec![false; n as usize],
            cut: BTreeSet::new(),
            seen: Vec::new(),
        }
    }

    /// A spare that knows nobody but its seeds.
    pub(super) fn add_spare(&mut self, seeds: Vec<NodeId>) -> NodeId {
        let me = NodeId(self.nodes.len() as u32);
        let config = self.nodes[0].config().clone();
        let g = Gossip::new(me, config, state(me.0), &[], seeds, self.now());
        self.nodes.push(g);
        self.crashed.push(false);
        me
    }

    pub(super) fn now(&self) -> SimTime {
        SimTime(self.round * INTERVAL.0)
    }

    pub(super) fn cut_both_ways(&mut self, a: NodeId, b: NodeId) {
        self.cut.insert((a, b));
        self.cut.insert((b, a));
    }

    pub(super) fn delivers(&self, from: NodeId, to: NodeId) -> bool {
        let up = |n: NodeId| self.crashed.get(n.index()) == Some(&false);
        up(from) && up(to) && !self.cut.contains(&(from, to))
    }

    pub(super) fn run_round(&mut self) {
        self.round += 1;
        let now = self.now();
        let mut queue = VecDeque::new();
        for (i, node) in self.nodes.iter_mut().enumerate() {
            if self.crashed[i] {
                continue;
            }
            let (out, changes) = node.tick(now, &mut self.rng);
            let me = node.me();
            self.seen
                .extend(changes.into_iter().map(|t| (me, self.round, t)));
            queue.extend(out.into_iter().map(|(to, msg)| (me, to, msg)));
        }
        while let Some((from, to, msg)) = queue.pop_front() {
            if !self.delivers(from, to) {
                continue;
            }
            let (out, changes) = self.nodes[to.index()].on_message(now, from, msg);
            self.seen
                .extend(changes.into_iter().map(|t| (to, self.round, t)));
            queue.extend(out.into_iter().map(|(next, msg)| (to, next, msg)));
        }
        // The per-id status table agrees with the list.
        for g in &self.nodes {
            assert!(
                g.statuses().all(|(n, s)| g.status(n) == Some(s)),
                "{}",
                g.me()
            );
        }
    }

    pub(super) fn run_rounds(&mut self, rounds: u64) {
        for _ in 0..rounds {
            self.run_round();
        }
    }

    /// Runs rounds until `done` holds, at most `limit`; how many it took.
    pub(super) fn rounds_until(
        &mut self,
        limit: u64,
        done: impl Fn(&Cluster) -> bool,
    ) -> Option<u64> {
        for taken in 1..=limit {
            self.run_round();
            if done(self) {
                return Some(taken);
            }
        }
        None
    }

    /// The nodes still running, but for `except`.
    pub(super) fn others(&self, except: NodeId) -> impl Iterator<Item = &Gossip> {
        self.nodes
            .iter()
            .enumerate()
            .filter(move |&(i, g)| !self.crashed[i] && g.me() != except)
            .map(|(_, g)| g)
    }

    pub(super) fn downs_of(&self, node: NodeId) -> usize {
        self.seen
            .iter()
            .filter(|(_, _, t)| t.node == node && t.to == Status::Down)
            .count()
    }
}
