//! The typed [`Scenario`] back to TOML: a complete, canonical file that
//! parses back to the same value (`parse(to_toml(s)) == s`).
//!
//! Every section and every field is written explicitly, so the file does not
//! depend on the defaults of the version that reads it. Optional parts the
//! model leaves out (`inter_rack`, `[workload]`, `[nemesis]`, unset
//! expectations) are left out of the file too, since the file format has no
//! other way to say "none". `dynsim shrink` writes its results with this.
//!
//! Exactness: durations are written as a whole number of the largest unit
//! that divides them (`"1500ms"`), which the parser reads back exactly;
//! floats use Rust's shortest round-tripping form.

use super::model::*;
use crate::id::NodeId;
use crate::time::{Rate, SimTime};
use std::fmt::Write as _;

/// The scenario as a TOML file that parses back to an equal `Scenario`.
pub fn to_toml(s: &Scenario) -> String {
    let mut out = String::new();
    let o = &mut out;
    line(o, "name", &string(&s.name));
    line(o, "description", &long_string(&s.description));
    line(o, "seed", &s.seed.to_string());
    line(o, "duration", &duration(s.duration));
    line(o, "quiesce", &duration(s.quiesce));
    cluster(o, &s.cluster);
    replication(o, &s.replication);
    network(o, &s.network);
    section(o, "gossip");
    line(o, "enabled", &s.gossip.enabled.to_string());
    line(o, "interval", &duration(s.gossip.interval));
    line(o, "fanout", &s.gossip.fanout.to_string());
    line(o, "suspect_after", &duration(s.gossip.suspect_after));
    line(o, "reporters", &s.gossip.reporters.to_string());
    let protocol = match s.gossip.protocol {
        GossipProtocol::Heartbeats => "heartbeats",
        GossipProtocol::Swim => "swim",
    };
    line(o, "protocol", &string(protocol));
    section(o, "anti_entropy");
    line(o, "enabled", &s.anti_entropy.enabled.to_string());
    line(o, "interval", &duration(s.anti_entropy.interval));
    line(o, "tree_depth", &s.anti_entropy.tree_depth.to_string());
    line(
        o,
        "ranges_per_exchange",
        &s.anti_entropy.ranges_per_exchange.to_string(),
    );
    section(o, "metrics");
    line(o, "sample_interval", &duration(s.metrics.sample_interval));
    let buckets = match s.metrics.staleness_buckets {
        StalenessBuckets::Log => "log",
        StalenessBuckets::Linear => "linear",
    };
    line(o, "staleness_buckets", &string(buckets));
    let r = &s.report;
    if *r != ReportSettings::default() {
        section(o, "report");
        if let Some(from) = r.spacetime_from {
            line(o, "spacetime_from", &duration(from));
        }
        if let Some(until) = r.spacetime_until {
            line(o, "spacetime_until", &duration(until));
        }
        if let Some(key) = &r.spacetime_key {
            line(o, "spacetime_key", &string(key));
        }
    }
    if s.values != Values::default() {
        section(o, "values");
        line(o, "type", &string(s.values.value_type.as_str()));
    }
    match &s.workload {
        Some(w) => workload(o, w),
        None => o.push_str("\n# No [workload]: only the scripted operations below.\n"),
    }
    for op in ops_in_file_order(s) {
        scripted_op(o, s, op);
    }
    for f in &s.faults {
        fault(o, f);
    }
    if let Some(n) = &s.nemesis {
        nemesis(o, n);
    }
    expect(o, &s.expect);
    if let Some(c) = &s.check {
        section(o, "check");
        line(o, "max_drops", &c.max_drops.to_string());
        line(o, "max_duplicates", &c.max_duplicates.to_string());
        line(o, "max_crashes", &c.max_crashes.to_string());
        line(o, "max_early_timers", &c.max_early_timers.to_string());
        let steps: Vec<String> = c.schedule.iter().map(u32::to_string).collect();
        line(o, "schedule", &format!("[{}]", steps.join(", ")));
    }
    out
}

fn section(o: &mut String, name: &str) {
    let _ = write!(o, "\n[{name}]\n");
}

fn line(o: &mut String, key: &str, value: &str) {
    let _ = writeln!(o, "{key} = {value}");
}

