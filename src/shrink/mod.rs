//! Shrinking a failing scenario: the smallest scenario found that still
//! fails the same expectation, in the manner of QuickCheck's shrinking or
//! delta debugging, but over the scenario's own structure.
//!
//! [`steps`] turns a scenario into smaller candidates (pure functions);
//! [`shrink`] is the greedy driver: it tries the candidates in order,
//! keeps the first one that still fails, and repeats until a whole pass
//! helps no more or the run budget is spent. Whether a candidate fails is
//! the caller's closure, so the driver can be tested without simulating.

pub mod steps;

use crate::scenario::{self, Format, Scenario};
use std::collections::BTreeSet;
use std::fmt;

pub use steps::{Candidate, Target};

/// What the driver ended with.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The smallest failing scenario found (the start if nothing helped).
    pub scenario: Scenario,
    /// The failing expectation, as named in `scenario`.
    pub target: Target,
    /// How many candidates were run.
    pub runs: u32,
    /// The changes kept, in order.
    pub accepted: Vec<String>,
    /// The budget ran out before a pass found nothing more to remove.
    pub budget_spent: bool,
}

/// Greedily shrinks `start` while `fails(candidate, target)` holds, running
/// at most `max_runs` candidates. `progress` hears each accepted change.
///
/// Every candidate is first written with [`scenario::to_toml`] and read
/// back: one the parser refuses is dropped without a run, and the one that
/// runs is exactly what a written file will hold. A candidate already tried
/// is not run again.
pub fn shrink(
    start: Scenario,
    target: Target,
    max_runs: u32,
    mut fails: impl FnMut(&Scenario, &Target) -> bool,
    mut progress: impl FnMut(&str),
) -> Outcome {
    let mut outcome = Outcome {
        scenario: start,
        target,
        runs: 0,
        accepted: Vec::new(),
        budget_spent: false,
    };
    let mut tried: BTreeSet<String> = BTreeSet::new();
    loop {
        let mut pass_helped = false;
        for step in steps::STEPS {
            // Run the step again after each success: halving, removing the
            // next fault, ... until it finds nothing more.
            'step: loop {
                for candidate in step(&outcome.scenario, &outcome.target) {
                    let Some(normal) = normalise(&candidate.scenario) else {
                        continue;
                    };
                    if !tried.insert(scenario::to_toml(&normal)) {
                        continue;
                    }
                    if outcome.runs >= max_runs {
                        outcome.budget_spent = true;
                        return outcome;
                    }
                    outcome.runs += 1;
                    if fails(&normal, &candidate.target) {
                        progress(&format!("{}: still fails", candidate.change));
                        outcome.accepted.push(candidate.change);
                        outcome.scenario = normal;
                        outcome.target = candidate.target;
                        pass_helped = true;
                        continue 'step;
                    }
                }
                break;
            }
        }
        if !pass_helped {
            return outcome;
        }
    }
}

/// The scenario as a file would hold it, or `None` when the parser
/// refuses it (the candidate is invalid).
pub fn normalise(s: &Scenario) -> Option<Scenario> {
    scenario::parse_str("candidate.toml", &scenario::to_toml(s), Format::Toml, &[]).ok()
}

/// The figures `dynsim shrink` reports before and after.
#[derive(Clone, Debug, PartialEq)]
pub struct Size {
    pub nodes: u32,
    /// N, R and W.
    pub quorum: (u32, u32, u32),
    pub faults: usize,
    pub nemesis: bool,
    pub ops: usize,
    pub workload_clients: u32,
    pub keys: u32,
    pub rate_per_s: f64,
    pub duration: crate::time::SimTime,
    pub quiesce: crate::time::SimTime,
}

impl Size {
    pub fn of(s: &Scenario) -> Size {
        let w = s.workload.as_ref();
        Size {
            nodes: s.cluster.nodes,
            quorum: (s.replication.n, s.replication.r, s.replication.w),
            faults: s.faults.len(),
            nemesis: s.nemesis.is_some(),
            ops: s.ops.len(),
            workload_clients: w.map_or(0, |w| w.clients),
            keys: w.map_or(0, |w| w.keys),
            rate_per_s: w.map_or(0.0, |w| w.rate.per_second()),
            duration: s.duration,
            quiesce: s.quiesce,
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (N={} R={} W={}), {}{}, {}, ",
            count(u64::from(self.nodes), "node"),
            self.quorum.0,
            self.quorum.1,
            self.quorum.2,
            count(self.faults as u64, "fault"),
            if self.nemesis { " + nemesis" } else { "" },
            count(self.ops as u64, "scripted op")
        )?;
        if self.workload_clients == 0 {
            f.write_str("no workload, ")?;
        } else {
            write!(
                f,
                "workload {} / {} / {}/s, ",
                count(u64::from(self.workload_clients), "client"),
                count(u64::from(self.keys), "key"),
                self.rate_per_s
            )?;
        }
        write!(f, "duration {} + quiesce {}", self.duration, self.quiesce)
    }
}

/// `1 fault`, `3 faults`.
fn count(n: u64, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

#[cfg(test)]
mod tests;
