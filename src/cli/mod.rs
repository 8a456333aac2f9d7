//! The command line: `dynsim run`, `dynsim validate`, `dynsim ring`,
//! `dynsim sweep`, `dynsim sweep-merge`, `dynsim shrink`, `dynsim explain`,
//! `dynsim lamport`, `dynsim check`. Parsing with clap; each subcommand in its own file.
//! This is the only place, with `main.rs`, that reads the wall clock (for
//! `wall_ms`) or the terminal.

mod check;
mod explain;
mod lamport;
mod ring;
mod run;
mod shrink;
mod sweep;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit codes of the contract.
pub const EXIT_HELD: u8 = 0;
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;
/// `dynsim check` only: a bound stopped the exploration before it was
/// complete, and no violation was found in what it explored.
pub const EXIT_INCOMPLETE: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "dynsim",
    version,
    about = "A deterministic simulator of the Dynamo key-value store design",
    long_about = "Replays failure scenarios byte for byte, checks what held, and reports it.\n\
                  Exit codes: 0 every expectation held, 1 one failed, 2 bad input."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run one scenario and write its report.
    Run(run::RunArgs),
    /// Check a scenario file; run nothing.
    Validate(ValidateArgs),
    /// Show a ring's layout and load balance (Dynamo §6.2); run nothing.
    Ring(ring::RingArgs),
    /// Run a scenario over a grid of seeds and --set values, a row each.
    Sweep(sweep::SweepArgs),
    /// Join the folders of a sweep's shards into the whole sweep's files.
    SweepMerge(sweep::MergeArgs),
    /// Find the smallest scenario that still fails an expectation.
    Shrink(shrink::ShrinkArgs),
    /// Tell a run in plain sentences, from its trace.
    Explain(explain::ExplainArgs),
    /// Draw a run's space-time (Lamport) diagram of one window as SVG.
    Lamport(lamport::LamportArgs),
    /// Explore every execution of a small scenario (its [check] section).
    Check(check::CheckArgs),
}

#[derive(clap::Args, Debug)]
struct ValidateArgs {
    /// The scenario file (TOML, or JSON with a .json extension).
    file: PathBuf,
    /// Override a field by its dotted path, as `replication.r=1`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
}

/// The exit code of a run stopped by SIGINT or SIGTERM (128 + SIGINT, as
/// shells report an interrupted command).
pub const EXIT_INTERRUPTED: i32 = 130;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // An interrupted run removes its half-written report folder. The
    // handler runs on its own thread, outside every run.
    let installed = ctrlc::set_handler(|| {
        crate::report::staging::remove_all();
        eprintln!("dynsim: interrupted; the unfinished report folder was removed");
        std::process::exit(EXIT_INTERRUPTED);
    });
    if let Err(e) = installed {
        eprintln!(
            "warning: cannot catch interrupts ({e}): an interrupted run may leave a .partial folder"
        );
    }
    quiet_on_closed_pipe();
    let code = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate(args),
        Command::Ring(args) => ring::ring(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::SweepMerge(args) => sweep::sweep_merge(args),
        Command::Shrink(args) => shrink::shrink(args),
        Command::Explain(args) => explain::explain(args),
        Command::Lamport(args) => lamport::lamport(args),
        Command::Check(args) => check::check(args),
    };
    ExitCode::from(code)
}

/// The exit code of a command whose reader closed its output early, as a
/// shell reports a process killed by SIGPIPE (128 + 13).
pub const EXIT_CLOSED_PIPE: i32 = 141;

/// `dynsim shrink ... | head` closes the pipe before dynsim is done
/// writing; Rust ignores SIGPIPE, so `println!` panics on the broken
/// pipe. Stop quietly instead, as Unix tools do, and remove any
/// half-written report folder on the way out.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            crate::report::staging::remove_all();
            std::process::exit(EXIT_CLOSED_PIPE);
        }
        default(info);
    }));
}

