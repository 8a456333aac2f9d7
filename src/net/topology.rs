//! Where each node sits (region, rack) and which latency distribution each
//! directed link draws from.
//!
//! The Dynamo paper (section 4.6) places replicas "across multiple data
//! centers" connected by high-speed links, and section 6 reports that
//! latencies depend on whether a request stays inside a data center. The
//! simulator keeps three link classes of that hierarchy — same rack, same
//! region on another rack, another region — plus the scenario's per-link
//! overrides.
//!
//! Layout: `cluster.regions` is filled in order over `n1..` (no regions:
//! one region `default` holding every node; nodes beyond the listed sizes,
//! the spares, join the last region). Inside a region, nodes are dealt to
//! `cluster.racks` racks in turn.
//!
//! The hot path (one lookup per message) reads a dense `total_nodes²` byte
//! matrix of sampler indices; the petgraph view is derived from the same
//! data on first request, for pictures and analysis.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use petgraph::Graph;

use crate::id::NodeId;
use crate::net::dist::Sampler;
use crate::scenario::{Cluster, Dist, Network};

/// The region given to every node when the cluster names none.
pub const DEFAULT_REGION: &str = "default";

/// The most distinct latency distributions the dense matrix can index: its
/// entries are bytes, and three are taken by the link classes.
pub const MAX_DISTINCT_OVERRIDES: usize = u8::MAX as usize + 1 - FIRST_OVERRIDE_SAMPLER;

const SAME_RACK_SAMPLER: u8 = 0;
const SAME_REGION_SAMPLER: u8 = 1;
const INTER_REGION_SAMPLER: u8 = 2;
const FIRST_OVERRIDE_SAMPLER: usize = 3;

/// Which kind of link joins two nodes, and so which latency it draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkClass {
    /// Same region, same rack (also a node to itself: a client and the node
    /// it sits beside).
    SameRack,
    /// Same region, different racks.
    SameRegion,
    /// Different regions.
    InterRegion,
    /// Set by `network.links[i]`, which wins over the class it replaces.
    Override(usize),
}

/// A node's place in the topology: the weight of a graph vertex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub node: NodeId,
    pub region: String,
    /// Zero-based, within the region.
    pub rack: u32,
}

/// The cluster's physical layout and per-link latency samplers.
#[derive(Clone, Debug)]
pub struct Topology {
    total_nodes: usize,
    region_names: Vec<String>,
    /// Per node: index into `region_names`.
    region_of_node: Vec<u32>,
    rack_of_node: Vec<u32>,
    /// Indexed by the `*_SAMPLER` constants, then one per distinct override.
    samplers: Vec<Sampler>,
    /// `sampler_of_link[from * total_nodes + to]`: index into `samplers`.
    sampler_of_link: Vec<u8>,
    /// The one sampler every link uses, when they all do (one region, one
    /// rack, no link overrides): a send then reads no matrix entry, which
    /// with a thousand nodes is a cache miss in a megabyte.
    only_sampler: Option<u8>,
    /// Directed links set by `network.links`, to the last override naming them.
    overridden_links: BTreeMap<(u32, u32), usize>,
    /// A fault's latency, replacing every link's until cleared.
    fault_latency: Option<Sampler>,
    graph: OnceLock<Graph<Site, LinkClass>>,
}

/// Each node's region index and rack: regions are filled in order over
/// `n1..` (the last region takes any extra nodes), and a region's nodes are
/// dealt to its racks in turn.
fn placement(region_sizes: &[u32], racks: u32, total_nodes: u32) -> (Vec<u32>, Vec<u32>) {
    let racks = racks.max(1);
    let total = total_nodes as usize;
    let mut region_of_node = Vec::with_capacity(total);
    let mut rack_of_node = Vec::with_capacity(total);
    let mut members_so_far = vec![0u32; region_sizes.len().max(1)];
    let mut region = 0usize;
    for _ in 0..total {
        while region + 1 < region_sizes.len() && members_so_far[region] >= region_sizes[region] {
            region += 1;
        }
        region_of_node.push(region as u32);
        rack_of_node.push(members_so_far[region] % racks);
        members_so_far[region] += 1;
    }
    (region_of_node, rack_of_node)
}