fn cluster(o: &mut String, c: &Cluster) {
    section(o, "cluster");
    line(o, "nodes", &c.nodes.to_string());
    if !c.regions.is_empty() {
        let regions: Vec<String> = c
            .regions
            .iter()
            .map(|(name, size)| format!("{} = {size}", string(name)))
            .collect();
        line(o, "regions", &format!("{{ {} }}", regions.join(", ")));
    }
    line(o, "racks", &c.racks.to_string());
    line(o, "vnodes", &c.vnodes.to_string());
    let strategy = match c.strategy {
        Strategy::RandomTokens => "random-tokens",
        Strategy::EqualPartitions => "equal-partitions",
        Strategy::QOverS => "q-over-s",
    };
    line(o, "strategy", &string(strategy));
    line(o, "partitions", &c.partitions.to_string());
    let placement = match c.placement {
        Placement::Clockwise => "clockwise",
        Placement::RegionAware => "region-aware",
    };
    line(o, "placement", &string(placement));
    line(o, "seeds", &nodes(&c.seeds));
    line(o, "spares", &c.spares.to_string());
}

fn replication(o: &mut String, r: &Replication) {
    section(o, "replication");
    line(o, "n", &r.n.to_string());
    line(o, "r", &r.r.to_string());
    line(o, "w", &r.w.to_string());
    line(o, "request_timeout", &duration(r.request_timeout));
    line(o, "sloppy_quorum", &r.sloppy_quorum.to_string());
    line(o, "hinted_handoff", &r.hinted_handoff.to_string());
    line(o, "read_repair", &r.read_repair.to_string());
    let versioning = match r.versioning {
        Versioning::VectorClock => "vector-clock",
        Versioning::Dvv => "dvv",
        Versioning::Lww => "lww",
    };
    line(o, "versioning", &string(versioning));
    line(o, "clock_truncation", &r.clock_truncation.to_string());
    line(o, "max_siblings", &r.max_siblings.to_string());
    line(o, "key_epochs", &r.key_epochs.to_string());
    let delete_mode = match r.delete_mode {
        DeleteMode::Keep => "keep".to_string(),
        DeleteMode::Immediate => "immediate".to_string(),
        DeleteMode::After(delay) => duration_text(delay.as_nanos()),
    };
    line(o, "delete_mode", &string(&delete_mode));
    line(
        o,
        "reap_needs_all_primaries",
        &r.reap_needs_all_primaries.to_string(),
    );
    line(o, "handoff_interval", &duration(r.handoff_interval));
    line(o, "suspect_for", &duration(r.suspect_for));
}

fn network(o: &mut String, n: &Network) {
    section(o, "network");
    line(o, "latency", &dist(&n.latency));
    if let Some(d) = &n.inter_rack {
        line(o, "inter_rack", &dist(d));
    }
    line(o, "inter_region", &dist(&n.inter_region));
    if !n.links.is_empty() {
        o.push_str("links = [\n");
        for l in &n.links {
            let _ = writeln!(
                o,
                "  {{ from = {}, to = {}, one_way = {}, latency = {} }},",
                node(l.from),
                node(l.to),
                l.one_way,
                dist(&l.latency)
            );
        }
        o.push_str("]\n");
    }
    line(o, "loss", &float(n.loss));
    line(o, "duplicate", &float(n.duplicate));
}

fn workload(o: &mut String, w: &Workload) {
    section(o, "workload");
    line(o, "clients", &w.clients.to_string());
    line(o, "keys", &w.keys.to_string());
    let key_dist = match w.key_dist {
        KeyDist::Uniform => "uniform".to_string(),
        KeyDist::Zipf(s) => format!("zipf({s})"),
        KeyDist::HotSet {
            fraction,
            probability,
        } => format!("hotset({fraction},{probability})"),
    };
    line(o, "key_dist", &string(&key_dist));
    let mut mix = format!("get = {}, put = {}", float(w.mix_get), float(w.mix_put));
    if w.mix_delete > 0.0 {
        mix.push_str(&format!(", delete = {}", float(w.mix_delete)));
    }
    if w.mix_update > 0.0 {
        mix.push_str(&format!(", update = {}", float(w.mix_update)));
    }
    line(o, "mix", &format!("{{ {mix} }}"));
    let mode = match w.mode {
        LoopMode::Open => "open",
        LoopMode::Closed => "closed",
    };
    line(o, "mode", &string(mode));
    line(o, "rate", &rate(w.rate));
    line(o, "read_modify_write", &float(w.read_modify_write));
    let balancer = match w.balancer {
        Balancer::PartitionAware => "partition-aware",
        Balancer::Generic => "generic",
    };
    line(o, "balancer", &string(balancer));
}

