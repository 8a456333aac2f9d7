//! The generated workload: when each client acts, on which key, and how.
//!
//! Open loop: each client's requests arrive as a Poisson process at its
//! share of `workload.rate`, whether or not earlier ones finished (the load
//! a web tier puts on Dynamo). Closed loop: each client has one request
//! outstanding and sends the next when it completes (a benchmark driver).
//! Keys follow `key_dist`; gets and puts follow `mix`; a share of puts are
//! read-modify-writes that read first and send what they read as context.
//! An update (typed values) reads too: a set's adds one of
//! [`GENERATED_ELEMENTS`] elements (`e0`..) and, half the time, removes one
//! of the elements it read; a counter's adds 1, or a quarter of the time
//! takes 1 away.

use super::keys::KeyChooser;
use crate::actor::OpKind;
use crate::id::Key;
use crate::net::exponential::exponential;
use crate::scenario::{LoopMode, Workload};
use crate::time::SimTime;
use rand::Rng;

/// What a client does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Draw {
    pub kind: OpKind,
    pub key: Key,
    /// A put that reads the key first (every delete does).
    pub read_first: bool,
    /// A delete: the put writes a tombstone with the read's context.
    pub delete: bool,
    /// An update of a typed value (reads first).
    pub update: Option<GeneratedUpdate>,
}

/// How many elements generated updates choose from (`e0`..`e7`): few
/// enough that clients add and remove the same ones.
pub const GENERATED_ELEMENTS: u32 = 8;

/// What a generated update will do once it has read the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeneratedUpdate {
    /// The element to add (an index below [`GENERATED_ELEMENTS`]).
    pub add: u32,
    /// Which of the elements read to remove (modulo their number), if any.
    pub remove: Option<u32>,
    /// A counter's change.
    pub delta: i64,
}

impl GeneratedUpdate {
    /// Out of line: an opaque workload never draws one.
    #[cold]
    #[inline(never)]
    fn draw<R: Rng>(rng: &mut R) -> GeneratedUpdate {
        let add = rng.random_range(0..GENERATED_ELEMENTS);
        let remove_draw: u32 = rng.random();
        let delta_draw: u32 = rng.random_range(0..4);
        GeneratedUpdate {
            add,
            remove: (remove_draw & 1 == 0).then_some(remove_draw >> 1),
            delta: if delta_draw == 0 { -1 } else { 1 },
        }
    }
}

#[derive(Clone, Debug)]
pub struct WorkloadGen {
    chooser: KeyChooser,
    get_share: f64,
    /// Gets' and deletes' share together: a kind draw below it and above
    /// `get_share` is a delete.
    get_or_delete_share: f64,
    /// Gets', deletes' and updates' share together: a draw below it and
    /// above `get_or_delete_share` is an update.
    update_share_end: f64,
    read_modify_write: f64,
    pub mode: LoopMode,
    /// Mean time between one client's arrivals, open loop; `None` for a
    /// zero rate.
    mean_gap: Option<SimTime>,
}

impl WorkloadGen {
    pub fn new(w: &Workload) -> Self {
        let per_client = w
            .rate
            .mean_interval()
            .map(|gap| SimTime(gap.0.saturating_mul(u64::from(w.clients.max(1)))));
        let total = w.mix_get + w.mix_put + w.mix_delete + w.mix_update;
        WorkloadGen {
            chooser: KeyChooser::new(&w.key_dist, w.keys),
            get_share: w.mix_get / total,
            get_or_delete_share: (w.mix_get + w.mix_delete) / total,
            update_share_end: (w.mix_get + w.mix_delete + w.mix_update) / total,
            read_modify_write: w.read_modify_write,
            mode: w.mode,
            mean_gap: per_client,
        }
    }

    /// Time until this client's next arrival (open loop).
    pub fn next_gap<R: Rng>(&self, rng: &mut R) -> Option<SimTime> {
        let mean = self.mean_gap?;
        Some(exponential(rng, mean))
    }

    /// The next operation: always three draws (kind, key, read-first), so
    /// one choice never shifts the others' randomness; an update draws
    /// what it will change after them.
    pub fn next_op<R: Rng>(&self, rng: &mut R) -> Draw {
        let kind_draw: f64 = rng.random();
        let key = Key(self.chooser.choose(rng));
        let rmw_draw: f64 = rng.random();
        let kind = if kind_draw < self.get_share {
            OpKind::Get
        } else {
            OpKind::Put
        };
        let delete = kind == OpKind::Put && kind_draw < self.get_or_delete_share;
        let update = (kind == OpKind::Put && !delete && kind_draw < self.update_share_end)
            .then(|| GeneratedUpdate::draw(rng));
        Draw {
            kind,
            key,
            read_first: delete
                || update.is_some()
                || (kind == OpKind::Put && rmw_draw < self.read_modify_write),
            delete,
            update,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::{Stream, stream};

    #[test]
    fn deletes_take_their_share_and_always_read_first() {
        let w = Workload {
            mix_get: 2.0,
            mix_put: 1.0,
            mix_delete: 1.0,
            read_modify_write: 0.0,
            ..Workload::default()
        };
        let g = WorkloadGen::new(&w);
        let mut rng = stream(1, Stream::Client(0));
        let draws: Vec<Draw> = (0..40_000).map(|_| g.next_op(&mut rng)).collect();
        let share =
            |f: &dyn Fn(&Draw) -> bool| draws.iter().filter(|d| f(d)).count() as f64 / 40_000.0;
        assert!((share(&|d| d.kind == OpKind::Get) - 0.5).abs() < 0.01);
        assert!((share(&|d| d.delete) - 0.25).abs() < 0.01);
        assert!(
            draws
                .iter()
                .filter(|d| d.delete)
                .all(|d| d.kind == OpKind::Put && d.read_first)
        );
        assert!(
            draws.iter().filter(|d| !d.delete).all(|d| !d.read_first),
            "no other put reads first"
        );
    }

    #[test]
    fn mix_and_rate_follow_the_scenario() {
        let w = Workload {
            clients: 4,
            keys: 100,
            mix_get: 3.0,
            mix_put: 1.0,
            mix_delete: 0.0,
            read_modify_write: 0.5,
            ..Workload::default()
        };
        let g = WorkloadGen::new(&w);
        let mut rng = stream(1, Stream::Client(0));
        let draws: Vec<Draw> = (0..40_000).map(|_| g.next_op(&mut rng)).collect();
        let gets = draws.iter().filter(|d| d.kind == OpKind::Get).count() as f64;
        assert!((gets / 40_000.0 - 0.75).abs() < 0.01);
        let rmw = draws.iter().filter(|d| d.read_first).count() as f64;
        assert!(
            (rmw / 10_000.0 - 0.5).abs() < 0.03,
            "half the puts read first"
        );
        assert!(draws.iter().all(|d| d.key.0 < 100));
        // 2000/s over 4 clients: each client every 2 ms on average.
        let mean: f64 = (0..20_000)
            .map(|_| g.next_gap(&mut rng).unwrap().0 as f64)
            .sum::<f64>()
            / 20_000.0;
        assert!((mean / 2e6 - 1.0).abs() < 0.03, "mean gap {mean}");
    }
}
