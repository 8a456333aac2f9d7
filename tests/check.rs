//! `dynsim check`'s zoo (scenarios/check/): each file explored completely,
//! its result asserted and its unique-state count pinned (a change in
//! the protocol, the fingerprint or the explorer's steps moves it), and
//! each counterexample replayed. The debug build explores the small ones
//! here; the bigger ones are `#[ignore]`d (run them with
//! `cargo test --release --test check -- --ignored`).

use dynsim::explore::{Checker, Exploration, Strategy};
use dynsim::node::DeliberateBug;
use dynsim::scenario::{self, Format, Scenario};
use std::path::Path;
use std::process::Command;

fn load(file: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn explore(s: &Scenario) -> Exploration {
    let checker = Checker::new(s, None).expect("a [check] section");
    checker.explore(Strategy::Bfs, u64::MAX, s.seed, |_| false)
}

/// (expectations violated, unique states, whether complete)
fn summary(ex: &Exploration) -> (Vec<String>, u64, bool) {
    let broken = ex
        .violations
        .iter()
        .map(|v| v.expectation.clone())
        .collect();
    (broken, ex.unique_states, ex.complete)
}

/// The outcomes table: (outcome, executions reaching it, distinct end
/// states).
fn table(ex: &Exploration) -> Vec<(&str, u64, u64)> {
    assert!(ex.paths_counted);
    ex.outcomes
        .iter()
        .map(|(o, r)| (o.as_str(), r.executions, r.end_states))
        .collect()
}

/// Each violation's counterexample, written out and read back as a
/// scenario file, replays to the same broken expectation.
fn assert_counterexamples_replay(s: &Scenario, ex: &Exploration) {
    let checker = Checker::new(s, None).unwrap();
    for v in &ex.violations {
        let text = checker.counterexample(v).unwrap();
        let replayed = scenario::parse_str("cx.toml", &text, Format::Toml, &[]).unwrap();
        let schedule = replayed.check.as_ref().unwrap().schedule.clone();
        assert_eq!(schedule, v.steps);
        let replay = Checker::new(&replayed, None)
            .unwrap()
            .replay(&schedule)
            .unwrap();
        assert!(replay.ended, "a counterexample runs to the end");
        let verdict = replay
            .judged
            .verdicts
            .iter()
            .find(|x| x.name == v.expectation)
            .unwrap();
        assert!(!verdict.ok, "{} holds on replay", v.expectation);
        assert_eq!(verdict.actual, v.actual);
    }
}

#[test]
fn two_blind_puts_lose_one_under_vector_clocks_and_none_under_dvv() {
    let vc = load("scenarios/check/blind-puts-vc.toml");
    let ex = explore(&vc);
    assert_eq!(
        summary(&ex),
        (vec!["lost_acked_writes".to_string()], VC_UNIQUE, true)
    );
    assert_counterexamples_replay(&vc, &ex);
    // Either write may be lost, in as many executions; never both kept.
    assert_eq!(
        table(&ex),
        [
            ("carol get cart: eggs", 51174, 63),
            ("carol get cart: tea", 51174, 63),
            ("carol get cart: timeout", 18144, 60),
        ]
    );

    let dvv = load("scenarios/check/blind-puts-dvv.toml");
    let ex = explore(&dvv);
    assert_eq!(summary(&ex), (vec![], DVV_UNIQUE, true));
    // dvv keeps both as siblings, unless a Store was dropped and Carol
    // read the replica that missed it.
    assert_eq!(
        table(&ex),
        [
            ("carol get cart: eggs", 378, 3),
            ("carol get cart: eggs, tea", 101592, 120),
            ("carol get cart: tea", 378, 3),
            ("carol get cart: timeout", 18144, 60),
        ]
    );
}

/// Last-write-wins under skew: n2's clock 1.5 s behind stamps Bob's
/// later write older than Alice's, which wins; the counterexample, run
/// by `dynsim run` (the skew applied between its steps), loses it too.
#[test]
fn last_write_wins_loses_a_later_write_under_skew() {
    let lww = load("scenarios/check/lww-skew.toml");
    let ex = explore(&lww);
    assert_eq!(
        summary(&ex),
        (vec!["lost_acked_writes".to_string()], LWW_UNIQUE, true)
    );
    assert_eq!(
        table(&ex),
        [
            ("carol get cart: eggs", 29646, 7),
            ("carol get cart: tea", 1890, 2),
        ]
    );
    assert_counterexamples_replay(&lww, &ex);
    let dir = std::env::temp_dir().join(format!("dynsim-check-lww-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let checker = Checker::new(&lww, None).unwrap();
    let cx = dir.join("cx.toml");
    std::fs::write(&cx, checker.counterexample(&ex.violations[0]).unwrap()).unwrap();
    let (code, story) = dynsim_output(&["explain", cx.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(story.contains("so tea is dropped"), "{story}");
    let out = dir.join("run");
    assert_eq!(
        dynsim(&["run", cx.to_str().unwrap(), "--out", out.to_str().unwrap()]),
        1
    );
    let _ = std::fs::remove_dir_all(&dir);
}

const LWW_UNIQUE: u64 = 402;

const VC_UNIQUE: u64 = 2761;
const DVV_UNIQUE: u64 = 2761;

#[test]
#[ignore = "a minute in a debug build, 3 s in release: run with --release -- --ignored"]
fn a_strict_quorum_never_reads_stale_and_r_w_1_does() {
    let strict = load("scenarios/check/quorum-strict.toml");
    let ex = explore(&strict);
    assert_eq!(summary(&ex), (vec![], STRICT_UNIQUE, true));
    assert_eq!(
        table(&ex),
        [
            ("bob get cart: fail", 1027680, 10),
            ("bob get cart: nothing", 273879282, 143),
            ("bob get cart: tea", 325815765, 143),
            ("bob get cart: timeout", 124617621, 79),
        ]
    );
    let weak = load("scenarios/check/quorum-weak.toml");
    let ex = explore(&weak);
    assert_eq!(
        summary(&ex),
        (vec!["stale_reads".to_string()], WEAK_UNIQUE, true)
    );
    assert_eq!(
        table(&ex),
        [
            ("bob get cart: nothing", 3174713063, 167),
            ("bob get cart: tea", 410269028, 129),
            ("bob get cart: timeout", 558549830, 55),
        ]
    );
    assert_counterexamples_replay(&weak, &ex);
}

#[test]
#[ignore = "a minute in a debug build, 10 s in release: run with --release -- --ignored"]
fn a_sloppy_quorum_holds_while_failures_are_fewer_than_r_and_w() {
    // The VoldemortKV model's result, over the real nodes: one failure
    // (fewer than R = W = 2) never reads stale, stand-ins and all...
    let one = load("scenarios/check/failures-below-quorum.toml");
    let ex = explore(&one);
    assert_eq!(summary(&ex), (vec![], ONE_FAILURE_UNIQUE, true));
    assert_eq!(
        table(&ex),
        [
            ("bob get cart: milk", 3556755762, 66),
            ("bob get cart: milk, tea", 8136576244, 208),
            ("bob get cart: nothing", 4292086, 12),
            ("bob get cart: tea", 6904836, 13),
            ("bob get cart: timeout", 65769102, 68),
        ]
    );
    // ...and two do: a sloppy quorum reads stale although R + W > N.
    let two = load("scenarios/check/sloppy-quorum-stale.toml");
    let ex = explore(&two);
    assert_eq!(
        summary(&ex),
        (vec!["stale_reads".to_string()], TWO_FAILURES_UNIQUE, true)
    );
    assert_eq!(ex.violations[0].steps.len(), 33);
    assert_counterexamples_replay(&two, &ex);
}

const ONE_FAILURE_UNIQUE: u64 = 29159;
const TWO_FAILURES_UNIQUE: u64 = 198054;

const STRICT_UNIQUE: u64 = 29621;
const WEAK_UNIQUE: u64 = 50622;

/// Lesson 12 (docs/teaching.md): every answer Carol's racing get can
/// have, with its count, under dvv and under per-node vector clocks.
/// About 30 s in a debug build (two explorations of 61,960 states), 2 s
/// in release.
#[test]
fn lesson_12_counts_every_outcome_of_two_blind_puts() {
    let dvv = load("scenarios/lessons/12-all-the-outcomes.toml");
    let ex = explore(&dvv);
    assert_eq!(summary(&ex), (vec![], LESSON_12_UNIQUE, true));
    assert_eq!(
        table(&ex),
        [
            ("carol get cart: eggs", 24155064, 198),
            ("carol get cart: eggs, tea", 32261328, 342),
            ("carol get cart: nothing", 164617488, 432),
            ("carol get cart: tea", 24155064, 198),
        ]
    );
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/lessons/12-all-the-outcomes.toml");
    let sets = ["replication.versioning=vector-clock".to_string()];
    let vc = scenario::load(&path, &sets).unwrap();
    let ex = explore(&vc);
    assert_eq!(
        summary(&ex),
        (
            vec!["lost_acked_writes".to_string()],
            LESSON_12_UNIQUE,
            true
        )
    );
    assert_eq!(
        table(&ex),
        [
            ("carol get cart: eggs", 40285728, 369),
            ("carol get cart: nothing", 164617488, 432),
            ("carol get cart: tea", 40285728, 369),
        ]
    );
    assert_counterexamples_replay(&vc, &ex);
}

const LESSON_12_UNIQUE: u64 = 61960;

#[test]
fn a_bound_stops_the_search_on_a_prefix_of_the_complete_one() {
    let s = load("scenarios/check/blind-puts-dvv.toml");
    let checker = Checker::new(&s, None).unwrap();
    let bounded = checker.explore(Strategy::Bfs, 500, s.seed, |_| false);
    assert!(!bounded.complete);
    assert_eq!(bounded.states, 500);
    let again = checker.explore(Strategy::Bfs, 500, s.seed, |_| false);
    assert_eq!(
        (again.unique_states, again.max_depth),
        (bounded.unique_states, bounded.max_depth),
        "same bound, same states"
    );
    // Stopping through the progress callback (as --max-seconds does) at
    // the same count stops at the same place.
    let stopped = checker.explore(Strategy::Bfs, u64::MAX, s.seed, |p| p.states >= 4096);
    let counted = checker.explore(Strategy::Bfs, 4096, s.seed, |_| false);
    assert_eq!(
        (stopped.states, stopped.unique_states, stopped.complete),
        (counted.states, counted.unique_states, false)
    );
}

#[test]
fn a_workload_or_a_timed_expectation_under_check_is_a_located_error() {
    let with_workload = "name = \"w\"\n[workload]\nclients = 1\n[check]\n";
    let e = scenario::parse_str("w.toml", with_workload, Format::Toml, &[]).unwrap_err();
    let text = e.render(false);
    assert!(
        text.contains("w.toml:2:1") && text.contains("scripted"),
        "{text}"
    );
    // A clock skew from time 0 is the one fault a [check] file takes.
    let late_skew = "name = \"s\"\n[[fault]]\nat = \"1s\"\nskew = { node = \"n2\", offset = \"-1s\" }\n[check]\n";
    let e = scenario::parse_str("s.toml", late_skew, Format::Toml, &[]).unwrap_err();
    let text = e.render(false);
    assert!(
        text.contains("s.toml:2:1") && text.contains("at = \"0s\""),
        "{text}"
    );
    let timed = "name = \"t\"\n[expect]\nget_p99 = \"5ms\"\n[check]\n";
    let e = scenario::parse_str("t.toml", timed, Format::Toml, &[]).unwrap_err();
    let text = e.render(false);
    assert!(
        text.contains("expect.get_p99") && text.contains("t.toml:3:"),
        "{text}"
    );
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

#[test]
fn exit_codes_say_held_violated_bad_input_and_incomplete() {
    let dir = std::env::temp_dir().join(format!("dynsim-check-{}", std::process::id()));
    let out = dir.to_str().unwrap();
    assert_eq!(
        dynsim(&["check", "scenarios/check/blind-puts-dvv.toml", "--out", out]),
        0
    );
    assert_eq!(
        dynsim(&["check", "scenarios/check/blind-puts-vc.toml", "--out", out]),
        1
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("check.json")).unwrap()).unwrap();
    let file = json["violations"][0]["file"].as_str().unwrap();
    assert_eq!(file, "violation-lost_acked_writes.toml");
    // The counterexample file replays, failing the same expectation.
    let cx = dir.join(file);
    assert_eq!(dynsim(&["check", cx.to_str().unwrap()]), 1);
    let dvv_limited = [
        "check",
        "scenarios/check/blind-puts-dvv.toml",
        "--max-states",
        "10",
        "--out",
        out,
    ];
    assert_eq!(dynsim(&dvv_limited), 3);
    assert_eq!(
        dynsim(&[
            "check",
            "scenarios/lessons/09-same-coordinator-conflicts.toml"
        ]),
        2
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn dynsim_output(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_counterexample_is_a_run_that_fails_the_same_expectation() {
    let dir = std::env::temp_dir().join(format!("dynsim-check-run-{}", std::process::id()));
    let out = dir.to_str().unwrap();
    let vc = "scenarios/check/blind-puts-vc.toml";
    assert_eq!(dynsim(&["check", vc, "--out", out]), 1);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("check.json")).unwrap()).unwrap();
    let violation = &json["violations"][0];
    let cx = dir.join(violation["file"].as_str().unwrap());
    let cx = cx.to_str().unwrap();

    // `dynsim run` follows the schedule step by step: the run (its
    // trace, its checkers, its report) fails the same expectation with
    // the same count.
    let run_dir = dir.join("run");
    assert_eq!(dynsim(&["run", cx, "--out", run_dir.to_str().unwrap()]), 1);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("summary.json")).unwrap())
            .unwrap();
    let failed: Vec<_> = summary["expectations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ok"] == false)
        .map(|e| (e["name"].clone(), e["actual"].clone()))
        .collect();
    assert_eq!(
        failed,
        vec![(
            violation["expectation"].clone(),
            violation["actual"].clone()
        )]
    );
    assert_eq!(
        summary["events"].as_u64(),
        Some(violation["steps"].as_u64().unwrap()),
        "one event per step"
    );
    assert!(run_dir.join("report.html").exists());
    // `explain` narrates the same execution: the second put replaces the
    // first under n1's clock.
    let (code, story) = dynsim_output(&["explain", cx]);
    assert_eq!(code, 0);
    assert!(story.contains("eggs is lost"), "{story}");

    // A schedule that is not a whole execution of the file is refused.
    let text = std::fs::read_to_string(cx).unwrap();
    let schedule_line = text.lines().find(|l| l.starts_with("schedule = ")).unwrap();
    for (schedule, why) in [("[0, 99]", "choice 99"), ("[0, 1]", "goes on after")] {
        let bad = dir.join("bad.toml");
        std::fs::write(
            &bad,
            text.replace(schedule_line, &format!("schedule = {schedule}")),
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_dynsim"))
            .args([
                "run",
                bad.to_str().unwrap(),
                "--out",
                run_dir.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("check.schedule") && stderr.contains(why),
            "{stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A bug planted on purpose (`--deliberate-bug`) is found with
/// certainty: a coordinator that acknowledges a put one replica short of
/// W lets a strict quorum read stale. Its counterexample replays in
/// `dynsim run` with the same flag, and is refused without it.
#[test]
fn a_planted_bug_is_found_and_its_counterexample_replays_with_it() {
    let strict = load("scenarios/check/quorum-strict.toml");
    let checker = Checker::new(&strict, Some(DeliberateBug::AckBeforeQuorum)).unwrap();
    let ex = checker.explore(Strategy::Bfs, u64::MAX, strict.seed, |_| false);
    assert_eq!(
        summary(&ex),
        (vec!["stale_reads".to_string()], PLANTED_UNIQUE, true)
    );
    let dir = std::env::temp_dir().join(format!("dynsim-check-bug-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cx = dir.join("cx.toml");
    std::fs::write(&cx, checker.counterexample(&ex.violations[0]).unwrap()).unwrap();
    let cx = cx.to_str().unwrap();
    let out = dir.join("run");
    let out = out.to_str().unwrap();
    let flag = ["--deliberate-bug", "ack-before-quorum"];
    assert_eq!(dynsim(&[&["run", cx, "--out", out][..], &flag].concat()), 1);
    assert_eq!(dynsim(&["run", cx, "--out", out]), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

const PLANTED_UNIQUE: u64 = 39757;

/// Issue 21's dot reuse, re-found behind `--deliberate-bug`: a node
/// leaves (the file's `leave` fault, the others told at steps of their
/// own) while a put is forwarded to it on a stale view. With the planted
/// bug it coordinates the put as a stand-in versioned against its hints
/// alone, mints a dot a second time and an acknowledged write is lost in
/// some execution; without it every execution keeps both writes. The
/// counterexample replays in `dynsim run` with the flag (exit 1, the same
/// count) and is refused without it (another execution: exit 2).
#[test]
fn a_dot_minted_twice_on_a_leave_is_found_behind_the_planted_bug() {
    let file = "scenarios/check/dot-reuse.toml";
    let s = load(file);
    let ex = explore(&s);
    assert_eq!(summary(&ex), (vec![], DOT_REUSE_UNIQUE, true));
    assert_eq!(table(&ex), [("carol get shoes: blue, red", 3241640, 113)]);

    let bug = DeliberateBug::CoordinateAnyForward;
    let checker = Checker::new(&s, Some(bug)).unwrap();
    let ex = checker.explore(Strategy::Bfs, u64::MAX, s.seed, |_| false);
    assert_eq!(
        summary(&ex),
        (
            vec!["lost_acked_writes".to_string()],
            DOT_REUSE_PLANTED_UNIQUE,
            true
        )
    );
    assert_eq!(
        table(&ex),
        [
            ("carol get shoes: blue, red", 213813376, 52),
            ("carol get shoes: nothing", 4059216, 2),
        ]
    );
    let v = &ex.violations[0];
    assert_eq!((v.steps.len(), v.actual.clone()), (34, 2.into()));

    let dir = std::env::temp_dir().join(format!("dynsim-check-dots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cx = dir.join("cx.toml");
    std::fs::write(&cx, checker.counterexample(v).unwrap()).unwrap();
    let cx = cx.to_str().unwrap();
    let out = dir.join("run");
    let flag = ["--deliberate-bug", bug.as_str()];
    let run = ["run", cx, "--out", out.to_str().unwrap()];
    assert_eq!(dynsim(&[&run[..], &flag].concat()), 1);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let failed: Vec<_> = summary["expectations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ok"] == false)
        .map(|e| (e["name"].as_str().unwrap(), e["actual"].clone()))
        .collect();
    assert_eq!(failed, [("lost_acked_writes", v.actual.clone())]);
    assert_eq!(summary["events"].as_u64(), Some(34), "one event per step");
    assert_eq!(dynsim(&run), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

const DOT_REUSE_UNIQUE: u64 = 3429;
const DOT_REUSE_PLANTED_UNIQUE: u64 = 2499;

/// A join explored: the spare starts at its `at`, the others learn of it
/// at steps of their own, and the cart moves from n2 to n4 without a
/// loss in any execution (a get through n4 may read before the hand-over
/// lands: "nothing"). One whole execution written as a schedule runs in
/// `dynsim run` step by step, the join and the learning included.
#[test]
fn a_join_hands_the_cart_over_in_every_execution() {
    let file = "scenarios/check/join-handover.toml";
    let s = load(file);
    let ex = explore(&s);
    assert_eq!(summary(&ex), (vec![], JOIN_UNIQUE, true));
    assert_eq!(
        table(&ex),
        [
            ("carol get cart: blue, red", 5197619172, 91),
            ("carol get cart: nothing", 498806994, 26),
        ]
    );
    // The execution that always takes the first enabled step.
    let checker = Checker::new(&s, None).unwrap();
    let mut schedule = Vec::new();
    let replay = loop {
        schedule.push(0);
        let replay = checker.replay(&schedule).unwrap();
        if replay.ended {
            break replay;
        }
    };
    assert!(replay.steps.iter().any(|st| st == "at 1000ms n4 joins"));
    assert!(replay.steps.iter().any(|st| st.starts_with("n4 learns")));
    let dir = std::env::temp_dir().join(format!("dynsim-check-join-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let steps: Vec<String> = schedule.iter().map(u32::to_string).collect();
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    let cx = dir.join("first.toml");
    std::fs::write(&cx, format!("{text}schedule = [{}]\n", steps.join(", "))).unwrap();
    let out = dir.join("run");
    let run = ["run", cx.to_str().unwrap(), "--out", out.to_str().unwrap()];
    assert_eq!(dynsim(&run), 0);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["events"].as_u64(), Some(schedule.len() as u64));
    let trace = std::fs::read_to_string(out.join("trace.jsonl")).unwrap();
    assert!(trace.contains(r#""kind":"join""#), "no join in the trace");
    let _ = std::fs::remove_dir_all(&dir);
}

const JOIN_UNIQUE: u64 = 27951;

/// A reaped tombstone is judged alike by `dynsim check` and by `dynsim
/// run`: it counts as present in the final values and a get after the
/// reap need not return it, so a legitimate reap loses no write and makes
/// no read stale in any explored execution (the explorer once counted the
/// tea and its tombstone as two lost writes, and Bob's empty read as
/// stale), and an execution that reaps the cart on every node before Bob
/// reads, run as a schedule, gets the verdicts the explorer gave it.
#[test]
fn a_reaped_tombstone_is_no_lost_write_in_check_or_its_run() {
    let file = "scenarios/check/reaped-delete.toml";
    let s = load(file);
    let ex = explore(&s);
    assert_eq!(summary(&ex), (vec![], REAPED_UNIQUE, true));
    // The execution that delivers whatever is in flight before any timer
    // fires, so each op ends before the next begins: the delete carries
    // the read's context, supersedes the tea, and is reaped.
    let checker = Checker::new(&s, None).unwrap();
    let mut schedule: Vec<u32> = Vec::new();
    let replay = loop {
        let deliver = (0..)
            .map_while(|k| {
                let mut next = schedule.clone();
                next.push(k);
                checker.replay(&next).ok().map(|r| (k, r))
            })
            .find(|(_, r)| r.steps.last().unwrap().starts_with("deliver "));
        let (k, replay) = deliver.unwrap_or_else(|| {
            let mut next = schedule.clone();
            next.push(0);
            (0, checker.replay(&next).unwrap())
        });
        schedule.push(k);
        if replay.ended {
            break replay;
        }
    };
    let explored: Vec<(String, serde_json::Value, bool)> = replay
        .judged
        .verdicts
        .iter()
        .map(|v| (v.name.clone(), v.actual.clone(), v.ok))
        .collect();
    let held = |name: &str| (name.to_string(), serde_json::json!(0), true);
    assert_eq!(explored, [held("lost_acked_writes"), held("stale_reads")]);
    assert_eq!(
        replay.judged.outcome,
        "alice get cart: tea; bob get cart: nothing"
    );

    let dir = std::env::temp_dir().join(format!("dynsim-check-reap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let steps: Vec<String> = schedule.iter().map(u32::to_string).collect();
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    let cx = dir.join("first.toml");
    std::fs::write(&cx, format!("{text}schedule = [{}]\n", steps.join(", "))).unwrap();
    let out = dir.join("run");
    let run = ["run", cx.to_str().unwrap(), "--out", out.to_str().unwrap()];
    assert_eq!(dynsim(&run), 0);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let ran: Vec<(String, serde_json::Value, bool)> = summary["expectations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let name = e["name"].as_str().unwrap().to_string();
            (name, e["actual"].clone(), e["ok"] == true)
        })
        .collect();
    assert_eq!(ran, explored);
    // Both nodes reaped the tombstone: nothing of the cart is left.
    let trace = std::fs::read_to_string(out.join("trace.jsonl")).unwrap();
    assert_eq!(trace.matches(r#""kind":"reaped""#).count(), 2, "two reaps");
    let _ = std::fs::remove_dir_all(&dir);
}

const REAPED_UNIQUE: u64 = 24483;
