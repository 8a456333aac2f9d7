//! The search over states: breadth-first (the first violation found is
//! a shortest one), depth-first, or seeded random walks; a visited set of
//! fingerprints so that each state is expanded once (stateright's
//! checker does the same). Each expanded state keeps its parent and the
//! step taken, eight bytes, so a counterexample's path can be read back.

use super::fingerprint::FingerprintSet;
use super::judge::judge;
use super::sleep::{self, Reduction, SleepSet};
use super::world::{Rules, State, Step};
use crate::id::Names;
use crate::scenario::Scenario;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};

/// How often the progress callback runs, in generated states.
pub const PROGRESS_EVERY: u64 = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    Bfs,
    Dfs,
    /// Random walks from the start to an end, seeded; never complete.
    Random,
}

/// How an outcome was reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reached {
    /// Executions (distinct sequences of steps from the start) that end
    /// with it: under bfs and dfs the paths through the state graph to
    /// its end states, counted once the search is done (saturating at
    /// 2^64 - 1); under random, the walks that ended with it.
    pub executions: u64,
    /// Distinct end states with it.
    pub end_states: u64,
}

/// Where a search is, for the progress line (and the callback's answer
/// of whether to stop).
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub states: u64,
    pub unique_states: u64,
    pub max_depth: u32,
}

/// One expectation broken in one execution: the first found for it.
#[derive(Clone, Debug)]
pub struct Violation {
    pub expectation: String,
    pub expected: Value,
    pub actual: Value,
    /// The execution: at each state, the index of the step taken among
    /// the steps enabled there (`State::steps`' order).
    pub steps: Vec<u32>,
    /// The outcome the execution ended with.
    pub outcome: String,
}

#[derive(Clone, Debug, Default)]
pub struct Exploration {
    /// The whole bounded space was explored.
    pub complete: bool,
    /// States generated (every step taken, revisits included).
    pub states: u64,
    pub unique_states: u64,
    pub max_depth: u32,
    /// Executions ended, by outcome.
    pub outcomes: BTreeMap<String, Reached>,
    /// Whether `Reached::executions` counts paths: false when the state
    /// graph has a cycle (infinitely many paths), when they are 0.
    pub paths_counted: bool,
    pub violations: Vec<Violation>,
    /// Memory of the visited set and the parent links, per unique state.
    pub bookkeeping_bytes: u64,
    /// The most states waiting to be expanded at once (each a whole world).
    pub peak_frontier: u64,
}

/// What the search needs of the model.
pub struct Model<'a> {
    pub scenario: &'a Scenario,
    pub names: &'a Names,
    pub rules: &'a Rules,
    /// Sleep sets or none (bfs and dfs; random walks take none).
    pub reduction: Reduction,
}

/// A state waiting to be expanded: the world, its number, its depth, its
/// sleep set, and, when it is reached again with fewer sleepers than at
/// its first visit, the only steps left to take there (`sleep::woken`).
struct Waiting {
    state: State,
    at: u32,
    depth: u32,
    asleep: SleepSet,
    only: Option<SleepSet>,
}

/// Parent links: for each expanded unique state, (parent, step index).
struct Tree {
    links: Vec<(u32, u32)>,
}

impl Tree {
    const ROOT: u32 = u32::MAX;

    fn path(&self, mut at: u32) -> Vec<u32> {
        let mut steps = Vec::new();
        while at != Self::ROOT {
            let (parent, step) = self.links[at as usize];
            if parent == Self::ROOT {
                break;
            }
            steps.push(step);
            at = parent;
        }
        steps.reverse();
        steps
    }
}

/// An end state: its outcome returned, its broken expectations recorded
/// (the first execution per expectation).
fn finish(
    model: &Model<'_>,
    state: &State,
    path: impl FnOnce() -> Vec<u32>,
    ex: &mut Exploration,
) -> String {
    let judged = judge(model.scenario, model.names, state);
    let mut path = Some(path);
    let mut steps = Vec::new();
    for v in judged.verdicts.into_iter().filter(|v| !v.ok) {
        if ex.violations.iter().any(|f| f.expectation == v.name) {
            continue;
        }
        if let Some(path) = path.take() {
            steps = path();
        }
        ex.violations.push(Violation {
            expectation: v.name,
            expected: v.expected,
            actual: v.actual,
            steps: steps.clone(),
            outcome: judged.outcome.clone(),
        });
    }
    judged.outcome
}

