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
        todo!()
    }

    /// Size on a plausible wire: 8 bytes a hash, digest or position bound,
    /// 4 a key id, index or level.
    pub fn wire_bytes(&self) -> u64 {
        todo!()
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
    todo!()
}

/// The receiver's answer to `msg`, from its forest alone.
pub fn respond(forest: &Forest, msg: &AeMsg) -> Next {
    todo!()
}
