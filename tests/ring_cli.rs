//! End-to-end tests of `dynsim ring`: the JSON contract, flags over a
//! scenario file over the defaults, bad input exiting 2 without a panic,
//! and identical bytes for identical arguments.

use serde_json::Value;
use std::fs;
use std::process::{Command, Output};

fn dynsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .args(args)
        .output()
        .expect("the dynsim binary runs")
}

fn json(args: &[&str]) -> Value {
    let mut all = vec!["ring", "--json"];
    all.extend_from_slice(args);
    let out = dynsim(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn json_has_the_contract_keys_and_a_share_per_node() {
    for strategy in ["random-tokens", "equal-partitions", "q-over-s"] {
        let report = json(&["--nodes", "12", "--strategy", strategy, "--n", "3"]);
        for key in [
            "nodes",
            "vnodes",
            "strategy",
            "partitions",
            "n",
            "seed",
            "placement",
            "tokens",
            "shares",
            "efficiency",
        ] {
            assert!(
                report.get(key).is_some(),
                "{strategy}: no `{key}` in {report}"
            );
        }
        assert_eq!(report["nodes"], 12);
        assert_eq!(report["strategy"], strategy);
        let shares = report["shares"].as_object().unwrap();
        let mut names: Vec<&str> = shares.keys().map(String::as_str).collect();
        names.sort_by_key(|name| name[1..].parse::<u32>().unwrap());
        let expected: Vec<String> = (1..=12).map(|i| format!("n{i}")).collect();
        assert_eq!(names, expected, "a share per node");
        let total: f64 = shares.values().map(|v| v.as_f64().unwrap()).sum();
        assert!((total - 3.0).abs() < 1e-9, "shares sum to N: {total}");
        let efficiency = report["efficiency"].as_f64().unwrap();
        assert!(efficiency > 0.0 && efficiency <= 1.0);
    }
}

/// serde_json's `Value` sorts keys, so the order is read from the bytes.
#[test]
fn shares_are_listed_in_node_order() {
    let out = dynsim(&["ring", "--json", "--nodes", "12"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let at = |name: &str| text.find(&format!("\"{name}\":")).unwrap();
    assert!(at("n2") < at("n10"), "{text}");
    assert!(at("n9") < at("n10"), "{text}");
}

#[test]
fn defaults_come_from_the_scenario_defaults() {
    let report = json(&[]);
    assert_eq!(report["nodes"], 8);
    assert_eq!(report["vnodes"], 32);
    assert_eq!(report["strategy"], "random-tokens");
    assert_eq!(report["partitions"], 256);
    assert_eq!(report["n"], 3);
    assert_eq!(report["seed"], 1);
    assert_eq!(report["placement"], "clockwise");
    assert_eq!(report["tokens"], 256);
}

#[test]
fn a_scenario_file_supplies_the_cluster_and_flags_override_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ring.toml");
    fs::write(
        &file,
        "name = \"ring\"\nseed = 9\n[cluster]\nnodes = 6\nregions = { a = 3, b = 3 }\n\
         vnodes = 4\nstrategy = \"q-over-s\"\npartitions = 60\nplacement = \"region-aware\"\n\
         [replication]\nn = 2\nr = 1\nw = 1\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let report = json(&[path]);
    assert_eq!(report["nodes"], 6);
    assert_eq!(report["seed"], 9);
    assert_eq!(report["strategy"], "q-over-s");
    assert_eq!(report["partitions"], 60);
    assert_eq!(report["tokens"], 60);
    assert_eq!(report["n"], 2);
    assert_eq!(report["placement"], "region-aware");
    // Region-aware with N = 2 over two regions of three: every key has one
    // replica in each region, so each region's shares add up to 1.
    let shares: Vec<f64> = report["shares"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!((shares[..3].iter().sum::<f64>() - 1.0).abs() < 1e-9);
    let report = json(&[
        path,
        "--seed",
        "4",
        "--n",
        "3",
        "--strategy",
        "random-tokens",
    ]);
    assert_eq!(report["seed"], 4);
    assert_eq!(report["n"], 3);
    assert_eq!(report["tokens"], 24);
}

#[test]
fn same_arguments_give_the_same_bytes() {
    for args in [
        &[
            "ring", "--json", "--nodes", "30", "--vnodes", "16", "--seed", "7",
        ][..],
        &[
            "ring",
            "--strategy",
            "equal-partitions",
            "--partitions",
            "128",
        ][..],
    ] {
        let a = dynsim(args);
        let b = dynsim(args);
        assert_eq!(a.status.code(), Some(0));
        assert!(!a.stdout.is_empty());
        assert_eq!(a.stdout, b.stdout);
    }
}

#[test]
fn the_text_output_shows_every_node_and_the_efficiency() {
    let out = dynsim(&["ring", "--nodes", "5"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for node in ["n1 ", "n5 "] {
        assert!(text.contains(node), "{text}");
    }
    assert!(text.contains("efficiency"), "{text}");
    assert!(text.contains("metadata: 160 tokens"), "{text}");
}

#[test]
fn bad_input_exits_2_with_one_clear_line() {
    let cases: [(&[&str], &str); 8] = [
        (&["--nodes", "0"], "nodes = 0"),
        (&["--vnodes", "0"], "vnodes = 0"),
        (&["--nodes", "2", "--n", "3"], "n = 3"),
        (&["--n", "0"], "n = 0"),
        (&["--partitions", "0"], "partitions = 0"),
        (
            &[
                "--strategy",
                "q-over-s",
                "--nodes",
                "10",
                "--partitions",
                "4",
            ],
            "at least nodes",
        ),
        (&["--strategy", "round-robin"], "random-tokens"),
        (&["--nodes", "-3"], "-3"),
    ];
    for (args, needle) in cases {
        let mut all = vec!["ring"];
        all.extend_from_slice(args);
        let out = dynsim(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_bad_scenario_file_exits_2_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    fs::write(
        &file,
        "name = \"bad\"\n[cluster]\nnodes = 4\nvnodes = \"many\"\n",
    )
    .unwrap();
    let out = dynsim(&["ring", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("vnodes"));
}

/// `--key` shows where a run puts the key: the replicas of the first keys
/// a run coordinates (their `pref` in the trace) are the ones it prints,
/// under region-aware placement too.
#[test]
fn key_shows_the_preference_list_a_run_uses() {
    let dir = std::env::temp_dir().join(format!("dynsim-ring-key-{}", std::process::id()));
    let file = "scenarios/failures/region-loss.toml";
    let run = dynsim(&["run", file, "--out", dir.to_str().unwrap()]);
    assert!(run.status.code().is_some(), "the run ends");
    let trace = fs::read_to_string(dir.join("trace.jsonl")).unwrap();
    let mut checked = 0;
    for line in trace
        .lines()
        .filter(|l| l.contains("\"coordinate\""))
        .take(20)
    {
        let note: Value = serde_json::from_str(line).unwrap();
        let key = note["key"].as_str().unwrap();
        let report = json(&[file, "--key", key]);
        assert_eq!(report["keys"][0]["key"], key);
        assert_eq!(report["keys"][0]["replicas"], note["pref"], "{key}");
        let fallbacks = report["keys"][0]["fallbacks"].as_array().unwrap();
        assert_eq!(fallbacks.len(), 3, "2N entries in a six-node ring");
        checked += 1;
    }
    assert_eq!(checked, 20);
    let text = dynsim(&["ring", file, "--key", "cart"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("key cart: replicas "), "{text}");
    assert!(!json(&[file])["keys"].is_array(), "no keys without --key");
    fs::remove_dir_all(&dir).unwrap();
}
