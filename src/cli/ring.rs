//! `dynsim ring`: a ring's layout and load balance, no run. Shows each
//! node's tokens and share of the key space it replicates, and the
//! load-balancing efficiency of Dynamo's Figure 8 (§6.2), for a cluster
//! taken from the scenario defaults, a scenario file, and flags; with
//! `--key`, where a key lives (its preference list, §4.3).

use super::{EXIT_BAD_INPUT, EXIT_HELD};
use crate::id::NodeId;
use crate::ring::{Layout, NodeSpec, Placement, Ring, RingSpec, Strategy, key_position};
use crate::scenario::Scenario;
use crate::scenario::defaults::{MAX_NODES, MAX_PARTITIONS, MAX_VNODES};
use serde::Serialize;
use serde::ser::SerializeMap;
use std::path::PathBuf;

/// The most preference-list entries (ranges × list length) the command
/// will precompute: about 128 MiB. Beyond it, say so rather than thrash.
use crate::ring::MAX_LIST_ENTRIES;

/// Width of the longest share bar, in characters.
const BAR_WIDTH: f64 = 30.0;

#[derive(clap::Args, Debug)]
pub struct RingArgs {
    /// A scenario file whose [cluster], replication.n and seed describe the
    /// ring; flags override it. Without one, the scenario defaults apply.
    file: Option<PathBuf>,
    /// S: nodes in the ring, n1..nS.
    #[arg(long, value_name = "S")]
    nodes: Option<u32>,
    /// T: tokens per node (strategies 1 and 2).
    #[arg(long, value_name = "T")]
    vnodes: Option<u32>,
    /// random-tokens | equal-partitions | q-over-s (Dynamo strategies 1-3).
    #[arg(long, value_name = "X", value_parser = parse_strategy)]
    strategy: Option<Strategy>,
    /// Q: equal partitions (strategies 2 and 3).
    #[arg(long, value_name = "Q")]
    partitions: Option<u32>,
    /// N: replicas per key.
    #[arg(long, value_name = "N")]
    n: Option<u32>,
    /// Seed of the random tokens and of strategy 3's shuffle.
    #[arg(long, value_name = "K")]
    seed: Option<u64>,
    /// clockwise | region-aware.
    #[arg(long, value_name = "P", value_parser = parse_placement)]
    placement: Option<Placement>,
    /// Show this key's preference list (its N replicas, then the
    /// fallbacks a sloppy quorum takes) instead of the table; repeatable.
    #[arg(long, value_name = "K")]
    key: Vec<String>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Also draw the shares and Dynamo's Figure 8 (efficiency against
    /// tokens per node, three strategies) into this SVG file.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
}

fn parse_strategy(text: &str) -> Result<Strategy, String> {
    Strategy::from_name(text).ok_or_else(|| {
        let names: Vec<&str> = Strategy::ALL.iter().map(|s| s.as_str()).collect();
        format!("expected one of {}", names.join(", "))
    })
}

fn parse_placement(text: &str) -> Result<Placement, String> {
    Placement::from_name(text).ok_or_else(|| {
        let names: Vec<&str> = Placement::ALL.iter().map(|p| p.as_str()).collect();
        format!("expected one of {}", names.join(", "))
    })
}

/// The ring the command shows: the spec, and each node's region name.
struct Setup {
    spec: RingSpec,
    nodes: Vec<NodeSpec>,
    region_names: Vec<String>,
}

pub fn ring(args: RingArgs) -> u8 {
    let scenario = match &args.file {
        Some(file) => match super::load(file, &[]) {
            Ok(s) => s,
            Err(code) => return code,
        },
        None => Scenario::with_defaults("ring"),
    };
    let setup = match setup(&scenario, &args) {
        Ok(s) => s,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_BAD_INPUT;
        }
    };
    let layout = Layout::initial(&setup.spec, &setup.nodes);
    let ring = layout.ring(&setup.spec);
    let keys: Vec<KeyPlace> = args.key.iter().map(|k| KeyPlace::new(k, &ring)).collect();
    if args.json {
        println!("{}", json(&setup, &layout, &ring, keys));
    } else if keys.is_empty() {
        print!("{}", table(&setup, &layout, &ring));
    } else {
        print!("{}", key_lines(&setup, &keys));
    }
    if let Some(file) = &args.svg {
        let svg =
            crate::report::charts::ring::ring_svg(&setup.spec, &ring.shares(), ring.efficiency());
        let written = svg
            .ok_or_else(|| "drawing failed".to_string())
            .and_then(|svg| std::fs::write(file, svg).map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("error: cannot write {}: {e}", file.display());
            return EXIT_BAD_INPUT;
        }
    }
    EXIT_HELD
}

