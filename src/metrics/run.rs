//! Counters and histograms gathered while a run goes: constant memory
//! whatever the run's length, so a long run's figures never grow with it.

use super::histogram::Histogram;
use crate::actor::{Completion, Invocation, OpKind, Outcome};
use crate::net::DropReason;
use crate::time::SimTime;

#[derive(Clone, Debug, Default)]
pub struct RunMetrics {
    /// Events the loop handled.
    pub events: u64,
    /// Faults applied (file and nemesis).
    pub faults: u64,
    pub messages: MessageCounts,
    pub get: OpStats,
    pub put: OpStats,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageCounts {
    pub sent: u64,
    pub delivered: u64,
    pub duplicated: u64,
    pub dropped_loss: u64,
    pub dropped_partition: u64,
    pub dropped_crashed: u64,
}

impl MessageCounts {
    pub fn count_drop(&mut self, why: DropReason) {
        match why {
            DropReason::Loss => self.dropped_loss += 1,
            DropReason::Partition => self.dropped_partition += 1,
            DropReason::Crashed => self.dropped_crashed += 1,
        }
    }
}

/// One kind of operation: how many, how they ended, how long the good ones
/// took.
#[derive(Clone, Debug, Default)]
pub struct OpStats {
    pub invoked: u64,
    pub ok: u64,
    pub fail: u64,
    pub timeout: u64,
    /// Latency of the operations that succeeded.
    pub latency: Histogram,
}

impl OpStats {
    /// ok / (ok + fail + timeout); `None` before anything completed.
    pub fn availability(&self) -> Option<f64> {
        let done = self.ok + self.fail + self.timeout;
        (done > 0).then(|| self.ok as f64 / done as f64)
    }
    /// Invoked but not completed when the run ended.
    pub fn unfinished(&self) -> u64 {
        self.invoked - (self.ok + self.fail + self.timeout)
    }
}

impl RunMetrics {
    pub fn ops(&self, kind: OpKind) -> &OpStats {
        match kind {
            OpKind::Get => &self.get,
            OpKind::Put => &self.put,
        }
    }

    fn ops_mut(&mut self, kind: OpKind) -> &mut OpStats {
        match kind {
            OpKind::Get => &mut self.get,
            OpKind::Put => &mut self.put,
        }
    }

    pub fn on_invoke(&mut self, inv: &Invocation) {
        self.ops_mut(inv.kind).invoked += 1;
    }

    pub fn on_complete(&mut self, done: &Completion, latency: SimTime) {
        let stats = self.ops_mut(done.kind);
        match done.outcome {
            Outcome::Ok => {
                stats.ok += 1;
                stats.latency.record(latency);
            }
            Outcome::Fail => stats.fail += 1,
            Outcome::Timeout => stats.timeout += 1,
        }
    }

    /// Availability over both kinds together.
    pub fn availability(&self) -> Option<f64> {
        let ok = self.get.ok + self.put.ok;
        let done = ok + self.get.fail + self.put.fail + self.get.timeout + self.put.timeout;
        (done > 0).then(|| ok as f64 / done as f64)
    }
}
