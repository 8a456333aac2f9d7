//! The shrinking steps: pure functions from a scenario to smaller candidate
//! scenarios, each with a sentence saying what it changed.
//!
//! A step does not promise its candidates are valid (removing a node may
//! leave `n` above `nodes`); the driver puts every candidate through the
//! parser and drops the ones it refuses, so validation lives in one place.

use crate::id::NodeId;
use crate::scenario::{Expect, FaultAction, Scenario};
use crate::time::SimTime;

/// The failed expectation being kept failing. Scripted gets' `returns`
/// verdicts are named by the op's index, which moves as ops are removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A field of `[expect]`, named as its verdict (`lost_acked_writes`).
    Expect(String),
    /// `op[i].returns`: the i-th scripted op (in time order).
    OpReturns(usize),
}

impl Target {
    /// From a verdict's name in `summary.json`.
    pub fn from_verdict_name(name: &str) -> Target {
        let index = name
            .strip_prefix("op[")
            .and_then(|rest| rest.strip_suffix("].returns"))
            .and_then(|i| i.parse().ok());
        match index {
            Some(i) => Target::OpReturns(i),
            None => Target::Expect(name.to_string()),
        }
    }

    pub fn verdict_name(&self) -> String {
        match self {
            Target::Expect(name) => name.clone(),
            Target::OpReturns(i) => format!("op[{i}].returns"),
        }
    }
}

/// A smaller scenario, the target as it is named there, and what changed.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub scenario: Scenario,
    pub target: Target,
    pub change: String,
}

/// A shrinking step.
pub type Step = fn(&Scenario, &Target) -> Vec<Candidate>;

/// The steps in the order the driver tries them: cheap, big cuts first.
pub const STEPS: &[Step] = &[
    keep_only_target,
    drop_nemesis,
    remove_faults,
    remove_ops,
    drop_workload,
    shrink_workload,
    lower_replication,
    lower_quorum,
    remove_highest_node,
    start_sooner,
    halve_duration,
    halve_quiesce,
];

fn candidate(scenario: Scenario, target: &Target, change: String) -> Candidate {
    Candidate {
        scenario,
        target: target.clone(),
        change,
    }
}

/// Every other expectation dropped: `[expect]` keeps only the target, and
/// no other scripted get checks what it returns.
pub fn keep_only_target(s: &Scenario, target: &Target) -> Vec<Candidate> {
    let mut small = s.clone();
    small.expect = match target {
        Target::Expect(name) => match only_expectation(&s.expect, name) {
            Some(expect) => expect,
            None => return Vec::new(),
        },
        Target::OpReturns(_) => Expect::default(),
    };
    for (i, op) in small.ops.iter_mut().enumerate() {
        if *target != Target::OpReturns(i) {
            op.returns = None;
        }
    }
    if small == *s {
        return Vec::new();
    }
    vec![candidate(
        small,
        target,
        "dropped the other expectations".to_string(),
    )]
}

/// `[expect]` with only the named field kept; `None` for an unknown name.
fn only_expectation(e: &Expect, name: &str) -> Option<Expect> {
    let mut only = Expect::default();
    match name {
        "lost_acked_writes" => only.lost_acked_writes = e.lost_acked_writes,
        "stale_reads" => only.stale_reads = e.stale_reads,
        "durability_violations" => only.durability_violations = e.durability_violations,
        "converged_within" => only.converged_within = e.converged_within,
        "availability" => only.availability = e.availability,
        "get_availability" => only.get_availability = e.get_availability,
        "put_availability" => only.put_availability = e.put_availability,
        "get_p99" => only.get_p99 = e.get_p99,
        "put_p99" => only.put_p99 = e.put_p99,
        "max_siblings" => only.max_siblings = e.max_siblings,
        "superseded_siblings" => only.superseded_siblings = e.superseded_siblings,
        "resurrections" => only.resurrections = e.resurrections,
        "lost_adds" => only.lost_adds = e.lost_adds,
        _ => return None,
    }
    Some(only)
}

pub fn drop_nemesis(s: &Scenario, target: &Target) -> Vec<Candidate> {
    if s.nemesis.is_none() {
        return Vec::new();
    }
    let mut small = s.clone();
    small.nemesis = None;
    vec![candidate(small, target, "removed the nemesis".to_string())]
}

/// One candidate per fault, without it.
pub fn remove_faults(s: &Scenario, target: &Target) -> Vec<Candidate> {
    (0..s.faults.len())
        .map(|i| {
            let mut small = s.clone();
            let gone = small.faults.remove(i);
            let change = format!("removed fault[{i}] ({})", describe_fault(&gone));
            candidate(small, target, change)
        })
        .collect()
}

