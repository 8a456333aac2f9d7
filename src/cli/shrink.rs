//! `dynsim shrink`: runs a scenario, and when an expectation fails, looks
//! for the smallest scenario that still fails it and writes that file.
//! The search itself is `crate::shrink`; this file runs the simulations,
//! prints progress and writes the result.

use super::{EXIT_BAD_INPUT, EXIT_FAILED, EXIT_HELD};
use crate::check::{self, Verdict};
use crate::run;
use crate::scenario::{self, Format, Scenario};
use crate::shrink::{self, Size, Target};
use crate::trace::Tracer;
use serde_json::Value;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ShrinkArgs {
    /// The failing scenario file (TOML, or JSON with a .json extension).
    file: PathBuf,
    /// The seed of the failing run (default: the file's).
    #[arg(long)]
    seed: Option<u64>,
    /// Override a field by its dotted path, as `replication.r=1`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Where to write the small scenario [default: <name>-shrunk.toml].
    #[arg(long)]
    out: Option<PathBuf>,
    /// The failed expectation to keep failing, by its verdict name
    /// (`lost_acked_writes`, `op[2].returns`) [default: the first failed].
    #[arg(long = "expect", value_name = "NAME")]
    expect: Option<String>,
    /// Run at most this many candidate scenarios.
    #[arg(long, default_value_t = 300)]
    max_runs: u32,
}

pub fn shrink(args: ShrinkArgs) -> u8 {
    let start = match super::load_seeded(&args.file, &args.sets, args.seed) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}-shrunk.toml", start.name)));
    // A shrink can take minutes: find out now, not after it, that the
    // result cannot be written.
    if let Err(e) = check_writable(&out) {
        eprintln!("error: cannot write {}: {e}", out.display());
        return EXIT_BAD_INPUT;
    }
    let Some(verdicts) = verdicts(&start) else {
        eprintln!("error: the run of `{}` did not complete", start.name);
        return EXIT_BAD_INPUT;
    };
    let failed = match &args.expect {
        Some(name) => match verdicts.iter().find(|v| &v.name == name) {
            Some(v) if v.ok => {
                println!("`{name}` held (got {}): nothing to shrink", v.actual);
                return EXIT_HELD;
            }
            Some(v) => v,
            None => {
                let names: Vec<&str> = verdicts.iter().map(|v| v.name.as_str()).collect();
                eprintln!(
                    "error: `{}` has no expectation `{name}`; it has: {}",
                    args.file.display(),
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                );
                return EXIT_BAD_INPUT;
            }
        },
        None => match verdicts.iter().find(|v| !v.ok) {
            Some(v) => v,
            None => {
                println!(
                    "every expectation held ({} checked) for `{}` seed {}: nothing to shrink",
                    verdicts.len(),
                    start.name,
                    start.seed
                );
                return EXIT_HELD;
            }
        },
    };
    println!(
        "shrinking `{}` (seed {}) while `{}` fails (expected {}, got {})",
        start.name, start.seed, failed.name, failed.expected, failed.actual
    );
    let target = Target::from_verdict_name(&failed.name);
    let failure = failed.actual.clone();
    let fails = |s: &Scenario, target: &Target| fails_alike(s, target, &failure);
    let outcome = shrink::shrink(start.clone(), target, args.max_runs, fails, |line| {
        println!("  {line}")
    });
    if outcome.budget_spent {
        println!(
            "  stopped after {} runs (--max-runs): the result may shrink further",
            outcome.runs
        );
    }

    let mut small = outcome.scenario;
    // Its own name, so replaying it writes its own report folder beside
    // the original's rather than over it.
    if !small.name.ends_with("-shrunk") {
        small.name = format!("{}-shrunk", start.name);
    }
    let verdict_name = outcome.target.verdict_name();
    small.description = description(&args, &start, &verdict_name);
    let text = scenario::to_toml(&small);
    // Replay the file's exact text once: what is written must fail.
    let replayed = scenario::parse_str("shrunk.toml", &text, Format::Toml, &[])
        .ok()
        .is_some_and(|s| fails(&s, &outcome.target));
    if !replayed {
        eprintln!("warning: the written scenario no longer fails `{verdict_name}` on replay");
    }
    if let Err(e) = std::fs::write(&out, &text) {
        eprintln!("error: cannot write {}: {e}", out.display());
        return EXIT_BAD_INPUT;
    }
    println!("before: {}", Size::of(&start));
    println!("after:  {}", Size::of(&small));
    println!(
        "{} changes kept, {} candidates run; `{verdict_name}` still fails in {}",
        outcome.accepted.len(),
        outcome.runs,
        out.display()
    );
    println!("replay it with:\n  dynsim run {}", out.display());
    EXIT_FAILED
}

