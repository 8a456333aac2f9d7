//! End-to-end test of a sweep's PBS curve: sweeping the partial-quorum
//! scenario over R and W, the strict quorum R=W=2 (R+W>N) reads at least
//! as consistently as R=W=1 at every time since commit and approaches 1,
//! and `pbs.svg` draws a legend entry per combination. Shortened with
//! `--set duration=1s` to keep the sweep to a second in a debug build.

use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::Command;

/// `aggregate.json`'s curve of the combination with R=`r` and W=`w`, as
/// `(p, gets)` per bucket.
fn curve(aggregate: &Value, r: &str, w: &str) -> Vec<(Option<f64>, u64)> {
    let combos = aggregate["combinations"].as_array().expect("combinations");
    let combo = combos
        .iter()
        .find(|c| c["set"]["replication.r"] == r && c["set"]["replication.w"] == w)
        .expect("the combination was swept");
    combo["staleness_curve"]
        .as_array()
        .expect("a staleness curve")
        .iter()
        .map(|point| (point[2].as_f64(), point[3].as_u64().expect("gets")))
        .collect()
}

#[test]
fn a_strict_quorum_s_curve_lies_on_or_above_a_partial_quorum_s() {
    let dir = tempfile::tempdir().unwrap();
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dynamo/pbs-partial-quorum.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .args(["sweep".as_ref(), scenario.as_os_str()])
        .args(["--seeds", "1..3", "--set", "duration=1s"])
        .args(["--set", "replication.r=1,2", "--set", "replication.w=1,2"])
        .args(["--out", "s"])
        .current_dir(dir.path())
        .output()
        .expect("the dynsim binary runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let d = dir.path().join("s");
    let aggregate: Value =
        serde_json::from_str(&fs::read_to_string(d.join("aggregate.json")).unwrap()).unwrap();

    let partial = curve(&aggregate, "1", "1");
    let strict = curve(&aggregate, "2", "2");
    assert_eq!(partial.len(), strict.len());
    let mut compared = 0;
    for (bucket, (&(p1, gets1), &(p2, gets2))) in partial.iter().zip(&strict).enumerate() {
        if let (Some(p1), Some(p2)) = (p1, p2) {
            assert!(p2 >= p1, "bucket {bucket}: R=W=2 {p2} < R=W=1 {p1}");
            compared += 1;
        }
        assert_eq!(p1.is_some(), gets1 > 0);
        assert_eq!(p2.is_some(), gets2 > 0);
    }
    assert!(compared >= 5, "{compared} buckets with gets in both");
    // Right after the commit a partial quorum misses writes; a strict one
    // (R+W>N, no faults) does not, and the partial one catches up.
    let first_partial = partial[0].0.expect("gets within 1 ms of a commit");
    assert!(first_partial < 0.99, "R=W=1 at 0-1 ms: {first_partial}");
    let last_partial = partial.iter().rev().find_map(|b| b.0).unwrap();
    assert!(
        last_partial > 0.99,
        "R=W=1 at its latest bucket: {last_partial}"
    );
    for (p, _) in &strict {
        assert!(p.is_none_or(|p| p > 0.99), "R=W=2 is near 1: {strict:?}");
    }

    // pbs.svg parses and has one legend entry per combination, named by
    // the values that differ (not `duration=1s`, the same everywhere).
    let svg = fs::read_to_string(d.join("pbs.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("pbs.svg is XML");
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    for combination in ["r=1 w=1 (", "r=1 w=2 (", "r=2 w=1 (", "r=2 w=2 ("] {
        let entries = texts.iter().filter(|t| t.starts_with(combination)).count();
        assert_eq!(entries, 1, "{combination}: {texts:?}");
    }
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("PBS: P(consistent read)"))
    );
    assert!(texts.iter().any(|t| t.contains("(ms")));
}
