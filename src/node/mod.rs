//! The storage node.
//!
//! For now this is a stand-in that exercises the engine end to end through
//! the same sans-IO interface the Dynamo node will use: a single-copy
//! key-value store in which each key lives on one home node (a fixed hash of
//! the key, modulo the initial members). No replication, no quorum, no
//! versions: a put overwrites, a get returns what is there. A request that
//! reaches another node is forwarded to the home node (one extra hop, as
//! with Dynamo's generic load balancer), which answers the client directly.
//!
//! Storage has the two halves a crash must tell apart: a durable map (the
//! disk) that survives a crash unless the restart wipes it, and a volatile
//! count of requests served since the process started.

use crate::actor::{Describe, Node, OpKind, Outbox};
use crate::id::{ClientId, Endpoint, Key, NodeId, OpId, ValueId};
use crate::time::SimTime;
use crate::trace::Fields;
use std::collections::BTreeMap;

/// The messages of the stand-in protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Client to any node.
    Request(Request),
    /// A node that is not the key's home passes the request on.
    Forward(Request),
    /// Home node to client.
    Reply { op: OpId, values: Vec<ValueId> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub op: OpId,
    pub client: ClientId,
    pub kind: OpKind,
    pub key: Key,
    pub value: Option<ValueId>,
}

impl Describe for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Request(_) => "Request",
            Msg::Forward(_) => "Forward",
            Msg::Reply { .. } => "Reply",
        }
    }

    fn describe(&self, f: &mut Fields<'_>) {
        match self {
            Msg::Request(r) | Msg::Forward(r) => {
                f.u64("op", r.op.0)
                    .str("f", r.kind.as_str())
                    .key("key", r.key);
            }
            Msg::Reply { op, .. } => {
                f.u64("op", op.0);
            }
        }
    }
}

/// The stand-in node sets no timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {}

impl Describe for Timer {
    fn kind(&self) -> &'static str {
        match *self {}
    }
}

/// The home of `key` among `members` nodes: a fixed 64-bit mix (splitmix64's
/// finaliser), the same on every platform.
pub fn home_of(key: Key, members: u32) -> NodeId {
    let mut z = u64::from(key.0).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    NodeId((z % u64::from(members.max(1))) as u32)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandInNode {
    id: NodeId,
    members: u32,
    /// Survives a crash; gone after a wiping restart.
    disk: BTreeMap<Key, ValueId>,
    /// Requests served since this process started; lost in a crash.
    served_since_start: u64,
}

impl StandInNode {
    pub fn new(id: NodeId, members: u32) -> Self {
        StandInNode {
            id,
            members,
            disk: BTreeMap::new(),
            served_since_start: 0,
        }
    }

    pub fn get(&self, key: Key) -> Option<ValueId> {
        self.disk.get(&key).copied()
    }

    pub fn served_since_start(&self) -> u64 {
        self.served_since_start
    }

    fn serve(&mut self, req: Request, out: &mut impl Outbox<Msg, Timer>) {
        self.served_since_start += 1;
        let values = match req.kind {
            OpKind::Put => {
                if let Some(v) = req.value {
                    self.disk.insert(req.key, v);
                }
                Vec::new()
            }
            OpKind::Get => self.disk.get(&req.key).copied().into_iter().collect(),
        };
        out.send(
            Endpoint::Client(req.client),
            Msg::Reply { op: req.op, values },
        );
    }
}

impl Node for StandInNode {
    type Msg = Msg;
    type Timer = Timer;

    fn id(&self) -> NodeId {
        self.id
    }

    fn on_start(&mut self, _now: SimTime, _out: &mut impl Outbox<Msg, Timer>) {
        self.served_since_start = 0;
    }

    fn on_message(
        &mut self,
        _now: SimTime,
        _from: Endpoint,
        msg: Msg,
        out: &mut impl Outbox<Msg, Timer>,
    ) {
        match msg {
            Msg::Request(req) => {
                let home = home_of(req.key, self.members);
                if home == self.id {
                    self.serve(req, out);
                } else {
                    out.send(Endpoint::Node(home), Msg::Forward(req));
                }
            }
            // A forward is served where it lands: the sender chose the home.
            Msg::Forward(req) => self.serve(req, out),
            Msg::Reply { .. } => {}
        }
    }

    fn on_timer(&mut self, _now: SimTime, timer: Timer, _out: &mut impl Outbox<Msg, Timer>) {
        match timer {}
    }

    fn on_crash(&mut self) {
        self.served_since_start = 0;
    }

    fn on_restart(&mut self, _now: SimTime, wipe_disk: bool, _out: &mut impl Outbox<Msg, Timer>) {
        if wipe_disk {
            self.disk.clear();
        }
    }

    fn stored_keys(&self) -> usize {
        self.disk.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::TimerId;

    /// A few-line harness: collects what the node sends.
    #[derive(Default)]
    struct Collect(Vec<(Endpoint, Msg)>);

    impl Outbox<Msg, Timer> for Collect {
        fn send(&mut self, to: Endpoint, msg: Msg) {
            self.0.push((to, msg));
        }
        fn set_timer(&mut self, _after: SimTime, timer: Timer) -> TimerId {
            match timer {}
        }
        fn cancel_timer(&mut self, _id: TimerId) {}
        fn note(&mut self, _kind: &'static str, _fields: impl FnOnce(&mut Fields<'_>)) {}
        fn halt(&mut self) {}
    }

    fn request(kind: OpKind, key: Key, value: Option<u64>) -> Msg {
        Msg::Request(Request {
            op: OpId(1),
            client: ClientId(0),
            kind,
            key,
            value: value.map(ValueId),
        })
    }

    #[test]
    fn home_serves_and_others_forward() {
        let key = Key(42);
        let home = home_of(key, 4);
        let other = NodeId((home.0 + 1) % 4);
        let mut out = Collect::default();
        StandInNode::new(other, 4).on_message(
            SimTime::ZERO,
            Endpoint::Client(ClientId(0)),
            request(OpKind::Get, key, None),
            &mut out,
        );
        assert!(matches!(&out.0[..], [(Endpoint::Node(n), Msg::Forward(_))] if *n == home));

        let mut node = StandInNode::new(home, 4);
        let mut out = Collect::default();
        node.on_message(
            SimTime::ZERO,
            Endpoint::Client(ClientId(0)),
            request(OpKind::Put, key, Some(7)),
            &mut out,
        );
        node.on_message(
            SimTime::ZERO,
            Endpoint::Client(ClientId(0)),
            request(OpKind::Get, key, None),
            &mut out,
        );
        assert_eq!(
            out.0[1].1,
            Msg::Reply {
                op: OpId(1),
                values: vec![ValueId(7)]
            }
        );
    }

    #[test]
    fn disk_survives_a_crash_but_not_a_wipe() {
        let mut node = StandInNode::new(NodeId(0), 1);
        let mut out = Collect::default();
        node.on_message(
            SimTime::ZERO,
            Endpoint::Client(ClientId(0)),
            request(OpKind::Put, Key(1), Some(9)),
            &mut out,
        );
        node.on_crash();
        assert_eq!(node.served_since_start(), 0, "memory is lost");
        node.on_restart(SimTime::ZERO, false, &mut out);
        assert_eq!(node.get(Key(1)), Some(ValueId(9)), "the disk is not");
        node.on_crash();
        node.on_restart(SimTime::ZERO, true, &mut out);
        assert_eq!(node.get(Key(1)), None);
    }
}
