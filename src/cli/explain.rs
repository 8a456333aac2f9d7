//! `dynsim explain`: runs a scenario with its trace in memory and prints
//! the run told in sentences (see [`crate::explain`]), filtered by key,
//! node and time.

use super::{EXIT_BAD_INPUT, EXIT_HELD};
use crate::explain::{self, Filter};
use crate::time::parse_duration;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// The scenario file (TOML, or JSON with a .json extension).
    file: PathBuf,
    /// Only sentences about this key (`cart`, `k42`); faults stay.
    #[arg(long)]
    key: Option<String>,
    /// Only sentences naming this node (`n3`); faults stay.
    #[arg(long)]
    node: Option<String>,
    /// Only from this simulated time on (`1.5s`, `200ms`).
    #[arg(long, value_name = "T")]
    from: Option<String>,
    /// Only up to this simulated time (`1.5s`, `200ms`).
    #[arg(long, value_name = "T")]
    until: Option<String>,
    /// Replace the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Override a field by its dotted path, as `replication.r=1`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
}

/// Parses a `--from`/`--until` time, printing the error.
fn time_arg(flag: &str, text: Option<&str>, default: u64) -> Result<u64, u8> {
    match text {
        None => Ok(default),
        Some(t) => parse_duration(t).map(|d| d.0).map_err(|e| {
            eprintln!("error: --{flag}: {e}");
            EXIT_BAD_INPUT
        }),
    }
}

pub fn explain(args: ExplainArgs) -> u8 {
    let filter = match (
        time_arg("from", args.from.as_deref(), 0),
        time_arg("until", args.until.as_deref(), u64::MAX),
    ) {
        (Ok(from_ns), Ok(until_ns)) => Filter {
            key: args.key.clone(),
            node: args.node.clone(),
            from_ns,
            until_ns,
        },
        (Err(code), _) | (_, Err(code)) => return code,
    };
    if filter.from_ns > filter.until_ns {
        eprintln!("error: --from is after --until");
        return EXIT_BAD_INPUT;
    }
    let scenario = match super::load_to_run(&args.file, &args.sets, args.seed, None) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(code) = super::refuse_after_the_end(filter.from_ns, &scenario) {
        return code;
    }
    let records = match explain::trace_of(&scenario) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: reading the run's trace failed: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    if let Some(key) = &filter.key {
        super::warn_of_unknown(key, "key", &records);
    }
    if let Some(node) = &filter.node {
        super::warn_of_unknown(node, "node", &records);
    }
    let sentences = explain::narrate(&records, &scenario, &filter);
    if sentences.is_empty() {
        eprintln!(
            "note: nothing to tell{}{}{} (the run ends at {})",
            filter
                .key
                .as_ref()
                .map_or(String::new(), |k| format!(" about key `{k}`")),
            filter
                .node
                .as_ref()
                .map_or(String::new(), |n| format!(" naming node `{n}`")),
            window_words(filter.from_ns, filter.until_ns),
            scenario.end()
        );
    }
    // A closed pipe (`| head`) ends the output quietly.
    let mut stdout = std::io::stdout().lock();
    let _ = std::io::Write::write_all(&mut stdout, explain::render(&sentences).as_bytes());
    EXIT_HELD
}

/// "between 1s and 2s", "from 1s on", "until 2s", or nothing.
fn window_words(from_ns: u64, until_ns: u64) -> String {
    use crate::time::SimTime;
    match (from_ns, until_ns) {
        (0, u64::MAX) => String::new(),
        (0, until) => format!(" until {}", SimTime(until)),
        (from, u64::MAX) => format!(" from {} on", SimTime(from)),
        (from, until) => format!(" between {} and {}", SimTime(from), SimTime(until)),
    }
}
