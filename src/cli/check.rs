//! `dynsim check`: explore every execution of a small scenario
//! (`crate::explore`), print the outcomes, write `check.json` and a
//! scenario file per violation; or, for a file whose `[check] schedule`
//! is set (a counterexample), replay that one execution. The wall clock
//! is read here only, for `--max-seconds` and the speed figures.

use super::run::PlantedBug;
use super::{EXIT_BAD_INPUT, EXIT_FAILED, EXIT_HELD, EXIT_INCOMPLETE};
use crate::explore::{Checker, Exploration, Reduction, ScheduleError, Strategy};
use serde_json::json;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The scenario file; it needs a [check] section.
    file: PathBuf,
    /// Replace the scenario's seed (the ring's tokens; the random walks').
    #[arg(long)]
    seed: Option<u64>,
    /// Override a field by its dotted path, as `check.max_drops=1`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// bfs finds a shortest counterexample; dfs reaches deep ends first;
    /// random walks (seeded) sample a space too big to finish.
    #[arg(long, value_enum, default_value = "bfs")]
    strategy: StrategyArg,
    /// sleep-sets: take one order of deliveries to different nodes where
    /// both reach the same state (bfs and dfs); outcome counts then count
    /// executions up to that order.
    #[arg(long, value_enum, default_value = "none")]
    reduce: ReduceArg,
    /// Stop after generating this many states.
    #[arg(long)]
    max_states: Option<u64>,
    /// Stop after this many seconds of wall-clock time.
    #[arg(long)]
    max_seconds: Option<f64>,
    /// Write check.json and the counterexamples here instead of
    /// reports/<name>-check/.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Plant a bug on purpose, to show the explorer finds it.
    #[arg(long, hide = true, value_enum)]
    deliberate_bug: Option<PlantedBug>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ReduceArg {
    None,
    SleepSets,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum StrategyArg {
    Bfs,
    Dfs,
    Random,
}

/// Random walks need a bound; without one they stop here.
const RANDOM_DEFAULT_STATES: u64 = 100_000;

pub fn check(args: CheckArgs) -> u8 {
    // Not `load_seeded`: check follows a partial schedule too, which a
    // run refuses.
    let mut sets = args.sets.clone();
    if let Some(seed) = args.seed {
        sets.push(format!("seed={seed}"));
    }
    let scenario = match super::load(&args.file, &sets) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let bug = args.deliberate_bug.map(PlantedBug::bug);
    let reduction = match args.reduce {
        ReduceArg::None => Reduction::None,
        ReduceArg::SleepSets => Reduction::SleepSets,
    };
    if reduction != Reduction::None && args.strategy == StrategyArg::Random {
        eprintln!(
            "error: --reduce {} prunes a systematic search: use it with --strategy bfs or dfs, not random walks",
            reduction.as_str()
        );
        return EXIT_BAD_INPUT;
    }
    let Some(checker) = Checker::new(&scenario, bug).map(|c| c.with_reduction(reduction)) else {
        eprintln!(
            "error: {} has no [check] section: add one (e.g. `[check]` with `max_drops = 1`) to say how far dynsim check may explore; see docs/scenario.md",
            args.file.display()
        );
        return EXIT_BAD_INPUT;
    };
    let schedule = scenario.check.as_ref().map_or(&[][..], |c| &c.schedule[..]);
    if !schedule.is_empty() {
        return replay(&checker, schedule)
            .unwrap_or_else(|e| super::refuse_schedule(&args.file, &sets, &e));
    }
    let strategy = match args.strategy {
        StrategyArg::Bfs => Strategy::Bfs,
        StrategyArg::Dfs => Strategy::Dfs,
        StrategyArg::Random => Strategy::Random,
    };
    let max_states = match (args.max_states, strategy) {
        (Some(n), _) => n,
        (None, Strategy::Random) => RANDOM_DEFAULT_STATES,
        (None, _) => u64::MAX,
    };
    println!(
        "dynsim check: scenario `{}`, seed {}, {:?}{}",
        scenario.name,
        scenario.seed,
        args.strategy,
        match reduction {
            Reduction::None => String::new(),
            r => format!(", reduced by {}", r.as_str()),
        }
    );
    let started = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let mut last_print = 0.0f64;
    let ex = checker.explore(strategy, max_states, scenario.seed, |p| {
        let secs = started.elapsed().as_secs_f64();
        if terminal && secs - last_print >= 1.0 {
            last_print = secs;
            eprint!(
                "\r  {} states, {} unique, depth {}, {:.0} states/s   ",
                p.states,
                p.unique_states,
                p.max_depth,
                p.states as f64 / secs.max(1e-9)
            );
        }
        args.max_seconds.is_some_and(|max| secs >= max)
    });
    let seconds = started.elapsed().as_secs_f64();
    if terminal && last_print > 0.0 {
        eprintln!();
    }
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-check", scenario.name)));
    match write(&checker, &ex, seconds, &out) {
        Ok(()) => {}
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", out.display());
            return EXIT_BAD_INPUT;
        }
    }
    print_summary(&ex, checker.reduction(), seconds, &out);
    if !ex.violations.is_empty() {
        EXIT_FAILED
    } else if ex.complete {
        EXIT_HELD
    } else {
        EXIT_INCOMPLETE
    }
}

fn states_per_sec(ex: &Exploration, seconds: f64) -> f64 {
    ex.states as f64 / seconds.max(1e-9)
}