/// The order to write the ops in. The parser sorts ops by time (stably) and
/// numbers named clients by first appearance in the file, so the model's
/// order alone may number the clients differently: bring each client's
/// first op forward, with the ops at the same instant that precede it, so
/// that clients appear in the model's order and ties keep theirs.
fn ops_in_file_order(s: &Scenario) -> Vec<&ScriptedOp> {
    let mut written = vec![false; s.ops.len()];
    let mut order = Vec::with_capacity(s.ops.len());
    for client in 0..s.named_clients.len() {
        let client = client as u32;
        if order.iter().any(|op: &&ScriptedOp| op.client == client) {
            continue;
        }
        // An op of this client whose same-instant predecessors name no later client.
        let first = s.ops.iter().enumerate().find(|(i, op)| {
            op.client == client
                && s.ops[..*i]
                    .iter()
                    .enumerate()
                    .filter(|(j, p)| p.at == op.at && !written[*j])
                    .all(|(_, p)| p.client <= client)
        });
        if let Some((i, op)) = first {
            for (j, earlier) in s.ops.iter().enumerate().take(i + 1) {
                if earlier.at == op.at && !written[j] {
                    written[j] = true;
                    order.push(earlier);
                }
            }
        }
    }
    for (j, op) in s.ops.iter().enumerate() {
        if !written[j] {
            order.push(op);
        }
    }
    order
}

fn scripted_op(o: &mut String, s: &Scenario, op: &ScriptedOp) {
    o.push_str("\n[[op]]\n");
    line(o, "at", &duration(op.at));
    let client = s
        .named_clients
        .get(op.client as usize)
        .map_or("client", String::as_str);
    line(o, "client", &string(client));
    match &op.kind {
        ScriptedKind::Get => line(o, "get", &string(&op.key)),
        ScriptedKind::Put { value, context } => {
            line(o, "put", &string(&op.key));
            line(o, "value", &string(value));
            let context = match context {
                PutContext::LastRead => "last-read",
                PutContext::None => "none",
            };
            line(o, "context", &string(context));
        }
        ScriptedKind::Update { add, remove, delta } => {
            line(o, "update", &string(&op.key));
            let list = |names: &[String]| {
                let quoted: Vec<String> = names.iter().map(|v| string(v)).collect();
                format!("[{}]", quoted.join(", "))
            };
            if !add.is_empty() {
                line(o, "add", &list(add));
            }
            if !remove.is_empty() {
                line(o, "remove", &list(remove));
            }
            match *delta {
                d if d > 0 => line(o, "increment", &d.to_string()),
                d if d < 0 => line(o, "decrement", &d.unsigned_abs().to_string()),
                _ => {}
            }
        }
        ScriptedKind::Delete { context } => {
            line(o, "delete", &string(&op.key));
            let context = match context {
                PutContext::LastRead => "last-read",
                PutContext::None => "none",
            };
            line(o, "context", &string(context));
        }
    }
    if let Some(via) = op.via {
        line(o, "via", &node(via));
    }
    if let Some(values) = &op.returns {
        let values: Vec<String> = values.iter().map(|v| string(v)).collect();
        line(o, "returns", &format!("[{}]", values.join(", ")));
    }
}

