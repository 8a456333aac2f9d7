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

impl NodeId {
    /// Node ids stay below this; ids at or above it are versioning actors.
    pub const ACTOR_STRIDE: u32 = 1 << 16;

    /// The versioning actor this node is in its `epoch`-th life with a
    /// fresh disk. A node that lost its disk has forgotten the counters it
    /// minted, so it must not mint under its old name again (Riak gives a
    /// vnode a new id after data loss for the same reason). Epoch 0 is the
    /// node itself. Shown as `n2#1`.
    pub fn actor(self, epoch: u32) -> NodeId {
        let epoch = epoch.min(u32::MAX / Self::ACTOR_STRIDE - 1);
        NodeId(self.0 % Self::ACTOR_STRIDE + epoch * Self::ACTOR_STRIDE)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (node, epoch) = (self.0 % Self::ACTOR_STRIDE, self.0 / Self::ACTOR_STRIDE);
        if epoch == 0 {
            write!(f, "n{}", node + 1)
        } else {
            write!(f, "n{}#{epoch}", node + 1)
        }
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
    fn actors_of_one_node_are_distinct_and_name_their_node() {
        let n2 = NodeId(1);
        assert_eq!(n2.actor(0), n2);
        assert_eq!(n2.actor(3).to_string(), "n2#3");
        assert_ne!(n2.actor(1), NodeId(2).actor(1));
        assert_ne!(n2.actor(1), n2.actor(2));
        assert_eq!(
            n2.actor(1).actor(2),
            n2.actor(2),
            "an actor's actor is the node's"
        );
    }

    #[test]
    fn node_names_are_one_based() {
        assert_eq!(NodeId::parse("n1"), Some(NodeId(0)));
        assert_eq!(NodeId(7).to_string(), "n8");
        for bad in ["n0", "n", "x1", "n01", "n1a", "n-1", ""] {
            assert_eq!(NodeId::parse(bad), None, "{bad}");
        }
    }
}

/// Display names of the run's keys, values and clients, for traces,
/// reports and narration. Generated keys are `k0`..; named keys of scripted
/// operations follow them. Generated values are `v<op>`; a scripted put's
/// value carries its label.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    /// How many generated keys the workload has.
    pub workload_keys: u32,
    /// Keys named by scripted operations that are not generated keys.
    pub named_keys: Vec<String>,
    /// Labels of scripted puts' values, indexed by `ValueId::script_index`.
    pub value_labels: Vec<String>,
    /// Client names, indexed by `ClientId`.
    pub clients: Vec<String>,
    /// Names of typed values' elements, indexed by `value::Element`.
    pub elements: Vec<String>,
}

/// Scripted values live in the top half of the id space, so they never meet
/// generated ones (which are operation ids).
const SCRIPTED_VALUE_BIT: u64 = 1 << 63;

/// A delete writes a tombstone: a version without a value, whose id has
/// this bit set beside its operation's id (so tombstones are as unique as
/// values, and the checkers' supersedes relation covers deletes as it
/// covers puts). A get shows the client only the values that are not
/// tombstones: a deleted key reads as `[]`, and a tombstone beside a
/// concurrent value reads as that value.
const TOMBSTONE_BIT: u64 = 1 << 62;

impl ValueId {
    /// The tombstone a delete (operation `op`) writes.
    pub fn tombstone(op: OpId) -> ValueId {
        ValueId(TOMBSTONE_BIT | (op.0 & !SCRIPTED_VALUE_BIT))
    }

    pub fn is_tombstone(self) -> bool {
        self.0 & SCRIPTED_VALUE_BIT == 0 && self.0 & TOMBSTONE_BIT != 0
    }

    /// The value of the `i`th labelled scripted put.
    pub fn scripted(i: u32) -> ValueId {
        ValueId(SCRIPTED_VALUE_BIT | u64::from(i))
    }
    pub fn script_index(self) -> Option<u32> {
        (self.0 & SCRIPTED_VALUE_BIT != 0).then_some((self.0 & !SCRIPTED_VALUE_BIT) as u32)
    }
}

impl Names {
    /// The key called `name`: a generated key for `k<i>` with `i` below the
    /// workload's key count, a named key otherwise (added if new).
    pub fn intern_key(&mut self, name: &str) -> Key {
        if let Some(key) = self.find_key(name) {
            return key;
        }
        self.named_keys.push(name.to_string());
        Key(self.workload_keys + self.named_keys.len() as u32 - 1)
    }

    /// The key called `name`, if the run names it (see `intern_key`).
    pub fn find_key(&self, name: &str) -> Option<Key> {
        if let Some(i) = name.strip_prefix('k').and_then(|d| d.parse::<u32>().ok()) {
            if i < self.workload_keys && name == format!("k{i}") {
                return Some(Key(i));
            }
        }
        let pos = self.named_keys.iter().position(|k| k == name)?;
        Some(Key(self.workload_keys + pos as u32))
    }

    pub fn key(&self, key: Key) -> std::borrow::Cow<'_, str> {
        match key.0.checked_sub(self.workload_keys) {
            Some(i) => match self.named_keys.get(i as usize) {
                Some(name) => name.as_str().into(),
                None => format!("k{}", key.0).into(),
            },
            None => format!("k{}", key.0).into(),
        }
    }

    pub fn value(&self, value: ValueId) -> std::borrow::Cow<'_, str> {
        if value.is_tombstone() {
            return format!("tombstone-{}", value.0 & !TOMBSTONE_BIT).into();
        }
        match value
            .script_index()
            .and_then(|i| self.value_labels.get(i as usize))
        {
            Some(label) => label.as_str().into(),
            None => format!("v{}", value.0).into(),
        }
    }

    /// The element called `name` (added if new).
    pub fn intern_element(&mut self, name: &str) -> crate::value::Element {
        let at = match self.elements.iter().position(|e| e == name) {
            Some(at) => at,
            None => {
                self.elements.push(name.to_string());
                self.elements.len() - 1
            }
        };
        crate::value::Element(at as u32)
    }

    pub fn element(&self, element: crate::value::Element) -> std::borrow::Cow<'_, str> {
        match self.elements.get(element.0 as usize) {
            Some(name) => name.as_str().into(),
            None => format!("e{}", element.0).into(),
        }
    }

    pub fn client(&self, client: ClientId) -> std::borrow::Cow<'_, str> {
        match self.clients.get(client.index()) {
            Some(name) => name.as_str().into(),
            None => format!("c{}", client.0 + 1).into(),
        }
    }
}

#[cfg(test)]
mod name_tests {
    use super::*;

    #[test]
    fn named_keys_follow_generated_ones() {
        let mut names = Names {
            workload_keys: 10,
            ..Names::default()
        };
        assert_eq!(names.intern_key("k3"), Key(3));
        assert_eq!(names.intern_key("cart"), Key(10));
        assert_eq!(
            names.intern_key("k10"),
            Key(11),
            "beyond the generated keys"
        );
        assert_eq!(names.intern_key("cart"), Key(10));
        assert_eq!(names.intern_key("k03"), Key(12), "not the canonical form");
        assert_eq!(names.key(Key(10)), "cart");
        assert_eq!(names.key(Key(4)), "k4");
        names.value_labels.push("milk".into());
        assert_eq!(names.value(ValueId::scripted(0)), "milk");
        assert_eq!(names.value(ValueId(17)), "v17");
    }
}
