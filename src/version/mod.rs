//! Versions of a key: Dynamo's data versioning (DeCandia et al., SOSP 2007,
//! §4.4) and the two modes the simulator contrasts it with. Pure functions
//! over data: no clock, no I/O, no panics on any input.
//!
//! - [`Mode::VectorClock`] (`vc.rs`, `clock.rs`): per-node vector clocks,
//!   one clock per sibling, optionally truncated to the newest entries
//!   (§4.4). Shows the lost write when two writes meet at one coordinator,
//!   and counts the false conflicts truncation makes.
//! - [`Mode::Dvv`] (`dvv.rs`): dotted version vectors (Preguiça et al.) as a
//!   DVV set, Riak 2.0's form: concurrent writes through one coordinator
//!   stay siblings.
//! - [`Mode::Lww`] (`lww.rs`): last-write-wins by the coordinator's clock;
//!   loses writes under clock skew.
//!
//! Data flow in the node: a put reaches coordinator C with the client's
//! [`Context`]; C calls [`Siblings::put`] on its stored set and ships the
//! whole result to the other replicas, which call [`Siblings::merge`]. A get
//! merges the replicas' sets and returns [`Siblings::values`] and
//! [`Siblings::context`].
//!
//! [`Siblings::merge`] is a join (commutative, associative, idempotent) and
//! [`Siblings::compare`] is the partial order it induces: `a ≤ b` exactly
//! when `a` merged into `b` leaves `b` unchanged. Unit tests (and
//! proptests over random put/merge histories) hold both.

mod clock;
mod dvv;
mod lww;
mod siblings;
mod vc;

#[cfg(test)]
mod laws;
#[cfg(test)]
mod tests;

pub use clock::Context;
pub use siblings::Siblings;

/// How a run versions values (the scenario's `replication.versioning` and
/// `replication.clock_truncation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Per-node vector clocks; `truncate` is the most entries a clock keeps
    /// (0 = never truncate).
    VectorClock { truncate: u32 },
    /// Dotted version vectors (a DVV set per key).
    Dvv,
    /// Last write wins by the coordinator's timestamp.
    Lww,
}

/// The causal order of `self` relative to `other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Equal,
    Before,
    After,
    Concurrent,
}

/// What a put or merge did to a replica's state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Effect {
    /// Whether the stored state changed (a put always changes it unless LWW
    /// drops the write).
    pub changed: bool,
    /// Pairs of versions kept as concurrent siblings although their
    /// untruncated clocks are ordered: conflicts made by clock truncation.
    pub false_conflicts: u32,
}
