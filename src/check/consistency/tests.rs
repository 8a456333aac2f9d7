//! The checkers against hand-built histories, and against a brute-force
//! reading of DESIGN.md's definitions on random ones.

use super::*;
use crate::actor::Outcome;
use crate::id::ClientId;
use proptest::prelude::*;
use std::collections::BTreeSet;

const K: Key = Key(0);

fn ms(t: u64) -> SimTime {
    SimTime::from_millis(t)
}

/// A put whose value is its op id, as in a run.
fn put(
    op: u64,
    invoked: u64,
    completed: Option<u64>,
    outcome: Outcome,
    context: &[u64],
) -> HistoryOp {
    HistoryOp {
        op: OpId(op),
        client: ClientId(0),
        kind: OpKind::Put,
        key: K,
        value: Some(ValueId(op)),
        context: context.iter().map(|&v| ValueId(v)).collect(),
        invoked_at: ms(invoked),
        completed_at: completed.map(ms),
        outcome: completed.map(|_| outcome),
        values: Vec::new(),
    }
}

fn acked(op: u64, invoked: u64, completed: u64, context: &[u64]) -> HistoryOp {
    put(op, invoked, Some(completed), Outcome::Ok, context)
}

fn get(op: u64, invoked: u64, values: &[u64]) -> HistoryOp {
    HistoryOp {
        op: OpId(op),
        client: ClientId(1),
        kind: OpKind::Get,
        key: K,
        value: None,
        context: Vec::new(),
        invoked_at: ms(invoked),
        completed_at: Some(ms(invoked + 5)),
        outcome: Some(Outcome::Ok),
        values: values.iter().map(|&v| ValueId(v)).collect(),
    }
}

fn stale(ops: Vec<HistoryOp>, rule: Rule) -> u64 {
    stale_reads(&History::from_ops(ops), rule).count
}

fn lost(ops: Vec<HistoryOp>, at_end: &[u64], rule: Rule) -> u64 {
    let finals = BTreeMap::from([(K, at_end.iter().map(|&v| ValueId(v)).collect())]);
    lost_acked_writes(&History::from_ops(ops), &finals, rule).count
}

#[test]
fn a_read_that_misses_an_acknowledged_write_is_stale() {
    let ops = vec![
        acked(1, 0, 10, &[]),
        acked(2, 20, 30, &[1]),
        get(3, 40, &[1]),
    ];
    let found = stale_reads(&History::from_ops(ops), Rule::Causal);
    assert_eq!(found.count, 1);
    let example = &found.examples[0];
    assert_eq!((example.get, example.missed_put), (OpId(3), OpId(2)));
    assert_eq!(
        example.why(&Names::default()),
        "get op 3 on k0 returned [v1] at 0.040s; put op 2 (v2) was acknowledged at 0.030s and nothing returned supersedes it"
    );
}

#[test]
fn a_read_of_a_superseding_value_is_not_stale() {
    // Put 3 read put 1's value and was not acknowledged; returning it
    // still covers put 1.
    let ops = vec![
        acked(1, 0, 10, &[]),
        put(2, 15, Some(25), Outcome::Timeout, &[1]),
        get(3, 40, &[2]),
    ];
    assert_eq!(stale(ops, Rule::Causal), 0);
}

#[test]
fn supersession_is_transitive() {
    let ops = vec![
        acked(1, 0, 10, &[]),
        put(2, 15, Some(20), Outcome::Fail, &[1]),
        put(3, 25, None, Outcome::Ok, &[2]),
        get(4, 40, &[3]),
    ];
    assert_eq!(stale(ops.clone(), Rule::Causal), 0);
    assert_eq!(lost(ops, &[3], Rule::Causal), 0);
}

#[test]
fn a_read_invoked_before_the_acknowledgement_is_not_stale() {
    let ops = vec![acked(1, 0, 10, &[]), get(2, 5, &[]), get(3, 10, &[])];
    assert_eq!(stale(ops.clone(), Rule::Causal), 0, "at the ack itself too");
    let later = [ops, vec![get(4, 11, &[])]].concat();
    assert_eq!(stale(later, Rule::Causal), 1);
}

