//! `dynsim check --reduce sleep-sets` on the zoo (scenarios/check/):
//! fewer steps taken, the same states, end states, violations and
//! counterexample lengths as a plain search; the states generated with
//! and without are pinned. The quorum files are `#[ignore]`d (run them
//! with `cargo test --release --test check_sleep -- --ignored`).

use dynsim::explore::{Checker, Exploration, Reduction, Strategy};
use dynsim::node::DeliberateBug;
use dynsim::scenario::{self, Scenario};
use std::path::Path;
use std::process::Command;

fn load(file: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn dynsim(args: &[&str]) -> i32 {
    Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
        .status
        .code()
        .unwrap()
}

/// `--reduce sleep-sets` takes fewer steps and reaches every state: the
/// same unique states, the same end states per outcome, the same broken
/// expectations with counterexamples as short (bfs). States generated
/// with and without are pinned; executions are counted up to the order
/// of deliveries to different nodes, so they are not compared.
#[test]
fn sleep_sets_take_fewer_steps_to_the_same_states() {
    assert_sleep_sets_reach_the_same_states(&[
        ("scenarios/check/blind-puts-vc.toml", None, 4505, 3989),
        ("scenarios/check/lww-skew.toml", None, 746, 517),
        ("scenarios/check/dot-reuse.toml", None, 6402, 6153),
        (
            "scenarios/check/dot-reuse.toml",
            Some(DeliberateBug::CoordinateAnyForward),
            5779,
            SLEEPING_PLANTED_STATES,
        ),
        (
            "scenarios/lessons/12-all-the-outcomes.toml",
            None,
            149962,
            89666,
        ),
    ]);
}

/// The quorum files, in release (`--ignored`): states generated without
/// and with sleep sets.
#[test]
#[ignore = "half a minute in release, minutes in a debug build: run with --release -- --ignored"]
fn sleep_sets_reach_the_same_states_on_the_quorum_files() {
    assert_sleep_sets_reach_the_same_states(&[
        ("scenarios/check/quorum-strict.toml", None, 104772, 102238),
        ("scenarios/check/quorum-weak.toml", None, 215555, 210592),
        (
            "scenarios/check/failures-below-quorum.toml",
            None,
            82908,
            72569,
        ),
        (
            "scenarios/check/sloppy-quorum-stale.toml",
            None,
            645855,
            622239,
        ),
    ]);
}

/// (file, bug planted, states generated plain, with sleep sets)
fn assert_sleep_sets_reach_the_same_states(cases: &[(&str, Option<DeliberateBug>, u64, u64)]) {
    for &(file, bug, plain_states, sleeping_states) in cases {
        let s = load(file);
        let plain = Checker::new(&s, bug)
            .unwrap()
            .explore(Strategy::Bfs, u64::MAX, s.seed, |_| false);
        let checker = Checker::new(&s, bug)
            .unwrap()
            .with_reduction(Reduction::SleepSets);
        let sleeping = checker.explore(Strategy::Bfs, u64::MAX, s.seed, |_| false);
        assert_eq!(
            (plain.states, sleeping.states),
            (plain_states, sleeping_states),
            "{file}"
        );
        assert_eq!(sleeping.unique_states, plain.unique_states, "{file}");
        assert!(sleeping.complete, "{file}");
        let ends = |ex: &Exploration| -> Vec<(String, u64)> {
            ex.outcomes
                .iter()
                .map(|(o, r)| (o.clone(), r.end_states))
                .collect()
        };
        assert_eq!(ends(&sleeping), ends(&plain), "{file}");
        let broken = |ex: &Exploration| -> Vec<(String, usize)> {
            ex.violations
                .iter()
                .map(|v| (v.expectation.clone(), v.steps.len()))
                .collect()
        };
        assert_eq!(broken(&sleeping), broken(&plain), "{file}");
        // A counterexample found under sleep sets is an execution like
        // any: it replays to the same broken expectation.
        for v in &sleeping.violations {
            let replay = checker.replay(&v.steps).unwrap();
            assert!(replay.ended);
            let verdict = replay
                .judged
                .verdicts
                .iter()
                .find(|x| x.name == v.expectation)
                .unwrap();
            assert_eq!((verdict.ok, &verdict.actual), (false, &v.actual), "{file}");
        }
    }
}

const SLEEPING_PLANTED_STATES: u64 = 5455;

/// `--reduce sleep-sets` on the command line: `check.json` names the
/// reduction and counts its states; random walks refuse it.
#[test]
fn the_reduction_is_named_in_check_json_and_refused_with_random_walks() {
    let dir = std::env::temp_dir().join(format!("dynsim-check-reduce-{}", std::process::id()));
    let out = dir.to_str().unwrap();
    let file = "scenarios/check/blind-puts-dvv.toml";
    let reduced = ["check", file, "--reduce", "sleep-sets", "--out", out];
    assert_eq!(dynsim(&reduced), 0);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("check.json")).unwrap()).unwrap();
    assert_eq!(
        (&json["reduction"], &json["states"], &json["unique_states"]),
        (&"sleep-sets".into(), &3989.into(), &2761.into())
    );
    assert_eq!(dynsim(&["check", file, "--out", out]), 0);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("check.json")).unwrap()).unwrap();
    assert_eq!(
        (&json["reduction"], &json["states"]),
        (&"none".into(), &4505.into())
    );
    let random = [&reduced[..], &["--strategy", "random"]].concat();
    assert_eq!(dynsim(&random), 2);
    let _ = std::fs::remove_dir_all(&dir);
}
