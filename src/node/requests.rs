//! Which client requests this node has already acted on (paper §4.5: any
//! node may receive a client's request, and the network may deliver it
//! twice). A request is coordinated, forwarded or refused once per
//! (client, op), whatever copies the network makes: a second coordination
//! of one put would mint a second version of one value, stored twice and
//! concurrent with writes that had read the first.
//!
//! Memory stays bounded without a clock: each request carries how far
//! below it its client's oldest unfinished operation was
//! ([`Request::settled_floor`]). Every lower operation of that client has
//! ended at the client (answered or timed out), so a copy of one arriving
//! now is late by definition and is ignored, and the journal forgets ids
//! below the highest floor it has seen. What remains per client is the
//! handful of its operations still open.
//!
//! The journal is on disk: a crash keeps it (a copy delivered after the
//! restart is still recognised); a wiped disk loses it, as it loses the
//! data, so a copy that arrives after a wiped restart while its client
//! still waits can be coordinated again.

use super::msg::Request;
use crate::id::{ClientId, OpId};
use std::collections::BTreeMap;

/// Per client: the floor (every lower op has ended at the client) and the
/// ops at or above it that this node has acted on, sorted.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ClientLog {
    floor: OpId,
    seen: Vec<OpId>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestJournal {
    clients: BTreeMap<ClientId, ClientLog>,
}

/// Why a request is not acted on again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeat {
    /// This node already acted on this (client, op).
    Duplicate,
    /// The client had already finished this op when it sent a later one.
    Settled,
}

impl Repeat {
    pub fn as_str(self) -> &'static str {
        match self {
            Repeat::Duplicate => "duplicate",
            Repeat::Settled => "settled",
        }
    }
}

impl RequestJournal {
    /// Records `req` as acted on, or says why it must not be acted on
    /// again.
    pub fn first_time(&mut self, req: &Request) -> Result<(), Repeat> {
        let log = self.clients.entry(req.client).or_insert(ClientLog {
            floor: OpId(0),
            seen: Vec::new(),
        });
        let floor = req.settled_floor();
        if floor > log.floor {
            log.floor = floor;
            let keep_from = log.seen.partition_point(|&op| op < floor);
            log.seen.drain(..keep_from);
        }
        if req.op < log.floor {
            return Err(Repeat::Settled);
        }
        match log.seen.binary_search(&req.op) {
            Ok(_) => Err(Repeat::Duplicate),
            Err(at) => {
                log.seen.insert(at, req.op);
                Ok(())
            }
        }
    }

    /// Ops remembered in all (a bound the tests check).
    pub fn remembered(&self) -> usize {
        self.clients.values().map(|l| l.seen.len()).sum()
    }

    pub fn clear(&mut self) {
        self.clients.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::OpKind;
    use crate::id::Key;
    use crate::node::CarriedContext;

    fn req(client: u32, op: u64, settled_below: u32) -> Request {
        Request {
            op: OpId(op),
            client: ClientId(client),
            kind: OpKind::Put,
            key: Key(1),
            value: None,
            context: CarriedContext::default(),
            settled_below,
            hops: 0,
        }
    }

    #[test]
    fn a_copy_is_refused_and_another_clients_op_is_not() {
        let mut j = RequestJournal::default();
        assert_eq!(j.first_time(&req(0, 5, 0)), Ok(()));
        assert_eq!(j.first_time(&req(0, 5, 0)), Err(Repeat::Duplicate));
        assert_eq!(j.first_time(&req(1, 5, 0)), Ok(()));
        assert_eq!(j.first_time(&req(0, 6, 1)), Ok(()));
        assert_eq!(j.first_time(&req(0, 6, 1)), Err(Repeat::Duplicate));
    }

    #[test]
    fn ops_arriving_out_of_order_are_each_acted_on_once() {
        let mut j = RequestJournal::default();
        // Op 9 overtook op 7 on the network; 7 was still open when 9 left.
        assert_eq!(j.first_time(&req(0, 9, 2)), Ok(()));
        assert_eq!(j.first_time(&req(0, 7, 0)), Ok(()));
        assert_eq!(j.first_time(&req(0, 7, 0)), Err(Repeat::Duplicate));
        assert_eq!(j.first_time(&req(0, 9, 2)), Err(Repeat::Duplicate));
    }

    #[test]
    fn the_floor_forgets_settled_ops_and_refuses_their_late_copies() {
        let mut j = RequestJournal::default();
        for op in 0..100 {
            // Each op was the client's only open one when it was sent.
            assert_eq!(j.first_time(&req(0, op, 0)), Ok(()));
            assert_eq!(j.remembered(), 1, "only the open op is remembered");
        }
        // A copy of op 3, delivered long after: the client had finished it.
        assert_eq!(j.first_time(&req(0, 3, 0)), Err(Repeat::Settled));
        // An op never seen here, but below the floor: the client gave up on
        // it (a timeout), so acting on it now would surprise nobody less.
        assert_eq!(j.first_time(&req(0, 98, 0)), Err(Repeat::Settled));
        assert_eq!(j.first_time(&req(0, 99, 0)), Err(Repeat::Duplicate));
    }

    #[test]
    fn a_lower_floor_never_lowers_the_remembered_one() {
        let mut j = RequestJournal::default();
        assert_eq!(j.first_time(&req(0, 10, 0)), Ok(()));
        // Op 4 was sent before op 10 (floor 0) and arrives late: ignored
        // since op 10 said everything below 10 had ended.
        assert_eq!(j.first_time(&req(0, 4, 4)), Err(Repeat::Settled));
        assert_eq!(j.first_time(&req(0, 11, 11)), Ok(()));
        assert_eq!(j.remembered(), 2);
    }
}
