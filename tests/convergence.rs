//! Convergence through the event loop: replicas that disagree after a
//! partition agree again once the heal lets hinted handoff and read repair
//! through, or Merkle anti-entropy alone, and stay apart with none of them.

use dynsim::check::{self, convergence::Convergence};
use dynsim::run::{self, RunOutput};
use dynsim::scenario::{self, Scenario};
use dynsim::time::SimTime;
use dynsim::trace::Tracer;
use std::path::Path;

const FILE: &str = "scenarios/dynamo/partition-sloppy-quorum.toml";
const NO_REPAIR: &str = "scenarios/anti-entropy/heal-without-repair.toml";

fn run_with(sets: &[&str]) -> (Scenario, RunOutput, Convergence) {
    run_file(FILE, sets)
}

fn run_file(file: &str, sets: &[&str]) -> (Scenario, RunOutput, Convergence) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let s = scenario::load(&path, &sets).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let out = run::run(&s, Tracer::off()).unwrap();
    let c = check::findings(&s, &out).convergence;
    (s, out, c)
}

fn converged_within_holds(s: &Scenario, out: &RunOutput) -> bool {
    check::evaluate(s, out)
        .into_iter()
        .find(|v| v.name == "converged_within")
        .expect("the file expects converged_within")
        .ok
}

/// Divergent keys at the samples in (from, to].
fn between(out: &RunOutput, from: u64, to: u64) -> Vec<u64> {
    let (from, to) = (SimTime::from_secs(from), SimTime::from_secs(to));
    out.divergence
        .iter()
        .filter(|&&(t, _)| t > from && t <= to)
        .map(|&(_, keys)| keys)
        .collect()
}

#[test]
fn hinted_handoff_and_read_repair_converge_after_the_heal() {
    // Anti-entropy off, so the convergence is theirs.
    let (s, out, c) = run_with(&["anti_entropy.enabled=false"]);
    assert_eq!(c.last_heal, SimTime::from_secs(15), "heal = \"all\" at 15s");
    // The cut at 5s splits each key's replicas; writes on both sides make
    // them disagree until the heal.
    assert!(
        between(&out, 8, 15).iter().all(|&keys| keys > 10),
        "{:?}",
        out.divergence
    );
    assert!(c.converged, "{:?}", out.divergence);
    let after = c.after_last_heal.unwrap();
    assert!(after <= SimTime::from_secs(6), "{after}");
    assert!(converged_within_holds(&s, &out));
    assert!(out.nodes.hints_delivered > 0 && out.nodes.read_repairs > 0);
}

#[test]
fn without_handoff_or_read_repair_only_merkle_anti_entropy_converges_the_replicas() {
    // Strict quorum, no hints, no read repair: after the heal only the
    // Merkle exchanges can bring the third replica of each key up to date.
    let (s, out, c) = run_file(NO_REPAIR, &[]);
    assert!(c.converged, "{:?}", out.divergence);
    assert!(converged_within_holds(&s, &out));
    assert_eq!(out.nodes.hints_stored + out.nodes.read_repairs, 0);
    assert!(
        out.nodes.ae_keys_sent > 0,
        "the keys came through anti-entropy"
    );
    eprintln!(
        "converged {} ms after the heal; {} exchanges, {} hashes and {} keys sent",
        c.after_last_heal.unwrap().as_millis_f64(),
        out.nodes.ae_exchanges,
        out.nodes.ae_hashes_sent,
        out.nodes.ae_keys_sent
    );

    // The same run with anti-entropy off: writes after the heal fix the
    // keys they touch, but nothing repairs the rest, and once the workload
    // stops at 20s the divergence stays put to the end.
    let (s, out, c) = run_file(NO_REPAIR, &["anti_entropy.enabled=false"]);
    let quiet = between(&out, 20, 55);
    assert!(
        quiet.iter().all(|&keys| keys > 0 && keys == quiet[0]),
        "{:?}",
        out.divergence
    );
    assert_eq!(
        c,
        Convergence {
            converged: false,
            last_heal: SimTime::from_secs(15),
            after_last_heal: None,
        }
    );
    assert!(!converged_within_holds(&s, &out));
}

#[test]
fn more_ranges_per_exchange_compare_more_each_round_and_converge_sooner() {
    let (_, one, c1) = run_file(NO_REPAIR, &[]);
    let (_, four, c4) = run_file(NO_REPAIR, &["anti_entropy.ranges_per_exchange=4"]);
    let (pass1, pass4) = (
        one.anti_entropy_full_pass.unwrap(),
        four.anti_entropy_full_pass.unwrap(),
    );
    assert!(
        pass4.0 * 4 >= pass1.0 && pass4.0 * 4 < pass1.0 + SimTime::from_secs(4).0,
        "{pass1} at one range an exchange, {pass4} at four"
    );
    assert!(
        four.nodes.ae_exchanges > 3 * one.nodes.ae_exchanges,
        "{} exchanges at four ranges an exchange, {} at one",
        four.nodes.ae_exchanges,
        one.nodes.ae_exchanges
    );
    let (after1, after4) = (c1.after_last_heal.unwrap(), c4.after_last_heal.unwrap());
    assert!(
        after4 < after1,
        "converged {after4} after the heal, {after1} at one"
    );
    eprintln!(
        "full pass {pass1} / {pass4}; converged {after1} / {after4} after the heal (one / four ranges an exchange)"
    );
    // Zero ranges an exchange would never compare anything: refused.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(NO_REPAIR);
    let err = scenario::load(&path, &["anti_entropy.ranges_per_exchange=0".to_string()])
        .unwrap_err()
        .render(false);
    assert!(err.contains("anti_entropy.ranges_per_exchange"), "{err}");
}

#[test]
fn a_run_that_does_not_converge_says_which_keys_differ() {
    // Anti-entropy off: the keys the partition split stay split, and the
    // run lists the first ten with each replica's values.
    let (_, out, c) = run_file(NO_REPAIR, &["anti_entropy.enabled=false"]);
    assert!(!c.converged);
    let shown = &out.divergent_at_end;
    assert_eq!(shown.len(), 10, "{shown:?}");
    assert!(shown.windows(2).all(|w| w[0].key < w[1].key));
    for d in shown {
        let replicas: Vec<_> = d.replicas.iter().map(|(_, v)| v).collect();
        assert!(
            replicas.windows(2).any(|w| w[0] != w[1]),
            "{d:?}: the replicas differ"
        );
    }
    assert!(out.anti_entropy_full_pass.is_none());
}
