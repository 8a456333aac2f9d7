//! Checkers: what a scenario's `[expect]` and scripted `returns` ask of a
//! run, judged from its results. Each expectation becomes a verdict with
//! what was expected, what happened, and whether it held.

pub mod history;

use crate::actor::{OpKind, Outcome};
use crate::run::RunOutput;
use crate::scenario::{Scenario, ScriptedKind};
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    pub name: String,
    pub expected: Value,
    pub actual: Value,
    pub ok: bool,
}

/// Expectations this build can judge. The history checkers (lost and
/// stale writes, convergence, siblings) arrive with the Dynamo node; until
/// then a scenario asking for them is refused before the run, by
/// [`unsupported`], rather than passed unchecked.
pub fn unsupported(scenario: &Scenario) -> Vec<&'static str> {
    let e = &scenario.expect;
    let mut names = Vec::new();
    if e.lost_acked_writes.is_some() {
        names.push("expect.lost_acked_writes");
    }
    if e.stale_reads.is_some() {
        names.push("expect.stale_reads");
    }
    if e.converged_within.is_some() {
        names.push("expect.converged_within");
    }
    if e.max_siblings.is_some() {
        names.push("expect.max_siblings");
    }
    names
}

pub fn evaluate(scenario: &Scenario, out: &RunOutput) -> Vec<Verdict> {
    let e = &scenario.expect;
    let m = &out.metrics;
    let mut verdicts = Vec::new();
    let mut at_least = |name: &str, min: Option<f64>, actual: Option<f64>| {
        if let Some(min) = min {
            // No completed operation: nothing was available, and nothing
            // unavailable; the expectation cannot hold vacuously.
            verdicts.push(Verdict {
                name: name.to_string(),
                expected: json!({ "min": min }),
                actual: actual.map_or(Value::Null, |a| json!(a)),
                ok: actual.is_some_and(|a| a >= min),
            });
        }
    };
    at_least("availability", e.availability, m.availability());
    at_least("get_availability", e.get_availability, m.get.availability());
    at_least("put_availability", e.put_availability, m.put.availability());
    for (name, bound, kind) in [
        ("get_p99", e.get_p99, OpKind::Get),
        ("put_p99", e.put_p99, OpKind::Put),
    ] {
        if let Some(max) = bound {
            let hist = &m.ops(kind).latency;
            let p99 = hist.quantile(0.99);
            verdicts.push(Verdict {
                name: name.to_string(),
                expected: json!({ "max_ms": max.as_millis_f64() }),
                actual: p99.map_or(Value::Null, |p| json!(p.as_millis_f64())),
                ok: p99.is_some_and(|p| p <= max),
            });
        }
    }
    for (index, op) in scenario.ops.iter().enumerate() {
        let Some(want) = &op.returns else { continue };
        debug_assert!(
            matches!(op.kind, ScriptedKind::Get),
            "validated: returns only on gets"
        );
        let mut want: Vec<&str> = want.iter().map(String::as_str).collect();
        want.sort_unstable();
        let result = out
            .script_results
            .iter()
            .find(|r| r.index as usize == index);
        let (actual, ok) = match result {
            Some(r) if r.outcome == Outcome::Ok => {
                let mut got: Vec<String> = r
                    .values
                    .iter()
                    .map(|v| out.names.value(*v).into_owned())
                    .collect();
                got.sort_unstable();
                let ok = got == want;
                (json!(got), ok)
            }
            Some(r) => (json!(r.outcome.as_str()), false),
            None => (json!("not completed"), false),
        };
        verdicts.push(Verdict {
            name: format!("op[{index}].returns"),
            expected: json!(want),
            actual,
            ok,
        });
    }
    verdicts
}
