//! The convergence checker: did the replicas agree in the end, and how
//! long after the last fault healed? Pure functions over the divergence
//! samples (`run::observe`) and the fault schedule.
//!
//! - *Converged*: the final sample (taken at the end of the run) counts no
//!   divergent key. A sample counts the keys whose live replicas disagree,
//!   less those a put was invoked on within the last request timeout
//!   (`run::observe`): a key mid-replication is not divergent, so the time
//!   to converge is not the time the workload stops writing.
//! - The *last heal* is when the last fault that ends a disruption took
//!   effect: a `heal`, a `restart`, a `resume`, the end (`until`) of a loss
//!   or latency window, a `join` or a `leave` (a membership change ends
//!   when the ring settles on it). 0 with none.
//! - *After last heal*: from the last heal to the first sample at or after
//!   it from which every sample is zero. Samples are taken every
//!   `metrics.sample_interval`, so this is measured to that resolution, an
//!   upper bound on the true time. `None` when not converged.

use crate::id::{Key, NodeId, ValueId};
use crate::scenario::{Fault, FaultAction};
use crate::time::SimTime;

/// How many divergent keys a run that did not converge shows.
pub const MAX_DIVERGENT_SHOWN: usize = 10;

/// A key still divergent at the end of a run, as the sampler read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DivergentKey {
    pub key: Key,
    /// Each live replica on the true ring, with the values it holds
    /// (empty when it holds none), in preference-list order.
    pub replicas: Vec<(NodeId, Vec<ValueId>)>,
}

/// What the checker concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Convergence {
    pub converged: bool,
    pub last_heal: SimTime,
    pub after_last_heal: Option<SimTime>,
}

/// When a fault ends a disruption, if it does: its `at`, or the end of its
/// window for loss and latency.
pub fn heals_at(fault: &Fault) -> Option<SimTime> {
    match &fault.action {
        FaultAction::HealAll
        | FaultAction::Heal(_)
        | FaultAction::Restart { .. }
        | FaultAction::Resume(_)
        | FaultAction::Join(_)
        | FaultAction::Leave(_)
        // A lost key diverges at once; repair runs from then.
        | FaultAction::Forget { .. } => Some(fault.at),
        FaultAction::Loss { until, .. } | FaultAction::Latency { until, .. } => Some(*until),
        FaultAction::Partition(_)
        | FaultAction::Isolate(_)
        | FaultAction::Cut { .. }
        | FaultAction::Bridge { .. }
        | FaultAction::SplitMajority
        | FaultAction::Crash(_)
        | FaultAction::Pause(_)
        | FaultAction::Skew { .. } => None,
    }
}

/// The latest time any fault of the schedule ends a disruption; 0 with none.
pub fn last_heal<'a>(faults: impl IntoIterator<Item = &'a Fault>) -> SimTime {
    faults
        .into_iter()
        .filter_map(heals_at)
        .max()
        .unwrap_or(SimTime::ZERO)
}

