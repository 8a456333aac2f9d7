//! The sampler: figures taken over time from the running world, for the
//! `divergence` series of `summary.json` and the convergence checker.
//!
//! [`super::drive`] runs the world in slices up to each sample time (0 and
//! every `metrics.sample_interval` after, and once more at the end) and
//! calls [`Observer::sample`] between slices. A sample only reads the world
//! (node statuses and stores): it sends nothing, draws no random number
//! and writes no trace line, so a run is the same event for event, and its
//! trace the same byte for byte, whatever the interval. A new series is one
//! more field of [`Observations`] filled in `sample`.
//!
//! With gossip on, each sample also counts the up nodes whose membership
//! view differs from the truth (`check::membership::view_differs`): a
//! member missing or a non-member listed, a crashed node not yet declared
//! down, or a live one held down.
//!
//! Divergence is judged against the *true* ring, not any node's view of
//! it: the ring of the true membership (the initial members, plus spares
//! that joined, minus nodes that left), rebuilt only when that set
//! changes. A key is divergent when its live (`Up`) replicas among the
//! top N of that ring hold different states; a replica holding nothing and
//! one holding an empty state agree, and hints do not count.
//!
//! A key a client put was invoked on less than `replication.request_timeout`
//! before the sample is *in flight*, not divergent: its coordinator may
//! still be sending the new state to the replicas (Dynamo §4.5: a put
//! returns after W acks, the rest follow), and until the request times out
//! that is replication at work, not disagreement. The series counts the
//! divergent keys that are not in flight, so convergence after a heal is
//! measured by disagreement that outlasts replication, not by when the
//! workload stops writing. (A key written more often than once a request
//! timeout is never counted while it is; at the end of a quiet `quiesce`
//! none is.)

use super::World;
use crate::check::convergence::{DivergentKey, MAX_DIVERGENT_SHOWN};
use crate::check::membership::view_differs;
use crate::id::{Key, NodeId};
use crate::node::Store;
use crate::node::store::Touched;
use crate::ring::{Layout, NodeSpec, Ring, RingSpec};
use crate::scenario::Scenario;
use crate::sim::Status;
use crate::time::SimTime;
use crate::version::Siblings;
use std::sync::Arc;

/// What the sampler recorded over a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observations {
    /// `(sample time, divergent keys)`, in time order; the last is the end.
    pub divergence: Vec<(SimTime, u64)>,
    /// `(sample time, up nodes whose membership view differs from the
    /// truth)`; empty with gossip off.
    pub views_differ: Vec<(SimTime, u64)>,
    /// The first few keys (by key) still divergent at the last sample,
    /// with each live replica's values.
    pub divergent_at_end: Vec<DivergentKey>,
    /// What each wiping restart took, from [`super::DiskLossRecorder`]
    /// (filled in by [`super::drive`]).
    pub disk_losses: Vec<crate::check::durability::DiskLoss>,
}

/// Takes the samples of one run.
pub struct Observer {
    interval: SimTime,
    spec: RingSpec,
    /// Every node as the ring knows it, members first, then spares.
    specs: Vec<NodeSpec>,
    /// How many of `specs` start in the ring.
    initial: usize,
    positions: Arc<[u64]>,
    /// The true ring as of the last sample, and the member set it is of.
    truth: Option<Truth>,
    /// A key put less than this before a sample is in flight.
    in_flight_window: SimTime,
    observed: Observations,
    /// What the last sample found of the views: the truth it judged
    /// against and, per node, its view's stamp and whether it differed.
    /// With a thousand nodes, reading every view again at every sample
    /// was a million statuses; a view that made no change since, against
    /// the same truth, differs as it did.
    views: LastViews,
}

/// The ring of one member set, and each key's range on it.
struct Truth {
    members: Vec<NodeId>,
    ring: Ring,
    /// Per key, the index of its range: a lookup becomes a slice.
    ranges: Vec<u32>,
    /// The last sample's judgement on this ring, if there was one.
    judged: Option<Judged>,
}

/// Which keys diverged at the last sample, and over which live nodes.
struct Judged {
    /// Per node, whether it was `Up`.
    live: Vec<bool>,
    /// Per key, whether its live replicas disagreed.
    divergent: Vec<bool>,
    count: u64,
    /// Per key, the last sample that judged it again: a key several
    /// stores touched is judged once, without sorting the touched lists.
    judged_at: Vec<u32>,
    /// This sample's number, counting from 1.
    sample: u32,
}

