//! The staleness checker against hand-built histories, and against a
//! brute-force reading of its definitions on random ones.

use super::*;
use crate::actor::{OpKind, Outcome};
use crate::id::{ClientId, Key, OpId, ValueId};
use proptest::prelude::*;

fn ms(t: u64) -> SimTime {
    SimTime::from_millis(t)
}

/// A put whose value is its op id, as in a run.
fn put(op: u64, invoked: u64, completed: Option<u64>, context: &[u64]) -> HistoryOp {
    HistoryOp {
        op: OpId(op),
        client: ClientId(0),
        kind: OpKind::Put,
        key: Key(0),
        value: Some(ValueId(op)),
        context: context.iter().map(|&v| ValueId(v)).collect(),
        invoked_at: ms(invoked),
        completed_at: completed.map(ms),
        outcome: completed.map(|_| Outcome::Ok),
        values: Vec::new(),
    }
}

fn acked(op: u64, invoked: u64, completed: u64, context: &[u64]) -> HistoryOp {
    put(op, invoked, Some(completed), context)
}

fn get(op: u64, invoked: u64, values: &[u64]) -> HistoryOp {
    HistoryOp {
        op: OpId(op),
        client: ClientId(1),
        kind: OpKind::Get,
        key: Key(0),
        value: None,
        context: Vec::new(),
        invoked_at: ms(invoked),
        completed_at: Some(ms(invoked + 1)),
        outcome: Some(Outcome::Ok),
        values: values.iter().map(|&v| ValueId(v)).collect(),
    }
}

fn measure(ops: Vec<HistoryOp>, rule: Rule) -> Staleness {
    staleness(&History::from_ops(ops), rule)
}

fn sample(t_ms: u64, consistent: bool) -> Sample {
    Sample {
        since_commit: ms(t_ms),
        consistent,
    }
}

#[test]
fn a_get_before_any_acknowledged_put_is_not_counted() {
    for rule in [Rule::Causal, Rule::RealTime] {
        // The put completes at 10 ms; the get starts at 5 ms.
        let s = measure(vec![acked(1, 0, 10, &[]), get(2, 5, &[])], rule);
        assert!(s.samples.is_empty());
        assert_eq!(s.p_consistent(), None);
        assert!(s.auto_curve().is_empty());
    }
}

#[test]
fn consistent_when_the_latest_or_a_superseding_value_is_returned() {
    for rule in [Rule::Causal, Rule::RealTime] {
        let s = measure(
            vec![
                acked(1, 0, 10, &[]),
                // Sees the latest: consistent at 5 ms.
                get(2, 15, &[1]),
                // Sees nothing: one version behind, at 20 ms.
                get(3, 30, &[]),
                // Put 4 reads 1 and is still running: it supersedes 1 by
                // either rule.
                put(4, 40, None, &[1]),
                get(5, 50, &[4]),
            ],
            rule,
        );
        assert_eq!(
            s.samples,
            vec![sample(5, true), sample(20, false), sample(40, true)],
            "{rule:?}"
        );
        assert_eq!(s.k_staleness, BTreeMap::from([(1, 1)]));
        assert_eq!(s.p_consistent(), Some(2.0 / 3.0));
    }
}

#[test]
fn k_counts_the_acknowledged_versions_missed() {
    // A causal chain 1 <- 2 <- 3 <- 4, each acknowledged in turn.
    let chain = || {
        vec![
            acked(1, 0, 1, &[]),
            acked(2, 2, 3, &[1]),
            acked(3, 4, 5, &[2]),
            acked(4, 6, 7, &[3]),
        ]
    };
    for rule in [Rule::Causal, Rule::RealTime] {
        let mut ops = chain();
        ops.extend([get(10, 20, &[2]), get(11, 20, &[1]), get(12, 20, &[])]);
        ops.push(get(13, 20, &[4]));
        let s = measure(ops, rule);
        assert_eq!(
            s.k_staleness,
            BTreeMap::from([(2, 1), (3, 1), (4, 1)]),
            "{rule:?}"
        );
        assert_eq!(s.samples.iter().filter(|s| s.consistent).count(), 1);
    }
}

