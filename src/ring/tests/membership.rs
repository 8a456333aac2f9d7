//! Joins and leaves (Dynamo §4.8 and §6.2): a join moves about 1/n of the
//! key space, all of it to the newcomer; a leave moves only the leaver's;
//! tokens are pure functions of (seed, node, index).

use super::*;

/// The share of `keys` whose coordinator differs between two rings, and
/// whether every moved key went to (or came from) `node`.
fn moved(before: &Ring, after: &Ring, keys: &[Position], node: NodeId, to: bool) -> f64 {
    let mut count = 0;
    for &k in keys {
        let (was, now) = (before.coordinator(k), after.coordinator(k));
        if was != now {
            count += 1;
            let side = if to { now } else { was };
            assert_eq!(side, Some(node), "key at {k} moved {was:?} -> {now:?}");
        }
    }
    count as f64 / keys.len() as f64
}

#[test]
fn a_join_moves_about_one_nth_of_the_keys_all_to_the_newcomer() {
    let keys = key_positions(10_000);
    for strategy in Strategy::ALL {
        for (count, seed) in [(8u32, 1u64), (8, 2), (20, 3)] {
            let spec = spec(strategy, 32, 512, seed);
            let before = Layout::initial(&spec, &nodes(count));
            let newcomer = NodeId(count);
            let after = before.with_join(&spec, NodeSpec::plain(newcomer));
            let fraction = moved(
                &before.ring(&spec),
                &after.ring(&spec),
                &keys,
                newcomer,
                true,
            );
            let ideal = 1.0 / f64::from(count + 1);
            assert!(
                (0.5 * ideal..1.6 * ideal).contains(&fraction),
                "{strategy:?} {count}+1 nodes seed {seed}: moved {fraction:.4}, ideal {ideal:.4}"
            );
            // Leaving again restores the old coordinators for strategies 1
            // and 2 exactly (tokens are pure); strategy 3 hands back.
            let left = after.without(&spec, newcomer);
            moved(
                &after.ring(&spec),
                &left.ring(&spec),
                &keys,
                newcomer,
                false,
            );
            if strategy != Strategy::QOverS {
                assert_eq!(left, before);
            }
        }
    }
}

#[test]
fn tokens_do_not_depend_on_the_other_members() {
    for strategy in [Strategy::RandomTokens, Strategy::EqualPartitions] {
        let spec = spec(strategy, 16, 64, 5);
        let small = Layout::initial(&spec, &nodes(3));
        let large = Layout::initial(&spec, &nodes(10));
        for i in 0..3 {
            assert_eq!(small.members()[i], large.members()[i]);
            assert_eq!(small.members()[i].tokens.len(), 16);
        }
        let joined = small.with_join(&spec, NodeSpec::plain(NodeId(3)));
        assert_eq!(joined.members()[3], large.members()[3]);
    }
}

/// Strategy 3 keeps every partition owned exactly once, quotas within one
/// of each other, through joins and leaves.
#[test]
fn q_over_s_deals_every_partition_once_and_evenly() {
    let q = 100;
    let spec = spec(Strategy::QOverS, 1, q, 11);
    let check = |layout: &Layout| {
        let mut owned = vec![0u32; q as usize];
        for member in layout.members() {
            for &t in &member.tokens {
                owned[partition_of(t, q) as usize] += 1;
                assert_eq!(partition_end(partition_of(t, q), q), t);
            }
        }
        assert!(owned.iter().all(|&c| c == 1), "{owned:?}");
        let counts: Vec<usize> = layout.members().iter().map(|m| m.tokens.len()).collect();
        let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(hi - lo <= 1, "{counts:?}");
        assert_eq!(layout.token_count(), u64::from(q));
    };
    let mut layout = Layout::initial(&spec, &nodes(7));
    check(&layout);
    for joiner in 7..12 {
        layout = layout.with_join(&spec, NodeSpec::plain(NodeId(joiner)));
        check(&layout);
    }
    for leaver in [0, 5, 11, 3] {
        layout = layout.without(&spec, NodeId(leaver));
        check(&layout);
    }
    assert_eq!(layout.members().len(), 8);
}

