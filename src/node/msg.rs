//! The messages and timers of the Dynamo node (paper §4.5, §4.6): client
//! requests and replies, the coordinator's store/fetch round trips with the
//! replicas, read repair and hinted handoff; gossip (§4.8), Merkle
//! anti-entropy (§4.7) and the hand-over of keys when ownership moves; and
//! a partition-aware client's download of a node's ring view (§4.5).

use crate::actor::{Describe, OpKind};
use crate::gossip::GossipMsg;
use crate::id::{ClientId, Key, NodeId, OpId, ValueId};
use crate::merkle::AeMsg;
use crate::ring::Ring;
use crate::trace::Fields;
use crate::version::{Context, Siblings};
use std::sync::Arc;

/// A coordinator's request number, local to the coordinator: replies carry
/// it back so the coordinator can match them. A slot and a generation (see
/// `coordinator::InFlight`), so no late reply meets a newer request.
pub type ReqId = u64;

/// A client's request, as sent and as forwarded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub op: OpId,
    pub client: ClientId,
    pub kind: OpKind,
    pub key: Key,
    /// A put's value.
    pub value: Option<ValueId>,
    /// A put's context: what its writer had read (empty for a blind put).
    pub context: CarriedContext,
    /// How far below `op` the client's oldest unfinished operation was when
    /// it sent this (0: none older). Every operation of the client below
    /// `op - settled_below` had ended at the client, so a node may ignore a
    /// late copy of one (see `node::requests`). A gap, not an id, so the
    /// request stays 48 bytes.
    pub settled_below: u32,
    /// How many nodes have passed this request on (0 from the client): a
    /// node whose view disagrees with the sender's passes it on once more,
    /// never in a loop.
    pub hops: u8,
}

impl Request {
    /// The client's oldest operation that may still be unfinished: every
    /// lower id of this client has ended at the client.
    pub fn settled_floor(&self) -> OpId {
        OpId(self.op.0.saturating_sub(u64::from(self.settled_below)))
    }
}

/// A context as a message carries it: boxed, and absent when empty.
///
/// Most requests and replies carry no context (a get, a blind put, a put's
/// or a failed op's reply), yet an inline `Context` (48 bytes) made them the
/// largest message variants, and every event in the queue as large as the
/// largest variant: each event's moves into and out of the queue paid for
/// it. Boxed, a context costs an allocation only when there is one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CarriedContext(Option<Box<Context>>);

/// What an absent context reads as.
static NO_CONTEXT: Context = Context::none();

impl CarriedContext {
    pub fn new(context: Context) -> CarriedContext {
        if context == NO_CONTEXT {
            CarriedContext(None)
        } else {
            CarriedContext(Some(Box::new(context)))
        }
    }

    pub fn get(&self) -> &Context {
        self.0.as_deref().unwrap_or(&NO_CONTEXT)
    }
}

/// What a node holds of a key a reap check asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holds {
    /// A replica that is exactly the tombstone asked about, and no hint.
    Exactly,
    /// No replica and no hint of the key.
    Nothing,
    /// Something else: another state, or a hint.
    Other,
}

impl Holds {
    pub fn as_str(self) -> &'static str {
        match self {
            Holds::Exactly => "exactly",
            Holds::Nothing => "nothing",
            Holds::Other => "other",
        }
    }
}

