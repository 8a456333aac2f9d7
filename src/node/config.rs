//! The settings every Dynamo node of a run shares (the scenario's
//! `[replication]`, `[gossip]` and `[anti_entropy]`, paper §4.5-§4.8), and
//! the bugs a test may plant in the protocol to see them caught.

use super::ClusterPlan;
use crate::gossip;
use crate::time::SimTime;
use crate::version::Mode;

/// The replication settings every node of a run shares.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub n: usize,
    pub r: usize,
    pub w: usize,
    pub request_timeout: SimTime,
    pub sloppy_quorum: bool,
    pub hinted_handoff: bool,
    pub read_repair: bool,
    pub mode: Mode,
    /// A put that would leave a key more siblings than this fails (Riak's
    /// `max_siblings`); 0: no cap.
    pub max_siblings: usize,
    /// Riak's KV679 fix: a node that forgets what it minted on a key (a
    /// dropped hint or hand-over, a lost key, a wiped disk) mints under a
    /// fresh actor name from then on. `false` shows the loss without it.
    pub key_epochs: bool,
    /// How long after a delete its tombstone is reaped (Riak's
    /// `delete_mode`): `None` keeps tombstones for ever ("keep"),
    /// `Some(0)` reaps as soon as the delete is acknowledged ("immediate").
    pub delete_mode: Option<SimTime>,
    /// Riak's rule: a tombstone is reaped only when every primary holds
    /// exactly it and no other node holds the key (the delete's
    /// coordinator asks them all). `false`: each replica reaps its own
    /// tombstone on the delay alone, as Cassandra's `gc_grace_seconds`.
    pub reap_needs_all_primaries: bool,
    /// How often a stand-in offers its hints to their owners.
    pub handoff_interval: SimTime,
    /// How long a peer that let a request time out stays suspected.
    pub suspect_for: SimTime,
    /// Gossip membership and failure detection; `None`: static membership,
    /// reachability from request timeouts alone.
    pub gossip: Option<gossip::Config>,
    /// Merkle anti-entropy; `None`: off.
    pub anti_entropy: Option<AntiEntropyConfig>,
    /// Who the nodes are, for rebuilding the ring when membership changes.
    pub plan: ClusterPlan,
    /// Membership is told to each node from outside (`Node::on_membership`)
    /// rather than gossiped: `dynsim check` tells each node of a join or a
    /// leave at a step of its own. With it and gossip off, a graceful
    /// leave hands its keys over and lingers instead of stopping at once.
    pub told_membership: bool,
    /// The node asserts (debug builds) that it never mints a dot twice
    /// (`minted`). Off only where `dynsim check` explores a planted bug,
    /// so that the explorer and the counterexample's run judge the bug by
    /// what it does (a lost acknowledged write), not stop at the assertion.
    pub dot_assertion: bool,
    /// A bug planted on purpose, so a test can show that the checkers and
    /// the property tests catch a broken protocol. Never set by a scenario
    /// file; `None` in every real run.
    pub deliberate_bug: Option<DeliberateBug>,
}

/// Bugs a test can plant in the protocol to see them caught (issue: the
/// testing tool must be shown to fail when the protocol is wrong).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliberateBug {
    /// The coordinator answers a put after W-1 acknowledgements (its own
    /// write included) instead of W.
    AckBeforeQuorum,
    /// A replica merging a state concurrent with its own keeps its own
    /// siblings and drops the incoming ones.
    MergeDropsSibling,
    /// A forwarded request is coordinated wherever it lands, and a
    /// stand-in versions it against its hints alone (the bug an outside
    /// check found: a leaving node minted one dot twice).
    CoordinateAnyForward,
    /// Every copy of a request the network duplicated is coordinated.
    CoordinateDuplicates,
}

impl DeliberateBug {
    pub const ALL: [DeliberateBug; 4] = [
        DeliberateBug::AckBeforeQuorum,
        DeliberateBug::MergeDropsSibling,
        DeliberateBug::CoordinateAnyForward,
        DeliberateBug::CoordinateDuplicates,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliberateBug::AckBeforeQuorum => "ack-before-quorum",
            DeliberateBug::MergeDropsSibling => "merge-drops-sibling",
            DeliberateBug::CoordinateAnyForward => "coordinate-any-forward",
            DeliberateBug::CoordinateDuplicates => "coordinate-duplicates",
        }
    }
}

/// The `[anti_entropy]` settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AntiEntropyConfig {
    pub interval: SimTime,
    pub tree_depth: u32,
    /// (Range, peer) comparisons started every `interval`.
    pub ranges_per_exchange: u32,
}

impl Config {
    /// Whether a put leaving `siblings` siblings goes past the cap.
    #[inline]
    pub fn too_many_siblings(&self, siblings: usize) -> bool {
        self.max_siblings > 0 && siblings > self.max_siblings
    }
}
