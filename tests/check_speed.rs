//! The history checkers (and the staleness curve) on a million operations over ten thousand keys, a
//! tenth of them on one hot key, half the puts blind, some timing out.
//! Ignored by default: `cargo test --release --test check_speed --
//! --ignored --nocapture` prints how long each checker takes.

use dynsim::actor::{OpKind, Outcome};
use dynsim::check::consistency::{Rule, lost_acked_writes, stale_reads};
use dynsim::check::history::{History, HistoryOp};
use dynsim::check::staleness::staleness;
use dynsim::id::{ClientId, Key, OpId, ValueId};
use dynsim::time::SimTime;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// A deterministic history: each key remembers its latest values, gets
/// return them, read-modify-writes send them as context.
fn history() -> (History, BTreeMap<Key, Vec<ValueId>>) {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 33) % n
    };
    let mut latest: Vec<Vec<ValueId>> = vec![Vec::new(); 10_000];
    let mut ops = Vec::with_capacity(1_000_000);
    for id in 0..1_000_000u64 {
        let key = if next(10) == 0 {
            0
        } else {
            next(10_000) as usize
        };
        let invoked = SimTime::from_micros(id * 100);
        let seen = latest[key].clone();
        let is_put = next(2) == 0;
        let mut op = HistoryOp {
            op: OpId(id),
            client: ClientId(0),
            kind: OpKind::Get,
            key: Key(key as u32),
            value: None,
            context: Vec::new(),
            invoked_at: invoked,
            completed_at: Some(invoked + SimTime::from_millis(1 + next(30))),
            outcome: Some(Outcome::Ok),
            values: Vec::new(),
        };
        if is_put {
            op.kind = OpKind::Put;
            op.value = Some(ValueId(id));
            if next(2) == 0 {
                op.context = seen;
            }
            if next(20) == 0 {
                op.outcome = Some(Outcome::Timeout);
            } else {
                let mut kept: Vec<ValueId> = latest[key]
                    .iter()
                    .copied()
                    .filter(|v| !op.context.contains(v))
                    .collect();
                kept.push(ValueId(id));
                kept.truncate(3);
                latest[key] = kept;
            }
        } else {
            op.values = seen;
            op.values.sort_unstable();
        }
        ops.push(op);
    }
    let finals = latest
        .into_iter()
        .enumerate()
        .map(|(k, v)| (Key(k as u32), v))
        .collect();
    (History::from_ops(ops), finals)
}

#[test]
#[ignore = "a timing run; use --release"]
fn a_million_operations_check_quickly() {
    let (history, finals) = history();
    for rule in [Rule::Causal, Rule::RealTime] {
        let started = Instant::now();
        let stale = stale_reads(&history, rule).count;
        let stale_took = started.elapsed();
        let started = Instant::now();
        let lost = lost_acked_writes(&history, &finals, rule).count;
        let lost_took = started.elapsed();
        let started = Instant::now();
        let curve = staleness(&history, rule);
        let curve_took = started.elapsed();
        println!(
            "{rule:?}: {stale} stale reads in {stale_took:?}, {lost} lost writes in {lost_took:?}, \
             {} gets on the staleness curve in {curve_took:?}",
            curve.samples.len()
        );
        assert!(
            stale_took + lost_took < Duration::from_secs(10),
            "far too slow"
        );
        assert!(curve_took < Duration::from_secs(5), "far too slow");
    }
}
