//! Gossip membership and failure detection, step 5 of the Dynamo design
//! (DeCandia et al., SOSP 2007, §4.8): each node keeps a membership list, for
//! every node it knows a heartbeat, a status and the ring tokens it owns,
//! and every `interval` exchanges it with `fanout` random peers, the newer
//! entry winning per node. A peer whose heartbeat has not advanced for
//! `suspect_after` is suspected; it is declared down only once `reporters`
//! distinct nodes (this one included) suspect it at a (generation,
//! heartbeat) no older than the one seen here: newer news of a node
//! outdates every suspicion of it, so a restart or a healed cut clears them.
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
//!
//! - `entry`: an entry, its digest and wire form, and `Entry::merge`, a
//!   join, so lists converge whatever order the gossip takes.
//! - `view`: `Gossip`, the list, the local progress clocks, the statuses
//!   recomputed after every input, local changes (leave, declare, restart).
//! - `exchange`: `tick` and `on_message`, the Syn/Ack/Ack2 exchange.
//! - `suspicion`: the tally behind the statuses (who suspects whom), kept
//!   up to date with the lists and counters that changed.
//! - `swim`: the other failure detector, `Protocol::Swim`, for clusters too
//!   large for every node to gossip every node's heartbeat every round.
//! - `list`: the list's storage, chunks shared between SWIM views until
//!   written, a plain vector under heartbeats.

mod entry;
mod exchange;
mod list;
mod suspicion;
mod swim;
mod view;

#[cfg(test)]
mod harness;
#[cfg(test)]
mod laws;
#[cfg(test)]
mod swim_tests;
#[cfg(test)]
mod swim_view_tests;
#[cfg(test)]
mod tests;

pub use entry::{Digest, Entry, NodeState, Update};
pub use swim::{News, Rank};
pub use view::{Gossip, StartCache, Transition};

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
    pub protocol: Protocol,
}

/// How liveness is learned.
///
/// `Heartbeats`: every node gossips every node's heartbeat each round, the
/// module's main design. A round costs n digests a node, n² a cluster, so it
/// stops scaling at a few hundred nodes (the paper's §6.6 says as much of
/// full membership gossip).
///
/// `Swim`: the probing detector of SWIM (Das, Gupta, Motivala, DSN 2002):
/// each round a node pings one peer, asks others to ping it when it does
/// not answer, and spreads suspicions, confirmations and membership news
/// piggybacked on those pings; lists are reconciled by comparing a summary
/// first. A round costs a few messages a node, whatever the cluster size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Heartbeats,
    Swim,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Heartbeats => "heartbeats",
            Protocol::Swim => "swim",
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
    /// SWIM: are you there? `origin` is who wants the answer: the sender,
    /// or the node that asked the sender to probe (`PingReq`).
    Ping {
        seq: u64,
        origin: NodeId,
        news: Vec<News>,
    },
    /// SWIM: probe `target` for me, and pass its answer back.
    PingReq {
        seq: u64,
        target: NodeId,
        news: Vec<News>,
    },
    /// SWIM: `target` answered the `Ping` numbered `seq` of `origin`.
    PingAck {
        seq: u64,
        origin: NodeId,
        target: NodeId,
        news: Vec<News>,
    },
    /// SWIM's list reconciliation, step 1: a summary of the sender's list;
    /// a receiver whose list differs answers with all of its own.
    Summary { hash: u64 },
    /// SWIM's list reconciliation, step 2 (and 3, `answer` false): every
    /// entry of the sender's list.
    Full { entries: Vec<News>, answer: bool },
}

impl GossipMsg {
    /// The message's size on a plausible wire: 4 bytes a node id, 8 a
    /// counter or token, 1 a flag; what the `bytes per node per second`
    /// figure counts.
    ///
    /// The model: 1 byte of kind and 4 bytes of length per vector of the
    /// message (`digests`, `updates`, `wants`). A digest is its node, its
    /// generation, heartbeat and version: 4+8+8+8. An update is the same 28
    /// bytes, plus 4+8+8 per suspect (node, generation, heartbeat), plus its
    /// state: 1 byte of presence alone when absent, else that byte (which
    /// also holds `left`), region 4, weight 4, token count 4 and 8 a token.
    pub fn wire_bytes(&self) -> u64 {
        const KIND: u64 = 1;
        const LENGTH: u64 = 4;
        match self {
            GossipMsg::Syn { digests } => KIND + LENGTH + digests_bytes(digests),
            GossipMsg::Ack { updates, wants } => {
                KIND + 2 * LENGTH + updates_bytes(updates) + digests_bytes(wants)
            }
            GossipMsg::Ack2 { updates } => KIND + LENGTH + updates_bytes(updates),
            GossipMsg::Ping { news, .. } | GossipMsg::PingReq { news, .. } => {
                KIND + 8 + 4 + LENGTH + news_bytes(news)
            }
            GossipMsg::PingAck { news, .. } => KIND + 8 + 4 + 4 + LENGTH + news_bytes(news),
            GossipMsg::Summary { .. } => KIND + 8,
            GossipMsg::Full { entries, .. } => KIND + 1 + LENGTH + news_bytes(entries),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            GossipMsg::Syn { .. } => "GossipSyn",
            GossipMsg::Ack { .. } => "GossipAck",
            GossipMsg::Ack2 { .. } => "GossipAck2",
            GossipMsg::Ping { .. } => "GossipPing",
            GossipMsg::PingReq { .. } => "GossipPingReq",
            GossipMsg::PingAck { .. } => "GossipPingAck",
            GossipMsg::Summary { .. } => "GossipSummary",
            GossipMsg::Full { .. } => "GossipFull",
        }
    }
}

const DIGEST_BYTES: u64 = 4 + 8 + 8 + 8;

fn digests_bytes(digests: &[Digest]) -> u64 {
    digests.len() as u64 * DIGEST_BYTES
}

fn state_bytes(state: Option<&NodeState>) -> u64 {
    match state {
        Some(s) => 1 + 4 + 4 + 4 + 8 * s.tokens.len() as u64,
        None => 1,
    }
}

fn updates_bytes(updates: &[Update]) -> u64 {
    updates
        .iter()
        .map(|u| {
            let suspects = u.suspects.len() as u64 * (4 + 8 + 8);
            DIGEST_BYTES + suspects + state_bytes(u.state.as_deref())
        })
        .sum()
}

/// A `News` is its node, generation, incarnation and version (4+8+8+8),
/// its rank (1), its suspecters (4 bytes of length, 4 a node) and its state.
fn news_bytes(news: &[News]) -> u64 {
    news.iter()
        .map(|n| {
            4 + 8 + 8 + 8 + 1 + 4 + 4 * n.suspecters.len() as u64 + state_bytes(Some(&n.state))
        })
        .sum()
}

/// Who a message is for, and the message.
pub type Outgoing = (NodeId, GossipMsg);
