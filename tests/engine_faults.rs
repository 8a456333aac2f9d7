//! Each fault kind shows its effect in the trace, driven through the event
//! loop with the trivial relay actor (no protocol code involved).

use dynsim::id::NodeId;
use dynsim::scenario::{Dist, Fault, FaultAction, Scenario};
use dynsim::sim::testkit::{IdleClient, Relay};
use dynsim::sim::{Sim, Status};
use dynsim::time::SimTime;
use dynsim::trace::{SharedBuffer, Tracer};
use serde_json::Value;

const MS: u64 = SimTime::MS;

/// Four relays, each sending a token to every other node every 10 ms over
/// links that take exactly 1 ms; the given faults; a 1 s run.
fn scenario(faults: Vec<(u64, FaultAction)>) -> Scenario {
    let mut s = Scenario::with_defaults("faults");
    s.cluster.nodes = 4;
    s.cluster.spares = 1;
    s.duration = SimTime::from_millis(1000);
    s.quiesce = SimTime::ZERO;
    s.network.latency = Dist::Constant {
        value: SimTime::from_millis(1),
    };
    s.faults = faults
        .into_iter()
        .map(|(at_ms, action)| Fault {
            at: SimTime(at_ms * MS),
            action,
        })
        .collect();
    s
}

fn run(s: &Scenario) -> (Sim<Relay, IdleClient>, Vec<Value>) {
    let buf = SharedBuffer::default();
    let nodes = (0..s.total_nodes())
        .map(|i| {
            let mut r = Relay::new(NodeId(i), s.cluster.nodes);
            r.tick = Some(SimTime::from_millis(10));
            r.log = true;
            r
        })
        .collect();
    let mut sim = Sim::new(
        s,
        nodes,
        Vec::new(),
        Vec::new(),
        Tracer::jsonl(Box::new(buf.clone())),
    );
    sim.run();
    sim.finish_trace().unwrap();
    let lines = buf
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each trace line is JSON"))
        .collect();
    (sim, lines)
}

fn t_ms(e: &Value) -> f64 {
    e["t"].as_u64().unwrap() as f64 / MS as f64
}

fn kind<'a>(lines: &'a [Value], kind: &str) -> impl Iterator<Item = &'a Value> {
    lines.iter().filter(move |e| e["kind"] == kind)
}

fn delivers_to<'a>(lines: &'a [Value], node: &'a str) -> impl Iterator<Item = &'a Value> {
    kind(lines, "deliver").filter(move |e| e["to"] == node)
}

#[test]
fn a_crashed_node_receives_nothing_until_restarted() {
    let s = scenario(vec![
        (100, FaultAction::Crash(NodeId(1))),
        (
            300,
            FaultAction::Restart {
                node: NodeId(1),
                wipe_disk: false,
            },
        ),
    ]);
    let (sim, lines) = run(&s);
    assert!(delivers_to(&lines, "n2").all(|e| t_ms(e) < 100.0 || t_ms(e) >= 300.0));
    assert!(
        delivers_to(&lines, "n2").any(|e| t_ms(e) > 300.0),
        "delivers again after restart"
    );
    let dropped = kind(&lines, "drop")
        .filter(|e| e["to"] == "n2" && e["why"] == "crashed")
        .count();
    assert!(
        dropped > 30,
        "messages to the crashed node are dropped as crashed: {dropped}"
    );
    // Timers set before the crash never fire: no tick between 100 and 300.
    assert!(
        kind(&lines, "timer")
            .filter(|e| e["node"] == "n2")
            .all(|e| t_ms(e) < 100.0 || t_ms(e) >= 300.0)
    );
    assert_eq!(sim.status(NodeId(1)), Status::Up);
    assert!(
        sim.node(NodeId(1)).disk > sim.node(NodeId(1)).since_start,
        "disk kept, memory lost"
    );
}

#[test]
fn a_paused_node_handles_nothing_until_resumed_then_takes_its_backlog() {
    let s = scenario(vec![
        (100, FaultAction::Pause(NodeId(2))),
        (300, FaultAction::Resume(NodeId(2))),
    ]);
    let (sim, lines) = run(&s);
    assert!(delivers_to(&lines, "n3").all(|e| t_ms(e) <= 100.0 || t_ms(e) >= 300.0));
    let at_resume = delivers_to(&lines, "n3")
        .filter(|e| t_ms(e) == 300.0)
        .count();
    assert!(
        at_resume >= 3 * 19,
        "the backlog of ~20 ticks from 3 peers is handled at resume: {at_resume}"
    );
    assert_eq!(
        kind(&lines, "drop").filter(|e| e["to"] == "n3").count(),
        0,
        "a pause loses nothing"
    );
    let seen = &sim.node(NodeId(2)).seen;
    assert!(seen.iter().all(|t| t.0 <= 100 * MS || t.0 >= 300 * MS));
}

#[test]
fn a_one_way_cut_drops_one_direction_only() {
    let s = scenario(vec![(
        100,
        FaultAction::Cut {
            from: NodeId(0),
            to: NodeId(1),
        },
    )]);
    let (_, lines) = run(&s);
    let after = |e: &&Value| t_ms(e) > 101.0;
    assert_eq!(
        delivers_to(&lines, "n2")
            .filter(after)
            .filter(|e| e["from"] == "n1")
            .count(),
        0
    );
    assert!(
        delivers_to(&lines, "n1")
            .filter(after)
            .any(|e| e["from"] == "n2")
    );
    assert!(
        kind(&lines, "drop")
            .filter(after)
            .all(|e| e["from"] == "n1" && e["to"] == "n2" && e["why"] == "partition")
    );
    assert!(kind(&lines, "drop").count() > 50);
}