/// The scenario's cluster with the flags applied, checked: a one-line
/// message for anything the ring cannot be built from.
fn setup(scenario: &Scenario, args: &RingArgs) -> Result<Setup, String> {
    let cluster = &scenario.cluster;
    let spec = RingSpec {
        strategy: args.strategy.unwrap_or(cluster.strategy),
        vnodes: args.vnodes.unwrap_or(cluster.vnodes),
        partitions: args.partitions.unwrap_or(cluster.partitions),
        placement: args.placement.unwrap_or(cluster.placement),
        n: args.n.unwrap_or(scenario.replication.n),
        seed: args.seed.unwrap_or(scenario.seed),
    };
    let nodes = args.nodes.unwrap_or(cluster.nodes);
    if !(1..=MAX_NODES).contains(&nodes) {
        return Err(format!(
            "nodes = {nodes}: a ring needs 1 to {MAX_NODES} nodes"
        ));
    }
    if !(1..=MAX_VNODES).contains(&spec.vnodes) {
        return Err(format!(
            "vnodes = {}: each node needs 1 to {MAX_VNODES} tokens",
            spec.vnodes
        ));
    }
    if !(1..=MAX_PARTITIONS).contains(&spec.partitions) {
        return Err(format!(
            "partitions = {}: Q must be 1 to {MAX_PARTITIONS}",
            spec.partitions
        ));
    }
    if spec.n == 0 || spec.n > nodes {
        return Err(format!(
            "n = {}: N must be 1 to {nodes}, the nodes in the ring",
            spec.n
        ));
    }
    if spec.strategy == Strategy::QOverS && spec.partitions < nodes {
        return Err(format!(
            "strategy q-over-s gives each node Q/S partitions, so partitions ({}) must be at least nodes ({nodes})",
            spec.partitions
        ));
    }
    let entries = crate::ring::precomputed_entries(&spec, nodes);
    if entries > MAX_LIST_ENTRIES {
        return Err(format!(
            "the ring would precompute {entries} preference-list entries (ranges x 2N), more than {MAX_LIST_ENTRIES}: use fewer vnodes or partitions, or a smaller n"
        ));
    }
    let (regions, region_names) = regions(scenario, nodes)?;
    let nodes = (0..nodes)
        .map(|i| NodeSpec {
            node: NodeId(i),
            region: regions[i as usize],
            weight: 1,
        })
        .collect();
    Ok(Setup {
        spec,
        nodes,
        region_names,
    })
}

/// Each node's region index, filled in order over n1.. as a scenario's
/// `regions` says, and the region names; one region `default` without.
fn regions(scenario: &Scenario, nodes: u32) -> Result<(Vec<u32>, Vec<String>), String> {
    let listed = &scenario.cluster.regions;
    if listed.is_empty() {
        return Ok((vec![0; nodes as usize], vec!["default".to_string()]));
    }
    let total: u64 = listed.iter().map(|(_, size)| u64::from(*size)).sum();
    if total != u64::from(nodes) {
        return Err(format!(
            "nodes = {nodes} does not match the file's regions, which hold {total} nodes"
        ));
    }
    let index = crate::net::topology::region_indices(&scenario.cluster, nodes);
    let names = listed.iter().map(|(name, _)| name.clone()).collect();
    Ok((index, names))
}

/// What the metadata counts, for the text output.
fn metadata_unit(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::RandomTokens => "tokens (S x T)",
        Strategy::EqualPartitions => "tokens (S x T), placing Q equal partitions",
        Strategy::QOverS => "tokens (the Q partition boundaries)",
    }
}

