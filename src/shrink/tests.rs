//! The candidate steps on every scenario file (each candidate is valid or
//! refused by the parser, never a panic) and the driver with a stand-in
//! for "the run fails".

use super::steps::{self, STEPS};
use super::*;
use crate::scenario::FaultAction;
use crate::time::SimTime;
use std::path::{Path, PathBuf};

fn scenario_files() -> Vec<PathBuf> {
    crate::scenario::files_under(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")).unwrap()
}

fn load(path: &str) -> Scenario {
    crate::scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(path), &[]).unwrap()
}

#[test]
fn every_step_on_every_file_gives_valid_or_refused_candidates() {
    let mut valid = 0;
    for file in scenario_files() {
        let s = crate::scenario::load(&file, &[]).unwrap();
        for target in [
            Target::Expect("lost_acked_writes".to_string()),
            Target::OpReturns(0),
        ] {
            for step in STEPS {
                for c in step(&s, &target) {
                    assert!(!c.change.is_empty());
                    if let Some(normal) = normalise(&c.scenario) {
                        assert_eq!(normal, c.scenario, "{}: {}", file.display(), c.change);
                        valid += 1;
                    }
                }
            }
        }
    }
    assert!(valid > 50, "only {valid} valid candidates");
}

#[test]
fn verdict_names_map_to_targets_and_back() {
    for name in ["lost_acked_writes", "op[3].returns", "op[x].returns"] {
        assert_eq!(Target::from_verdict_name(name).verdict_name(), name);
    }
    assert_eq!(
        Target::from_verdict_name("op[3].returns"),
        Target::OpReturns(3)
    );
}

#[test]
fn removing_an_earlier_op_renames_the_target_and_keeps_clients_in_order() {
    let s = load("scenarios/examples/full.toml");
    let last = s.ops.len() - 1;
    let candidates = steps::remove_ops(&s, &Target::OpReturns(last));
    assert_eq!(
        candidates.len(),
        last,
        "the target op itself is never removed"
    );
    for c in candidates {
        assert_eq!(c.target, Target::OpReturns(last - 1));
        let normal = normalise(&c.scenario).expect("removing an op keeps a valid file");
        assert_eq!(normal, c.scenario);
    }
}

#[test]
fn a_node_named_by_a_fault_is_kept() {
    let s = load("scenarios/dynamo/lww-clock-skew.toml");
    let target = Target::Expect("lost_acked_writes".to_string());
    let c = steps::remove_highest_node(&s, &target);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].scenario.cluster.nodes, 2);
    // n = 3 no longer fits in two nodes: the parser refuses it.
    assert!(normalise(&c[0].scenario).is_none());
}

#[test]
fn fewer_replicas_let_the_cluster_shrink_below_the_old_n() {
    let s = load("scenarios/dynamo/lww-clock-skew.toml");
    let target = Target::Expect("lost_acked_writes".to_string());
    let c = steps::lower_replication(&s, &target);
    assert_eq!(c.len(), 1);
    let fewer = normalise(&c[0].scenario).expect("N=2 of 3 nodes is valid");
    let q = &fewer.replication;
    assert_eq!((q.n, q.r, q.w), (2, 2, 2), "{}", c[0].change);
    let smaller = steps::remove_highest_node(&fewer, &target);
    assert_eq!(smaller.len(), 1);
    assert!(
        normalise(&smaller[0].scenario).is_some(),
        "two nodes now hold N=2"
    );
    let one = steps::lower_replication(&fewer, &target);
    let one = steps::lower_replication(&one[0].scenario, &target);
    assert!(one.is_empty(), "N never goes below 1");
}

#[test]
fn read_and_write_quorums_shrink_one_at_a_time_and_never_below_one() {
    let s = load("scenarios/dynamo/lww-clock-skew.toml");
    let target = Target::Expect("lost_acked_writes".to_string());
    let quorums = |s: &Scenario| -> Vec<(u32, u32)> {
        steps::lower_quorum(s, &target)
            .iter()
            .map(|c| (c.scenario.replication.r, c.scenario.replication.w))
            .collect()
    };
    let (r, w) = (s.replication.r, s.replication.w);
    assert_eq!((r, w), (2, 2));
    assert_eq!(quorums(&s), [(1, 2), (2, 1)]);
    let mut one = s.clone();
    one.replication.r = 1;
    one.replication.w = 1;
    assert!(quorums(&one).is_empty(), "R and W never go below 1");
    let c = steps::lower_quorum(&s, &target);
    assert!(normalise(&c[0].scenario).is_some(), "{}", c[0].change);
}