#[test]
fn a_healed_partition_delivers_again() {
    let groups = vec![vec![NodeId(0), NodeId(1)], vec![NodeId(2), NodeId(3)]];
    let s = scenario(vec![
        (100, FaultAction::Partition(groups)),
        (400, FaultAction::HealAll),
    ]);
    let (_, lines) = run(&s);
    let across = |e: &&Value| {
        let side = |v: &Value| matches!(v.as_str(), Some("n1" | "n2"));
        side(&e["from"]) != side(&e["to"])
    };
    let during = |e: &&Value| t_ms(e) > 101.0 && t_ms(e) < 400.0;
    assert_eq!(
        kind(&lines, "deliver")
            .filter(across)
            .filter(during)
            .count(),
        0
    );
    assert!(
        kind(&lines, "deliver")
            .filter(across)
            .any(|e| t_ms(e) > 401.0),
        "heal reopens"
    );
    assert!(
        kind(&lines, "deliver").filter(during).any(|e| !across(&e)),
        "each side still talks"
    );
    assert!(kind(&lines, "partition").count() == 1 && kind(&lines, "heal").count() == 1);
}

#[test]
fn a_message_in_flight_across_a_new_cut_is_dropped() {
    // Ticks go out at 10, 20, ... ms and take 1 ms: a partition at 10.5 ms
    // catches the 10 ms tick's messages in flight.
    let mut s = scenario(vec![]);
    s.faults.push(Fault {
        at: SimTime(10 * MS + MS / 2),
        action: FaultAction::Isolate(NodeId(0)),
    });
    let (_, lines) = run(&s);
    let in_flight = kind(&lines, "drop")
        .filter(|e| t_ms(e) == 11.0 && e["why"] == "partition")
        .count();
    assert_eq!(
        in_flight, 6,
        "n1's 3 tokens out and the 3 tokens in were in flight"
    );
}

#[test]
fn a_wiped_restart_comes_back_empty() {
    let s = scenario(vec![
        (100, FaultAction::Crash(NodeId(1))),
        (
            150,
            FaultAction::Restart {
                node: NodeId(1),
                wipe_disk: true,
            },
        ),
        (200, FaultAction::Crash(NodeId(2))),
        (
            250,
            FaultAction::Restart {
                node: NodeId(2),
                wipe_disk: false,
            },
        ),
    ]);
    let (sim, lines) = run(&s);
    let wiped = sim.node(NodeId(1));
    let kept = sim.node(NodeId(2));
    assert_eq!(
        wiped.disk, wiped.since_start,
        "everything on disk arrived after the restart"
    );
    assert!(
        kept.disk > kept.since_start,
        "the unwiped disk kept its earlier count"
    );
    assert!(kind(&lines, "restart").any(|e| e["node"] == "n2" && e["wipe_disk"] == true));
}

#[test]
fn clock_skew_shifts_only_the_skewed_nodes_clock() {
    let s = scenario(vec![(
        95,
        FaultAction::Skew {
            node: NodeId(3),
            offset_ns: -(5 * MS as i64),
        },
    )]);
    let (sim, _) = run(&s);
    // Node 4's ticks fire every 10 ms of true time; after the skew it reads
    // them 5 ms early.
    let seen = &sim.node(NodeId(3)).seen;
    assert!(seen.contains(&SimTime(90 * MS)));
    assert!(
        seen.contains(&SimTime(95 * MS)),
        "the 100 ms tick reads 95 ms"
    );
    assert!(!seen.contains(&SimTime(100 * MS)));
    assert!(sim.node(NodeId(0)).seen.contains(&SimTime(100 * MS)));
}

#[test]
fn a_loss_window_drops_for_loss_only_inside_it() {
    let s = scenario(vec![(
        200,
        FaultAction::Loss {
            probability: 0.5,
            until: SimTime(400 * MS),
        },
    )]);
    let (_, lines) = run(&s);
    let losses: Vec<f64> = kind(&lines, "drop")
        .filter(|e| e["why"] == "loss")
        .map(t_ms)
        .collect();
    assert!(
        losses.len() > 100,
        "about half of ~240 messages: {}",
        losses.len()
    );
    assert!(losses.iter().all(|&t| (200.0..400.0).contains(&t)));
}

#[test]
fn a_spare_hears_nothing_before_it_joins_and_a_leaver_nothing_after() {
    let s = scenario(vec![
        (100, FaultAction::Join(NodeId(4))),
        (500, FaultAction::Leave(NodeId(0))),
    ]);
    let (sim, lines) = run(&s);
    assert_eq!(sim.status(NodeId(4)), Status::Up);
    assert_eq!(sim.status(NodeId(0)), Status::Left);
    assert!(
        sim.node(NodeId(4)).seen.first() == Some(&SimTime(100 * MS)),
        "started at the join"
    );
    assert!(delivers_to(&lines, "n1").all(|e| t_ms(e) <= 500.0));
    assert!(
        kind(&lines, "drop")
            .filter(|e| e["to"] == "n1")
            .all(|e| e["why"] == "crashed" && t_ms(e) > 500.0)
    );
}

#[test]
fn a_split_draws_its_sides_from_the_fault_stream() {
    let s = scenario(vec![(100, FaultAction::SplitMajority)]);
    let (_, a) = run(&s);
    let (_, b) = run(&s);
    let sides = |lines: &[Value]| kind(lines, "partition").next().unwrap()["groups"].clone();
    assert_eq!(sides(&a), sides(&b));
    let groups = sides(&a);
    assert_eq!(groups[0].as_array().unwrap().len(), 3, "majority of 4 is 3");
    assert_eq!(groups[1].as_array().unwrap().len(), 1);
}
