//! Range, distribution and node-name checks: each error asserted by
//! dotted path, line and column.

use super::{check, err, parse};
use crate::id::NodeId;
use crate::scenario::*;
use crate::time::SimTime;

#[test]
fn out_of_range_values() {
    let cases: &[(&str, &str, usize, usize, &str)] = &[
        (
            "[replication]\nn = 3\nr = 5",
            "replication.r",
            4,
            5,
            "r = 5 is more than n = 3",
        ),
        (
            "[replication]\nw = 4",
            "replication.w",
            3,
            5,
            "w = 4 is more than n = 3",
        ),
        ("[replication]\nr = 0", "replication.r", 3, 5, "at least 1"),
        ("[replication]\nw = 0", "replication.w", 3, 5, "at least 1"),
        ("[replication]\nn = 0", "replication.n", 3, 5, "at least 1"),
        (
            "[cluster]\nnodes = 2\n[replication]\nn = 3",
            "replication.n",
            5,
            5,
            "the cluster has 2",
        ),
        (
            "[network]\nloss = 1.5",
            "network.loss",
            3,
            8,
            "outside [0, 1]",
        ),
        (
            "[network]\nduplicate = -0.1",
            "network.duplicate",
            3,
            13,
            "outside [0, 1]",
        ),
        (
            "[workload]\nread_modify_write = 2",
            "workload.read_modify_write",
            3,
            21,
            "outside [0, 1]",
        ),
        (
            "[cluster]\nnodes = 1_000_000_000",
            "cluster.nodes",
            3,
            9,
            "at most 4096",
        ),
        ("[cluster]\nnodes = 0", "cluster.nodes", 3, 9, "at least 1"),
        (
            "[cluster]\nvnodes = 0",
            "cluster.vnodes",
            3,
            10,
            "at least 1",
        ),
        (
            "[cluster]\nvnodes = 5000",
            "cluster.vnodes",
            3,
            10,
            "at most 4096",
        ),
        (
            "[cluster]\nstrategy = \"q-over-s\"\npartitions = 4",
            "cluster.partitions",
            4,
            14,
            "at least nodes (8)",
        ),
        (
            "[cluster]\nnodes = 4096\nvnodes = 1024\n[replication]\nn = 10",
            "cluster.vnodes",
            4,
            10,
            "preference-list entries",
        ),
        (
            "[cluster]\npartitions = 0",
            "cluster.partitions",
            3,
            14,
            "at least 1",
        ),
        (
            "[workload]\nclients = 100001",
            "workload.clients",
            3,
            11,
            "at most 100000",
        ),
        ("[workload]\nkeys = 0", "workload.keys", 3, 8, "at least 1"),
        (
            "[workload]\nkeys = 100_000_001",
            "workload.keys",
            3,
            8,
            "at most",
        ),
        (
            "[cluster]\nregions = { a = 3, b = 3 }",
            "cluster.regions",
            3,
            11,
            "add up to 6, but the cluster has 8",
        ),
        ("[cluster]\nracks = 0", "cluster.racks", 3, 9, "at least 1"),
        ("[gossip]\nfanout = 0", "gossip.fanout", 3, 10, "at least 1"),
        (
            "[gossip]\nfanout = 8",
            "gossip.fanout",
            3,
            10,
            "below the number of nodes",
        ),
        (
            "[gossip]\nreporters = 0",
            "gossip.reporters",
            3,
            13,
            "at least 1",
        ),
        (
            "[anti_entropy]\ntree_depth = 0",
            "anti_entropy.tree_depth",
            3,
            14,
            "at least 1",
        ),
        (
            "[anti_entropy]\ntree_depth = 21",
            "anti_entropy.tree_depth",
            3,
            14,
            "at most 20",
        ),
        (
            "[replication]\nclock_truncation = -1",
            "replication.clock_truncation",
            3,
            20,
            "at least 0",
        ),
        (
            "[workload]\nmix = { get = -1, put = 1 }",
            "workload.mix.get",
            3,
            15,
            "negative",
        ),
        (
            "[workload]\nmix = { get = 0, put = 0 }",
            "workload.mix",
            3,
            7,
            "all 0",
        ),
        ("duration = \"0s\"", "duration", 2, 12, "longer than zero"),
        ("seed = -3", "seed", 2, 8, "negative"),
    ];
    for (body, path, line, column, words) in cases {
        let e = err(&format!("name = \"x\"\n{body}\n"));
        check(&e, path, *line, *column, words);
    }
    // Zero is a valid clock truncation: never truncate.
    assert!(parse("name = \"x\"\n[replication]\nclock_truncation = 0").is_ok());
}

