//! What one explored execution ended with: the scripted gets' results
//! (its outcome) and the verdict of each expectation [check] can judge,
//! read from the history and the values left on the nodes' disks alone,
//! as the run's checkers read a run (Dynamo §4.4's lost and stale
//! versions, judged by `check::consistency`).

use super::world::{Event, State};
use crate::actor::Outcome;
use crate::check::consistency::{self, Rule};
use crate::check::history::{History, HistoryOp};
use crate::check::{Verdict, returns_verdicts};
use crate::client::driver::ScriptResult;
use crate::id::{Key, Names, ValueId};
use crate::scenario::{Scenario, ScriptedKind};
use crate::time::SimTime;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The end of one execution.
pub struct Judged {
    /// The scripted gets' results in words, one line for the outcomes
    /// table.
    pub outcome: String,
    pub verdicts: Vec<Verdict>,
}

/// The history as the checkers read it, reaped tombstones included (as a
/// run's `run::reaps` records them). Times are the events' positions in
/// this execution (1, 2, ...): the order is real, durations are not.
pub fn history(state: &State) -> History {
    let mut ops: Vec<HistoryOp> = Vec::new();
    let mut first_reaps: BTreeMap<ValueId, SimTime> = BTreeMap::new();
    for (i, event) in state.history.iter().enumerate() {
        let at = SimTime(i as u64 + 1);
        match event {
            Event::Invoke(inv) => ops.push(HistoryOp {
                op: inv.op,
                client: inv.client,
                kind: inv.kind,
                key: inv.key,
                value: inv.value,
                context: inv.context.clone(),
                invoked_at: at,
                completed_at: None,
                outcome: None,
                values: Vec::new(),
            }),
            Event::Complete(done) => {
                if let Some(op) = ops.iter_mut().find(|o| o.op == done.op) {
                    op.completed_at = Some(at);
                    op.outcome = Some(done.outcome);
                    op.values = done.values.clone();
                }
            }
            Event::Reaped(values) => {
                for &v in values {
                    first_reaps.entry(v).or_insert(at);
                }
            }
        }
    }
    let mut history = History::from_ops(ops);
    history.set_reaped(first_reaps);
    history
}

/// Per key, every value any node holds on disk, replica or hint (a
/// crashed node's disk included), and every tombstone a node reaped, as
/// a run counts them ([`crate::run::final_values`]): a legitimate reap is
/// no lost write here either.
pub fn final_values(state: &State) -> BTreeMap<Key, Vec<ValueId>> {
    crate::run::final_values(state.nodes.iter().map(|node| &**node))
}

pub fn script_results(state: &State) -> Vec<ScriptResult> {
    let mut results: Vec<ScriptResult> = state
        .clients
        .iter()
        .flat_map(|c| c.script_results().iter().cloned())
        .collect();
    results.sort_by_key(|r| r.index);
    results
}

pub fn judge(scenario: &Scenario, names: &Names, state: &State) -> Judged {
    let history = history(state);
    let rule = Rule::for_versioning(scenario.replication.versioning);
    let e = &scenario.expect;
    let mut verdicts = Vec::new();
    let at_most = |name: &str, max: u64, count: u64| Verdict {
        name: name.to_string(),
        expected: json!({ "max": max }),
        actual: json!(count),
        ok: count <= max,
    };
    if let Some(max) = e.lost_acked_writes {
        let lost = consistency::lost_acked_writes(&history, &final_values(state), rule);
        verdicts.push(at_most("lost_acked_writes", max, lost.count));
    }
    if let Some(max) = e.stale_reads {
        let stale = consistency::stale_reads(&history, rule);
        verdicts.push(at_most("stale_reads", max, stale.count));
    }
    if let Some(max) = e.max_siblings {
        let most = consistency::max_siblings(&history);
        verdicts.push(Verdict {
            name: "max_siblings".to_string(),
            expected: json!({ "max": max }),
            actual: most.map_or(Value::Null, |s| json!(s)),
            ok: most.is_some_and(|s| s <= max as usize),
        });
    }
    let results = script_results(state);
    verdicts.extend(returns_verdicts(scenario, &results, names));
    Judged {
        outcome: outcome(scenario, names, &results),
        verdicts,
    }
}

/// Each scripted get's result, `alice get cart: eggs, tea`, joined by
/// `; ` in the file's order.
fn outcome(scenario: &Scenario, names: &Names, results: &[ScriptResult]) -> String {
    let mut parts = Vec::new();
    for (index, op) in scenario.ops.iter().enumerate() {
        if !matches!(op.kind, ScriptedKind::Get) {
            continue;
        }
        let client = &scenario.named_clients[op.client as usize];
        let got = match results.iter().find(|r| r.index as usize == index) {
            Some(r) if r.outcome == Outcome::Ok && r.values.is_empty() => "nothing".to_string(),
            Some(r) if r.outcome == Outcome::Ok => {
                let mut values: Vec<String> = r
                    .values
                    .iter()
                    .map(|v| names.value(*v).into_owned())
                    .collect();
                values.sort_unstable();
                values.join(", ")
            }
            Some(r) => r.outcome.as_str().to_string(),
            None => "not completed".to_string(),
        };
        parts.push(format!("{client} get {}: {got}", op.key));
    }
    if parts.is_empty() {
        "no scripted get".to_string()
    } else {
        parts.join("; ")
    }
}
