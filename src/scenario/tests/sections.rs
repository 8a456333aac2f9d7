//! Range, distribution, node-name, fault, op, nemesis and expectation
//! checks: each error asserted by dotted path, line and column.

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
            "both 0",
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

fn fault_err(body: &str) -> ScenarioError {
    err(&format!("name = \"x\"\n[[fault]]\nat = \"10s\"\n{body}\n"))
}

#[test]
fn faults() {
    check(
        &fault_err("partition = [[\"n1\", \"n2\"], [\"n2\"]]"),
        "fault[0].partition[1][0]",
        4,
        29,
        "`n2` is already in group 0",
    );
    check(
        &fault_err("partition = [[\"n1\"], []]"),
        "fault[0].partition[1]",
        4,
        22,
        "at least one node",
    );
    check(
        &fault_err("partition = []"),
        "fault[0].partition",
        4,
        13,
        "list of node groups",
    );
    check(
        &fault_err("heal = \"some\""),
        "fault[0].heal",
        4,
        8,
        "heal = \"all\"",
    );
    check(
        &fault_err("explode = \"n1\""),
        "fault[0].explode",
        4,
        1,
        "unknown fault action `explode`",
    );
    assert!(
        fault_err("explode = \"n1\"")
            .help()
            .unwrap()
            .contains("`partition`")
    );
    check(
        &fault_err("crash = \"n1\"\npause = \"n2\""),
        "fault[0].pause",
        5,
        1,
        "already has `crash`",
    );
    check(
        &fault_err("crash = \"n1\"\nwipe_disk = true"),
        "fault[0].wipe_disk",
        5,
        1,
        "`wipe_disk` does not apply to `crash`",
    );
    check(
        &fault_err("partition = [[\"n1\"]]\nuntil = \"20s\""),
        "fault[0].until",
        5,
        1,
        "`until` does not apply to `partition`",
    );
    check(
        &fault_err("loss = 0.3"),
        "fault[0].until",
        2,
        1,
        "missing `until`",
    );
    check(
        &fault_err("loss = 0.3\nuntil = \"5s\""),
        "fault[0].until",
        5,
        9,
        "must be after at",
    );
    check(
        &fault_err("loss = 0.3\nuntil = \"500s\""),
        "fault[0].until",
        5,
        9,
        "after the run ends",
    );
    check(&fault_err(""), "fault[0]", 2, 1, "no action");
    check(
        &fault_err("cut = { from = \"n1\", to = \"n1\" }"),
        "fault[0].cut.to",
        4,
        27,
        "two different",
    );
    check(
        &fault_err("bridge = { left = [\"n1\"], right = [\"n2\", \"n1\"], via = \"n3\" }"),
        "fault[0].bridge.right[1]",
        4,
        42,
        "on both sides",
    );
    check(
        &fault_err("bridge = { left = [\"n1\"], right = [\"n2\"], via = \"n2\" }"),
        "fault[0].bridge.via",
        4,
        49,
        "on neither side",
    );
    check(
        &fault_err("split = \"minority\""),
        "fault[0].split",
        4,
        9,
        "\"majority\"",
    );
    check(
        &fault_err("join = \"n3\""),
        "fault[0].join",
        4,
        8,
        "already in the ring",
    );
    check(
        &fault_err("skew = { node = \"n2\", offset = \"-5\" }"),
        "fault[0].skew.offset",
        4,
        32,
        "no unit",
    );
    let e = err(
        "name = \"x\"\nduration = \"60s\"\nquiesce = \"30s\"\n[[fault]]\nat = \"90s\"\ncrash = \"n1\"\n",
    );
    check(
        &e,
        "fault[0].at",
        5,
        6,
        "outside the run, which ends at 90s",
    );

    let s = parse(
        "name = \"x\"\n[[fault]]\nat = \"9s\"\nheal = \"all\"\n[[fault]]\nat = \"2s\"\nrestart = \"n2\"\n",
    )
    .unwrap();
    assert_eq!(
        s.faults[0].action,
        FaultAction::Restart {
            node: NodeId(1),
            wipe_disk: false
        }
    );
    assert_eq!(s.faults[1].action, FaultAction::HealAll);
}

