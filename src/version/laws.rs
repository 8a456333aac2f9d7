//! Property tests: in every mode, replica states reached by random puts
//! and syncs across 3-5 replicas form a join-semilattice under `merge`
//! (commutative, associative, idempotent), and `compare` is exactly the
//! order that join induces — what Dynamo's anti-entropy and read repair
//! (§4.4, §4.7) rely on to converge.

use proptest::prelude::*;

use super::*;
use crate::id::{NodeId, ValueId};
use crate::time::SimTime;

#[derive(Clone, Debug)]
enum Step {
    /// A put coordinated by replica `at`, whose client read `read`.
    Put { at: usize, read: Read, skew: u64 },
    /// Replica `to` receives replica `from`'s state.
    Sync { from: usize, to: usize },
}

#[derive(Clone, Debug)]
enum Read {
    Blind,
    /// The context of one replica's state.
    One(usize),
    /// A client joining what two replicas returned.
    Two(usize, usize),
}

fn read() -> impl Strategy<Value = Read> {
    prop_oneof![
        Just(Read::Blind),
        (0..5usize).prop_map(Read::One),
        (0..5usize, 0..5usize).prop_map(|(a, b)| Read::Two(a, b)),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..5usize, read(), 0..30u64).prop_map(|(at, read, skew)| Step::Put { at, read, skew }),
        (0..5usize, 0..5usize).prop_map(|(from, to)| Step::Sync { from, to }),
    ]
}

/// Replays `steps` on `replicas` fresh states; indices wrap.
fn run(mode: Mode, replicas: usize, steps: &[Step]) -> Vec<Siblings> {
    let mut states = vec![Siblings::default(); replicas];
    for (i, step) in steps.iter().enumerate() {
        match *step {
            Step::Put { at, ref read, skew } => {
                let ctx = match *read {
                    Read::Blind => Context::none(),
                    Read::One(j) => states[j % replicas].context(),
                    Read::Two(j, k) => {
                        let mut ctx = states[j % replicas].context();
                        ctx.merge(&states[k % replicas].context());
                        ctx
                    }
                };
                let at = at % replicas;
                // Clocks advance with the step but skew per put, so some
                // coordinators are behind.
                let now = SimTime(i as u64 * 10 + skew);
                let before = states[at].clone();
                let effect =
                    states[at].put(mode, NodeId(at as u32), now, &ctx, ValueId(i as u64 + 1));
                assert_eq!(effect.changed, states[at] != before);
            }
            Step::Sync { from, to } => {
                let from = states[from % replicas].clone();
                let to = &mut states[to % replicas];
                let before = to.clone();
                let effect = to.merge(mode, &from);
                assert_eq!(effect.changed, *to != before);
            }
        }
    }
    states
}

fn join(a: &Siblings, b: &Siblings, mode: Mode) -> Siblings {
    let mut m = a.clone();
    m.merge(mode, b);
    m
}

fn inverse(order: Order) -> Order {
    match order {
        Order::Before => Order::After,
        Order::After => Order::Before,
        other => other,
    }
}

fn le(a: &Siblings, b: &Siblings) -> bool {
    matches!(a.compare(b), Order::Before | Order::Equal)
}

fn check_laws(mode: Mode, states: &[Siblings], picks: (usize, usize, usize)) {
    let n = states.len();
    let (a, b, c) = (
        &states[picks.0 % n],
        &states[picks.1 % n],
        &states[picks.2 % n],
    );

    let ab = join(a, b, mode);
    assert_eq!(ab, join(b, a, mode), "commutative");
    assert_eq!(
        join(&ab, c, mode),
        join(a, &join(b, c, mode), mode),
        "associative"
    );
    assert_eq!(join(a, a, mode), *a, "idempotent");
    assert_eq!(join(&ab, b, mode), ab, "absorbs");

    if let (Some(x), Some(y)) = (a.as_clocks(), b.as_clocks()) {
        assert_eq!(x.le_both(y), (x.le(y), y.le(x)), "both ways at once");
    }
    assert_eq!(a.compare(a), Order::Equal);
    assert_eq!(b.compare(a), inverse(a.compare(b)));
    assert_eq!(a.compare(b) == Order::Equal, a == b);
    assert_eq!(le(a, b), ab == *b, "compare agrees with merge");
    assert_eq!(le(b, a), ab == *a, "compare agrees with merge");
    assert!(le(a, &ab) && le(b, &ab), "the join is an upper bound");
    if le(a, b) && le(b, c) {
        assert!(le(a, c), "transitive");
    }

    assert_eq!(ab.digest(), join(b, a, mode).digest());
    assert_eq!(ab.to_string(), join(b, a, mode).to_string());
    if !matches!(mode, Mode::VectorClock { truncate } if truncate > 0) {
        assert_eq!(
            a.clone().merge(mode, b).false_conflicts,
            0,
            "only truncation makes them"
        );
    }
    // The converged state: everything merged, as anti-entropy would.
    let all = states
        .iter()
        .fold(Siblings::default(), |acc, s| join(&acc, s, mode));
    for s in states {
        assert!(le(s, &all));
    }
}

