//! The spanned tree to the typed [`Scenario`]: every section, its keys and
//! their types, single-field ranges, and the defaults from `defaults.rs` for
//! whatever the file leaves out. Scripted operations and faults are in
//! `events.rs`; checks that relate several fields are in `validate.rs`.

use super::decode_load::{EXPECT_KEYS, NEMESIS_KEYS, WORKLOAD_KEYS, expect, nemesis, workload};
use super::defaults::{self, MAX_NODES, MAX_PARTITIONS, MAX_RANGES_PER_EXCHANGE, MAX_VNODES};
use super::diag::Diag;
use super::dist::dist;
use super::events;
use super::model::*;
use super::read::{Field, NodeSpace};
use super::tree::Node;
use super::validate;
use crate::time::SimTime;

const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "seed",
    "duration",
    "quiesce",
    "cluster",
    "replication",
    "network",
    "gossip",
    "anti_entropy",
    "metrics",
    "report",
    "values",
    "workload",
    "op",
    "fault",
    "nemesis",
    "expect",
    "check",
];

const CLUSTER_KEYS: &[&str] = &[
    "nodes",
    "regions",
    "racks",
    "vnodes",
    "strategy",
    "partitions",
    "placement",
    "seeds",
    "spares",
];
const REPLICATION_KEYS: &[&str] = &[
    "n",
    "r",
    "w",
    "request_timeout",
    "sloppy_quorum",
    "hinted_handoff",
    "read_repair",
    "versioning",
    "clock_truncation",
    "max_siblings",
    "key_epochs",
    "delete_mode",
    "reap_needs_all_primaries",
    "handoff_interval",
    "suspect_for",
];
const NETWORK_KEYS: &[&str] = &[
    "latency",
    "inter_rack",
    "inter_region",
    "links",
    "loss",
    "duplicate",
];
const LINK_KEYS: &[&str] = &["from", "to", "latency", "one_way"];
const GOSSIP_KEYS: &[&str] = &[
    "enabled",
    "interval",
    "fanout",
    "protocol",
    "suspect_after",
    "reporters",
];
const ANTI_ENTROPY_KEYS: &[&str] = &["enabled", "interval", "tree_depth", "ranges_per_exchange"];
const METRICS_KEYS: &[&str] = &["sample_interval", "staleness_buckets"];
const REPORT_KEYS: &[&str] = &["spacetime_from", "spacetime_until", "spacetime_key"];
const VALUES_KEYS: &[&str] = &["type"];
const CHECK_KEYS: &[&str] = &[
    "max_drops",
    "max_duplicates",
    "max_crashes",
    "max_early_timers",
    "schedule",
];
/// Every field a scenario file may hold, as the dotted paths the docs use
/// (`cluster.nodes`, `op[].via`, `fault[].isolate`): read from the same
/// key lists the decoder opens its tables with, so a test can hold the
/// scenario reference to them. Sections are not listed, their keys are;
/// `[workload] mix` and `[nemesis] mix` keep their kinds inside one field.
pub fn accepted_fields() -> Vec<String> {
    let sections: &[(&str, &[&str])] = &[
        ("cluster", CLUSTER_KEYS),
        ("replication", REPLICATION_KEYS),
        ("network", NETWORK_KEYS),
        ("network.links[]", LINK_KEYS),
        ("gossip", GOSSIP_KEYS),
        ("anti_entropy", ANTI_ENTROPY_KEYS),
        ("metrics", METRICS_KEYS),
        ("report", REPORT_KEYS),
        ("values", VALUES_KEYS),
        ("workload", WORKLOAD_KEYS),
        ("op[]", events::OP_KEYS),
        ("fault[]", &["at"]),
        ("fault[]", events::ACTIONS),
        ("nemesis", NEMESIS_KEYS),
        ("expect", EXPECT_KEYS),
        ("check", CHECK_KEYS),
    ];
    let mut fields: Vec<String> = TOP_KEYS
        .iter()
        .filter(|key| {
            !sections
                .iter()
                .any(|(s, _)| s.trim_end_matches("[]") == **key)
        })
        .map(|key| key.to_string())
        .collect();
    for (section, keys) in sections {
        fields.extend(keys.iter().map(|key| format!("{section}.{key}")));
    }
    fields.extend(
        events::MODIFIERS
            .iter()
            .map(|(m, _)| format!("fault[].{m}")),
    );
    fields
}