#[test]
fn scripted_ops() {
    let op = |body: &str| {
        err(&format!(
            "name = \"x\"\n[[op]]\nat = \"1s\"\nclient = \"a\"\n{body}\n"
        ))
    };
    check(&op("value = \"v\""), "op[0]", 2, 1, "needs a key");
    check(
        &op("get = \"k\"\nput = \"k\"\nvalue = \"v\""),
        "op[0].put",
        6,
        1,
        "not both",
    );
    check(&op("put = \"k\""), "op[0].value", 2, 1, "missing `value`");
    check(
        &op("put = \"k\"\nvalue = \"v\"\nreturns = []"),
        "op[0].returns",
        7,
        1,
        "only for gets",
    );
    check(
        &op("get = \"k\"\ncontext = \"none\""),
        "op[0].context",
        6,
        1,
        "only for puts",
    );
    check(
        &op("put = \"k\"\nvalue = \"v\"\ncontext = \"blind\""),
        "op[0].context",
        7,
        11,
        "\"last-read\", \"none\"",
    );
    let e = err(
        "name = \"x\"\nduration = \"10s\"\n[[op]]\nat = \"10s\"\nclient = \"a\"\nget = \"k\"\n",
    );
    check(&e, "op[0].at", 4, 6, "after the workload phase");

    let s = parse(
        "name = \"x\"\n[[op]]\nat = \"3s\"\nclient = \"bob\"\nget = \"k\"\nreturns = [\"v\"]\n\
         [[op]]\nat = \"1s\"\nclient = \"alice\"\nput = \"k\"\nvalue = \"v\"\n\
         [[op]]\nat = \"1s\"\nclient = \"bob\"\nput = \"k\"\nvalue = \"w\"\ncontext = \"none\"\n",
    )
    .unwrap();
    // Clients in order of first appearance in the file; ops sorted by time, stably.
    assert_eq!(s.named_clients, vec!["bob", "alice"]);
    let order: Vec<(u32, &str)> = s.ops.iter().map(|o| (o.client, o.key.as_str())).collect();
    assert_eq!(order, vec![(1, "k"), (0, "k"), (0, "k")]);
    assert_eq!(
        s.ops[1].kind,
        ScriptedKind::Put {
            value: "w".into(),
            context: PutContext::None
        }
    );
    assert_eq!(s.ops[2].returns, Some(vec!["v".to_string()]));
}

#[test]
fn nemesis() {
    let nem = |body: &str| err(&format!("name = \"x\"\n[nemesis]\n{body}\n"));
    check(
        &nem("mix = { crash = 1, meteor = 2 }"),
        "nemesis.mix.meteor",
        3,
        20,
        "unknown fault kind `meteor`",
    );
    check(
        &nem("heal_by = \"91s\""),
        "nemesis.heal_by",
        3,
        11,
        "after the run ends at 90s",
    );
    check(
        &nem("min_fault = \"5s\"\nmax_fault = \"2s\""),
        "nemesis.max_fault",
        4,
        13,
        "below min_fault",
    );
    check(
        &nem("min_fault = \"20s\""),
        "nemesis.min_fault",
        3,
        13,
        "above max_fault",
    );
    check(&nem("rate = \"3\""), "nemesis.rate", 3, 8, "not a rate");
    let s = parse("name = \"x\"\n[nemesis]\nmix = { skew = 2 }\n").unwrap();
    assert_eq!(
        s.nemesis.unwrap().mix,
        NemesisMix {
            skew: 2.0,
            ..NemesisMix::default()
        }
    );
}

#[test]
fn expectations() {
    let exp = |body: &str| parse(&format!("name = \"x\"\n[expect]\n{body}\n"));
    let s = exp("availability = 0.9\nget_availability = { min = 1 }\nget_p99 = \"5ms\"\nput_p99 = { max = \"7ms\" }").unwrap();
    assert_eq!(s.expect.availability, Some(0.9));
    assert_eq!(s.expect.get_availability, Some(1.0));
    assert_eq!(s.expect.get_p99, Some(SimTime::from_millis(5)));
    assert_eq!(s.expect.put_p99, Some(SimTime::from_millis(7)));
    check(
        &exp("availability = { min = 1.5 }").unwrap_err(),
        "expect.availability.min",
        3,
        24,
        "outside [0, 1]",
    );
    check(
        &exp("availability = { max = 1 }").unwrap_err(),
        "expect.availability.max",
        3,
        18,
        "unknown key",
    );
    check(
        &exp("stale_reads = -1").unwrap_err(),
        "expect.stale_reads",
        3,
        15,
        "negative",
    );
    check(
        &exp("max_siblings = 0").unwrap_err(),
        "expect.max_siblings",
        3,
        16,
        "at least 1",
    );
    check(
        &exp("get_p99 = { max = 50 }").unwrap_err(),
        "expect.get_p99.max",
        3,
        19,
        "no unit",
    );
}
