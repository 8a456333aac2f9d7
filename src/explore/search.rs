//! The search over states: breadth-first (the first violation found is
//! a shortest one), depth-first, or seeded random walks; a visited set of
//! fingerprints so that each state is expanded once (stateright's
//! checker does the same). Each expanded state keeps its parent and the
//! step taken, eight bytes, so a counterexample's path can be read back.

use super::fingerprint::FingerprintSet;
use super::judge::judge;
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
    /// Executions ended, by outcome: distinct end states under BFS and
    /// DFS, walks under random.
    pub outcomes: BTreeMap<String, u64>,
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

/// An end state: its outcome counted, its broken expectations recorded
/// (the first execution per expectation).
fn finish(model: &Model<'_>, state: &State, path: impl FnOnce() -> Vec<u32>, ex: &mut Exploration) {
    let judged = judge(model.scenario, model.names, state);
    *ex.outcomes.entry(judged.outcome.clone()).or_default() += 1;
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
    let mut frontier: VecDeque<(State, u32, u32)> = VecDeque::from([(start, 0, 0)]);
    let mut steps: Vec<Step> = Vec::new();
    let mut stopped = false;
    'search: while let Some((state, at, depth)) = match strategy {
        Strategy::Dfs => frontier.pop_back(),
        _ => frontier.pop_front(),
    } {
        state.steps(model.rules, &mut steps);
        if steps.is_empty() {
            finish(model, &state, || tree.path(at), ex);
            continue;
        }
        for (k, &step) in steps.iter().enumerate() {
            if ex.states >= max_states {
                stopped = true;
                break 'search;
            }
            let next = state.after(step);
            ex.states += 1;
            if visited.insert(next.fingerprint()) {
                tree.links.push((at, k as u32));
                let id = (tree.links.len() - 1) as u32;
                ex.max_depth = ex.max_depth.max(depth + 1);
                frontier.push_back((next, id, depth + 1));
                ex.peak_frontier = ex.peak_frontier.max(frontier.len() as u64);
            }
            if ex.states % PROGRESS_EVERY == 0 && progress(&snapshot(ex, visited)) {
                stopped = true;
                break 'search;
            }
        }
    }
    ex.bookkeeping_bytes += (tree.links.capacity() * std::mem::size_of::<(u32, u32)>()) as u64;
    stopped
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
    while ex.states < max_states {
        let mut state = start.clone();
        let mut path: Vec<u32> = Vec::new();
        loop {
            state.steps(model.rules, &mut steps);
            if steps.is_empty() {
                finish(model, &state, || path.clone(), ex);
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