/// One candidate per scripted op other than the target's, without it (and
/// without its client when that client has no other op).
pub fn remove_ops(s: &Scenario, target: &Target) -> Vec<Candidate> {
    let mut out = Vec::new();
    for i in 0..s.ops.len() {
        let new_target = match target {
            Target::OpReturns(t) if *t == i => continue,
            Target::OpReturns(t) if *t > i => Target::OpReturns(t - 1),
            other => other.clone(),
        };
        let mut small = s.clone();
        let gone = small.ops.remove(i);
        let client = s
            .named_clients
            .get(gone.client as usize)
            .cloned()
            .unwrap_or_default();
        let verb = match gone.kind {
            crate::scenario::ScriptedKind::Get => "get",
            crate::scenario::ScriptedKind::Put { .. } => "put",
            crate::scenario::ScriptedKind::Delete { .. } => "delete",
            crate::scenario::ScriptedKind::Update { .. } => "update",
        };
        drop_unused_clients(&mut small);
        let change = format!(
            "removed op[{i}] ({verb} {} by {client} at {})",
            gone.key, gone.at
        );
        out.push(Candidate {
            scenario: small,
            target: new_target,
            change,
        });
    }
    out
}

/// Named clients with no op left go, and the others are renumbered in
/// their order.
fn drop_unused_clients(s: &mut Scenario) {
    let used: Vec<bool> = (0..s.named_clients.len())
        .map(|c| s.ops.iter().any(|op| op.client as usize == c))
        .collect();
    let mut new_index = Vec::with_capacity(used.len());
    let mut next = 0u32;
    for &u in &used {
        new_index.push(next);
        if u {
            next += 1;
        }
    }
    for op in &mut s.ops {
        op.client = new_index.get(op.client as usize).copied().unwrap_or(0);
    }
    let mut keep = used.iter();
    s.named_clients
        .retain(|_| keep.next().copied().unwrap_or(false));
}

/// No generated workload at all: only the scripted ops are left.
pub fn drop_workload(s: &Scenario, target: &Target) -> Vec<Candidate> {
    if s.workload.is_none() {
        return Vec::new();
    }
    let mut small = s.clone();
    small.workload = None;
    vec![candidate(small, target, "removed the workload".to_string())]
}

/// Half the clients, half the keys, half the rate (down to one a second).
pub fn shrink_workload(s: &Scenario, target: &Target) -> Vec<Candidate> {
    let Some(w) = &s.workload else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if w.clients > 1 {
        let mut small = s.clone();
        let clients = w.clients / 2;
        if let Some(sw) = &mut small.workload {
            sw.clients = clients;
        }
        let change = format!("workload clients {} -> {clients}", w.clients);
        out.push(candidate(small, target, change));
    }
    if w.keys > 1 {
        let mut small = s.clone();
        let keys = w.keys / 2;
        if let Some(sw) = &mut small.workload {
            sw.keys = keys;
        }
        let change = format!("workload keys {} -> {keys}", w.keys);
        out.push(candidate(small, target, change));
    }
    if w.rate.per_second() >= 2.0 {
        let mut small = s.clone();
        let mut rate = w.rate;
        // Whole counts stay whole (`125/s -> 62/s`) so the file reads well.
        rate.count = if rate.count >= 2.0 {
            (rate.count / 2.0).floor()
        } else {
            rate.count / 2.0
        };
        if let Some(sw) = &mut small.workload {
            sw.rate = rate;
        }
        let change = format!("workload rate {} -> {rate}", w.rate);
        out.push(candidate(small, target, change));
    }
    out
}

/// The highest-numbered ring node gone, when nothing names it but the
/// seed list (and it is not the only seed). Spares above it move down one.
pub fn remove_highest_node(s: &Scenario, target: &Target) -> Vec<Candidate> {
    let nodes = s.cluster.nodes;
    if nodes <= 1 {
        return Vec::new();
    }
    let gone = NodeId(nodes - 1);
    if names_node(s, gone) {
        return Vec::new();
    }
    let mut small = s.clone();
    small.cluster.seeds.retain(|&seed| seed != gone);
    if small.cluster.seeds.is_empty() && !s.cluster.seeds.is_empty() {
        return Vec::new();
    }
    small.cluster.nodes = nodes - 1;
    if let Some((_, size)) = small.cluster.regions.last_mut() {
        *size = size.saturating_sub(1);
        if *size == 0 {
            small.cluster.regions.pop();
        }
    }
    renumber_above(&mut small, gone);
    vec![candidate(
        small,
        target,
        format!("removed node {gone} ({} nodes left)", nodes - 1),
    )]
}