#[test]
fn an_unacknowledged_write_is_never_missed() {
    let ops = vec![
        put(1, 0, Some(10), Outcome::Timeout, &[]),
        put(2, 0, Some(10), Outcome::Fail, &[]),
        put(3, 0, None, Outcome::Ok, &[]),
        get(4, 20, &[]),
    ];
    for rule in [Rule::Causal, Rule::RealTime] {
        assert_eq!(stale(ops.clone(), rule), 0);
        assert_eq!(lost(ops.clone(), &[], rule), 0);
    }
}

#[test]
fn a_stale_get_counts_once_however_many_writes_it_missed() {
    let ops = vec![acked(1, 0, 10, &[]), acked(2, 0, 10, &[]), get(3, 20, &[])];
    assert_eq!(stale(ops, Rule::Causal), 1);
}

#[test]
fn a_lost_write_is_caught_unless_a_superseder_remains() {
    let ops = vec![
        acked(1, 0, 10, &[]),
        acked(2, 20, 30, &[1]),
        acked(3, 40, 50, &[]),
    ];
    let history = History::from_ops(ops.clone());
    let finals = BTreeMap::from([(K, vec![ValueId(3)])]);
    let found = lost_acked_writes(&history, &finals, Rule::Causal);
    assert_eq!(found.count, 2);
    assert_eq!(found.examples[0].put, OpId(1));
    assert_eq!(found.examples[1].put, OpId(2));
    assert_eq!(lost(ops.clone(), &[2, 3], Rule::Causal), 0);
    assert_eq!(lost(ops.clone(), &[2], Rule::Causal), 1, "put 3 is lost");
    let none = lost_acked_writes(&history, &BTreeMap::new(), Rule::Causal);
    assert_eq!(none.count, 3, "a key absent at the end holds nothing");
}

#[test]
fn real_time_lets_an_overlapping_write_supersede() {
    // Put 2 overlaps put 1 and is blind: concurrent under contexts, a
    // possible successor in real time.
    let ops = vec![acked(1, 0, 10, &[]), acked(2, 5, 15, &[]), get(3, 20, &[2])];
    assert_eq!(stale(ops.clone(), Rule::Causal), 1);
    assert_eq!(stale(ops.clone(), Rule::RealTime), 0);
    assert_eq!(lost(ops.clone(), &[2], Rule::Causal), 1);
    assert_eq!(lost(ops, &[2], Rule::RealTime), 0);
}

#[test]
fn real_time_does_not_let_an_earlier_write_supersede() {
    // Put 1 finished before put 2 began: returning 1 misses 2, whatever
    // put 1's context.
    let ops = vec![
        acked(1, 0, 10, &[]),
        acked(2, 20, 30, &[]),
        get(3, 40, &[1]),
    ];
    assert_eq!(stale(ops.clone(), Rule::RealTime), 1);
    assert_eq!(lost(ops.clone(), &[1], Rule::RealTime), 1);
    // A failed put still running when 2 began may follow it.
    let ops = [
        ops,
        vec![put(4, 5, Some(25), Outcome::Timeout, &[]), get(5, 40, &[4])],
    ]
    .concat();
    assert_eq!(stale(ops.clone(), Rule::RealTime), 1, "only get 3");
    assert_eq!(lost(ops, &[4], Rule::RealTime), 0);
}

#[test]
fn a_read_of_an_unfinished_put_supersedes_all_in_real_time() {
    let ops = vec![
        acked(1, 0, 10, &[]),
        put(2, 0, None, Outcome::Ok, &[]),
        get(3, 40, &[2]),
    ];
    assert_eq!(stale(ops, Rule::RealTime), 0);
}

#[test]
fn siblings_are_counted_over_ok_gets() {
    let mut failed = get(4, 0, &[1, 2, 3]);
    failed.outcome = Some(Outcome::Fail);
    let history = History::from_ops(vec![
        get(1, 0, &[]),
        get(2, 0, &[1, 2]),
        get(3, 0, &[5]),
        failed,
    ]);
    assert_eq!(
        sibling_counts(&history),
        BTreeMap::from([(0, 1), (1, 1), (2, 1)])
    );
    assert_eq!(max_siblings(&history), Some(2));
    assert_eq!(max_siblings(&History::new()), None);
}

#[test]
fn examples_are_the_first_in_op_order_across_keys() {
    let mut ops = Vec::new();
    for i in 0..30u64 {
        let key = Key((30 - i) as u32 % 7);
        let mut w = acked(100 + i, 0, 10, &[]);
        w.key = key;
        let mut g = get(200 + i, 20, &[]);
        g.key = key;
        ops.extend([w, g]);
    }
    let found = stale_reads(&History::from_ops(ops), Rule::Causal);
    assert_eq!(found.count, 30);
    let gets: Vec<u64> = found.examples.iter().map(|e| e.get.0).collect();
    assert_eq!(gets, (200..210).collect::<Vec<_>>());
}

