//! `dynsim run`: one run, its report, a short human summary.

use super::{EXIT_BAD_INPUT, EXIT_FAILED, EXIT_HELD};
use crate::report::{ReportDir, Summary};
use crate::run;
use crate::scenario::Scenario;
use crate::time::SimTime;
use crate::trace::Tracer;
use crate::trace::export::{Export, convert_file};
use std::fs::File;
use std::io::{BufWriter, IsTerminal};
use std::path::PathBuf;
use std::time::Instant;

/// Show a progress bar only for runs that take a while to simulate.
const PROGRESS_SLICES: u64 = 200;

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The scenario file (TOML, or JSON with a .json extension).
    file: PathBuf,
    /// Replace the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Write the report here instead of reports/<name>/.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Trace formats, comma-separated: off, jsonl, perfetto (trace.perfetto.json),
    /// shiviz (shiviz.log).
    #[arg(long, default_value = "jsonl", value_delimiter = ',')]
    trace: Vec<TraceFormat>,
    /// Override a field by its dotted path, as `replication.r=1`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Plant a bug on purpose, to replay a failure the property tests
    /// wrote out (tests/eventual.rs); never for real runs.
    #[arg(long, hide = true, value_enum)]
    deliberate_bug: Option<PlantedBug>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum PlantedBug {
    AckBeforeQuorum,
    MergeDropsSibling,
    CoordinateAnyForward,
    CoordinateDuplicates,
}

impl PlantedBug {
    pub(super) fn bug(self) -> crate::node::DeliberateBug {
        match self {
            PlantedBug::AckBeforeQuorum => crate::node::DeliberateBug::AckBeforeQuorum,
            PlantedBug::MergeDropsSibling => crate::node::DeliberateBug::MergeDropsSibling,
            PlantedBug::CoordinateAnyForward => crate::node::DeliberateBug::CoordinateAnyForward,
            PlantedBug::CoordinateDuplicates => crate::node::DeliberateBug::CoordinateDuplicates,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum TraceFormat {
    Off,
    Jsonl,
    Perfetto,
    Shiviz,
}

/// The exports asked for, derived from `trace.jsonl` after the run.
fn exports(formats: &[TraceFormat]) -> Vec<Export> {
    let mut exports = Vec::new();
    if formats.contains(&TraceFormat::Perfetto) {
        exports.push(Export::Perfetto);
    }
    if formats.contains(&TraceFormat::Shiviz) {
        exports.push(Export::ShiViz);
    }
    exports
}

pub fn run(args: RunArgs) -> u8 {
    let bug = args.deliberate_bug.map(PlantedBug::bug);
    let scenario = match super::load_to_run(&args.file, &args.sets, args.seed, bug) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // The seed first, as FoundationDB prints it: whatever happens next can
    // be replayed from this line.
    eprintln!(
        "dynsim: scenario `{}`, seed {}",
        scenario.name, scenario.seed
    );

    let target = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name));
    let report = match ReportDir::create(&target) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "error: cannot create the report folder {}: {e}",
                target.display()
            );
            return EXIT_BAD_INPUT;
        }
    };
    if args.trace.contains(&TraceFormat::Off) && args.trace.len() > 1 {
        eprintln!("error: --trace off cannot be combined with another format");
        return EXIT_BAD_INPUT;
    }
    let exports = exports(&args.trace);
    // The exports are converted from trace.jsonl, written even when only
    // they were asked for and removed after.
    let keep_jsonl = args.trace.contains(&TraceFormat::Jsonl);
    let tracing = keep_jsonl || !exports.is_empty();
    let tracer = if tracing {
        match File::create(report.path().join("trace.jsonl")) {
            Ok(f) => Tracer::jsonl(Box::new(BufWriter::with_capacity(1 << 20, f))),
            Err(e) => {
                eprintln!("error: cannot write the trace: {e}");
                return EXIT_BAD_INPUT;
            }
        }
    } else {
        Tracer::off()
    };

    let started = Instant::now(); // wall-clock ok: wall_ms in the summary, outside the run
    let mut world = run::build_with_bug(&scenario, tracer, bug);
    let observed = drive_with_progress(&scenario, &mut world);
    if let Err(e) = world.finish_trace() {
        eprintln!("error: writing the trace failed: {e}");
        return EXIT_BAD_INPUT;
    }
    let output = run::output(&scenario, &mut world, observed);
    let found = crate::check::findings(&scenario, &output);
    let verdicts = crate::check::judge(&scenario, &output, &found);
    let wall_ms = started.elapsed().as_millis() as u64;
    let mut summary = Summary::new(&scenario, &output, &found, verdicts, wall_ms);
    let charts = crate::report::charts::run_charts(&scenario, &output, &summary);
    if let Err(e) = crate::report::charts::write(&charts, report.path()) {
        eprintln!("error: writing the charts failed: {e}");
        return EXIT_BAD_INPUT;
    }
    if let Err(e) = crate::report::html::write(report.path(), &scenario, &summary, &charts, tracing)
    {
        eprintln!("error: writing report.html failed: {e}");
        return EXIT_BAD_INPUT;
    }
    // The exports are converted from trace.jsonl, which report.html read
    // too; it goes only now when it was not asked for.
    if !exports.is_empty() {
        let jsonl = report.path().join("trace.jsonl");
        let converted =
            convert_file(&jsonl, report.path(), &exports).and_then(|()| match keep_jsonl {
                true => Ok(()),
                false => std::fs::remove_file(&jsonl),
            });
        if let Err(e) = converted {
            eprintln!("error: exporting the trace failed: {e}");
            return EXIT_BAD_INPUT;
        }
    }
    // The peak memory is read once the charts, report.html and the exports
    // are written, so it covers the whole process but summary.json's own
    // few kilobytes of text, which hold it and so go last.
    summary.peak_rss_mib = peak_rss_mib();
    if let Err(e) = summary.write(report.path()) {
        eprintln!("error: writing summary.json failed: {e}");
        return EXIT_BAD_INPUT;
    }
    let written = match report.commit() {
        Ok(p) => p,
        Err(e) => {
            eprintln!(
                "error: cannot move the report into {}: {e}",
                target.display()
            );
            return EXIT_BAD_INPUT;
        }
    };
    print_summary(&summary, &written);
    // The process ends here: freeing the world and the run's output (a
    // hundred thousand small allocations on the quorum workload, each
    // store, state and history entry) would take longer than the exit
    // that returns all of it at once.
    std::mem::forget(output);
    std::mem::forget(world);
    if summary.ok {
        EXIT_HELD
    } else {
        println!(
            "an expectation failed; replay this run with:\n  {}",
            replay_command(&args, scenario.seed)
        );
        EXIT_FAILED
    }
}

