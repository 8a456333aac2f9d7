//! The periodic round and the three-step exchange: `tick` refreshes the
//! own heartbeat and suspicions and sends `Syn`s; `on_message` answers a
//! `Syn` with an `Ack` (push what is newer here, pull what is newer there)
//! and an `Ack` with an `Ack2`, as Cassandra's gossiper does.

use super::view::no_suspects;
use super::{Digest, Gossip, GossipMsg, Outgoing, Protocol, Transition, Update};
use crate::id::NodeId;
use crate::time::SimTime;
use rand::Rng;

impl Gossip {
    /// Every `interval`: bump the own heartbeat, refresh suspicions (a peer
    /// whose heartbeat has not advanced for `suspect_after`; never self, never
    /// a Left node), recompute statuses, and send a `Syn` to `fanout`
    /// distinct peers drawn uniformly from the known nodes that are not
    /// Left and not self (Down ones included, so a healed cut is found
    /// again); a node that knows no such peer sends to its seeds (not
    /// itself). Returns the messages and the status changes.
    ///
    /// A fanout of 0 sends nothing, seeds included.
    pub fn tick(&mut self, now: SimTime, rng: &mut impl Rng) -> (Vec<Outgoing>, Vec<Transition>) {
        if self.config.protocol == Protocol::Swim {
            let out = self.swim_tick(now, rng);
            return self.finish(out);
        }
        let suspects: Vec<(NodeId, u64, u64)> = self
            .known
            .iter()
            .enumerate()
            .filter(|&(at, k)| {
                at != self.own_at
                    && !k.entry.state.left
                    && now - k.progress >= self.config.suspect_after
            })
            .map(|(_, k)| (k.node, k.entry.generation, k.entry.heartbeat))
            .collect();
        let own = self.own_mut();
        own.heartbeat = own.heartbeat.saturating_add(1);
        if *own.suspects != suspects[..] {
            own.suspects = if suspects.is_empty() {
                no_suspects()
            } else {
                suspects.into()
            };
        }
        self.refresh();

        let peers = self.pick_peers(rng);
        let mut out = Vec::with_capacity(peers.len());
        if !peers.is_empty() {
            let digests: Vec<Digest> = self.known.iter().map(|k| k.entry.digest(k.node)).collect();
            let last = peers.len() - 1;
            let mut digests = Some(digests);
            for (i, peer) in peers.into_iter().enumerate() {
                let digests = if i == last {
                    digests.take().unwrap_or_default()
                } else {
                    digests.clone().unwrap_or_default()
                };
                let msg = GossipMsg::Syn { digests };
                self.count_sent(&msg);
                out.push((peer, msg));
            }
        }
        (out, self.take_transitions())
    }

    /// A gossip message from `from`: merge what it carries, answer a `Syn`
    /// with an `Ack` and an `Ack` with an `Ack2` (none when there is nothing
    /// to send), recompute statuses. Returns the messages to send (under
    /// heartbeats, at most the reply to `from`; under SWIM a relay may send
    /// to a third node) and the changes.
    pub fn on_message(
        &mut self,
        now: SimTime,
        from: NodeId,
        msg: GossipMsg,
    ) -> (Vec<Outgoing>, Vec<Transition>) {
        if self.config.protocol == Protocol::Swim {
            let out = self.swim_on_message(now, from, msg);
            return self.finish(out);
        }
        // Hearing from `from` is not news that it is up: only its heartbeat
        // is, so a peer cut off from this node but not from the others stays
        // alive here through them, and one that talks but is stuck does not.
        let _ = from;
        let reply = match msg {
            GossipMsg::Syn { digests } => {
                let (updates, wants) = self.answer_syn(digests);
                (!updates.is_empty() || !wants.is_empty())
                    .then_some(GossipMsg::Ack { updates, wants })
            }
            GossipMsg::Ack { updates, wants } => {
                for update in &updates {
                    self.apply(now, update);
                }
                let updates = self.answer_wants(&wants);
                (!updates.is_empty()).then_some(GossipMsg::Ack2 { updates })
            }
            GossipMsg::Ack2 { updates } => {
                for update in &updates {
                    self.apply(now, update);
                }
                None
            }
            // SWIM's messages, sent to a node running heartbeats: ignored.
            GossipMsg::Ping { .. }
            | GossipMsg::PingReq { .. }
            | GossipMsg::PingAck { .. }
            | GossipMsg::Summary { .. }
            | GossipMsg::Full { .. } => None,
        };
        self.finish(reply.map(|msg| (from, msg)).into_iter().collect())
    }