fn print_summary(ex: &Exploration, reduction: Reduction, seconds: f64, out: &Path) {
    println!(
        "{} {} states ({} unique, depth {}) in {seconds:.2}s: {:.0} states/s{}, {:.0} bytes per unique state",
        if ex.complete {
            "explored all"
        } else {
            "stopped after"
        },
        ex.states,
        ex.unique_states,
        ex.max_depth,
        states_per_sec(ex, seconds),
        cpu_seconds().map_or(String::new(), |cpu| format!(
            " ({:.0} per CPU second)",
            ex.states as f64 / cpu.max(1e-9)
        )),
        bytes_per_unique_state(ex).unwrap_or(0.0),
    );
    if ex.paths_counted && reduction == Reduction::SleepSets {
        println!(
            "outcomes (executions reaching it up to the order of deliveries to different nodes, distinct end states, outcome):"
        );
    } else if ex.paths_counted {
        println!("outcomes (executions reaching it, distinct end states, outcome):");
    } else {
        println!(
            "outcomes (executions not counted: the state graph has a cycle; distinct end states, outcome):"
        );
    }
    for (outcome, reached) in &ex.outcomes {
        println!(
            "  {:>10}  {:>6}  {outcome}",
            reached.executions, reached.end_states
        );
    }
    for v in &ex.violations {
        println!(
            "violated {}: expected {}, got {} after {} steps ({})",
            v.expectation,
            v.expected,
            v.actual,
            v.steps.len(),
            out.join(violation_file(&v.expectation)).display()
        );
    }
    if ex.violations.is_empty() {
        println!(
            "{}",
            if ex.complete {
                "every expectation held in every execution"
            } else {
                "no violation in what was explored, but the exploration is incomplete"
            }
        );
    }
    println!("check: {}", out.display());
}

/// `violation-lost_acked_writes.toml`, `violation-op-3-returns.toml`.
fn violation_file(expectation: &str) -> String {
    let name: String = expectation
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!(
        "violation-{}.toml",
        name.trim_end_matches('-').replace("--", "-")
    )
}

fn write(checker: &Checker, ex: &Exploration, seconds: f64, out: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    let mut violations = Vec::new();
    for v in &ex.violations {
        let file = violation_file(&v.expectation);
        let text = checker.counterexample(v).map_err(std::io::Error::other)?;
        std::fs::write(out.join(&file), text)?;
        violations.push(json!({
            "expectation": v.expectation,
            "expected": v.expected,
            "actual": v.actual,
            "file": file,
            "steps": v.steps.len(),
            "outcome": v.outcome,
        }));
    }
    let outcomes: Vec<_> = ex
        .outcomes
        .iter()
        .map(|(outcome, reached)| {
            json!({
                "outcome": outcome,
                "executions": ex.paths_counted.then_some(reached.executions),
                "end_states": reached.end_states,
            })
        })
        .collect();
    let unique = ex.unique_states.max(1) as f64;
    let report = json!({
        "scenario": checker.scenario().name,
        "seed": checker.scenario().seed,
        "reduction": checker.reduction().as_str(),
        "complete": ex.complete,
        "states": ex.states,
        "unique_states": ex.unique_states,
        "max_depth": ex.max_depth,
        "seconds": seconds,
        "states_per_sec": states_per_sec(ex, seconds),
        "cpu_seconds": cpu_seconds(),
        "states_per_cpu_sec": cpu_seconds().map(|cpu| ex.states as f64 / cpu.max(1e-9)),
        "bookkeeping_bytes_per_unique_state": ex.bookkeeping_bytes as f64 / unique,
        "peak_rss_bytes_per_unique_state": peak_rss_bytes().map(|b| b as f64 / unique),
        "bytes_per_unique_state": bytes_per_unique_state(ex),
        "peak_frontier": ex.peak_frontier,
        "outcomes": outcomes,
        "violations": violations,
    });
    let mut text = serde_json::to_string_pretty(&report).map_err(std::io::Error::other)?;
    text.push('\n');
    std::fs::write(out.join("check.json"), text)
}

/// The processor time this process has used (Linux: user and system, in
/// clock ticks of 1/100 s), for states per second on one core when the
/// machine is shared and the wall clock counts others' work too.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command's closing parenthesis; utime and
    // stime are the 14th and 15th of the line.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some((user + system) / 100.0)
}

/// What a unique state costs: the process's peak memory over the unique
/// states (frontier, visited set, parent links and the program itself).
fn bytes_per_unique_state(ex: &Exploration) -> Option<f64> {
    peak_rss_bytes().map(|b| b as f64 / ex.unique_states.max(1) as f64)
}

/// The process's peak resident memory (Linux), for bytes per state.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A counterexample: follow its schedule, tell each step, judge the end
/// (the exit code); `Err` before anything is printed when the schedule
/// is no execution of the file.
fn replay(checker: &Checker, schedule: &[u32]) -> Result<u8, ScheduleError> {
    let replay = checker.replay(schedule)?;
    let name = &checker.scenario().name;
    println!(
        "dynsim check: replaying the {} steps of `{name}`'s [check] schedule",
        schedule.len()
    );
    for (i, step) in replay.steps.iter().enumerate() {
        println!("  {:>3}. {step}", i + 1);
    }
    if !replay.ended {
        println!("  (the execution goes on past the schedule; judged where it stops)");
    }
    println!("it ends with: {}", replay.judged.outcome);
    let mut failed = false;
    for v in &replay.judged.verdicts {
        println!(
            "  {} {}: expected {}, got {}",
            if v.ok { "held" } else { "FAILED" },
            v.name,
            v.expected,
            v.actual
        );
        failed |= !v.ok;
    }
    Ok(if failed { EXIT_FAILED } else { EXIT_HELD })
}
