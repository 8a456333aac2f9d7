//! Fault, scripted-op, nemesis and expectation checks: each error
//! asserted by dotted path, line and column.

use super::{check, err, parse};
use crate::id::NodeId;
use crate::scenario::*;
use crate::time::SimTime;

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
fn a_fault_may_name_a_region_wherever_it_names_nodes() {
    let with = |body: &str| {
        parse(&format!(
            "name = \"x\"\n[cluster]\nnodes = 5\nregions = {{ us-east = 3, eu-west = 2 }}\n\
             [[fault]]\nat = \"10s\"\n{body}\n"
        ))
    };
    let faults = |body: &str| -> Vec<FaultAction> {
        with(body)
            .unwrap()
            .faults
            .into_iter()
            .map(|f| f.action)
            .collect()
    };
    let (n1, n2, n3, n4, n5) = (NodeId(0), NodeId(1), NodeId(2), NodeId(3), NodeId(4));
    assert_eq!(
        faults("isolate = \"eu-west\""),
        [FaultAction::Partition(vec![vec![n4, n5]])]
    );
    assert_eq!(faults("isolate = \"n2\""), [FaultAction::Isolate(n2)]);
    assert_eq!(
        faults("partition = [[\"us-east\"], [\"eu-west\"]]"),
        [FaultAction::Partition(vec![vec![n1, n2, n3], vec![n4, n5]])]
    );
    assert_eq!(
        faults("crash = \"eu-west\""),
        [FaultAction::Crash(n4), FaultAction::Crash(n5)]
    );
    assert_eq!(
        faults("restart = \"eu-west\"\nwipe_disk = true"),
        [
            FaultAction::Restart {
                node: n4,
                wipe_disk: true
            },
            FaultAction::Restart {
                node: n5,
                wipe_disk: true
            }
        ]
    );
    assert_eq!(
        faults("bridge = { left = [\"eu-west\"], right = [\"n1\", \"n2\"], via = \"n3\" }"),
        [FaultAction::Bridge {
            left: vec![n4, n5],
            right: vec![n1, n2],
            via: n3
        }]
    );
    check(
        &with("partition = [[\"eu-west\"], [\"n5\"]]").unwrap_err(),
        "fault[0].partition[1][0]",
        7,
        28,
        "`n5` is already in group 0",
    );
    let e = with("crash = \"asia\"").unwrap_err();
    check(&e, "fault[0].crash", 7, 9, "not a node name");
    assert_eq!(e.help(), Some("or a region: `us-east`, `eu-west`"));

    // A region may not take a node's name: a fault could mean either.
    let e = err("name = \"x\"\n[cluster]\nnodes = 4\nregions = { n1 = 2, b = 2 }\n");
    check(
        &e,
        "cluster.regions.n1",
        4,
        13,
        "a region cannot be called `n1`",
    );
}

#[test]
fn a_client_may_not_take_a_node_or_region_name() {
    let op = |client: &str| {
        err(&format!(
            "name = \"x\"\n[cluster]\nregions = {{ west = 8 }}\n[[op]]\nat = \"1s\"\nclient = \"{client}\"\nget = \"k\"\n"
        ))
    };
    check(
        &op("n1"),
        "op[0].client",
        6,
        10,
        "a client cannot be called `n1`: that is a node's name",
    );
    check(&op("n42"), "op[0].client", 6, 10, "that is a node's name");
    check(
        &op("west"),
        "op[0].client",
        6,
        10,
        "that is a region's name",
    );
    assert!(parse("name = \"x\"\n[[op]]\nat = \"1s\"\nclient = \"nina\"\nget = \"k\"\n").is_ok());
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
        "one of a get, a put, a delete or an update",
    );
    check(
        &op("delete = \"k\"\nvalue = \"v\""),
        "op[0].value",
        6,
        1,
        "writes a tombstone",
    );
    check(
        &op("delete = \"k\"\nreturns = []"),
        "op[0].returns",
        6,
        1,
        "only for gets",
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

    let s = parse(
        "name = \"x\"\n[[op]]\nat = \"1s\"\nclient = \"a\"\ndelete = \"k\"\n\
         [[op]]\nat = \"2s\"\nclient = \"a\"\ndelete = \"k\"\ncontext = \"none\"\n",
    )
    .unwrap();
    assert_eq!(
        s.ops[0].kind,
        ScriptedKind::Delete {
            context: PutContext::LastRead
        }
    );
    assert_eq!(
        s.ops[1].kind,
        ScriptedKind::Delete {
            context: PutContext::None
        }
    );
    assert_eq!(parse(&to_toml(&s)).unwrap(), s, "a delete round-trips");
}

