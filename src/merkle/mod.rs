//! Merkle-tree anti-entropy, step 6 of the Dynamo design (DeCandia et al.,
//! SOSP 2007, §4.7): one hash tree per key range a node replicates, compared
//! top-down between two replicas so that only the differing subtrees are
//! walked and only the divergent keys are exchanged.
//!
//! Pure: no clock, no I/O, no randomness. A [`Tree`] covers one key range
//! split into 2^depth equal slices of the ring (its leaves); a leaf's hash
//! is the XOR of its keys' contributions ([`key_hash`]), so a write updates
//! one leaf and the path above it, never a rebuild. A [`Forest`] is a node's
//! trees plus the digest of every key it holds in them. The exchange is
//! stateless on both sides: each [`AeMsg`] carries all the receiver needs
//! to compare and answer ([`respond`]), so a lost message ends that
//! exchange and the next one starts afresh; nothing waits forever.

mod exchange;
mod forest;
mod tree;

#[cfg(test)]
mod tests;

pub use exchange::{AeMsg, Next, respond, start};
pub use forest::Forest;
pub use tree::Tree;

use crate::id::Key;
use crate::ring::Position;

/// A node of a tree.
pub type Hash = u64;

/// A key's contribution to its leaf: a fixed 64-bit mix of its position,
/// id and state digest (`Siblings::digest`); an absent key contributes 0.
/// Specified here (not `std`'s hasher), so trees agree across platforms.
pub fn key_hash(position: Position, key: Key, digest: u64) -> Hash {
    todo!()
}
