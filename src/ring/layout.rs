//! Token ownership, the half of the ring a membership view agrees on
//! (Dynamo §4.2 virtual nodes, §4.8 joins and leaves, §6.2 strategies).
//!
//! A layout is the list of members, each with the tokens it owns. For
//! strategies 1 and 2 a member's tokens are `node_token(seed, node, i)` for
//! i in 0..weight*T: a pure function of the node, so a join only adds the
//! newcomer's tokens and a leave only removes the leaver's. For strategy 3
//! a member's tokens are the ends of the partitions it owns, dealt by `qos`.

use super::hash::{node_token, partition_end, partition_of};
use super::qos::{self, Holding};
use super::view::Ring;
use super::{Member, NodeSpec, RingSpec, Strategy};
use crate::id::NodeId;

/// Token ownership: one membership view's ring. The strategy and Q it was
/// made with are part of it (a layout's tokens mean nothing without them);
/// the `RingSpec` passed to its methods supplies T, the seed, N and the
/// placement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    strategy: Strategy,
    /// Q, at least 1. Strategies 2 and 3 only; 1 for strategy 1.
    partitions: u32,
    /// Sorted by node id, one entry per node.
    members: Vec<Member>,
}

impl Layout {
    /// The layout of `nodes` under `spec`. A node listed twice counts once
    /// (the first listing).
    pub fn initial(spec: &RingSpec, nodes: &[NodeSpec]) -> Layout {
        let mut specs: Vec<NodeSpec> = Vec::with_capacity(nodes.len());
        for node in nodes {
            if !specs.iter().any(|s| s.node == node.node) {
                specs.push(node.clone());
            }
        }
        specs.sort_by_key(|s| s.node);
        let mut layout = Layout::empty(spec);
        layout.members = match spec.strategy {
            Strategy::RandomTokens | Strategy::EqualPartitions => {
                specs.into_iter().map(|s| random_member(spec, s)).collect()
            }
            Strategy::QOverS => {
                let mut holders = holdings(specs.iter());
                qos::deal_initial(spec.seed, &mut holders, layout.partitions);
                with_partitions(specs, holders, layout.partitions)
            }
        };
        layout
    }

    fn empty(spec: &RingSpec) -> Layout {
        Layout {
            strategy: spec.strategy,
            partitions: match spec.strategy {
                Strategy::RandomTokens => 1,
                Strategy::EqualPartitions | Strategy::QOverS => spec.partitions.max(1),
            },
            members: Vec::new(),
        }
    }

    /// The layout after `node` joins. It takes about 1/(members+1) of the
    /// key space, all of it from the others; nothing else moves. A node
    /// already a member changes nothing.
    pub fn with_join(&self, spec: &RingSpec, node: NodeSpec) -> Layout {
        if self.position(node.node).is_ok() {
            return self.clone();
        }
        match self.strategy {
            Strategy::RandomTokens | Strategy::EqualPartitions => {
                let mut next = self.clone();
                let at = next.position(node.node).unwrap_err();
                next.members.insert(at, random_member(spec, node));
                next
            }
            Strategy::QOverS if self.members.is_empty() => {
                let spec = RingSpec {
                    strategy: self.strategy,
                    partitions: self.partitions,
                    ..spec.clone()
                };
                Layout::initial(&spec, &[node])
            }
            Strategy::QOverS => {
                let mut specs: Vec<NodeSpec> =
                    self.members.iter().map(|m| m.spec.clone()).collect();
                let at = self.position(node.node).unwrap_err();
                specs.insert(at, node);
                let mut holders = holdings(specs.iter());
                for (holder, member) in holders
                    .iter_mut()
                    .filter(|h| h.node != specs[at].node)
                    .zip(&self.members)
                {
                    holder.partitions = self.partitions_of(member);
                }
                qos::join(spec.seed, &mut holders, at, self.partitions);
                self.remade(specs, holders)
            }
        }
    }