    /// Recomputes statuses and counts what is sent.
    fn finish(&mut self, out: Vec<Outgoing>) -> (Vec<Outgoing>, Vec<Transition>) {
        self.refresh();
        for (_, msg) in &out {
            self.count_sent(msg);
        }
        (out, self.take_transitions())
    }

    /// `fanout` distinct peers, uniformly, by a partial Fisher-Yates shuffle
    /// of the candidates in node order (written out so the draw depends on
    /// this code alone); the seeds when there is no candidate.
    fn pick_peers(&self, rng: &mut impl Rng) -> Vec<NodeId> {
        let fanout = self.config.fanout as usize;
        if fanout == 0 {
            return Vec::new();
        }
        let mut candidates: Vec<NodeId> = self
            .known
            .iter()
            .filter(|k| k.node != self.me && !k.entry.state.left)
            .map(|k| k.node)
            .collect();
        if candidates.is_empty() {
            let mut seeds: Vec<NodeId> = self
                .seeds
                .iter()
                .copied()
                .filter(|&s| s != self.me)
                .collect();
            seeds.sort();
            seeds.dedup();
            return seeds;
        }
        let take = fanout.min(candidates.len());
        for i in 0..take {
            let j = rng.random_range(i..candidates.len());
            candidates.swap(i, j);
        }
        candidates.truncate(take);
        candidates
    }

    /// The `Ack` to a `Syn`: an update for every node newer here or absent
    /// there (with the state when the state part is newer here or absent
    /// there), and this view's digest of every node newer there or unknown
    /// here (all zero when unknown).
    fn answer_syn(&mut self, mut theirs: Vec<Digest>) -> (Vec<Update>, Vec<Digest>) {
        // A well-formed list is sorted and has one digest per node; make any
        // list so, keeping the greatest digest of a node listed twice.
        if !theirs.is_sorted_by(|a, b| a.node < b.node) {
            theirs.sort_by(|a, b| a.node.cmp(&b.node).then(b.cmp(a)));
            theirs.dedup_by_key(|d| d.node);
        }
        if let Some(about_me) = theirs.iter().find(|d| d.node == self.me) {
            let (generation, heartbeat, version) =
                (about_me.generation, about_me.heartbeat, about_me.version);
            self.outrank(generation, heartbeat, version, None);
        }

        let mut updates = Vec::with_capacity(self.known.len());
        let mut wants = Vec::with_capacity(theirs.len());
        let mut theirs = theirs.into_iter().peekable();
        for known in self.known.iter() {
            while let Some(d) = theirs.next_if(|d| d.node < known.node) {
                wants.push(unknown(d.node));
            }
            let e = &known.entry;
            let Some(d) = theirs.next_if(|d| d.node == known.node) else {
                updates.push(e.update(known.node, true));
                continue;
            };
            let state_newer_here = (e.generation, e.version) > (d.generation, d.version);
            if state_newer_here || (e.generation, e.heartbeat) > (d.generation, d.heartbeat) {
                updates.push(e.update(known.node, state_newer_here));
            }
            let newer_there = (d.generation, d.version) > (e.generation, e.version)
                || (d.generation, d.heartbeat) > (e.generation, e.heartbeat);
            // Never ask for news of self: `outrank` above made it older.
            if newer_there && known.node != self.me {
                wants.push(e.digest(known.node));
            }
        }
        wants.extend(theirs.map(|d| unknown(d.node)));
        (updates, wants)
    }

    /// The `Ack2` for an `Ack`'s wants: each wanted node known here whose
    /// entry is newer than the want, with the state when the want's state
    /// part is older or the want is all zero (the asker may not know the
    /// node at all, and a state is never invented).
    fn answer_wants(&self, wants: &[Digest]) -> Vec<Update> {
        let mut updates = Vec::new();
        for w in wants {
            let Ok(at) = self.find(w.node) else {
                continue;
            };
            let e = &self.known[at].entry;
            let lacking = *w == unknown(w.node);
            let state_newer_here = (e.generation, e.version) > (w.generation, w.version);
            if lacking
                || state_newer_here
                || (e.generation, e.heartbeat) > (w.generation, w.heartbeat)
            {
                updates.push(e.update(w.node, lacking || state_newer_here));
            }
        }
        updates
    }

    fn count_sent(&mut self, msg: &GossipMsg) {
        self.sent_messages += 1;
        self.sent_bytes += msg.wire_bytes();
    }
}

/// The digest a want carries for a node unknown to the asker.
fn unknown(node: NodeId) -> Digest {
    Digest {
        node,
        generation: 0,
        heartbeat: 0,
        version: 0,
    }
}