/// Whether a fault, a scripted op or a link override names the node.
fn names_node(s: &Scenario, id: NodeId) -> bool {
    let mut named = false;
    let mut scenario = s.clone();
    visit_nodes(&mut scenario, |n| named |= *n == id);
    named
}

/// Ids above `gone` move down one (spares keep their order after the ring).
fn renumber_above(s: &mut Scenario, gone: NodeId) {
    visit_nodes(s, |n| {
        if n.0 > gone.0 {
            n.0 -= 1;
        }
    });
    for seed in &mut s.cluster.seeds {
        if seed.0 > gone.0 {
            seed.0 -= 1;
        }
    }
}

/// Every node id in faults, scripted ops and link overrides (not seeds).
fn visit_nodes(s: &mut Scenario, mut visit: impl FnMut(&mut NodeId)) {
    for link in &mut s.network.links {
        visit(&mut link.from);
        visit(&mut link.to);
    }
    for op in &mut s.ops {
        if let Some(via) = &mut op.via {
            visit(via);
        }
    }
    for fault in &mut s.faults {
        match &mut fault.action {
            FaultAction::Partition(groups) | FaultAction::Heal(groups) => {
                groups.iter_mut().flatten().for_each(&mut visit)
            }
            FaultAction::Bridge { left, right, via } => {
                left.iter_mut().chain(right.iter_mut()).for_each(&mut visit);
                visit(via);
            }
            FaultAction::Cut { from, to } => {
                visit(from);
                visit(to);
            }
            FaultAction::Isolate(n)
            | FaultAction::Crash(n)
            | FaultAction::Pause(n)
            | FaultAction::Resume(n)
            | FaultAction::Join(n)
            | FaultAction::Leave(n)
            | FaultAction::Restart { node: n, .. }
            | FaultAction::Skew { node: n, .. }
            | FaultAction::Forget { node: n, .. } => visit(n),
            FaultAction::HealAll
            | FaultAction::SplitMajority
            | FaultAction::Loss { .. }
            | FaultAction::Latency { .. } => {}
        }
    }
}

/// One replica fewer: N-1, with R and W capped at the new N. Fewer
/// replicas make a shorter story, and let `remove_highest_node` go below
/// the old N.
pub fn lower_replication(s: &Scenario, target: &Target) -> Vec<Candidate> {
    let r = &s.replication;
    if r.n <= 1 {
        return Vec::new();
    }
    let mut small = s.clone();
    let n = r.n - 1;
    small.replication.n = n;
    small.replication.r = r.r.min(n);
    small.replication.w = r.w.min(n);
    let q = &small.replication;
    let change = format!(
        "replication N={} R={} W={} -> N={} R={} W={}",
        r.n, r.r, r.w, q.n, q.r, q.w
    );
    vec![candidate(small, target, change)]
}

/// A read or write quorum one smaller: R-1, else W-1. A failure that
/// survives R=1 or W=1 did not need the quorum it had, and a story with
/// fewer replies awaited is shorter to read.
pub fn lower_quorum(s: &Scenario, target: &Target) -> Vec<Candidate> {
    let r = &s.replication;
    let mut out = Vec::new();
    if r.r > 1 {
        let mut small = s.clone();
        small.replication.r = r.r - 1;
        let change = format!("replication R={} -> R={}", r.r, r.r - 1);
        out.push(candidate(small, target, change));
    }
    if r.w > 1 {
        let mut small = s.clone();
        small.replication.w = r.w - 1;
        let change = format!("replication W={} -> W={}", r.w, r.w - 1);
        out.push(candidate(small, target, change));
    }
    out
}

