//! Gossip membership and failure detection, step 5 of the Dynamo design
//! (DeCandia et al., SOSP 2007, §4.8): each node keeps a membership list, for
//! every node it knows a heartbeat, a status and the ring tokens it owns,
//! and every `interval` exchanges it with `fanout` random peers, the newer
//! entry winning per node. A peer whose heartbeat has not advanced for
//! `suspect_after` is suspected; it is declared down only once `reporters`
//! distinct nodes suspect it at a heartbeat no newer than the one seen here.
//!
//! Sans-IO: `Gossip` takes ticks and messages with the time as an argument
//! and returns the messages to send and the status changes it saw. It knows
//! nothing of the event loop or of the Dynamo node that embeds it.
//!
//! The exchange is Cassandra's three-step push-pull over digests: `Syn`
//! carries (node, generation, heartbeat, version) per known node; `Ack`
//! sends back the entries newer at the receiver and asks for the ones newer
//! at the sender; `Ack2` answers that request. An entry's bulky part (its
//! tokens) travels only when its `version` is newer than the receiver's.

mod entry;
mod view;

#[cfg(test)]
mod tests;

pub use entry::{Digest, Entry, NodeState, Update};
pub use view::{Gossip, Transition};

use crate::id::NodeId;
use crate::time::SimTime;

/// The `[gossip]` settings every node of a run shares.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub interval: SimTime,
    pub fanout: u32,
    pub suspect_after: SimTime,
    /// Distinct suspecting nodes (this one included) before "down".
    pub reporters: u32,
}

impl Config {
    pub fn from_scenario(g: &crate::scenario::Gossip) -> Config {
        Config {
            interval: g.interval,
            fanout: g.fanout,
            suspect_after: g.suspect_after,
            reporters: g.reporters,
        }
    }
}

/// A node's status in one node's membership view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Its heartbeat advances, or too few nodes suspect it.
    Alive,
    /// This node suspects it; not enough others do yet.
    Suspect,
    /// At least `reporters` nodes suspect it.
    Down,
    /// It left the ring gracefully.
    Left,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Alive => "alive",
            Status::Suspect => "suspect",
            Status::Down => "down",
            Status::Left => "left",
        }
    }
}

/// The gossip protocol's messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GossipMsg {
    /// Step 1: what the sender knows, one digest per node, sorted by node.
    Syn { digests: Vec<Digest> },
    /// Step 2: the entries newer at the sender of the `Ack`, and the
    /// digests of what it wants back (its own, older, versions).
    Ack {
        updates: Vec<Update>,
        wants: Vec<Digest>,
    },
    /// Step 3: the entries the `Ack` asked for.
    Ack2 { updates: Vec<Update> },
}

impl GossipMsg {
    /// The message's size on a plausible wire: 4 bytes a node id, 8 a
    /// counter or token, 1 a flag; what the `bytes per node per second`
    /// figure counts.
    pub fn wire_bytes(&self) -> u64 {
        todo!()
    }

    pub fn kind(&self) -> &'static str {
        match self {
            GossipMsg::Syn { .. } => "GossipSyn",
            GossipMsg::Ack { .. } => "GossipAck",
            GossipMsg::Ack2 { .. } => "GossipAck2",
        }
    }
}

/// Who a message is for, and the message.
pub type Outgoing = (NodeId, GossipMsg);