#[test]
fn scripted_events_start_sooner_and_keep_their_spacing() {
    let s = load("scenarios/lessons/03-get-and-put.toml");
    let target = Target::OpReturns(2);
    let c = steps::start_sooner(&s, &target);
    assert_eq!(c.len(), 1);
    let sooner = normalise(&c[0].scenario).expect("shifted scenario is valid");
    let shift = SimTime::from_millis(50);
    assert_eq!(
        sooner.ops[0].at,
        SimTime::from_millis(50),
        "{}",
        c[0].change
    );
    for (was, now) in s.ops.iter().zip(&sooner.ops) {
        assert_eq!(now.at.0 + shift.0, was.at.0);
    }
    for (was, now) in s.faults.iter().zip(&sooner.faults) {
        assert_eq!(now.at.0 + shift.0, was.at.0);
    }
    assert_eq!(sooner.duration.0 + shift.0, s.duration.0);
    // A fault at 0 leaves nothing to move.
    let skew = load("scenarios/dynamo/lww-clock-skew.toml");
    assert!(steps::start_sooner(&skew, &target).is_empty());
}

#[test]
fn a_loss_window_ends_as_much_sooner() {
    let mut s = load("scenarios/lessons/03-get-and-put.toml");
    s.faults.push(crate::scenario::Fault {
        at: SimTime::from_millis(4_000),
        action: FaultAction::Loss {
            probability: 0.5,
            until: SimTime::from_millis(5_000),
        },
    });
    let c = steps::start_sooner(&s, &Target::OpReturns(2));
    let last = c[0].scenario.faults.last().unwrap();
    assert_eq!(last.at, SimTime::from_millis(3_950));
    assert!(matches!(
        last.action,
        FaultAction::Loss { until, .. } if until == SimTime::from_millis(4_950)
    ));
}

#[test]
fn the_driver_keeps_only_what_the_failure_needs() {
    let start = load("scenarios/examples/full.toml");
    let target = Target::Expect("lost_acked_writes".to_string());
    let skewed = |s: &Scenario| {
        s.faults
            .iter()
            .any(|f| matches!(f.action, FaultAction::Skew { .. }))
    };
    assert!(skewed(&start));
    let mut heard = Vec::new();
    let outcome = shrink(
        start.clone(),
        target.clone(),
        1000,
        |s, _| skewed(s),
        |line| heard.push(line.to_string()),
    );
    let small = &outcome.scenario;
    assert!(!outcome.budget_spent);
    assert_eq!(small.faults.len(), 1, "{:#?}", small.faults);
    assert!(skewed(small));
    assert!(small.nemesis.is_none() && small.ops.is_empty() && small.workload.is_none());
    assert!(small.duration < start.duration);
    assert_eq!(
        heard,
        outcome
            .accepted
            .iter()
            .map(|c| format!("{c}: still fails"))
            .collect::<Vec<_>>()
    );
    assert_eq!(normalise(small).as_ref(), Some(small));
    // Deterministic: the same start shrinks the same way.
    let again = shrink(start, target, 1000, |s, _| skewed(s), |_| {});
    assert_eq!(again.scenario, outcome.scenario);
    assert_eq!(again.runs, outcome.runs);
}

#[test]
fn the_budget_stops_the_driver() {
    let start = load("scenarios/examples/full.toml");
    let target = Target::Expect("lost_acked_writes".to_string());
    let outcome = shrink(start, target, 5, |_, _| false, |_| {});
    assert!(outcome.budget_spent);
    assert_eq!(outcome.runs, 5);
    assert!(outcome.accepted.is_empty());
}

mod mutated {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Steps on random variations of the example files never panic,
        /// and what the parser accepts is what the step proposed.
        #[test]
        fn steps_never_panic(
            which in 0..3usize,
            nodes in 1..12u32,
            n in 1..4u32,
            spares in 0..3u32,
            duration_ms in 1..100_000u64,
        ) {
            let file = [
                "scenarios/examples/full.toml",
                "scenarios/engine/partition-and-crash.toml",
                "scenarios/membership/join-64.toml",
            ][which];
            let mut s = load(file);
            s.cluster.nodes = nodes;
            s.cluster.spares = spares;
            s.replication.n = n;
            s.duration = crate::time::SimTime::from_millis(duration_ms);
            let target = Target::OpReturns(1);
            for step in STEPS {
                for c in step(&s, &target) {
                    if let Some(normal) = normalise(&c.scenario) {
                        prop_assert_eq!(normal, c.scenario);
                    }
                }
            }
        }
    }
}
