//! `Protocol::Swim`: failure detection by probing, after SWIM (Das, Gupta,
//! Motivala, DSN 2002) with the suspicion mechanism and incarnation numbers
//! of its §4.2, membership news piggybacked on the probes (its §4.1), and a
//! push-pull reconciliation of lists that compares a summary first, as
//! Dynamo's nodes "efficiently reconcile their persisted membership change
//! histories" (§4.8.1).
//!
//! Why it exists: the heartbeat protocol sends every node's heartbeat to
//! every node each round, n² digests a round; at a thousand nodes that is
//! most of a run. Here a round costs each node one `Ping` and its `PingAck`
//! (two more hops when the peer does not answer directly), and, every
//! `SYNC_ROUNDS` rounds, one `Summary`, answered with a whole list only when
//! the two lists differ. News travels only when something changed.
//!
//! The liveness part of an entry is ordered by (generation, incarnation,
//! rank), rank Alive < Suspect < Dead, and a view keeps the greatest it has
//! heard: a join (`Entry`'s state part merges as in the heartbeat
//! protocol). A node that hears itself suspected or dead at its current
//! incarnation refutes it with the next incarnation. A view turns a
//! suspicion into Dead (`Status::Down`) once `reporters` distinct nodes
//! have suspected that incarnation and `suspect_after` has passed since the
//! view first heard of it.
//!
//! In `Gossip`, the incarnation lives in `Entry::heartbeat` (a SWIM node
//! never bumps a heartbeat), `Entry::suspects` stays empty, and the rank
//! lives beside the entry.

use super::view::{Known, no_suspects};
use super::{Entry, Gossip, GossipMsg, NodeState, Outgoing};
use crate::id::NodeId;
use crate::time::SimTime;
use rand::Rng;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where a node stands in SWIM's liveness order, within one incarnation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    #[default]
    Alive,
    Suspect,
    Dead,
}

/// One entry of a list on the wire: the liveness part (generation,
/// incarnation, rank and, for a suspicion, who suspects it) and the state
/// part (version, state). The state always travels: a news item about a
/// node the receiver has never heard of must be usable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct News {
    pub node: NodeId,
    pub generation: u64,
    pub incarnation: u64,
    pub rank: Rank,
    /// The nodes that suspect this incarnation, sorted, at most `reporters`
    /// of them; empty unless `rank` is Suspect.
    pub suspecters: Vec<NodeId>,
    pub version: u64,
    pub state: Arc<NodeState>,
}

/// How many others a node asks to probe a peer that did not answer (the
/// paper's k).
const INDIRECT_PROBES: usize = 3;

/// News items piggybacked on one message at most.
const PIGGYBACK: usize = 8;

/// A news item is piggybacked this many times the log2 of the list's size
/// (the paper's λ log n), enough for it to reach every node with high
/// probability; the reconciliation catches the rest.
const RETRANSMIT_FACTOR: u32 = 3;

/// Every this many rounds a node reconciles its list with a random peer.
const SYNC_ROUNDS: u64 = 5;

/// A view's SWIM state beside its list.
#[derive(Clone, Debug, Default)]
pub(super) struct Probing {
    /// The probe of the current round, if any.
    probe: Option<Probe>,
    /// The last probe number used.
    seq: u64,
    rounds: u64,
    /// Suspicions held here, by suspected node: since when (this view's
    /// clock) and by whom.
    pub(super) suspicions: BTreeMap<NodeId, Suspicion>,
    /// Nodes whose entry is news to spread, with how often it was sent.
    pub(super) queue: Vec<(NodeId, u32)>,
}

#[derive(Clone, Copy, Debug)]
struct Probe {
    target: NodeId,
    seq: u64,
    /// Others were asked to probe it too.
    indirect: bool,
    answered: bool,
}

#[derive(Clone, Debug)]
pub(super) struct Suspicion {
    since: SimTime,
    by: Vec<NodeId>,
}

