//! Riak's KV679 scenarios, ported (`scenarios/failures/kv679-*.toml`):
//! each holds every expectation with key epochs (Riak's fix, the default)
//! and loses an acknowledged write without them.

use dynsim::check;
use dynsim::run;
use dynsim::scenario;
use dynsim::trace::Tracer;
use std::path::Path;

fn failed(path: &str, sets: &[&str]) -> Vec<String> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let s = scenario::load(&path, &sets).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let out = run::run(&s, Tracer::off()).unwrap();
    check::evaluate(&s, &out)
        .into_iter()
        .filter(|v| !v.ok)
        .map(|v| v.name)
        .collect()
}

#[test]
fn each_kv679_scenario_holds_with_key_epochs_and_loses_a_write_without() {
    for file in [
        "scenarios/failures/kv679-dataloss.toml",
        "scenarios/failures/kv679-dataloss-fb.toml",
        "scenarios/failures/kv679-tombstone.toml",
    ] {
        assert_eq!(failed(file, &[]), Vec::<String>::new(), "{file}");
        let without = failed(file, &["replication.key_epochs=false"]);
        assert!(
            without.iter().any(|name| name == "lost_acked_writes"),
            "{file} without key epochs: {without:?}"
        );
    }
}