/// The generator is only as good as the states it reaches: make sure the
/// histories above produce siblings in every mode and, under truncation,
/// false conflicts.
#[test]
fn histories_reach_siblings_and_false_conflicts() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let truncated = Mode::VectorClock { truncate: 2 };
    let mut most_siblings = [0usize; 4];
    let mut false_conflicts = 0;
    for _ in 0..200 {
        let Ok(tree) = history().new_tree(&mut runner) else {
            continue;
        };
        let (replicas, steps, _) = tree.current();
        let modes = [
            Mode::VectorClock { truncate: 0 },
            truncated,
            Mode::Dvv,
            Mode::Lww,
        ];
        for (most, mode) in most_siblings.iter_mut().zip(modes) {
            let states = run(mode, replicas, &steps);
            *most = (*most).max(states.iter().map(Siblings::len).max().unwrap_or(0));
        }
        let states = run(truncated, replicas, &steps);
        let mut all = Siblings::default();
        for s in &states {
            false_conflicts += all.merge(truncated, s).false_conflicts;
        }
    }
    assert!(
        most_siblings[..3].iter().all(|&n| n >= 3),
        "{most_siblings:?}"
    );
    assert_eq!(most_siblings[3], 1, "LWW keeps one value");
    assert!(false_conflicts > 0);
}

fn history() -> impl Strategy<Value = (usize, Vec<Step>, (usize, usize, usize))> {
    (
        3..=5usize,
        prop::collection::vec(step(), 0..40),
        (0..5usize, 0..5usize, 0..5usize),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn vector_clock_states_form_a_semilattice((replicas, steps, picks) in history()) {
        let mode = Mode::VectorClock { truncate: 0 };
        check_laws(mode, &run(mode, replicas, &steps), picks);
    }

    #[test]
    fn truncated_vector_clock_states_form_a_semilattice((replicas, steps, picks) in history()) {
        let mode = Mode::VectorClock { truncate: 2 };
        check_laws(mode, &run(mode, replicas, &steps), picks);
    }

    #[test]
    fn dvv_states_form_a_semilattice((replicas, steps, picks) in history()) {
        check_laws(Mode::Dvv, &run(Mode::Dvv, replicas, &steps), picks);
    }

    #[test]
    fn lww_states_form_a_semilattice((replicas, steps, picks) in history()) {
        check_laws(Mode::Lww, &run(Mode::Lww, replicas, &steps), picks);
    }

    /// DVV loses no write that nobody read: merged over every replica, the
    /// state holds every put's value unless a later put's context covered
    /// it. (Vector clocks fail this; see the unit tests.)
    #[test]
    fn dvv_keeps_every_unsuperseded_write((replicas, steps, _picks) in history()) {
        let states = run(Mode::Dvv, replicas, &steps);
        let all = states.iter().fold(Siblings::default(), |acc, s| join(&acc, s, Mode::Dvv));
        let blind_only = steps.iter().all(|s| matches!(s, Step::Put { read: Read::Blind, .. } | Step::Sync { .. }));
        if blind_only {
            let puts = steps.iter().filter(|s| matches!(s, Step::Put { .. })).count();
            prop_assert_eq!(all.len(), puts);
        }
    }

    /// Reconciliation (§4.4): a client that read a replica's every sibling
    /// and writes back through that replica leaves exactly its own value
    /// there, in every mode; and once the new state is synced to any other
    /// replica, that replica holds no value the writer had read.
    #[test]
    fn a_put_with_the_read_context_replaces_every_sibling_read(
        (replicas, steps, (at, other, _)) in history(),
        mode in prop_oneof![
            Just(Mode::VectorClock { truncate: 0 }),
            Just(Mode::Dvv),
            Just(Mode::Lww),
        ],
    ) {
        let mut states = run(mode, replicas, &steps);
        let (at, other) = (at % replicas, other % replicas);
        let read = states[at].values();
        let ctx = states[at].context();
        let value = ValueId(10_000);
        // Later than every put of the history, so LWW lets it win too.
        let now = SimTime(steps.len() as u64 * 10 + 100);
        states[at].put(mode, NodeId(at as u32), now, &ctx, value);
        prop_assert_eq!(states[at].values(), vec![value]);
        let written = states[at].clone();
        states[other].merge(mode, &written);
        let held = states[other].values();
        prop_assert!(held.contains(&value), "{:?}", held);
        prop_assert!(read.iter().all(|v| !held.contains(v)), "read {:?}, held {:?}", read, held);
    }
}
