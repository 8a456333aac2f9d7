//! `dynsim sweep` and `dynsim sweep-merge`: many runs of one scenario on
//! threads, a row each, and the joining of shards run elsewhere. The grid,
//! the rows and the files are `crate::sweep`'s; this file validates the
//! input, runs the grid with rayon, and reports.

use super::{EXIT_BAD_INPUT, EXIT_FAILED, EXIT_HELD};
use crate::check;
use crate::report::{ReportDir, Summary};
use crate::scenario::{self, Format, Scenario};
use crate::sweep::grid::{Grid, GridError, Seeds, Shard};
use crate::sweep::merge;
use crate::sweep::row::Row;
use crate::sweep::{self as sweeps, SweepInfo};
use crate::trace::Tracer;
use rayon::prelude::*;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Failed runs listed with their replay command; the rest are counted.
const REPLAYS_SHOWN: usize = 20;

#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// The scenario file (TOML, or JSON with a .json extension).
    file: PathBuf,
    /// The seeds: A..B (both included), or one seed N.
    #[arg(long, value_name = "A..B")]
    seeds: String,
    /// A field and the values it takes, comma-separated, as
    /// `replication.r=1,2`; every combination of every --set runs.
    #[arg(long = "set", value_name = "KEY=V1,V2")]
    sets: Vec<String>,
    /// Runs at once, each on its own thread [default: the cores].
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only share i of n of the grid (1-based), for `sweep-merge`.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Write here instead of reports/<name>-sweep/.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// The shards' folders, each written by `dynsim sweep --shard`.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Write here instead of reports/<name>-sweep/.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Prints an error of the command line's own (not of the scenario file).
/// The sweep's folder, `--out` or `reports/<name>-sweep/`, staged like a
/// run's report.
fn sweep_dir(out: &Option<PathBuf>, name: &str) -> Result<(PathBuf, ReportDir), u8> {
    let target = out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{name}-sweep")));
    match ReportDir::create(&target) {
        Ok(report) => Ok((target, report)),
        Err(e) => Err(bad_input(&format!(
            "cannot create the sweep folder {}: {e}",
            target.display()
        ))),
    }
}

fn bad_input(message: &str) -> u8 {
    eprintln!("error: {message}");
    EXIT_BAD_INPUT
}

/// What a sweep will run, its input checked.
struct Plan {
    /// The file as given: errors and replay commands name it.
    file_name: String,
    text: String,
    format: Format,
    /// The scenario without overrides: it names the default folder.
    base: Scenario,
    grid: Grid,
    shard: Option<Shard>,
    jobs: usize,
}

