//! The fault schedule: the file's `[[fault]]` entries and the faults a
//! `[nemesis]` draws from the fault stream.
//!
//! The nemesis is Jepsen's idea: random faults, each undone later, so a
//! property test or a sweep explores schedules nobody wrote by hand. It
//! runs one fault at a time: a fault starts after an exponential wait
//! (the nemesis `rate`), lasts a uniform time in `[min_fault, max_fault]`,
//! and is undone before the next begins; everything is undone by `heal_by`.
//! Applying faults to the world is the event loop's job (`sim`).

use crate::id::NodeId;
use crate::net::exponential::exponential;
use crate::scenario::{Fault, FaultAction, Nemesis, Scenario};
use crate::time::SimTime;
use rand::Rng;
use rand::seq::SliceRandom;

/// The faults a nemesis draws for `scenario`, in time order. The members it
/// picks from are the initial nodes.
pub fn nemesis_faults<R: Rng>(scenario: &Scenario, nemesis: &Nemesis, rng: &mut R) -> Vec<Fault> {
    let members: Vec<NodeId> = (0..scenario.cluster.nodes).map(NodeId).collect();
    let Some(mean_gap) = nemesis.rate.mean_interval() else {
        return Vec::new();
    };
    let kinds = weighted_kinds(nemesis);
    let total: f64 = kinds.iter().map(|(w, _)| w).sum();
    if total <= 0.0 || members.is_empty() {
        return Vec::new();
    }
    let mut faults = Vec::new();
    let mut t = SimTime::ZERO;
    loop {
        t += exponential(rng, mean_gap);
        if t >= nemesis.heal_by {
            break;
        }
        let span = uniform_time(rng, nemesis.min_fault, nemesis.max_fault);
        let end = (t + span).min(nemesis.heal_by);
        let kind = pick(rng, &kinds, total);
        let node = members[rng.random_range(0..members.len())];
        let (start, undo) = match kind {
            Kind::Partition if members.len() >= 2 => {
                let mut shuffled = members.clone();
                shuffled.shuffle(rng);
                let cut = rng.random_range(1..shuffled.len());
                let (a, b) = shuffled.split_at(cut);
                let mut groups = vec![sorted(a), sorted(b)];
                groups.sort();
                (FaultAction::Partition(groups), FaultAction::HealAll)
            }
            Kind::Isolate if members.len() >= 2 => {
                (FaultAction::Isolate(node), FaultAction::HealAll)
            }
            Kind::Cut if members.len() >= 2 => {
                let mut to = members[rng.random_range(0..members.len() - 1)];
                if to >= node {
                    to = NodeId(to.0 + 1);
                }
                (
                    FaultAction::Cut { from: node, to },
                    FaultAction::Heal(vec![vec![node.min(to), node.max(to)]]),
                )
            }
            Kind::Crash => (
                FaultAction::Crash(node),
                FaultAction::Restart {
                    node,
                    wipe_disk: false,
                },
            ),
            Kind::Pause => (FaultAction::Pause(node), FaultAction::Resume(node)),
            Kind::Loss => {
                let probability = rng.random_range(0.1..0.5);
                faults.push(Fault {
                    at: t,
                    action: FaultAction::Loss {
                        probability,
                        until: end,
                    },
                });
                t = end;
                continue;
            }
            Kind::Skew => {
                let offset_ns = rng.random_range(-(SimTime::S as i64)..=SimTime::S as i64);
                (
                    FaultAction::Skew { node, offset_ns },
                    FaultAction::Skew { node, offset_ns: 0 },
                )
            }
            // A network fault on a one-node cluster has nothing to cut.
            Kind::Partition | Kind::Isolate | Kind::Cut => continue,
        };
        faults.push(Fault {
            at: t,
            action: start,
        });
        faults.push(Fault {
            at: end,
            action: undo,
        });
        t = end;
    }
    faults
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Partition,
    Crash,
    Pause,
    Isolate,
    Cut,
    Loss,
    Skew,
}

