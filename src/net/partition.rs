//! Network partitions: which directed links are cut right now, and since
//! when.
//!
//! Dynamo is built to stay writable through partitions (paper, sections 1
//! and 4.6: sloppy quorums and hinted handoff exist because "network
//! partitions" happen), so the nemesis needs the same vocabulary of cuts as
//! Jepsen's: split into groups, isolate one node, cut one direction, a
//! bridge (two halves joined only through one node), a random
//! majority/minority split, and heal.
//!
//! Each directed link carries an *epoch*, bumped every time the link goes
//! from open to blocked. A message records the epoch when it is sent; at
//! delivery the engine drops it if the link is blocked or its epoch has
//! moved, because the message was in flight across a cut (even one that
//! has since healed). A node always reaches itself.

use rand::Rng;

use crate::id::NodeId;
use crate::net::dist::uniform_index;

/// A dense directed matrix of open/blocked links with per-link epochs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reachability {
    total_nodes: usize,
    /// `blocked[from * total_nodes + to]`.
    blocked: Vec<bool>,
    /// Times each link has gone from open to blocked.
    epoch: Vec<u32>,
    blocked_links: usize,
    /// Whether any link was ever cut. Until then every link is open at
    /// epoch zero, and a send reads neither matrix: with a thousand nodes
    /// they are megabytes, and each read a cache miss.
    ever_cut: bool,
}

impl Reachability {
    /// Every link open, every epoch zero.
    pub fn new(total_nodes: u32) -> Reachability {
        let n = total_nodes as usize;
        Reachability {
            total_nodes: n,
            blocked: vec![false; n * n],
            epoch: vec![0; n * n],
            blocked_links: 0,
            ever_cut: false,
        }
    }

    pub fn total_nodes(&self) -> u32 {
        self.total_nodes as u32
    }

    fn link(&self, from: NodeId, to: NodeId) -> usize {
        from.index() * self.total_nodes + to.index()
    }

    /// Can a message sent now from `from` reach `to`?
    pub fn is_open(&self, from: NodeId, to: NodeId) -> bool {
        self.blocked_links == 0 || !self.blocked[self.link(from, to)]
    }

    /// How many times the link has been cut; stamp this on a message sent.
    pub fn epoch(&self, from: NodeId, to: NodeId) -> u32 {
        if !self.ever_cut {
            return 0;
        }
        self.epoch[self.link(from, to)]
    }

    /// Whether a message sent at `epoch` may be delivered now: the link is
    /// open and has not been cut since.
    pub fn open_since(&self, from: NodeId, to: NodeId, epoch: u32) -> bool {
        if !self.ever_cut {
            return epoch == 0;
        }
        let link = self.link(from, to);
        !self.blocked[link] && self.epoch[link] == epoch
    }

    /// True when no link is blocked.
    pub fn is_whole(&self) -> bool {
        self.blocked_links == 0
    }

    /// Directed links blocked now.
    pub fn blocked_links(&self) -> usize {
        self.blocked_links
    }

    fn block(&mut self, from: NodeId, to: NodeId) {
        if from == to {
            return;
        }
        let link = self.link(from, to);
        if !self.blocked[link] {
            self.blocked[link] = true;
            // Four billion cuts of one link would be needed to wrap.
            self.epoch[link] = self.epoch[link].wrapping_add(1);
            self.ever_cut = true;
            self.blocked_links += 1;
        }
    }

    fn open(&mut self, from: NodeId, to: NodeId) {
        let link = self.link(from, to);
        if self.blocked[link] {
            self.blocked[link] = false;
            self.blocked_links -= 1;
        }
    }

    fn block_both_ways(&mut self, a: NodeId, b: NodeId) {
        self.block(a, b);
        self.block(b, a);
    }

    fn nodes(&self) -> impl Iterator<Item = NodeId> + use<> {
        (0..self.total_nodes as u32).map(NodeId)
    }

    /// Nodes in different groups can no longer reach each other, both ways;
    /// nodes listed in no group form one more group together. Adds to the
    /// cuts already in place. A node listed twice belongs to its first group.
    pub fn partition(&mut self, groups: &[Vec<NodeId>]) {
        let unlisted = groups.len();
        let mut group_of = vec![unlisted; self.total_nodes];
        for (index, group) in groups.iter().enumerate().rev() {
            for node in group {
                group_of[node.index()] = index;
            }
        }
        for a in self.nodes() {
            for b in self.nodes() {
                if group_of[a.index()] != group_of[b.index()] {
                    self.block(a, b);
                }
            }
        }
    }