#[test]
fn odd_input_does_not_panic() {
    // A context cycle, values no put wrote, a put without a value, an ok
    // op that never completed.
    let mut no_value = acked(5, 0, 10, &[]);
    no_value.value = None;
    let mut never = get(6, 50, &[1]);
    never.completed_at = None;
    let ops = vec![
        acked(1, 0, 10, &[2, 99]),
        acked(2, 0, 10, &[1]),
        put(3, 0, None, Outcome::Ok, &[3]),
        get(4, 20, &[77, 1]),
        no_value,
        never,
    ];
    for rule in [Rule::Causal, Rule::RealTime] {
        let _ = stale(ops.clone(), rule);
        let _ = lost(ops.clone(), &[42], rule);
    }
}

/// A one-pass fixed point of the definition: the values of `w` and of
/// every put (to its key) superseding it.
fn covering_values(ops: &[HistoryOp], w: &HistoryOp, rule: Rule) -> BTreeSet<ValueId> {
    let puts: Vec<&HistoryOp> = ops
        .iter()
        .filter(|p| p.kind == OpKind::Put && p.key == w.key && p.value.is_some())
        .collect();
    let mut covering: BTreeSet<ValueId> = w.value.into_iter().collect();
    match rule {
        Rule::Causal => loop {
            let before = covering.len();
            for p in &puts {
                if p.context.iter().any(|c| covering.contains(c)) {
                    covering.extend(p.value);
                }
            }
            if covering.len() == before {
                break;
            }
        },
        Rule::RealTime => {
            for p in &puts {
                if p.op != w.op && p.completed_at.is_none_or(|c| c >= w.invoked_at) {
                    covering.extend(p.value);
                }
            }
        }
    }
    covering
}

fn acked_writes(ops: &[HistoryOp]) -> impl Iterator<Item = &HistoryOp> {
    ops.iter().filter(|w| {
        w.kind == OpKind::Put && w.is_ok() && w.value.is_some() && w.completed_at.is_some()
    })
}

/// Per stale get in op order, the writes it missed.
fn brute_stale(ops: &[HistoryOp], rule: Rule) -> Vec<(OpId, BTreeSet<OpId>)> {
    let mut out = Vec::new();
    for g in ops.iter().filter(|g| g.kind == OpKind::Get && g.is_ok()) {
        let missed: BTreeSet<OpId> = acked_writes(ops)
            .filter(|w| w.key == g.key && w.completed_at < Some(g.invoked_at))
            .filter(|w| {
                let covering = covering_values(ops, w, rule);
                !g.values.iter().any(|v| covering.contains(v))
            })
            .map(|w| w.op)
            .collect();
        if !missed.is_empty() {
            out.push((g.op, missed));
        }
    }
    out
}

fn brute_lost(ops: &[HistoryOp], finals: &BTreeMap<Key, Vec<ValueId>>, rule: Rule) -> Vec<OpId> {
    acked_writes(ops)
        .filter(|w| {
            let covering = covering_values(ops, w, rule);
            let at_end = finals.get(&w.key).map_or(&[][..], Vec::as_slice);
            !at_end.iter().any(|v| covering.contains(v))
        })
        .map(|w| w.op)
        .collect()
}

