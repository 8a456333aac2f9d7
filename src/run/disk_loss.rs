//! The record of disk losses for the durability checker (Dynamo §4.5:
//! a write acknowledged by W replicas survives W-1 lost disks). Just before
//! each instant at which restarts wipe disks, [`super::drive`] stops the
//! run and the [`DiskLossRecorder`] reads, for every key a wiped node holds
//! (replica or hint), each wiped node's values, every other node's values
//! (a crashed node's disk included: it comes back with it), and the values
//! a sync of all those states would keep.
//!
//! Faults are queued before anything else, so they come first among the
//! events of their instant: the world read at the nanosecond before is the
//! world the wipe meets. A restart applies only to a crashed node, so the
//! nodes crashed at that moment are the ones wiped (a crash at the very
//! instant of its own wiping restart would be missed). Like the sampler,
//! recording only reads the world: the run is the same event for event.

use super::World;
use crate::check::durability::{DiskLoss, KeyAtWipe};
use crate::id::{Key, NodeId, ValueId};
use crate::scenario::{FaultAction, Scenario};
use crate::sim::Status;
use crate::time::SimTime;
use crate::version::{Mode, Siblings};
use std::collections::BTreeMap;

/// Records what each wiping restart of a run takes with it.
pub struct DiskLossRecorder {
    mode: Mode,
    /// `(instant, nodes a restart wipes then)`, in time order.
    instants: Vec<(SimTime, Vec<NodeId>)>,
    next: usize,
    recorded: Vec<DiskLoss>,
}

/// One key's holdings while recording an instant.
#[derive(Default)]
struct Holdings {
    wiped: Vec<(NodeId, Vec<ValueId>)>,
    wiped_state: Siblings,
    elsewhere: Vec<ValueId>,
    elsewhere_state: Siblings,
}

impl DiskLossRecorder {
    pub fn new(scenario: &Scenario, world: &World) -> DiskLossRecorder {
        let mut by_instant: BTreeMap<SimTime, Vec<NodeId>> = BTreeMap::new();
        for (fault, _) in world.fault_schedule() {
            if let FaultAction::Restart {
                node,
                wipe_disk: true,
            } = fault.action
            {
                // A restart at 0 finds no crashed node: nothing to wipe.
                if fault.at > SimTime::ZERO {
                    by_instant.entry(fault.at).or_default().push(node);
                }
            }
        }
        DiskLossRecorder {
            mode: super::node_config(scenario).mode,
            instants: by_instant.into_iter().collect(),
            next: 0,
            recorded: Vec::new(),
        }
    }

    /// The moment to stop the run and record at next: a nanosecond before
    /// the next wiping instant; `SimTime::MAX` when none is left.
    pub fn next_stop(&self) -> SimTime {
        self.instants
            .get(self.next)
            .map_or(SimTime::MAX, |(at, _)| SimTime(at.0 - 1))
    }

    /// Reads the world as the next wiping instant meets it.
    pub fn record(&mut self, world: &World) {
        let Some((at, candidates)) = self.instants.get(self.next) else {
            return;
        };
        self.next += 1;
        let mut nodes: Vec<NodeId> = candidates
            .iter()
            .copied()
            .filter(|&n| world.status(n) == Status::Crashed)
            .collect();
        nodes.sort_unstable();
        nodes.dedup();
        if nodes.is_empty() {
            return;
        }
        let mode = self.mode;
        let mut keys: BTreeMap<Key, Holdings> = BTreeMap::new();
        for &node in &nodes {
            let store = world.node(node).store();
            let states = store
                .iter_in_any_order()
                .chain(store.hints().map(|(_, key, state)| (key, state)));
            for (key, state) in states {
                let held = keys.entry(key).or_default();
                match held.wiped.last_mut() {
                    Some((n, values)) if *n == node => values.extend(state.values()),
                    _ => held.wiped.push((node, state.values())),
                }
                held.wiped_state.merge(mode, state);
            }
        }
        for other in 0..world.nodes().count() as u32 {
            let other = NodeId(other);
            if nodes.binary_search(&other).is_ok() {
                continue;
            }
            let store = world.node(other).store();
            let states = store
                .iter_in_any_order()
                .chain(store.hints().map(|(_, key, state)| (key, state)));
            for (key, state) in states {
                if let Some(held) = keys.get_mut(&key) {
                    held.elsewhere.extend(state.values());
                    held.elsewhere_state.merge(mode, state);
                }
            }
        }
        let keys = keys
            .into_iter()
            .map(|(key, mut held)| {
                for (_, values) in &mut held.wiped {
                    values.sort_unstable();
                    values.dedup();
                }
                held.wiped.retain(|(_, values)| !values.is_empty());
                held.elsewhere.sort_unstable();
                held.elsewhere.dedup();
                let mut synced = held.elsewhere_state;
                synced.merge(mode, &held.wiped_state);
                let mut kept_by_sync = synced.values();
                kept_by_sync.sort_unstable();
                kept_by_sync.dedup();
                KeyAtWipe {
                    key,
                    kept_by_sync,
                    wiped: held.wiped,
                    elsewhere: held.elsewhere,
                }
            })
            .collect();
        self.recorded.push(DiskLoss {
            at: *at,
            nodes,
            keys,
        });
    }

    pub fn finish(self) -> Vec<DiskLoss> {
        self.recorded
    }
}
