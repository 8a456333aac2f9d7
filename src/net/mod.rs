//! The simulated network: what happens to each message between two nodes.
//!
//! Dynamo ran over a datacenter network (DeCandia et al., sections 2 and 4)
//! where messages are lost, delayed, duplicated and reordered, and where
//! partitions cut some nodes off from others. [`Net`] models exactly that:
//!
//! - a [`Topology`] of regions and racks picks each link's latency
//!   distribution ([`dist`] draws from it);
//! - a [`Reachability`] matrix says which directed links are cut, with an
//!   epoch per link so a message in flight across a new cut is dropped;
//! - a loss probability and a duplication probability apply to every
//!   message.
//!
//! There is no FIFO per link: every message draws its own latency, so
//! jitter alone reorders them, as UDP-like transports and retried TCP
//! requests do in practice.
//!
//! A drop always has a reason ([`DropReason`]): traces say why a message
//! vanished, so a reader never has to guess between loss, a partition and
//! a crashed receiver.

pub mod dist;
pub mod exponential;
pub mod partition;
pub mod topology;

use rand::Rng;

pub use dist::Sampler;
pub use partition::Reachability;
pub use topology::{LinkClass, Site, Topology};

use crate::id::NodeId;
use crate::scenario::{Cluster, Network};
use crate::time::SimTime;

/// Why a message was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropReason {
    /// Random loss, at the network's (or a fault's) loss probability.
    Loss,
    /// The link was blocked when the message was sent, or was cut while it
    /// was in flight.
    Partition,
    /// The receiver was down at delivery; decided by the engine, which
    /// knows which nodes are up.
    Crashed,
}

impl DropReason {
    /// The name written in traces: `loss`, `partition`, `crashed`.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Loss => "loss",
            DropReason::Partition => "partition",
            DropReason::Crashed => "crashed",
        }
    }
}

/// What the network does with one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Dropped(DropReason),
    /// Delivered after `latency`, unless the link is cut meanwhile: check
    /// [`Reachability::open_since`] with `epoch` at delivery. A duplicate,
    /// when there is one, arrives separately after its own latency.
    Arrives {
        latency: SimTime,
        epoch: u32,
        duplicate: Option<SimTime>,
    },
}

/// The whole simulated network: layout, cuts, loss and duplication.
#[derive(Clone, Debug)]
pub struct Net {
    topology: Topology,
    reachability: Reachability,
    loss: f64,
    duplicate: f64,
    /// A fault's loss probability, replacing `loss` until cleared.
    loss_override: Option<f64>,
}

impl Net {
    pub fn new(cluster: &Cluster, network: &Network, total_nodes: u32) -> Net {
        Net {
            topology: Topology::new(cluster, network, total_nodes),
            reachability: Reachability::new(total_nodes),
            loss: network.loss,
            duplicate: network.duplicate,
            loss_override: None,
        }
    }

    /// Decides one message's fate. Checks run in a fixed order so the
    /// number of draws is fixed by the outcome:
    ///
    /// 1. the link is blocked now → `Dropped(Partition)`, no draw;
    /// 2. loss: one uniform → `Dropped(Loss)` below the loss probability;
    /// 3. latency: the link's sampler;
    /// 4. duplication: one uniform; when below the probability, a second,
    ///    independent latency for the copy.
    pub fn transmit<R: Rng + ?Sized>(&self, rng: &mut R, from: NodeId, to: NodeId) -> Fate {
        if !self.reachability.is_open(from, to) {
            return Fate::Dropped(DropReason::Partition);
        }
        // A probability of zero draws nothing: most runs have no loss or
        // duplication, and these two draws were about 15% of a send's
        // instructions.
        let loss = self.loss();
        if loss > 0.0 && rng.random::<f64>() < loss {
            return Fate::Dropped(DropReason::Loss);
        }
        let sampler = self.topology.latency_sampler(from, to);
        let latency = sampler.sample(rng);
        let duplicate = (self.duplicate > 0.0 && rng.random::<f64>() < self.duplicate)
            .then(|| sampler.sample(rng));
        Fate::Arrives {
            latency,
            epoch: self.reachability.epoch(from, to),
            duplicate,
        }
    }

    /// The loss probability in force: a fault's, or the scenario's.
    pub fn loss(&self) -> f64 {
        self.loss_override.unwrap_or(self.loss)
    }

    pub fn duplicate_probability(&self) -> f64 {
        self.duplicate
    }