/// How the store answered a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Ok,
    /// The coordinator could not gather its quorum in time.
    Fail,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Ok => "ok",
            Answer::Fail => "fail",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Client to any node.
    Request(Request),
    /// A node outside the key's top N passes the request to a coordinator:
    /// the generic balancer's extra hop.
    Forward(Request),
    /// Coordinator to client.
    Reply {
        op: OpId,
        answer: Answer,
        /// A get's reconciled state, shared with the coordinator rather
        /// than copied: its siblings are the values read, and its context
        /// is what the client's next put carries, worked out only by a
        /// client that keeps the read. Empty for a put or a failure.
        read: Siblings,
    },
    /// Coordinator to replica: merge this state of the key and acknowledge.
    /// `hint` names the intended owner when the receiver stands in for it
    /// (sloppy quorum).
    Store {
        req: ReqId,
        key: Key,
        /// The coordinator's state after the put: every replica's copy
        /// shares its cells (a clone of a state costs a reference count).
        state: Siblings,
        hint: Option<NodeId>,
    },
    StoreAck {
        req: ReqId,
    },
    /// Coordinator to replica: send your state of the key.
    Fetch {
        req: ReqId,
        key: Key,
    },
    FetchReply {
        req: ReqId,
        key: Key,
        state: Siblings,
    },
    /// Coordinator to a replica that answered a get with an older state.
    Repair {
        key: Key,
        state: Siblings,
    },
    /// A stand-in hands the owner the writes it kept for it.
    Handoff {
        key: Key,
        state: Siblings,
    },
    /// The owner has merged a handed-off state; the stand-in may drop its
    /// hint if it has not changed since.
    HandoffAck {
        key: Key,
        state: Siblings,
    },
    /// Membership: one step of a gossip exchange.
    Gossip(GossipMsg),
    /// Anti-entropy: one step of a Merkle tree comparison, and the hashes
    /// both sides sent in this exchange so far, this step's included (so
    /// whoever ends the exchange can record what it cost). The step is
    /// boxed: inline (64 bytes) it would make every message, and so every
    /// queued event, larger for the sake of a rare one.
    AntiEntropy {
        step: Box<AeMsg>,
        hashes_so_far: u64,
    },
    /// Anti-entropy: the states of keys found divergent, and the keys whose
    /// states the sender wants back (empty in the answer).
    AeStates {
        states: Vec<(Key, Siblings)>,
        want: Vec<Key>,
    },
    /// Ownership moved (a join or leave): the old replica hands the key to
    /// a new one.
    Transfer {
        key: Key,
        state: Siblings,
    },
    /// The new owner has merged a transferred state; the old replica may
    /// drop the key if it is no longer one of its replicas.
    TransferAck {
        key: Key,
        state: Siblings,
    },
    /// A delete's coordinator asks whether the receiver holds exactly this
    /// tombstone of the key (a primary must) or nothing of it (everyone
    /// else must), before reaping it (Riak's `delete_mode`).
    ReapCheck {
        check: u64,
        key: Key,
        state: Siblings,
    },
    ReapCheckReply {
        check: u64,
        holds: Holds,
    },
    /// Every node agreed: drop the key if its replica is still exactly
    /// this tombstone.
    Reap {
        key: Key,
        state: Siblings,
    },
    /// Client to node: send me your view of the ring. A partition-aware
    /// client asks when a reply shows its own view is stale.
    ViewPull,
    /// Node to client: its ring view, which the client routes on from now.
    View(Arc<Ring>),
}