/// Decodes and validates a whole scenario.
pub fn decode(root: &Node) -> Result<Scenario, Diag> {
    let top = Field {
        node: root,
        path: "",
    }
    .table(TOP_KEYS)?;
    let name = top.required("name", "\"my-scenario\"")?;
    let mut scenario = Scenario::with_defaults(scenario_name(name.field())?);
    scenario.description = top.or("description", String::new(), |f| Ok(f.str()?.to_string()))?;
    scenario.seed = top.or("seed", defaults::SEED, |f| f.u64())?;
    scenario.duration = top.or("duration", defaults::DURATION, |f| f.positive_duration())?;
    scenario.quiesce = top.or("quiesce", defaults::QUIESCE, |f| f.duration())?;
    // The cluster comes first whatever the file order: node names elsewhere
    // are checked against its size.
    scenario.cluster = top.or("cluster", Cluster::default(), cluster)?;
    let space = NodeSpace {
        nodes: scenario.cluster.nodes,
        spares: scenario.cluster.spares,
    };
    scenario.replication = top.or("replication", Replication::default(), replication)?;
    scenario.network = top.or("network", Network::default(), |f| network(f, space))?;
    scenario.gossip = top.or("gossip", Gossip::default(), |f| gossip(f, space))?;
    if top.get("gossip").is_none() {
        scenario.gossip.suspect_after =
            defaults::suspect_after(space.nodes, scenario.gossip.interval);
        scenario.gossip.protocol = defaults::gossip_protocol(space.nodes);
    }
    scenario.anti_entropy = top.or("anti_entropy", AntiEntropy::default(), anti_entropy)?;
    scenario.metrics = top.or("metrics", Metrics::default(), metrics)?;
    // Before the workload and the ops: which writes they may make
    // depends on the type.
    scenario.values = top.or("values", Values::default(), values)?;
    let value_type = scenario.values.value_type;
    scenario.workload = top.or("workload", None, |f| workload(f, value_type).map(Some))?;
    if let Some(ops) = top.get("op") {
        let (ops, clients) = events::ops(
            ops.field(),
            space,
            &scenario.cluster.regions,
            scenario.duration,
            value_type,
        )?;
        scenario.ops = ops;
        scenario.named_clients = clients;
    }
    if let Some(faults) = top.get("fault") {
        scenario.faults = events::faults(faults.field(), space, &scenario)?;
    }
    let (duration, end) = (scenario.duration, scenario.end());
    scenario.nemesis = top.or("nemesis", None, |f| nemesis(f, duration, end).map(Some))?;
    scenario.report = top.or("report", ReportSettings::default(), |f| report(f, end))?;
    scenario.expect = top.or("expect", Expect::default(), expect)?;
    scenario.check = top.or("check", None, |f| check(f).map(Some))?;
    validate::check(&scenario, root)?;
    Ok(scenario)
}

fn values(field: Field<'_>) -> Result<Values, Diag> {
    let t = field.table(VALUES_KEYS)?;
    Ok(Values {
        value_type: t.or("type", ValueType::Opaque, |f| {
            f.choice(&[
                ("opaque", ValueType::Opaque),
                ("set", ValueType::Set),
                ("or-set", ValueType::OrSet),
                ("counter", ValueType::Counter),
            ])
        })?,
    })
}

fn scenario_name(field: Field<'_>) -> Result<&str, Diag> {
    let name = field.str()?;
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(name)
    } else {
        Err(field
            .error(format!(
                "\"{name}\" is not a valid name: use lowercase letters, digits and `-`"
            ))
            .with_help("the name names the report folder, e.g. \"partition-then-heal\""))
    }
}