#[test]
fn the_sample_interval() {
    let cases: &[(&str, &str, usize, usize, &str)] = &[
        (
            "[metrics]\nsample_interval = \"0s\"",
            "metrics.sample_interval",
            3,
            19,
            "longer than zero",
        ),
        (
            "[metrics]\nsample_interval = 100",
            "metrics.sample_interval",
            3,
            19,
            "100 has no unit",
        ),
        (
            "[metrics]\nsample_interval = \"1 fortnight\"",
            "metrics.sample_interval",
            3,
            19,
            "unit",
        ),
        (
            "[metrics]\nsample_every = \"1s\"",
            "metrics.sample_every",
            3,
            1,
            "unknown key `sample_every`",
        ),
        (
            "[metrics]\nsample_interval = \"1us\"",
            "metrics.sample_interval",
            3,
            19,
            "more than 1000000",
        ),
        // No [metrics]: the default interval, blamed on the run's length.
        (
            "duration = \"20000min\"",
            "duration",
            2,
            12,
            "use a longer sample_interval",
        ),
    ];
    for (body, path, line, column, words) in cases {
        let e = err(&format!("name = \"x\"\n{body}\n"));
        check(&e, path, *line, *column, words);
    }
    let s = parse("name = \"x\"\n[metrics]\nsample_interval = \"250ms\"").unwrap();
    assert_eq!(s.metrics.sample_interval, SimTime::from_millis(250));
    let s = parse("name = \"x\"").unwrap();
    assert_eq!(s.metrics.sample_interval, SimTime::from_secs(1));
}

#[test]
fn distributions() {
    let net = |latency: &str| err(&format!("name = \"x\"\n[network]\nlatency = {latency}\n"));
    check(
        &net("{ dist = \"lognormel\", p50 = \"2ms\", p99 = \"9ms\" }"),
        "network.latency.dist",
        3,
        20,
        "unknown distribution \"lognormel\"",
    );
    check(
        &net("{ dist = \"lognormal\", p50 = \"2ms\" }"),
        "network.latency.p99",
        3,
        11,
        "a lognormal distribution needs `p99`",
    );
    check(
        &net("{ dist = \"constant\", value = \"2ms\", mean = \"1ms\" }"),
        "network.latency.mean",
        3,
        47,
        "`mean` is not a parameter of a constant distribution",
    );
    check(
        &net("{ dist = \"uniform\", min = \"5ms\", max = \"1ms\" }"),
        "network.latency.max",
        3,
        50,
        "below min",
    );
    check(
        &net("{ dist = \"lognormal\", p50 = \"20ms\", p99 = \"2ms\" }"),
        "network.latency.p99",
        3,
        53,
        "p99 2ms is below p50 20ms",
    );
    check(
        &net("{ dist = \"pareto\", scale = \"1ms\", shape = 0 }"),
        "network.latency.shape",
        3,
        53,
        "greater than 0",
    );
    check(
        &net("{ dist = \"mixture\", parts = [] }"),
        "network.latency.parts",
        3,
        39,
        "at least one part",
    );
    check(
        &net("{ dist = \"mixture\", parts = [{ weight = 1, dist = \"constant\" }] }"),
        "network.latency.parts[0].value",
        3,
        40,
        "needs `value`",
    );
    check(
        &net("\"2ms\""),
        "network.latency",
        3,
        11,
        "expected a distribution table",
    );

    let s = parse("name = \"x\"\n[network]\ninter_rack = { dist = \"exponential\", mean = \"3ms\" }\n\
        [[network.links]]\nfrom = \"n1\"\nto = \"n2\"\nlatency = { dist = \"constant\", value = \"1ms\" }\n")
        .unwrap();
    assert_eq!(
        s.network.inter_rack,
        Some(Dist::Exponential {
            mean: SimTime::from_millis(3)
        })
    );
    assert_eq!(s.network.links[0].to, NodeId(1));
    assert!(!s.network.links[0].one_way);
}

