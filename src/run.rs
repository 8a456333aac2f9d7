//! One run of a scenario, from the typed scenario to its results: builds the
//! names, nodes and clients, drives the event loop to the end, and collects
//! what the checkers and the report need.

use crate::actor::OpKind;
use crate::check::history::History;
use crate::check::membership::{self, Observed, Truth};
use crate::client::driver::{ClientSetup, ScriptResult, ScriptStep, StoreClient};
use crate::client::workload::WorkloadGen;
use crate::id::{ClientId, Key, Names, NodeId, ValueId};
use crate::metrics::RunMetrics;
use crate::net::topology::region_indices;
use crate::node::{Config, Directory, DynamoNode, NodeStats};
use crate::ring::{Layout, NodeSpec, key_position};
use crate::scenario::{FaultAction, PutContext, Scenario, ScriptedKind};
use crate::sim::Life;
use crate::sim::rng::{Stream, stream};
use crate::sim::{FaultOrigin, Sim};
use crate::time::SimTime;
use crate::trace::Tracer;
use std::collections::BTreeMap;
use std::sync::Arc;

pub type World = Sim<DynamoNode, StoreClient>;

/// The display names of a scenario's keys, values and clients.
pub fn names(scenario: &Scenario) -> Names {
    let mut names = Names {
        workload_keys: scenario.workload.as_ref().map_or(0, |w| w.keys),
        ..Names::default()
    };
    names.clients = scenario.named_clients.clone();
    if let Some(w) = &scenario.workload {
        let offset = names.clients.len() as u32;
        names
            .clients
            .extend((0..w.clients).map(|i| format!("c{}", offset + i + 1)));
    }
    for op in &scenario.ops {
        names.intern_key(&op.key);
        if let ScriptedKind::Put { value, .. } = &op.kind {
            names.value_labels.push(value.clone());
        }
    }
    names
}

/// The initial ring view (the first `cluster.nodes` nodes; spares join
/// later) and the positions of every key the run names.
pub fn directory(scenario: &Scenario, names: &Names) -> Directory {
    let spec = scenario.ring_spec();
    let regions = region_indices(&scenario.cluster, scenario.total_nodes());
    let members: Vec<NodeSpec> = (0..scenario.cluster.nodes)
        .map(|i| NodeSpec {
            node: NodeId(i),
            region: regions[i as usize],
            weight: 1,
        })
        .collect();
    let ring = Layout::initial(&spec, &members).ring(&spec);
    let keys = names.workload_keys as usize + names.named_keys.len();
    let positions: Arc<[u64]> = (0..keys)
        .map(|k| key_position(names.key(Key(k as u32)).as_bytes()))
        .collect();
    let member_ids: Arc<[NodeId]> = members.iter().map(|m| m.node).collect();
    Directory::new(Arc::new(ring), positions, member_ids)
}

/// Builds the world of a scenario, ready to run.
pub fn build(scenario: &Scenario, mut trace: Tracer) -> World {
    let mut names = names(scenario);
    let members = scenario.cluster.nodes;
    let directory = directory(scenario, &names);
    let config = Arc::new(Config::from_scenario(scenario));
    let nodes = (0..scenario.total_nodes())
        .map(|i| {
            let rng = stream(scenario.seed, Stream::Node(i));
            DynamoNode::new(NodeId(i), config.clone(), directory.clone(), rng)
        })
        .collect();

    // Named clients sit beside n1, n2, ... in order of appearance; workload
    // client i beside n((i mod nodes) + 1).
    let named = scenario.named_clients.len() as u32;
    let generated = scenario.workload.as_ref().map_or(0, |w| w.clients);
    let home = |i: u32| {
        let rank = if i < named { i } else { i - named };
        NodeId(rank % members)
    };
    let mut scripts: Vec<Vec<ScriptStep>> = vec![Vec::new(); (named + generated) as usize];
    let mut labelled = 0u32;
    for (index, op) in scenario.ops.iter().enumerate() {
        let key = names.intern_key(&op.key);
        let (kind, value, context) = match &op.kind {
            ScriptedKind::Get => (OpKind::Get, None, PutContext::None),
            ScriptedKind::Put { context, .. } => {
                labelled += 1;
                (OpKind::Put, Some(ValueId::scripted(labelled - 1)), *context)
            }
        };
        scripts[op.client as usize].push(ScriptStep {
            index: index as u32,
            at: op.at,
            kind,
            key,
            value,
            via: op.via,
            context,
        });
    }
    let clients: Vec<StoreClient> = scripts
        .into_iter()
        .enumerate()
        .map(|(i, script)| {
            let i = i as u32;
            let setup = ClientSetup {
                id: ClientId(i),
                home: home(i),
                directory: directory.clone(),
                suspect_for: scenario.replication.suspect_for,
                balancer: scenario
                    .workload
                    .as_ref()
                    .map_or(crate::scenario::Balancer::PartitionAware, |w| w.balancer),
                timeout: scenario.replication.request_timeout,
                workload_end: scenario.duration,
            };
            let workload = scenario
                .workload
                .as_ref()
                .filter(|_| i >= named)
                .map(WorkloadGen::new);
            StoreClient::new(
                setup,
                workload,
                script,
                stream(scenario.seed, Stream::Client(i)),
            )
        })
        .collect();
    let homes = (0..named + generated).map(home).collect();
    trace.set_names(names);
    Sim::new(scenario, nodes, clients, homes, trace)
}

