//! Preference lists (Dynamo §4.3): N distinct physical nodes, the
//! coordinator first, checked against a brute-force clockwise walk for
//! every strategy; region-aware spreading.

use super::*;
use proptest::prelude::{
    Just, ProptestConfig, any, prop_assert, prop_assert_eq, prop_oneof, proptest,
};

/// The clockwise order of distinct owners for `pos`, straight from the
/// definitions of the strategies, with no precomputation.
fn brute_clockwise(layout: &Layout, pos: Position) -> Vec<NodeId> {
    let mut steps: Vec<(Position, NodeId)> = layout
        .members()
        .iter()
        .flat_map(|m| m.tokens.iter().map(move |&t| (t, m.spec.node)))
        .collect();
    steps.sort();
    steps.dedup_by_key(|s| s.0);
    if steps.is_empty() {
        return Vec::new();
    }
    let from = match layout.strategy() {
        Strategy::RandomTokens => pos,
        // A partition is placed from its end; in strategy 3 the end is
        // the partition's own token.
        Strategy::EqualPartitions | Strategy::QOverS => {
            let q = layout.partitions();
            partition_end(partition_of(pos, q), q)
        }
    };
    let start = steps.partition_point(|&(t, _)| t < from) % steps.len();
    let mut out: Vec<NodeId> = Vec::new();
    for k in 0..steps.len() {
        let node = steps[(start + k) % steps.len()].1;
        if !out.contains(&node) {
            out.push(node);
        }
    }
    out
}