pub fn sweep(args: SweepArgs) -> u8 {
    let plan = match plan(&args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let (target, report) = match sweep_dir(&args.out, &plan.base.name) {
        Ok(dir) => dir,
        Err(code) => return code,
    };
    let rows = match run_grid(&plan) {
        Ok(rows) => rows,
        Err(code) => return code,
    };
    let info = SweepInfo::new(
        &plan.file_name,
        &plan.text,
        &plan.base.name,
        &plan.grid,
        plan.shard,
    );
    finish(report, &target, &info, &rows)
}

/// Reads and checks everything before any run: the file, the seeds, the
/// shard, and every combination of the `--set` values, so a typo in the
/// last value does not cost the hours the first ones take.
fn plan(args: &SweepArgs) -> Result<Plan, u8> {
    let Ok(text) = std::fs::read_to_string(&args.file) else {
        // The loader words the failure to read as the usual error.
        return Err(super::load(&args.file, &[]).err().unwrap_or(EXIT_BAD_INPUT));
    };
    let file_name = args.file.display().to_string();
    let format = Format::from_path(&args.file);
    let base = parse(&file_name, &text, format, &[])?;
    let seeds = Seeds::parse(&args.seeds).map_err(|e| bad_input(&e))?;
    let shard = (args.shard.as_deref().map(Shard::parse).transpose()).map_err(|e| bad_input(&e))?;
    let jobs = match args.jobs {
        Some(0) => return Err(bad_input("--jobs 0: give at least one job")),
        Some(j) => j,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let grid = match Grid::new(seeds, &args.sets) {
        Ok(g) => g,
        Err(GridError::NotAnOverride(argument)) => {
            parse(&file_name, &text, format, &[argument])?;
            return Err(bad_input("--set takes KEY=V1,V2"));
        }
        Err(GridError::Bad(message)) => return Err(bad_input(&message)),
    };
    for c in 0..grid.combinations() {
        parse(&file_name, &text, format, &run_sets(&grid, c, seeds.first))?;
    }
    Ok(Plan {
        file_name,
        text,
        format,
        base,
        grid,
        shard,
        jobs,
    })
}

/// The scenario with these overrides, or its error printed and exit 2.
fn parse(file_name: &str, text: &str, format: Format, sets: &[String]) -> Result<Scenario, u8> {
    scenario::parse_str(file_name, text, format, sets).map_err(|e| {
        eprint!("{}", e.render(std::io::stderr().is_terminal()));
        EXIT_BAD_INPUT
    })
}

/// Runs the plan's share of the grid on `jobs` threads; the rows in grid
/// order.
fn run_grid(plan: &Plan) -> Result<Vec<Row>, u8> {
    let Plan { grid, jobs, .. } = plan;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(*jobs)
        .build()
        .map_err(|e| bad_input(&format!("cannot start {jobs} threads: {e}")))?;
    let indices: Vec<u64> = match plan.shard {
        Some(s) => s.indices(grid.runs()).collect(),
        None => (0..grid.runs()).collect(),
    };
    let shard_note = plan.shard.map_or(String::new(), |s| format!(", shard {s}"));
    eprintln!(
        "dynsim: sweep of `{}`: {} ({} × {}{shard_note}) on {}",
        plan.base.name,
        plural(indices.len() as u128, "run"),
        plural(grid.seeds.count(), "seed"),
        plural(grid.combinations() as u128, "combination"),
        plural(*jobs as u128, "thread"),
    );

    let bar = progress_bar(indices.len() as u64);
    let started = Instant::now(); // wall-clock ok: the runs/s shown, outside the runs
    // `collect` on an indexed parallel iterator keeps the input order, so
    // rows come back in grid order whatever the threads did.
    let rows: Result<Vec<Row>, RunError> = pool.install(|| {
        indices
            .par_iter()
            .map(|&index| {
                let row = run_caught(plan, index);
                bar.inc(1);
                row
            })
            .collect()
    });
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    match rows {
        Ok(rows) => {
            eprintln!(
                "dynsim: {} in {seconds:.1} s ({:.2} runs/s)",
                plural(rows.len() as u128, "run"),
                rows.len() as f64 / seconds.max(1e-9)
            );
            Ok(rows)
        }
        Err(RunError::BadInput(e)) => Err(bad_input(&e)),
        Err(RunError::Panicked(e)) => {
            eprintln!("error: {e}");
            Err(EXIT_FAILED)
        }
    }
}

/// `1 run`, `2 runs`.
fn plural(n: u128, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The overrides of one run: its combination's values, then its seed, as
/// `dynsim run FILE --seed S --set ...` applies them.
fn run_sets(grid: &Grid, combination: usize, seed: u64) -> Vec<String> {
    let mut sets = grid.set_arguments(combination);
    sets.push(format!("seed={seed}"));
    sets
}

/// Why a run gave no row.
enum RunError {
    /// Cannot happen after the up-front validation; still not a panic.
    BadInput(String),
    /// A bug in the simulator: the sweep stops and says how to replay it.
    Panicked(String),
}

/// [`run_one`], with a panic caught and turned into its replay command,
/// so one bad seed among thousands is named rather than lost in a
/// backtrace from another thread.
fn run_caught(plan: &Plan, index: u64) -> Result<Row, RunError> {
    let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_one(plan, index)));
    match attempt {
        Ok(row) => row.map_err(RunError::BadInput),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_string());
            let grid = &plan.grid;
            let run = grid.run(index);
            let replay = crate::sweep::grid::replay_command(
                &plan.file_name,
                run.seed,
                &grid.set_arguments(run.combination),
            );
            Err(RunError::Panicked(format!(
                "run {index} (seed {}) panicked: {message}; the sweep stopped and wrote nothing. Replay it with:\n  {replay}",
                run.seed
            )))
        }
    }
}