/// What a finished run hands to the checkers and the report.
#[derive(Clone, Debug)]
pub struct RunOutput {
    pub metrics: RunMetrics,
    pub script_results: Vec<ScriptResult>,
    pub names: Names,
    pub shed: u64,
    pub late_replies: u64,
    pub faults_from_nemesis: usize,
    pub trace_lines: u64,
    /// Every operation, invoked and completed.
    pub history: History,
    /// What the nodes did, summed over nodes.
    pub nodes: NodeStats,
    /// Per key, the values stored anywhere at the end (every node's
    /// durable and in-memory store, hints included), sorted.
    pub final_values: BTreeMap<Key, Vec<ValueId>>,
    /// What gossip did and how well it knew the truth; `None` with gossip
    /// off.
    pub membership: Option<MembershipOutput>,
}

/// The membership figures of a run with gossip on.
#[derive(Clone, Debug)]
pub struct MembershipOutput {
    pub figures: membership::Figures,
    /// Gossip messages and bytes sent, over all nodes.
    pub gossip_messages: u64,
    pub gossip_bytes: u64,
    /// Seconds each node spent in the cluster, summed: the divisor of the
    /// per-node-per-second rates.
    pub node_seconds: f64,
}

/// Reads the membership figures off a finished world.
fn membership_output(scenario: &Scenario, world: &World) -> Option<MembershipOutput> {
    if !scenario.gossip.enabled {
        return None;
    }
    let total = scenario.total_nodes();
    let truth = Truth::new(scenario.cluster.nodes, total, world.lifecycle());
    let mut observed: Vec<Observed> = world
        .nodes()
        .flat_map(|n| truth.observed(crate::actor::Node::id(n), n.member_events()))
        .collect();
    observed.sort_by_key(|o| (o.at, o.observer));
    let leaves: Vec<(SimTime, NodeId)> = world
        .fault_schedule()
        .iter()
        .filter_map(|(f, _)| match f.action {
            FaultAction::Leave(n) if truth.status(n, f.at) == crate::sim::Status::Up => {
                Some((f.at, n))
            }
            _ => None,
        })
        .collect();
    let end = world.now();
    let figures = membership::figures(&truth, &observed, &leaves, total, end);
    let (mut gossip_messages, mut gossip_bytes) = (0, 0);
    for g in world.nodes().filter_map(DynamoNode::gossip) {
        gossip_messages += g.sent_messages();
        gossip_bytes += g.sent_bytes();
    }
    let node_seconds = (0..total)
        .map(|i| {
            let id = NodeId(i);
            // Time in the cluster: from time zero or the join, to the leave
            // or the end (crashed time included: it is still a member).
            let mut from = (i < scenario.cluster.nodes).then_some(SimTime::ZERO);
            let mut span = SimTime::ZERO;
            for e in world.lifecycle().iter().filter(|e| e.node == id) {
                match e.change {
                    Life::Status(crate::sim::Status::Up) if from.is_none() => from = Some(e.at),
                    Life::Status(crate::sim::Status::Left) => {
                        span += e.at - from.take().unwrap_or(e.at);
                    }
                    _ => {}
                }
            }
            if let Some(from) = from {
                span += end - from;
            }
            span.0 as f64 / 1e9
        })
        .sum();
    Some(MembershipOutput {
        figures,
        gossip_messages,
        gossip_bytes,
        node_seconds,
    })
}

/// Per key, every value any node holds at the end, replica or hint, on
/// disk (a crashed node's disk included: it comes back with it).
fn final_values(world: &World) -> BTreeMap<Key, Vec<ValueId>> {
    let mut held: BTreeMap<Key, Vec<ValueId>> = BTreeMap::new();
    for node in world.nodes() {
        for (key, values) in node.store().values_held() {
            held.entry(key).or_default().extend(values);
        }
    }
    for values in held.values_mut() {
        values.sort_unstable();
        values.dedup();
    }
    held
}

/// Collects the results of a finished world.
pub fn output(scenario: &Scenario, world: &mut World) -> RunOutput {
    let mut nodes = NodeStats::default();
    for node in world.nodes() {
        nodes.add(node.stats());
    }
    let mut script_results: Vec<ScriptResult> = world
        .clients()
        .iter()
        .flat_map(|c| c.script_results().iter().cloned())
        .collect();
    script_results.sort_by_key(|r| r.index);
    RunOutput {
        metrics: world.metrics().clone(),
        script_results,
        names: names(scenario),
        shed: world.clients().iter().map(StoreClient::shed).sum(),
        late_replies: world.clients().iter().map(StoreClient::late_replies).sum(),
        faults_from_nemesis: world
            .fault_schedule()
            .iter()
            .filter(|(_, o)| *o == FaultOrigin::Nemesis)
            .count(),
        trace_lines: world.trace_lines(),
        nodes,
        final_values: final_values(world),
        membership: membership_output(scenario, world),
        history: world.take_history(),
    }
}

/// Builds, runs to the end and collects, with no progress reporting.
pub fn run(scenario: &Scenario, trace: Tracer) -> std::io::Result<RunOutput> {
    let mut world = build(scenario, trace);
    world.run();
    world.finish_trace()?;
    Ok(output(scenario, &mut world))
}
