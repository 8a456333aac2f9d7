//! Property tests: for each type, the states reached by random updates
//! (by several actors, each from what one replica holds) and merges
//! across four replicas form a join-semilattice under `merge`
//! (commutative, associative, idempotent), and each state reads as a
//! plain reference model says it should. The model keeps every operation
//! a state has seen: a counter is the sum of the seen deltas; an or-set
//! holds an element when some seen add of it was not observed by a seen
//! remove (a remove observes the adds of the element its writer's state
//! had seen), so an observed remove wins over the adds it saw and a
//! concurrent add survives; a union set holds what its own path of
//! removes and merged unions leaves, which is what a `BTreeSet` told the
//! same steps holds.

use proptest::prelude::*;
use std::collections::BTreeSet;

use super::*;

#[derive(Clone, Debug)]
enum Step {
    /// Actor `actor` updates replica `at`'s state.
    Update {
        at: usize,
        actor: u32,
        add: Vec<u32>,
        remove: Vec<u32>,
        delta: i64,
    },
    /// Replica `to` merges replica `from`'s state.
    Merge { from: usize, to: usize },
}

const REPLICAS: usize = 4;

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (
            0..REPLICAS,
            0..3u32,
            prop::collection::vec(0..5u32, 0..3),
            prop::collection::vec(0..5u32, 0..3),
            -3..4i64
        )
            .prop_map(|(at, actor, add, remove, delta)| Step::Update {
                at,
                actor,
                add,
                remove,
                delta
            }),
        (0..REPLICAS, 0..REPLICAS).prop_map(|(from, to)| Step::Merge { from, to }),
    ]
}

/// An operation of the reference model.
#[derive(Clone, Debug)]
enum Op {
    Add(u32),
    /// Removes the adds (by op index) it observed.
    Remove(BTreeSet<usize>),
    Delta(i64),
}

/// One replica in the model: the operations its state has seen, and for
/// a union set, the plain set those steps leave.
#[derive(Clone, Debug, Default)]
struct Model {
    seen: BTreeSet<usize>,
    union: BTreeSet<u32>,
}

fn model_or_set(log: &[Op], m: &Model) -> Vec<Element> {
    let removed: BTreeSet<usize> = m
        .seen
        .iter()
        .filter_map(|&i| match &log[i] {
            Op::Remove(observed) => Some(observed.iter().copied()),
            _ => None,
        })
        .flatten()
        .collect();
    let present: BTreeSet<u32> = m
        .seen
        .iter()
        .filter(|i| !removed.contains(i))
        .filter_map(|&i| match log[i] {
            Op::Add(e) => Some(e),
            _ => None,
        })
        .collect();
    present.into_iter().map(Element).collect()
}

fn model_count(log: &[Op], m: &Model) -> i64 {
    m.seen
        .iter()
        .map(|&i| match log[i] {
            Op::Delta(d) => d,
            _ => 0,
        })
        .sum()
}

