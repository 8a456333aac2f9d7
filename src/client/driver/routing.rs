//! Where a client sends a request (paper §4.5): a partition-aware client
//! to the first replica of the key it believes reachable, a generic one
//! to a member its load balancer draws; and when its ring view is found
//! stale, the download of a node's view.

use super::{ClientTimer, StoreClient};
use crate::actor::ClientOutbox;
use crate::id::{Endpoint, Key, NodeId};
use crate::node::Msg;
use crate::scenario::Balancer;
use crate::time::SimTime;
use rand::Rng;

impl StoreClient {
    /// The node a request goes to: `via` when the script names one, else
    /// the balancer's pick.
    pub(super) fn target(&mut self, now: SimTime, key: Key, via: Option<NodeId>) -> NodeId {
        if let Some(node) = via {
            return node;
        }
        let directory = &self.setup.directory;
        match self.setup.balancer {
            Balancer::PartitionAware => {
                let replicas = directory.replicas(key);
                // With every replica suspected, the node beside the client
                // takes the request (and, under a sloppy quorum, stands in).
                replicas
                    .iter()
                    .copied()
                    .find(|&r| self.liveness.looks_up(r, now))
                    .unwrap_or(self.setup.home)
            }
            Balancer::Generic => {
                // A load balancer's health check: the member drawn, or the
                // next one after it whose requests have not timed out
                // lately. One draw either way, so a run without timeouts
                // picks as it always did.
                let members = directory.members();
                let drawn = self.rng.random_range(0..members.len());
                (0..members.len())
                    .map(|i| members[(drawn + i) % members.len()])
                    .find(|&m| self.liveness.looks_up(m, now))
                    .unwrap_or(members[drawn])
            }
        }
    }

    /// Asks `from` for its ring view, unless this client asked within a
    /// timeout.
    pub(super) fn pull_view(
        &mut self,
        now: SimTime,
        from: Endpoint,
        out: &mut impl ClientOutbox<Msg, ClientTimer>,
    ) {
        let recently = self
            .view_pulled_at
            .is_some_and(|at| now < at + self.setup.timeout);
        if recently {
            return;
        }
        self.view_pulled_at = Some(now);
        out.send(from, Msg::ViewPull);
    }
}
