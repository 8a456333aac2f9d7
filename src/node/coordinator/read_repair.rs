//! Read repair (paper §5): a get that reached its quorum sends the merged
//! state to the replicas whose replies it saw behind, the coordinator's
//! own replica included.

use super::Pending;
use crate::actor::{OpKind, Outbox};
use crate::id::{Endpoint, NodeId};
use crate::node::{DynamoNode, Msg, Timer};
use crate::version::Order;

impl DynamoNode {
    /// A get that reached its quorum repairs the replicas it saw behind.
    pub(super) fn read_repair(&mut self, p: &Pending, out: &mut impl Outbox<Msg, Timer>) {
        if p.kind != OpKind::Get || !self.config.read_repair || p.heard < self.config.r {
            return;
        }
        let mode = self.config.mode;
        let mut repaired: Vec<NodeId> = Vec::new();
        // No saved state: every reply equalled the coordinator's own, so
        // the merge is that state and the coordinator is not behind.
        if let Some(own) = &p.own {
            if own.compare(&p.merged) != Order::Equal {
                let effect = self.store.merge(mode, p.key, &p.merged);
                if effect.changed {
                    self.after_replica_write(p.key, out);
                    if out.tracing() {
                        Self::note_stored(out, p.key, self.store.get(p.key), "read-repair", None);
                    }
                }
                repaired.push(self.id);
            }
        }
        // Stand-ins hold hints, not replicas: they are not repaired.
        for t in p.targets.iter().filter(|t| t.stand_in_for.is_none()) {
            if let Some(state) = &t.state {
                if state.compare(&p.merged) != Order::Equal {
                    out.send(
                        Endpoint::Node(t.node),
                        Msg::Repair {
                            key: p.key,
                            state: p.merged.clone(),
                        },
                    );
                    repaired.push(t.node);
                }
            }
        }
        if !repaired.is_empty() {
            self.stats.read_repairs += repaired.len() as u64;
            out.note("read-repair", |f| {
                f.u64("op", p.op.0)
                    .key("key", p.key)
                    .nodes("nodes", &repaired);
            });
        }
    }
}
