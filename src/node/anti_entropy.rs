//! The node's side of Merkle anti-entropy (paper §4.7): a tree per key
//! range it replicates, kept current from the store's change journal, and
//! every `anti_entropy.interval` `ranges_per_exchange` ranges compared,
//! each with another replica of it. The comparison itself is `merkle`'s; this file picks the range
//! and the peer, and ships the states of the keys found divergent, which
//! the receiver merges as it would any replica's state.
//!
//! The trees are memory: a crash loses them and a restart rebuilds them
//! from the disk, as does a change of the ring view (the ranges change).

use super::{DynamoNode, MerkleExchange, Msg, Timer};
use crate::actor::Outbox;
use crate::id::{Endpoint, Key, NodeId};
use crate::merkle::{self, AeMsg, Forest, Next};
use crate::ring::{KeyRange, Ring};
use crate::time::SimTime;
use crate::version::Siblings;
use rand::Rng;

/// How long a node's full anti-entropy pass takes on `ring` at the
/// slowest node: every (range, peer) pair a node replicates comes up once
/// in `pairs / ranges_per_exchange` intervals (rounded up), where `pairs`
/// counts, over the ranges it is among the top `n` of, the other replicas
/// of each. Six nodes with 32 tokens each, N=3, one range an exchange
/// every 5 s: about 96 ranges × 2 peers, 16 minutes.
pub fn full_pass(ring: &Ring, n: usize, interval: SimTime, ranges_per_exchange: u32) -> SimTime {
    let mut pairs: Vec<u64> = Vec::new();
    for i in 0..ring.range_count() {
        let list = ring.range_preference_list(i);
        let replicas = &list[..n.min(list.len())];
        for node in replicas {
            if pairs.len() <= node.index() {
                pairs.resize(node.index() + 1, 0);
            }
            pairs[node.index()] += replicas.len().saturating_sub(1) as u64;
        }
    }
    let most = pairs.into_iter().max().unwrap_or(0);
    let per = u64::from(ranges_per_exchange.max(1));
    SimTime(interval.0.saturating_mul(most.div_ceil(per)))
}

impl DynamoNode {
    /// The ranges this node replicates in its view, sorted by end.
    fn replicated_ranges(&self) -> Vec<KeyRange> {
        // Range indices ascend, and so do their ends.
        let ring = self.directory.ring();
        ring.replicated_ranges(self.id)
            .map(|i| ring.range(i))
            .collect()
    }

    /// Builds the trees from the disk: at start, after a restart, and when
    /// the ring view changes.
    pub(super) fn rebuild_forest(&mut self) {
        let Some(config) = self.config.anti_entropy else {
            return;
        };
        let mut forest = Forest::new(config.tree_depth, self.replicated_ranges());
        for (key, state) in self.store.iter() {
            let digest = (!state.is_empty()).then(|| state.digest());
            forest.update(key, self.directory.position(key), digest);
        }
        self.store.track_changes(true);
        self.forest = Some(forest);
    }

    /// Brings the trees up to date with every key written since the last
    /// call: each changed key is rehashed once, however often it changed.
    fn refresh_trees(&mut self) {
        let Some(forest) = &mut self.forest else {
            return;
        };
        let mut changed = self.store.take_changed();
        changed.sort_unstable();
        changed.dedup();
        for key in changed {
            let digest = self
                .store
                .get(key)
                .filter(|s| !s.is_empty())
                .map(Siblings::digest);
            forest.update(key, self.directory.position(key), digest);
        }
    }

    /// Starts anti-entropy: trees built, first comparison at a random
    /// offset so the nodes do not all compare at once.
    pub(super) fn start_anti_entropy(&mut self, out: &mut impl Outbox<Msg, Timer>) {
        let Some(config) = self.config.anti_entropy else {
            return;
        };
        self.rebuild_forest();
        // Nodes start at different ranges and times, so the replicas of one
        // range do not all compare it at once.
        self.ae_turn = self.rng.random_range(0..1 << 16);
        let offset = SimTime(self.rng.random_range(0..config.interval.0.max(1)));
        out.set_timer(offset, Timer::AntiEntropy);
    }