/// Judges `samples` (`(time, divergent keys)`, in time order, the last at
/// the end of the run) against the last heal.
pub fn convergence(samples: &[(SimTime, u64)], last_heal: SimTime) -> Convergence {
    let converged = samples.last().is_some_and(|&(_, keys)| keys == 0);
    // The zero run at the end starts after the last divergent sample.
    let settled = samples
        .iter()
        .rposition(|&(_, keys)| keys > 0)
        .map_or(0, |i| i + 1);
    let after_last_heal = samples[settled..]
        .iter()
        .find(|&&(t, _)| t >= last_heal)
        .filter(|_| converged)
        .map(|&(t, _)| t - last_heal);
    Convergence {
        converged,
        last_heal,
        after_last_heal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::NodeId;

    fn s(secs: u64) -> SimTime {
        SimTime::from_secs(secs)
    }

    /// One sample a second from 0s, with these counts.
    fn samples(counts: &[u64]) -> Vec<(SimTime, u64)> {
        counts
            .iter()
            .enumerate()
            .map(|(i, &c)| (s(i as u64), c))
            .collect()
    }

    fn fault(at: u64, action: FaultAction) -> Fault {
        Fault { at: s(at), action }
    }

    #[test]
    fn without_a_heal_it_is_measured_from_the_start() {
        let c = convergence(&samples(&[0, 0, 0]), SimTime::ZERO);
        assert_eq!(
            c,
            Convergence {
                converged: true,
                last_heal: SimTime::ZERO,
                after_last_heal: Some(SimTime::ZERO),
            }
        );
        // Divergent for a while (writes in flight), then settled.
        let c = convergence(&samples(&[2, 1, 0, 0]), SimTime::ZERO);
        assert_eq!(c.after_last_heal, Some(s(2)));
        assert_eq!(last_heal(&[]), SimTime::ZERO);
        let no_heal = [
            fault(1, FaultAction::Partition(vec![vec![NodeId(0)]])),
            fault(2, FaultAction::Crash(NodeId(1))),
        ];
        assert_eq!(last_heal(&no_heal), SimTime::ZERO);
    }

    #[test]
    fn a_heal_then_convergence_counts_from_the_heal() {
        // Divergent from the cut at 1s; healed at 4s; zero from 5s.
        let c = convergence(&samples(&[0, 3, 5, 5, 1, 0, 0, 0]), s(4));
        assert!(c.converged);
        assert_eq!(c.after_last_heal, Some(s(1)));
        // Zero already at the first sample after the heal.
        let c = convergence(&samples(&[0, 3, 0, 0]), s(3));
        assert_eq!(c.after_last_heal, Some(SimTime::ZERO));
        // A sample between two: the heal at 2.5s is first seen at 3s.
        let c = convergence(&samples(&[0, 3, 0, 0]), SimTime::from_millis(2500));
        assert_eq!(c.after_last_heal, Some(SimTime::from_millis(500)));
    }

    #[test]
    fn divergence_that_comes_back_restarts_the_clock() {
        // Zero from 2s, divergent again at 6s (a write in flight), zero
        // from 7s: the first zero after the heal at 3s does not count.
        let c = convergence(&samples(&[4, 2, 0, 0, 0, 0, 1, 0, 0]), s(3));
        assert!(c.converged);
        assert_eq!(c.after_last_heal, Some(s(4)), "from 3s to 7s");
    }

    #[test]
    fn divergence_at_the_end_never_converged() {
        let c = convergence(&samples(&[0, 3, 0, 0, 2]), s(2));
        assert_eq!(
            c,
            Convergence {
                converged: false,
                last_heal: s(2),
                after_last_heal: None,
            }
        );
        let c = convergence(&samples(&[5, 5, 5]), SimTime::ZERO);
        assert!(!c.converged && c.after_last_heal.is_none());
        // No samples at all: nothing shows agreement.
        assert!(!convergence(&[], SimTime::ZERO).converged);
    }

    #[test]
    fn a_heal_after_the_last_sample_cannot_be_measured() {
        let c = convergence(&samples(&[0, 0]), s(5));
        assert!(c.converged);
        assert_eq!(c.after_last_heal, None);
    }

    #[test]
    fn every_fault_that_ends_a_disruption_is_a_heal() {
        let n = NodeId(2);
        let healing = [
            FaultAction::HealAll,
            FaultAction::Heal(vec![vec![NodeId(0), n]]),
            FaultAction::Restart {
                node: n,
                wipe_disk: false,
            },
            FaultAction::Resume(n),
            FaultAction::Join(n),
            FaultAction::Leave(n),
        ];
        for action in healing {
            assert_eq!(
                heals_at(&fault(3, action.clone())),
                Some(s(3)),
                "{action:?}"
            );
        }
        let window = fault(
            3,
            FaultAction::Loss {
                probability: 0.5,
                until: s(9),
            },
        );
        assert_eq!(heals_at(&window), Some(s(9)), "a window heals at its end");
        // The latest heal, not the last in schedule order: a window that
        // opened first may close last.
        let schedule = [
            window,
            fault(5, FaultAction::HealAll),
            fault(7, FaultAction::Crash(n)),
        ];
        assert_eq!(last_heal(&schedule), s(9));
    }
}
