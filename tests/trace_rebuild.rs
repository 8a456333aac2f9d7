//! Anyone can rebuild the final state from `trace.jsonl` alone: a node's
//! replica of a key is its last `stored` note without `for`, a hint its
//! last `stored` note with `for` (per owner); a `dropped` line ends a
//! replica handed over to its new owners, a `hint-delivered` line a hint
//! handed back, and a restart with `wipe_disk` everything on that node.
//! Node by node, that must be exactly what the node holds at the end, and
//! the union over nodes exactly the values the checkers judge
//! (`RunOutput::final_values`), on runs with joins, leaves, wiped disks
//! and sloppy quorums.

use dynsim::actor::Node;
use dynsim::run;
use dynsim::scenario::{self, Scenario};
use dynsim::time::SimTime;
use dynsim::trace::read::{self, Record};
use dynsim::trace::{SharedBuffer, Tracer};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn load(path: &str, sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    scenario::load(&path, &sets).unwrap_or_else(|e| panic!("{}", e.render(false)))
}

/// Per (node, key), every value the node holds at the end, replica and
/// hints, read from the trace.
fn rebuilt(records: &[Record]) -> BTreeMap<(String, String), BTreeSet<String>> {
    // (node, key, hint owner or "") -> values
    let mut held: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    for r in records {
        let node = r.str("node").unwrap_or_default().to_string();
        let key = r.str("key").unwrap_or_default().to_string();
        match r.kind.as_str() {
            "stored" => {
                let owner = r.str("for").unwrap_or_default().to_string();
                let values = r.strs("values").iter().map(|v| v.to_string()).collect();
                held.insert((node, key, owner), values);
            }
            "dropped" => {
                held.remove(&(node, key, String::new()));
            }
            "hint-delivered" => {
                let owner = r.str("owner").unwrap_or_default().to_string();
                held.remove(&(node, key, owner));
            }
            "restart" if r.bool("wipe_disk") == Some(true) => {
                held.retain(|(n, _, _), _| *n != node);
            }
            _ => {}
        }
    }
    let mut by_node: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for ((node, key, _), values) in held {
        if !values.is_empty() {
            by_node.entry((node, key)).or_default().extend(values);
        }
    }
    by_node
}

fn union(
    by_node: &BTreeMap<(String, String), BTreeSet<String>>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut by_key: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for ((_, key), values) in by_node {
        by_key
            .entry(key.clone())
            .or_default()
            .extend(values.iter().cloned());
    }
    by_key
}

fn check(path: &str, sets: &[&str]) {
    let s = load(path, sets);
    let buffer = SharedBuffer::default();
    let mut world = run::build(&s, Tracer::jsonl(Box::new(buffer.clone())));
    let observed = run::drive(&s, &mut world, SimTime::MAX, |_| {});
    world.finish_trace().unwrap();
    let records = read::parse(&buffer.text()).unwrap();
    let out = run::output(&s, &mut world, observed);
    let name = |v| out.names.value(v).into_owned();
    let mut held: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for node in world.nodes() {
        for (key, values) in node.store().values_held() {
            if !values.is_empty() {
                held.entry((node.id().to_string(), out.names.key(key).into_owned()))
                    .or_default()
                    .extend(values.into_iter().map(name));
            }
        }
    }
    let from_trace = rebuilt(&records);
    assert_eq!(
        from_trace, held,
        "{path} {sets:?}: the trace's stores differ from the nodes'"
    );
    let truth: BTreeMap<String, BTreeSet<String>> = out
        .final_values
        .iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(k, values)| {
            let values = values.iter().map(|&v| name(v));
            (out.names.key(*k).into_owned(), values.collect())
        })
        .collect();
    assert_eq!(
        union(&from_trace),
        truth,
        "{path} {sets:?}: the checkers' final state"
    );
    assert!(!truth.is_empty(), "{path}: something was stored");
    let dropped = records.iter().filter(|r| r.kind == "dropped").count();
    eprintln!("{path} {sets:?}: {} keys, {dropped} dropped", truth.len());
}

#[test]
fn a_leave_rebuilds_from_the_trace() {
    check("scenarios/membership/leave.toml", &[]);
    check("scenarios/failures/leave-dot-reuse.toml", &[]);
}

#[test]
fn joins_rebuild_from_the_trace() {
    check(
        "scenarios/dynamo/generic-balancer-join.toml",
        &["replication.versioning=dvv"],
    );
}

#[test]
fn wiped_disks_and_sloppy_quorums_rebuild_from_the_trace() {
    check("scenarios/failures/disk-wiping-restart.toml", &[]);
    check("scenarios/dynamo/partition-sloppy-quorum.toml", &[]);
}