impl Gossip {
    /// A SWIM round: turn expired suspicions into Dead, settle the last
    /// probe (a direct probe unanswered asks others to probe; an indirect
    /// one unanswered makes the target a suspect), start the next probe,
    /// and every `SYNC_ROUNDS` rounds send a summary to a random peer. A
    /// node that knows no peer sends its whole list to its seeds.
    pub(super) fn swim_tick(&mut self, now: SimTime, rng: &mut impl Rng) -> Vec<Outgoing> {
        self.expire_suspicions(now);
        let mut out = Vec::new();
        match self.probing.probe {
            Some(p) if !p.answered && !p.indirect => {
                let helpers = self.draw_peers(rng, INDIRECT_PROBES, |k| {
                    k.node != p.target && k.rank == Rank::Alive
                });
                if helpers.is_empty() {
                    self.probing.probe = None;
                    self.suspect(p.target, now);
                } else {
                    for helper in helpers {
                        let news = self.piggyback(None);
                        out.push((
                            helper,
                            GossipMsg::PingReq {
                                seq: p.seq,
                                target: p.target,
                                news,
                            },
                        ));
                    }
                    self.probing.probe = Some(Probe {
                        indirect: true,
                        ..p
                    });
                }
            }
            Some(p) if !p.answered => {
                self.probing.probe = None;
                self.suspect(p.target, now);
            }
            _ => self.probing.probe = None,
        }
        if self.probing.probe.is_none() {
            if let Some(&target) = self.draw_peers(rng, 1, |_| true).first() {
                self.probing.seq += 1;
                let seq = self.probing.seq;
                self.probing.probe = Some(Probe {
                    target,
                    seq,
                    indirect: false,
                    answered: false,
                });
                let news = self.piggyback(Some(target));
                let origin = self.me;
                out.push((target, GossipMsg::Ping { seq, origin, news }));
            }
        }
        self.probing.rounds += 1;
        if self.probing.probe.is_none() {
            // Nobody to probe: a spare, or a node whose peers all left.
            let entries = self.full_list();
            let mut seeds: Vec<NodeId> = self.seeds.clone();
            seeds.sort();
            seeds.dedup();
            seeds.retain(|&s| s != self.me);
            for seed in seeds {
                let entries = entries.clone();
                out.push((
                    seed,
                    GossipMsg::Full {
                        entries,
                        answer: true,
                    },
                ));
            }
        } else if self.probing.rounds % SYNC_ROUNDS == 0 {
            if let Some(&peer) = self.draw_peers(rng, 1, |_| true).first() {
                let hash = self.summary();
                out.push((peer, GossipMsg::Summary { hash }));
            }
        }
        out
    }

    /// A SWIM message from `from`: learn its news, answer a `Ping`, probe
    /// for a `PingReq`, settle or relay a `PingAck`, answer a `Summary`
    /// that differs and a `Full` that asks. Heartbeat messages are ignored.
    pub(super) fn swim_on_message(
        &mut self,
        now: SimTime,
        from: NodeId,
        msg: GossipMsg,
    ) -> Vec<Outgoing> {
        match msg {
            GossipMsg::Ping { seq, origin, news } => {
                self.learn_all(now, &news);
                let me = self.me;
                vec![(from, self.ping_ack(seq, origin, me))]
            }
            GossipMsg::PingReq { seq, target, news } => {
                self.learn_all(now, &news);
                if target == self.me || self.find(target).is_err() {
                    return Vec::new();
                }
                let news = self.piggyback(Some(target));
                let origin = from;
                vec![(target, GossipMsg::Ping { seq, origin, news })]
            }
            GossipMsg::PingAck {
                seq,
                origin,
                target,
                news,
            } => {
                self.learn_all(now, &news);
                if origin == self.me {
                    if let Some(p) = &mut self.probing.probe {
                        if p.seq == seq && p.target == target {
                            p.answered = true;
                        }
                    }
                    return Vec::new();
                }
                // A relay passes the answer on, to a node it knows.
                if self.find(origin).is_err() {
                    return Vec::new();
                }
                vec![(origin, self.ping_ack(seq, origin, target))]
            }
            GossipMsg::Summary { hash } => {
                if hash == self.summary() {
                    return Vec::new();
                }
                let entries = self.full_list();
                vec![(
                    from,
                    GossipMsg::Full {
                        entries,
                        answer: true,
                    },
                )]
            }
            GossipMsg::Full { entries, answer } => {
                self.learn_all(now, &entries);
                if !answer {
                    return Vec::new();
                }
                let entries = self.full_list();
                vec![(
                    from,
                    GossipMsg::Full {
                        entries,
                        answer: false,
                    },
                )]
            }
            GossipMsg::Syn { .. } | GossipMsg::Ack { .. } | GossipMsg::Ack2 { .. } => Vec::new(),
        }
    }

