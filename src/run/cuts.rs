//! When the network was cut (Dynamo §4.6's partitions), for the report's
//! fault windows: the fault schedule as run, replayed on the network's own
//! reachability matrix (`net::Reachability`). A cut opens when a fault
//! blocks a link and closes when every link is open again, so a partial
//! heal keeps it open. A `split = "majority"` draws its sides in the run
//! from the fault stream; the replay draws its own, which only matters to
//! a partial heal after it.

use crate::id::NodeId;
use crate::net::Reachability;
use crate::scenario::{Fault, FaultAction};
use crate::time::SimTime;
use crate::timeline::NetworkCut;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The spans during which some link among `total` nodes (`members` of
/// them in the initial ring) was blocked, given the faults in time order.
pub fn network_cuts<'a>(
    faults: impl IntoIterator<Item = &'a Fault>,
    (members, total): (u32, u32),
) -> Vec<NetworkCut> {
    let mut out = Vec::new();
    let mut net = Reachability::new(total);
    let initial: Vec<NodeId> = (0..members).map(NodeId).collect();
    let mut sides = ChaCha8Rng::seed_from_u64(0);
    let mut cut_since: Option<SimTime> = None;
    for fault in faults {
        match &fault.action {
            FaultAction::Partition(groups) => net.partition(groups),
            FaultAction::Isolate(node) => net.isolate(*node),
            FaultAction::Cut { from, to } => net.cut(*from, *to),
            FaultAction::Bridge { left, right, via } => net.bridge(left, right, *via),
            FaultAction::SplitMajority => {
                net.split_majority(&mut sides, &initial);
            }
            FaultAction::HealAll => net.heal_all(),
            FaultAction::Heal(groups) => groups.iter().for_each(|g| net.heal_group(g)),
            _ => continue,
        }
        match (cut_since, net.is_whole()) {
            (None, false) => cut_since = Some(fault.at),
            (Some(from), true) => {
                out.push(NetworkCut {
                    from,
                    to: Some(fault.at),
                });
                cut_since = None;
            }
            _ => {}
        }
    }
    if let Some(from) = cut_since {
        out.push(NetworkCut { from, to: None });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> SimTime {
        SimTime::from_millis(v)
    }

    fn at(v: u64, action: FaultAction) -> Fault {
        Fault { at: ms(v), action }
    }

    #[test]
    fn a_cut_lasts_until_every_link_is_open_again() {
        let faults = vec![
            at(
                5000,
                FaultAction::Partition(vec![vec![NodeId(0)], vec![NodeId(1)]]),
            ),
            at(6000, FaultAction::Isolate(NodeId(2))),
            at(10000, FaultAction::Heal(vec![vec![NodeId(0), NodeId(1)]])),
            at(15000, FaultAction::HealAll),
            at(
                20000,
                FaultAction::Cut {
                    from: NodeId(0),
                    to: NodeId(1),
                },
            ),
            at(22000, FaultAction::Heal(vec![vec![NodeId(1), NodeId(0)]])),
            at(25000, FaultAction::SplitMajority),
        ];
        let spans: Vec<(u64, Option<u64>)> = network_cuts(&faults, (4, 4))
            .iter()
            .map(|c| (c.from.0 / SimTime::MS, c.to.map(|t| t.0 / SimTime::MS)))
            .collect();
        assert_eq!(
            spans,
            vec![
                // The partial heal at 10 s leaves n3 isolated.
                (5000, Some(15000)),
                // Healing the cut pair closes it.
                (20000, Some(22000)),
                (25000, None),
            ]
        );
    }
}