impl Observer {
    /// The observer of `world`, built from `scenario`. Key positions come
    /// from the world's own table (hashing every key name again would
    /// double the setup of a run with a million keys).
    pub fn new(scenario: &Scenario, world: &World) -> Observer {
        let positions = world.nodes().next().map_or_else(
            || super::key_positions(&super::names(scenario)),
            |n| n.directory().positions(),
        );
        Observer {
            interval: scenario.metrics.sample_interval,
            spec: scenario.ring_spec(),
            specs: super::node_specs(scenario),
            initial: scenario.cluster.nodes as usize,
            positions,
            truth: None,
            in_flight_window: scenario.replication.request_timeout,
            observed: Observations::default(),
            views: (Vec::new(), Vec::new()),
        }
    }

    /// How often to sample.
    pub fn interval(&self) -> SimTime {
        self.interval
    }

    /// Records the world as it stands at `at`. Takes the world mutably
    /// only to collect each store's list of touched keys, which no node
    /// reads: the run goes on the same.
    pub fn sample(&mut self, world: &mut World, at: SimTime) {
        let touched: Vec<Touched> = (0..world.nodes().count() as u32)
            .map(|n| world.node_mut(NodeId(n)).store_mut().take_touched())
            .collect();
        let divergent = self.divergent_keys(world, &touched);
        let judged = self.truth.as_ref().and_then(|t| t.judged.as_ref());
        let settled = judged.map_or(divergent, |judged| {
            let recent = world.history().keys_put_within(at, self.in_flight_window);
            not_in_flight(&judged.divergent, divergent, recent)
        });
        self.observed.divergence.push((at, settled));
        if let Some(differ) = views_differ(world, &mut self.views) {
            self.observed.views_differ.push((at, differ));
        }
    }

    /// The observations, with the first keys still divergent at the last
    /// sample (taken at `at`) read from `world` as it stands.
    pub fn finish(mut self, world: &World, at: SimTime) -> Observations {
        if let Some(truth) = &self.truth {
            if let Some(judged) = &truth.judged {
                let mut in_flight: Vec<Key> = world
                    .history()
                    .keys_put_within(at, self.in_flight_window)
                    .collect();
                in_flight.sort_unstable();
                let stores = live_stores(world, &judged.live);
                self.observed.divergent_at_end = judged
                    .divergent
                    .iter()
                    .enumerate()
                    .filter(|&(k, &d)| d && in_flight.binary_search(&Key(k as u32)).is_err())
                    .take(MAX_DIVERGENT_SHOWN)
                    .map(|(k, _)| replica_values(truth, &stores, Key(k as u32)))
                    .collect();
            }
        }
        self.observed
    }

    /// The true ring of the world's current members, rebuilt (forgetting
    /// the last judgement) only when they changed since the last sample.
    fn truth(&mut self, world: &World) -> Option<&mut Truth> {
        let members: Vec<NodeId> = (0..self.specs.len() as u32)
            .map(NodeId)
            .filter(|&n| {
                matches!(
                    world.status(n),
                    Status::Up | Status::Paused | Status::Crashed
                )
            })
            .collect();
        if self.truth.as_ref().is_none_or(|t| t.members != members) {
            let current: Vec<NodeSpec> = members
                .iter()
                .filter_map(|n| self.specs.get(n.index()).cloned())
                .collect();
            let initial = &self.specs[..self.initial.min(self.specs.len())];
            let ring = Layout::evolved(&self.spec, initial, &current).ring(&self.spec);
            let ranges = self
                .positions
                .iter()
                .map(|&p| ring.range_index(p) as u32)
                .collect();
            self.truth = Some(Truth {
                members,
                ring,
                ranges,
                judged: None,
            });
        }
        self.truth.as_mut()
    }

    /// Keys whose live replicas on the true ring hold different states.
    ///
    /// When the true ring and the live nodes are those of the last
    /// sample, only the keys some store touched since are judged again:
    /// every other key's replicas are as they were. Otherwise (the first
    /// sample, a crash, a restart, a join, a wiped disk) every key is.
    fn divergent_keys(&mut self, world: &World, touched: &[Touched]) -> u64 {
        let live: Vec<bool> = (0..world.nodes().count() as u32)
            .map(|n| world.status(NodeId(n)) == Status::Up)
            .collect();
        let Some(truth) = self.truth(world) else {
            return 0;
        };
        let judged = match truth.judged.take() {
            Some(mut judged) if judged.live == live && !touched.iter().any(|t| t.everything) => {
                let stores = live_stores(world, &live);
                judged.sample += 1;
                for &key in touched.iter().flat_map(|t| &t.keys) {
                    let Some(at) = judged.judged_at.get_mut(key.0 as usize) else {
                        continue;
                    };
                    if std::mem::replace(at, judged.sample) == judged.sample {
                        continue;
                    }
                    let now = diverges(truth, &stores, key);
                    if let Some(was) = judged.divergent.get_mut(key.0 as usize) {
                        if *was != now {
                            *was = now;
                            if now {
                                judged.count += 1;
                            } else {
                                judged.count -= 1;
                            }
                        }
                    }
                }
                judged
            }
            _ => judge_every_key(truth, world, live),
        };
        let count = judged.count;
        truth.judged = Some(judged);
        count
    }
}

