//! End-to-end tests of `dynsim sweep` and `dynsim sweep-merge`: the files
//! do not depend on threads or shards, the grid holds the right runs, a
//! failed run's replay command fails the same way, bad input writes
//! nothing. A small scenario shortened with `--set duration=1s` keeps each
//! sweep to seconds in a debug build.

use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use tempfile::TempDir;

const FILES: [&str; 6] = [
    "runs.csv",
    "runs.jsonl",
    "aggregate.json",
    "aggregate.svg",
    "pbs.svg",
    "sweep.json",
];

fn dynsim(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the dynsim binary runs")
}

/// A temporary folder holding `q.toml`, the no-fault quorum scenario.
fn with_scenario() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dynamo/quorum-no-faults.toml");
    fs::copy(source, dir.path().join("q.toml")).unwrap();
    dir
}

/// Runs a sweep of `q.toml` and asserts its exit code.
#[track_caller]
fn sweep(dir: &Path, args: &[&str], code: i32) -> Output {
    let mut all = vec!["sweep", "q.toml", "--set", "duration=1s"];
    all.extend_from_slice(args);
    let out = dynsim(dir, &all);
    assert_eq!(out.status.code(), Some(code), "{}", text(&out));
    out
}

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[track_caller]
fn assert_same_files(a: &Path, b: &Path) {
    for file in FILES {
        let left = fs::read(a.join(file)).unwrap();
        let right = fs::read(b.join(file)).unwrap();
        assert!(
            left == right,
            "{file} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

fn rows(dir: &Path) -> Vec<Value> {
    fs::read_to_string(dir.join("runs.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn two_shards_merged_are_the_unsharded_sweep_byte_for_byte() {
    let dir = with_scenario();
    let d = dir.path();
    let grid = ["--seeds", "1..3", "--set", "replication.r=1,2"];
    let with = |extra: &[&'static str]| [&grid[..], extra].concat();
    sweep(d, &with(&["--out", "whole"]), 0);
    sweep(d, &with(&["--shard", "1/2", "--out", "s1"]), 0);
    sweep(d, &with(&["--shard", "2/2", "--out", "s2"]), 0);
    assert_eq!(rows(&d.join("s1")).len(), 3);
    let merged = dynsim(d, &["sweep-merge", "s2", "s1", "--out", "merged"]);
    assert_eq!(merged.status.code(), Some(0), "{}", text(&merged));
    assert_same_files(&d.join("whole"), &d.join("merged"));

    // Shards of another sweep, a shard given twice, one left out: refused.
    sweep(
        d,
        &[
            "--seeds",
            "1..2",
            "--set",
            "replication.r=1,2",
            "--shard",
            "2/2",
            "--out",
            "other",
        ],
        0,
    );
    for (dirs, why) in [
        (&["s1", "other"][..], "not shards of one sweep"),
        (&["s1", "s1"][..], "both shard 1/2"),
        (&["s1"][..], "3 of the sweep's 6 runs are missing"),
        (&["s1", "nowhere"][..], "not a sweep folder"),
    ] {
        let out = dynsim(d, &[&["sweep-merge"][..], dirs, &["--out", "bad"]].concat());
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains(why), "{why}: {}", text(&out));
        assert!(!d.join("bad").exists());
    }
}

#[test]
fn the_number_of_jobs_changes_no_byte() {
    let dir = with_scenario();
    let d = dir.path();
    sweep(d, &["--seeds", "1..4", "--jobs", "1", "--out", "one"], 0);
    sweep(d, &["--seeds", "1..4", "--jobs", "2", "--out", "two"], 0);
    assert_same_files(&d.join("one"), &d.join("two"));
    // Sweeping again into the same folder replaces the earlier sweep.
    sweep(d, &["--seeds", "1..4", "--jobs", "2", "--out", "two"], 0);
    assert_same_files(&d.join("one"), &d.join("two"));
}

#[test]
fn the_grid_is_every_combination_for_every_seed_in_order() {
    let dir = with_scenario();
    let d = dir.path();
    let args = [
        "--seeds",
        "5..6",
        "--set",
        "replication.r=1,2",
        "--set",
        "replication.w=1,2",
        "--out",
        "g",
    ];
    sweep(d, &args, 0);
    let found: Vec<(u64, u64, String, String)> = rows(&d.join("g"))
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap(),
                r["seed"].as_u64().unwrap(),
                r["replication.r"].as_str().unwrap().to_string(),
                r["replication.w"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut want = Vec::new();
    for (r, w) in [("1", "1"), ("1", "2"), ("2", "1"), ("2", "2")] {
        for seed in [5, 6] {
            want.push((want.len() as u64, seed, r.to_string(), w.to_string()));
        }
    }
    assert_eq!(found, want);
    let csv = fs::read_to_string(d.join("g/runs.csv")).unwrap();
    assert!(csv.starts_with("index,seed,duration,replication.r,replication.w,get_ok,"));
    assert!(csv.lines().nth(1).unwrap().starts_with("0,5,1s,1,1,"));

    // The row at r=1, w=1 is the run `dynsim run` makes with those settings.
    let single = dynsim(
        d,
        &[
            "run",
            "q.toml",
            "--seed",
            "5",
            "--set",
            "duration=1s",
            "--set",
            "replication.r=1",
            "--set",
            "replication.w=1",
            "--trace",
            "off",
            "--out",
            "single",
        ],
    );
    assert_eq!(single.status.code(), Some(0), "{}", text(&single));
    let summary: Value =
        serde_json::from_str(&fs::read_to_string(d.join("single/summary.json")).unwrap()).unwrap();
    let row = &rows(&d.join("g"))[0];
    assert_eq!(row["get_ok"], summary["ops"]["get"]["ok"]);
    assert_eq!(row["put_ok"], summary["ops"]["put"]["ok"]);
    assert_eq!(row["get_p99_ms"], summary["latency_ms"]["get"]["p99"]);
    assert_eq!(row["read_repairs"], summary["read_repairs"]);
    assert_eq!(row["events"], summary["events"]);
    // And the r=2, w=2 runs differ from it: the settings took effect.
    let other = &rows(&d.join("g"))[6];
    assert_ne!(row["read_repairs"], other["read_repairs"]);

    let aggregate: Value =
        serde_json::from_str(&fs::read_to_string(d.join("g/aggregate.json")).unwrap()).unwrap();
    let combos = aggregate["combinations"].as_array().unwrap();
    assert_eq!(combos.len(), 4);
    assert_eq!(combos[1]["set"]["replication.w"], "2");
    assert_eq!(combos[1]["runs"], 2);
}

#[test]
fn a_failed_expectation_exits_1_with_a_replay_that_fails_the_same_way() {
    let dir = with_scenario();
    let d = dir.path();
    // No get answers within a microsecond; two latencies, so the value
    // holding commas inside braces must stay whole and be quoted in the replay.
    let latencies =
        r#"network.latency={dist="constant",value="1ms"},{dist="constant",value="2ms"}"#;
    let out = sweep(
        d,
        &[
            "--seeds",
            "3",
            "--set",
            r#"expect.get_p99={max="1us"}"#,
            "--set",
            latencies,
            "--out",
            "f",
        ],
        1,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let replays: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("dynsim "))
        .collect();
    assert_eq!(replays.len(), 2, "{stdout}");
    let rows = rows(&d.join("f"));
    assert_eq!(
        rows[1]["network.latency"],
        r#"{dist="constant",value="2ms"}"#
    );
    assert_eq!(rows[1]["expect.get_p99"], false);
    assert_eq!(rows[1]["ok"], false);

    // Run the printed command in a shell, as a user would paste it.
    let replay = format!("{} {}", env!("CARGO_BIN_EXE_dynsim"), replays[1]);
    let again = Command::new("sh")
        .arg("-c")
        .arg(&replay)
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1), "{replay}\n{}", text(&again));
    let summary: Value = serde_json::from_str(
        &fs::read_to_string(d.join("reports/quorum-no-faults/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["seed"], 3);
    assert_eq!(summary["latency_ms"]["get"]["p99"], rows[1]["get_p99_ms"]);
    assert_eq!(summary["events"], rows[1]["events"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("FAILED get_p99"));
}

#[test]
fn a_bad_value_anywhere_in_the_grid_exits_2_and_writes_nothing() {
    let dir = with_scenario();
    let d = dir.path();
    for (args, says) in [
        (
            &["--seeds", "1..2", "--set", "replication.r=1,9"][..],
            "replication.r",
        ),
        (
            &["--seeds", "1..2", "--set", "replication.rr=1"][..],
            "replication.rr",
        ),
        (
            &["--seeds", "1..2", "--set", "replication"][..],
            "path=value",
        ),
        (&["--seeds", "2..1"][..], "empty"),
        (&["--seeds", "1..2", "--shard", "3/2"][..], "--shard"),
        (&["--seeds", "1..2", "--set", "seed=1,2"][..], "--seeds"),
        (&["--seeds", "1..2", "--jobs", "0"][..], "--jobs"),
    ] {
        let out = sweep(d, args, 2);
        assert!(text(&out).contains(says), "{says}: {}", text(&out));
        let left: Vec<_> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec!["q.toml"], "{args:?} left files");
    }
}