fn cluster(field: Field<'_>) -> Result<Cluster, Diag> {
    let t = field.table(CLUSTER_KEYS)?;
    let d = Cluster::default();
    let nodes = t.or("nodes", d.nodes, |f| f.u32_in(1, MAX_NODES, "`nodes`"))?;
    let spares = t.or("spares", d.spares, |f| f.u32_in(0, MAX_NODES, "`spares`"))?;
    if nodes.saturating_add(spares) > MAX_NODES {
        let f = t.get("spares").or_else(|| t.get("nodes"));
        let span = f.as_ref().map_or(&field.node.span, |c| &c.node.span);
        let path = f
            .as_ref()
            .map_or("cluster.spares".to_string(), |c| c.path.clone());
        return Err(Diag::new(
            span,
            &path,
            format!(
                "nodes + spares = {} is more than the limit of {MAX_NODES}",
                nodes + spares
            ),
        ));
    }
    let space = NodeSpace { nodes, spares };
    let seeds = match t.get("seeds") {
        Some(c) => c
            .field()
            .array()?
            .iter()
            .map(|s| s.field().node(space, false))
            .collect::<Result<Vec<_>, _>>()?,
        None => d.seeds,
    };
    Ok(Cluster {
        nodes,
        regions: t.or("regions", d.regions, regions)?,
        racks: t.or("racks", d.racks, |f| f.u32_in(1, MAX_NODES, "`racks`"))?,
        vnodes: t.or("vnodes", d.vnodes, |f| f.u32_in(1, MAX_VNODES, "`vnodes`"))?,
        strategy: t.or("strategy", d.strategy, |f| {
            f.choice(&[
                ("random-tokens", Strategy::RandomTokens),
                ("equal-partitions", Strategy::EqualPartitions),
                ("q-over-s", Strategy::QOverS),
            ])
        })?,
        partitions: t.or("partitions", d.partitions, |f| {
            f.u32_in(1, MAX_PARTITIONS, "`partitions`")
        })?,
        placement: t.or("placement", d.placement, |f| {
            f.choice(&[
                ("clockwise", Placement::Clockwise),
                ("region-aware", Placement::RegionAware),
            ])
        })?,
        seeds,
        spares,
    })
}

fn regions(field: Field<'_>) -> Result<Vec<(String, u32)>, Diag> {
    let t = field.table_any()?;
    let mut out = Vec::new();
    for entry in &t.table.entries {
        let child = t
            .get(&entry.key)
            .ok_or_else(|| field.error("region vanished"))?;
        if looks_like_a_node(&entry.key) {
            return Err(Diag::new(
                &entry.key_span,
                &child.path,
                format!(
                    "a region cannot be called `{}`: that is a node's name, and a fault may name either",
                    entry.key
                ),
            )
            .with_help("name regions by place, e.g. us-east, eu-west"));
        }
        let size = child.field().u32_in(1, MAX_NODES, "a region's size")?;
        out.push((entry.key.clone(), size));
    }
    Ok(out)
}