fn strategy() -> impl proptest::strategy::Strategy<Value = Strategy> {
    prop_oneof![
        Just(Strategy::RandomTokens),
        Just(Strategy::EqualPartitions),
        Just(Strategy::QOverS),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every strategy: the list's first N are distinct physical nodes,
    /// the whole list is distinct, of length min(members, 2N), equal to
    /// the clockwise walk's prefix; `walk` continues it through every
    /// member on the ring.
    #[test]
    fn preference_lists_are_distinct_and_clockwise(
        strategy in strategy(),
        count in 1u32..16,
        vnodes in 1u32..12,
        extra_partitions in 0u32..200,
        n_wanted in 1u32..6,
        seed in any::<u64>(),
        positions in proptest::collection::vec(any::<u64>(), 50),
    ) {
        let n = n_wanted.min(count);
        let spec = RingSpec { n, ..spec(strategy, vnodes, count + extra_partitions, seed) };
        let layout = Layout::initial(&spec, &nodes(count));
        let ring = layout.ring(&spec);
        let on_ring = layout.members().iter().filter(|m| !m.tokens.is_empty()).count();
        for pos in positions.into_iter().chain([0, u64::MAX]) {
            let list = ring.preference_list(pos);
            let expected = brute_clockwise(&layout, pos);
            prop_assert_eq!(list.len(), on_ring.min(2 * n as usize));
            prop_assert_eq!(list, &expected[..list.len()]);
            let walked: Vec<NodeId> = ring.walk(pos).collect();
            prop_assert_eq!(&walked, &expected);
            let replicas = ring.replicas(pos);
            prop_assert_eq!(replicas.len(), n as usize);
            for (i, a) in replicas.iter().enumerate() {
                prop_assert!(!replicas[..i].contains(a));
                prop_assert!(ring.is_replica(pos, *a));
            }
            prop_assert!(ring.range(ring.range_index(pos)).contains(pos));
        }
        // Each member's replicated ranges are the ranges whose first N
        // name it, as a scan of every range finds them.
        for member in nodes(count + 1) {
            let scanned: Vec<usize> = (0..ring.range_count())
                .filter(|&i| ring.range_preference_list(i).iter().take(n as usize).any(|&m| m == member.node))
                .collect();
            let held: Vec<usize> = ring.replicated_ranges(member.node).collect();
            prop_assert_eq!(held, scanned);
        }
    }

    /// Region-aware: the coordinator is the clockwise one; the top N span
    /// min(regions, N) regions; the list is a reordering that keeps every
    /// node distinct; fallbacks keep clockwise order.
    #[test]
    fn region_aware_spreads_the_top_n_over_regions(
        strategy in strategy(),
        count in 1u32..16,
        regions in 1u32..5,
        vnodes in 1u32..8,
        n_wanted in 1u32..5,
        seed in any::<u64>(),
        positions in proptest::collection::vec(any::<u64>(), 30),
    ) {
        let n = n_wanted.min(count);
        let spec = RingSpec {
            n,
            placement: Placement::RegionAware,
            ..spec(strategy, vnodes, count * 4, seed)
        };
        let members: Vec<NodeSpec> = (0..count)
            .map(|i| NodeSpec { node: NodeId(i), region: i % regions, weight: 1 })
            .collect();
        let layout = Layout::initial(&spec, &members);
        let ring = layout.ring(&spec);
        let present = regions.min(count) as usize;
        for pos in positions {
            let list = ring.preference_list(pos);
            let clockwise = brute_clockwise(&layout, pos);
            prop_assert_eq!(list[0], clockwise[0]);
            let mut used: Vec<u32> = list[..n as usize].iter().map(|id| id.0 % regions).collect();
            used.sort();
            used.dedup();
            prop_assert_eq!(used.len(), present.min(n as usize));
            let mut sorted = list.to_vec();
            sorted.sort();
            sorted.dedup();
            prop_assert_eq!(sorted.len(), list.len());
            let fallbacks: Vec<NodeId> = clockwise
                .iter()
                .copied()
                .filter(|id| !list[..n as usize].contains(id))
                .collect();
            prop_assert_eq!(&list[n as usize..], &fallbacks[..list.len() - n as usize]);
            let walked: Vec<NodeId> = ring.walk(pos).collect();
            prop_assert_eq!(&walked[..list.len()], list);
            prop_assert_eq!(walked.len(), clockwise.len());
        }
    }
}

/// One node alone in its region is among every key's replicas, however far
/// clockwise it is.
#[test]
fn a_rare_region_is_in_every_top_n() {
    for strategy in Strategy::ALL {
        let spec = RingSpec {
            placement: Placement::RegionAware,
            ..spec(strategy, 16, 400, 6)
        };
        let mut members = nodes(20);
        members[19].region = 1;
        let ring = Layout::initial(&spec, &members).ring(&spec);
        for pos in key_positions(2000) {
            assert!(ring.is_replica(pos, NodeId(19)), "{strategy:?} at {pos}");
            assert_eq!(ring.preference_list(pos).len(), 6);
        }
        let share = ring.shares()[19].1;
        assert!((share - 1.0).abs() < 1e-9, "{share}");
    }
}

/// Strategy 1's definition on a hand-made layout: a key's range is
/// (previous token, token] and its coordinator owns the token.
#[test]
fn coordinator_owns_the_first_token_at_or_after_the_key() {
    let spec = spec(Strategy::RandomTokens, 4, 1, 9);
    let layout = Layout::initial(&spec, &nodes(5));
    let ring = layout.ring(&spec);
    for member in layout.members() {
        for &t in &member.tokens {
            assert_eq!(ring.coordinator(t), Some(member.spec.node));
            assert_eq!(ring.range(ring.range_index(t)).end, t);
            if t < u64::MAX {
                assert_ne!(ring.range_index(t + 1), ring.range_index(t));
            }
        }
    }
    // Past the last token, keys wrap to the first.
    let first = ring.range(0).end;
    assert_eq!(ring.range_index(u64::MAX), ring.range_index(first));
}

#[test]
fn a_ring_with_no_one_on_it_answers_empty() {
    for strategy in Strategy::ALL {
        let spec = spec(strategy, 4, 16, 1);
        let empty = Layout::initial(&spec, &[]);
        let ring = empty.ring(&spec);
        assert!(ring.preference_list(42).is_empty());
        assert_eq!(ring.walk(42).count(), 0);
        assert_eq!(ring.coordinator(42), None);
        assert!(ring.shares().is_empty());
        assert_eq!(ring.efficiency(), 0.0);
        assert_eq!(ring.range_count(), 1);
        assert!(ring.range(0).contains(7));
    }
}

#[test]
fn n_larger_than_the_cluster_gives_every_node_once() {
    let spec = RingSpec {
        n: 5,
        ..spec(Strategy::RandomTokens, 3, 1, 2)
    };
    let ring = Layout::initial(&spec, &nodes(2)).ring(&spec);
    let list = ring.preference_list(7);
    assert_eq!(list.len(), 2);
    assert_ne!(list[0], list[1]);
}