/// The command that replays this run: every flag it was given (the
/// hidden `--deliberate-bug` too, or the replay would pass), shell-quoted.
fn replay_command(args: &RunArgs, seed: u64) -> String {
    use crate::sweep::grid::shell_quote;
    use clap::ValueEnum;
    let file = args.file.display().to_string();
    let mut command = format!("dynsim run {} --seed {seed}", shell_quote(&file));
    for set in &args.sets {
        command += &format!(" --set {}", shell_quote(set));
    }
    if let Some(out) = &args.out {
        command += &format!(" --out {}", shell_quote(&out.display().to_string()));
    }
    if args.trace != [TraceFormat::Jsonl] {
        let names: Vec<String> = args
            .trace
            .iter()
            .filter_map(|t| t.to_possible_value().map(|v| v.get_name().to_string()))
            .collect();
        command += &format!(" --trace {}", names.join(","));
    }
    if let Some(bug) = args.deliberate_bug.and_then(|b| b.to_possible_value()) {
        command += &format!(" --deliberate-bug {}", bug.get_name());
    }
    command
}

/// "1 stale read", "2 stale reads", "- stale reads" when not measured.
fn counted(n: Option<u64>, one: &str, many: &str) -> String {
    match n {
        Some(1) => format!("1 {one}"),
        Some(n) => format!("{n} {many}"),
        None => format!("- {many}"),
    }
}

/// Runs the world through the one driver, [`run::drive`], drawing a bar
/// on a terminal between slices.
fn drive_with_progress(scenario: &Scenario, world: &mut run::World) -> run::Observations {
    if !std::io::stderr().is_terminal() {
        return run::drive(scenario, world, SimTime::MAX, |_| {});
    }
    let end = scenario.end();
    let bar = indicatif::ProgressBar::new(end.0 / SimTime::MS);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} simulated ms  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let step = SimTime((end.0 / PROGRESS_SLICES).max(1));
    let observed = run::drive(scenario, world, step, |world| {
        bar.set_position(world.now().0 / SimTime::MS);
        bar.set_message(format!("{} events", world.metrics().events));
    });
    bar.finish_and_clear();
    observed
}

