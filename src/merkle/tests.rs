//! Unit tests of trees, forests and the exchange, without the event loop.
//!
//! Two replicas here are a `Forest` and a toy store (key → position and
//! digest). Shipping states is modelled as the join the node's `merge`
//! is: after a `Sync`, both sides hold the larger digest of each key
//! listed (absent below present), so an exchange converges.

use std::collections::BTreeMap;

use super::*;
use crate::id::Key;
use crate::ring::{KeyRange, Position};

pub(super) fn range(after: Position, end: Position) -> KeyRange {
    KeyRange { after, end }
}

/// Four ranges tiling the ring, the first wrapping past u64::MAX.
pub(super) fn quarters() -> Vec<KeyRange> {
    let ends = [1 << 61, (1 << 62) + 5, 1 << 63, (3 << 62) + 7];
    (0..4).map(|i| range(ends[(i + 3) % 4], ends[i])).collect()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Replica {
    pub forest: Forest,
    pub store: BTreeMap<Key, (Position, u64)>,
}

impl Replica {
    pub fn new(depth: u32, ranges: &[KeyRange]) -> Replica {
        Replica {
            forest: Forest::new(depth, ranges.iter().copied()),
            store: BTreeMap::new(),
        }
    }

    pub fn put(&mut self, key: Key, position: Position, digest: u64) {
        self.store.insert(key, (position, digest));
        self.forest.update(key, position, Some(digest));
    }

    pub fn remove(&mut self, key: Key) {
        if let Some((position, _)) = self.store.remove(&key) {
            self.forest.update(key, position, None);
        }
    }
}

/// Both sides take the join of their states of each listed key.
fn ship(a: &mut Replica, b: &mut Replica, keys: impl IntoIterator<Item = Key>) {
    for key in keys {
        let joined = a.store.get(&key).copied().max(b.store.get(&key).copied());
        if let Some((position, digest)) = joined {
            a.put(key, position, digest);
            b.put(key, position, digest);
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum End {
    Agree,
    Unknown,
    Synced,
    /// The message with this number (0 = the opening) was lost.
    Lost(usize),
}

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Tally {
    pub messages: usize,
    /// Hash values in `Hashes` messages.
    pub tree_hashes: u64,
    /// Digests in `Keys` messages.
    pub digests: u64,
    pub bytes: u64,
}

/// One exchange over `range`, `a` opening; message number `lose` (if any)
/// never arrives, and with `lose_states` the states a `Sync` asks for are
/// lost too. Panics if it runs past depth + 2 messages.
pub(super) fn exchange(
    a: &mut Replica,
    b: &mut Replica,
    range: KeyRange,
    lose: Option<usize>,
    lose_states: bool,
) -> (End, Tally) {
    let mut tally = Tally::default();
    let Some(mut msg) = start(&a.forest, range) else {
        return (End::Unknown, tally);
    };
    let mut at_b = true;
    loop {
        assert!(tally.messages <= a.forest.depth() as usize + 2, "{msg:?}");
        if lose == Some(tally.messages) {
            return (End::Lost(tally.messages), tally);
        }
        tally.messages += 1;
        tally.bytes += msg.wire_bytes();
        match msg {
            AeMsg::Hashes { .. } => tally.tree_hashes += msg.hashes(),
            AeMsg::Keys { .. } => tally.digests += msg.hashes(),
        }
        let receiver = if at_b { &b.forest } else { &a.forest };
        match respond(receiver, &msg) {
            Next::Reply(reply) => msg = reply,
            Next::Sync { push, pull } => {
                assert!(push.is_sorted() && pull.is_sorted());
                if !lose_states {
                    ship(a, b, push.into_iter().chain(pull));
                }
                return (End::Synced, tally);
            }
            Next::Agree => return (End::Agree, tally),
            Next::Unknown => return (End::Unknown, tally),
        }
        at_b = !at_b;
    }
}

/// Exchanges over every range until a round agrees on all of them;
/// returns the rounds taken and the first round's tally.
pub(super) fn converge(a: &mut Replica, b: &mut Replica) -> (usize, Tally) {
    let ranges: Vec<KeyRange> = a.forest.ranges().collect();
    let mut first = None;
    for round in 1..=4 {
        let mut tally = Tally::default();
        let mut agreed = true;
        for &r in &ranges {
            let (end, t) = exchange(a, b, r, None, false);
            assert!(matches!(end, End::Agree | End::Synced), "{end:?}");
            agreed &= end == End::Agree;
            tally.messages += t.messages;
            tally.tree_hashes += t.tree_hashes;
            tally.digests += t.digests;
            tally.bytes += t.bytes;
        }
        let first = *first.get_or_insert(tally);
        if agreed {
            return (round, first);
        }
    }
    panic!("no agreement after 4 rounds");
}

/// `keys` keys spread over the ring (positions from a fixed mix), in both
/// replicas alike.
fn twins(depth: u32, ranges: &[KeyRange], keys: u32) -> Replica {
    let mut r = Replica::new(depth, ranges);
    for i in 0..keys {
        r.put(Key(i), mix64(u64::from(i)), u64::from(i) % 7);
    }
    r
}

/// Makes `a` and `b` differ in `k` keys of range 0, one in each of `k`
/// distinct leaves spread across the tree; returns those leaves. The
/// keys are extra ones (ids from 10^7), so where they land does not
/// depend on the shared data.
fn diverge(a: &mut Replica, b: &mut Replica, k: u32) -> Vec<u32> {
    let r = a.forest.ranges().next().unwrap();
    let tree = a.forest.tree(r).unwrap().clone();
    let stride = tree.leaf_count() / k;
    let mut leaves = Vec::new();
    for j in 0..k {
        let leaf = j * stride + (j * 37) % stride;
        let (first, _) = tree.leaf_positions(leaf).unwrap();
        let (key, position) = (Key(10_000_000 + j), first.wrapping_add(u64::from(j)));
        match j % 3 {
            0 => a.put(key, position, 1),
            1 => b.put(key, position, 1),
            _ => {
                a.put(key, position, 1);
                b.put(key, position, 2);
            }
        }
        leaves.push(leaf);
    }
    leaves
}

#[test]
fn exchange_cost_grows_with_the_differences_not_the_data() {
    let ranges = quarters();
    let mut cost: BTreeMap<(u32, u32), Tally> = BTreeMap::new();
    for keys in [1_000, 100_000] {
        let base = twins(10, &ranges, keys);
        for k in [1, 4, 16, 64] {
            let (mut a, mut b) = (base.clone(), base.clone());
            let leaves = diverge(&mut a, &mut b, k);
            let (ta, tb) = (
                a.forest.tree(ranges[0]).unwrap(),
                b.forest.tree(ranges[0]).unwrap(),
            );
            assert_eq!(ta.differing_leaves(tb), leaves);
            assert_eq!(tb.differing_leaves(ta), leaves);
            for r in &ranges[1..] {
                assert!(
                    a.forest
                        .tree(*r)
                        .unwrap()
                        .differing_leaves(b.forest.tree(*r).unwrap())
                        .is_empty()
                );
            }
            let (rounds, tally) = converge(&mut a, &mut b);
            assert_eq!(rounds, 2, "one exchange repairs, the next agrees");
            assert_eq!(a, b);
            assert_eq!(a.forest.len(), keys as usize + k as usize);
            eprintln!(
                "keys {keys:>6} k {k:>2}: {} messages, {} tree hashes + {} key digests = {} hashes, {} bytes",
                tally.messages,
                tally.tree_hashes,
                tally.digests,
                tally.tree_hashes + tally.digests,
                tally.bytes
            );
            cost.insert((keys, k), tally);
        }
    }
    for keys in [1_000, 100_000] {
        let by_k: Vec<u64> = [1, 4, 16, 64]
            .map(|k| cost[&(keys, k)].tree_hashes)
            .to_vec();
        assert!(by_k.is_sorted_by(|x, y| x < y), "{by_k:?}");
        let total = |k| cost[&(keys, k)].tree_hashes + cost[&(keys, k)].digests;
        assert!(total(1) < total(4) && total(4) < total(16) && total(16) < total(64));
    }
    for k in [1, 4, 16, 64] {
        // The walk down the tree costs the same whatever the data; only the
        // leaves' key lists grow with keys per leaf.
        assert_eq!(
            cost[&(1_000, k)].tree_hashes,
            cost[&(100_000, k)].tree_hashes
        );
        assert_eq!(cost[&(1_000, k)].messages, cost[&(100_000, k)].messages);
    }
    // One differing key: the root, two children per level, three agreeing
    // roots of the other ranges.
    assert_eq!(cost[&(1_000, 1)].tree_hashes, 1 + 2 * 10 + 3);
}

/// The exchange is stateless: each message carries everything its
/// receiver needs, and neither side remembers an exchange in progress.
/// So losing message m simply ends that exchange (the receiver never
/// answers; the sender has nothing to time out or clean up), no replica
/// state changes, and the next `start` begins afresh and converges. The
/// same holds when the states a `Sync` asked for are lost in transit.
#[test]
fn a_lost_message_ends_the_exchange_and_the_next_one_converges() {
    let ranges = quarters();
    let base = twins(6, &ranges, 2_000);
    let (mut a, mut b) = (base.clone(), base.clone());
    diverge(&mut a, &mut b, 4);
    let (end, full) = exchange(&mut a.clone(), &mut b.clone(), ranges[0], None, false);
    assert_eq!(end, End::Synced);
    assert_eq!(
        full.messages,
        6 + 2,
        "root, six levels of children, the keys"
    );
    for m in 0..=full.messages {
        let (mut a2, mut b2) = (a.clone(), b.clone());
        let (end, tally) = if m < full.messages {
            exchange(&mut a2, &mut b2, ranges[0], Some(m), false)
        } else {
            exchange(&mut a2, &mut b2, ranges[0], None, true)
        };
        assert_eq!(
            end,
            if m < full.messages {
                End::Lost(m)
            } else {
                End::Synced
            }
        );
        assert_eq!(tally.messages, m);
        assert_eq!((&a2, &b2), (&a, &b), "nothing changed on a loss");
        let (rounds, _) = converge(&mut a2, &mut b2);
        assert_eq!(rounds, 2);
        assert_eq!(a2, b2);
    }
}

#[test]
fn empty_trees_agree_at_the_root_for_one_hash() {
    for depth in [0, 10, 20] {
        let a = Forest::new(depth, quarters());
        let b = Forest::new(depth, quarters());
        for r in quarters() {
            let msg = start(&a, r).unwrap();
            assert_eq!(
                msg,
                AeMsg::Hashes {
                    range: r,
                    level: 0,
                    nodes: vec![(0, 0)]
                }
            );
            assert_eq!(msg.hashes(), 1);
            assert_eq!(respond(&b, &msg), Next::Agree);
        }
        assert_eq!(a.heap_bytes(), b.heap_bytes());
        assert_eq!(a.tree(quarters()[0]).unwrap().heap_bytes(), 0);
    }
}

#[test]
fn leaves_tile_the_range_and_invert_leaf_of() {
    let ranges = [
        range(100, 1_000_000),
        range(u64::MAX - 1000, 3000),
        range(7, 7),
        range(0, 0),
        range(u64::MAX, u64::MAX - 1),
        range(10, 13),
        range(5, 6),
    ];
    for r in ranges {
        for depth in [0, 1, 3, 10, 20, 64] {
            let tree = Tree::new(r, depth);
            assert!(tree.depth() <= Tree::MAX_DEPTH);
            let count = tree.leaf_count();
            let mut next_first = r.after.wrapping_add(1);
            let mut last_seen = None;
            for leaf in 0..count {
                let Some((first, last)) = tree.leaf_positions(leaf) else {
                    continue;
                };
                assert_eq!(first, next_first, "{r:?} depth {depth} leaf {leaf}");
                assert!(r.contains(first) && r.contains(last));
                assert_eq!(tree.leaf_of(first), leaf);
                assert_eq!(tree.leaf_of(last), leaf);
                let span = tree.leaf_span(leaf);
                assert!(span.contains(first) && span.contains(last));
                assert_eq!(span.end, last);
                next_first = last.wrapping_add(1);
                last_seen = Some(last);
            }
            assert_eq!(last_seen, Some(r.end), "{r:?} depth {depth}");
            assert!(tree.leaf_positions(count).is_none());
            assert_eq!(tree.leaf_span(u32::MAX), tree.leaf_span(count - 1));
        }
    }
}

#[test]
fn a_tree_returns_to_empty_and_hashes_its_structure() {
    let r = range(0, 1 << 40);
    let mut tree = Tree::new(r, 4);
    let (h1, h2) = (key_hash(1, Key(1), 1), key_hash(2, Key(2), 2));
    tree.toggle(0, h1);
    tree.toggle(9, h2);
    assert!(tree.heap_bytes() > 0);
    assert_ne!(tree.root(), 0);
    assert_eq!(tree.hash(4, 0), h1);
    assert_eq!(tree.hash(2, 3), 0);
    assert_eq!(tree.hash(1, 1), node_hash(tree.hash(2, 2), 0));
    let mut swapped = Tree::new(r, 4);
    swapped.toggle(0, h2);
    swapped.toggle(9, h1);
    assert_ne!(
        tree.root(),
        swapped.root(),
        "the root is no mere XOR of leaves"
    );
    tree.toggle(0, h1);
    tree.toggle(9, h2);
    assert_eq!(tree, Tree::new(r, 4));
    assert_eq!(tree.heap_bytes(), 0);
    for (level, index) in [(0, 1), (5, 0), (u32::MAX, 0), (4, 16), (4, u32::MAX)] {
        assert_eq!(tree.hash(level, index), 0);
    }
    tree.toggle(16, h1);
    tree.toggle(u32::MAX, h1);
    assert_eq!(tree, Tree::new(r, 4), "leaves out of range are ignored");
}

#[test]
fn forest_tracks_keys_in_its_ranges_only() {
    let r = range(1000, 2000);
    let mut f = Forest::new(3, [range(5000, 6000), r]);
    assert_eq!(f.ranges().collect::<Vec<_>>(), [r, range(5000, 6000)]);
    assert!(!f.update(Key(1), 1000, Some(1)), "after is outside");
    assert!(!f.update(Key(1), 3000, Some(1)));
    assert!(f.update(Key(1), 2000, Some(1)));
    assert!(!f.update(Key(1), 2000, Some(1)), "same digest: no change");
    assert!(f.update(Key(2), 1001, Some(4)));
    assert!(f.update(Key(3), 1500, Some(4)));
    assert_eq!(f.len(), 3);
    let all: Vec<u32> = (0..8).collect();
    assert_eq!(f.keys_in(r, &all), [(Key(2), 4), (Key(3), 4), (Key(1), 1)]);
    assert_eq!(f.keys_in(r, &[7, 7, 99, 0]), [(Key(2), 4), (Key(1), 1)]);
    assert!(f.keys_in(range(1000, 2001), &all).is_empty());
    assert!(f.update(Key(1), 2000, None));
    assert!(!f.update(Key(1), 2000, None));
    assert_eq!(f.digest(Key(2), 1001), Some(4));
    assert!(f.heap_bytes() >= 2 * 48 + (2 << 3) * 8);
    f.update(Key(2), 1001, None);
    f.update(Key(3), 1500, None);
    assert!(f.is_empty());
    assert_eq!(f.tree(r), Some(&Tree::new(r, 3)));
}

#[test]
fn keys_in_a_wrapping_range_come_by_position() {
    let r = range(u64::MAX - 100, 100);
    let mut a = Replica::new(2, &[r]);
    for (i, p) in [(0, 5), (1, u64::MAX - 3), (2, 0), (3, 100), (4, u64::MAX)] {
        a.put(Key(i), p, 9);
    }
    let keys = a.forest.keys_in(r, &[3, 0, 1, 2]);
    assert_eq!(
        keys.iter().map(|&(k, _)| k.0).collect::<Vec<_>>(),
        [2, 0, 3, 1, 4]
    );
}

/// A forest with the given ranges, depth and keys (at fixed positions
/// spread over each range), and its twin missing key 0 and with key 1
/// changed.
fn pair(depth: u32, ranges: &[KeyRange]) -> (Replica, Replica) {
    let mut a = Replica::new(depth, ranges);
    for (i, r) in ranges.iter().enumerate() {
        for j in 0..20u32 {
            let size = r.end.wrapping_sub(r.after).wrapping_sub(1);
            let offset = if size == 0 {
                0
            } else {
                mix64(u64::from(j)) % size
            };
            a.put(
                Key(100 * i as u32 + j),
                r.after.wrapping_add(1).wrapping_add(offset),
                3,
            );
        }
    }
    let mut b = a.clone();
    b.remove(Key(0));
    let (position, _) = b.store[&Key(1)];
    b.put(Key(1), position, 4);
    (a, b)
}

#[test]
fn odd_ranges_and_depths_converge() {
    let cases: [(u32, Vec<KeyRange>); 6] = [
        (0, quarters()),
        (20, quarters()),
        (99, vec![range(42, 42)]),
        (5, vec![range(u64::MAX - 3, 2)]),
        (4, vec![range(10, 14)]),
        (3, vec![range(0, u64::MAX)]),
    ];
    for (depth, ranges) in cases {
        let (mut a, mut b) = pair(depth, &ranges);
        assert_ne!(a, b);
        let (rounds, _) = converge(&mut a, &mut b);
        assert_eq!(rounds, 2, "depth {depth} {ranges:?}");
        assert_eq!(a, b);
        assert_eq!(a.forest.depth(), depth.min(20));
    }
}

#[test]
fn junk_and_disagreeing_views_do_not_panic() {
    let r = range(1000, 1 << 40);
    let (a, b) = pair(3, &[r, range(1 << 40, 1 << 50)]);
    let f = &a.forest;
    let hashes = |range, level, nodes: Vec<(u32, Hash)>| AeMsg::Hashes {
        range,
        level,
        nodes,
    };
    let keys = |range, leaves: Vec<u32>, keys: Vec<(Key, u64)>| AeMsg::Keys {
        range,
        leaves,
        keys,
    };
    // A range this forest lacks: another end, or the same end from
    // another start (the views of the ring differ).
    for other in [range(1000, 1 << 41), range(999, 1 << 40), range(0, 0)] {
        assert_eq!(respond(f, &hashes(other, 0, vec![(0, 1)])), Next::Unknown);
        assert_eq!(respond(f, &keys(other, vec![0], vec![])), Next::Unknown);
        assert_eq!(start(f, other), None);
    }
    assert_eq!(
        respond(&Forest::default(), &start(f, r).unwrap()),
        Next::Unknown
    );
    for level in [4, 21, 64, u32::MAX] {
        assert_eq!(respond(f, &hashes(r, level, vec![(0, 1)])), Next::Unknown);
    }
    // Indices past the level are skipped; the rest still compare.
    let junk = vec![(4, 1), (u32::MAX, 1), (9, 0)];
    assert_eq!(respond(f, &hashes(r, 2, junk.clone())), Next::Agree);
    let mut mixed = junk;
    mixed.push((1, f.tree(r).unwrap().hash(2, 1) ^ 1));
    mixed.push((1, 7));
    let expect = vec![
        (2, f.tree(r).unwrap().hash(3, 2)),
        (3, f.tree(r).unwrap().hash(3, 3)),
    ];
    assert_eq!(
        respond(f, &hashes(r, 2, mixed)),
        Next::Reply(hashes(r, 3, expect))
    );
    assert_eq!(respond(f, &hashes(r, 0, vec![])), Next::Agree);
    // Leaves past the last hold nothing here; the peer's keys there are
    // ones it has that this side lacks.
    assert_eq!(respond(f, &keys(r, vec![8, u32::MAX], vec![])), Next::Agree);
    let odd = keys(
        r,
        vec![u32::MAX],
        vec![(Key(7), 1), (Key(7), 2), (Key(5), 0)],
    );
    let expect = Next::Sync {
        push: vec![],
        pull: vec![Key(5), Key(7)],
    };
    assert_eq!(respond(f, &odd), expect);
    // The same leaves from both sides: the differences, both ways.
    let all: Vec<u32> = (0..8).collect();
    let theirs = keys(r, all.clone(), b.forest.keys_in(r, &all));
    assert_eq!(
        respond(f, &theirs),
        Next::Sync {
            push: vec![Key(0), Key(1)],
            pull: vec![Key(1)]
        }
    );
    // An exchange between views that disagree is abandoned at once.
    let mut other_view = Replica::new(3, &[range(1000, 1 << 41)]);
    let (end, tally) = exchange(&mut a.clone(), &mut other_view, r, None, false);
    assert_eq!((end, tally.messages), (End::Unknown, 1));
}

#[test]
fn message_sizes() {
    let r = range(1, 2);
    let h = AeMsg::Hashes {
        range: r,
        level: 3,
        nodes: vec![(0, 1), (1, 2)],
    };
    assert_eq!((h.hashes(), h.wire_bytes()), (2, 16 + 4 + 2 * 12));
    let k = AeMsg::Keys {
        range: r,
        leaves: vec![1, 2, 3],
        keys: vec![(Key(1), 5)],
    };
    assert_eq!((k.hashes(), k.wire_bytes()), (1, 16 + 3 * 4 + 12));
    assert_eq!(k.range(), r);
}