    /// The answer that `target` was reached by probe `seq` of `origin`,
    /// with this node's news.
    fn ping_ack(&mut self, seq: u64, origin: NodeId, target: NodeId) -> GossipMsg {
        let news = self.piggyback(None);
        GossipMsg::PingAck {
            seq,
            origin,
            target,
            news,
        }
    }

    /// Up to `count` distinct peers drawn uniformly from the known nodes
    /// that are not self, not Left and pass `keep`: a few random probes of
    /// the list first (a round must not cost a pass over a thousand
    /// entries), then, when those miss, a draw from all candidates.
    fn draw_peers(
        &self,
        rng: &mut impl Rng,
        count: usize,
        keep: impl Fn(&Known) -> bool,
    ) -> Vec<NodeId> {
        let fits = |k: &Known| k.node != self.me && !k.entry.state.left && keep(k);
        let mut picked: Vec<NodeId> = Vec::with_capacity(count);
        let len = self.known.len();
        for _ in 0..4 * count {
            if picked.len() == count {
                return picked;
            }
            let k = &self.known[rng.random_range(0..len)];
            if fits(k) && !picked.contains(&k.node) {
                picked.push(k.node);
            }
        }
        let mut candidates: Vec<NodeId> = self
            .known
            .iter()
            .filter(|k| fits(k) && !picked.contains(&k.node))
            .map(|k| k.node)
            .collect();
        while picked.len() < count && !candidates.is_empty() {
            let at = rng.random_range(0..candidates.len());
            picked.push(candidates.swap_remove(at));
        }
        picked
    }

    /// The news to piggyback: about `target` first when it is not Alive
    /// here (so a node wrongly suspected hears it and refutes), then the
    /// queued items sent least often, each counted as sent once more and
    /// dropped once sent enough.
    fn piggyback(&mut self, target: Option<NodeId>) -> Vec<News> {
        let mut news = Vec::new();
        // The news of the target, if already added for it.
        let mut told = None;
        if let Some(at) = target.and_then(|t| self.find(t).ok()) {
            if self.known[at].rank != Rank::Alive {
                news.push(self.news_at(at));
                told = target;
            }
        }
        if self.probing.queue.is_empty() {
            return news;
        }
        let limit = RETRANSMIT_FACTOR * (self.known.len() as u32 + 1).ilog2().max(1);
        // Least sent first; among equals, the order of queueing.
        let mut order: Vec<usize> = (0..self.probing.queue.len()).collect();
        order.sort_by_key(|&i| self.probing.queue[i].1);
        for &i in order.iter().take(PIGGYBACK) {
            let node = self.probing.queue[i].0;
            if let Ok(at) = self.find(node) {
                if Some(node) != told {
                    news.push(self.news_at(at));
                }
            }
            self.probing.queue[i].1 += 1;
        }
        self.probing.queue.retain(|&(_, sent)| sent < limit);
        news
    }