#[test]
fn the_rules_differ_on_blind_overlapping_writes() {
    // Put 2 overlaps put 1 and is blind: by time it may follow 1, by
    // context it does not. Put 1 is acknowledged last.
    let ops = vec![acked(1, 0, 10, &[]), acked(2, 5, 8, &[]), get(3, 20, &[2])];
    assert_eq!(
        measure(ops.clone(), Rule::RealTime).samples,
        vec![sample(10, true)]
    );
    let causal = measure(ops, Rule::Causal);
    assert_eq!(causal.samples, vec![sample(10, false)]);
    assert_eq!(causal.k_staleness, BTreeMap::from([(1, 1)]));
}

#[test]
fn buckets_are_equal_width_from_zero() {
    let s = Staleness {
        samples: vec![
            sample(0, false),
            sample(1, true),
            sample(3, true),
            sample(3, false),
            sample(9, true),
        ],
        k_staleness: BTreeMap::new(),
    };
    let curve = s.curve(ms(2), 3);
    let rows: Vec<(u64, u64, Option<f64>, u64)> = curve
        .iter()
        .map(|b| (b.lo.0 / 1_000_000, b.hi.0 / 1_000_000, b.p, b.gets))
        .collect();
    assert_eq!(
        rows,
        vec![(0, 2, Some(0.5), 2), (2, 4, Some(0.5), 2), (4, 6, None, 0)]
    );
    // The automatic width is a round number covering the 99th percentile.
    let auto = s.auto_curve();
    assert_eq!(auto.len() as u64, AUTO_BUCKETS);
    assert_eq!(auto[0].hi, SimTime::from_micros(500));
    assert_eq!(auto.iter().map(|b| b.gets).sum::<u64>(), 5);
}

#[test]
fn nice_widths_are_one_two_or_five_times_a_power_of_ten() {
    assert_eq!(nice_width(0), SimTime(1));
    assert_eq!(nice_width(3), SimTime(5));
    assert_eq!(nice_width(6), SimTime(10));
    assert_eq!(nice_width(1_500_000), SimTime(2_000_000));
    assert_eq!(nice_width(u64::MAX), SimTime(u64::MAX));
}

#[test]
fn odd_histories_do_not_panic() {
    // A context naming a later put, a cycle, a value no put wrote, and an
    // unfinished put returned.
    let ops = vec![
        acked(1, 0, 1, &[2]),
        acked(2, 2, 3, &[1]),
        put(3, 4, None, &[99]),
        get(4, 10, &[3, 77]),
        get(5, 10, &[1]),
    ];
    for rule in [Rule::Causal, Rule::RealTime] {
        let s = measure(ops.clone(), rule);
        assert_eq!(s.samples.len(), 2);
        assert_eq!(s, brute_force(&ops, rule));
    }
}

/// The definitions read literally: for each counted get, every covered
/// acknowledged put, found by walking contexts or comparing times.
fn brute_force(ops: &[HistoryOp], rule: Rule) -> Staleness {
    let mut sorted = ops.to_vec();
    sorted.sort_by_key(|o| o.op);
    let puts: Vec<&HistoryOp> = sorted
        .iter()
        .filter(|o| o.kind == OpKind::Put && o.value.is_some())
        .collect();
    let mut acked: Vec<&HistoryOp> = puts.iter().copied().filter(|p| p.is_ok()).collect();
    acked.sort_by_key(|p| completed(p));
    let of_value = |v: ValueId| puts.iter().copied().find(|p| p.value == Some(v));
    let supersedes = |p: &HistoryOp, q: &HistoryOp| -> bool {
        match rule {
            Rule::RealTime => p.op != q.op && completed(p) >= q.invoked_at,
            Rule::Causal => {
                let mut stack: Vec<&HistoryOp> = vec![p];
                let mut seen = Vec::new();
                while let Some(x) = stack.pop() {
                    if seen.contains(&x.op) {
                        continue;
                    }
                    seen.push(x.op);
                    for &v in &x.context {
                        if let Some(y) = of_value(v) {
                            if y.op == q.op {
                                return true;
                            }
                            stack.push(y);
                        }
                    }
                }
                false
            }
        }
    };
    let mut found = Staleness::default();
    for g in sorted.iter().filter(|o| o.kind == OpKind::Get && o.is_ok()) {
        let before: Vec<&HistoryOp> = acked
            .iter()
            .copied()
            .filter(|p| completed(p) < g.invoked_at)
            .collect();
        let m = before.len() as u64;
        let Some(latest) = before.last() else {
            continue;
        };
        let returned: Vec<&HistoryOp> = g.values.iter().filter_map(|&v| of_value(v)).collect();
        let covers = |q: &HistoryOp| returned.iter().any(|p| p.op == q.op || supersedes(p, q));
        let best = (0..before.len())
            .rev()
            .find(|&i| covers(before[i]))
            .map_or(0, |i| i as u64 + 1);
        let consistent = best == m;
        found.samples.push(Sample {
            since_commit: SimTime(g.invoked_at.0 - completed(latest).0),
            consistent,
        });
        if !consistent {
            *found.k_staleness.entry(m - best).or_insert(0) += 1;
        }
    }
    found.samples.sort_unstable();
    found
}

