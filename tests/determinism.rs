//! Same scenario and seed: identical trace bytes. Another seed: a different
//! trace. The scenario has every source of randomness switched on: loss,
//! duplication, jittery latency, a generic balancer, a nemesis, a split.

use dynsim::id::NodeId;
use dynsim::run;
use dynsim::scenario::{Balancer, Dist, Fault, FaultAction, Nemesis, Scenario, Workload};
use dynsim::time::{Rate, SimTime};
use dynsim::trace::{SharedBuffer, Tracer};

fn busy_scenario(seed: u64) -> Scenario {
    let mut s = Scenario::with_defaults("determinism");
    s.seed = seed;
    s.cluster.nodes = 6;
    s.duration = SimTime::from_secs(5);
    s.quiesce = SimTime::from_secs(2);
    s.network.loss = 0.02;
    s.network.duplicate = 0.01;
    s.network.latency = Dist::Mixture {
        parts: vec![
            (
                0.9,
                Dist::LogNormal {
                    p50: SimTime::from_millis(1),
                    p99: SimTime::from_millis(10),
                },
            ),
            (
                0.1,
                Dist::Pareto {
                    scale: SimTime::from_millis(5),
                    shape: 1.5,
                },
            ),
        ],
    };
    s.workload = Some(Workload {
        clients: 4,
        keys: 50,
        rate: Rate {
            count: 400.0,
            per: SimTime::from_secs(1),
        },
        balancer: Balancer::Generic,
        read_modify_write: 0.3,
        ..Workload::default()
    });
    s.faults = vec![
        Fault {
            at: SimTime::from_secs(1),
            action: FaultAction::SplitMajority,
        },
        Fault {
            at: SimTime::from_secs(2),
            action: FaultAction::HealAll,
        },
        Fault {
            at: SimTime::from_secs(3),
            action: FaultAction::Crash(NodeId(2)),
        },
        Fault {
            at: SimTime::from_secs(4),
            action: FaultAction::Restart {
                node: NodeId(2),
                wipe_disk: true,
            },
        },
    ];
    s.nemesis = Some(Nemesis {
        rate: Rate {
            count: 1.0,
            per: SimTime::from_secs(1),
        },
        heal_by: SimTime::from_secs(5),
        ..Nemesis::default()
    });
    s
}

fn trace_of(s: &Scenario) -> Vec<u8> {
    let buf = SharedBuffer::default();
    run::run(s, Tracer::jsonl(Box::new(buf.clone()))).unwrap();
    buf.bytes()
}

#[test]
fn same_seed_same_trace_bytes_other_seed_other_trace() {
    let a = trace_of(&busy_scenario(7));
    let b = trace_of(&busy_scenario(7));
    let c = trace_of(&busy_scenario(8));
    assert!(a.len() > 100_000, "a busy run: {} bytes", a.len());
    assert!(
        a == b,
        "same scenario and seed must give identical trace bytes"
    );
    assert!(a != c, "another seed must give another run");
    let text = String::from_utf8(a).unwrap();
    for kind in [
        "send",
        "deliver",
        "drop",
        "duplicate",
        "timer",
        "crash",
        "restart",
        "partition",
        "heal",
        "invoke",
        "complete",
    ] {
        let needle = format!("\"kind\":\"{kind}\"");
        assert!(text.contains(&needle), "the trace records {kind}");
    }
    for why in ["loss", "partition", "crashed"] {
        assert!(
            text.contains(&format!("\"why\":\"{why}\"")),
            "a drop for {why}"
        );
    }
}

#[test]
fn sampling_only_reads_the_world() {
    let mut often = busy_scenario(7);
    often.metrics.sample_interval = SimTime::from_millis(100);
    let mut rarely = busy_scenario(7);
    rarely.metrics.sample_interval = SimTime::from_secs(10);
    let (a, b) = (trace_of(&often), trace_of(&rarely));
    assert!(a.len() > 100_000, "a busy run: {} bytes", a.len());
    assert!(a == b, "the sample interval must not change the trace");
    let samples = run::run(&often, Tracer::off()).unwrap().divergence;
    assert_eq!(samples.len(), 71, "0, 100ms, ..., 7s");
    assert!(samples.iter().any(|&(_, keys)| keys > 0), "{samples:?}");
}

#[test]
fn the_trace_off_changes_nothing_but_the_trace() {
    let s = busy_scenario(3);
    let on = run::run(&s, Tracer::jsonl(Box::new(SharedBuffer::default()))).unwrap();
    let off = run::run(&s, Tracer::off()).unwrap();
    assert_eq!(on.metrics.events, off.metrics.events);
    assert_eq!(on.metrics.messages, off.metrics.messages);
    assert_eq!(on.metrics.get.ok, off.metrics.get.ok);
    assert_eq!(off.trace_lines, 0);
}

#[test]
fn changing_the_workload_does_not_reshuffle_the_nemesis() {
    let a = busy_scenario(11);
    let mut b = busy_scenario(11);
    b.workload.as_mut().unwrap().keys = 7;
    let world_a = run::build(&a, Tracer::off());
    let world_b = run::build(&b, Tracer::off());
    assert_eq!(world_a.fault_schedule(), world_b.fault_schedule());
}
