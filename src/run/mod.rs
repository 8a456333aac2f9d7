//! One run of a scenario, from the typed scenario to its results: builds the
//! names, nodes and clients, drives the event loop to the end (sampling
//! figures over time on the way, in [`observe`]), and collects what the
//! checkers and the report need.

mod configure;
mod cuts;
pub use configure::{cluster_plan, node_config};
pub use cuts::network_cuts;
pub mod disk_loss;
mod membership;
pub mod observe;
mod reaps;

use crate::actor::OpKind;
use crate::check::durability::DiskLoss;
use crate::check::history::History;
use crate::client::driver::{ClientSetup, ScriptResult, ScriptStep, StoreClient};
use crate::client::workload::WorkloadGen;
use crate::id::{ClientId, Key, Names, NodeId, ValueId};
use crate::metrics::RunMetrics;
use crate::node::{Config, DeliberateBug, Directory, DynamoNode, MerkleExchange, NodeStats};
use crate::ring::{Layout, NodeSpec, key_position};
use crate::scenario::FaultAction;
use crate::scenario::{Fault, PutContext, Scenario, ScriptedKind};
use crate::sim::rng::{Stream, stream};
use crate::sim::{FaultOrigin, Sim};
use crate::time::SimTime;
use crate::timeline::{LifeEvent, NetworkCut};
use crate::trace::Tracer;
use std::collections::BTreeMap;
use std::sync::Arc;

pub use disk_loss::DiskLossRecorder;
pub use membership::MembershipOutput;
pub use observe::{Observations, Observer};

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
    // Generated updates' elements first, so `e<i>` is element i.
    let generated_elements = scenario
        .workload
        .as_ref()
        .is_some_and(|w| w.mix_update > 0.0)
        && scenario.values.value_type.has_elements();
    if generated_elements {
        for i in 0..crate::client::workload::GENERATED_ELEMENTS {
            names.intern_element(&format!("e{i}"));
        }
    }
    for op in &scenario.ops {
        names.intern_key(&op.key);
        match &op.kind {
            ScriptedKind::Put { value, .. } => names.value_labels.push(value.clone()),
            ScriptedKind::Update { add, remove, .. } => {
                for element in add.iter().chain(remove) {
                    names.intern_element(element);
                }
            }
            _ => {}
        }
    }
    for f in &scenario.faults {
        if let FaultAction::Forget { key, .. } = &f.action {
            names.intern_key(key);
        }
    }
    names
}

/// Every node of a scenario as the ring knows it, members then spares,
/// each with its region.
pub fn node_specs(scenario: &Scenario) -> Vec<NodeSpec> {
    cluster_plan(scenario).nodes
}

/// The ring position of every key the run names, by key index.
pub fn key_positions(names: &Names) -> Arc<[u64]> {
    let keys = names.workload_keys as usize + names.named_keys.len();
    (0..keys)
        .map(|k| key_position(names.key(Key(k as u32)).as_bytes()))
        .collect()
}

/// The initial ring view (the first `cluster.nodes` nodes; spares join
/// later) and the positions of every key the run names.
pub fn directory(scenario: &Scenario, names: &Names) -> Directory {
    let spec = scenario.ring_spec();
    let mut members = node_specs(scenario);
    members.truncate(scenario.cluster.nodes as usize);
    let ring = Layout::initial(&spec, &members).ring(&spec);
    let member_ids: Arc<[NodeId]> = members.iter().map(|m| m.node).collect();
    Directory::new(Arc::new(ring), key_positions(names), member_ids)
}

/// Builds the world of a scenario, ready to run.
pub fn build(scenario: &Scenario, trace: Tracer) -> World {
    build_with_bug(scenario, trace, None)
}

/// [`build`], with a bug planted in every node on purpose (tests that show
/// the checkers catch it, and `dynsim run --deliberate-bug` to replay them).
pub fn build_with_bug(scenario: &Scenario, mut trace: Tracer, bug: Option<DeliberateBug>) -> World {
    // A counterexample of `dynsim check` (its `[check] schedule` set) runs
    // the explorer's execution step by step, over nodes configured as the
    // explorer's. The command line and `run_with_bug` refuse a schedule
    // that is no whole execution before they get here.
    let script = crate::explore::script(scenario, bug)
        .unwrap_or_else(|e| panic!("check.schedule, unchecked by the caller: {e}"));
    let names = names(scenario);
    let directory = directory(scenario, &names);
    let config = match script {
        Some(_) => crate::explore::node_config(scenario, bug),
        None => Config {
            deliberate_bug: bug,
            ..node_config(scenario)
        },
    };
    let nodes = nodes(scenario, config, &directory);
    let clients = clients(scenario, &directory);
    let homes = (0..clients.len() as u32)
        .map(|i| client_home(scenario, i))
        .collect();
    trace.set_names(names);
    let mut world = Sim::new(scenario, nodes, clients, homes, trace);
    if let Some(script) = script {
        world.follow(script);
    }
    world
}

