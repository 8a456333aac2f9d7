//! One run of a scenario, from the typed scenario to its results: builds the
//! names, nodes and clients, drives the event loop to the end, and collects
//! what the checkers and the report need.

use crate::actor::OpKind;
use crate::check::history::History;
use crate::client::driver::{ClientSetup, ScriptResult, ScriptStep, StoreClient};
use crate::client::workload::WorkloadGen;
use crate::id::{ClientId, Key, Names, NodeId, ValueId};
use crate::metrics::RunMetrics;
use crate::node::StandInNode;
use crate::scenario::{Scenario, ScriptedKind};
use crate::sim::rng::{Stream, stream};
use crate::sim::{FaultOrigin, Sim};
use crate::trace::Tracer;
use std::collections::BTreeMap;

pub type World = Sim<StandInNode, StoreClient>;

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

/// Builds the world of a scenario, ready to run.
pub fn build(scenario: &Scenario, mut trace: Tracer) -> World {
    let mut names = names(scenario);
    let members = scenario.cluster.nodes;
    let nodes = (0..scenario.total_nodes())
        .map(|i| StandInNode::new(NodeId(i), members))
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
        let (kind, value) = match &op.kind {
            ScriptedKind::Get => (OpKind::Get, None),
            ScriptedKind::Put { .. } => {
                labelled += 1;
                (OpKind::Put, Some(ValueId::scripted(labelled - 1)))
            }
        };
        scripts[op.client as usize].push(ScriptStep {
            index: index as u32,
            at: op.at,
            kind,
            key,
            value,
            via: op.via,
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
                members,
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
    /// Per key, the values stored anywhere at the end (every node's
    /// durable and in-memory store, hints included), sorted.
    pub final_values: BTreeMap<Key, Vec<ValueId>>,
}

/// Collects the results of a finished world.
pub fn output(scenario: &Scenario, world: &World) -> RunOutput {
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
        history: History::new(),
        final_values: BTreeMap::new(),
    }
}

/// Builds, runs to the end and collects, with no progress reporting.
pub fn run(scenario: &Scenario, trace: Tracer) -> std::io::Result<RunOutput> {
    let mut world = build(scenario, trace);
    world.run();
    world.finish_trace()?;
    Ok(output(scenario, &world))
}
