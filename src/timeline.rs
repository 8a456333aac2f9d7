//! What happened to the world over a run, as plain data the run's output
//! owns: each node's life (crashes, pauses, restarts, joins, leaves, clock
//! skews; Dynamo §4.8's failures as they really were, not as gossip
//! believed them) and the spans during which the network was cut (§4.6's
//! partitions).
//!
//! `sim` records the life events and `run` replays the fault schedule on
//! the network's reachability matrix for the cuts; `check` and `report`
//! read them here, so neither reads the event loop's or the network's own
//! types.

use crate::id::NodeId;
use crate::time::SimTime;

/// Where a node stands in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// A spare that has not joined.
    Spare,
    Up,
    /// Alive but handling nothing; input waits until it resumes.
    Paused,
    Crashed,
    /// Left gracefully.
    Left,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Spare => "spare",
            Status::Up => "up",
            Status::Paused => "paused",
            Status::Crashed => "crashed",
            Status::Left => "left",
        }
    }
}

/// A change in a node's life, as the simulator (not the node) saw it: the
/// truth that membership figures are judged against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LifeEvent {
    pub at: SimTime,
    pub node: NodeId,
    pub change: Life,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Life {
    Status(Status),
    /// The node's clock now reads true time plus this offset (ns).
    Skew(i64),
}

/// A span during which some link of the network was blocked: from the
/// fault that first cut one to the fault after which every link was open
/// again (`None`: still cut when the run ended). Which links were cut is
/// not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetworkCut {
    pub from: SimTime,
    pub to: Option<SimTime>,
}
