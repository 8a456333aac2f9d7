//! Where things land on the ring (Dynamo §4.2): keys and virtual-node tokens
//! are placed by MD5, and the equal partitions of strategies 2 and 3 (§6.2)
//! are fixed arithmetic slices of the 64-bit position space.
//!
//! Every function here is fixed by a specification (RFC 1321 and integer
//! arithmetic), not by `std`'s hasher or a crate's random algorithm, so a key
//! lands on the same node on every platform and every Rust version.

use md5::{Digest, Md5};

use super::Position;
use crate::id::NodeId;

/// The first 8 bytes of an MD5 digest, read big-endian.
fn md5_position(parts: &[&[u8]]) -> Position {
    let mut hasher = Md5::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// Where `name` (a key's name, as bytes) lands on the ring: the first 8
/// bytes of MD5(name), big-endian. Dynamo hashes the key with MD5 too
/// (§4.2); we keep the top 64 of its 128 bits.
pub fn key_position(name: &[u8]) -> Position {
    md5_position(&[name])
}

/// Separates token hashes from key hashes: no key name can collide with a
/// token's byte encoding by accident of layout.
const TOKEN_DOMAIN: &[u8] = b"dynsim/token/v1";

/// The `index`th random token of `node` under `seed` (strategies 1 and 2):
/// the first 8 bytes, big-endian, of
/// MD5(`"dynsim/token/v1"` ‖ seed as u64 BE ‖ node id (zero-based) as u32 BE
/// ‖ index as u32 BE).
///
/// A pure function of (seed, node, index): a node's tokens never depend on
/// who else is in the ring, so a join adds tokens and moves nothing else,
/// and a heavier node's tokens extend a lighter one's (weight 2 keeps the
/// weight-1 tokens and adds more). MD5 rather than a ChaCha stream so that
/// the i-th token can be computed alone, and the choice is spelled out by
/// one line of bytes.
pub fn node_token(seed: u64, node: NodeId, index: u32) -> Position {
    md5_position(&[
        TOKEN_DOMAIN,
        &seed.to_be_bytes(),
        &node.0.to_be_bytes(),
        &index.to_be_bytes(),
    ])
}

/// The size of the position space, 2^64.
pub(crate) const SPACE: u128 = 1 << 64;

/// Which of `partitions` equal slices holds `pos`: floor(pos * Q / 2^64).
/// Partition p is [ceil(p * 2^64 / Q), ceil((p+1) * 2^64 / Q) - 1].
/// `partitions` must be at least 1.
pub fn partition_of(pos: Position, partitions: u32) -> u32 {
    ((u128::from(pos) * u128::from(partitions)) >> 64) as u32
}

/// The last position (inclusive) of partition `p` of `partitions`: the
/// partition's token, since a ring range is (previous token, token].
/// The last partition ends at `u64::MAX`, so partitions never wrap.
pub fn partition_end(p: u32, partitions: u32) -> Position {
    let q = u128::from(partitions);
    let next_start = (u128::from(p) + 1) * SPACE;
    let next_start = next_start.div_ceil(q);
    (next_start - 1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1321's test suite: the first 8 bytes of each digest.
    #[test]
    fn key_positions_match_known_md5_vectors() {
        let vectors: [(&[u8], u64); 4] = [
            (b"", 0xd41d8cd98f00b204),
            (b"a", 0x0cc175b9c0f1b6a8),
            (b"abc", 0x900150983cd24fb0),
            (b"message digest", 0xf96b697d7cb7938d),
        ];
        for (input, expected) in vectors {
            assert_eq!(
                key_position(input),
                expected,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn tokens_are_pure_and_distinct_per_input() {
        let a = node_token(1, NodeId(0), 0);
        assert_eq!(a, node_token(1, NodeId(0), 0));
        assert_ne!(a, node_token(2, NodeId(0), 0));
        assert_ne!(a, node_token(1, NodeId(1), 0));
        assert_ne!(a, node_token(1, NodeId(0), 1));
    }

    #[test]
    fn partitions_tile_the_space() {
        for q in [1u32, 2, 3, 7, 256, 1000, u32::MAX] {
            assert_eq!(partition_of(0, q), 0);
            assert_eq!(partition_of(u64::MAX, q), q - 1);
            assert_eq!(partition_end(q - 1, q), u64::MAX);
            for p in [0, q / 2, q.saturating_sub(2)] {
                let end = partition_end(p, q);
                assert_eq!(partition_of(end, q), p, "q={q} p={p}");
                if p + 1 < q {
                    assert_eq!(partition_of(end + 1, q), p + 1, "q={q} p={p}");
                }
            }
        }
    }
}
