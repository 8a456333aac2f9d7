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
fn bad_input(message: &str) -> u8 {
    eprintln!("error: {message}");
    EXIT_BAD_INPUT
}

pub fn sweep(args: SweepArgs) -> u8 {
    // The file alone first: its errors are the usual located ones.
    let base = match super::load(&args.file, &[]) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let text = match std::fs::read_to_string(&args.file) {
        Ok(t) => t,
        Err(e) => return bad_input(&format!("cannot read {}: {e}", args.file.display())),
    };
    let seeds = match Seeds::parse(&args.seeds) {
        Ok(s) => s,
        Err(e) => return bad_input(&e),
    };
    let shard = match args.shard.as_deref().map(Shard::parse).transpose() {
        Ok(s) => s,
        Err(e) => return bad_input(&e),
    };
    let jobs = match args.jobs {
        Some(0) => return bad_input("--jobs 0: give at least one job"),
        Some(j) => j,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let grid = match Grid::new(seeds, &args.sets) {
        Ok(g) => g,
        Err(GridError::NotAnOverride(argument)) => {
            return match super::load(&args.file, &[argument]) {
                Err(code) => code,
                Ok(_) => bad_input("--set takes KEY=V1,V2"),
            };
        }
        Err(GridError::Bad(message)) => return bad_input(&message),
    };
    let file_name = args.file.display().to_string();
    let format = Format::from_path(&args.file);
    // Every combination is checked before any run starts: a typo in the
    // last value must not cost the hours the first ones take.
    for c in 0..grid.combinations() {
        let sets = run_sets(&grid, c, seeds.first);
        if let Err(e) = scenario::parse_str(&file_name, &text, format, &sets) {
            eprint!("{}", e.render(std::io::stderr().is_terminal()));
            return EXIT_BAD_INPUT;
        }
    }

    let target = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-sweep", base.name)));
    let report = match ReportDir::create(&target) {
        Ok(r) => r,
        Err(e) => {
            return bad_input(&format!(
                "cannot create the sweep folder {}: {e}",
                target.display()
            ));
        }
    };
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
        Ok(p) => p,
        Err(e) => return bad_input(&format!("cannot start {jobs} threads: {e}")),
    };
    let indices: Vec<u64> = match shard {
        Some(s) => s.indices(grid.runs()).collect(),
        None => (0..grid.runs()).collect(),
    };
    let shard_note = shard.map_or(String::new(), |s| format!(", shard {s}"));
    eprintln!(
        "dynsim: sweep of `{}`: {} runs ({} seeds × {} combinations{shard_note}) on {jobs} threads",
        base.name,
        indices.len(),
        seeds.count(),
        grid.combinations()
    );

    let bar = progress_bar(indices.len() as u64);
    let started = Instant::now(); // wall-clock ok: the runs/s shown, outside the runs
    // `collect` on an indexed parallel iterator keeps the input order, so
    // rows come back in grid order whatever the threads did.
    let rows: Result<Vec<Row>, RunError> = pool.install(|| {
        indices
            .par_iter()
            .map(|&index| {
                let row = run_caught(&file_name, &text, format, &grid, index);
                bar.inc(1);
                row
            })
            .collect()
    });
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let rows = match rows {
        Ok(rows) => rows,
        Err(RunError::BadInput(e)) => return bad_input(&e),
        Err(RunError::Panicked(e)) => {
            eprintln!("error: {e}");
            return EXIT_FAILED;
        }
    };
    eprintln!(
        "dynsim: {} runs in {seconds:.1} s ({:.2} runs/s)",
        rows.len(),
        rows.len() as f64 / seconds.max(1e-9)
    );

    let info = SweepInfo::new(&file_name, &text, &base.name, &grid, shard);
    finish(report, &target, &info, &rows)
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
fn run_caught(
    file_name: &str,
    text: &str,
    format: Format,
    grid: &Grid,
    index: u64,
) -> Result<Row, RunError> {
    let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_one(file_name, text, format, grid, index)
    }));
    match attempt {
        Ok(row) => row.map_err(RunError::BadInput),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_string());
            let run = grid.run(index);
            let replay = crate::sweep::grid::replay_command(
                file_name,
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
fn run_one(
    file_name: &str,
    text: &str,
    format: Format,
    grid: &Grid,
    index: u64,
) -> Result<Row, String> {
    let run = grid.run(index);
    let sets = run_sets(grid, run.combination, run.seed);
    // Checked before the runs; a failure here would be a bug, still no panic.
    let scenario: Scenario =
        scenario::parse_str(file_name, text, format, &sets).map_err(|e| e.render(false))?;
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
    Ok(Row::new(index, values, &summary))
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
    let target = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-sweep", info.scenario)));
    let report = match ReportDir::create(&target) {
        Ok(r) => r,
        Err(e) => {
            return bad_input(&format!(
                "cannot create the sweep folder {}: {e}",
                target.display()
            ));
        }
    };
    finish(report, &target, &info, &rows)
}