/// Whether `key`'s live replicas on the true ring (`None` in `stores` for
/// a node not live) hold different states.
fn diverges(truth: &Truth, stores: &[Option<&Store>], key: Key) -> bool {
    let Some(&range) = truth.ranges.get(key.0 as usize) else {
        return false;
    };
    let list = truth.ring.range_preference_list(range as usize);
    let mut first: Option<Option<&Siblings>> = None;
    for replica in &list[..list.len().min(truth.ring.n())] {
        let Some(store) = stores.get(replica.index()).copied().flatten() else {
            continue; // not live
        };
        let state = store.get(key).filter(|s| !s.is_empty());
        match first {
            None => first = Some(state),
            Some(f) if f != state => return true,
            Some(_) => {}
        }
    }
    false
}

/// Every key judged, by one pass over each live store in memory order
/// rather than N lookups a key in key order: with a million keys the
/// stores are far larger than the cache, and a lookup per replica waited
/// on a miss each. The verdict is `diverges`' for every key: the key's
/// live replicas on the true ring do not all hold the same state (an
/// empty or absent state counting as one), which does not depend on the
/// order the replicas are read in.
fn judge_every_key(truth: &Truth, world: &World, live: Vec<bool>) -> Judged {
    let stores = live_stores(world, &live);
    let keys = truth.ranges.len();
    let replicas = |key: usize| {
        let list = truth.ring.range_preference_list(truth.ranges[key] as usize);
        &list[..list.len().min(truth.ring.n())]
    };
    // Per key: the first non-empty state met at a replica (its identity,
    // and where it is, for the rare unequal identities), how many
    // replicas held one.
    let mut first: Vec<(usize, Option<&Siblings>)> = vec![(0, None); keys];
    let mut held: Vec<u32> = vec![0; keys];
    let mut divergent = vec![false; keys];
    for (node, store) in stores.iter().enumerate() {
        let Some(store) = store else {
            continue;
        };
        for (key, state) in store.iter_in_any_order() {
            let k = key.0 as usize;
            if k >= keys || state.is_empty() || !replicas(k).contains(&NodeId(node as u32)) {
                continue;
            }
            held[k] += 1;
            match first[k] {
                (_, None) => first[k] = (state.identity(), Some(state)),
                (id, Some(seen)) => {
                    if id != state.identity() && seen != state {
                        divergent[k] = true;
                    }
                }
            }
        }
    }
    // A key one live replica holds and another lacks diverges too.
    for (k, d) in divergent.iter_mut().enumerate() {
        if held[k] > 0 && !*d {
            let live_replicas = replicas(k)
                .iter()
                .filter(|r| stores.get(r.index()).copied().flatten().is_some())
                .count();
            *d = (held[k] as usize) < live_replicas;
        }
    }
    let count = divergent.iter().filter(|&&d| d).count() as u64;
    Judged {
        live,
        judged_at: vec![0; divergent.len()],
        divergent,
        count,
        sample: 0,
    }
}

/// Of the `count` divergent keys (`divergent[k]`), those not among
/// `in_flight` (keys put within the last request timeout, repeats
/// allowed).
fn not_in_flight(divergent: &[bool], count: u64, in_flight: impl Iterator<Item = Key>) -> u64 {
    let mut in_flight: Vec<Key> = in_flight
        .filter(|k| divergent.get(k.0 as usize).copied().unwrap_or(false))
        .collect();
    in_flight.sort_unstable();
    in_flight.dedup();
    count.saturating_sub(in_flight.len() as u64)
}

