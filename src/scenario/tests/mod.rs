//! Tests of the scenario front end: one per class of error, each asserting
//! where the error points (dotted path, line, column) and that the message
//! says what to do.

use super::*;

mod events;
mod sections;
use crate::id::NodeId;
use crate::time::SimTime;

pub(super) fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    parse_str("test.toml", text, Format::Toml, &[])
}

pub(super) fn parse_with(text: &str, sets: &[&str]) -> Result<Scenario, ScenarioError> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    parse_str("test.toml", text, Format::Toml, &sets)
}

pub(super) fn err(text: &str) -> ScenarioError {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

/// Asserts the error's path, position and that the message contains `words`.
#[track_caller]
pub(super) fn check(e: &ScenarioError, path: &str, line: usize, column: usize, words: &str) {
    let shown = format!("{e}");
    assert_eq!(e.path(), path, "{shown}");
    assert_eq!((e.line(), e.column()), (line, column), "{shown}");
    assert!(shown.contains(words), "`{shown}` should contain `{words}`");
}

#[test]
fn the_full_example_parses() {
    let s = load(Path::new("scenarios/examples/full.toml"), &[]).unwrap();
    assert_eq!(s.name, "full-example");
    assert_eq!(
        s.cluster.regions,
        vec![("us-east".into(), 4), ("eu-west".into(), 4)]
    );
    assert_eq!(s.cluster.seeds, vec![NodeId(0), NodeId(4)]);
    assert_eq!(s.workload.as_ref().unwrap().keys, 10_000);
    assert_eq!(s.named_clients, vec!["alice", "bob"]);
    assert_eq!(s.ops.len(), 3);
    assert_eq!(s.faults.len(), 16);
    assert!(s.faults.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(matches!(
        s.faults.last().unwrap().action,
        FaultAction::Leave(NodeId(7))
    ));
    assert!(s.faults.iter().any(|f| f.action
        == FaultAction::Skew {
            node: NodeId(1),
            offset_ns: -500_000_000
        }));
    assert_eq!(s.nemesis.as_ref().unwrap().heal_by, SimTime::from_secs(100));
    assert_eq!(s.expect.put_p99, Some(SimTime::from_millis(80)));
    assert_eq!(s.expect.get_availability, Some(0.99));
    assert_eq!(s.metrics.sample_interval, SimTime::from_millis(500));
}

#[test]
fn the_json_twin_decodes_to_the_same_scenario() {
    let toml = load(Path::new("scenarios/examples/full.toml"), &[]).unwrap();
    let json = load(Path::new("scenarios/examples/full.json"), &[]).unwrap();
    assert_eq!(toml, json);
}

#[test]
fn a_minimal_file_takes_every_default() {
    let s = parse("name = \"tiny\"").unwrap();
    assert_eq!(s, Scenario::with_defaults("tiny"));
    let s = parse("name = \"w\"\n[workload]\n[nemesis]\n").unwrap();
    assert_eq!(s.workload, Some(Workload::default()));
    // heal_by defaults to the end of the workload phase.
    assert_eq!(s.nemesis.unwrap().heal_by, defaults::DURATION);
}

/// `gossip.suspect_after` left out: 5 s up to 64 nodes, longer past
/// them (a heartbeat's spread grows with log2 of the size), whether the
/// `[gossip]` table is absent or present without the field; a file's own
/// value always wins.
#[test]
fn suspect_after_defaults_grow_with_the_cluster_past_64_nodes() {
    let after = |text: &str, sets: &[&str]| parse_with(text, sets).unwrap().gossip.suspect_after;
    let bare = "name = \"g\"";
    let table = "name = \"g\"\n[gossip]\nfanout = 1\n";
    for text in [bare, table] {
        assert_eq!(after(text, &[]), SimTime::from_secs(5));
        assert_eq!(after(text, &["cluster.nodes=64"]), SimTime::from_secs(5));
        // The initial ring counts, not the spares that may join it.
        assert_eq!(
            after(text, &["cluster.nodes=64", "cluster.spares=5"]),
            SimTime::from_secs(5)
        );
        assert_eq!(after(text, &["cluster.nodes=65"]), SimTime::from_secs(6));
        assert_eq!(after(text, &["cluster.nodes=128"]), SimTime::from_secs(6));
        assert_eq!(after(text, &["cluster.nodes=1024"]), SimTime::from_secs(9));
        assert_eq!(
            after(text, &["cluster.nodes=1024", "gossip.interval=2s"]),
            SimTime::from_secs(18)
        );
        // Never below the fixed 5 s, whatever the interval.
        assert_eq!(
            after(text, &["cluster.nodes=1024", "gossip.interval=100ms"]),
            SimTime::from_secs(5)
        );
        assert_eq!(
            after(text, &["cluster.nodes=1024", "gossip.suspect_after=5s"]),
            SimTime::from_secs(5)
        );
    }
}

#[test]
fn the_protocol_defaults_to_swim_past_64_nodes() {
    let protocol = |text: &str, sets: &[&str]| parse_with(text, sets).unwrap().gossip.protocol;
    let bare = "name = \"g\"";
    let table = "name = \"g\"\n[gossip]\nfanout = 1\n";
    for text in [bare, table] {
        assert_eq!(protocol(text, &[]), GossipProtocol::Heartbeats);
        assert_eq!(
            protocol(text, &["cluster.nodes=64", "cluster.spares=5"]),
            GossipProtocol::Heartbeats
        );
        assert_eq!(protocol(text, &["cluster.nodes=65"]), GossipProtocol::Swim);
        assert_eq!(
            protocol(text, &["cluster.nodes=1024", "gossip.protocol=heartbeats"]),
            GossipProtocol::Heartbeats
        );
        assert_eq!(
            protocol(text, &["gossip.protocol=swim"]),
            GossipProtocol::Swim
        );
    }
}

#[test]
fn syntax_errors_have_positions() {
    let e = err("name = \"x\"\n[cluster\nnodes = 3\n");
    assert_eq!(e.path(), "");
    assert_eq!(e.line(), 2);
    assert!(e.to_string().contains("TOML syntax error"), "{e}");

    let e = parse_str(
        "t.json",
        "{\n  \"name\": \"x\",\n  \"seed\": 1,,\n}",
        Format::Json,
        &[],
    )
    .unwrap_err();
    assert_eq!((e.line(), e.column()), (3, 13), "{e}");
    assert!(
        e.to_string().starts_with("t.json:3:13: JSON syntax error"),
        "{e}"
    );
}

#[test]
fn unknown_keys_suggest_the_nearest() {
    let e = err("name = \"x\"\n[replicaton]\nn = 3\n");
    check(
        &e,
        "replicaton",
        2,
        2,
        "unknown key `replicaton` at the top level",
    );
    assert_eq!(e.help(), Some("did you mean `replication`?"));

    let e = err("name = \"x\"\n[replication]\nsloppy = true\n");
    check(
        &e,
        "replication.sloppy",
        3,
        1,
        "unknown key `sloppy` in `replication`",
    );

    let e = err("name = \"x\"\n[gossip]\nzzz = 1\n");
    assert!(
        e.help().unwrap().contains("`fanout`"),
        "lists the allowed keys: {e}"
    );

    let e = err("name = \"x\"\n[[op]]\nat = \"1s\"\nclient = \"a\"\nget = \"k\"\nvalu = \"v\"\n");
    check(&e, "op[0].valu", 6, 1, "unknown key");
    assert_eq!(e.help(), Some("did you mean `value`?"));
}

#[test]
fn wrong_types() {
    check(
        &err("name = \"x\"\n[cluster]\nnodes = \"eight\"\n"),
        "cluster.nodes",
        3,
        9,
        "expected an integer, found the string \"eight\"",
    );
    check(
        &err("name = \"x\"\n[replication]\nsloppy_quorum = 1\n"),
        "replication.sloppy_quorum",
        3,
        17,
        "expected true or false",
    );
    check(&err("name = 5"), "name", 1, 8, "expected a string");
    check(
        &err("name = \"x\"\ncluster = 3"),
        "cluster",
        2,
        11,
        "expected a table",
    );
    check(
        &err("name = \"x\"\nseed = 1979-05-27"),
        "seed",
        2,
        8,
        "found a date-time",
    );
}

#[test]
fn names_must_be_slugs() {
    check(&err("name = \"\""), "name", 1, 8, "not a valid name");
    check(
        &err("name = \"Has Spaces\""),
        "name",
        1,
        8,
        "lowercase letters, digits and `-`",
    );
    check(&err("seed = 1"), "name", 1, 1, "missing `name`");
}

#[test]
fn durations_and_rates_say_what_to_write() {
    let e = err("name = \"x\"\n[replication]\nrequest_timeout = \"500\"\n");
    check(
        &e,
        "replication.request_timeout",
        3,
        19,
        "write \"500ms\" or \"500s\"",
    );
    let e = err("name = \"x\"\n[replication]\nrequest_timeout = 500\n");
    check(
        &e,
        "replication.request_timeout",
        3,
        19,
        "500 has no unit: write \"500ms\"",
    );
    let e = err("name = \"x\"\n[workload]\nrate = \"2000\"\n");
    check(&e, "workload.rate", 3, 8, "like \"2000/s\"");
    let e = err("name = \"x\"\n[workload]\nrate = 2000\n");
    check(&e, "workload.rate", 3, 8, "like \"2000/s\"");
    let e = err("name = \"x\"\n[workload]\nrate = \"0/s\"\n");
    check(&e, "workload.rate", 3, 8, "rate above zero");
    assert!(parse("name = \"x\"\n[workload]\nmode = \"closed\"\nrate = \"0/s\"").is_ok());
}

#[test]
fn overrides() {
    let base = "name = \"x\"\n";
    let s = parse_with(
        base,
        &["replication.r=1", "seed=9", "workload.rate=\"10/s\""],
    )
    .unwrap();
    assert_eq!(s.replication.r, 1);
    assert_eq!(s.seed, 9);
    assert_eq!(s.workload.unwrap().rate.per_second(), 10.0);
    // Overriding one parameter of a default distribution needs the table in
    // the file; alone, the override builds a table with no `dist`.
    let e = parse_with(base, &["network.latency.p50=3ms"]);
    assert!(e.is_err());

    let e = parse_with(base, &["replicaton.r=1"]).unwrap_err();
    assert_eq!(e.file(), "--set replicaton.r=1");
    check(&e, "replicaton", 1, 7, "unknown key `replicaton`");
    assert_eq!(e.help(), Some("did you mean `replication`?"));

    let e = parse_with(base, &["seed=1", "replication.r=5"]).unwrap_err();
    assert_eq!(e.file(), "--set replication.r=5");
    check(&e, "replication.r", 1, 21, "r = 5 is more than n = 3");
    assert!(
        e.render(false).contains("--set replication.r=5\n"),
        "{}",
        e.render(false)
    );

    let e = parse_with(base, &["name.x=1"]).unwrap_err();
    check(&e, "name", 1, 12, "not a table");
    let e = parse_with(base, &["seed"]).unwrap_err();
    assert!(e.to_string().contains("path=value"), "{e}");
    let e = parse_with(base, &["network.latency={ dist = \"constant\""]).unwrap_err();
    check(&e, "network.latency", 1, 42, "TOML syntax error");
    let e = parse_with(base, &["seed="]).unwrap_err();
    assert!(e.to_string().contains("missing"), "{e}");
    let e = parse_with(base, &["cluster..nodes=1"]).unwrap_err();
    check(&e, "cluster..nodes", 1, 15, "empty segment");
}

#[test]
fn overrides_reach_into_lists() {
    let base = "name = \"x\"\n[[op]]\nat = \"1s\"\nclient = \"a\"\nput = \"cart\"\nvalue = \"milk\"\n\
                [[op]]\nat = \"2s\"\nclient = \"b\"\nget = \"cart\"\n\
                [[fault]]\nat = \"3s\"\ncrash = \"n2\"\n";
    let s = parse_with(base, &["fault[0].at=1500ms", "op[0].value=tea"]).unwrap();
    assert_eq!(s.faults[0].at, SimTime::from_millis(1500));
    assert!(matches!(&s.ops[0].kind, ScriptedKind::Put { value, .. } if value == "tea"));
    // A whole entry can be replaced too.
    let s = parse_with(base, &["fault[0]={ at = \"4s\", isolate = \"n3\" }"]).unwrap();
    assert_eq!(s.faults[0].action, FaultAction::Isolate(NodeId(2)));

    let e = parse_with(base, &["op[2].value=tea"]).unwrap_err();
    check(
        &e,
        "op",
        1,
        7,
        "`op[2]` is out of range: the file has 2, `op[0]` to `op[1]`",
    );
    let e = parse_with(base, &["fault[1].at=1s"]).unwrap_err();
    check(&e, "fault", 1, 7, "the file has one, `fault[0]`");
    let e = parse_with("name = \"x\"\n", &["fault[0].at=1s"]).unwrap_err();
    check(&e, "fault", 1, 7, "`fault` has no entries");
    let e = parse_with(base, &["name[0]=y"]).unwrap_err();
    check(&e, "name", 1, 7, "not a list");
    let e = parse_with(base, &["fault[x].at=1s"]).unwrap_err();
    check(&e, "fault[x].at", 1, 7, "not a key or a list entry");
    // The value is checked like the file's: a fault after the run's end.
    let e = parse_with(base, &["fault[0].at=2h"]).unwrap_err();
    check(&e, "fault[0].at", 1, 19, "outside the run");
}

#[test]
fn rendering_shows_the_line_and_a_caret() {
    let e = err("name = \"x\"\n[replication]\nn = 3\nr = 5\n");
    assert_eq!(
        e.to_string(),
        "test.toml:4:5: field `replication.r`: r = 5 is more than n = 3: a read cannot wait for more replies than there are replicas"
    );
    let text = e.render(false);
    assert!(text.contains("test.toml:4:5"), "{text}");
    assert!(text.contains("4 │ r = 5"), "{text}");
    assert!(text.contains("^"), "{text}");
    assert!(
        e.render(true).contains("\u{1b}["),
        "color uses ANSI escapes"
    );

    let e = load(Path::new("/nonexistent/x.toml"), &[]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/x.toml: cannot read /nonexistent/x.toml"),
        "{e}"
    );
    assert!(e.render(false).contains("cannot read"));
}
