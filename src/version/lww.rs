//! Last-write-wins, the contrast mode to Dynamo's versioning (§4.4 notes
//! that Dynamo itself can be configured this way): one value per key,
//! ordered by the coordinator's wall-clock reading, then the coordinator's
//! id, then the value id, so every replica picks the same winner.
//!
//! The point is what it loses: a put through a coordinator whose clock is
//! behind is acknowledged and then silently beaten by an older write with
//! a later timestamp. No context is needed or used.

use std::fmt;

use super::clock::NodeName;

/// The one stored version. Field order is the winner's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Stamped {
    pub(crate) stamp: u64,
    pub(crate) node: u32,
    pub(crate) value: u64,
}

impl Stamped {
    pub(crate) fn fmt(
        &self,
        f: &mut impl fmt::Write,
        value: &dyn Fn(u64) -> String,
    ) -> fmt::Result {
        write!(
            f,
            "{} @{} t={}ns",
            value(self.value),
            NodeName(self.node),
            self.stamp
        )
    }

    pub(crate) fn encode(&self, sink: &mut impl FnMut(&[u8])) {
        sink(&self.value.to_le_bytes());
        sink(&self.stamp.to_le_bytes());
        sink(&self.node.to_le_bytes());
    }
}