/// Explores from `start`. `max_states` bounds the states generated;
/// `progress` runs every [`PROGRESS_EVERY`] states and stops the search
/// when it answers true. Neither changes which states come before the
/// stop, so a bounded search is a prefix of the complete one.
pub fn explore(
    model: &Model<'_>,
    start: State,
    strategy: Strategy,
    max_states: u64,
    seed: u64,
    mut progress: impl FnMut(&Progress) -> bool,
) -> Exploration {
    let mut ex = Exploration::default();
    let mut visited = FingerprintSet::default();
    visited.insert(start.fingerprint());
    ex.states = 1;
    let stopped = match strategy {
        Strategy::Random => walk(
            model,
            start,
            max_states,
            seed,
            &mut visited,
            &mut ex,
            &mut progress,
        ),
        Strategy::Bfs | Strategy::Dfs => systematic(
            model,
            start,
            strategy,
            max_states,
            &mut visited,
            &mut ex,
            &mut progress,
        ),
    };
    ex.complete = !stopped && strategy != Strategy::Random;
    ex.unique_states = visited.len() as u64;
    ex.bookkeeping_bytes += visited.bytes() as u64;
    ex
}

/// BFS or DFS; true when a bound stopped it.
fn systematic(
    model: &Model<'_>,
    start: State,
    strategy: Strategy,
    max_states: u64,
    visited: &mut FingerprintSet,
    ex: &mut Exploration,
    progress: &mut impl FnMut(&Progress) -> bool,
) -> bool {
    let mut tree = Tree {
        links: vec![(Tree::ROOT, 0)],
    };
    // Every step taken (from, to) and every end state with its outcome,
    // to count the paths to each end once the graph is known.
    let mut edges: Vec<(u32, u32)> = Vec::new();
    let mut ends: Vec<(u32, String)> = Vec::new();
    let reduce = model.reduction == Reduction::SleepSets;
    // Each unique state's sleep set at its first visit, shrunk by later
    // ones (kept under sleep sets only).
    let mut stored: Vec<SleepSet> = if reduce {
        vec![SleepSet::new()]
    } else {
        Vec::new()
    };
    let mut frontier: VecDeque<Waiting> = VecDeque::from([Waiting {
        state: start,
        at: 0,
        depth: 0,
        asleep: SleepSet::new(),
        only: None,
    }]);
    let mut steps: Vec<Step> = Vec::new();
    // The deliveries taken so far from the state being expanded.
    let mut explored: SleepSet = SleepSet::new();
    let mut stopped = false;
    'search: while let Some(Waiting {
        state,
        at,
        depth,
        asleep,
        only,
    }) = match strategy {
        Strategy::Dfs => frontier.pop_back(),
        _ => frontier.pop_front(),
    } {
        state.steps(model.rules, &mut steps);
        if steps.is_empty() {
            if only.is_none() {
                let outcome = finish(model, &state, || tree.path(at), ex);
                ex.outcomes.entry(outcome.clone()).or_default().end_states += 1;
                ends.push((at, outcome));
            }
            continue;
        }
        explored.clear();
        for (k, &step) in steps.iter().enumerate() {
            let me = if reduce {
                sleep::sleeper(&state, step)
            } else {
                None
            };
            let skip = match (me, &only) {
                (Some(m), _) if asleep.binary_search(&m).is_ok() => true,
                (Some(m), Some(only)) => only.binary_search(&m).is_err(),
                // Only deliveries sleep: the rest were taken at the
                // first visit.
                (None, Some(_)) => true,
                _ => false,
            };
            if skip {
                continue;
            }
            if ex.states >= max_states {
                stopped = true;
                break 'search;
            }
            let next = state.after(step);
            ex.states += 1;
            let next_asleep = if reduce {
                sleep::after(&asleep, &explored, me)
            } else {
                SleepSet::new()
            };
            let (id, new) = visited.number(next.fingerprint());
            edges.push((at, id));
            if new {
                tree.links.push((at, k as u32));
                if reduce {
                    stored.push(next_asleep.clone());
                }
                ex.max_depth = ex.max_depth.max(depth + 1);
                frontier.push_back(Waiting {
                    state: next,
                    at: id,
                    depth: depth + 1,
                    asleep: next_asleep,
                    only: None,
                });
                ex.peak_frontier = ex.peak_frontier.max(frontier.len() as u64);
            } else if reduce {
                let missing = sleep::woken(&mut stored[id as usize], &next_asleep);
                if !missing.is_empty() {
                    frontier.push_back(Waiting {
                        state: next,
                        at: id,
                        depth: depth + 1,
                        asleep: next_asleep,
                        only: Some(missing),
                    });
                }
            }
            if let Some(m) = me {
                explored.push(m);
            }
            if ex.states % PROGRESS_EVERY == 0 && progress(&snapshot(ex, visited)) {
                stopped = true;
                break 'search;
            }
        }
    }
    ex.bookkeeping_bytes += stored
        .iter()
        .map(|z| (z.capacity() * std::mem::size_of::<sleep::Sleeper>()) as u64)
        .sum::<u64>()
        + (stored.capacity() * std::mem::size_of::<SleepSet>()) as u64;
    ex.bookkeeping_bytes +=
        ((tree.links.capacity() + edges.capacity()) * std::mem::size_of::<(u32, u32)>()) as u64;
    if let Some(paths) = count_paths(tree.links.len(), &edges) {
        ex.paths_counted = true;
        for (end, outcome) in ends {
            let reached = ex.outcomes.entry(outcome).or_default();
            reached.executions = reached.executions.saturating_add(paths[end as usize]);
        }
    }
    stopped
}