#[test]
fn layouts_are_deterministic_and_membership_edges_are_quiet() {
    for strategy in Strategy::ALL {
        let spec = spec(strategy, 8, 64, 3);
        let a = Layout::initial(&spec, &nodes(5));
        assert_eq!(a, Layout::initial(&spec, &nodes(5)));
        // Listing a node twice, joining a member, removing a stranger.
        let mut twice = nodes(5);
        twice.push(NodeSpec::plain(NodeId(2)));
        assert_eq!(Layout::initial(&spec, &twice), a);
        assert_eq!(a.with_join(&spec, NodeSpec::plain(NodeId(1))), a);
        assert_eq!(a.without(&spec, NodeId(99)), a);
        // Everyone leaves, then someone joins the empty ring.
        let mut empty = a.clone();
        for i in 0..5 {
            empty = empty.without(&spec, NodeId(i));
        }
        assert!(empty.members().is_empty());
        let one = empty.with_join(&spec, NodeSpec::plain(NodeId(7)));
        let ring = one.ring(&spec);
        assert_eq!(ring.preference_list(0), &[NodeId(7)]);
        assert!((ring.shares()[0].1 - 1.0).abs() < 1e-9);
    }
}

#[test]
fn an_evolved_layout_depends_on_the_member_set_not_the_order_of_changes() {
    for strategy in Strategy::ALL {
        let spec = spec(strategy, 16, 256, 5);
        let initial = nodes(6);
        let plain = |i: u32| NodeSpec::plain(NodeId(i));
        // n7 and n8 join, n3 leaves: in two different orders.
        let one = Layout::initial(&spec, &initial)
            .with_join(&spec, plain(6))
            .without(&spec, NodeId(2))
            .with_join(&spec, plain(7));
        let current: Vec<NodeSpec> = [0, 1, 3, 4, 5, 7, 6].map(plain).to_vec();
        let evolved = Layout::evolved(&spec, &initial, &current);
        assert_eq!(
            evolved.members().len(),
            7,
            "{strategy:?}: every current member is on the ring"
        );
        let again = Layout::evolved(&spec, &initial, &current[..]);
        assert_eq!(evolved, again);
        if strategy != Strategy::QOverS {
            // Tokens are pure functions of the node: any order agrees.
            assert_eq!(evolved, one, "{strategy:?}");
            assert_eq!(evolved, Layout::initial(&spec, &current));
        }
        assert_eq!(
            Layout::evolved(&spec, &initial, &initial),
            Layout::initial(&spec, &initial)
        );
    }
}

proptest::proptest! {
    /// Consistent hashing's promise, as a law over random rings (strategies
    /// 1 and 2, whose tokens are pure functions of the node): removing a
    /// node changes no walk but by striking that node out, so a key whose
    /// N replicas did not include it keeps them, and one whose did gains
    /// the next node clockwise and keeps the order of the rest.
    #[test]
    fn a_leave_only_strikes_the_leaver_out_of_each_walk(
        equal_partitions in proptest::bool::ANY,
        count in 2u32..12,
        vnodes in 1u32..24,
        seed in 0u64..1_000,
        n in 1u32..=3,
        leaver in 0u32..12,
    ) {
        let strategy = match equal_partitions {
            true => Strategy::EqualPartitions,
            false => Strategy::RandomTokens,
        };
        let spec = RingSpec { n, ..spec(strategy, vnodes, 64, seed) };
        let leaver = NodeId(leaver % count);
        let before = Layout::initial(&spec, &nodes(count));
        let after = before.without(&spec, leaver);
        let (before, after) = (before.ring(&spec), after.ring(&spec));
        for pos in key_positions(200) {
            let struck: Vec<NodeId> = before.walk(pos).filter(|&m| m != leaver).collect();
            let now: Vec<NodeId> = after.walk(pos).collect();
            proptest::prop_assert_eq!(&now, &struck);
            if !before.is_replica(pos, leaver) {
                proptest::prop_assert_eq!(after.replicas(pos), before.replicas(pos));
            }
        }
    }
}