impl Describe for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Request(_) => "Request",
            Msg::Forward(_) => "Forward",
            Msg::Reply { .. } => "Reply",
            Msg::Store { .. } => "Store",
            Msg::StoreAck { .. } => "StoreAck",
            Msg::Fetch { .. } => "Fetch",
            Msg::FetchReply { .. } => "FetchReply",
            Msg::Repair { .. } => "Repair",
            Msg::Handoff { .. } => "Handoff",
            Msg::HandoffAck { .. } => "HandoffAck",
            Msg::Gossip(g) => g.kind(),
            Msg::AntiEntropy { step, .. } => match **step {
                AeMsg::Hashes { .. } => "MerkleHashes",
                AeMsg::Keys { .. } => "MerkleKeys",
            },
            Msg::AeStates { .. } => "MerkleStates",
            Msg::Transfer { .. } => "Transfer",
            Msg::TransferAck { .. } => "TransferAck",
            Msg::ReapCheck { .. } => "ReapCheck",
            Msg::ReapCheckReply { .. } => "ReapCheckReply",
            Msg::Reap { .. } => "Reap",
            Msg::ViewPull => "ViewPull",
            Msg::View(_) => "View",
        }
    }

    fn describe(&self, f: &mut Fields<'_>) {
        match self {
            Msg::Request(r) | Msg::Forward(r) => {
                f.u64("op", r.op.0)
                    .str("f", r.kind.as_str())
                    .key("key", r.key);
                if let Some(v) = r.value {
                    f.value("value", v);
                }
            }
            Msg::Reply { op, answer, read } => {
                f.u64("op", op.0).str("answer", answer.as_str());
                if !read.is_empty() {
                    f.values("values", &read.values());
                }
            }
            Msg::Store {
                req,
                key,
                state,
                hint,
            } => {
                f.u64("req", *req).key("key", *key);
                f.values("values", &state.values());
                if let Some(owner) = hint {
                    f.node("hint", *owner);
                }
            }
            Msg::StoreAck { req } => {
                f.u64("req", *req);
            }
            Msg::Fetch { req, key } => {
                f.u64("req", *req).key("key", *key);
            }
            Msg::FetchReply { req, key, state } => {
                f.u64("req", *req)
                    .key("key", *key)
                    .values("values", &state.values());
            }
            Msg::Repair { key, state }
            | Msg::Handoff { key, state }
            | Msg::HandoffAck { key, state }
            | Msg::Transfer { key, state }
            | Msg::TransferAck { key, state }
            | Msg::Reap { key, state } => {
                f.key("key", *key).values("values", &state.values());
            }
            Msg::Gossip(g) => {
                f.u64("bytes", g.wire_bytes());
            }
            Msg::AntiEntropy { step, .. } => {
                let ae = &**step;
                let range = ae.range();
                f.u64("range_end", range.end).u64("hashes", ae.hashes());
                if let AeMsg::Hashes { level, .. } = ae {
                    f.u64("level", u64::from(*level));
                }
            }
            Msg::AeStates { states, want } => {
                f.u64("states", states.len() as u64)
                    .u64("want", want.len() as u64);
            }
            Msg::ReapCheck { check, key, state } => {
                f.u64("check", *check)
                    .key("key", *key)
                    .values("values", &state.values());
            }
            Msg::ReapCheckReply { check, holds } => {
                f.u64("check", *check).str("holds", holds.as_str());
            }
            Msg::ViewPull => {}
            Msg::View(ring) => {
                f.nodes("members", ring.members());
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// The deadline of the oldest request this node coordinates.
    Requests,
    /// Time to offer the hints this node keeps to their owners.
    Handoff,
    /// A gossip round.
    Gossip,
    /// Time to compare one range's Merkle tree with a peer.
    AntiEntropy,
    /// A leaving node has handed its keys over: it stops.
    Leave,
    /// Time to send again the transfers no new replica has acknowledged.
    Transfers,
    /// A delete's coordinator asks whether the key's tombstone may go
    /// (the key, and the ticket of this schedule: a newer tombstone's
    /// timer voids an older one's).
    ReapCheck(Key, u32),
    /// A reap check's answers are due.
    ReapCheckDeadline(u64),
    /// A replica's tombstone has waited out the delay (reaping on the
    /// delay alone).
    Reap(Key),
}

impl Describe for Timer {
    fn kind(&self) -> &'static str {
        match self {
            Timer::Requests => "RequestTimeout",
            Timer::Handoff => "HandoffTick",
            Timer::Gossip => "GossipTick",
            Timer::AntiEntropy => "AntiEntropyTick",
            Timer::Leave => "LeaveDone",
            Timer::Transfers => "TransferRetry",
            Timer::ReapCheck(..) => "ReapCheckTick",
            Timer::ReapCheckDeadline(_) => "ReapCheckTimeout",
            Timer::Reap(_) => "ReapTick",
        }
    }
}
