//! Gossip membership and failure detection, run through the event loop:
//! each test runs a scenario from `scenarios/membership/` and checks the
//! figures the design promises, judged against the simulator's own record
//! of who crashed, joined and left.

use dynsim::run::{self, MembershipOutput, RunOutput};
use dynsim::scenario::{self, Scenario};
use dynsim::time::SimTime;
use dynsim::trace::Tracer;
use std::path::Path;

fn run_file(file: &str, sets: &[&str]) -> (Scenario, RunOutput) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let s = scenario::load(&path, &sets).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let out = run::run(&s, Tracer::off()).unwrap();
    (s, out)
}

fn membership(out: &RunOutput) -> &MembershipOutput {
    out.membership.as_ref().expect("gossip is on")
}

#[test]
fn a_crashed_node_is_declared_down_by_every_live_node_within_suspect_after_and_a_few_rounds() {
    let (s, out) = run_file("membership/crash-detected.toml", &[]);
    let m = &membership(&out).figures;
    let live = s.cluster.nodes as usize - 1;
    assert_eq!(m.undetected, 0, "{m:?}");
    assert_eq!(m.detection_ms.len(), live, "one figure per live node");
    let suspect_after = s.gossip.suspect_after.as_millis_f64();
    let round = s.gossip.interval.as_millis_f64();
    let slowest = m.detection_ms.iter().copied().fold(0.0, f64::max);
    let fastest = m.detection_ms.iter().copied().fold(f64::MAX, f64::min);
    eprintln!("detection: {fastest:.0}..{slowest:.0} ms (suspect_after {suspect_after} ms)");
    assert!(
        fastest >= suspect_after,
        "no one declares down before suspecting"
    );
    assert!(
        slowest <= suspect_after + 4.0 * round,
        "slowest detection {slowest} ms"
    );
    assert_eq!(m.false_positives, 0);
    // Sampled views: right before the crash, every live node's view is
    // wrong just after it, and right again once it is declared down.
    let views = &membership(&out).views_differ;
    let at = |secs: u64| {
        views
            .iter()
            .find(|&&(t, _)| t == SimTime::from_secs(secs))
            .map(|&(_, n)| n)
    };
    assert_eq!(at(9), Some(0));
    assert_eq!(at(10), Some(live as u64), "{views:?}");
    assert_eq!(views.last().map(|&(_, n)| n), Some(0), "{views:?}");
}

#[test]
fn one_node_alone_cannot_declare_a_peer_down() {
    // With a single reporter needed, the same crash is declared sooner.
    let (_, two) = run_file("membership/crash-detected.toml", &[]);
    let (_, one) = run_file("membership/crash-detected.toml", &["gossip.reporters=1"]);
    let mean = |o: &RunOutput| {
        let d = &membership(o).figures.detection_ms;
        d.iter().sum::<f64>() / d.len() as f64
    };
    assert!(mean(&one) < mean(&two), "{} vs {}", mean(&one), mean(&two));
}

#[test]
fn a_two_way_cut_between_two_nodes_alone_declares_no_one_down() {
    let (_, out) = run_file("membership/two-way-cut.toml", &[]);
    let m = membership(&out);
    assert_eq!(m.figures.false_positives, 0, "{:?}", m.figures);
    // The same cut with a detector that needs no second opinion and a
    // hair trigger does call a live node dead: the figure can move.
    let (_, out) = run_file(
        "membership/two-way-cut.toml",
        &["gossip.reporters=1", "gossip.suspect_after=1s"],
    );
    assert!(membership(&out).figures.false_positives > 0);
}

#[test]
fn a_spare_joining_through_a_seed_is_known_to_all_64_nodes_within_log_n_rounds() {
    let (s, out) = run_file("membership/join-64.toml", &[]);
    let m = membership(&out);
    let join_ms = m.figures.join_ms[0].expect("every node learned of the join");
    let rounds = join_ms / s.gossip.interval.as_millis_f64();
    let log2n = f64::from(s.cluster.nodes).log2();
    eprintln!(
        "join known to all 64 after {join_ms:.0} ms = {rounds:.1} rounds (log2 n = {log2n:.1})"
    );
    assert!(rounds <= 3.0 * log2n, "{rounds} rounds");
    assert!(
        out.nodes.transfers > 0,
        "the newcomer's keys were handed to it"
    );
}