/// Every node of a scenario (members, then spares), configured by
/// `config`, each with its own random stream: the event loop's and
/// `dynsim check`'s nodes are built here alike.
pub fn nodes(scenario: &Scenario, config: Config, directory: &Directory) -> Vec<DynamoNode> {
    let config = Arc::new(config);
    (0..scenario.total_nodes())
        .map(|i| {
            let rng = stream(scenario.seed, Stream::Node(i));
            DynamoNode::new(NodeId(i), config.clone(), directory.clone(), rng)
        })
        .collect()
}

/// The node client `i` sits beside: named clients beside n1, n2, ... in
/// order of appearance; workload client i beside n((i mod nodes) + 1).
fn client_home(scenario: &Scenario, i: u32) -> NodeId {
    let named = scenario.named_clients.len() as u32;
    let rank = if i < named { i } else { i - named };
    NodeId(rank % scenario.cluster.nodes)
}

/// Every client of a scenario, named ones (with their scripts) first,
/// then the workload's.
pub fn clients(scenario: &Scenario, directory: &Directory) -> Vec<StoreClient> {
    let mut names = names(scenario);
    let named = scenario.named_clients.len() as u32;
    let generated = scenario.workload.as_ref().map_or(0, |w| w.clients);
    let mut scripts: Vec<Vec<ScriptStep>> = vec![Vec::new(); (named + generated) as usize];
    let mut labelled = 0u32;
    for (index, op) in scenario.ops.iter().enumerate() {
        let key = names.intern_key(&op.key);
        let mut update = None;
        let (kind, value, context) = match &op.kind {
            ScriptedKind::Get => (OpKind::Get, None, PutContext::None),
            // A get first; the put follows with the read's context.
            ScriptedKind::Update { add, remove, delta } => {
                let mut elements = |list: &[String]| -> Vec<crate::value::Element> {
                    list.iter().map(|e| names.intern_element(e)).collect()
                };
                update = Some(crate::value::Change::new(
                    elements(add),
                    elements(remove),
                    *delta,
                ));
                (OpKind::Get, None, PutContext::None)
            }
            ScriptedKind::Put { context, .. } => {
                labelled += 1;
                (OpKind::Put, Some(ValueId::scripted(labelled - 1)), *context)
            }
            // The tombstone's id is the delete's op id, known at invoke.
            ScriptedKind::Delete { context } => (OpKind::Put, None, *context),
        };
        scripts[op.client as usize].push(ScriptStep {
            index: index as u32,
            at: op.at,
            kind,
            key,
            value,
            via: op.via,
            context,
            delete: matches!(op.kind, ScriptedKind::Delete { .. }),
            update,
        });
    }
    scripts
        .into_iter()
        .enumerate()
        .map(|(i, script)| {
            let i = i as u32;
            let setup = ClientSetup {
                id: ClientId(i),
                home: client_home(scenario, i),
                directory: directory.clone(),
                suspect_for: scenario.replication.suspect_for,
                balancer: scenario
                    .workload
                    .as_ref()
                    .map_or(crate::scenario::Balancer::PartitionAware, |w| w.balancer),
                timeout: scenario.replication.request_timeout,
                workload_end: scenario.duration,
                value_type: scenario.values.value_type,
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
        .collect()
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
    /// `(sample time, divergent keys)` every `metrics.sample_interval` and
    /// at the end (see [`observe`]).
    pub divergence: Vec<(SimTime, u64)>,
    /// The first keys still divergent at the end, each live replica's
    /// values.
    pub divergent_at_end: Vec<crate::check::convergence::DivergentKey>,
    /// When the last fault that ends a disruption took effect (0 without
    /// one); see [`crate::check::convergence::last_heal`].
    pub last_heal: SimTime,
    /// What gossip did and how well it knew the truth; `None` with gossip
    /// off.
    pub membership: Option<MembershipOutput>,
    /// Every instant at which restarts wiped disks, with what the wiped
    /// nodes and the others held just before, for the durability checker.
    pub disk_losses: Vec<DiskLoss>,
    /// `(when, node)` of every restart that wiped a disk (the nodes of
    /// `disk_losses`), in time order.
    pub wiping_restarts: Vec<(SimTime, NodeId)>,
    /// The fault schedule as run: the file's and the nemesis's faults, in
    /// time order (for the charts' fault windows).
    pub faults: Vec<Fault>,
    /// When the network was cut, replayed from `faults` (see [`cuts`]).
    pub network_cuts: Vec<NetworkCut>,
    /// Every node's status and clock changes, in time order.
    pub lifecycle: Vec<LifeEvent>,
    /// How long a full anti-entropy pass takes at the slowest node of the
    /// initial ring (`node::full_pass`); `None` with anti-entropy off.
    pub anti_entropy_full_pass: Option<SimTime>,
    /// Every finished Merkle exchange, node by node, each node's in the
    /// order they ended.
    pub merkle_exchanges: Vec<MerkleExchange>,
}

/// Per key, every value any of `nodes` holds at the end, replica or hint,
/// on disk (a crashed node's disk included: it comes back with it), and
/// every tombstone a node reaped: a reaped key reads as deleted, so its
/// tombstone counts as present (it still supersedes what it deleted).
/// `dynsim check` judges each explored execution by this too, so a check
/// file and its `dynsim run` replay count the same lost writes.
pub fn final_values<'a>(
    nodes: impl IntoIterator<Item = &'a DynamoNode>,
) -> BTreeMap<Key, Vec<ValueId>> {
    let mut held: BTreeMap<Key, Vec<ValueId>> = BTreeMap::new();
    for node in nodes {
        for (key, values) in node.store().values_held() {
            held.entry(key).or_default().extend(values);
        }
        for reaped in node.reaped() {
            held.entry(reaped.key).or_default().extend(&reaped.values);
        }
    }
    for values in held.values_mut() {
        values.sort_unstable();
        values.dedup();
    }
    held
}

/// Collects the results of a finished world and what [`drive`] observed.
pub fn output(scenario: &Scenario, world: &mut World, observed: Observations) -> RunOutput {
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
        final_values: final_values(world.nodes()),
        membership: membership::membership_output(scenario, world, observed.views_differ),
        history: reaps::history_with_reaps(world.take_history(), world),
        divergence: observed.divergence,
        divergent_at_end: observed.divergent_at_end,
        last_heal: crate::check::convergence::last_heal(
            world.fault_schedule().iter().map(|(f, _)| f),
        ),
        wiping_restarts: observed
            .disk_losses
            .iter()
            .flat_map(|l| l.nodes.iter().map(|&n| (l.at, n)))
            .collect(),
        disk_losses: observed.disk_losses,
        faults: world
            .fault_schedule()
            .iter()
            .map(|(f, _)| f.clone())
            .collect(),
        network_cuts: network_cuts(
            world.fault_schedule().iter().map(|(f, _)| f),
            (scenario.cluster.nodes, scenario.total_nodes()),
        ),
        lifecycle: world.lifecycle().to_vec(),
        anti_entropy_full_pass: scenario.anti_entropy.enabled.then(|| {
            let ae = &scenario.anti_entropy;
            crate::node::full_pass(
                directory(scenario, &names(scenario)).ring(),
                scenario.replication.n as usize,
                ae.interval,
                ae.ranges_per_exchange,
            )
        }),
        merkle_exchanges: world
            .nodes()
            .flat_map(|n| n.merkle_exchanges().iter().copied())
            .collect(),
    }
}

/// Runs the world to its end, in slices: up to each sample time (0 and
/// every `metrics.sample_interval` after), where the [`Observer`] samples it, up
/// to a nanosecond before each restart that wipes a disk, where the
/// [`DiskLossRecorder`] reads what it takes, and up to each multiple of `step`; `on_slice` is called after every slice (a
/// progress bar; `step = SimTime::MAX` cuts no extra slices). A last
/// sample is taken at the end. Slicing and sampling only read the world, so
/// the run is the same whatever the interval and step. The one driver of
/// a run: [`run`] and the CLI both come here.
pub fn drive(
    scenario: &Scenario,
    world: &mut World,
    step: SimTime,
    mut on_slice: impl FnMut(&World),
) -> Observations {
    let mut observer = Observer::new(scenario, world);
    let mut disk_losses = DiskLossRecorder::new(scenario, world);
    let end = world.end();
    let interval = observer.interval().max(SimTime(1));
    let step = step.max(SimTime(1));
    let (mut next_sample, mut next_tick) = (SimTime::ZERO, step);
    while !world.is_finished() {
        let until = next_sample.min(next_tick).min(disk_losses.next_stop());
        world.run_until(until);
        if until == disk_losses.next_stop() {
            disk_losses.record(world);
        }
        if until == next_sample && next_sample < end {
            observer.sample(world, next_sample);
            next_sample += interval;
        }
        if until == next_tick {
            next_tick += step;
        }
        on_slice(world);
        if until == SimTime::MAX {
            break; // nothing left to run
        }
    }
    observer.sample(world, end);
    Observations {
        disk_losses: disk_losses.finish(),
        ..observer.finish(world, end)
    }
}

/// Builds, runs to the end and collects, with no progress reporting.
pub fn run(scenario: &Scenario, trace: Tracer) -> std::io::Result<RunOutput> {
    run_with_bug(scenario, trace, None)
}

/// [`run`] with a deliberate bug planted (see [`build_with_bug`]).
pub fn run_with_bug(
    scenario: &Scenario,
    trace: Tracer,
    bug: Option<DeliberateBug>,
) -> std::io::Result<RunOutput> {
    // A schedule the scenario (varied by a sweep or a shrink) no longer
    // fits is an error here, where `build` would panic.
    crate::explore::script(scenario, bug)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let mut world = build_with_bug(scenario, trace, bug);
    let observed = drive(scenario, &mut world, SimTime::MAX, |_| {});
    world.finish_trace()?;
    Ok(output(scenario, &mut world, observed))
}
