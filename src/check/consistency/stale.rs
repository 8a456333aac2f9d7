//! The stale-read checker's two walks over one key's operations (see the
//! definitions in `check::consistency`): through contexts for vector
//! clocks and dvv, through time for last-write-wins. A tombstone that was
//! reaped need not be returned by a get that began after the reap.

use super::{Firsts, KeyOps, Rule, StaleRead, completed};
use crate::check::history::HistoryOp;
use crate::id::ValueId;
use crate::time::SimTime;
use std::collections::{BTreeMap, BTreeSet};

impl KeyOps {
    /// The key's stale reads under `rule`, the first few offered to
    /// `firsts`.
    pub(in crate::check) fn stale(
        &self,
        ops: &[HistoryOp],
        reaped: &BTreeMap<ValueId, SimTime>,
        rule: Rule,
        firsts: &mut Firsts<StaleRead>,
    ) -> u64 {
        match rule {
            Rule::Causal => self.stale_causal(ops, reaped, firsts),
            Rule::RealTime => self.stale_real_time(ops, reaped, firsts),
        }
    }

    /// Causal rule. Walking gets and acknowledgements in time order, it
    /// keeps the *frontier*: the writes acknowledged so far that no other
    /// write acknowledged so far supersedes. A get that covers the frontier
    /// covers every acknowledged write, since supersession is transitive,
    /// so only the frontier is checked. `covered` marks puts some
    /// acknowledged write supersedes; it only grows and is closed
    /// downwards, so each walk stops at the first covered put and the
    /// marking costs each edge once per key.
    fn stale_causal(
        &self,
        ops: &[HistoryOp],
        reaped: &BTreeMap<ValueId, SimTime>,
        firsts: &mut Firsts<StaleRead>,
    ) -> u64 {
        let n = self.puts.len();
        // Reaped tombstones by when they were first reaped: from then on
        // a get need not return them (they count as covered).
        let retire = self.reaped_in_time(ops, reaped);
        let mut next_retire = 0;
        let mut covered = vec![false; n];
        let mut in_frontier = vec![false; n];
        let mut frontier_len = 0usize;
        let mut seen_in = vec![0u32; n];
        let mut epoch = 0u32;
        let mut stack = Vec::new();
        let mut next_ack = 0;
        let mut stale = 0;
        for &g in &self.gets_in_time {
            let get = &ops[g as usize];
            // Acknowledged strictly before the get began.
            while let Some(&w) = self.acked_in_time.get(next_ack) {
                if completed(self.put(ops, w)) >= get.invoked_at {
                    break;
                }
                next_ack += 1;
                stack.extend_from_slice(self.children(w));
                while let Some(p) = stack.pop() {
                    if covered[p as usize] {
                        continue;
                    }
                    covered[p as usize] = true;
                    if in_frontier[p as usize] {
                        in_frontier[p as usize] = false;
                        frontier_len -= 1;
                    }
                    stack.extend_from_slice(self.children(p));
                }
                if !covered[w as usize] {
                    in_frontier[w as usize] = true;
                    frontier_len += 1;
                }
            }
            while let Some(&(at, t)) = retire.get(next_retire) {
                if at >= get.invoked_at {
                    break;
                }
                next_retire += 1;
                covered[t as usize] = true;
                if in_frontier[t as usize] {
                    in_frontier[t as usize] = false;
                    frontier_len -= 1;
                }
            }
            if frontier_len == 0 {
                continue;
            }
            // Count the frontier writes the returned values are or
            // supersede. Covered puts hold no frontier write below them.
            epoch += 1;
            let mut reached = 0usize;
            stack.extend(get.values.iter().filter_map(|v| self.put_of(*v)));
            while let Some(p) = stack.pop() {
                let p_us = p as usize;
                if seen_in[p_us] == epoch || covered[p_us] {
                    continue;
                }
                seen_in[p_us] = epoch;
                if in_frontier[p_us] {
                    reached += 1;
                }
                stack.extend_from_slice(self.children(p));
            }
            if reached < frontier_len {
                stale += 1;
                if firsts.wants(g) {
                    let missed = (0..n as u32)
                        .find(|&p| in_frontier[p as usize] && seen_in[p as usize] != epoch);
                    if let Some(w) = missed {
                        firsts.offer(g, self.stale_read(ops, get, w));
                    }
                }
            }
        }
        stale
    }