    fn news_at(&self, at: usize) -> News {
        let k = &self.known[at];
        // A suspicion is held exactly while the rank is Suspect.
        let suspecters = self
            .probing
            .suspicions
            .get(&k.node)
            .map_or_else(Vec::new, |s| s.by.clone());
        News {
            node: k.node,
            generation: k.entry.generation,
            incarnation: k.entry.heartbeat,
            rank: k.rank,
            suspecters,
            version: k.entry.version,
            state: k.entry.state.clone(),
        }
    }

    fn full_list(&self) -> Vec<News> {
        (0..self.known.len()).map(|at| self.news_at(at)).collect()
    }

    /// A summary of the list: two lists with equal summaries hold the same
    /// (generation, incarnation, rank, version) for the same nodes, but for
    /// a collision of a 64-bit hash. A sum of per-entry terms, so `refresh`
    /// keeps it up to date in proportion to the entries that changed.
    fn summary(&mut self) -> u64 {
        self.refresh();
        self.summary
    }

    /// Queues the entry of `node` to be spread, afresh if it was queued.
    fn spread(&mut self, node: NodeId) {
        match self.probing.queue.iter_mut().find(|(n, _)| *n == node) {
            Some(item) => item.1 = 0,
            None => self.probing.queue.push((node, 0)),
        }
    }

    /// This view suspects `node` (its last probe went unanswered), unless
    /// it is self, unknown, Left or already Dead.
    fn suspect(&mut self, node: NodeId, now: SimTime) {
        let Ok(at) = self.find(node) else {
            return;
        };
        let k = &self.known[at];
        if node == self.me || k.entry.state.left || k.rank == Rank::Dead {
            return;
        }
        let mut news = self.news_at(at);
        news.rank = Rank::Suspect;
        news.suspecters = vec![self.me];
        self.learn(now, &news);
    }

    /// Suspicions held long enough by enough nodes become Dead.
    fn expire_suspicions(&mut self, now: SimTime) {
        let needed = self.config.reporters.max(1) as usize;
        let after = self.config.suspect_after;
        let expired: Vec<NodeId> = self
            .probing
            .suspicions
            .iter()
            .filter(|(_, s)| s.by.len() >= needed && now - s.since >= after)
            .map(|(&node, _)| node)
            .collect();
        for node in expired {
            self.probing.suspicions.remove(&node);
            if let Ok(at) = self.find(node) {
                self.known[at].rank = Rank::Dead;
                self.touched.push(node);
                self.spread(node);
            }
        }
    }

    fn learn_all(&mut self, now: SimTime, news: &[News]) {
        for item in news {
            self.learn(now, item);
        }
    }

    /// Merges one news item: the liveness part is the greater of the two
    /// by (generation, incarnation, rank), suspicions of one incarnation
    /// uniting their suspecters; the state part as `Entry::merge_update`.
    /// What changed here is spread further. News of self that would
    /// outrank the own entry (a suspicion, a relic) is refuted instead.
    fn learn(&mut self, now: SimTime, news: &News) {
        if news.node == self.me {
            self.refute(news);
            return;
        }
        let reporters = self.config.reporters.max(1) as usize;
        let at = match self.find(news.node) {
            Ok(at) => at,
            Err(at) => {
                let entry = Entry {
                    generation: news.generation,
                    heartbeat: news.incarnation,
                    suspects: no_suspects(),
                    version: news.version,
                    state: news.state.clone(),
                };
                self.insert_known(at, news.node, entry, now);
                self.note_liveness(now, at, news, reporters);
                self.spread(news.node);
                return;
            }
        };
        let (generation, held) = {
            let k = &self.known[at];
            (k.entry.generation, (k.entry.heartbeat, k.rank))
        };
        let mut changed = false;
        if news.generation > generation {
            self.known[at].entry = Entry {
                generation: news.generation,
                heartbeat: news.incarnation,
                suspects: no_suspects(),
                version: news.version,
                state: news.state.clone(),
            };
            self.probing.suspicions.remove(&news.node);
            self.note_liveness(now, at, news, reporters);
            changed = true;
        } else if news.generation == generation {
            let e = &mut self.known[at].entry;
            if (news.version, &*news.state) > (e.version, &*e.state) {
                e.version = news.version;
                e.state = news.state.clone();
                changed = true;
            }
            let heard = (news.incarnation, news.rank);
            if heard > held {
                e.heartbeat = news.incarnation;
                self.probing.suspicions.remove(&news.node);
                self.note_liveness(now, at, news, reporters);
                changed = true;
            } else if heard == held && news.rank == Rank::Suspect {
                changed |= self.add_suspecters(news.node, &news.suspecters, reporters);
            }
        }
        if changed {
            self.touched.push(news.node);
            self.spread(news.node);
        }
    }

