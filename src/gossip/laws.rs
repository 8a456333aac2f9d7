//! Property tests: entries form a join-semilattice under `Entry::merge`
//! (commutative, associative, idempotent), and a view that receives the
//! same updates in any order ends the same — what lets every node's list
//! converge whatever path the gossip takes (Dynamo §4.8.1).

use proptest::prelude::*;
use std::sync::Arc;

use super::*;
use crate::id::NodeId;
use crate::time::SimTime;

fn node_state() -> impl Strategy<Value = NodeState> {
    (
        any::<bool>(),
        0..2u32,
        0..2u32,
        prop::collection::vec(0..3u64, 0..3),
    )
        .prop_map(|(left, region, weight, tokens)| NodeState {
            left,
            region,
            weight,
            tokens: tokens.into(),
        })
}

fn suspects() -> impl Strategy<Value = Arc<[(NodeId, u64, u64)]>> {
    prop::collection::vec((0..4u32, 0..2u64, 0..3u64), 0..3)
        .prop_map(|v| v.into_iter().map(|(n, g, h)| (NodeId(n), g, h)).collect())
}

/// Small counters, so ties on every field are common.
fn entry() -> impl Strategy<Value = Entry> {
    (0..3u64, 0..3u64, suspects(), 0..3u64, node_state()).prop_map(
        |(generation, heartbeat, suspects, version, state)| Entry {
            generation,
            heartbeat,
            suspects,
            version,
            state: Arc::new(state),
        },
    )
}

fn join(a: &Entry, b: &Entry) -> Entry {
    let mut m = a.clone();
    m.merge(b);
    m
}

/// Updates about nodes n2..n5, to be received by n1.
fn updates(with_state: bool) -> impl Strategy<Value = Vec<Update>> {
    prop::collection::vec((1..5u32, entry()), 0..12).prop_map(move |v| {
        v.into_iter()
            .map(|(node, e)| e.update(NodeId(node), with_state))
            .collect()
    })
}

fn receiver() -> Gossip {
    let config = Config {
        interval: SimTime::from_secs(1),
        fanout: 1,
        suspect_after: SimTime::from_secs(5),
        reporters: 2,
        protocol: Protocol::Heartbeats,
    };
    let own = NodeState {
        left: false,
        region: 0,
        weight: 1,
        tokens: Arc::from([7]),
    };
    Gossip::new(NodeId(0), config, own, &[], vec![], SimTime(0))
}

type View = Vec<(NodeId, Entry, Status)>;

fn view_after(batches: &[&[Update]]) -> View {
    let mut g = receiver();
    for batch in batches {
        for u in batch.iter() {
            let msg = GossipMsg::Ack2 {
                updates: vec![u.clone()],
            };
            g.on_message(SimTime(0), NodeId(1), msg);
        }
    }
    g.statuses()
        .map(|(n, s)| (n, g.entry(n).cloned().unwrap(), s))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn entry_merge_is_a_join(a in entry(), b in entry(), c in entry()) {
        let ab = join(&a, &b);
        prop_assert_eq!(&ab, &join(&b, &a), "commutative");
        prop_assert_eq!(join(&ab, &c), join(&a, &join(&b, &c)), "associative");
        prop_assert_eq!(join(&a, &a), a.clone(), "idempotent");
        prop_assert_eq!(join(&ab, &b), ab.clone(), "absorbs");
        for x in [&a, &b] {
            // The newest wins: min would be a join too, of the wrong order.
            prop_assert!((ab.generation, ab.heartbeat) >= (x.generation, x.heartbeat));
            prop_assert!((ab.generation, ab.version) >= (x.generation, x.version));
        }
        let mut m = a.clone();
        let changed = m.merge(&b);
        prop_assert_eq!(changed, m != a, "merge says whether it changed");
    }

    /// Merging an update is merging the entry it describes; one without a
    /// state merges its liveness part into an entry of its generation and
    /// is ignored by any other (a state is never invented).
    #[test]
    fn merging_an_update_is_merging_its_entry(a in entry(), b in entry(), with_state in any::<bool>()) {
        let update = b.update(NodeId(1), with_state);
        let mut expected = a.clone();
        let expected_changed = if with_state {
            expected.merge(&b)
        } else if b.generation == a.generation {
            let liveness = Entry { version: a.version, state: a.state.clone(), ..b.clone() };
            expected.merge(&liveness)
        } else {
            false
        };
        let mut merged = a.clone();
        prop_assert_eq!(merged.merge_update(&update), expected_changed);
        prop_assert_eq!(merged, expected);
    }

    /// Full updates in any order give one view; so do liveness-only updates
    /// applied after them. (A liveness-only update that arrives before the
    /// state of its node or generation is skipped, never invented, so that
    /// part is order-dependent by design: the next exchange repairs it.)
    #[test]
    fn merging_lists_is_order_independent(
        (full, shuffled) in updates(true).prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        (bare, bare_shuffled) in updates(false).prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
    ) {
        prop_assert_eq!(
            view_after(&[&full, &bare]),
            view_after(&[&shuffled, &bare_shuffled])
        );
    }
}
