//! `dynsim check`: every execution of a small scenario, explored over the
//! real protocol code. A second driver beside the event loop (`sim`): the
//! same sans-IO Dynamo nodes and clients (coordination and quorums §4.5,
//! versioning §4.4, sloppy quorum and hinted handoff §4.6) take one input
//! at a time through the `actor` traits, but instead of one seeded
//! schedule the explorer tries every order of the messages in flight,
//! every timer firing before a slow reply, and, within `[check]`'s
//! bounds, lost and duplicated messages and crashed nodes. The idea is
//! stateright's model checker (states hashed into a visited set, BFS for
//! the shortest counterexample); no code of it is used.
//!
//! `world` is one state and its steps, `fingerprint` the hash and the
//! visited set, `search` the strategies, `judge` an execution's outcome
//! and verdicts. Time is abstract (see `world`): a scripted op's `at`
//! orders it among the timers, never among the messages.
//!
//! Gossip and anti-entropy are off here whatever the file says: their
//! periodic timers and random peers would make every state new. The
//! file's joins and leaves still happen (`world::membership`): the
//! explorer tells each node the new members at a step of its own, which
//! is what gossip's rounds amount to here.

pub mod fingerprint;
pub mod judge;
pub mod search;
pub mod sleep;
pub mod world;

use crate::id::Names;
use crate::node::{Config, DeliberateBug};
use crate::scenario::{Check, FaultAction, Scenario};
use crate::sim::Scripted;
pub use search::{Exploration, Progress, Reached, Strategy, Violation};
pub use sleep::Reduction;
use world::{Change, Rules, State, Step};

/// The nodes' settings in an exploration and in a scripted run alike:
/// the scenario's, with gossip and anti-entropy off.
pub fn node_config(scenario: &Scenario, bug: Option<DeliberateBug>) -> Config {
    Config {
        gossip: None,
        anti_entropy: None,
        // Joins and leaves are told to each node at a step of its own.
        told_membership: true,
        // With a bug planted, judged by what it does (a lost write), as
        // in a release build, rather than stopped at the node's assertion.
        dot_assertion: bug.is_none(),
        deliberate_bug: bug,
        ..crate::run::node_config(scenario)
    }
}

/// Why a `[check] schedule` is not an execution of its scenario: which
/// step (its index in the schedule) or, `None`, the schedule as a whole.
/// The command line locates it in the file (`check.schedule[3]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleError {
    pub step: Option<usize>,
    pub message: String,
}

impl ScheduleError {
    /// The dotted path of the field to blame: `check.schedule[3]`.
    pub fn path(&self) -> String {
        match self.step {
            Some(i) => format!("check.schedule[{i}]"),
            None => "check.schedule".to_string(),
        }
    }
}

impl std::fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path(), self.message)
    }
}

impl std::error::Error for ScheduleError {}

/// The steps `dynsim run` follows for a scenario whose `[check] schedule`
/// is set (a counterexample), `None` when it is not. `Err` says why the
/// schedule is not a whole execution of this scenario.
pub fn script(
    scenario: &Scenario,
    bug: Option<DeliberateBug>,
) -> Result<Option<Vec<Scripted>>, ScheduleError> {
    let Some(check) = scenario.check.as_ref().filter(|c| !c.schedule.is_empty()) else {
        return Ok(None);
    };
    let checker = Checker::new(scenario, bug).expect("a [check] section");
    let replay = checker.replay(&check.schedule)?;
    if !replay.ended {
        return Err(ScheduleError {
            step: None,
            message: format!(
                "the execution goes on after the schedule's {} steps: a run replays only whole executions (dynsim check FILE follows a partial one)",
                check.schedule.len()
            ),
        });
    }
    Ok(Some(replay.script))
}

/// Each node's clock skew, from the file's skew faults (validation lets
/// a [check] file have those alone, at time 0).
fn skews(scenario: &Scenario) -> Vec<i64> {
    let mut skew_ns = vec![0; scenario.total_nodes() as usize];
    for fault in &scenario.faults {
        if let FaultAction::Skew { node, offset_ns } = fault.action {
            skew_ns[node.0 as usize] = offset_ns;
        }
    }
    skew_ns
}

/// The file's joins and leaves in time order (validation lets a [check]
/// file have them, at any time).
fn changes(scenario: &Scenario) -> Vec<Change> {
    let mut changes: Vec<Change> = scenario
        .faults
        .iter()
        .filter_map(|fault| match fault.action {
            FaultAction::Join(node) => Some(Change {
                at: fault.at,
                node,
                joined: true,
            }),
            FaultAction::Leave(node) => Some(Change {
                at: fault.at,
                node,
                joined: false,
            }),
            _ => None,
        })
        .collect();
    changes.sort_by_key(|c| c.at);
    changes
}

