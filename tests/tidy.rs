//! House rules that the compiler cannot see, checked on every `cargo test`
//! (after rust-analyzer's tidy tests and TigerBeetle's tidy.zig).

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn relative(path: &Path) -> String {
    path.strip_prefix(src())
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/")
}

/// No wall clock, unseeded randomness or std's per-process hasher inside
/// the simulator: they would make two runs of one seed differ. The command
/// line may read the clock for `wall_ms`.
#[test]
fn no_wall_clock_or_unseeded_randomness_in_a_run() {
    let banned = [
        "Instant::now",
        "SystemTime",
        "thread_rng",
        "rand::random",
        "OsRng",
        "from_entropy",
        "from_os_rng",
        "DefaultHasher",
        "RandomState",
        "HashMap",
        "HashSet",
    ];
    // (file, name): each exemption says why it cannot change a run. None
    // now: the key store's map is our own (`node/keymap.rs`), laid out by
    // a fixed hash, and iterated in key order or where order cannot matter.
    let allowed: [(&str, &str); 0] = [];
    let mut hits = Vec::new();
    for file in rust_files(&src()) {
        let rel = relative(&file);
        if rel.starts_with("cli/") || rel == "main.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for b in banned {
                if line.contains(b) && !allowed.contains(&(rel.as_str(), b)) {
                    hits.push(format!("src/{rel}:{}: {b}", n + 1));
                }
            }
        }
    }
    assert!(
        hits.is_empty(),
        "determinism house rules broken:\n{}",
        hits.join("\n")
    );
}

/// Protocol code is sans-IO: it never reaches into the event loop.
#[test]
fn protocol_modules_do_not_depend_on_the_event_loop() {
    let protocol = [
        "node/", "client/", "net/", "ring/", "version/", "merkle/", "gossip/", "actor.rs",
    ];
    let mut hits = Vec::new();
    for file in rust_files(&src()) {
        let rel = relative(&file);
        if !protocol.iter().any(|p| rel.starts_with(p)) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit tests may borrow the engine's seeded streams; the code may not.
        let code_lines = text.lines().take_while(|l| !l.contains("#[cfg(test)]"));
        for (n, line) in code_lines.enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains("crate::sim") || code.contains("dynsim::sim") {
                hits.push(format!("src/{rel}:{}", n + 1));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "protocol code uses the event loop:\n{}",
        hits.join("\n")
    );
}

/// The report reads the run's figures and its trace, never the live world:
/// nothing under `report/` names the event loop or the network, tests
/// included (they build what they draw from `run`'s output). A `use
/// crate::{sim, ..}` group would hide the path, so a bare `sim` or `net`
/// in braces counts too.
#[test]
fn the_report_reads_neither_the_event_loop_nor_the_network() {
    let banned = [
        "crate::sim",
        "crate::net",
        "dynsim::sim",
        "dynsim::net",
        "super::sim",
        "super::net",
    ];
    let mut hits = Vec::new();
    for file in rust_files(&src().join("report")) {
        let rel = relative(&file);
        let text = std::fs::read_to_string(&file).unwrap();
        // Inside a `use crate::{` group, from its first line to its `;`.
        let mut in_group = false;
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            in_group = in_group || code.trim_start().starts_with("use crate::{");
            let grouped = in_group
                && code
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .any(|word| word == "sim" || word == "net");
            in_group = in_group && !code.contains(';');
            if grouped || banned.iter().any(|b| code.contains(b)) {
                hits.push(format!("src/{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "the report reaches into the event loop or the network (read `RunOutput` or the trace):\n{}",
        hits.join("\n")
    );
}

/// Every module says what it models at the top.
#[test]
fn every_module_starts_with_a_doc_comment() {
    let missing: Vec<String> = rust_files(&src())
        .into_iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().starts_with("//!"))
        .map(|f| format!("src/{}", relative(&f)))
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a //! doc comment: {missing:?}"
    );
}
