//! `dynsim lamport`: runs a scenario with its trace kept in memory and
//! draws the space-time diagram of one window of it as SVG.

use super::{EXIT_BAD_INPUT, EXIT_HELD};
use crate::report::lamport;
use crate::run;
use crate::time::{SimTime, parse_duration};
use crate::trace::{SharedBuffer, Tracer, read};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct LamportArgs {
    /// The scenario file (TOML, or JSON with a .json extension).
    file: PathBuf,
    /// Draw only the messages about this key.
    #[arg(long)]
    key: Option<String>,
    /// Start of the window, as `1.5s` or `200ms` [default: around the first fault].
    #[arg(long, value_parser = duration)]
    from: Option<SimTime>,
    /// End of the window [default: when the burst after --from dies down].
    #[arg(long, value_parser = duration)]
    until: Option<SimTime>,
    /// Where to write the SVG [default: <name>-lamport.svg].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Override a field by its dotted path, as `replication.r=1`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
}

fn duration(text: &str) -> Result<SimTime, String> {
    parse_duration(text).map_err(|e| e.to_string())
}

pub fn lamport(args: LamportArgs) -> u8 {
    let scenario = match super::load_to_run(&args.file, &args.sets, args.seed, None) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let (Some(from), Some(until)) = (args.from, args.until) {
        if until < from {
            eprintln!(
                "error: --until ({} ms) is before --from ({} ms)",
                until.as_millis_f64(),
                from.as_millis_f64()
            );
            return EXIT_BAD_INPUT;
        }
    }
    if let Some(code) = args
        .from
        .and_then(|from| super::refuse_after_the_end(from.0, &scenario))
    {
        return code;
    }
    let buffer = SharedBuffer::default();
    let mut world = run::build(&scenario, Tracer::jsonl(Box::new(buffer.clone())));
    run::drive(&scenario, &mut world, SimTime::MAX, |_| {});
    if let Err(e) = world.finish_trace() {
        eprintln!("error: keeping the trace failed: {e}");
        return EXIT_BAD_INPUT;
    }
    let records = match read::parse(&buffer.text()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    drop(buffer);
    if let Some(key) = &args.key {
        super::warn_of_unknown(key, "key", &records);
    }
    let window = match (&args.key, args.from, args.until) {
        (None, None, None) => lamport::chosen_window(&records, &scenario.report),
        (key, from, until) => lamport::window_for(
            &records,
            key.as_deref(),
            from.map(|t| t.0),
            until.map(|t| t.0),
        ),
    };
    let sends = records
        .iter()
        .filter(|r| r.kind == "send" && (window.from_ns..=window.until_ns).contains(&r.t))
        .count();
    if sends == 0 {
        eprintln!(
            "note: no message is sent between {} and {}: the diagram has no arrow (the run ends at {})",
            SimTime(window.from_ns),
            SimTime(window.until_ns),
            scenario.end()
        );
    }
    let svg = lamport::draw(&records, &window);
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("{}-lamport.svg", scenario.name)));
    if let Err(e) = std::fs::write(&out, svg) {
        eprintln!("error: cannot write {}: {e}", out.display());
        return EXIT_BAD_INPUT;
    }
    println!(
        "{}: {:.3} – {:.3} ms{}",
        out.display(),
        window.from_ns as f64 / 1e6,
        window.until_ns as f64 / 1e6,
        window.key.map_or(String::new(), |k| format!(", key {k}"))
    );
    EXIT_HELD
}