    /// Takes the rank of `news` for the entry at `at`, which holds its
    /// generation and incarnation and no suspicion.
    fn note_liveness(&mut self, now: SimTime, at: usize, news: &News, reporters: usize) {
        self.known[at].rank = news.rank;
        if news.rank == Rank::Suspect {
            self.probing.suspicions.insert(
                news.node,
                Suspicion {
                    since: now,
                    by: Vec::new(),
                },
            );
            self.add_suspecters(news.node, &news.suspecters, reporters);
        }
    }

    /// Unites `by` into the suspecters of `node`, keeping the `reporters`
    /// smallest (enough to decide); whether they changed.
    fn add_suspecters(&mut self, node: NodeId, by: &[NodeId], reporters: usize) -> bool {
        let Some(s) = self.probing.suspicions.get_mut(&node) else {
            return false;
        };
        let before = s.by.clone();
        s.by.extend(by.iter().copied().filter(|&b| b != node));
        s.by.sort_unstable();
        s.by.dedup();
        s.by.truncate(reporters);
        s.by != before
    }

    /// News of self: a suspicion or death of the current incarnation (or a
    /// later one, a relic) is answered with a greater incarnation, a state
    /// version at least as new with a newer one, a later generation by
    /// taking it over: the own entry must win everywhere.
    fn refute(&mut self, news: &News) {
        let own = self.own_mut();
        let mut changed = false;
        if news.generation > own.generation {
            own.generation = news.generation;
            own.heartbeat = news.incarnation.saturating_add(1);
            own.version = news.version.max(own.version).saturating_add(1);
            changed = true;
        } else if news.generation == own.generation {
            if (news.incarnation, news.rank) > (own.heartbeat, Rank::Alive) {
                own.heartbeat = news.incarnation.saturating_add(1);
                changed = true;
            }
            let other_state = *news.state != *own.state;
            if news.version > own.version || (news.version == own.version && other_state) {
                own.version = news.version.saturating_add(1);
                changed = true;
            }
        }
        if changed {
            let me = self.me;
            self.spread(me);
        }
    }

    /// After `restart`: no probe in flight, no suspicion held, every node
    /// Alive again here, and the own new generation to spread.
    pub(super) fn swim_restart(&mut self) {
        self.probing.probe = None;
        self.probing.suspicions.clear();
        for k in self.known.iter_mut() {
            if k.rank != Rank::Alive {
                k.rank = Rank::Alive;
                self.touched.push(k.node);
            }
        }
        let me = self.me;
        self.spread(me);
    }

    /// After a local change of the own state (`declare`, `leave`).
    pub(super) fn swim_declared(&mut self) {
        let me = self.me;
        self.spread(me);
    }
}

impl Known {
    /// This entry's term in its view's summary.
    pub(super) fn summand(&self) -> u64 {
        let e = &self.entry;
        let fields = [
            u64::from(self.node.0),
            e.generation,
            e.heartbeat,
            self.rank as u64,
            e.version,
        ];
        fields
            .iter()
            .fold(0x9e37_79b9_7f4a_7c15u64, |h, &f| mix(h ^ f))
    }
}

/// splitmix64's finalizer: a fixed, well-mixed 64-bit hash step.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