/// Each node's region index (position in `cluster.regions`; 0 when the
/// cluster names no regions), spares included.
pub fn region_indices(cluster: &Cluster, total_nodes: u32) -> Vec<u32> {
    let sizes: Vec<u32> = cluster.regions.iter().map(|(_, size)| *size).collect();
    placement(&sizes, cluster.racks, total_nodes).0
}

impl Topology {
    /// Lays out `total_nodes` nodes (ring members and spares).
    ///
    /// # Panics
    /// When `total_nodes` exceeds 4096 (the dense matrix would pass 16 MiB)
    /// or the overrides hold more than [`MAX_DISTINCT_OVERRIDES`] distinct
    /// latency distributions; validation rejects both.
    pub fn new(cluster: &Cluster, network: &Network, total_nodes: u32) -> Topology {
        let total = total_nodes as usize;
        assert!(total <= 4096, "{total} nodes: at most 4096 are supported");

        let mut region_names: Vec<String> = cluster
            .regions
            .iter()
            .map(|(name, _)| name.clone())
            .collect();
        let mut region_sizes: Vec<u32> = cluster.regions.iter().map(|(_, size)| *size).collect();
        if region_names.is_empty() {
            region_names.push(DEFAULT_REGION.to_string());
            region_sizes.push(total_nodes);
        }
        let (region_of_node, rack_of_node) = placement(&region_sizes, cluster.racks, total_nodes);

        let mut samplers = vec![
            Sampler::new(&network.latency),
            Sampler::new(network.inter_rack.as_ref().unwrap_or(&network.latency)),
            Sampler::new(&network.inter_region),
        ];
        let mut sampler_of_link = vec![SAME_RACK_SAMPLER; total * total];
        for from in 0..total {
            for to in 0..total {
                sampler_of_link[from * total + to] = if region_of_node[from] != region_of_node[to] {
                    INTER_REGION_SAMPLER
                } else if rack_of_node[from] != rack_of_node[to] {
                    SAME_REGION_SAMPLER
                } else {
                    SAME_RACK_SAMPLER
                };
            }
        }

        // Identical override distributions share one sampler, so the byte
        // matrix runs out only on genuinely distinct ones.
        let mut distinct_overrides: Vec<&Dist> = Vec::new();
        let mut overridden_links = BTreeMap::new();
        for (index, link) in network.links.iter().enumerate() {
            let position = match distinct_overrides.iter().position(|d| **d == link.latency) {
                Some(position) => position,
                None => {
                    assert!(
                        distinct_overrides.len() < MAX_DISTINCT_OVERRIDES,
                        "more than {MAX_DISTINCT_OVERRIDES} distinct link latencies"
                    );
                    distinct_overrides.push(&link.latency);
                    samplers.push(Sampler::new(&link.latency));
                    distinct_overrides.len() - 1
                }
            };
            let sampler = (FIRST_OVERRIDE_SAMPLER + position) as u8;
            let mut directions = vec![(link.from, link.to)];
            if !link.one_way {
                directions.push((link.to, link.from));
            }
            for (from, to) in directions {
                // A node's link to itself stays same-rack whatever a file says.
                if from == to || from.index() >= total || to.index() >= total {
                    continue;
                }
                sampler_of_link[from.index() * total + to.index()] = sampler;
                overridden_links.insert((from.0, to.0), index);
            }
        }

        let only_sampler = match sampler_of_link.first() {
            Some(&first) if sampler_of_link.iter().all(|&s| s == first) => Some(first),
            _ => None,
        };
        Topology {
            total_nodes: total,
            only_sampler,
            region_names,
            region_of_node,
            rack_of_node,
            samplers,
            sampler_of_link,
            overridden_links,
            fault_latency: None,
            graph: OnceLock::new(),
        }
    }

    pub fn total_nodes(&self) -> u32 {
        self.total_nodes as u32
    }

    /// The sampler for a message from `from` to `to`: O(1), one byte read.
    /// A fault's latency override, while set, applies to every link.
    pub fn latency_sampler(&self, from: NodeId, to: NodeId) -> &Sampler {
        if let Some(sampler) = &self.fault_latency {
            return sampler;
        }
        let index = match self.only_sampler {
            Some(index) => index,
            None => self.sampler_of_link[from.index() * self.total_nodes + to.index()],
        };
        &self.samplers[index as usize]
    }

