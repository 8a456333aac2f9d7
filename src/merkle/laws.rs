//! Property tests: a forest updated key by key equals one built from the
//! final key set at once, whatever the order; the top-down walk finds
//! exactly the leaves whose keys differ; and any two replicas converge in
//! one exchange per range (Dynamo §4.7 relies on all three).

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::tests::{Replica, converge, quarters, range};
use super::*;
use crate::id::Key;
use crate::ring::{KeyRange, Position};

/// The ranges: three quarters of the ring, one wrapping, and a gap
/// (1<<63, 3<<62 + 7] whose keys every forest ignores.
fn ranges() -> Vec<KeyRange> {
    let mut r = quarters();
    r.remove(3);
    r
}

/// Key i's position: the first few on range bounds, the rest spread.
fn position(key: u32) -> Position {
    let bounds = ranges();
    match key {
        0..3 => bounds[key as usize].end,
        3..6 => bounds[key as usize - 3].after.wrapping_add(1),
        _ => mix64(u64::from(key)),
    }
}

/// Updates: (key, new digest or removal).
fn updates() -> impl Strategy<Value = Vec<(u32, Option<u64>)>> {
    prop::collection::vec((0..40u32, prop::option::of(0..4u64)), 0..120)
}

fn apply(forest: &mut Forest, updates: &[(u32, Option<u64>)]) {
    for &(key, digest) in updates {
        forest.update(Key(key), position(key), digest);
    }
}

/// What `updates` leaves: each key's last state.
fn last_states(updates: &[(u32, Option<u64>)]) -> Vec<(u32, u64)> {
    let last: BTreeMap<u32, Option<u64>> = updates.iter().copied().collect();
    last.into_iter()
        .filter_map(|(k, d)| d.map(|d| (k, d)))
        .collect()
}

fn replica(depth: u32, updates: &[(u32, Option<u64>)]) -> Replica {
    let mut r = Replica::new(depth, &ranges());
    for &(key, digest) in updates {
        match digest {
            Some(d) => r.put(Key(key), position(key), d),
            None => r.remove(Key(key)),
        }
    }
    r
}

fn all_leaves(forest: &Forest) -> Vec<u32> {
    (0..1 << forest.depth()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn incremental_equals_rebuilt_in_any_order(
        depth in 0..6u32,
        updates in updates(),
        seed in any::<u64>(),
    ) {
        let mut incremental = Forest::new(depth, ranges());
        apply(&mut incremental, &updates);

        let last = last_states(&updates);
        let mut rebuilt = Forest::new(depth, ranges());
        for &(key, digest) in &last {
            rebuilt.update(Key(key), position(key), Some(digest));
        }
        prop_assert_eq!(&incremental, &rebuilt);

        // The same final states in another order (a fixed shuffle by key
        // hash) and backwards.
        let mut shuffled = last.clone();
        shuffled.sort_by_key(|&(key, _)| mix64(u64::from(key) ^ seed));
        let mut reordered = Forest::new(depth, ranges());
        for &(key, digest) in shuffled.iter().rev() {
            reordered.update(Key(key), position(key), Some(digest));
        }
        prop_assert_eq!(&incremental, &reordered);

        let inside = last.iter().filter(|&&(k, _)| ranges().iter().any(|r| r.contains(position(k))));
        prop_assert_eq!(incremental.len(), inside.count());
        for r in ranges() {
            let tree = incremental.tree(r).unwrap();
            for (key, digest) in incremental.keys_in(r, &all_leaves(&incremental)) {
                let p = position(key.0);
                prop_assert!(r.contains(p));
                prop_assert_eq!(incremental.digest(key, p), Some(digest));
                let leaf = tree.leaf_of(p);
                prop_assert!(incremental.keys_in(r, &[leaf]).contains(&(key, digest)));
            }
        }
    }

    #[test]
    fn the_walk_finds_exactly_the_leaves_that_differ(
        depth in 0..6u32,
        a in updates(),
        b in updates(),
    ) {
        let (mut a, mut b) = (replica(depth, &a), replica(depth, &b));
        for r in ranges() {
            let (ta, tb) = (a.forest.tree(r).unwrap(), b.forest.tree(r).unwrap());
            let differ: Vec<u32> = (0..ta.leaf_count())
                .filter(|&l| a.forest.keys_in(r, &[l]) != b.forest.keys_in(r, &[l]))
                .collect();
            prop_assert_eq!(ta.differing_leaves(tb), differ);
        }
        let (rounds, _) = converge(&mut a, &mut b);
        prop_assert!(rounds <= 2);
        prop_assert_eq!(&a.forest, &b.forest);
    }

    /// Every node's hash is the definition's, as a full array in heap
    /// order would hold it (leaves the XOR of their toggles, each inner
    /// node `node_hash` of its children, bottom up), however the leaves
    /// were toggled and whether or not some went back to 0.
    #[test]
    fn every_node_hashes_as_the_full_array_would(
        depth in 0..7u32,
        toggles in prop::collection::vec((0..64u32, 1..4u64), 0..60),
    ) {
        let mut tree = Tree::new(quarters()[0], depth);
        let mut array = vec![0u64; (2usize << depth) - 1];
        let first_leaf = (1usize << depth) - 1;
        for &(leaf, h) in &toggles {
            // Small hashes, so leaves often cancel back to 0.
            let leaf = leaf % tree.leaf_count();
            tree.toggle(leaf, h);
            array[first_leaf + leaf as usize] ^= h;
        }
        for slot in (0..first_leaf).rev() {
            array[slot] = node_hash(array[2 * slot + 1], array[2 * slot + 2]);
        }
        for level in 0..=depth {
            for index in 0..1u32 << level {
                let slot = (1usize << level) - 1 + index as usize;
                prop_assert_eq!(tree.hash(level, index), array[slot], "level {} index {}", level, index);
            }
        }
        prop_assert_eq!(tree.heap_bytes() == 0, array[0] == 0);
    }
}

#[test]
fn a_key_outside_every_range_is_ignored() {
    let gap = range((1 << 63) + 1, 3 << 62);
    let mut f = Forest::new(3, ranges());
    assert!(!f.update(Key(1), gap.end, Some(1)));
    assert!(f.is_empty());
    assert_eq!(f, Forest::new(3, ranges()));
}
