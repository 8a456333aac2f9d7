//! End-to-end tests of the `dynsim` binary: exit codes, diagnostics on
//! stderr, and what a run leaves on disk. Each test runs in its own
//! temporary folder, so the default `reports/<name>/` lands there.

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

/// A tiny runnable scenario: a scripted put, then a get expecting `milk`.
const GOOD: &str = r#"name = "tiny"
seed = 7
duration = "2s"

[cluster]
nodes = 4

[[op]]
at = "100ms"
client = "alice"
put = "cart"
value = "milk"

[[op]]
at = "1s"
client = "bob"
get = "cart"
returns = ["milk"]
"#;

fn dynsim(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the dynsim binary runs")
}

/// A fresh temporary folder holding one scenario file.
fn with_file(name: &str, text: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(name), text).unwrap();
    dir
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every entry of the folder except the scenario files the test wrote.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path.clone());
                found.push(path);
            } else if path.parent() != Some(dir) {
                found.push(path);
            }
        }
    }
    found
}

/// Runs `args` in a folder holding `file` and asserts a bad-input
/// refusal: exit 2, a codespan header `┌─ location`, the dotted field, and
/// nothing written.
#[track_caller]
fn refused(file: &str, text: &str, args: &[&str], location: &str, field: &str) -> String {
    let dir = with_file(file, text);
    let out = dynsim(dir.path(), args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{err}");
    assert!(
        err.contains(&format!("┌─ {location}")),
        "no `{location}` in:\n{err}"
    );
    assert!(
        err.contains(&format!("`{field}`")),
        "no `{field}` in:\n{err}"
    );
    assert_eq!(leftovers(dir.path()), Vec::<PathBuf>::new(), "{err}");
    err
}

/// `dynsim run FILE` on a bad TOML file, also with `--out`.
#[track_caller]
fn run_refuses(text: &str, location: &str, field: &str) -> String {
    let loc = format!("bad.toml:{location}");
    refused(
        "bad.toml",
        text,
        &["run", "bad.toml", "--out", "out/r"],
        &loc,
        field,
    );
    refused("bad.toml", text, &["run", "bad.toml"], &loc, field)
}

// ---- bad input: exit 2, the file, line and field named, nothing written

#[test]
fn a_toml_syntax_error_names_file_line_and_column() {
    let dir = with_file("bad.toml", "name = \"x\"\n[replication]\nr = \n");
    let out = dynsim(dir.path(), &["run", "bad.toml"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("TOML syntax error"), "{err}");
    assert!(err.contains("┌─ bad.toml:3:5"), "{err}");
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn a_json_syntax_error_names_file_line_and_column() {
    let text = "{\n  \"name\": \"j\",\n  \"replication\": {\"r\": 2,}\n}\n";
    let dir = with_file("bad.json", text);
    let out = dynsim(dir.path(), &["run", "bad.json"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("JSON syntax error"), "{err}");
    assert!(err.contains("┌─ bad.json:3:26"), "{err}");
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn a_json_field_error_names_the_dotted_path() {
    let text = "{\n  \"name\": \"j\",\n  \"replication\": {\"n\": 3, \"r\": 5}\n}\n";
    refused(
        "bad.json",
        text,
        &["run", "bad.json"],
        "bad.json:3:32",
        "replication.r",
    );
}

#[test]
fn an_unknown_key_suggests_the_nearest() {
    let err = run_refuses(
        "name = \"x\"\n[replication]\nrr = 2\n",
        "3:1",
        "replication.rr",
    );
    assert!(err.contains("did you mean `r`?"), "{err}");
}

#[test]
fn a_wrong_type_is_refused() {
    let err = run_refuses(
        "name = \"x\"\n[replication]\nr = \"two\"\n",
        "3:5",
        "replication.r",
    );
    assert!(err.contains("expected an integer"), "{err}");
}

#[test]
fn r_above_n_is_refused() {
    let text = "name = \"x\"\n[replication]\nn = 3\nr = 5\n";
    let err = run_refuses(text, "4:5", "replication.r");
    assert!(err.contains("more than n = 3"), "{err}");
}

#[test]
fn w_zero_is_refused() {
    run_refuses(
        "name = \"x\"\n[replication]\nw = 0\n",
        "3:5",
        "replication.w",
    );
}

#[test]
fn a_loss_above_one_is_refused() {
    run_refuses(
        "name = \"x\"\n[network]\nloss = 1.5\n",
        "3:8",
        "network.loss",
    );
}

#[test]
fn a_billion_nodes_is_refused() {
    let text = "name = \"x\"\n[cluster]\nnodes = 1_000_000_000\n";
    run_refuses(text, "3:9", "cluster.nodes");
}

#[test]
fn a_duration_without_unit_is_refused() {
    let text = "name = \"x\"\n[replication]\nrequest_timeout = \"500\"\n";
    run_refuses(text, "3:19", "replication.request_timeout");
}

#[test]
fn a_rate_without_unit_is_refused() {
    let err = run_refuses(
        "name = \"x\"\n[workload]\nrate = \"2000\"\n",
        "3:8",
        "workload.rate",
    );
    assert!(err.contains("2000/s"), "the fix is shown: {err}");
}

#[test]
fn an_unknown_distribution_is_refused() {
    let text = "name = \"x\"\n[network]\nlatency = { dist = \"cauchy\" }\n";
    run_refuses(text, "3:20", "network.latency.dist");
}

#[test]
fn a_malformed_zipf_is_refused() {
    let text = "name = \"x\"\n[workload]\nkey_dist = \"zipf(abc)\"\n";
    run_refuses(text, "3:12", "workload.key_dist");
}

#[test]
fn an_unknown_node_in_a_partition_is_refused() {
    let text = "name = \"x\"\n[cluster]\nnodes = 4\n\n[[fault]]\nat = \"1s\"\n\
                partition = [[\"n1\"], [\"n9\"]]\n";
    let err = run_refuses(text, "7:23", "fault[0].partition[1][0]");
    assert!(err.contains("n1..n4"), "{err}");
}

#[test]
fn a_fault_after_the_run_is_refused() {
    let text = "name = \"x\"\nduration = \"2s\"\nquiesce = \"1s\"\n\n[[fault]]\n\
                at = \"90s\"\ncrash = \"n1\"\n";
    run_refuses(text, "6:6", "fault[0].at");
}

#[test]
fn an_unknown_fault_action_is_refused() {
    let text = "name = \"x\"\n[[fault]]\nat = \"1s\"\nexplode = \"n1\"\n";
    let err = run_refuses(text, "4:1", "fault[0].explode");
    assert!(err.contains("`crash`"), "the actions are listed: {err}");
}

#[test]
fn a_bad_set_names_the_set_argument() {
    let args = ["run", "good.toml", "--set", "replication.r=9"];
    refused(
        "good.toml",
        GOOD,
        &args,
        "--set replication.r=9:1:21",
        "replication.r",
    );
}

#[test]
fn an_unknown_set_path_is_refused() {
    let args = ["run", "good.toml", "--set", "replication.q=1"];
    refused(
        "good.toml",
        GOOD,
        &args,
        "--set replication.q=1:1:19",
        "replication.q",
    );
}

#[test]
fn validate_refuses_bad_input_with_exit_2() {
    let text = "name = \"x\"\n[replication]\nn = 3\nr = 5\n";
    refused(
        "bad.toml",
        text,
        &["validate", "bad.toml"],
        "bad.toml:4:5",
        "replication.r",
    );
    let args = ["validate", "good.toml", "--set", "replication.w=0"];
    refused(
        "good.toml",
        GOOD,
        &args,
        "--set replication.w=0:1:21",
        "replication.w",
    );
}

/// A `[check] schedule` (a counterexample's steps) that is malformed, or
/// not an execution of its file, or not a whole one, is located like any
/// bad field: file, line and column of the step (or of the schedule),
/// `check.schedule[i]`, a caret, exit 2, nothing written; by every
/// command that reads it, and through `--set` too.
#[test]
fn a_bad_check_schedule_is_located_in_the_file() {
    let base = include_str!("../scenarios/check/blind-puts-vc.toml");
    let line = base.lines().count() + 1;
    let with = |schedule: &str| format!("{base}schedule = {schedule}\n");
    // Only two steps are enabled after the first: choice 99 is not one.
    let not_enabled = with("[0, 99]");
    for command in ["run", "check", "explain", "lamport"] {
        let err = refused(
            "cx.toml",
            &not_enabled,
            &[command, "cx.toml"],
            &format!("cx.toml:{line}:16"),
            "check.schedule[1]",
        );
        assert!(err.contains("choice 99") && err.contains('^'), "{err}");
    }
    // A prefix of an execution: `check` follows it, a run refuses it.
    let err = refused(
        "cx.toml",
        &with("[0, 1]"),
        &["run", "cx.toml"],
        &format!("cx.toml:{line}:12"),
        "check.schedule",
    );
    assert!(err.contains("goes on after"), "{err}");
    // Malformed: the decoder refuses it before any replay.
    refused(
        "cx.toml",
        &with("[0, \"x\"]"),
        &["check", "cx.toml"],
        &format!("cx.toml:{line}:16"),
        "check.schedule[1]",
    );
    // Set on the command line: the caret is in the argument.
    let set = "check.schedule=[0,99]";
    let located = format!(
        "--set {set}:1:{}",
        "--set ".len() + set.find("99").unwrap() + 1
    );
    refused(
        "cx.toml",
        base,
        &["run", "cx.toml", "--set", set],
        &located,
        "check.schedule[1]",
    );
}

// ---- good runs: exit codes and the report

fn summary(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_run_that_holds_exits_0_and_writes_summary_and_trace() {
    let dir = with_file("good.toml", GOOD);
    let out = dynsim(dir.path(), &["run", "good.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = dir.path().join("reports/tiny");
    let s = summary(&report.join("summary.json"));
    assert_eq!(s["ok"], true);
    assert_eq!(s["scenario"], "tiny");
    assert!(!s["expectations"].as_array().unwrap().is_empty());
    assert!(s["ops"]["get"]["ok"].as_u64().unwrap() >= 1);
    for key in ["lost_acked_writes", "stale_reads", "siblings"] {
        assert!(s.get(key).is_some(), "summary.json lacks {key}");
    }
    assert!(s["anomalies"]["lost_acked_writes"].is_array());
    assert!(s["anomalies"]["stale_reads"].is_array());
    let trace = fs::read_to_string(report.join("trace.jsonl")).unwrap();
    assert_eq!(
        trace.lines().count() as u64,
        s["trace_lines"].as_u64().unwrap()
    );
    for line in trace.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let t = v["t"].as_u64().unwrap();
        assert!(
            line.starts_with(&format!("{{\"t\":{t},\"kind\":\"")),
            "{line}"
        );
    }
}

#[test]
fn trace_off_writes_no_trace() {
    let dir = with_file("good.toml", GOOD);
    let out = dynsim(dir.path(), &["run", "good.toml", "--trace", "off"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = dir.path().join("reports/tiny");
    assert_eq!(summary(&report.join("summary.json"))["ok"], true);
    assert!(!report.join("trace.jsonl").exists());
}

#[test]
fn a_failed_expectation_exits_1_and_prints_the_replay_command() {
    let dir = with_file("eggs.toml", &GOOD.replace("[\"milk\"]", "[\"eggs\"]"));
    let out = dynsim(dir.path(), &["run", "eggs.toml", "--set", "seed=11"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("dynsim run eggs.toml --seed 11"), "{text}");
    let s = summary(&dir.path().join("reports/tiny/summary.json"));
    assert_eq!(s["ok"], false);
    assert_eq!(s["expectations"][0]["actual"], serde_json::json!(["milk"]));
}

/// The printed command carries every flag of the run, the hidden
/// `--deliberate-bug` included, and replays it: same verdicts, same trace.
#[test]
fn the_replay_command_carries_every_flag_and_replays() {
    let dir = with_file("eggs.toml", &GOOD.replace("[\"milk\"]", "[\"eggs\"]"));
    let args = [
        "run",
        "eggs.toml",
        "--set",
        "replication.w=1",
        "--out",
        "first",
        "--trace",
        "jsonl,shiviz",
        "--deliberate-bug",
        "merge-drops-sibling",
    ];
    let out = dynsim(dir.path(), &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let replay = text
        .lines()
        .skip_while(|l| !l.contains("replay this run with"))
        .nth(1)
        .unwrap_or_else(|| panic!("no replay command in {text}"))
        .trim();
    assert_eq!(
        replay,
        "dynsim run eggs.toml --seed 7 --set replication.w=1 --out first \
         --trace jsonl,shiviz --deliberate-bug merge-drops-sibling"
    );
    let first_trace = fs::read(dir.path().join("first/trace.jsonl")).unwrap();
    // Replayed as printed (no word needs quoting here), into another
    // folder so both reports can be compared.
    let mut words: Vec<&str> = replay.split(' ').skip(1).collect();
    let at = words.iter().position(|w| *w == "first").unwrap();
    words[at] = "second";
    let again = dynsim(dir.path(), &words);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert_eq!(
        fs::read(dir.path().join("second/trace.jsonl")).unwrap(),
        first_trace
    );
    assert!(dir.path().join("second/shiviz.log").is_file());
}

#[test]
fn out_puts_the_report_where_asked() {
    let dir = with_file("good.toml", GOOD);
    let out = dynsim(dir.path(), &["run", "good.toml", "--out", "elsewhere/r1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.path().join("elsewhere/r1/summary.json").is_file());
    assert!(dir.path().join("elsewhere/r1/trace.jsonl").is_file());
    assert!(!dir.path().join("reports").exists());
    assert_eq!(
        fs::read_dir(dir.path().join("elsewhere")).unwrap().count(),
        1
    );
}

#[test]
fn validate_accepts_a_good_file_and_writes_nothing() {
    let dir = with_file("good.toml", GOOD);
    let out = dynsim(dir.path(), &["validate", "good.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("valid scenario `tiny`"));
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn a_run_samples_divergence_and_judges_convergence() {
    let text = format!(
        "{GOOD}\n[metrics]\nsample_interval = \"4s\"\n[expect]\nconverged_within = \"1s\"\n"
    );
    let dir = with_file("converge.toml", &text);
    let out = dynsim(dir.path(), &["run", "converge.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("convergence: replicas agree"),
        "{}",
        stdout(&out)
    );
    let s = summary(&dir.path().join("reports/tiny/summary.json"));
    // No fault: measured from 0, where nothing was written yet.
    assert_eq!(
        s["convergence"],
        serde_json::json!({
            "converged": true,
            "after_last_heal_ms": 0.0,
            "last_heal_ms": 0.0,
            "divergent": []
        })
    );
    // 2s of workload and 30s of quiet: samples at 0, 4s, ..., 32s, the
    // last at the end.
    let divergence = s["divergence"].as_array().unwrap();
    assert_eq!(divergence.len(), 9, "{divergence:?}");
    assert_eq!(divergence[0], serde_json::json!([0.0, 0]));
    assert_eq!(divergence[8], serde_json::json!([32000.0, 0]));
    let verdicts = s["expectations"].as_array().unwrap();
    let verdict = verdicts
        .iter()
        .find(|v| v["name"] == "converged_within")
        .unwrap();
    assert_eq!(verdict["ok"], true, "{verdict}");
}

// ---- replay and overrides

fn trace_of(dir: &Path, extra: &[&str]) -> Vec<u8> {
    let mut args = vec!["run", "good.toml"];
    args.extend_from_slice(extra);
    let out = dynsim(dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    fs::read(dir.join("reports/tiny/trace.jsonl")).unwrap()
}

#[test]
fn the_same_file_twice_gives_the_same_trace_and_another_seed_another() {
    let dir = with_file("good.toml", GOOD);
    let first = trace_of(dir.path(), &[]);
    let second = trace_of(dir.path(), &[]);
    assert!(!first.is_empty());
    assert!(first == second, "two runs of seed 7 differ");
    let other = trace_of(dir.path(), &["--seed", "8"]);
    assert!(first != other, "seed 8 traced the same as seed 7");
}

#[test]
fn set_seed_is_reflected_in_the_summary() {
    let dir = with_file("good.toml", GOOD);
    let out = dynsim(dir.path(), &["run", "good.toml", "--set", "seed=3"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        summary(&dir.path().join("reports/tiny/summary.json"))["seed"],
        3
    );
    assert!(stderr(&out).contains("seed 3"));
}

#[test]
fn set_workload_rate_adds_traffic() {
    let dir = with_file("good.toml", GOOD);
    let quiet = dynsim(dir.path(), &["run", "good.toml"]);
    assert_eq!(quiet.status.code(), Some(0));
    let path = dir.path().join("reports/tiny/summary.json");
    let before = summary(&path)["ops"]["put"]["ok"].as_u64().unwrap();
    let args = ["run", "good.toml", "--set", "workload.rate=10/s"];
    let busy = dynsim(dir.path(), &args);
    assert_eq!(busy.status.code(), Some(0), "{}", stderr(&busy));
    let after = summary(&path)["ops"]["put"]["ok"].as_u64().unwrap();
    assert!(after > before, "{before} puts before, {after} after");
}

#[test]
fn out_never_replaces_a_folder_that_is_not_a_report() {
    let dir = with_file("good.toml", GOOD);
    fs::create_dir(dir.path().join("src")).unwrap();
    fs::write(dir.path().join("src/main.rs"), "fn main() {}").unwrap();
    for target in [".", "src", "good.toml"] {
        let out = dynsim(dir.path(), &["run", "good.toml", "--out", target]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "--out {target}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains("report folder"), "{}", stderr(&out));
    }
    assert_eq!(
        fs::read_to_string(dir.path().join("good.toml")).unwrap(),
        GOOD
    );
    assert!(dir.path().join("src/main.rs").is_file());
    let src = dir.path().join("src");
    assert_eq!(
        leftovers(dir.path()),
        vec![src.clone(), src.join("main.rs")]
    );
}

#[test]
fn out_replaces_an_earlier_report() {
    let dir = with_file("good.toml", GOOD);
    let args = ["run", "good.toml", "--out", "r"];
    assert_eq!(dynsim(dir.path(), &args).status.code(), Some(0));
    let args = ["run", "good.toml", "--out", "r", "--trace", "off"];
    assert_eq!(dynsim(dir.path(), &args).status.code(), Some(0));
    assert!(dir.path().join("r/summary.json").is_file());
    assert!(
        !dir.path().join("r/trace.jsonl").exists(),
        "the old report is gone"
    );
}

/// SIGINT or SIGTERM stops a run (or a sweep) with exit 130 and removes
/// its hidden staging folder: nothing is left beside the report's place.
#[test]
fn an_interrupted_run_removes_its_staging_folder() {
    let soak = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench/soak-100-nodes.toml");
    let soak = soak.to_str().unwrap();
    let cases: [(&str, Vec<&str>); 3] = [
        ("INT", vec!["run", soak, "--out", "out/r"]),
        ("TERM", vec!["run", soak, "--out", "out/r"]),
        (
            "TERM",
            vec!["sweep", soak, "--seeds", "1..4", "--out", "out/r"],
        ),
    ];
    for (signal, args) in cases {
        let dir = TempDir::new().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_dynsim"))
            .args(&args)
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let out = dir.path().join("out");
        // Wait for the staging folder, then interrupt the run inside it.
        let started = std::time::Instant::now();
        while fs::read_dir(&out).map_or(true, |mut d| d.next().is_none()) {
            assert!(
                started.elapsed().as_secs() < 60,
                "no staging folder appeared"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        let killed = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        let mut said = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut said).unwrap();
        assert_eq!(status.code(), Some(130), "{signal} {args:?}: {said}");
        assert!(said.contains("interrupted"), "{said}");
        let left: Vec<_> = fs::read_dir(&out).unwrap().collect();
        assert!(left.is_empty(), "{signal} {args:?} left {left:?}");
    }
}

/// An answer that would be empty says why: a missing file is named, and a
/// window past the run's end is refused (exit 2, no file written), a quiet
/// one noted.
#[test]
fn empty_answers_say_why() {
    let dir = with_file("good.toml", GOOD);
    let missing = dynsim(dir.path(), &["run", "nosuch.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("cannot read nosuch.toml"),
        "{}",
        stderr(&missing)
    );

    let late = "error: --from 50s is not before the run's end at 32s (duration 2s + quiesce 30s)";
    let lamport = dynsim(
        dir.path(),
        &["lamport", "good.toml", "--from", "50s", "--out", "l.svg"],
    );
    assert_eq!(lamport.status.code(), Some(2));
    assert!(stderr(&lamport).contains(late), "{}", stderr(&lamport));
    assert!(!dir.path().join("l.svg").exists());
    let explain = dynsim(dir.path(), &["explain", "good.toml", "--from", "50s"]);
    assert_eq!(explain.status.code(), Some(2));
    assert!(stderr(&explain).contains(late), "{}", stderr(&explain));

    let quiet = ["--from", "1.5s", "--until", "1.6s"];
    let explain = dynsim(
        dir.path(),
        &[&["explain", "good.toml"][..], &quiet].concat(),
    );
    assert_eq!(explain.status.code(), Some(0));
    assert!(stdout(&explain).is_empty());
    assert!(
        stderr(&explain).contains("nothing to tell between 1.5s and 1.6s (the run ends at 32s)"),
        "{}",
        stderr(&explain)
    );
    let lamport = dynsim(
        dir.path(),
        &[&["lamport", "good.toml", "--out", "q.svg"][..], &quiet].concat(),
    );
    assert_eq!(lamport.status.code(), Some(0));
    assert!(
        stderr(&lamport).contains("no message is sent between 1.5s and 1.6s"),
        "{}",
        stderr(&lamport)
    );
}

/// The terminal summary counts in words ("1 stale read", "1 get") and says
/// why a stale read can sit beside "100.00% ... saw the latest": it
/// returned the latest put but missed an older one.
#[test]
fn a_stale_read_beside_a_consistent_get_is_explained() {
    let dir = TempDir::new().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/dynamo/blind-puts-one-coordinator.toml");
    let out = dynsim(
        dir.path(),
        &["run", file.to_str().unwrap(), "--trace", "off"],
    );
    let text = stdout(&out);
    assert!(
        text.contains("1 lost acknowledged write, 1 stale read;"),
        "{text}"
    );
    assert!(text.contains("100.00% of 1 get saw the latest"), "{text}");
    assert!(
        text.contains("1 stale read returned the latest acknowledged put but missed an older one"),
        "{text}"
    );
}

/// `dynsim validate ... | head`: the reader closes the pipe before dynsim
/// is done writing. dynsim stops quietly with the shell's SIGPIPE code,
/// not a panic.
#[test]
fn a_closed_output_pipe_stops_quietly() {
    let lesson = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/lessons/04-versioning.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .args(["validate", lesson.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away at once
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}