/// Runs the steps under `ty`, checking each replica against the model
/// after every step; returns the replicas' states.
fn run(ty: ValueType, steps: &[Step]) -> Result<Vec<Content>, TestCaseError> {
    let mut states = vec![Content::empty(ty).unwrap(); REPLICAS];
    let mut models = vec![Model::default(); REPLICAS];
    let mut own = [OwnWrites::default(); 3];
    let mut log: Vec<Op> = Vec::new();
    let mut own_deltas: [Vec<usize>; 3] = Default::default();
    for step in steps {
        match step {
            Step::Update {
                at,
                actor,
                add,
                remove,
                delta,
            } => {
                let change = Change::new(
                    add.iter().copied().map(Element).collect(),
                    remove.iter().copied().map(Element).collect(),
                    *delta,
                );
                states[*at] = states[*at].apply(&change, *actor, &mut own[*actor as usize]);
                let m = &mut models[*at];
                // The model removes, then adds, as `Change` says; an
                // element both removed and added is re-added, so its
                // earlier adds are observed (the or-set replaces them).
                let mut touched: Vec<u32> = change.remove.iter().map(|e| e.0).collect();
                touched.extend(change.add.iter().map(|e| e.0));
                for e in touched {
                    let observed: BTreeSet<usize> = m
                        .seen
                        .iter()
                        .copied()
                        .filter(|&i| matches!(log[i], Op::Add(x) if x == e))
                        .collect();
                    log.push(Op::Remove(observed));
                    m.seen.insert(log.len() - 1);
                }
                for e in &change.add {
                    log.push(Op::Add(e.0));
                    m.seen.insert(log.len() - 1);
                }
                log.push(Op::Delta(*delta));
                m.seen.insert(log.len() - 1);
                // A counter entry carries every delta of its actor so far
                // (the actor remembers its own writes).
                own_deltas[*actor as usize].push(log.len() - 1);
                m.seen.extend(own_deltas[*actor as usize].iter().copied());
                for e in &change.remove {
                    m.union.remove(&e.0);
                }
                m.union.extend(change.add.iter().map(|e| e.0));
            }
            Step::Merge { from, to } => {
                let theirs = states[*from].clone();
                states[*to].merge(&theirs);
                let (seen, union) = (models[*from].seen.clone(), models[*from].union.clone());
                models[*to].seen.extend(seen);
                models[*to].union.extend(union);
            }
        }
        for (state, m) in states.iter().zip(&models) {
            let want = match ty {
                ValueType::Set => Reading::Elements(m.union.iter().copied().map(Element).collect()),
                ValueType::OrSet => Reading::Elements(model_or_set(&log, m)),
                ValueType::Counter => Reading::Count(model_count(&log, m)),
                ValueType::Opaque => unreachable!("no content"),
            };
            prop_assert_eq!(state.reading(), want, "after {:?}", step);
        }
    }
    Ok(states)
}

fn joined(a: &Content, b: &Content) -> Content {
    let mut x = a.clone();
    x.merge(b);
    x
}

fn laws(ty: ValueType, steps: &[Step]) -> Result<(), TestCaseError> {
    let states = run(ty, steps)?;
    let (a, b, c) = (&states[0], &states[1], &states[2]);
    prop_assert_eq!(joined(a, b), joined(b, a), "commutative");
    prop_assert_eq!(
        joined(&joined(a, b), c),
        joined(a, &joined(b, c)),
        "associative"
    );
    prop_assert_eq!(&joined(a, a), a, "idempotent");
    Ok(())
}

const TYPES: [ValueType; 3] = [ValueType::Set, ValueType::OrSet, ValueType::Counter];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn merge_is_a_join_and_matches_the_model(steps in prop::collection::vec(step(), 0..40)) {
        for ty in TYPES {
            laws(ty, &steps)?;
        }
    }
}

/// The two or-set rules the model states, by hand: a remove wins over
/// the add it saw; an add it did not see survives.
#[test]
fn an_observed_remove_wins_and_a_concurrent_add_survives() {
    let steps = [
        // Replica 0 adds 1; replica 1 learns it.
        Step::Update {
            at: 0,
            actor: 0,
            add: vec![1],
            remove: vec![],
            delta: 0,
        },
        Step::Merge { from: 0, to: 1 },
        // Replica 1 removes 1 (it saw the add); replica 0, concurrently,
        // adds 1 again.
        Step::Update {
            at: 1,
            actor: 1,
            add: vec![],
            remove: vec![1],
            delta: 0,
        },
        Step::Update {
            at: 0,
            actor: 0,
            add: vec![1],
            remove: vec![],
            delta: 0,
        },
        Step::Merge { from: 0, to: 2 },
        Step::Merge { from: 1, to: 2 },
    ];
    let states = run(ValueType::OrSet, &steps).unwrap();
    assert_eq!(states[2].reading(), Reading::Elements(vec![Element(1)]));
    let states = run(ValueType::OrSet, &steps[..3]).unwrap();
    let mut merged = states[1].clone();
    merged.merge(&states[0]);
    assert_eq!(merged.reading(), Reading::Elements(vec![]), "removed");
}