    /// Sets (a fault window opens) or clears (it closes) the loss override.
    pub fn set_loss_override(&mut self, probability: Option<f64>) {
        self.loss_override = probability;
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// For latency faults ([`Topology::set_override`]).
    pub fn topology_mut(&mut self) -> &mut Topology {
        &mut self.topology
    }

    pub fn reachability(&self) -> &Reachability {
        &self.reachability
    }

    /// For partition faults and heals.
    pub fn reachability_mut(&mut self) -> &mut Reachability {
        &mut self.reachability
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Dist, Placement, Strategy};
    use rand::{RngCore, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn net(loss: f64, duplicate: f64) -> Net {
        let cluster = Cluster {
            nodes: 3,
            regions: vec![],
            racks: 1,
            vnodes: 8,
            strategy: Strategy::RandomTokens,
            partitions: 64,
            placement: Placement::Clockwise,
            seeds: vec![NodeId(0)],
            spares: 0,
        };
        let network = Network {
            latency: Dist::Uniform {
                min: SimTime::from_millis(1),
                max: SimTime::from_millis(5),
            },
            inter_rack: None,
            inter_region: Dist::Constant {
                value: SimTime::from_millis(50),
            },
            links: vec![],
            loss,
            duplicate,
        };
        Net::new(&cluster, &network, 3)
    }

    #[test]
    fn a_blocked_link_drops_without_drawing() {
        let mut net = net(0.5, 0.5);
        net.reachability_mut().cut(NodeId(0), NodeId(1));
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut untouched = rng.clone();
        assert_eq!(
            net.transmit(&mut rng, NodeId(0), NodeId(1)),
            Fate::Dropped(DropReason::Partition)
        );
        assert_eq!(rng.next_u64(), untouched.next_u64());
        assert!(matches!(
            net.transmit(&mut rng, NodeId(1), NodeId(0)),
            Fate::Dropped(DropReason::Loss) | Fate::Arrives { .. }
        ));
    }

    #[test]
    fn a_lossless_network_draws_only_the_latency() {
        // Uniform latency: one draw per message and nothing else.
        let net = net(0.0, 0.0);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut expected = rng.clone();
        let sampler = net.topology().latency_sampler(NodeId(0), NodeId(2)).clone();
        for _ in 0..100 {
            let Fate::Arrives {
                latency, duplicate, ..
            } = net.transmit(&mut rng, NodeId(0), NodeId(2))
            else {
                panic!("a lossless open link delivers");
            };
            assert_eq!(latency, sampler.sample(&mut expected));
            assert_eq!(duplicate, None);
        }
        assert_eq!(rng.next_u64(), expected.next_u64());
    }

    #[test]
    fn loss_and_duplication_follow_their_probabilities() {
        let net = net(0.1, 0.2);
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let (mut lost, mut arrived, mut duplicated) = (0, 0, 0);
        for _ in 0..100_000 {
            match net.transmit(&mut rng, NodeId(0), NodeId(2)) {
                Fate::Dropped(reason) => {
                    assert_eq!(reason, DropReason::Loss);
                    lost += 1;
                }
                Fate::Arrives {
                    latency,
                    epoch,
                    duplicate,
                } => {
                    assert!(latency >= SimTime::from_millis(1));
                    assert!(latency <= SimTime::from_millis(5));
                    assert_eq!(epoch, 0);
                    arrived += 1;
                    duplicated += usize::from(duplicate.is_some());
                }
            }
        }
        assert!((lost as f64 / 100_000.0 - 0.1).abs() < 0.005, "{lost}");
        let share = duplicated as f64 / arrived as f64;
        assert!((share - 0.2).abs() < 0.005, "{share}");
    }

    #[test]
    fn a_loss_override_holds_until_cleared() {
        let mut net = net(0.0, 0.0);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        net.set_loss_override(Some(1.0));
        assert_eq!(net.loss(), 1.0);
        assert_eq!(
            net.transmit(&mut rng, NodeId(0), NodeId(1)),
            Fate::Dropped(DropReason::Loss)
        );
        net.set_loss_override(None);
        assert!(matches!(
            net.transmit(&mut rng, NodeId(0), NodeId(1)),
            Fate::Arrives {
                duplicate: None,
                ..
            }
        ));
    }

    #[test]
    fn a_message_carries_the_link_epoch() {
        let mut net = net(0.0, 0.0);
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        net.reachability_mut().isolate(NodeId(1));
        net.reachability_mut().heal_all();
        let Fate::Arrives { epoch, .. } = net.transmit(&mut rng, NodeId(0), NodeId(1)) else {
            panic!("the link is open again");
        };
        assert_eq!(epoch, 1);
        assert!(net.reachability().open_since(NodeId(0), NodeId(1), epoch));
        net.reachability_mut().cut(NodeId(0), NodeId(1));
        net.reachability_mut().heal_all();
        assert!(!net.reachability().open_since(NodeId(0), NodeId(1), epoch));
    }

    #[test]
    fn reasons_have_trace_names() {
        let names: Vec<_> = [DropReason::Loss, DropReason::Partition, DropReason::Crashed]
            .iter()
            .map(|r| r.as_str())
            .collect();
        assert_eq!(names, ["loss", "partition", "crashed"]);
    }
}
