//! The anti-entropy exchange between two replicas of a range, as pure
//! functions of a forest and a message.
//!
//! A opens with its root (`start`). Each receiver compares the hashes it
//! got with its own at that level; where they differ it answers with its
//! own hashes one level down (the differing nodes' children), so each
//! message descends a level and both sides compare. At the leaves, the side
//! that found differing leaves sends its keys and digests there (`Keys`);
//! the other answers `Sync`: the keys whose states it should send (the
//! sender lacks them or holds a different digest) and the keys it wants
//! back. Shipping states is the node's business (it owns the store).
//!
//! A message descends one level, so an exchange is at most depth + 2
//! messages (root, depth levels of children, the keys) before `Sync`,
//! `Agree` or `Unknown` ends it. Junk in a message (a level past the
//! depth, an index past its level, a leaf past the last) is skipped or
//! answered `Unknown`, never a panic.

use std::collections::BTreeMap;

use super::{Forest, Hash};
use crate::id::Key;
use crate::ring::KeyRange;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AeMsg {
    /// The sender's hashes at `level` for the nodes whose parents differed
    /// (level 0: the root), ascending by index.
    Hashes {
        range: KeyRange,
        level: u32,
        nodes: Vec<(u32, Hash)>,
    },
    /// The sender's keys and digests in the leaves that differ.
    Keys {
        range: KeyRange,
        leaves: Vec<u32>,
        keys: Vec<(Key, u64)>,
    },
}

impl AeMsg {
    /// Hash values the message carries (what `hashes_sent` counts).
    pub fn hashes(&self) -> u64 {
        match self {
            AeMsg::Hashes { nodes, .. } => nodes.len() as u64,
            AeMsg::Keys { keys, .. } => keys.len() as u64,
        }
    }

    /// Size on a plausible wire: 8 bytes a hash, digest or position bound,
    /// 4 a key id, index or level.
    ///
    /// `Hashes`: the range's two bounds, the level, and an index and a
    /// hash a node. `Keys`: the bounds, an index a leaf, and a key id and
    /// a digest a key. No framing or length prefixes.
    pub fn wire_bytes(&self) -> u64 {
        const RANGE: u64 = 2 * 8;
        match self {
            AeMsg::Hashes { nodes, .. } => RANGE + 4 + nodes.len() as u64 * (4 + 8),
            AeMsg::Keys { leaves, keys, .. } => {
                RANGE + leaves.len() as u64 * 4 + keys.len() as u64 * (4 + 8)
            }
        }
    }

    pub fn range(&self) -> KeyRange {
        match self {
            AeMsg::Hashes { range, .. } | AeMsg::Keys { range, .. } => *range,
        }
    }
}

/// What the receiver of an [`AeMsg`] does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Send this to the peer.
    Reply(AeMsg),
    /// Keys compared: send the peer the states of `push`, and ask it for
    /// the states of `pull`. Both ascending by key.
    Sync { push: Vec<Key>, pull: Vec<Key> },
    /// Nothing differs: the exchange is over.
    Agree,
    /// This forest has no tree for that range (the two views of the ring
    /// differ): the exchange is abandoned.
    Unknown,
}

/// The opening message of an exchange over `range`: the root's hash.
/// `None` if this forest has no tree for it.
pub fn start(forest: &Forest, range: KeyRange) -> Option<AeMsg> {
    let tree = forest.tree(range)?;
    Some(AeMsg::Hashes {
        range,
        level: 0,
        nodes: vec![(0, tree.root())],
    })
}

/// The receiver's answer to `msg`, from its forest alone.
pub fn respond(forest: &Forest, msg: &AeMsg) -> Next {
    match msg {
        AeMsg::Hashes {
            range,
            level,
            nodes,
        } => compare_hashes(forest, *range, *level, nodes),
        AeMsg::Keys {
            range,
            leaves,
            keys,
        } => compare_keys(forest, *range, leaves, keys),
    }
}

/// A `Hashes` message: descend into the nodes that differ, or at the
/// leaves, send the keys there.
fn compare_hashes(forest: &Forest, range: KeyRange, level: u32, nodes: &[(u32, Hash)]) -> Next {
    let Some(tree) = forest.tree(range) else {
        return Next::Unknown;
    };
    if level > tree.depth() {
        return Next::Unknown;
    }
    let mut differing: Vec<u32> = nodes
        .iter()
        .filter(|&&(index, hash)| index < 1 << level && tree.hash(level, index) != hash)
        .map(|&(index, _)| index)
        .collect();
    differing.sort_unstable();
    differing.dedup();
    if differing.is_empty() {
        return Next::Agree;
    }
    if level == tree.depth() {
        let keys = forest.keys_in(range, &differing);
        return Next::Reply(AeMsg::Keys {
            range,
            leaves: differing,
            keys,
        });
    }
    let children = differing
        .iter()
        .flat_map(|&i| [2 * i, 2 * i + 1])
        .map(|child| (child, tree.hash(level + 1, child)))
        .collect();
    Next::Reply(AeMsg::Hashes {
        range,
        level: level + 1,
        nodes: children,
    })
}

/// A `Keys` message: the keys either side should send the other. A key
/// the peer lists twice counts with its last digest.
fn compare_keys(forest: &Forest, range: KeyRange, leaves: &[u32], keys: &[(Key, u64)]) -> Next {
    if forest.tree(range).is_none() {
        return Next::Unknown;
    }
    let own: BTreeMap<Key, u64> = forest.keys_in(range, leaves).into_iter().collect();
    let theirs: BTreeMap<Key, u64> = keys.iter().copied().collect();
    let missing_from = |a: &BTreeMap<Key, u64>, b: &BTreeMap<Key, u64>| -> Vec<Key> {
        a.iter()
            .filter(|&(k, d)| b.get(k) != Some(d))
            .map(|(&k, _)| k)
            .collect()
    };
    let push = missing_from(&own, &theirs);
    let pull = missing_from(&theirs, &own);
    if push.is_empty() && pull.is_empty() {
        Next::Agree
    } else {
        Next::Sync { push, pull }
    }
}
