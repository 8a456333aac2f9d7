//! Small copyable names for the things a run talks about: nodes, clients,
//! network endpoints, keys and operations.
//!
//! Nodes are written `n1`..`nN` in files and traces (one-based, as in the
//! scenario contract) and stored zero-based.

use std::fmt;

/// A storage node, zero-based; shown as `n1`, `n2`, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

impl NodeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
    /// Parses `n1`.. into a zero-based id; `None` for anything else.
    pub fn parse(text: &str) -> Option<NodeId> {
        let digits = text.strip_prefix('n')?;
        if digits.is_empty()
            || digits.starts_with('0')
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let n: u32 = digits.parse().ok()?;
        Some(NodeId(n - 1))
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0 + 1)
    }
}

/// A client, zero-based. Named clients from `[[op]]` come first in order of
/// appearance, then the `[workload]` clients; the run keeps the names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId(pub u32);

impl ClientId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Anything that sends or receives messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    Node(NodeId),
    Client(ClientId),
}

/// A key, as an index into the run's key table (generated keys `k0`.. and
/// the named keys of scripted operations); the table keeps the names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(pub u32);

/// A client operation, unique within a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpId(pub u64);

/// The value a put writes: the put's own operation id, so values are unique
/// and a checker can tell which put a read returned. Scripted puts give it
/// a label (`"milk"`), kept in the run's value table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ValueId(pub u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names_are_one_based() {
        assert_eq!(NodeId::parse("n1"), Some(NodeId(0)));
        assert_eq!(NodeId(7).to_string(), "n8");
        for bad in ["n0", "n", "x1", "n01", "n1a", "n-1", ""] {
            assert_eq!(NodeId::parse(bad), None, "{bad}");
        }
    }
}