    /// The class of the directed link `from → to`, ignoring any fault
    /// override.
    pub fn link_class(&self, from: NodeId, to: NodeId) -> LinkClass {
        if let Some(&index) = self.overridden_links.get(&(from.0, to.0)) {
            return LinkClass::Override(index);
        }
        if self.region_of_node[from.index()] != self.region_of_node[to.index()] {
            LinkClass::InterRegion
        } else if self.rack_of_node[from.index()] != self.rack_of_node[to.index()] {
            LinkClass::SameRegion
        } else {
            LinkClass::SameRack
        }
    }

    pub fn region_of(&self, node: NodeId) -> &str {
        &self.region_names[self.region_of_node[node.index()] as usize]
    }

    /// Zero-based rack within the node's region.
    pub fn rack_of(&self, node: NodeId) -> u32 {
        self.rack_of_node[node.index()]
    }

    /// Region names in the order the scenario lists them.
    pub fn regions(&self) -> impl Iterator<Item = &str> + '_ {
        self.region_names.iter().map(String::as_str)
    }

    /// The nodes of a region, in id order (empty for an unknown name).
    pub fn nodes_in_region<'a>(&'a self, region: &'a str) -> impl Iterator<Item = NodeId> + 'a {
        (0..self.total_nodes as u32)
            .map(NodeId)
            .filter(move |&node| self.region_of(node) == region)
    }

    /// Replaces every link's latency with `dist` (a fault window), or with
    /// `None` restores the scenario's latencies.
    pub fn set_override(&mut self, dist: Option<Dist>) {
        self.fault_latency = dist.as_ref().map(Sampler::new);
    }

    /// The layout as a directed graph: vertex `i` is node `n{i+1}` with its
    /// [`Site`], and an edge per ordered pair of distinct nodes weighted by
    /// its [`LinkClass`]. Built on first call and kept: it has
    /// `total_nodes²` edges, so the simulation itself never asks for it.
    pub fn graph(&self) -> &Graph<Site, LinkClass> {
        self.graph.get_or_init(|| {
            let n = self.total_nodes;
            let mut graph = Graph::with_capacity(n, n * n.saturating_sub(1));
            let vertices: Vec<_> = (0..n as u32)
                .map(|i| {
                    let node = NodeId(i);
                    graph.add_node(Site {
                        node,
                        region: self.region_of(node).to_string(),
                        rack: self.rack_of(node),
                    })
                })
                .collect();
            for from in 0..n {
                for to in 0..n {
                    if from != to {
                        let class = self.link_class(NodeId(from as u32), NodeId(to as u32));
                        graph.add_edge(vertices[from], vertices[to], class);
                    }
                }
            }
            graph
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{LinkOverride, Placement, Strategy};
    use crate::time::SimTime;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn constant(ms: u64) -> Dist {
        Dist::Constant {
            value: SimTime::from_millis(ms),
        }
    }

    fn cluster(nodes: u32, regions: &[(&str, u32)], racks: u32) -> Cluster {
        Cluster {
            nodes,
            regions: regions.iter().map(|(n, s)| (n.to_string(), *s)).collect(),
            racks,
            vnodes: 8,
            strategy: Strategy::RandomTokens,
            partitions: 64,
            placement: Placement::Clockwise,
            seeds: vec![NodeId(0)],
            spares: 0,
        }
    }

    fn network(links: Vec<LinkOverride>) -> Network {
        Network {
            latency: constant(1),
            inter_rack: Some(constant(2)),
            inter_region: constant(40),
            links,
            loss: 0.0,
            duplicate: 0.0,
        }
    }

    fn latency(topology: &Topology, from: u32, to: u32) -> SimTime {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        topology
            .latency_sampler(NodeId(from), NodeId(to))
            .sample(&mut rng)
    }

    #[test]
    fn regions_fill_in_order_and_spares_join_the_last() {
        let topology = Topology::new(
            &cluster(4, &[("us-east", 2), ("eu-west", 2)], 1),
            &network(vec![]),
            6,
        );
        let regions: Vec<_> = (0..6).map(|i| topology.region_of(NodeId(i))).collect();
        assert_eq!(
            regions,
            [
                "us-east", "us-east", "eu-west", "eu-west", "eu-west", "eu-west"
            ]
        );
        assert_eq!(
            topology.regions().collect::<Vec<_>>(),
            ["us-east", "eu-west"]
        );
        assert_eq!(
            topology.nodes_in_region("us-east").collect::<Vec<_>>(),
            [NodeId(0), NodeId(1)]
        );
    }

    #[test]
    fn no_regions_means_one_default_region() {
        let topology = Topology::new(&cluster(3, &[], 1), &network(vec![]), 5);
        assert!((0..5).all(|i| topology.region_of(NodeId(i)) == DEFAULT_REGION));
        assert_eq!(latency(&topology, 0, 4), SimTime::from_millis(1));
    }

    #[test]
    fn links_draw_by_class() {
        let topology = Topology::new(&cluster(6, &[("a", 4), ("b", 2)], 2), &network(vec![]), 6);
        // Region a: n1 rack 0, n2 rack 1, n3 rack 0, n4 rack 1.
        assert_eq!(topology.rack_of(NodeId(2)), 0);
        assert_eq!(
            topology.link_class(NodeId(0), NodeId(2)),
            LinkClass::SameRack
        );
        assert_eq!(latency(&topology, 0, 2), SimTime::from_millis(1));
        assert_eq!(
            topology.link_class(NodeId(0), NodeId(1)),
            LinkClass::SameRegion
        );
        assert_eq!(latency(&topology, 0, 1), SimTime::from_millis(2));
        assert_eq!(
            topology.link_class(NodeId(0), NodeId(4)),
            LinkClass::InterRegion
        );
        assert_eq!(latency(&topology, 4, 0), SimTime::from_millis(40));
        // A node to itself: a client beside its node.
        assert_eq!(latency(&topology, 5, 5), SimTime::from_millis(1));
    }

    #[test]
    fn overrides_win_and_may_be_one_way() {
        let links = vec![
            LinkOverride {
                from: NodeId(0),
                to: NodeId(1),
                one_way: false,
                latency: constant(7),
            },
            LinkOverride {
                from: NodeId(2),
                to: NodeId(3),
                one_way: true,
                latency: constant(9),
            },
            LinkOverride {
                from: NodeId(1),
                to: NodeId(0),
                one_way: true,
                latency: constant(7),
            },
        ];
        let topology = Topology::new(&cluster(4, &[], 1), &network(links), 4);
        assert_eq!(latency(&topology, 0, 1), SimTime::from_millis(7));
        assert_eq!(latency(&topology, 1, 0), SimTime::from_millis(7));
        assert_eq!(latency(&topology, 2, 3), SimTime::from_millis(9));
        assert_eq!(latency(&topology, 3, 2), SimTime::from_millis(1));
        // The later override names the link; identical latencies share a sampler.
        assert_eq!(
            topology.link_class(NodeId(1), NodeId(0)),
            LinkClass::Override(2)
        );
        assert_eq!(
            topology.link_class(NodeId(0), NodeId(1)),
            LinkClass::Override(0)
        );
        assert_eq!(topology.samplers.len(), 5);
    }

    #[test]
    fn a_fault_override_replaces_every_link_until_cleared() {
        let mut topology =
            Topology::new(&cluster(4, &[("a", 2), ("b", 2)], 1), &network(vec![]), 4);
        topology.set_override(Some(constant(300)));
        assert_eq!(latency(&topology, 0, 1), SimTime::from_millis(300));
        assert_eq!(latency(&topology, 0, 3), SimTime::from_millis(300));
        topology.set_override(None);
        assert_eq!(latency(&topology, 0, 3), SimTime::from_millis(40));
    }

    #[test]
    fn the_graph_mirrors_the_layout() {
        let topology = Topology::new(&cluster(3, &[("a", 2), ("b", 1)], 1), &network(vec![]), 3);
        let graph = topology.graph();
        assert_eq!(graph.node_count(), 3);
        assert_eq!(graph.edge_count(), 6);
        assert_eq!(graph[petgraph::graph::NodeIndex::new(2)].region, "b");
        let inter_region = graph
            .edge_weights()
            .filter(|&&c| c == LinkClass::InterRegion)
            .count();
        assert_eq!(inter_region, 4);
    }
}