/// Whether `path` can be written, without changing what is there: a file
/// that exists is opened for appending, one that does not is created and
/// removed again.
fn check_writable(path: &std::path::Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Err(std::io::Error::other("it is a folder"));
    }
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
    if !existed {
        std::fs::remove_file(path)?;
    }
    Ok(())
}

/// The verdicts of one run, or `None` when the run could not complete.
fn verdicts(s: &Scenario) -> Option<Vec<Verdict>> {
    // A candidate the simulator cannot run counts as "does not fail"
    // rather than ending the search.
    catch_unwind(AssertUnwindSafe(|| {
        run::run(s, Tracer::off())
            .ok()
            .map(|out| check::evaluate(s, &out))
    }))
    .ok()
    .flatten()
}

/// Whether the run of `s` fails the target expectation the way the
/// original run did (see [`same_kind`]).
fn fails_alike(s: &Scenario, target: &Target, failure: &Value) -> bool {
    let name = target.verdict_name();
    verdicts(s).is_some_and(|vs| {
        vs.iter()
            .any(|v| v.name == name && !v.ok && same_kind(&v.actual, failure))
    })
}

/// Whether two failed verdicts' `actual` values are the same kind of
/// failure. Without this the search drifts to vacuous failures: a p99
/// bound fails on a run with no gets at all (`null`), and a scenario with
/// no gets is always smaller. So a measured number must stay a number,
/// a described outcome ("not converged") that outcome, and a scripted
/// get's wrong values the same values.
fn same_kind(candidate: &Value, original: &Value) -> bool {
    match (candidate, original) {
        // Described outcomes and the values a scripted get returned: the
        // same ones (a get that finds nothing once every put is removed
        // is not the wrong value the original run read).
        (Value::String(_), Value::String(_)) | (Value::Array(_), Value::Array(_)) => {
            candidate == original
        }
        (Value::Number(_), Value::Number(_))
        | (Value::Null, Value::Null)
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Object(_), Value::Object(_)) => true,
        _ => false,
    }
}

fn description(args: &ShrinkArgs, start: &Scenario, verdict: &str) -> String {
    let mut from = format!("{} --seed {}", args.file.display(), start.seed);
    for set in &args.sets {
        from.push_str(&format!(" --set {set}"));
    }
    // The version: a seed fixes a run for one version of dynsim, and a
    // release that changes how draws are made changes the runs it gives.
    let mut text = format!(
        "Shrunk by `dynsim shrink` {} from {from}: expectation `{verdict}` still fails.",
        env!("CARGO_PKG_VERSION")
    );
    if !start.description.trim().is_empty() {
        text.push_str("\n\nThe original description:\n");
        text.push_str(start.description.trim_end());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_vacuous_failure_is_not_the_same_failure() {
        assert!(same_kind(&json!(12.5), &json!(205.5)));
        assert!(!same_kind(&Value::Null, &json!(205.5)));
        assert!(same_kind(&json!("not converged"), &json!("not converged")));
        assert!(!same_kind(
            &json!("no sample after the last heal"),
            &json!("not converged")
        ));
        assert!(same_kind(&json!(["milk"]), &json!(["milk"])));
        assert!(!same_kind(&json!([]), &json!(["milk"])));
    }
}