/// How much of an anomaly's explanation the terminal shows; summary.json
/// keeps it whole (a get under DVV can return hundreds of siblings).
const EXAMPLE_CHARS: usize = 200;

/// `text` cut to at most `max` characters, marked with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// The k-staleness tally in one short clause: the first few counts, then
/// the rest folded into one figure with the largest lag, so a run with
/// hundreds of distinct lags still prints one readable line (the whole
/// tally is `staleness.k_staleness` in summary.json).
fn versions_behind(tally: &std::collections::BTreeMap<u64, u64>) -> String {
    const SHOWN: usize = 4;
    if tally.is_empty() {
        return String::new();
    }
    let mut parts: Vec<String> = tally
        .iter()
        .take(SHOWN)
        .map(|(k, n)| format!("{n} by {k}"))
        .collect();
    if tally.len() > SHOWN {
        let rest: u64 = tally.values().skip(SHOWN).sum();
        let worst = tally.keys().next_back().copied().unwrap_or(0);
        parts.push(format!("{rest} by more, up to {worst}"));
    }
    format!("; versions behind: {}", parts.join(", "))
}

fn print_summary(s: &Summary, dir: &std::path::Path) {
    let fmt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}ms"));
    let rss = s
        .peak_rss_mib
        .map_or(String::new(), |m| format!(", peak memory {m:.1} MiB"));
    println!(
        "{} events in {} simulated ms ({} ms wall{rss})",
        s.events, s.sim_ms, s.wall_ms
    );
    for (kind, c, q) in [
        ("get", &s.ops.get, &s.latency_ms.get),
        ("put", &s.ops.put, &s.latency_ms.put),
    ] {
        println!(
            "  {kind}: {} ok, {} fail, {} timeout; p50 {} p99 {}",
            c.ok,
            c.fail,
            c.timeout,
            fmt(q.p50),
            fmt(q.p99)
        );
    }
    println!(
        "  messages: {} sent, {} delivered, dropped {} loss / {} partition / {} crashed",
        s.messages.sent,
        s.messages.delivered,
        s.messages.dropped.loss,
        s.messages.dropped.partition,
        s.messages.dropped.crashed
    );
    let count = |c: Option<u64>| c.map_or("-".to_string(), |c| c.to_string());
    println!(
        "  consistency: {}, {}; hints {} kept / {} handed back; {} read repairs",
        counted(
            s.lost_acked_writes,
            "lost acknowledged write",
            "lost acknowledged writes"
        ),
        counted(s.stale_reads, "stale read", "stale reads"),
        s.hints.stored,
        s.hints.delivered,
        s.read_repairs
    );
    for why in s
        .anomalies
        .lost_acked_writes
        .first()
        .map(|e| &e.why)
        .into_iter()
        .chain(s.anomalies.stale_reads.first().map(|e| &e.why))
    {
        println!("    for example: {}", clip(why, EXAMPLE_CHARS));
    }
    if let Some(n @ 1..) = s.superseded_siblings {
        println!(
            "  superseded siblings: {} returned a value beside one superseding it",
            counted(Some(n), "get", "gets")
        );
        if let Some(e) = s.anomalies.superseded_siblings.first() {
            println!("    for example: {}", clip(&e.why, EXAMPLE_CHARS));
        }
    }
    if let Some(n @ 1..) = s.resurrections {
        println!("  resurrections: {n} removed item(s) came back");
        if let Some(e) = s.anomalies.resurrections.first() {
            println!("    for example: {}", clip(&e.why, EXAMPLE_CHARS));
        }
    }
    if let Some(n @ 1..) = s.lost_adds {
        println!("  lost adds: {n} acknowledged add(s) missing at the end");
        if let Some(e) = s.anomalies.lost_adds.first() {
            println!("    for example: {}", clip(&e.why, EXAMPLE_CHARS));
        }
    }
    if let Some(p) = s.staleness.p_consistent {
        let behind = versions_behind(&s.staleness.k_staleness);
        println!(
            "  staleness: {:.2}% of {} saw the latest acknowledged put{behind}",
            100.0 * p,
            counted(Some(s.staleness.gets), "get", "gets")
        );
        // Every get inconsistent here is a stale read; a stale read can be
        // consistent here, which reads as a contradiction unless said.
        let inconsistent: u64 = s.staleness.k_staleness.values().sum();
        if let Some(also) = s.stale_reads.and_then(|n| n.checked_sub(inconsistent)) {
            if also > 0 {
                println!(
                    "    {} returned the latest acknowledged put but missed an older one it does not supersede: stale, yet consistent in this measure",
                    counted(Some(also), "stale read", "stale reads")
                );
            }
        }
    }
    let d = &s.durability;
    if d.wiping_restarts > 0 {
        println!(
            "  durability: {} restarts wiped a disk; {} lost acknowledged writes, {} after W or more disk losses, {} violations (fewer)",
            d.wiping_restarts,
            count(d.lost_acked_writes),
            d.lost_after_disk_loss,
            d.violations
        );
    }
    let c = &s.convergence;
    let ended = s.divergence.last().map_or(0, |&(_, keys)| keys);
    match c.after_last_heal_ms {
        Some(after) if c.last_heal_ms > 0.0 => println!(
            "  convergence: replicas agree {after:.0} ms after the last heal (at {:.0} ms)",
            c.last_heal_ms
        ),
        Some(after) => {
            println!("  convergence: replicas agree from {after:.0} ms (no fault healed)")
        }
        None if c.converged => println!("  convergence: replicas agree at the end"),
        None => println!(
            "  convergence: NOT converged, {ended} divergent keys at the end (last heal at {:.0} ms)",
            c.last_heal_ms
        ),
    }
    if let Some(first) = c.divergent.first() {
        println!("    for example: {}", first.sentence());
    }
    if let Some(m) = &s.membership {
        let detection = match m.detection_ms.iter().copied().reduce(f64::max) {
            Some(slowest) => format!(
                "crashes declared down within {slowest:.0} ms ({} observer-crash pairs never did)",
                m.undetected
            ),
            None if m.undetected > 0 => format!(
                "no crash declared down before the node came back ({} observer-crash pairs)",
                m.undetected
            ),
            None => "no crash to detect".to_string(),
        };
        println!(
            "  membership: {detection}, {} false positives; gossip {:.1} messages and {:.0} bytes per node per second",
            m.false_positives, m.gossip_messages_per_node_s, m.gossip_bytes_per_node_s
        );
    }
    let ae = &s.anti_entropy;
    if ae.enabled {
        println!(
            "  anti-entropy: {} exchanges, {} hashes and {} keys sent; a full pass takes {} at {} range(s) an exchange",
            ae.exchanges,
            ae.hashes_sent,
            ae.keys_sent,
            ae.full_pass_ms.map_or("-".to_string(), minutes),
            ae.ranges_per_exchange
        );
    }
    for v in &s.expectations {
        println!(
            "  {} {}: expected {}, got {}",
            if v.ok { "held" } else { "FAILED" },
            v.name,
            v.expected,
            v.actual
        );
    }
    println!("report: {}", dir.display());
}

/// Peak resident set size of this process (`VmHWM`), Linux only.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// A duration in ms as minutes and seconds: `16 min 0 s`, `40 s`.
fn minutes(ms: f64) -> String {
    let s = (ms / 1000.0).round() as u64;
    match s / 60 {
        0 => format!("{s} s"),
        m => format!("{m} min {} s", s % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::{clip, versions_behind};
    use std::collections::BTreeMap;

    #[test]
    fn a_long_lag_tally_folds_into_one_clause() {
        let tally: BTreeMap<u64, u64> = (1..=200).map(|k| (k, 2)).collect();
        assert_eq!(
            versions_behind(&tally),
            "; versions behind: 2 by 1, 2 by 2, 2 by 3, 2 by 4, 392 by more, up to 200"
        );
        let short: BTreeMap<u64, u64> = [(1, 5), (3, 1)].into();
        assert_eq!(versions_behind(&short), "; versions behind: 5 by 1, 1 by 3");
        assert_eq!(versions_behind(&BTreeMap::new()), "");
    }

    #[test]
    fn a_long_example_is_clipped_on_a_character_boundary() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("ééééé", 3), "ééé…");
    }
}