/// The number of paths from state 0 to every state, over `edges` (one
/// per step taken, so two steps between the same states are two paths),
/// in a topological order (Kahn's); `None` when the graph has a cycle.
fn count_paths(states: usize, edges: &[(u32, u32)]) -> Option<Vec<u64>> {
    let mut fan_in = vec![0u32; states];
    let mut first_out = vec![0u32; states + 1];
    for &(from, to) in edges {
        fan_in[to as usize] += 1;
        first_out[from as usize + 1] += 1;
    }
    for i in 0..states {
        first_out[i + 1] += first_out[i];
    }
    let mut outs = vec![0u32; edges.len()];
    let mut fill = first_out.clone();
    for &(from, to) in edges {
        outs[fill[from as usize] as usize] = to;
        fill[from as usize] += 1;
    }
    let mut paths = vec![0u64; states];
    paths[0] = 1;
    let mut ready: Vec<u32> = (0..states as u32)
        .filter(|&s| fan_in[s as usize] == 0)
        .collect();
    let mut done = 0;
    while let Some(s) = ready.pop() {
        done += 1;
        let s = s as usize;
        for &to in &outs[first_out[s] as usize..first_out[s + 1] as usize] {
            let to = to as usize;
            paths[to] = paths[to].saturating_add(paths[s]);
            fan_in[to] -= 1;
            if fan_in[to] == 0 {
                ready.push(to as u32);
            }
        }
    }
    (done == states).then_some(paths)
}

/// Random walks until the state bound; true when the progress callback
/// stopped them (the bound itself is the walks' normal end).
fn walk(
    model: &Model<'_>,
    start: State,
    max_states: u64,
    seed: u64,
    visited: &mut FingerprintSet,
    ex: &mut Exploration,
    progress: &mut impl FnMut(&Progress) -> bool,
) -> bool {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut steps: Vec<Step> = Vec::new();
    // The end states seen, by outcome.
    let mut ends: BTreeMap<String, FingerprintSet> = BTreeMap::new();
    ex.paths_counted = true;
    while ex.states < max_states {
        let mut state = start.clone();
        let mut path: Vec<u32> = Vec::new();
        loop {
            state.steps(model.rules, &mut steps);
            if steps.is_empty() {
                let end = state.fingerprint();
                let outcome = finish(model, &state, || path.clone(), ex);
                let seen = ends.entry(outcome.clone()).or_default();
                let reached = ex.outcomes.entry(outcome).or_default();
                reached.executions += 1;
                reached.end_states += u64::from(seen.insert(end));
                break;
            }
            let k = rng.random_range(0..steps.len());
            state = state.after(steps[k]);
            path.push(k as u32);
            ex.states += 1;
            ex.max_depth = ex.max_depth.max(path.len() as u32);
            visited.insert(state.fingerprint());
            if ex.states % PROGRESS_EVERY == 0 && progress(&snapshot(ex, visited)) {
                return true;
            }
            if ex.states >= max_states {
                break;
            }
        }
    }
    false
}

fn snapshot(ex: &Exploration, visited: &FingerprintSet) -> Progress {
    Progress {
        states: ex.states,
        unique_states: visited.len() as u64,
        max_depth: ex.max_depth,
    }
}

#[cfg(test)]
mod tests {
    use super::count_paths;

    #[test]
    fn paths_are_counted_through_shared_states_and_not_through_cycles() {
        // 0 -> 1 -> 3, 0 -> 2 -> 3 twice (two steps between the same
        // states), 3 -> 4: three paths to 3 and to 4, found out of order.
        let edges = [(0, 2), (2, 3), (0, 1), (2, 3), (1, 3), (3, 4)];
        assert_eq!(count_paths(5, &edges), Some(vec![1, 1, 1, 3, 3]));
        assert_eq!(count_paths(3, &[(0, 1), (1, 2), (2, 1)]), None);
        assert_eq!(count_paths(1, &[]), Some(vec![1]));
    }
}