/// Loads, runs and judges the run at `index` of the grid, trace off.
fn run_one(plan: &Plan, index: u64) -> Result<Row, String> {
    let grid = &plan.grid;
    let run = grid.run(index);
    let sets = run_sets(grid, run.combination, run.seed);
    // Checked before the runs; a failure here would be a bug, still no panic.
    let scenario: Scenario = scenario::parse_str(&plan.file_name, &plan.text, plan.format, &sets)
        .map_err(|e| e.render(false))?;
    let output = crate::run::run(&scenario, Tracer::off())
        .map_err(|e| format!("run {index} (seed {}): {e}", run.seed))?;
    let found = check::findings(&scenario, &output);
    let verdicts = check::judge(&scenario, &output, &found);
    let summary = Summary::new(&scenario, &output, &found, verdicts, 0);
    let values = grid
        .combination(run.combination)
        .into_iter()
        .map(String::from)
        .collect();
    Ok(Row::new(index, values, &summary, &found.staleness))
}

/// A bar on a terminal only: logs and CI get the two summary lines.
fn progress_bar(runs: u64) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(runs);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} runs  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// Writes the files, moves the folder into place, lists failed runs with
/// their replay commands, and gives the exit code.
fn finish(report: ReportDir, target: &Path, info: &SweepInfo, rows: &[Row]) -> u8 {
    if let Err(e) = sweeps::write(report.path(), info, rows) {
        return bad_input(&format!("writing the sweep's files failed: {e}"));
    }
    let written = match report.commit() {
        Ok(p) => p,
        Err(e) => {
            return bad_input(&format!(
                "cannot move the sweep into {}: {e}",
                target.display()
            ));
        }
    };
    let failed: Vec<&Row> = rows.iter().filter(|r| !r.ok).collect();
    println!(
        "{} runs, {} held every expectation, {} failed",
        rows.len(),
        rows.len() - failed.len(),
        failed.len()
    );
    println!("sweep: {}", written.display());
    if failed.is_empty() {
        return EXIT_HELD;
    }
    println!("runs that failed an expectation; replay one with:");
    for row in failed.iter().take(REPLAYS_SHOWN) {
        let names: Vec<&str> = row
            .expect
            .iter()
            .filter(|(_, held)| !held)
            .map(|(name, _)| name.as_str())
            .collect();
        println!("  {}    # {}", info.replay(row), names.join(", "));
    }
    if failed.len() > REPLAYS_SHOWN {
        println!(
            "  ... and {} more (the rows with ok = false in runs.csv)",
            failed.len() - REPLAYS_SHOWN
        );
    }
    EXIT_FAILED
}

pub fn sweep_merge(args: MergeArgs) -> u8 {
    let mut parts = Vec::new();
    for dir in &args.dirs {
        match merge::read_part(dir) {
            Ok(part) => parts.push(part),
            Err(e) => return bad_input(&e),
        }
    }
    let (info, rows) = match merge::merge(parts) {
        Ok(merged) => merged,
        Err(e) => return bad_input(&e),
    };
    let (target, report) = match sweep_dir(&args.out, &info.scenario) {
        Ok(dir) => dir,
        Err(code) => return code,
    };
    finish(report, &target, &info, &rows)
}