    /// Compares `ranges_per_exchange` replicated ranges, each with another
    /// replica of it that looks reachable, taking (range, peer) pairs in
    /// turn: every pair comes up within ranges × (N-1) /
    /// `ranges_per_exchange` intervals ([`full_pass`]), where random draws
    /// would leave a coupon collector's tail of pairs unvisited for a long
    /// time.
    pub(super) fn anti_entropy_tick(&mut self, now: SimTime, out: &mut impl Outbox<Msg, Timer>) {
        let Some(config) = self.config.anti_entropy else {
            return;
        };
        out.set_timer(config.interval, Timer::AntiEntropy);
        self.refresh_trees();
        let Some(forest) = &self.forest else {
            return;
        };
        let ranges: Vec<KeyRange> = forest.ranges().collect();
        if ranges.is_empty() {
            return;
        }
        // More turns than (range, peer) pairs would compare a pair twice.
        let pairs = ranges.len() * self.config.n.saturating_sub(1).max(1);
        let turns = (config.ranges_per_exchange as usize).clamp(1, pairs);
        let mut started = Vec::with_capacity(turns);
        for _ in 0..turns {
            let turn = self.ae_turn;
            self.ae_turn = self.ae_turn.wrapping_add(1);
            let range = ranges[turn % ranges.len()];
            let ring = self.directory.ring();
            let list = ring.range_preference_list(ring.range_index(range.end));
            let peers: Vec<NodeId> = list[..self.config.n.min(list.len())]
                .iter()
                .copied()
                .filter(|&p| p != self.id && self.reachable(p, now))
                .collect();
            if peers.is_empty() {
                continue;
            }
            let peer = peers[(turn / ranges.len()) % peers.len()];
            if let Some(msg) = merkle::start(forest, range) {
                started.push((peer, msg));
            }
        }
        for (peer, msg) in started {
            self.stats.ae_exchanges += 1;
            self.send_ae(peer, msg, 0, out);
        }
    }

    /// Sends one step of an exchange in which `hashes_before` hashes were
    /// sent so far.
    fn send_ae(
        &mut self,
        to: NodeId,
        step: AeMsg,
        hashes_before: u64,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        let hashes = step.hashes();
        self.stats.ae_hashes_sent += hashes;
        let hashes_so_far = hashes_before + hashes;
        out.send(
            Endpoint::Node(to),
            Msg::AntiEntropy {
                step: Box::new(step),
                hashes_so_far,
            },
        );
    }

    pub(super) fn on_anti_entropy(
        &mut self,
        from: NodeId,
        msg: AeMsg,
        hashes_so_far: u64,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        self.refresh_trees();
        let Some(forest) = &self.forest else {
            return;
        };
        let next = merkle::respond(forest, &msg);
        if out.tracing() {
            self.note_exchange(from, &msg, &next, out);
        }
        match next {
            Next::Reply(reply) => self.send_ae(from, reply, hashes_so_far, out),
            Next::Agree => self.merkle_exchanges.push(MerkleExchange {
                divergent_keys: 0,
                hashes: hashes_so_far,
            }),
            Next::Sync { push, pull } => {
                // A key whose digests differ is in both lists; count it once.
                let only_pulled = pull.iter().filter(|k| push.binary_search(k).is_err());
                self.merkle_exchanges.push(MerkleExchange {
                    divergent_keys: (push.len() + only_pulled.count()) as u64,
                    hashes: hashes_so_far,
                });
                let states = self.states_of(&push);
                self.stats.ae_keys_sent += states.len() as u64;
                out.send(Endpoint::Node(from), Msg::AeStates { states, want: pull });
            }
            Next::Unknown => {}
        }
    }

