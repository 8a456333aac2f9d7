//! Merkle-tree anti-entropy, step 6 of the Dynamo design (DeCandia et al.,
//! SOSP 2007, §4.7): one hash tree per key range a node replicates, compared
//! top-down between two replicas so that only the differing subtrees are
//! walked and only the divergent keys are exchanged.
//!
//! Pure: no clock, no I/O, no randomness. A [`Tree`] covers one key range
//! split into 2^depth equal slices of the ring (its leaves); a leaf's hash
//! is the XOR of its keys' contributions ([`key_hash`]), so a write updates
//! one leaf, never a rebuild; inner hashes are computed from the leaves
//! when an exchange asks for them. A [`Forest`] is a node's
//! trees plus the digest of every key it holds in them. The exchange is
//! stateless on both sides: each [`AeMsg`] carries all the receiver needs
//! to compare and answer ([`respond`]), so a lost message ends that
//! exchange and the next one starts afresh; nothing waits forever.

mod exchange;
mod forest;
mod tree;

#[cfg(test)]
mod laws;
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
///
/// Each input is folded into the running value and stirred by [`mix64`]
/// (which maps 0 to 0; the constants keep all-zero inputs off it). A
/// present key contributing 0 has odds 2^-64 and would only hide that key
/// from its tree.
pub fn key_hash(position: Position, key: Key, digest: u64) -> Hash {
    let h = mix64(position ^ 0x243f_6a88_85a3_08d3);
    let h = mix64(h ^ u64::from(key.0) ^ 0x1319_8a2e_0370_7344);
    mix64(h ^ digest ^ 0xa409_3822_299f_31d0)
}

/// The hash of an inner node from its two children. Order matters (the
/// left child is stirred before the right is added), so a node's hash
/// depends on where its keys lie, not just on their XOR. An inner node
/// over two empty children is 0, and over anything else never 0, so a
/// subtree hashes to 0 exactly when all its leaves do.
pub(crate) fn node_hash(left: Hash, right: Hash) -> Hash {
    if left == 0 && right == 0 {
        return 0;
    }
    let h = mix64(mix64(left ^ 0x082e_fa98_ec4e_6c89).wrapping_add(right) ^ 0x4528_21e6_38d0_1377);
    if h == 0 { 1 } else { h }
}

/// The splitmix64 finalizer (Steele, Lea and Flood, 2014): a fixed
/// bijection of u64 with good avalanche, spelled out so trees agree on
/// every platform and Rust version.
pub(crate) fn mix64(z: u64) -> u64 {
    let z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