    /// The layout after `node` leaves. Its ranges pass to the others; a node
    /// that is not a member changes nothing.
    pub fn without(&self, spec: &RingSpec, node: NodeId) -> Layout {
        let _ = spec; // Leaving draws nothing: kept for symmetry with joins.
        let Ok(at) = self.position(node) else {
            return self.clone();
        };
        match self.strategy {
            Strategy::RandomTokens | Strategy::EqualPartitions => {
                let mut next = self.clone();
                next.members.remove(at);
                next
            }
            Strategy::QOverS => {
                let specs: Vec<NodeSpec> = self.members.iter().map(|m| m.spec.clone()).collect();
                let mut holders = holdings(specs.iter());
                for (holder, member) in holders.iter_mut().zip(&self.members) {
                    holder.partitions = self.partitions_of(member);
                }
                qos::leave(&mut holders, at);
                let mut next = self.remade(specs, holders);
                next.members.remove(at);
                next
            }
        }
    }

    /// The layout of the member set `current`, reached from the configured
    /// `initial` members: the initial members still in `current` as
    /// `initial` dealt them, then every other member of `current` joining
    /// in node-id order. A pure function of the two sets, so two nodes whose
    /// gossip agrees on who is a member compute the same ring, whatever
    /// order they learned the joins and leaves in. For strategies 1 and 2
    /// it equals `initial(spec, current)`; for strategy 3 it keeps the
    /// partitions that did not have to move where they were.
    pub fn evolved(spec: &RingSpec, initial: &[NodeSpec], current: &[NodeSpec]) -> Layout {
        let is_current = |n: NodeId| current.iter().any(|c| c.node == n);
        let is_initial = |n: NodeId| initial.iter().any(|i| i.node == n);
        let mut layout = Layout::initial(spec, initial);
        for gone in initial.iter().filter(|i| !is_current(i.node)) {
            layout = layout.without(spec, gone.node);
        }
        let mut joiners: Vec<&NodeSpec> = current.iter().filter(|c| !is_initial(c.node)).collect();
        joiners.sort_by_key(|c| c.node);
        for joiner in joiners {
            layout = layout.with_join(spec, joiner.clone());
        }
        layout
    }

    /// The members, sorted by node id.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// The strategy this layout was made with.
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// Q for strategies 2 and 3 (1 for strategy 1).
    pub fn partitions(&self) -> u32 {
        self.partitions
    }

    /// Metadata size: the tokens the layout holds, counted as in Dynamo's
    /// Figure 8. Strategies 1 and 2 store every node's tokens (S*T);
    /// strategy 3 stores the Q partition boundaries.
    pub fn token_count(&self) -> u64 {
        self.members.iter().map(|m| m.tokens.len() as u64).sum()
    }

    /// The lookup view: ranges and preference lists for `spec.n` replicas
    /// placed by `spec.placement`.
    pub fn ring(&self, spec: &RingSpec) -> Ring {
        Ring::build(self, spec.n, spec.placement)
    }

    fn position(&self, node: NodeId) -> Result<usize, usize> {
        self.members.binary_search_by_key(&node, |m| m.spec.node)
    }

    fn partitions_of(&self, member: &Member) -> Vec<u32> {
        member
            .tokens
            .iter()
            .map(|&t| partition_of(t, self.partitions))
            .collect()
    }

    fn remade(&self, specs: Vec<NodeSpec>, holders: Vec<Holding>) -> Layout {
        Layout {
            strategy: self.strategy,
            partitions: self.partitions,
            members: with_partitions(specs, holders, self.partitions),
        }
    }
}

/// A strategy 1 or 2 member: weight*T tokens, ascending and distinct.
fn random_member(spec: &RingSpec, node: NodeSpec) -> Member {
    let count = node.weight.saturating_mul(spec.vnodes);
    let mut tokens: Vec<u64> = (0..count)
        .map(|i| node_token(spec.seed, node.node, i))
        .collect();
    tokens.sort_unstable();
    tokens.dedup();
    Member { spec: node, tokens }
}

fn holdings<'a>(specs: impl Iterator<Item = &'a NodeSpec>) -> Vec<Holding> {
    specs
        .map(|s| Holding {
            node: s.node,
            weight: s.weight,
            partitions: Vec::new(),
        })
        .collect()
}

/// Strategy 3 members: each partition's end is its owner's token.
fn with_partitions(specs: Vec<NodeSpec>, holders: Vec<Holding>, partitions: u32) -> Vec<Member> {
    specs
        .into_iter()
        .zip(holders)
        .map(|(spec, holder)| {
            let mut tokens: Vec<u64> = holder
                .partitions
                .iter()
                .map(|&p| partition_end(p, partitions))
                .collect();
            tokens.sort_unstable();
            Member { spec, tokens }
        })
        .collect()
}