fn fault(o: &mut String, f: &Fault) {
    o.push_str("\n[[fault]]\n");
    line(o, "at", &duration(f.at));
    match &f.action {
        FaultAction::Partition(groups) => line(o, "partition", &node_groups(groups)),
        FaultAction::HealAll => line(o, "heal", "\"all\""),
        FaultAction::Heal(groups) => line(o, "heal", &node_groups(groups)),
        FaultAction::Isolate(n) => line(o, "isolate", &node(*n)),
        FaultAction::Cut { from, to } => line(
            o,
            "cut",
            &format!("{{ from = {}, to = {} }}", node(*from), node(*to)),
        ),
        FaultAction::Bridge { left, right, via } => line(
            o,
            "bridge",
            &format!(
                "{{ left = {}, right = {}, via = {} }}",
                nodes(left),
                nodes(right),
                node(*via)
            ),
        ),
        FaultAction::SplitMajority => line(o, "split", "\"majority\""),
        FaultAction::Crash(n) => line(o, "crash", &node(*n)),
        FaultAction::Restart { node: n, wipe_disk } => {
            line(o, "restart", &node(*n));
            line(o, "wipe_disk", &wipe_disk.to_string());
        }
        FaultAction::Pause(n) => line(o, "pause", &node(*n)),
        FaultAction::Resume(n) => line(o, "resume", &node(*n)),
        FaultAction::Loss { probability, until } => {
            line(o, "loss", &float(*probability));
            line(o, "until", &duration(*until));
        }
        FaultAction::Latency { dist: d, until } => {
            line(o, "latency", &dist(d));
            line(o, "until", &duration(*until));
        }
        FaultAction::Skew { node: n, offset_ns } => line(
            o,
            "skew",
            &format!(
                "{{ node = {}, offset = {} }}",
                node(*n),
                signed_duration(*offset_ns)
            ),
        ),
        FaultAction::Join(n) => line(o, "join", &node(*n)),
        FaultAction::Leave(n) => line(o, "leave", &node(*n)),
        FaultAction::Forget { node: n, key } => line(
            o,
            "forget",
            &format!("{{ node = {}, key = {} }}", node(*n), string(key)),
        ),
    }
}

fn nemesis(o: &mut String, n: &Nemesis) {
    section(o, "nemesis");
    line(o, "rate", &rate(n.rate));
    let m = &n.mix;
    let weights = [
        ("partition", m.partition),
        ("crash", m.crash),
        ("pause", m.pause),
        ("isolate", m.isolate),
        ("cut", m.cut),
        ("loss", m.loss),
        ("skew", m.skew),
    ];
    let mix: Vec<String> = weights
        .iter()
        .map(|(kind, w)| format!("{kind} = {}", float(*w)))
        .collect();
    line(o, "mix", &format!("{{ {} }}", mix.join(", ")));
    line(o, "heal_by", &duration(n.heal_by));
    line(o, "min_fault", &duration(n.min_fault));
    line(o, "max_fault", &duration(n.max_fault));
}

fn expect(o: &mut String, e: &Expect) {
    section(o, "expect");
    if let Some(n) = e.lost_acked_writes {
        line(o, "lost_acked_writes", &n.to_string());
    }
    if let Some(n) = e.stale_reads {
        line(o, "stale_reads", &n.to_string());
    }
    if let Some(n) = e.durability_violations {
        line(o, "durability_violations", &n.to_string());
    }
    if let Some(d) = e.converged_within {
        line(o, "converged_within", &duration(d));
    }
    for (key, min) in [
        ("availability", e.availability),
        ("get_availability", e.get_availability),
        ("put_availability", e.put_availability),
    ] {
        if let Some(min) = min {
            line(o, key, &format!("{{ min = {} }}", float(min)));
        }
    }
    for (key, max) in [("get_p99", e.get_p99), ("put_p99", e.put_p99)] {
        if let Some(max) = max {
            line(o, key, &format!("{{ max = {} }}", duration(max)));
        }
    }
    if let Some(n) = e.superseded_siblings {
        line(o, "superseded_siblings", &format!("{{ max = {n} }}"));
    }
    if let Some(n) = e.resurrections {
        line(o, "resurrections", &format!("{{ max = {n} }}"));
    }
    if let Some(n) = e.lost_adds {
        line(o, "lost_adds", &format!("{{ max = {n} }}"));
    }
    if let Some(n) = e.max_siblings {
        line(o, "max_siblings", &n.to_string());
    }
}