/// Everything scripted happens sooner: the faults, the ops and the fault
/// windows' ends move earlier by half the quiet start before the first of
/// them, and the workload phase ends as much sooner, so the end keeps its
/// distance from the last fault.
pub fn start_sooner(s: &Scenario, target: &Target) -> Vec<Candidate> {
    let first = s
        .faults
        .iter()
        .map(|f| f.at)
        .chain(s.ops.iter().map(|o| o.at))
        .min();
    let Some(first) = first else {
        return Vec::new();
    };
    let sooner = half(first);
    let shift = SimTime(first.0 - sooner.0);
    // Below 20 ms the halves would read `7.5ms`: a start that early is
    // small enough.
    if first < SimTime::from_millis(20) || shift >= s.duration {
        return Vec::new();
    }
    let earlier = |t: &mut SimTime| *t = SimTime(t.0.saturating_sub(shift.0));
    let mut small = s.clone();
    for f in &mut small.faults {
        earlier(&mut f.at);
        match &mut f.action {
            FaultAction::Loss { until, .. } | FaultAction::Latency { until, .. } => earlier(until),
            _ => {}
        }
    }
    for op in &mut small.ops {
        earlier(&mut op.at);
    }
    earlier(&mut small.duration);
    let end = small.end();
    if let Some(nemesis) = &mut small.nemesis {
        earlier(&mut nemesis.heal_by);
        nemesis.heal_by = nemesis.heal_by.min(end);
    }
    let change = format!("first scripted event {first} -> {sooner}, the rest as much sooner");
    vec![candidate(small, target, change)]
}

/// Durations shorter than this are not halved further.
const SHORTEST: SimTime = SimTime::from_millis(1);

/// Half the workload phase; the nemesis heals by the new end at the latest.
pub fn halve_duration(s: &Scenario, target: &Target) -> Vec<Candidate> {
    if s.duration < SimTime(2 * SHORTEST.0) {
        return Vec::new();
    }
    let mut small = s.clone();
    small.duration = half(s.duration);
    let end = small.end();
    if let Some(nemesis) = &mut small.nemesis {
        nemesis.heal_by = nemesis.heal_by.min(end);
    }
    let change = format!("duration {} -> {}", s.duration, small.duration);
    vec![candidate(small, target, change)]
}

/// No quiet period at all, else half of it.
pub fn halve_quiesce(s: &Scenario, target: &Target) -> Vec<Candidate> {
    if s.quiesce == SimTime::ZERO {
        return Vec::new();
    }
    let mut out = Vec::new();
    for quiesce in [SimTime::ZERO, half(s.quiesce)] {
        if quiesce == SimTime::ZERO && !out.is_empty() {
            continue;
        }
        let mut small = s.clone();
        small.quiesce = quiesce;
        let end = small.end();
        if let Some(nemesis) = &mut small.nemesis {
            nemesis.heal_by = nemesis.heal_by.min(end);
        }
        let change = format!("quiesce {} -> {quiesce}", s.quiesce);
        out.push(candidate(small, target, change));
    }
    out
}

/// Half of `t`, rounded down to whole milliseconds (or microseconds) so
/// the written file stays readable: `125ms -> 62ms`, not `62.5ms`.
fn half(t: SimTime) -> SimTime {
    let h = t.0 / 2;
    let unit = if h >= 10 * SimTime::MS {
        SimTime::MS
    } else if h >= 10 * SimTime::US {
        SimTime::US
    } else {
        1
    };
    SimTime(h - h % unit)
}

/// `crash n2 at 20s`.
pub fn describe_fault(f: &crate::scenario::Fault) -> String {
    let list = |ids: &[NodeId]| {
        ids.iter()
            .map(NodeId::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let groups = |gs: &[Vec<NodeId>]| gs.iter().map(|g| list(g)).collect::<Vec<_>>().join(" | ");
    let what = match &f.action {
        FaultAction::Partition(gs) => format!("partition {}", groups(gs)),
        FaultAction::HealAll => "heal all".to_string(),
        FaultAction::Heal(gs) => format!("heal {}", groups(gs)),
        FaultAction::Isolate(n) => format!("isolate {n}"),
        FaultAction::Cut { from, to } => format!("cut {from}->{to}"),
        FaultAction::Bridge { left, right, via } => {
            format!("bridge {} | {} via {via}", list(left), list(right))
        }
        FaultAction::SplitMajority => "split majority".to_string(),
        FaultAction::Crash(n) => format!("crash {n}"),
        FaultAction::Restart { node, wipe_disk } => {
            format!("restart {node}{}", if *wipe_disk { " wiped" } else { "" })
        }
        FaultAction::Pause(n) => format!("pause {n}"),
        FaultAction::Resume(n) => format!("resume {n}"),
        FaultAction::Loss { probability, until } => format!("loss {probability} until {until}"),
        FaultAction::Latency { until, .. } => format!("latency until {until}"),
        FaultAction::Skew { node, offset_ns } => {
            format!("skew {node} by {}ms", *offset_ns as f64 / 1e6)
        }
        FaultAction::Join(n) => format!("join {n}"),
        FaultAction::Leave(n) => format!("leave {n}"),
        FaultAction::Forget { node, key } => format!("{node} forgets {key}"),
    };
    format!("{what} at {}", f.at)
}