fn weighted_kinds(n: &Nemesis) -> Vec<(f64, Kind)> {
    let m = &n.mix;
    [
        (m.partition, Kind::Partition),
        (m.crash, Kind::Crash),
        (m.pause, Kind::Pause),
        (m.isolate, Kind::Isolate),
        (m.cut, Kind::Cut),
        (m.loss, Kind::Loss),
        (m.skew, Kind::Skew),
    ]
    .into_iter()
    .filter(|(w, _)| *w > 0.0)
    .collect()
}

fn pick<R: Rng>(rng: &mut R, kinds: &[(f64, Kind)], total: f64) -> Kind {
    let mut x = rng.random::<f64>() * total;
    for &(w, k) in kinds {
        if x < w {
            return k;
        }
        x -= w;
    }
    kinds.last().expect("at least one kind").1
}

fn sorted(nodes: &[NodeId]) -> Vec<NodeId> {
    let mut v = nodes.to_vec();
    v.sort();
    v
}

fn uniform_time<R: Rng>(rng: &mut R, min: SimTime, max: SimTime) -> SimTime {
    if max <= min {
        min
    } else {
        SimTime(rng.random_range(min.0..=max.0))
    }
}

/// Every fault of the run: the file's, then the nemesis's, merged in time
/// order (stable: at equal times the file's come first).
pub fn schedule<R: Rng>(scenario: &Scenario, rng: &mut R) -> Vec<(Fault, bool)> {
    let mut all: Vec<(Fault, bool)> = scenario
        .faults
        .iter()
        .cloned()
        .map(|f| (f, false))
        .collect();
    if let Some(nemesis) = &scenario.nemesis {
        all.extend(
            nemesis_faults(scenario, nemesis, rng)
                .into_iter()
                .map(|f| (f, true)),
        );
    }
    all.sort_by_key(|(f, _)| f.at);
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::{Stream, stream};
    use crate::time::Rate;

    fn scenario_with_nemesis() -> (Scenario, Nemesis) {
        let mut s = Scenario::with_defaults("nemesis");
        let mut n = Nemesis {
            rate: Rate {
                count: 1.0,
                per: SimTime::from_secs(2),
            },
            heal_by: SimTime::from_secs(50),
            ..Nemesis::default()
        };
        n.mix.loss = 1.0;
        n.mix.skew = 1.0;
        n.mix.cut = 1.0;
        n.mix.isolate = 1.0;
        s.nemesis = Some(n.clone());
        (s, n)
    }

    #[test]
    fn nemesis_is_seeded_and_undoes_everything_by_heal_by() {
        let (s, n) = scenario_with_nemesis();
        let a = nemesis_faults(&s, &n, &mut stream(3, Stream::Faults));
        let b = nemesis_faults(&s, &n, &mut stream(3, Stream::Faults));
        let c = nemesis_faults(&s, &n, &mut stream(4, Stream::Faults));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(
            a.len() >= 6,
            "a 50 s window at one fault per ~2 s draws several: {}",
            a.len()
        );
        let mut crashed = std::collections::BTreeSet::new();
        let mut paused = std::collections::BTreeSet::new();
        for f in &a {
            assert!(f.at <= n.heal_by);
            match &f.action {
                FaultAction::Crash(x) => assert!(crashed.insert(*x)),
                FaultAction::Restart { node, .. } => assert!(crashed.remove(node)),
                FaultAction::Pause(x) => assert!(paused.insert(*x)),
                FaultAction::Resume(x) => assert!(paused.remove(x)),
                FaultAction::Loss { until, .. } => assert!(*until <= n.heal_by),
                _ => {}
            }
        }
        assert!(crashed.is_empty() && paused.is_empty(), "all undone");
        assert!(a.windows(2).all(|w| w[0].at <= w[1].at), "in time order");
    }
}
