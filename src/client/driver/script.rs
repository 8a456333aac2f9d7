//! A client's scripted operations (`[[op]]`): each step as the client
//! will send it, and how it ended (what a scripted get's `returns` is
//! judged on).

use crate::actor::{OpKind, Outcome};
use crate::id::{Key, NodeId, ValueId};
use crate::scenario::PutContext;
use crate::time::SimTime;
use crate::value::{Change, Reading};

/// One scripted operation, as this client will send it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptStep {
    /// Position in the scenario's `[[op]]` list.
    pub index: u32,
    pub at: SimTime,
    pub kind: OpKind,
    pub key: Key,
    pub value: Option<ValueId>,
    pub via: Option<NodeId>,
    /// A put's context: the client's last read of the key, or none.
    pub context: PutContext,
    /// A delete: the put writes a tombstone.
    pub delete: bool,
    /// An update of a typed value: a get, then a put of its change.
    pub update: Option<Change>,
}

/// How a scripted operation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptResult {
    pub index: u32,
    pub outcome: Outcome,
    pub values: Vec<ValueId>,
    /// A typed read: the siblings' merged elements or count.
    pub reading: Option<Reading>,
}
