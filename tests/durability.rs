//! The durability checker on runs: a write acknowledged by W=2 of N=3
//! replicas outlives one wiped disk (W-1), and is lost, and explained as
//! an expected loss, when every replica's disk is wiped after it.

use dynsim::check;
use dynsim::report::Summary;
use dynsim::run;
use dynsim::scenario::{self, Format, Scenario};
use dynsim::trace::Tracer;

/// One put at 100 ms, then each listed node crashed and restarted with a
/// wiped disk in turn, a second apart; anti-entropy off, so nothing copies
/// the write back from a replica that still has it.
fn run_with_wipes(wiped: &[&str]) -> (Scenario, run::RunOutput) {
    let mut text = String::from(
        "name = \"wipes\"\nduration = \"10s\"\nquiesce = \"1s\"\n\
         [cluster]\nnodes = 3\n[replication]\nn = 3\nr = 2\nw = 2\n\
         [anti_entropy]\nenabled = false\n\
         [network]\nlatency = { dist = \"constant\", value = \"1ms\" }\n\
         [[op]]\nat = \"100ms\"\nclient = \"alice\"\nput = \"cart\"\nvalue = \"milk\"\n\
         [expect]\ndurability_violations = 0\n",
    );
    for (i, node) in wiped.iter().enumerate() {
        let crash = 1 + 2 * i;
        text.push_str(&format!(
            "[[fault]]\nat = \"{crash}s\"\ncrash = \"{node}\"\n\
             [[fault]]\nat = \"{}s\"\nrestart = \"{node}\"\nwipe_disk = true\n",
            crash + 1
        ));
    }
    let s = scenario::parse_str("wipes.toml", &text, Format::Toml, &[])
        .unwrap_or_else(|e| panic!("{}", e.render(false)));
    let out = run::run(&s, Tracer::off()).unwrap();
    (s, out)
}

#[test]
fn one_wiped_disk_loses_nothing() {
    let (s, out) = run_with_wipes(&["n1"]);
    let found = check::findings(&s, &out);
    assert_eq!(found.durability.wiping_restarts, 1);
    assert_eq!(found.lost_write_count(), Some(0));
    assert_eq!(found.durability_violations(), Some(0));
    assert!(check::judge(&s, &out, &found).iter().all(|v| v.ok));
}

#[test]
fn every_replica_wiped_is_an_expected_loss() {
    let (s, out) = run_with_wipes(&["n1", "n2", "n3"]);
    let found = check::findings(&s, &out);
    assert_eq!(found.lost_write_count(), Some(1));
    assert_eq!(found.durability.lost_after_disk_loss, 1);
    assert_eq!(found.durability_violations(), Some(0));
    let verdicts = check::judge(&s, &out, &found);
    let summary = Summary::new(&s, &out, &found, verdicts, 0);
    let example = &summary.durability.examples[0];
    assert_eq!(example.value, "milk");
    assert!(
        example.why.contains("by W=2") && example.why.contains("n1 at 2s, n2 at 4s, n3 at 6s"),
        "{}",
        example.why
    );
    assert!(example.why.contains("expected loss"), "{}", example.why);
}