    /// Real-time rule. A returned value supersedes every write invoked no
    /// later than its put completed (an unfinished put supersedes all), so
    /// a get misses exactly the acknowledged writes invoked after the
    /// latest completion among its values' puts, except those it returned.
    /// The local puts of reaped tombstones, by when they were first
    /// reaped.
    fn reaped_in_time(
        &self,
        ops: &[HistoryOp],
        reaped: &BTreeMap<ValueId, SimTime>,
    ) -> Vec<(SimTime, u32)> {
        if reaped.is_empty() {
            return Vec::new();
        }
        let mut retire: Vec<(SimTime, u32)> = (0..self.puts.len() as u32)
            .filter_map(|p| {
                let value = self.put(ops, p).value?;
                Some((*reaped.get(&value)?, p))
            })
            .collect();
        retire.sort_unstable();
        retire
    }

    fn stale_real_time(
        &self,
        ops: &[HistoryOp],
        reaped: &BTreeMap<ValueId, SimTime>,
        firsts: &mut Firsts<StaleRead>,
    ) -> u64 {
        // A tombstone reaped before a get began need not be returned.
        let gone = |w_value: Option<ValueId>, get: &HistoryOp| {
            w_value
                .and_then(|v| reaped.get(&v))
                .is_some_and(|&at| at < get.invoked_at)
        };
        // (invoked_at, local put) of the writes acknowledged so far.
        let mut acked: BTreeSet<(SimTime, u32)> = BTreeSet::new();
        let mut next_ack = 0;
        let mut stale = 0;
        for &g in &self.gets_in_time {
            let get = &ops[g as usize];
            while let Some(&w) = self.acked_in_time.get(next_ack) {
                let put = self.put(ops, w);
                if completed(put) >= get.invoked_at {
                    break;
                }
                next_ack += 1;
                acked.insert((put.invoked_at, w));
            }
            let returned_reach = get
                .values
                .iter()
                .filter_map(|v| self.put_of(*v))
                .map(|p| completed(self.put(ops, p)))
                .max();
            let missed_from = match returned_reach {
                None => acked.range(..),
                Some(SimTime::MAX) => continue,
                Some(t) => acked.range((SimTime(t.0 + 1), 0)..),
            };
            // Each write skipped here is one the get returned, so the loop
            // is as short as the get's values.
            let missed = missed_from.map(|&(_, w)| w).find(|&w| {
                let value = self.put(ops, w).value;
                !value.is_some_and(|v| get.values.contains(&v)) && !gone(value, get)
            });
            if let Some(w) = missed {
                stale += 1;
                if firsts.wants(g) {
                    // The first missed write in op order, as the causal
                    // checker reports it.
                    let first = acked
                        .iter()
                        .map(|&(_, w)| w)
                        .filter(|&w| {
                            let put = self.put(ops, w);
                            returned_reach.is_none_or(|t| put.invoked_at > t)
                                && !put.value.is_some_and(|v| get.values.contains(&v))
                                && !gone(put.value, get)
                        })
                        .min()
                        .unwrap_or(w);
                    firsts.offer(g, self.stale_read(ops, get, first));
                }
            }
        }
        stale
    }

    fn stale_read(&self, ops: &[HistoryOp], get: &HistoryOp, w: u32) -> StaleRead {
        let put = self.put(ops, w);
        StaleRead {
            get: get.op,
            key: get.key,
            get_invoked_at: get.invoked_at,
            returned: get.values.clone(),
            missed_put: put.op,
            missed_value: put.value.unwrap_or(ValueId(put.op.0)),
            missed_acked_at: completed(put),
        }
    }
}