fn validate(args: ValidateArgs) -> u8 {
    match load(&args.file, &args.sets) {
        Ok(scenario) => {
            println!(
                "{}: valid scenario `{}` ({} nodes, N={} R={} W={}, {} faults, {} scripted ops)",
                args.file.display(),
                scenario.name,
                scenario.cluster.nodes,
                scenario.replication.n,
                scenario.replication.r,
                scenario.replication.w,
                scenario.faults.len(),
                scenario.ops.len()
            );
            EXIT_HELD
        }
        Err(code) => code,
    }
}

/// [`load`] with `--seed` applied as the last `--set`, as every command
/// that runs a scenario takes it.
fn load_seeded(
    file: &std::path::Path,
    sets: &[String],
    seed: Option<u64>,
) -> Result<crate::scenario::Scenario, u8> {
    let mut sets = sets.to_vec();
    if let Some(seed) = seed {
        sets.push(format!("seed={seed}"));
    }
    load(file, &sets)
}

/// [`load_seeded`] for a command that runs the file (`run`, `explain`,
/// `lamport`): a `[check] schedule` (a counterexample) must also be a
/// whole execution of it, with `bug` planted if one is, for the run to
/// follow it.
fn load_to_run(
    file: &std::path::Path,
    sets: &[String],
    seed: Option<u64>,
    bug: Option<crate::node::DeliberateBug>,
) -> Result<crate::scenario::Scenario, u8> {
    let mut sets = sets.to_vec();
    if let Some(seed) = seed {
        sets.push(format!("seed={seed}"));
    }
    let scenario = load(file, &sets)?;
    match crate::explore::script(&scenario, bug) {
        Ok(_) => Ok(scenario),
        Err(e) => Err(refuse_schedule(file, &sets, &e)),
    }
}

/// Prints why a `[check] schedule` is no execution of its file, located
/// as a bad field is (file, line, column, `check.schedule[3]`, a caret),
/// and returns the bad-input exit code.
fn refuse_schedule(
    file: &std::path::Path,
    sets: &[String],
    e: &crate::explore::ScheduleError,
) -> u8 {
    let located = crate::scenario::locate(file, sets, "check.schedule", e.step, &e.message);
    let color = std::io::IsTerminal::is_terminal(&std::io::stderr());
    eprint!("{}", located.render(color));
    EXIT_BAD_INPUT
}

/// Loads and validates a scenario, printing the error and returning the
/// exit code when it is bad.
fn load(file: &std::path::Path, sets: &[String]) -> Result<crate::scenario::Scenario, u8> {
    crate::scenario::load(file, sets).map_err(|e| {
        let color = std::io::IsTerminal::is_terminal(&std::io::stderr());
        eprint!("{}", e.render(color));
        EXIT_BAD_INPUT
    })
}

/// Refuses a `--from` at or after the run's end, where nothing happens:
/// an empty answer would leave the user guessing why.
pub(super) fn refuse_after_the_end(
    from_ns: u64,
    scenario: &crate::scenario::Scenario,
) -> Option<u8> {
    let end = scenario.end();
    if from_ns < end.0 {
        return None;
    }
    eprintln!(
        "error: --from {} is not before the run's end at {end} (duration {} + quiesce {}): nothing happens from then on",
        crate::time::SimTime(from_ns),
        scenario.duration,
        scenario.quiesce
    );
    Some(EXIT_BAD_INPUT)
}

/// A `--key` or `--node` that names nothing in the run leaves `explain`
/// only the cluster-wide sentences and `lamport` an empty window; say so,
/// with the names the run does have, rather than leave the user guessing
/// at a typo.
pub(super) fn warn_of_unknown(name: &str, what: &str, records: &[crate::trace::read::Record]) {
    let fields: &[&str] = match what {
        "key" => &["key"],
        _ => &["node", "from", "to"],
    };
    let mut known = std::collections::BTreeSet::new();
    for r in records {
        for f in fields {
            if let Some(v) = r.str(f) {
                known.insert(v);
            }
        }
    }
    if known.contains(name) {
        return;
    }
    let listed: Vec<&str> = known.iter().copied().take(12).collect();
    let more = if known.len() > listed.len() {
        ", ..."
    } else {
        ""
    };
    eprintln!(
        "note: no event of this run names the {what} `{name}`; it has {}{more}",
        listed.join(", ")
    );
}