/// A random small history as a run could record it: contexts name only
/// earlier puts' values (a writer reads what was already written), so
/// supersession has no cycles; gets may return any value of their key.
fn arb_history() -> impl Strategy<Value = (Vec<HistoryOp>, BTreeMap<Key, Vec<ValueId>>)> {
    let op = (
        any::<bool>(),
        0..3u32,
        0..60u64,
        prop::option::weighted(0.9, 0..25u64),
        0..3u8,
        prop::collection::vec(any::<prop::sample::Index>(), 0..3),
    );
    (
        prop::collection::vec(op, 1..40),
        prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    )
        .prop_map(|(raw, final_picks)| {
            let mut ops: Vec<HistoryOp> = Vec::new();
            for (i, (is_put, key, invoked, latency, outcome, picks)) in raw.into_iter().enumerate()
            {
                let id = i as u64 + 1;
                let outcome = [Outcome::Ok, Outcome::Fail, Outcome::Timeout][outcome as usize % 3];
                let earlier: Vec<ValueId> = ops
                    .iter()
                    .filter(|p| p.kind == OpKind::Put && p.key == Key(key))
                    .filter_map(|p| p.value)
                    .collect();
                let picked: Vec<ValueId> = if earlier.is_empty() {
                    Vec::new()
                } else {
                    picks.iter().map(|ix| *ix.get(&earlier)).collect()
                };
                let mut op = if is_put {
                    put(id, invoked, latency.map(|l| invoked + l), outcome, &[])
                } else {
                    let mut g = get(id, invoked, &[]);
                    g.completed_at = latency.map(|l| ms(invoked + l));
                    g.outcome = latency.map(|_| outcome);
                    g
                };
                op.key = Key(key);
                if is_put {
                    op.context = picked;
                    op.context.push(ValueId(1000 + id)); // written by no put
                } else {
                    op.values = picked;
                    op.values.sort_unstable();
                    op.values.dedup();
                }
                ops.push(op);
            }
            // Gets may also return values written later.
            let all_puts: Vec<(Key, ValueId)> =
                ops.iter().filter_map(|p| Some((p.key, p.value?))).collect();
            let mut finals: BTreeMap<Key, Vec<ValueId>> = BTreeMap::new();
            if !all_puts.is_empty() {
                for ix in final_picks {
                    let (key, value) = *ix.get(&all_puts);
                    finals.entry(key).or_default().push(value);
                }
            }
            for values in finals.values_mut() {
                values.sort_unstable();
                values.dedup();
            }
            (ops, finals)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_fast_checkers_agree_with_the_definitions((ops, finals) in arb_history()) {
        let history = History::from_ops(ops.clone());
        for rule in [Rule::Causal, Rule::RealTime] {
            let want = brute_stale(&ops, rule);
            let got = stale_reads(&history, rule);
            prop_assert_eq!(got.count, want.len() as u64, "{:?}", rule);
            prop_assert_eq!(got.examples.len(), want.len().min(MAX_EXAMPLES));
            for (example, (get, missed)) in got.examples.iter().zip(&want) {
                prop_assert_eq!(example.get, *get);
                prop_assert!(missed.contains(&example.missed_put), "{:?}: {:?} not missed", rule, example);
            }
            let want = brute_lost(&ops, &finals, rule);
            let got = lost_acked_writes(&history, &finals, rule);
            prop_assert_eq!(got.count, want.len() as u64, "{:?}", rule);
            let got_ops: Vec<OpId> = got.examples.iter().map(|e| e.put).collect();
            prop_assert_eq!(&got_ops[..], &want[..want.len().min(MAX_EXAMPLES)]);
        }
    }

    /// The one pass `findings` makes gives what each checker's own entry
    /// point gives, with and without a disk loss to attribute, with keys
    /// dense (a run's) or sparse (grouped by sorting, not counting).
    #[test]
    fn one_pass_by_key_agrees_with_each_checker(
        (mut ops, mut finals) in arb_history(),
        sparse in any::<bool>(),
    ) {
        use crate::check::{durability, staleness, superseded};
        if sparse {
            let spread = |k: Key| Key(k.0 * 1_000_000 + 7);
            ops.iter_mut().for_each(|op| op.key = spread(op.key));
            finals = finals.into_iter().map(|(k, v)| (spread(k), v)).collect();
        }
        let history = History::from_ops(ops);
        let wipe = durability::DiskLoss {
            at: ms(30),
            nodes: vec![crate::id::NodeId(0)],
            keys: Vec::new(),
        };
        for rule in [Rule::Causal, Rule::RealTime] {
            for losses in [Vec::new(), vec![wipe.clone()]] {
                let got = crate::check::judge_history(&history, &finals, &losses, 2, rule);
                prop_assert_eq!(&got.stale_reads, &stale_reads(&history, rule));
                prop_assert_eq!(&got.lost_acked_writes, &lost_acked_writes(&history, &finals, rule));
                prop_assert_eq!(&got.staleness, &staleness::staleness(&history, rule));
                prop_assert_eq!(&got.superseded_siblings, &superseded::superseded_siblings(&history, rule));
                let every = every_lost_acked_write(&history, &finals, rule);
                prop_assert_eq!(&got.durability, &durability::durability(&history, &every, &losses, 2, rule));
            }
        }
    }
}