#[test]
fn a_graceful_leave_spreads_and_hands_its_keys_over() {
    let (_, out) = run_file("membership/leave.toml", &[]);
    let m = membership(&out);
    let leave_ms = m.figures.leave_ms[0].expect("every node saw the leave");
    eprintln!(
        "leave known to all after {leave_ms:.0} ms; {} keys handed over",
        out.nodes.transfers
    );
    assert!(out.nodes.transfers > 0);
    assert_eq!(m.figures.false_positives, 0);
}

#[test]
fn gossip_off_keeps_the_static_membership_of_the_node_issue() {
    let (_, out) = run_file("membership/crash-detected.toml", &["gossip.enabled=false"]);
    assert!(out.membership.is_none());
    assert_eq!(out.nodes.transfers, 0);
}

#[test]
fn a_leave_cut_short_by_a_crash_finishes_after_the_restart() {
    use dynsim::scenario::{Fault, FaultAction};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/membership/leave.toml");
    let mut s = scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let n3 = dynsim::id::NodeId(2);
    // The leave's linger (two rounds) is cut short by the crash.
    s.faults.push(Fault {
        at: SimTime::from_millis(10_100),
        action: FaultAction::Crash(n3),
    });
    s.faults.push(Fault {
        at: SimTime::from_millis(15_000),
        action: FaultAction::Restart {
            node: n3,
            wipe_disk: false,
        },
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trace.jsonl");
    let sink = std::fs::File::create(&file).unwrap();
    let out = run::run(&s, Tracer::jsonl(Box::new(sink))).unwrap();
    let trace = std::fs::read_to_string(&file).unwrap();
    let left: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains(r#""kind":"left""#))
        .collect();
    assert_eq!(left.len(), 1, "n3 stops once, after its restart");
    let t: u64 = serde_json::from_str::<serde_json::Value>(left[0]).unwrap()["t"]
        .as_u64()
        .unwrap();
    assert!(
        t > 15_000 * SimTime::MS,
        "left at {t} ns, after the restart"
    );
    assert_eq!(out.membership.as_ref().unwrap().figures.false_positives, 0);
}

#[test]
fn a_leave_over_a_lossy_network_hands_every_key_over_before_the_node_stops() {
    use dynsim::check::consistency::{Rule, lost_acked_writes};
    // One replica a key, so what n3 holds is the only copy, and no
    // anti-entropy: a transfer lost for good is a key lost for good. A
    // fifth of all messages are lost, transfers and acknowledgements too.
    // A transfer is sent again every request timeout (here 100 ms) while
    // n3 lingers (two gossip rounds, 2 s): twenty tries a key.
    let (s, out) = run_file(
        "membership/leave.toml",
        &[
            "replication.n=1",
            "replication.r=1",
            "replication.w=1",
            "network.loss=0.2",
            "replication.request_timeout=100ms",
            "anti_entropy.enabled=false",
        ],
    );
    eprintln!(
        "{} keys handed over, {} transfers sent again, {} dropped by n3 once acknowledged",
        out.nodes.transfers, out.nodes.transfer_retries, out.nodes.transfers_dropped
    );
    assert!(
        out.nodes.transfer_retries > 0,
        "some transfer went unanswered"
    );
    assert_eq!(
        out.nodes.transfers_dropped, out.nodes.transfers,
        "every key n3 handed over was acknowledged before it stopped"
    );
    let rule = Rule::for_versioning(s.replication.versioning);
    let lost = lost_acked_writes(&out.history, &out.final_values, rule).count;
    assert_eq!(lost, 0, "an acknowledged write left with n3");
}

#[test]
fn partition_aware_clients_download_a_fresh_view_and_stop_sending_to_a_node_that_left() {
    // n3 leaves at 10 s. A client routing on its first ring would keep
    // choosing n3 for n3's keys (each try a timeout, then a probe after
    // every suspicion lapses); a reply forwarded by another node tells the
    // client its view is stale, and it downloads the replier's.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/membership/leave.toml");
    let s = scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trace.jsonl");
    let sink = std::fs::File::create(&file).unwrap();
    run::run(&s, Tracer::jsonl(Box::new(sink))).unwrap();
    let trace = std::fs::read_to_string(&file).unwrap();
    let sends = trace
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["kind"] == "send");
    let (mut pulls, mut to_n3_late) = (0, 0);
    for r in sends {
        let t = r["t"].as_u64().unwrap();
        match r["msg"].as_str().unwrap() {
            "ViewPull" => pulls += 1,
            "Request" if r["to"] == "n3" && t > 15 * SimTime::S => to_n3_late += 1,
            _ => {}
        }
    }
    assert!(pulls > 0, "some client found its view stale");
    assert_eq!(to_n3_late, 0, "requests went to n3 long after it left");
}
