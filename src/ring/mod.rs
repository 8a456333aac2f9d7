//! INTERFACE SKELETON (to be filled in): the consistent-hashing ring.
#![allow(unused_variables, dead_code)]

use crate::id::NodeId;

/// A point on the ring: the first 8 bytes of the MD5 digest, big-endian.
pub type Position = u64;

/// Where `name` (a key's name, as bytes) lands on the ring.
pub fn key_position(name: &[u8]) -> Position {
    todo!()
}

/// Dynamo's partitioning strategies (section 6.2 of the paper).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    RandomTokens,
    EqualPartitions,
    QOverS,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    Clockwise,
    RegionAware,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RingSpec {
    pub strategy: Strategy,
    /// T: tokens per node of weight 1 (strategies 1 and 2).
    pub vnodes: u32,
    /// Q: equal partitions (strategies 2 and 3).
    pub partitions: u32,
    pub placement: Placement,
    /// N: replicas per key.
    pub n: u32,
    /// Draws the random tokens.
    pub seed: u64,
}

/// A node as the ring needs to know it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    pub node: NodeId,
    /// Region index, for region-aware placement.
    pub region: u32,
    /// Capacity weight: tokens scale with it. 1 is the default.
    pub weight: u32,
}

/// A member of a ring view: the node and the tokens it owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub spec: NodeSpec,
    pub tokens: Vec<Position>,
}

/// Token ownership: a membership view's half of the ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    spec_n: u32,
}

impl Layout {
    pub fn initial(spec: &RingSpec, nodes: &[NodeSpec]) -> Layout {
        todo!()
    }
    pub fn with_join(&self, spec: &RingSpec, node: NodeSpec) -> Layout {
        todo!()
    }
    pub fn without(&self, spec: &RingSpec, node: NodeId) -> Layout {
        todo!()
    }
    pub fn members(&self) -> &[Member] {
        todo!()
    }
    pub fn ring(&self, spec: &RingSpec) -> Ring {
        todo!()
    }
}

/// The lookup view built from a layout.
#[derive(Clone, Debug)]
pub struct Ring {
    n: u32,
}

impl Ring {
    pub fn n(&self) -> usize {
        self.n as usize
    }
    pub fn preference_list(&self, pos: Position) -> &[NodeId] {
        todo!()
    }
    pub fn walk(&self, pos: Position) -> impl Iterator<Item = NodeId> + '_ {
        std::iter::empty()
    }
    pub fn shares(&self) -> Vec<(NodeId, f64)> {
        todo!()
    }
    pub fn efficiency(&self) -> f64 {
        todo!()
    }
}
