//! `scenario::to_toml` writes a file that parses back to the same typed
//! scenario: for every scenario file in the repository, their `--set`
//! variants, and random numeric mutations of valid scenarios.

use dynsim::scenario::{self, Format, Scenario};
use dynsim::time::{Rate, SimTime};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn scenario_files() -> Vec<PathBuf> {
    scenario::files_under(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")).unwrap()
}

fn assert_round_trips(s: &Scenario, what: &str) {
    let text = scenario::to_toml(s);
    let back = match scenario::parse_str("emitted.toml", &text, Format::Toml, &[]) {
        Ok(back) => back,
        Err(e) => panic!(
            "{what}: the emitted file does not parse:\n{}\n{text}",
            e.render(false)
        ),
    };
    assert_eq!(
        &back, s,
        "{what}: the emitted file reads back differently:\n{text}"
    );
    assert_eq!(
        scenario::to_toml(&back),
        text,
        "{what}: emitting is not canonical"
    );
}

#[test]
fn every_scenario_file_round_trips() {
    let files = scenario_files();
    assert!(files.len() >= 10);
    for file in files {
        let s = scenario::load(&file, &[]).unwrap();
        assert_round_trips(&s, &file.display().to_string());
    }
}

#[test]
fn set_variants_round_trip() {
    let variants: &[&[&str]] = &[
        &["seed=99"],
        &["replication.versioning=\"dvv\""],
        &["replication.versioning=\"lww\"", "replication.r=1"],
        &["duration=\"1234567us\""],
        &["quiesce=\"0s\""],
        &["network.loss=0.125", "network.duplicate=1e-7"],
        &["network.latency={ dist = \"pareto\", scale = \"1ms\", shape = 1.1 }"],
        &[
            "workload.rate=\"333.3/s\"",
            "workload.key_dist=\"hotset(0.01,0.9)\"",
        ],
        &["cluster.strategy=\"q-over-s\""],
        &["gossip.enabled=false", "anti_entropy.enabled=false"],
        &["expect.lost_acked_writes=0", "expect.get_p99=\"50ms\""],
        &["nemesis.rate=\"1/7s\""],
    ];
    let mut round_tripped = 0;
    for file in scenario_files() {
        for sets in variants {
            let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
            // A variant may not fit every file (no workload to set a rate
            // on); only the ones that load are compared.
            if let Ok(s) = scenario::load(&file, &sets) {
                assert_round_trips(&s, &format!("{} {sets:?}", file.display()));
                round_tripped += 1;
            }
        }
    }
    assert!(round_tripped > 50, "only {round_tripped} variants loaded");
}

fn base(file: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    scenario::load(&path, &[]).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn mutated_scenarios_round_trip(
        which in 0..3usize,
        seed in 0..=i64::MAX as u64,
        extra_ns in 0..100_000_000_000u64,
        quiesce_ns in 0..10_000_000_000u64,
        extra_nodes in 0..6u32,
        n in 1..=3u32,
        r_pick in 0..3u32,
        w_pick in 0..3u32,
        rate in 0.001..100_000.0f64,
        per_ms in 1..10_000u64,
    ) {
        let file = [
            "scenarios/dynamo/quorum-no-faults.toml",
            "scenarios/dynamo/lww-clock-skew.toml",
            "scenarios/engine/partition-and-crash.toml",
        ][which];
        let mut s = base(file);
        s.seed = seed;
        // Longer only, so every fault and op still fits.
        s.duration += SimTime(extra_ns);
        s.quiesce += SimTime(quiesce_ns);
        if let Some(nemesis) = &mut s.nemesis {
            nemesis.heal_by = s.duration;
        }
        s.cluster.nodes += extra_nodes;
        if let Some((_, size)) = s.cluster.regions.last_mut() {
            *size += extra_nodes;
        }
        s.replication.n = n;
        s.replication.r = 1 + r_pick % n;
        s.replication.w = 1 + w_pick % n;
        if let Some(w) = &mut s.workload {
            w.rate = Rate { count: rate, per: SimTime::from_millis(per_ms) };
        }
        assert_round_trips(&s, file);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any text survives as a description, line breaks, quotes and
    /// control characters included; so do client and key names.
    #[test]
    fn any_text_round_trips(text in any::<String>(), name in "[a-z0-9-]{1,12}") {
        let mut s = base("scenarios/dynamo/lww-clock-skew.toml");
        s.description = text.clone();
        s.name = name;
        if !text.is_empty() {
            s.named_clients[0] = text.clone();
            s.ops[0].key = text;
        }
        assert_round_trips(&s, "text");
    }
}