fn table(setup: &Setup, layout: &Layout, ring: &Ring) -> String {
    let spec = &setup.spec;
    let mut out = String::new();
    let per_node = match spec.strategy {
        Strategy::QOverS => format!("Q={} partitions", spec.partitions),
        Strategy::EqualPartitions => {
            format!(
                "T={} tokens per node, Q={} partitions",
                spec.vnodes, spec.partitions
            )
        }
        Strategy::RandomTokens => format!("T={} tokens per node", spec.vnodes),
    };
    out += &format!(
        "ring: {} nodes, strategy {}, {per_node}, N={}, placement {}, seed {}\n\n",
        setup.nodes.len(),
        spec.strategy.as_str(),
        spec.n,
        spec.placement.as_str(),
        spec.seed
    );
    let shares = ring.shares();
    let max = shares.iter().map(|s| s.1).fold(0.0, f64::max);
    let owned = if spec.strategy == Strategy::QOverS {
        "partitions"
    } else {
        "tokens"
    };
    out += &format!(
        "node   region        {owned:>10}   share   (of the key space each node replicates)\n"
    );
    for (member, (node, share)) in layout.members().iter().zip(&shares) {
        let region = &setup.region_names[member.spec.region as usize];
        let bar = if max > 0.0 {
            "#".repeat((share / max * BAR_WIDTH).round() as usize)
        } else {
            String::new()
        };
        out += &format!(
            "{:<6} {:<13} {:>10}  {share:.4}  {bar}\n",
            node.to_string(),
            region,
            member.tokens.len()
        );
    }
    let ideal = f64::from(spec.n) / setup.nodes.len() as f64;
    out += &format!(
        "\nshares sum to N = {}; a perfectly balanced node would hold {ideal:.4}\n",
        spec.n
    );
    out += &format!(
        "efficiency (mean share / max share, Dynamo Figure 8): {:.4}\n",
        ring.efficiency()
    );
    out += &format!(
        "metadata: {} {}\n",
        layout.token_count(),
        metadata_unit(spec.strategy)
    );
    out
}

/// Where a key lives: the same hash and ring a run uses, so `via` and
/// faults can be chosen before a scenario is written.
#[derive(Serialize)]
struct KeyPlace {
    key: String,
    /// The key's position on the ring (the first 8 bytes of its MD5).
    position: u64,
    /// Its N replicas, the coordinator first.
    replicas: Vec<String>,
    /// Where a sloppy quorum goes next, in order, when replicas are down.
    fallbacks: Vec<String>,
}

impl KeyPlace {
    fn new(key: &str, ring: &Ring) -> KeyPlace {
        let position = key_position(key.as_bytes());
        let list = ring.preference_list(position);
        let n = ring.replicas(position).len();
        let names = |nodes: &[NodeId]| nodes.iter().map(NodeId::to_string).collect();
        KeyPlace {
            key: key.to_string(),
            position,
            replicas: names(&list[..n]),
            fallbacks: names(&list[n..]),
        }
    }
}

fn key_lines(setup: &Setup, keys: &[KeyPlace]) -> String {
    let spec = &setup.spec;
    let mut out = format!(
        "ring: {} nodes, strategy {}, N={}, placement {}, seed {}\n",
        setup.nodes.len(),
        spec.strategy.as_str(),
        spec.n,
        spec.placement.as_str(),
        spec.seed
    );
    for place in keys {
        let fallbacks = match place.fallbacks.is_empty() {
            true => "none (every node is a replica)".to_string(),
            false => place.fallbacks.join(", "),
        };
        out += &format!(
            "key {}: replicas {} (coordinator {}); sloppy-quorum fallbacks {fallbacks}\n",
            place.key,
            place.replicas.join(", "),
            place.replicas.first().map_or("none", String::as_str),
        );
    }
    out
}

/// Shares as a JSON object in node order (not sorted by name, where n10
/// would come before n2).
struct Shares(Vec<(String, f64)>);

impl Serialize for Shares {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (node, share) in &self.0 {
            map.serialize_entry(node, share)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct Report {
    nodes: usize,
    vnodes: u32,
    strategy: &'static str,
    partitions: u32,
    n: u32,
    seed: u64,
    placement: &'static str,
    /// Metadata size: tokens stored in the ring.
    tokens: u64,
    shares: Shares,
    efficiency: f64,
    /// The `--key` arguments' preference lists; absent without one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    keys: Vec<KeyPlace>,
}

fn json(setup: &Setup, layout: &Layout, ring: &Ring, keys: Vec<KeyPlace>) -> String {
    let spec = &setup.spec;
    let report = Report {
        nodes: setup.nodes.len(),
        vnodes: spec.vnodes,
        strategy: spec.strategy.as_str(),
        partitions: spec.partitions,
        n: spec.n,
        seed: spec.seed,
        placement: spec.placement.as_str(),
        tokens: layout.token_count(),
        shares: Shares(
            ring.shares()
                .into_iter()
                .map(|(node, share)| (node.to_string(), share))
                .collect(),
        ),
        efficiency: ring.efficiency(),
        keys,
    };
    // Serializing plain numbers and strings cannot fail.
    serde_json::to_string(&report).unwrap_or_default()
}