/// An inline distribution table; mixtures nest their parts inline.
fn dist(d: &Dist) -> String {
    match d {
        Dist::Constant { value } => {
            format!("{{ dist = \"constant\", value = {} }}", duration(*value))
        }
        Dist::Uniform { min, max } => format!(
            "{{ dist = \"uniform\", min = {}, max = {} }}",
            duration(*min),
            duration(*max)
        ),
        Dist::Exponential { mean } => {
            format!("{{ dist = \"exponential\", mean = {} }}", duration(*mean))
        }
        Dist::Normal { mean, sd } => format!(
            "{{ dist = \"normal\", mean = {}, sd = {} }}",
            duration(*mean),
            duration(*sd)
        ),
        Dist::LogNormal { p50, p99 } => format!(
            "{{ dist = \"lognormal\", p50 = {}, p99 = {} }}",
            duration(*p50),
            duration(*p99)
        ),
        Dist::Pareto { scale, shape } => format!(
            "{{ dist = \"pareto\", scale = {}, shape = {} }}",
            duration(*scale),
            float(*shape)
        ),
        Dist::Mixture { parts } => {
            let parts: Vec<String> = parts
                .iter()
                .map(|(weight, part)| {
                    // A part is its distribution's table with a weight in front.
                    let inner = dist(part);
                    let body = inner.trim_start_matches("{ ");
                    format!("{{ weight = {}, {body}", float(*weight))
                })
                .collect();
            format!("{{ dist = \"mixture\", parts = [{}] }}", parts.join(", "))
        }
    }
}

/// Nanoseconds at or above this may not survive the parser's float
/// arithmetic unless written in nanoseconds (2^53).
const EXACT_FLOAT_LIMIT: u64 = 1 << 53;

/// A quoted duration in the largest unit that divides it exactly.
fn duration(t: SimTime) -> String {
    format!("\"{}\"", duration_text(t.as_nanos()))
}

fn duration_text(ns: u64) -> String {
    if ns == 0 {
        return "0s".to_string();
    }
    // Large values come from the parser's own rounding, so they are exact
    // floats already and read back exactly in nanoseconds.
    if ns < EXACT_FLOAT_LIMIT {
        for (unit, scale) in [("s", SimTime::S), ("ms", SimTime::MS), ("us", SimTime::US)] {
            if ns % scale == 0 {
                return format!("{}{unit}", ns / scale);
            }
        }
    }
    format!("{ns}ns")
}

fn signed_duration(offset_ns: i64) -> String {
    let sign = if offset_ns < 0 { "-" } else { "" };
    format!("\"{sign}{}\"", duration_text(offset_ns.unsigned_abs()))
}

fn rate(r: Rate) -> String {
    if r.per == SimTime::from_secs(1) {
        format!("\"{}/s\"", r.count)
    } else {
        format!("\"{}/{}\"", r.count, duration_text(r.per.as_nanos()))
    }
}

/// A TOML float (or integer-valued float) that reads back bit for bit:
/// Rust's `Debug` form is the shortest that round-trips and is valid TOML
/// (`0.5`, `2.0`, `1e-7`).
fn float(x: f64) -> String {
    format!("{x:?}")
}

fn node(id: NodeId) -> String {
    format!("\"{id}\"")
}

fn nodes(ids: &[NodeId]) -> String {
    let names: Vec<String> = ids.iter().map(|id| node(*id)).collect();
    format!("[{}]", names.join(", "))
}

fn node_groups(groups: &[Vec<NodeId>]) -> String {
    let groups: Vec<String> = groups.iter().map(|g| nodes(g)).collect();
    format!("[{}]", groups.join(", "))
}

/// A TOML multi-line basic string when the text has line breaks (it reads
/// better than `\n`), a basic string otherwise.
fn long_string(text: &str) -> String {
    if !text.contains('\n') {
        return string(text);
    }
    // The parser drops a line break right after the opening quotes, so
    // the text starts on the next line unchanged.
    let lines: Vec<String> = text.split('\n').map(escape).collect();
    format!("\"\"\"\n{}\"\"\"", lines.join("\n"))
}

/// A TOML basic string, escaped.
fn string(text: &str) -> String {
    format!("\"{}\"", escape(text))
}

/// The inside of a TOML basic string: quotes, backslashes and control
/// characters escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_use_the_largest_exact_unit() {
        assert_eq!(duration_text(0), "0s");
        assert_eq!(duration_text(1_500_000_000), "1500ms");
        assert_eq!(duration_text(3_000_000_000), "3s");
        assert_eq!(duration_text(1_001), "1001ns");
        assert_eq!(signed_duration(-500_000_000), "\"-500ms\"");
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
