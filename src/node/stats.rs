//! What a node did, counted for the summary (hints, repairs, transfers,
//! anti-entropy): the simulator's bookkeeping, kept across crashes.

/// What a node did, for the summary. Bookkeeping of the simulator, not
/// node state: it survives crashes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeStats {
    pub coordinated_puts: u64,
    pub coordinated_gets: u64,
    /// Requests passed on to a coordinator (the generic balancer's hop).
    pub forwards: u64,
    /// Writes kept for an unreachable owner (new hints).
    pub hints_stored: u64,
    /// Hints the owner acknowledged, then dropped here.
    pub hints_delivered: u64,
    /// Repair messages sent after gets that saw stale replicas.
    pub read_repairs: u64,
    /// Replica answers that came after their request was over.
    pub late_replies: u64,
    /// Siblings kept only because truncated clocks hid their order.
    pub false_conflicts: u64,
    /// Requests answered with a failure: no quorum in time.
    pub quorum_failures: u64,
    /// Copies of a client request this node had already acted on (the
    /// network duplicated it), or of one its client had finished: ignored.
    pub repeated_requests: u64,
    /// Requests this node refused: forwarded to it by a node whose view
    /// disagrees with its own, with no replica left to pass them to and no
    /// sloppy quorum to stand in under.
    pub refused_requests: u64,
    /// Puts refused because they would leave more siblings than
    /// `replication.max_siblings` (Riak's cap).
    pub refused_over_max_siblings: u64,
    /// Replica messages (store, fetch) that reached a node which, by its own
    /// view, holds no replica of the key: a stale view somewhere.
    pub misrouted: u64,
    /// Keys sent to a new replica after a join or leave moved them.
    pub transfers: u64,
    /// Keys dropped here once their new replica had them.
    pub transfers_dropped: u64,
    /// Transfers sent again because no acknowledgement came in time.
    pub transfer_retries: u64,
    /// Anti-entropy comparisons this node started.
    pub ae_exchanges: u64,
    /// Tree hashes this node sent in comparisons.
    pub ae_hashes_sent: u64,
    /// Key states this node sent to repair a divergence.
    pub ae_keys_sent: u64,
}

impl NodeStats {
    pub fn add(&mut self, o: &NodeStats) {
        self.coordinated_puts += o.coordinated_puts;
        self.coordinated_gets += o.coordinated_gets;
        self.forwards += o.forwards;
        self.hints_stored += o.hints_stored;
        self.hints_delivered += o.hints_delivered;
        self.read_repairs += o.read_repairs;
        self.late_replies += o.late_replies;
        self.false_conflicts += o.false_conflicts;
        self.quorum_failures += o.quorum_failures;
        self.repeated_requests += o.repeated_requests;
        self.refused_requests += o.refused_requests;
        self.refused_over_max_siblings += o.refused_over_max_siblings;
        self.misrouted += o.misrouted;
        self.transfers += o.transfers;
        self.transfers_dropped += o.transfers_dropped;
        self.transfer_retries += o.transfer_retries;
        self.ae_exchanges += o.ae_exchanges;
        self.ae_hashes_sent += o.ae_hashes_sent;
        self.ae_keys_sent += o.ae_keys_sent;
    }
}