/// `key`'s live replicas on the true ring and the values each holds.
fn replica_values(truth: &Truth, stores: &[Option<&Store>], key: Key) -> DivergentKey {
    let list = truth.ranges.get(key.0 as usize).map_or(&[][..], |&range| {
        truth.ring.range_preference_list(range as usize)
    });
    let replicas = list[..list.len().min(truth.ring.n())]
        .iter()
        .filter_map(|&node| {
            let store = stores.get(node.index()).copied().flatten()?;
            Some((
                node,
                store.get(key).map(Siblings::values).unwrap_or_default(),
            ))
        })
        .collect();
    DivergentKey { key, replicas }
}

/// Each node's store if it is live.
fn live_stores<'a>(world: &'a World, live: &[bool]) -> Vec<Option<&'a Store>> {
    world
        .nodes()
        .zip(live)
        .map(|(node, &up)| up.then(|| node.store()))
        .collect()
}

/// The truth a sample judged the views against, and per node the stamp
/// of its view (`Gossip::statuses_stamp`) and whether it differed.
type LastViews = (Vec<Status>, Vec<Option<((u64, u64), bool)>>);

/// Up nodes whose gossip view differs from the truth; `None` with gossip
/// off (no node has a view). `last` holds the previous sample's truth and
/// verdicts, reused for the views that did not change.
fn views_differ(world: &World, last: &mut LastViews) -> Option<u64> {
    let truth: Vec<Status> = (0..world.nodes().count() as u32)
        .map(|n| world.status(NodeId(n)))
        .collect();
    let (last_truth, verdicts) = last;
    if *last_truth != truth {
        verdicts.clear();
    }
    verdicts.resize(truth.len(), None);
    let mut any_view = false;
    let mut differ = 0;
    // A view that changed is read in one pass in node order into a table,
    // rather than looked up a node at a time.
    let mut seen = Vec::new();
    for (i, node) in world.nodes().enumerate() {
        let Some(gossip) = node.gossip() else {
            continue;
        };
        any_view = true;
        if truth[i] != Status::Up {
            continue;
        }
        let stamp = gossip.statuses_stamp();
        let verdict = match verdicts[i] {
            Some((was, verdict)) if was == stamp => verdict,
            _ => {
                seen.clear();
                seen.resize(truth.len(), None);
                for (peer, status) in gossip.statuses() {
                    if let Some(slot) = seen.get_mut(peer.index()) {
                        *slot = Some(status);
                    }
                }
                let verdict = view_differs(|x| seen[x.index()], &truth);
                verdicts[i] = Some((stamp, verdict));
                verdict
            }
        };
        differ += u64::from(verdict);
    }
    *last_truth = truth;
    any_view.then_some(differ)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::ValueId;
    use crate::scenario::{Format, parse_str};
    use crate::trace::Tracer;
    use crate::version::Context;

    const KEYS: u32 = 30;

    /// Four nodes and a spare, thirty keys named by scripted gets that
    /// come only at 50s; n2 crashes at 1s and comes back at 2s; the spare
    /// joins at 3s.
    fn scenario() -> Scenario {
        let mut text = String::from(
            "name = \"observe\"\n[cluster]\nnodes = 4\nspares = 1\n\
             [[fault]]\nat = \"1s\"\ncrash = \"n2\"\n\
             [[fault]]\nat = \"2s\"\nrestart = \"n2\"\n\
             [[fault]]\nat = \"3s\"\njoin = \"n5\"\n",
        );
        for k in 0..KEYS {
            text.push_str(&format!(
                "[[op]]\nat = \"50s\"\nclient = \"a\"\nget = \"k{k}\"\n"
            ));
        }
        parse_str("observe.toml", &text, Format::Toml, &[]).unwrap()
    }

    #[test]
    fn keys_put_within_a_request_timeout_are_in_flight_not_divergent() {
        // Keys 0, 2 and 3 diverge; 2 was put twice lately, 1 (agreeing)
        // and 9 (unknown) once: 2 is in flight, 0 and 3 divergent.
        let divergent = [true, false, true, true];
        let recent = [Key(2), Key(1), Key(2), Key(9)];
        assert_eq!(not_in_flight(&divergent, 3, recent.into_iter()), 2);
        assert_eq!(not_in_flight(&divergent, 3, std::iter::empty()), 3);
    }

    /// Samples the world and returns the divergent keys.
    fn count(observer: &mut Observer, world: &mut World) -> u64 {
        let now = world.now();
        observer.sample(world, now);
        observer.observed.divergence.last().unwrap().1
    }

    #[test]
    fn a_key_diverges_when_its_live_replicas_disagree() {
        let s = scenario();
        let mode = crate::run::node_config(&s).mode;
        let mut world = super::super::build(&s, Tracer::off());
        let mut observer = Observer::new(&s, &world);
        assert_eq!(
            count(&mut observer, &mut world),
            0,
            "nothing stored anywhere"
        );

        let replicas = |world: &World, k: u32| -> Vec<NodeId> {
            world.node(NodeId(0)).directory().preference(Key(k))[..3].to_vec()
        };
        let state = |value: u64| {
            let mut s = Siblings::default();
            s.put(
                mode,
                NodeId(0),
                SimTime::ZERO,
                &Context::none(),
                ValueId(value),
            );
            s
        };
        // n2 alone holds `lonely`, one of its keys; one replica of `empty`
        // holds an empty state; the one node not replicating `stray`
        // holds another value of it. Every other key is alike on its
        // three replicas.
        let lonely = (0..KEYS)
            .find(|&k| replicas(&world, k).contains(&NodeId(1)))
            .unwrap();
        let (empty, stray) = ((lonely + 1) % KEYS, (lonely + 2) % KEYS);
        for k in (0..KEYS).filter(|&k| k != lonely && k != empty) {
            for r in replicas(&world, k) {
                let store = world.node_mut(r).store_mut();
                store.merge(mode, Key(k), &state(k.into()));
            }
        }
        let put = |world: &mut World, node: NodeId, k: u32, value: u64| {
            let store = world.node_mut(node).store_mut();
            store.merge(mode, Key(k), &state(value));
        };
        put(&mut world, NodeId(1), lonely, 99);
        let _ = world
            .node_mut(replicas(&world, empty)[1])
            .store_mut()
            .entry(Key(empty));
        let outsider = (0..4)
            .map(NodeId)
            .find(|n| !replicas(&world, stray).contains(n))
            .unwrap();
        put(&mut world, outsider, stray, 98);
        assert_eq!(count(&mut observer, &mut world), 1, "only `lonely`");

        // A crashed replica is not live: `lonely`'s live replicas agree on
        // holding nothing. Its disk comes back with it.
        world.run_until(SimTime::from_secs(1));
        assert_eq!(world.status(NodeId(1)), Status::Crashed);
        assert_eq!(count(&mut observer, &mut world), 0);
        world.run_until(SimTime::from_secs(2));
        assert_eq!(count(&mut observer, &mut world), 1);

        // n5 joins: the true ring moves keys to it, which holds nothing.
        world.run_until(SimTime::from_secs(3));
        assert_eq!(world.status(NodeId(4)), Status::Up);
        let after_join = count(&mut observer, &mut world);
        assert!(after_join > 5, "{after_join} divergent after the join");
        let truth = observer.truth.as_ref().unwrap();
        assert_eq!(truth.members.len(), 5, "the ring was rebuilt");
    }

    /// The incremental judgement (only touched keys reread) always agrees
    /// with a judgement of every key made afresh, through writes, removals,
    /// empty entries, a crash, a restart and a join.
    #[test]
    fn judging_touched_keys_agrees_with_judging_every_key() {
        use rand::{Rng, SeedableRng};
        let s = scenario();
        let mode = crate::run::node_config(&s).mode;
        let mut world = super::super::build(&s, Tracer::off());
        let mut observer = Observer::new(&s, &world);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut seen_divergent = 0;
        for round in 0..400u64 {
            for _ in 0..rng.random_range(0..4) {
                let node = NodeId(rng.random_range(0..4));
                let key = Key(rng.random_range(0..KEYS));
                let store = world.node_mut(node).store_mut();
                match rng.random_range(0..4) {
                    0 => {
                        let _ = store.entry(key);
                    }
                    1 => {
                        let held = store.get(key).cloned().unwrap_or_default();
                        store.remove_if(key, &held);
                    }
                    _ => {
                        let mut state = Siblings::default();
                        let value = ValueId(rng.random_range(0..3));
                        state.put(mode, node, SimTime::ZERO, &Context::none(), value);
                        store.merge(mode, key, &state);
                    }
                }
            }
            if round % 100 == 50 {
                // Crash at 1s, restart at 2s, join at 3s.
                let next = world.now() + SimTime::from_secs(1);
                world.run_until(next);
            }
            let incremental = count(&mut observer, &mut world);
            let afresh = count(&mut Observer::new(&s, &world), &mut world);
            assert_eq!(incremental, afresh, "round {round}");
            seen_divergent = seen_divergent.max(afresh);
        }
        assert!(seen_divergent > 3, "the test made keys diverge");
    }
}
