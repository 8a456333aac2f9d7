//! `dynsim shrink` end to end: a failing scenario shrinks to a smaller file
//! that still fails the same expectation under `dynsim run`; a passing one
//! writes nothing; bad input exits 2.

use dynsim::scenario::{self, FaultAction};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dynsim(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the dynsim binary runs")
}

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// Replays the file with `dynsim run` and returns its exit code and
/// whether the named expectation is reported failed.
fn replay(dir: &Path, file: &Path, expectation: &str) -> (Option<i32>, bool) {
    let report = dir.join("replay-report");
    let out = dynsim(
        dir,
        &[
            "run",
            &file.display().to_string(),
            "--trace",
            "off",
            "--out",
            &report.display().to_string(),
        ],
    );
    let failed = stdout(&out).contains(&format!("FAILED {expectation}:"));
    (out.status.code(), failed)
}

#[test]
fn irrelevant_faults_nodes_and_load_are_shrunk_away() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.toml");
    let input = repo("tests/shrink/skew-and-noise.toml");
    let out = dynsim(
        dir.path(),
        &[
            "shrink",
            &input,
            "--seed",
            "5",
            "--out",
            &small.display().to_string(),
        ],
    );
    let said = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("removed fault[1] (crash n5 at 3s): still fails"),
        "{said}"
    );
    assert!(
        said.contains("before: 5 nodes (N=3 R=2 W=2), 5 faults"),
        "{said}"
    );

    let before = scenario::load(Path::new(&input), &[]).unwrap();
    let after = scenario::load(&small, &[]).unwrap();
    assert_eq!(after.seed, 5);
    assert_eq!(after.name, "skew-and-noise-shrunk", "its own report folder");
    assert!(after.description.contains("lost_acked_writes"));
    assert_eq!(after.faults.len(), 1, "only the skew is needed");
    assert!(matches!(after.faults[0].action, FaultAction::Skew { .. }));
    assert!(after.cluster.nodes < before.cluster.nodes);
    assert!(after.ops.len() < before.ops.len());
    assert!(after.end() < before.end());
    assert!(after.workload.is_none());
    assert_eq!(
        after.expect.max_siblings, None,
        "other expectations are dropped"
    );

    assert_eq!(
        replay(dir.path(), &small, "lost_acked_writes"),
        (Some(1), true)
    );
}

#[test]
fn a_flipped_expectation_shrinks_to_the_default_path() {
    let dir = tempfile::tempdir().unwrap();
    let out = dynsim(
        dir.path(),
        &[
            "shrink",
            &repo("scenarios/dynamo/blind-puts-one-coordinator.toml"),
            "--seed",
            "1",
            "--set",
            "expect.lost_acked_writes=0",
            "--expect",
            "lost_acked_writes",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let written = dir.path().join("blind-puts-one-coordinator-shrunk.toml");
    assert_eq!(files_in(dir.path()), vec![written.clone()]);
    let after = scenario::load(&written, &[]).unwrap();
    assert!(after.ops.len() < 3 && after.end().as_nanos() < 3_000_000_000);
    assert_eq!(
        replay(dir.path(), &written, "lost_acked_writes"),
        (Some(1), true)
    );
}

#[test]
fn a_passing_scenario_exits_0_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dynsim(
        dir.path(),
        &[
            "shrink",
            &repo("scenarios/dynamo/blind-puts-one-coordinator.toml"),
            "--seed",
            "1",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("nothing to shrink"));
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dynsim(dir.path(), &["shrink", "no-such-file.toml", "--seed", "1"]);
    assert_eq!(missing.status.code(), Some(2));
    let unknown = dynsim(
        dir.path(),
        &[
            "shrink",
            &repo("scenarios/dynamo/blind-puts-one-coordinator.toml"),
            "--expect",
            "no_such_expectation",
        ],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("lost_acked_writes"));
    let bad_set = dynsim(
        dir.path(),
        &[
            "shrink",
            &repo("scenarios/dynamo/blind-puts-one-coordinator.toml"),
            "--set",
            "replication.r=9",
        ],
    );
    assert_eq!(bad_set.status.code(), Some(2));
    // An --out that cannot be written is refused before the shrink starts.
    for out in ["/proc/z.toml", "no-such-folder/small.toml", "."] {
        let unwritable = dynsim(
            dir.path(),
            &[
                "shrink",
                &repo("tests/shrink/skew-and-noise.toml"),
                "--seed",
                "5",
                "--out",
                out,
            ],
        );
        assert_eq!(unwritable.status.code(), Some(2), "{out}");
        assert!(stdout(&unwritable).is_empty(), "nothing ran: {out}");
        assert!(
            String::from_utf8_lossy(&unwritable.stderr).contains("cannot write"),
            "{out}"
        );
    }
    assert!(files_in(dir.path()).is_empty());
}

/// A scripted get's `returns` verdict is named by the op's index, which
/// moves as earlier ops go; the get that read the wrong value stays, and so
/// does the put it read.
#[test]
fn a_wrong_read_keeps_its_get_and_the_put_it_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(repo("scenarios/dynamo/lww-clock-skew.toml"))
        .unwrap()
        .replace("returns = [\"milk\"]", "returns = [\"eggs\"]")
        + "\n[[fault]]\nat = \"500ms\"\ncrash = \"n3\"\n";
    let file = dir.path().join("wrong-read.toml");
    fs::write(&file, text).unwrap();
    let small = dir.path().join("small.toml");
    let out = dynsim(
        dir.path(),
        &[
            "shrink",
            &file.display().to_string(),
            "--expect",
            "op[2].returns",
            "--out",
            &small.display().to_string(),
        ],
    );
    let said = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    let after = scenario::load(&small, &[]).unwrap();
    assert!(after.faults.is_empty(), "{said}");
    assert_eq!(after.ops.len(), 2, "{said}");
    assert!(said.contains("`op[1].returns` still fails"), "{said}");
    assert_eq!(replay(dir.path(), &small, "op[1].returns"), (Some(1), true));
}