/// A scenario made ready to explore.
pub struct Checker {
    scenario: Scenario,
    /// The bug planted in every node, if any: a counterexample replays
    /// only with it.
    bug: Option<DeliberateBug>,
    names: Names,
    rules: Rules,
    start: State,
    reduction: Reduction,
}

/// One execution followed step by step.
pub struct Replay {
    /// Each step in words.
    pub steps: Vec<String>,
    /// Whether the execution had ended when the schedule did.
    pub ended: bool,
    /// The same steps as the event loop follows them (`Sim::follow`).
    pub script: Vec<Scripted>,
    pub judged: judge::Judged,
}

impl Checker {
    /// `None` when the scenario has no `[check]` section.
    pub fn new(scenario: &Scenario, bug: Option<DeliberateBug>) -> Option<Checker> {
        let bounds: Check = scenario.check.clone()?;
        let names = crate::run::names(scenario);
        let directory = crate::run::directory(scenario, &names);
        let config = node_config(scenario, bug);
        let nodes = crate::run::nodes(scenario, config, &directory);
        let clients = crate::run::clients(scenario, &directory);
        Some(Checker {
            scenario: scenario.clone(),
            bug,
            names,
            rules: Rules {
                bounds,
                horizon: scenario.end(),
                changes: changes(scenario),
            },
            start: State::initial(nodes, clients, scenario.cluster.nodes as usize)
                .with_skews(skews(scenario)),
            reduction: Reduction::None,
        })
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Explorations from here on reduce by `reduction` (bfs and dfs).
    pub fn with_reduction(mut self, reduction: Reduction) -> Checker {
        self.reduction = reduction;
        self
    }

    pub fn reduction(&self) -> Reduction {
        self.reduction
    }

    fn model(&self) -> search::Model<'_> {
        search::Model {
            scenario: &self.scenario,
            names: &self.names,
            rules: &self.rules,
            reduction: self.reduction,
        }
    }

    /// Explores every execution (or until a bound); see [`search::explore`].
    pub fn explore(
        &self,
        strategy: Strategy,
        max_states: u64,
        seed: u64,
        progress: impl FnMut(&Progress) -> bool,
    ) -> Exploration {
        search::explore(
            &self.model(),
            self.start.clone(),
            strategy,
            max_states,
            seed,
            progress,
        )
    }

    /// Follows `schedule` (a violation's steps) from the start; `Err`
    /// names the first step that is not enabled where it is taken.
    pub fn replay(&self, schedule: &[u32]) -> Result<Replay, ScheduleError> {
        let mut state = self.start.clone();
        let mut enabled: Vec<Step> = Vec::new();
        let mut steps = Vec::new();
        let mut script = Vec::new();
        for (i, &k) in schedule.iter().enumerate() {
            state.steps(&self.rules, &mut enabled);
            let Some(&step) = enabled.get(k as usize) else {
                return Err(ScheduleError {
                    step: Some(i),
                    message: format!(
                        "step {i} of the schedule takes choice {k}, but only {} are enabled there: the schedule belongs to another scenario or version, or was found with another --deliberate-bug",
                        enabled.len()
                    ),
                });
            };
            steps.push(state.describe(step, &self.names));
            script.push(state.scripted(step));
            state = state.after(step);
        }
        state.steps(&self.rules, &mut enabled);
        Ok(Replay {
            steps,
            ended: enabled.is_empty(),
            script,
            judged: judge::judge(&self.scenario, &self.names, &state),
        })
    }

    /// The counterexample as a scenario file: this scenario with the
    /// violation's schedule in `[check] schedule`, each step in words in
    /// the comments above it.
    pub fn counterexample(&self, violation: &Violation) -> Result<String, ScheduleError> {
        let replay = self.replay(&violation.steps)?;
        let mut scenario = self.scenario.clone();
        if let Some(check) = &mut scenario.check {
            check.schedule = violation.steps.clone();
        }
        // Off in every exploration; said so in the file, so that `dynsim
        // run` builds the same nodes.
        scenario.gossip.enabled = false;
        scenario.anti_entropy.enabled = false;
        let flag = self.bug.map_or(String::new(), |b| {
            format!(" --deliberate-bug {}", b.as_str())
        });
        let mut text = format!(
            "# dynsim check counterexample: `{}` expected {}, got {}\n# it ends with: {}\n# replay it with: dynsim run FILE{flag} (a run with a report), or dynsim check FILE{flag} (the steps)\n",
            violation.expectation, violation.expected, violation.actual, violation.outcome
        );
        for (i, step) in replay.steps.iter().enumerate() {
            text.push_str(&format!("#   {:>3}. {step}\n", i + 1));
        }
        text.push_str(&crate::scenario::to_toml(&scenario));
        Ok(text)
    }
}