fn random_history() -> impl Strategy<Value = Vec<HistoryOp>> {
    // (is_put, invoked, duration, acked, context picks, get picks)
    let op = (
        any::<bool>(),
        0u64..40,
        0u64..10,
        any::<bool>(),
        proptest::collection::vec(0u64..12, 0..3),
    );
    proptest::collection::vec(op, 1..14).prop_map(|raw| {
        let mut ops = Vec::new();
        let mut invoked = 0;
        for (i, (is_put, gap, took, ok, picks)) in raw.into_iter().enumerate() {
            let id = i as u64 + 1;
            invoked += gap % 5;
            // Contexts and reads name earlier ops only, as in a run.
            let earlier: Vec<u64> = picks.into_iter().filter(|&p| p < id).collect();
            if is_put {
                let done = ok.then_some(invoked + took);
                let mut p = put(id, invoked, done.or(Some(invoked + took)), &earlier);
                if !ok {
                    p.outcome = if took % 2 == 0 {
                        Some(Outcome::Timeout)
                    } else {
                        None
                    };
                    p.completed_at = p.outcome.map(|_| ms(invoked + took));
                }
                ops.push(p);
            } else {
                ops.push(get(id, invoked, &earlier));
            }
        }
        ops
    })
}

proptest! {
    #[test]
    fn matches_the_brute_force_definition(ops in random_history()) {
        for rule in [Rule::Causal, Rule::RealTime] {
            let fast = measure(ops.clone(), rule);
            prop_assert_eq!(fast, brute_force(&ops, rule));
        }
    }
}

#[test]
fn log_buckets_resolve_the_first_milliseconds() {
    // Stale gets at 0.05, 0.3 and 3 ms; consistent ones at 0.05, 7, 40
    // and 900 ms: equal buckets to the 99th percentile would be 50 ms
    // wide and put every stale get in the first.
    let mut samples = vec![
        Sample {
            since_commit: SimTime::from_micros(50),
            consistent: false,
        },
        Sample {
            since_commit: SimTime::from_micros(50),
            consistent: true,
        },
        Sample {
            since_commit: SimTime::from_micros(300),
            consistent: false,
        },
        sample(3, false),
        sample(7, true),
        sample(40, true),
        sample(900, true),
    ];
    samples.sort_unstable();
    let s = Staleness {
        samples,
        ..Staleness::default()
    };
    let curve = s.log_curve();
    let edges_us: Vec<u64> = curve.iter().map(|b| b.lo.0 / 1000).collect();
    assert_eq!(
        edges_us,
        [
            0, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000,
            500_000
        ]
    );
    assert_eq!(
        curve.last().unwrap().hi,
        ms(1000),
        "the first edge past 900 ms"
    );
    let row = |lo_us: u64| {
        let b = curve.iter().find(|b| b.lo.0 / 1000 == lo_us).unwrap();
        (b.gets, b.p)
    };
    assert_eq!(row(0), (2, Some(0.5)));
    assert_eq!(row(200), (1, Some(0.0)));
    assert_eq!(row(2_000), (1, Some(0.0)));
    assert_eq!(row(5_000), (1, Some(1.0)));
    assert_eq!(row(100), (0, None));
    assert_eq!(curve.iter().map(|b| b.gets).sum::<u64>(), 7, "every get in");
    assert!(Staleness::default().log_curve().is_empty());
    // A get exactly on an edge opens the bucket from it.
    let on_edge = Staleness {
        samples: vec![sample(5, false)],
        ..Staleness::default()
    };
    let last = *on_edge.log_curve().last().unwrap();
    assert_eq!((last.lo, last.hi, last.gets), (ms(5), ms(10), 1));
    let summary = s.summary(crate::scenario::StalenessBuckets::Log);
    assert_eq!(summary.buckets, "log");
    assert_eq!(summary.by_time_since_commit[2].0, 0.2);
}