#[test]
fn updates_and_value_types() {
    let typed = |ty: &str, body: &str| {
        format!(
            "name = \"x\"\n[values]\ntype = \"{ty}\"\n[[op]]\nat = \"1s\"\nclient = \"a\"\n{body}\n"
        )
    };
    // Line 7 is the op's first field after `client`.
    check(
        &err(&typed("opaque", "update = \"k\"\nadd = [\"x\"]")),
        "op[0].update",
        7,
        1,
        "the values are opaque",
    );
    check(
        &err(&typed("set", "put = \"k\"\nvalue = \"v\"")),
        "op[0].put",
        7,
        1,
        "a put writes an opaque label",
    );
    check(
        &err(&typed("set", "update = \"k\"\nincrement = 1")),
        "op[0].increment",
        8,
        1,
        "takes `add` and `remove`",
    );
    check(
        &err(&typed("counter", "update = \"k\"\nadd = [\"x\"]")),
        "op[0].add",
        8,
        1,
        "takes `increment` and `decrement`",
    );
    check(
        &err(&typed("or-set", "update = \"k\"")),
        "op[0].update",
        7,
        1,
        "an update changes something",
    );
    check(
        &err(&typed(
            "set",
            "update = \"k\"\nadd = [\"x\"]\ncontext = \"none\"",
        )),
        "op[0].context",
        9,
        1,
        "context of its own read",
    );
    check(
        &err(&typed("set", "get = \"k\"\nadd = [\"x\"]")),
        "op[0].add",
        8,
        1,
        "only an update",
    );
    check(
        &err(&typed("set", "update = \"k\"\nadd = [\"\"]")),
        "op[0].add[0]",
        8,
        8,
        "cannot be empty",
    );
    check(
        &err(&typed("counter", "update = \"k\"\nincrement = 0")),
        "op[0].increment",
        8,
        13,
        "`increment`",
    );
    check(
        &err(&typed("bag", "get = \"k\"")),
        "values.type",
        3,
        8,
        "\"opaque\", \"set\", \"or-set\", \"counter\"",
    );
    let workload = |ty: &str, mix: &str| {
        format!("name = \"x\"\n[values]\ntype = \"{ty}\"\n[workload]\nmix = {{ {mix} }}\n")
    };
    check(
        &err(&workload("set", "get = 1, put = 1")),
        "workload.mix.put",
        5,
        24,
        "a put writes an opaque label",
    );
    check(
        &err(&workload("opaque", "get = 1, update = 1")),
        "workload.mix.update",
        5,
        27,
        "the values are opaque",
    );

    let s = parse(&typed(
        "or-set",
        "update = \"k\"\nadd = [\"milk\", \"eggs\"]\nremove = [\"beer\"]",
    ))
    .unwrap();
    assert_eq!(s.values.value_type, ValueType::OrSet);
    assert_eq!(
        s.ops[0].kind,
        ScriptedKind::Update {
            add: vec!["milk".into(), "eggs".into()],
            remove: vec!["beer".into()],
            delta: 0
        }
    );
    assert_eq!(parse(&to_toml(&s)).unwrap(), s, "an update round-trips");
    let s = parse(&typed(
        "counter",
        "update = \"k\"\nincrement = 2\ndecrement = 5",
    ))
    .unwrap();
    assert!(matches!(
        s.ops[0].kind,
        ScriptedKind::Update { delta: -3, .. }
    ));
    assert_eq!(
        parse(&to_toml(&s)).unwrap(),
        s,
        "a counter update round-trips"
    );
    // The default mix's puts are updates under a typed value.
    let s = parse("name = \"x\"\n[values]\ntype = \"set\"\n[workload]\nclients = 1\n").unwrap();
    let w = s.workload.as_ref().unwrap();
    assert_eq!((w.mix_put, w.mix_update), (0.0, 0.5));
    assert_eq!(
        parse(&to_toml(&s)).unwrap(),
        s,
        "a typed workload round-trips"
    );
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