    /// Divergent keys' states from a peer: merged like any replica's; the
    /// keys it asked for go back.
    pub(super) fn on_ae_states(
        &mut self,
        from: NodeId,
        states: Vec<(Key, Siblings)>,
        want: Vec<Key>,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        let mode = self.config.mode;
        for (key, state) in &states {
            let effect = self.store.merge(mode, *key, state);
            self.stats.false_conflicts += u64::from(effect.false_conflicts);
            if effect.changed {
                self.after_replica_write(*key, out);
                if out.tracing() {
                    Self::note_stored(out, *key, self.store.get(*key), "anti-entropy", None);
                }
            }
        }
        if !want.is_empty() {
            let states = self.states_of(&want);
            self.stats.ae_keys_sent += states.len() as u64;
            out.send(
                Endpoint::Node(from),
                Msg::AeStates {
                    states,
                    want: Vec::new(),
                },
            );
        }
    }

    /// Traces the end of an exchange as this node saw it: the trees agree
    /// (at the root or at the leaves), or the differing leaves' keys are
    /// known and about to be synced. `range` is the range's index in this
    /// node's ring; `keys` counts the keys either side sends.
    fn note_exchange(
        &self,
        from: NodeId,
        msg: &AeMsg,
        next: &Next,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        let (differ, keys) = match (msg, next) {
            (AeMsg::Keys { leaves, .. }, Next::Sync { push, pull }) => {
                let mut keys: Vec<Key> = push.iter().chain(pull).copied().collect();
                keys.sort_unstable();
                keys.dedup();
                (leaves.len() as u64, keys.len() as u64)
            }
            (_, Next::Agree) => (0, 0),
            _ => return,
        };
        let range = msg.range();
        let leaves = self
            .forest
            .as_ref()
            .and_then(|f| f.tree(range))
            .map_or(0, |t| u64::from(t.leaf_count()));
        let index = self.directory.ring().range_index(range.end) as u64;
        out.note("ae-exchange", |f| {
            f.node("peer", from)
                .u64("range", index)
                .u64("leaves_differ", differ)
                .u64("leaves", leaves)
                .u64("keys", keys);
        });
    }

    fn states_of(&self, keys: &[Key]) -> Vec<(Key, Siblings)> {
        keys.iter()
            .filter_map(|&k| self.store.get(k).map(|s| (k, s.clone())))
            .collect()
    }
}

#[cfg(test)]
mod full_pass_tests {
    use super::full_pass;
    use crate::id::NodeId;
    use crate::ring::{Layout, NodeSpec, Placement, Ring, RingSpec, Strategy};
    use crate::time::SimTime;

    /// The ring a scenario's default cluster builds (random tokens, 256
    /// partitions, clockwise, N=3, seed 1) with `nodes` and `vnodes`.
    fn ring(nodes: u32, vnodes: u32) -> Ring {
        let spec = RingSpec {
            strategy: Strategy::RandomTokens,
            vnodes,
            partitions: 256,
            placement: Placement::Clockwise,
            n: 3,
            seed: 1,
        };
        let members: Vec<NodeSpec> = (0..nodes).map(|i| NodeSpec::plain(NodeId(i))).collect();
        Layout::initial(&spec, &members).ring(&spec)
    }

    #[test]
    fn a_full_pass_is_every_range_with_every_other_replica() {
        let five = SimTime::from_secs(5);
        // Three nodes, N=3: each replicates all 96 ranges, each with two
        // peers, one pair an interval.
        let three = ring(3, 32);
        assert_eq!(
            full_pass(&three, 3, five, 1),
            SimTime::from_secs(96 * 2 * 5)
        );
        // Several ranges an exchange: that many fewer intervals, rounded up.
        assert_eq!(full_pass(&three, 3, five, 4), SimTime::from_secs(48 * 5));
        assert_eq!(full_pass(&three, 3, five, 5), SimTime::from_secs(39 * 5));
        assert_eq!(full_pass(&three, 3, five, 1000), five);
        // The figure: six nodes, 32 tokens, 5 s: about 16 minutes
        // at the slowest node (96 ranges on average, 2 peers each).
        let six = full_pass(&ring(6, 32), 3, five, 1);
        assert!(
            (SimTime::from_secs(14 * 60)..SimTime::from_secs(20 * 60)).contains(&six),
            "{six}"
        );
    }
}