#[test]
fn key_distributions() {
    let kd = |text: &str| {
        parse(&format!(
            "name = \"x\"\n[workload]\nkey_dist = \"{text}\"\n"
        ))
    };
    assert_eq!(
        kd("uniform").unwrap().workload.unwrap().key_dist,
        KeyDist::Uniform
    );
    assert_eq!(
        kd("zipf(1.2)").unwrap().workload.unwrap().key_dist,
        KeyDist::Zipf(1.2)
    );
    assert_eq!(
        kd("hotset(0.01,0.9)").unwrap().workload.unwrap().key_dist,
        KeyDist::HotSet {
            fraction: 0.01,
            probability: 0.9
        }
    );
    check(
        &kd("zipf(0)").unwrap_err(),
        "workload.key_dist",
        3,
        12,
        "greater than 0",
    );
    check(
        &kd("hotset(0, 0.5)").unwrap_err(),
        "workload.key_dist",
        3,
        12,
        "(0, 1]",
    );
    check(
        &kd("zipf").unwrap_err(),
        "workload.key_dist",
        3,
        12,
        "\"zipf(S)\"",
    );
    check(
        &kd("hotset(0.1)").unwrap_err(),
        "workload.key_dist",
        3,
        12,
        "hotset(FRACTION,PROBABILITY)",
    );
}

#[test]
fn node_names_are_checked_everywhere() {
    let e = err("name = \"x\"\n[[fault]]\nat = \"1s\"\ncrash = \"n9\"\n");
    check(
        &e,
        "fault[0].crash",
        4,
        9,
        "unknown node `n9`: the cluster has n1..n8",
    );
    let e = err("name = \"x\"\n[cluster]\nseeds = [\"n1\", \"n12\"]\n");
    check(&e, "cluster.seeds[1]", 3, 16, "unknown node `n12`");
    let e = err("name = \"x\"\n[cluster]\nspares = 1\nseeds = [\"n9\"]\n");
    check(&e, "cluster.seeds[0]", 4, 10, "is a spare");
    let e = err("name = \"x\"\n[[op]]\nat = \"1s\"\nclient = \"a\"\nget = \"k\"\nvia = \"x3\"\n");
    check(&e, "op[0].via", 6, 7, "not a node name");
    let e = err(
        "name = \"x\"\n[network]\nlinks = [{ from = \"n1\", to = \"n99\", latency = { dist = \"constant\", value = \"1ms\" } }]\n",
    );
    check(&e, "network.links[0].to", 3, 30, "unknown node `n99`");
    // Spares may be named by faults.
    let s = parse("name = \"x\"\n[cluster]\nspares = 2\n[[fault]]\nat = \"1s\"\njoin = \"n10\"\n")
        .unwrap();
    assert_eq!(s.faults[0].action, FaultAction::Join(NodeId(9)));
}

#[test]
fn report_settings_choose_the_spacetime_window() {
    let s = parse(
        "name = \"x\"\n[report]\nspacetime_from = \"1.9s\"\nspacetime_until = \"2.2s\"\nspacetime_key = \"cart\"\n",
    )
    .unwrap();
    assert_eq!(s.report.spacetime_from, Some(SimTime::from_millis(1900)));
    assert_eq!(s.report.spacetime_until, Some(SimTime::from_millis(2200)));
    assert_eq!(s.report.spacetime_key.as_deref(), Some("cart"));
    // Written out and read back the same (a shrunk file keeps it).
    assert_eq!(parse(&crate::scenario::to_toml(&s)).unwrap(), s);
    let e = err("name = \"x\"\n[report]\nspacetime_from = \"2s\"\nspacetime_until = \"1s\"\n");
    check(
        &e,
        "report.spacetime_until",
        4,
        19,
        "must be after spacetime_from 2s",
    );
    let e = err("name = \"x\"\n[report]\nspacetime_from = \"2h\"\n");
    check(&e, "report.spacetime_from", 3, 18, "after the run ends");
}
