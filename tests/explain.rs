//! `dynsim explain` against golden files: a window of the narration of three
//! lessons, kept under `tests/golden/`. A changed sentence fails the test
//! with both versions shown. When the change is intended, rewrite the
//! files with
//!
//! ```sh
//! DYNSIM_BLESS=1 cargo test --test explain
//! ```
//!
//! and read the diff (`git diff tests/golden`) before committing it: the
//! golden files are what a teacher will read aloud.

use dynsim::explain::{self, Filter};
use dynsim::scenario;
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The rendered sentences of `lesson` between `from` and `until` (ns).
fn narration(lesson: &str, sets: &[String], from_ns: u64, until_ns: u64) -> String {
    let file = root().join("scenarios/lessons").join(lesson);
    let s = scenario::load(&file, sets).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let records = explain::trace_of(&s).expect("trace");
    let filter = Filter {
        from_ns,
        until_ns,
        ..Filter::default()
    };
    explain::render(&explain::narrate(&records, &s, &filter))
}

/// Compares `actual` with the golden file, or rewrites it under
/// `DYNSIM_BLESS=1`.
fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("DYNSIM_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with DYNSIM_BLESS=1 cargo test --test explain",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} changed at line {}:\n  golden: {:?}\n  now:    {:?}\n\nwhole narration now:\n{actual}\n\
             If the change is intended: DYNSIM_BLESS=1 cargo test --test explain",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

const MS: u64 = 1_000_000;

#[test]
fn same_coordinator_conflict_narration_is_golden() {
    // The two writes through n1, their siblings, and Carol's read.
    let text = narration(
        "09-same-coordinator-conflicts.toml",
        &[],
        1900 * MS,
        3100 * MS,
    );
    golden("09-same-coordinator-conflicts.txt", &text);
}

#[test]
fn sloppy_quorum_narration_is_golden() {
    // The put with two replicas down, the stand-ins and their hints, the
    // restarts and the handoff.
    let text = narration("07-sloppy-quorum.toml", &[], 8900 * MS, 10_100 * MS);
    golden("07-sloppy-quorum.txt", &text);
}

#[test]
fn shopping_cart_narration_is_golden() {
    // Both sides' updates with what each writes (an or-set's dots), and
    // Carol's read merged.
    let text = narration("10-shopping-cart.toml", &[], 9900 * MS, 20_100 * MS);
    let told: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("alice") || l.contains("bob") || l.contains("carol"))
        .collect();
    golden("10-shopping-cart.txt", &(told.join("\n") + "\n"));
    let union = narration(
        "10-shopping-cart.toml",
        &["values.type=set".to_string()],
        19_900 * MS,
        20_100 * MS,
    );
    assert!(
        union.contains("carol merges the siblings of cart by the value's type: {beer, snacks, milk, eggs, cheese, wine}"),
        "{union}"
    );
}

#[test]
fn vector_clocks_lose_what_dvv_keeps_in_the_narration() {
    let dvv = narration(
        "09-same-coordinator-conflicts.toml",
        &[],
        1900 * MS,
        3100 * MS,
    );
    let vc = narration(
        "09-same-coordinator-conflicts.toml",
        &["replication.versioning=vector-clock".to_string()],
        1900 * MS,
        3100 * MS,
    );
    assert!(dvv.contains("holds two siblings of cart"), "{dvv}");
    assert!(dvv.contains("returns eggs, tea"), "{dvv}");
    assert!(
        vc.contains("n1 versions tea [n1:3], replacing eggs [n1:2] (its clock descends from that one, yet its writer never read it: per-node clocks cannot tell these writes apart, so eggs is lost; dvv would keep both)"),
        "{vc}"
    );
    // Eggs' writer had read milk: replacing it is the design working.
    assert!(
        vc.contains(
            "n1 versions eggs [n1:2], replacing milk [n1:1] (its clock descends from that one)\n"
        ),
        "{vc}"
    );
    assert!(vc.contains("carol's get(cart) returns tea\n"), "{vc}");
}

fn dynsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("dynsim runs")
}

#[test]
fn the_command_filters_by_key_node_and_time_and_is_deterministic() {
    let args = [
        "explain",
        "scenarios/lessons/06-merkle.toml",
        "--key",
        "wallet",
        "--from",
        "1s",
        "--until",
        "5s",
    ];
    let once = dynsim(&args);
    assert!(once.status.success(), "{once:?}");
    let text = String::from_utf8(once.stdout.clone()).unwrap();
    assert!(text.contains("n3 coordinates put(wallet) coins"), "{text}");
    assert!(text.contains("n4 syncs wallet to coins [n3:1]"), "{text}");
    // Faults stay; other keys go; nothing outside the window.
    assert!(text.contains("t=1s partition: n4 is cut off"), "{text}");
    assert!(!text.contains("cart"), "{text}");
    assert!(text.lines().all(|l| !l.starts_with("t=0s")), "{text}");
    assert_eq!(dynsim(&args).stdout, once.stdout, "same run, same words");

    let n2 = dynsim(&[
        "explain",
        "scenarios/lessons/06-merkle.toml",
        "--node",
        "n2",
        "--until",
        "3s",
    ]);
    let text = String::from_utf8(n2.stdout).unwrap();
    assert!(text.contains("W=2 reached (n1, n2)"), "{text}");
    assert!(!text.contains("put(wallet)"), "{text}");
}

#[test]
fn bad_input_exits_2_with_a_message() {
    let lesson = "scenarios/lessons/01-partitioning.toml";
    for args in [
        vec!["explain", lesson, "--until", "5"],
        vec!["explain", lesson, "--from", "3s", "--until", "1s"],
        vec!["explain", "no-such-file.toml"],
        vec!["explain", lesson, "--set", "replication.r=9"],
    ] {
        let out = dynsim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(!out.stderr.is_empty(), "{args:?} says why");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn stored_notes_say_why_for_every_way_a_replica_changes() {
    // Across the lessons, a replica's sibling set changes in each of the
    // ways the trace names; each note lists one clock per value.
    let mut whys = std::collections::BTreeSet::new();
    for lesson in [
        "01-partitioning.toml",
        "03-get-and-put.toml",
        "06-merkle.toml",
        "07-sloppy-quorum.toml",
    ] {
        let file = root().join("scenarios/lessons").join(lesson);
        let s = scenario::load(&file, &[]).unwrap();
        for r in explain::trace_of(&s).unwrap() {
            if r.kind == "stored" {
                assert_eq!(r.strs("values").len(), r.strs("clocks").len(), "{r:?}");
                assert!(r.str("node").is_some() && r.str("key").is_some(), "{r:?}");
                whys.insert(r.str("why").unwrap_or("").to_string());
            }
        }
    }
    let expected = [
        "anti-entropy",
        "handoff",
        "hint",
        "put",
        "read-repair",
        "store",
        "transfer",
    ];
    assert_eq!(whys.into_iter().collect::<Vec<_>>(), expected);
}

#[test]
fn a_filter_that_names_nothing_in_the_run_says_so() {
    let typo = dynsim(&[
        "explain",
        "scenarios/lessons/01-partitioning.toml",
        "--key",
        "crat",
    ]);
    assert!(typo.status.success(), "{typo:?}");
    let said = String::from_utf8(typo.stderr).unwrap();
    assert!(said.contains("names the key `crat`"), "{said}");
    assert!(said.contains("cart"), "the run's keys are listed: {said}");
    let known = dynsim(&[
        "explain",
        "scenarios/lessons/01-partitioning.toml",
        "--key",
        "cart",
    ]);
    assert!(String::from_utf8(known.stderr).unwrap().is_empty());
}