/// `n` and digits: the form of a node's name (`n3`, and `n0` or `n03`,
/// which are no node's but read as one), which regions and clients may
/// not take.
pub(super) fn looks_like_a_node(name: &str) -> bool {
    name.strip_prefix('n')
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

fn replication(field: Field<'_>) -> Result<Replication, Diag> {
    let t = field.table(REPLICATION_KEYS)?;
    let d = Replication::default();
    Ok(Replication {
        n: t.or("n", d.n, |f| f.u32_in(1, MAX_NODES, "`n`"))?,
        r: t.or("r", d.r, |f| f.u32_in(1, MAX_NODES, "`r`"))?,
        w: t.or("w", d.w, |f| f.u32_in(1, MAX_NODES, "`w`"))?,
        request_timeout: t.or("request_timeout", d.request_timeout, |f| {
            f.positive_duration()
        })?,
        sloppy_quorum: t.or("sloppy_quorum", d.sloppy_quorum, |f| f.bool())?,
        hinted_handoff: t.or("hinted_handoff", d.hinted_handoff, |f| f.bool())?,
        read_repair: t.or("read_repair", d.read_repair, |f| f.bool())?,
        versioning: t.or("versioning", d.versioning, |f| {
            f.choice(&[
                ("vector-clock", Versioning::VectorClock),
                ("dvv", Versioning::Dvv),
                ("lww", Versioning::Lww),
            ])
        })?,
        clock_truncation: t.or("clock_truncation", d.clock_truncation, |f| {
            f.u32_in(0, u32::MAX, "`clock_truncation`")
        })?,
        max_siblings: t.or("max_siblings", d.max_siblings, |f| {
            f.u32_in(0, u32::MAX, "`max_siblings`")
        })?,
        key_epochs: t.or("key_epochs", d.key_epochs, |f| f.bool())?,
        delete_mode: t.or("delete_mode", d.delete_mode, delete_mode)?,
        reap_needs_all_primaries: t.or(
            "reap_needs_all_primaries",
            d.reap_needs_all_primaries,
            |f| f.bool(),
        )?,
        handoff_interval: t.or("handoff_interval", d.handoff_interval, |f| {
            f.positive_duration()
        })?,
        suspect_for: t.or("suspect_for", d.suspect_for, |f| f.positive_duration())?,
    })
}

/// `"keep"`, `"immediate"` or a duration such as `"3s"`.
fn delete_mode(field: Field<'_>) -> Result<DeleteMode, Diag> {
    match field.str()? {
        "keep" => Ok(DeleteMode::Keep),
        "immediate" => Ok(DeleteMode::Immediate),
        _ => field.duration().map(DeleteMode::After).map_err(|_| {
            field.error(
                "expected \"keep\", \"immediate\" or a delay such as \"3s\" \
                 (Riak's default; units: ns, us, ms, s, min)",
            )
        }),
    }
}

fn network(field: Field<'_>, space: NodeSpace) -> Result<Network, Diag> {
    let t = field.table(NETWORK_KEYS)?;
    let d = Network::default();
    let links = match t.get("links") {
        Some(c) => c
            .field()
            .array()?
            .iter()
            .map(|link| link_override(link.field(), space))
            .collect::<Result<Vec<_>, _>>()?,
        None => d.links,
    };
    Ok(Network {
        latency: t.or("latency", d.latency, dist)?,
        inter_rack: t.or("inter_rack", d.inter_rack, |f| dist(f).map(Some))?,
        inter_region: t.or("inter_region", d.inter_region, dist)?,
        links,
        loss: t.or("loss", d.loss, |f| f.unit_interval())?,
        duplicate: t.or("duplicate", d.duplicate, |f| f.unit_interval())?,
    })
}

fn link_override(field: Field<'_>, space: NodeSpace) -> Result<LinkOverride, Diag> {
    let t = field.table(LINK_KEYS)?;
    let from = t.required("from", "\"n1\"")?.field().node(space, true)?;
    let to_field = t.required("to", "\"n2\"")?;
    let to = to_field.field().node(space, true)?;
    if from == to {
        return Err(to_field.field().error("a link joins two different nodes"));
    }
    Ok(LinkOverride {
        from,
        to,
        one_way: t.or("one_way", false, |f| f.bool())?,
        latency: dist(
            t.required("latency", "{ dist = \"constant\", value = \"5ms\" }")?
                .field(),
        )?,
    })
}

fn gossip(field: Field<'_>, space: NodeSpace) -> Result<Gossip, Diag> {
    let t = field.table(GOSSIP_KEYS)?;
    let d = Gossip::default();
    let interval = t.or("interval", d.interval, |f| f.positive_duration())?;
    let suspect_after = defaults::suspect_after(space.nodes, interval);
    Ok(Gossip {
        enabled: t.or("enabled", d.enabled, |f| f.bool())?,
        interval,
        fanout: t.or("fanout", d.fanout, |f| f.u32_in(1, MAX_NODES, "`fanout`"))?,
        suspect_after: t.or("suspect_after", suspect_after, |f| f.positive_duration())?,
        reporters: t.or("reporters", d.reporters, |f| {
            f.u32_in(1, MAX_NODES, "`reporters`")
        })?,
        protocol: t.or("protocol", defaults::gossip_protocol(space.nodes), |f| {
            f.choice(&[
                ("heartbeats", GossipProtocol::Heartbeats),
                ("swim", GossipProtocol::Swim),
            ])
        })?,
    })
}

fn anti_entropy(field: Field<'_>) -> Result<AntiEntropy, Diag> {
    let t = field.table(ANTI_ENTROPY_KEYS)?;
    let d = AntiEntropy::default();
    Ok(AntiEntropy {
        enabled: t.or("enabled", d.enabled, |f| f.bool())?,
        interval: t.or("interval", d.interval, |f| f.positive_duration())?,
        tree_depth: t.or("tree_depth", d.tree_depth, |f| {
            f.u32_in(1, 20, "`tree_depth`")
        })?,
        ranges_per_exchange: t.or("ranges_per_exchange", d.ranges_per_exchange, |f| {
            f.u32_in(1, MAX_RANGES_PER_EXCHANGE, "`ranges_per_exchange`")
        })?,
    })
}

/// The most of each fault `[check]` may add to one execution: past a
/// few, the executions to explore run to billions.
const MAX_CHECK_FAULTS: u32 = 16;

fn check(field: Field<'_>) -> Result<Check, Diag> {
    let t = field.table(CHECK_KEYS)?;
    let d = Check::default();
    let bound = |name: &'static str| move |f: Field<'_>| f.u32_in(0, MAX_CHECK_FAULTS, name);
    Ok(Check {
        max_drops: t.or("max_drops", d.max_drops, bound("`max_drops`"))?,
        max_duplicates: t.or(
            "max_duplicates",
            d.max_duplicates,
            bound("`max_duplicates`"),
        )?,
        max_crashes: t.or("max_crashes", d.max_crashes, bound("`max_crashes`"))?,
        max_early_timers: t.or(
            "max_early_timers",
            d.max_early_timers,
            bound("`max_early_timers`"),
        )?,
        schedule: t.or("schedule", d.schedule, |f| {
            f.array()?
                .iter()
                .map(|step| step.field().u32_in(0, u32::MAX, "a step"))
                .collect()
        })?,
    })
}

fn metrics(field: Field<'_>) -> Result<Metrics, Diag> {
    let t = field.table(METRICS_KEYS)?;
    let d = Metrics::default();
    Ok(Metrics {
        sample_interval: t.or("sample_interval", d.sample_interval, |f| {
            f.positive_duration()
        })?,
        staleness_buckets: t.or("staleness_buckets", d.staleness_buckets, |f| {
            f.choice(&[
                ("log", StalenessBuckets::Log),
                ("linear", StalenessBuckets::Linear),
            ])
        })?,
    })
}

fn report(field: Field<'_>, end: SimTime) -> Result<ReportSettings, Diag> {
    let t = field.table(REPORT_KEYS)?;
    let within = |f: Field<'_>| -> Result<Option<SimTime>, Diag> {
        let at = f.duration()?;
        if at > end {
            return Err(f.error(format!("{at} is after the run ends at {end}")));
        }
        Ok(Some(at))
    };
    let from = t.or("spacetime_from", None, within)?;
    let until = t.or("spacetime_until", None, |f| {
        let until = within(f)?;
        if let (Some(from), Some(until)) = (from, until) {
            if until <= from {
                return Err(f.error(format!(
                    "spacetime_until {until} must be after spacetime_from {from}"
                )));
            }
        }
        Ok(until)
    })?;
    Ok(ReportSettings {
        spacetime_from: from,
        spacetime_until: until,
        spacetime_key: t.or("spacetime_key", None, |f| Ok(Some(f.str()?.to_string())))?,
    })
}