    /// Cuts `node` off from every other node, both ways.
    pub fn isolate(&mut self, node: NodeId) {
        for other in self.nodes() {
            self.block_both_ways(node, other);
        }
    }

    /// One way: `from` can no longer reach `to`; `to` still reaches `from`.
    pub fn cut(&mut self, from: NodeId, to: NodeId) {
        self.block(from, to);
    }

    /// `left` and `right` can no longer reach each other, while `via`
    /// reaches (and is reached by) both: its links to them are reopened, so
    /// the bridge holds even over an earlier cut. Other nodes are untouched.
    pub fn bridge(&mut self, left: &[NodeId], right: &[NodeId], via: NodeId) {
        for &l in left.iter().filter(|&&l| l != via) {
            for &r in right.iter().filter(|&&r| r != via) {
                self.block_both_ways(l, r);
            }
        }
        for &side in left.iter().chain(right) {
            self.open(via, side);
            self.open(side, via);
        }
    }

    /// Shuffles `nodes` with `rng` (Fisher–Yates, one draw per position
    /// after the first), takes the first ⌊n/2⌋+1 as the majority and the
    /// rest as the minority, and partitions them (nodes not in `nodes` form
    /// a third group, as in [`partition`](Self::partition)). Returns
    /// `(majority, minority)`, each sorted by node id.
    pub fn split_majority<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        nodes: &[NodeId],
    ) -> (Vec<NodeId>, Vec<NodeId>) {
        let mut shuffled = nodes.to_vec();
        for i in (1..shuffled.len()).rev() {
            let j = uniform_index(rng, i as u64 + 1) as usize;
            shuffled.swap(i, j);
        }
        let majority_size = (shuffled.len() / 2 + 1).min(shuffled.len());
        let mut minority = shuffled.split_off(majority_size);
        let mut majority = shuffled;
        majority.sort_unstable();
        minority.sort_unstable();
        self.partition(&[majority.clone(), minority.clone()]);
        (majority, minority)
    }

    /// Reopens every link. Epochs stay, so messages sent before a cut that
    /// is now healed are still dropped.
    pub fn heal_all(&mut self) {
        self.blocked.fill(false);
        self.blocked_links = 0;
    }

    /// Reopens every link between two members of `group`, both ways.
    pub fn heal_group(&mut self, group: &[NodeId]) {
        for &a in group {
            for &b in group {
                self.open(a, b);
            }
        }
    }

    /// The connected components of the graph whose edges are the links open
    /// both ways: each sorted by id, listed by their first node. A healthy
    /// network is one side; an isolated node is a side of its own. O(n²).
    pub fn sides(&self) -> Vec<Vec<NodeId>> {
        let n = self.total_nodes;
        let mut side_of = vec![usize::MAX; n];
        let mut sides = Vec::new();
        for start in 0..n {
            if side_of[start] != usize::MAX {
                continue;
            }
            let side = sides.len();
            side_of[start] = side;
            let mut members = vec![NodeId(start as u32)];
            let mut next = 0;
            while next < members.len() {
                let a = members[next];
                next += 1;
                for (b, b_side) in side_of.iter_mut().enumerate() {
                    if *b_side == usize::MAX
                        && !self.blocked[a.index() * n + b]
                        && !self.blocked[b * n + a.index()]
                    {
                        *b_side = side;
                        members.push(NodeId(b as u32));
                    }
                }
            }
            members.sort_unstable();
            sides.push(members);
        }
        sides
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn ids(list: &[u32]) -> Vec<NodeId> {
        list.iter().map(|&i| NodeId(i)).collect()
    }

    fn open(r: &Reachability, a: u32, b: u32) -> bool {
        r.is_open(NodeId(a), NodeId(b))
    }

    #[test]
    fn a_fresh_network_is_whole() {
        let r = Reachability::new(4);
        assert!(r.is_whole());
        assert_eq!(r.sides(), vec![ids(&[0, 1, 2, 3])]);
    }

    #[test]
    fn partition_blocks_across_groups_and_groups_the_unlisted() {
        let mut r = Reachability::new(6);
        r.partition(&[ids(&[0, 1]), ids(&[2, 3])]);
        assert!(open(&r, 0, 1) && open(&r, 2, 3) && open(&r, 4, 5));
        assert!(!open(&r, 0, 2) && !open(&r, 2, 0));
        assert!(!open(&r, 0, 4) && !open(&r, 5, 3));
        assert_eq!(r.sides(), vec![ids(&[0, 1]), ids(&[2, 3]), ids(&[4, 5])]);
        // A second partition adds to the first.
        r.partition(&[ids(&[0]), ids(&[1, 2, 3, 4, 5])]);
        assert!(!open(&r, 0, 1) && !open(&r, 2, 4));
        assert!(open(&r, 4, 5));
    }

    #[test]
    fn isolate_cuts_one_node_off_both_ways() {
        let mut r = Reachability::new(4);
        r.isolate(NodeId(2));
        for other in [0, 1, 3] {
            assert!(!open(&r, 2, other) && !open(&r, other, 2));
        }
        assert!(open(&r, 2, 2), "a node always reaches itself");
        assert!(open(&r, 0, 3));
        assert_eq!(r.blocked_links(), 6);
        assert_eq!(r.sides(), vec![ids(&[0, 1, 3]), ids(&[2])]);
    }

    #[test]
    fn cut_is_one_way() {
        let mut r = Reachability::new(3);
        r.cut(NodeId(0), NodeId(1));
        assert!(!open(&r, 0, 1));
        assert!(open(&r, 1, 0));
        assert_eq!(r.blocked_links(), 1);
        // Links open only one way do not join a side.
        assert_eq!(r.sides(), vec![ids(&[0, 1, 2])], "joined through n3");
    }

    #[test]
    fn bridge_joins_two_halves_through_one_node() {
        let mut r = Reachability::new(5);
        r.isolate(NodeId(2));
        r.bridge(&ids(&[0, 1]), &ids(&[3, 4]), NodeId(2));
        assert!(!open(&r, 0, 3) && !open(&r, 4, 1));
        for side in [0, 1, 3, 4] {
            assert!(open(&r, 2, side) && open(&r, side, 2));
        }
        assert!(open(&r, 0, 1) && open(&r, 3, 4));
        assert_eq!(r.sides(), vec![ids(&[0, 1, 2, 3, 4])]);
    }

    #[test]
    fn split_majority_is_seeded_and_sized() {
        let nodes = ids(&[0, 1, 2, 3, 4]);
        let mut first = Reachability::new(5);
        let (majority, minority) = first.split_majority(&mut ChaCha8Rng::seed_from_u64(3), &nodes);
        assert_eq!((majority.len(), minority.len()), (3, 2));
        let mut all: Vec<_> = majority.iter().chain(&minority).copied().collect();
        all.sort();
        assert_eq!(all, nodes);
        assert!(!first.is_open(majority[0], minority[0]));
        let mut second = Reachability::new(5);
        let again = second.split_majority(&mut ChaCha8Rng::seed_from_u64(3), &nodes);
        assert_eq!(again, (majority, minority));
        assert_eq!(first, second);
        // Even sizes: 4 → 3 + 1.
        let (majority, minority) = Reachability::new(4)
            .split_majority(&mut ChaCha8Rng::seed_from_u64(1), &ids(&[0, 1, 2, 3]));
        assert_eq!((majority.len(), minority.len()), (3, 1));
    }

    #[test]
    fn heals_reopen_links_but_keep_epochs() {
        let mut r = Reachability::new(4);
        let sent_at = r.epoch(NodeId(0), NodeId(1));
        r.partition(&[ids(&[0, 1]), ids(&[2, 3])]);
        r.isolate(NodeId(0));
        assert!(!r.open_since(NodeId(0), NodeId(1), sent_at));
        r.heal_group(&ids(&[0, 1]));
        assert!(open(&r, 0, 1) && open(&r, 1, 0));
        assert!(!open(&r, 0, 2) && !open(&r, 1, 3));
        // In flight across a cut that has healed: still dropped.
        assert!(!r.open_since(NodeId(0), NodeId(1), sent_at));
        assert!(r.open_since(NodeId(0), NodeId(1), r.epoch(NodeId(0), NodeId(1))));
        r.heal_all();
        assert!(r.is_whole());
        assert_eq!(r.epoch(NodeId(0), NodeId(2)), 1);
        // Blocking an already blocked link does not bump its epoch.
        r.cut(NodeId(0), NodeId(2));
        r.cut(NodeId(0), NodeId(2));
        assert_eq!(r.epoch(NodeId(0), NodeId(2)), 2);
    }

    #[derive(Clone, Debug)]
    enum Operation {
        Partition(Vec<Vec<u32>>),
        Isolate(u32),
        Cut(u32, u32),
        Bridge(Vec<u32>, Vec<u32>, u32),
        Split(u64, Vec<u32>),
        HealGroup(Vec<u32>),
        HealAll,
    }

    const NODES: u32 = 7;

    fn operation() -> impl Strategy<Value = Operation> {
        let node = 0..NODES;
        let group = proptest::collection::vec(0..NODES, 0..4);
        prop_oneof![
            proptest::collection::vec(group.clone(), 0..3).prop_map(Operation::Partition),
            node.clone().prop_map(Operation::Isolate),
            (node.clone(), node.clone()).prop_map(|(a, b)| Operation::Cut(a, b)),
            (group.clone(), group.clone(), node).prop_map(|(l, r, v)| Operation::Bridge(l, r, v)),
            (any::<u64>(), group.clone()).prop_map(|(s, g)| Operation::Split(s, g)),
            group.prop_map(Operation::HealGroup),
            Just(Operation::HealAll),
        ]
    }

    fn apply(r: &mut Reachability, operation: &Operation) {
        match operation {
            Operation::Partition(groups) => {
                let groups: Vec<_> = groups.iter().map(|g| ids(g)).collect();
                r.partition(&groups);
            }
            Operation::Isolate(n) => r.isolate(NodeId(*n)),
            Operation::Cut(a, b) => r.cut(NodeId(*a), NodeId(*b)),
            Operation::Bridge(l, right, v) => r.bridge(&ids(l), &ids(right), NodeId(*v)),
            Operation::Split(seed, g) => {
                r.split_majority(&mut ChaCha8Rng::seed_from_u64(*seed), &ids(g));
            }
            Operation::HealGroup(g) => r.heal_group(&ids(g)),
            Operation::HealAll => r.heal_all(),
        }
    }

    proptest! {
        #[test]
        fn heal_all_reopens_everything_and_epochs_never_fall(
            operations in proptest::collection::vec(operation(), 0..20)
        ) {
            let mut r = Reachability::new(NODES);
            for operation in &operations {
                let before = r.clone();
                apply(&mut r, operation);
                for a in 0..NODES {
                    for b in 0..NODES {
                        let (a, b) = (NodeId(a), NodeId(b));
                        prop_assert!(r.epoch(a, b) >= before.epoch(a, b));
                        // An epoch moves exactly when an open link was blocked.
                        let newly_blocked = before.is_open(a, b) && !r.is_open(a, b);
                        prop_assert_eq!(r.epoch(a, b) != before.epoch(a, b), newly_blocked);
                    }
                    prop_assert!(r.is_open(NodeId(a), NodeId(a)));
                }
                let counted = (0..NODES)
                    .flat_map(|a| (0..NODES).map(move |b| (a, b)))
                    .filter(|&(a, b)| !r.is_open(NodeId(a), NodeId(b)))
                    .count();
                prop_assert_eq!(counted, r.blocked_links());
                if let Operation::Cut(a, b) = operation {
                    if a != b && before.is_whole() {
                        prop_assert_eq!(r.blocked_links(), 1);
                        prop_assert!(!r.is_open(NodeId(*a), NodeId(*b)));
                        prop_assert!(r.is_open(NodeId(*b), NodeId(*a)));
                    }
                }
            }
            r.heal_all();
            for a in 0..NODES {
                for b in 0..NODES {
                    prop_assert!(r.is_open(NodeId(a), NodeId(b)));
                }
            }
            prop_assert_eq!(r.sides().len(), 1);
        }

        #[test]
        fn a_cut_blocks_exactly_one_direction(
            a in 0..NODES, b in 0..NODES, earlier in proptest::collection::vec(operation(), 0..6)
        ) {
            prop_assume!(a != b);
            let mut r = Reachability::new(NODES);
            for operation in &earlier {
                apply(&mut r, operation);
            }
            r.heal_all();
            r.cut(NodeId(a), NodeId(b));
            prop_assert!(!r.is_open(NodeId(a), NodeId(b)));
            prop_assert!(r.is_open(NodeId(b), NodeId(a)));
            prop_assert_eq!(r.blocked_links(), 1);
        }
    }
}
