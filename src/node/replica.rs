//! The replica's side of the Dynamo node (paper §4.5-§4.7): what a node
//! does with the writes and reads other nodes send it as a replica or a
//! stand-in (stores, fetches, read repairs, hinted handoffs, hand-overs,
//! reap checks), apart from coordinating client requests.

use super::{DynamoNode, Msg, Timer};
use crate::actor::Outbox;
use crate::id::{Endpoint, NodeId};
use crate::time::SimTime;

impl DynamoNode {
    /// Views differ: a replica request came for a key this node does not
    /// replicate in its own view (static views never differ, so this is
    /// only counted with gossip on).
    fn count_misrouted(&mut self, msg: &Msg) {
        // Fetches go to stand-ins too (a sloppy get), so only stores count.
        let Msg::Store {
            key, hint: None, ..
        } = msg
        else {
            return;
        };
        let key = *key;
        if !self.directory.is_replica(key, self.id) {
            self.stats.misrouted += 1;
        }
    }

    /// Replica-side handling: stores, fetches, repairs and handoffs.
    pub(super) fn serve(
        &mut self,
        now: SimTime,
        from: NodeId,
        msg: Msg,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        let mode = self.config.mode;
        if self.gossip.is_some() {
            self.count_misrouted(&msg);
        }
        match msg {
            Msg::Store {
                req,
                key,
                state,
                hint,
            } => {
                match hint {
                    Some(owner) if owner != self.id => {
                        let before = out
                            .tracing()
                            .then(|| self.store.hint(owner, key).cloned())
                            .flatten();
                        if self.store.keep_hint(mode, owner, key, &state) {
                            self.stats.hints_stored += 1;
                            out.note("hint-kept", |f| {
                                f.node("owner", owner).key("key", key);
                            });
                        }
                        if out.tracing() {
                            let after = self.store.hint(owner, key);
                            if after != before.as_ref() {
                                Self::note_stored(out, key, after, "hint", Some(owner));
                            }
                        }
                        self.arm_handoff(out);
                    }
                    _ => {
                        let effect = self.store.merge(mode, key, &state);
                        self.stats.false_conflicts += u64::from(effect.false_conflicts);
                        if effect.changed {
                            self.after_replica_write(key, out);
                            if out.tracing() {
                                Self::note_stored(out, key, self.store.get(key), "store", None);
                            }
                        }
                    }
                }
                out.send(Endpoint::Node(from), Msg::StoreAck { req });
            }
            Msg::Fetch { req, key } => {
                let state = self.store.held(mode, key);
                out.send(Endpoint::Node(from), Msg::FetchReply { req, key, state });
            }
            Msg::Repair { key, state } => {
                let effect = self.store.merge(mode, key, &state);
                self.stats.false_conflicts += u64::from(effect.false_conflicts);
                if effect.changed {
                    self.after_replica_write(key, out);
                    if out.tracing() {
                        Self::note_stored(out, key, self.store.get(key), "read-repair", None);
                    }
                }
            }
            Msg::Handoff { key, state } => {
                let effect = self.store.merge(mode, key, &state);
                self.stats.false_conflicts += u64::from(effect.false_conflicts);
                if effect.changed {
                    self.after_replica_write(key, out);
                    if out.tracing() {
                        Self::note_stored(out, key, self.store.get(key), "handoff", None);
                    }
                }
                out.send(Endpoint::Node(from), Msg::HandoffAck { key, state });
            }
            Msg::HandoffAck { key, state } => {
                if self.store.drop_hint_if(from, key, &state) {
                    self.forget(key, &state);
                    self.stats.hints_delivered += 1;
                    out.note("hint-delivered", |f| {
                        f.node("owner", from).key("key", key);
                    });
                }
            }
            Msg::Transfer { key, state } => {
                let effect = self.store.merge(mode, key, &state);
                self.stats.false_conflicts += u64::from(effect.false_conflicts);
                if effect.changed {
                    self.after_replica_write(key, out);
                    if out.tracing() {
                        Self::note_stored(out, key, self.store.get(key), "transfer", None);
                    }
                }
                out.send(Endpoint::Node(from), Msg::TransferAck { key, state });
            }
            Msg::TransferAck { key, state } => self.on_transfer_ack(from, key, &state, out),
            Msg::ReapCheck { check, key, state } => {
                self.on_reap_check(from, check, key, &state, out)
            }
            Msg::ReapCheckReply { check, holds } => {
                self.on_reap_check_reply(now, from, check, holds, out)
            }
            Msg::Reap { key, state } => self.reap(now, key, &state, "every primary held it", out),
            Msg::Gossip(g) => self.on_gossip(now, from, g, out),
            Msg::AntiEntropy {
                step,
                hashes_so_far,
            } => self.on_anti_entropy(from, *step, hashes_so_far, out),
            Msg::AeStates { states, want } => self.on_ae_states(from, states, want, out),
            Msg::StoreAck { req } => self.on_store_ack(from, req, out),
            Msg::FetchReply { req, state, .. } => self.on_fetch_reply(from, req, state, out),
            // Client-facing messages are handled in `on_message`.
            Msg::Request(_)
            | Msg::Forward(_)
            | Msg::Reply { .. }
            | Msg::ViewPull
            | Msg::View(_) => {}
        }
    }
}
