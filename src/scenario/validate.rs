//! Checks that relate fields of different sections (`r <= n <= nodes`,
//! region sizes adding up to `nodes`, ...). They run on the decoded
//! scenario; the error points at the first of the named fields the file
//! actually wrote (a default has no text to point at), else at the file.

use super::diag::Diag;
use super::model::*;
use super::tree::Node;
use crate::time::SimTime;

pub fn check(s: &Scenario, root: &Node) -> Result<(), Diag> {
    let blame = |paths: &[&str], message: String| -> Diag {
        for path in paths {
            if let Some(node) = root.lookup(path) {
                return Diag::new(&node.span, path, message);
            }
        }
        let first = paths.first().copied().unwrap_or("");
        let start = root.span.range.start;
        Diag::new(
            &super::tree::Span::new(root.span.source, start..start),
            first,
            message,
        )
    };
    let c = &s.cluster;
    let r = &s.replication;
    if r.n > c.nodes {
        return Err(blame(
            &["replication.n", "cluster.nodes"],
            format!(
                "n = {} replicas needs at least {} nodes, but the cluster has {}",
                r.n, r.n, c.nodes
            ),
        ));
    }
    if r.r > r.n {
        return Err(blame(
            &["replication.r", "replication.n"],
            format!(
                "r = {} is more than n = {}: a read cannot wait for more replies than there are replicas",
                r.r, r.n
            ),
        ));
    }
    if r.w > r.n {
        return Err(blame(
            &["replication.w", "replication.n"],
            format!(
                "w = {} is more than n = {}: a write cannot wait for more acks than there are replicas",
                r.w, r.n
            ),
        ));
    }
    if c.strategy == Strategy::QOverS && c.partitions < c.nodes {
        return Err(blame(
            &["cluster.partitions", "cluster.strategy", "cluster.nodes"],
            format!(
                "strategy \"q-over-s\" gives each node Q/S partitions, so partitions ({}) must be at least nodes ({})",
                c.partitions, c.nodes
            ),
        ));
    }
    let entries = crate::ring::precomputed_entries(&s.ring_spec(), c.nodes);
    if entries > crate::ring::MAX_LIST_ENTRIES {
        return Err(blame(
            &["cluster.vnodes", "cluster.partitions", "cluster.nodes"],
            format!(
                "the ring would precompute {entries} preference-list entries (ranges x 2N), more than {}: use fewer vnodes or partitions",
                crate::ring::MAX_LIST_ENTRIES
            ),
        ));
    }
    if !c.regions.is_empty() {
        let total: u64 = c.regions.iter().map(|(_, n)| u64::from(*n)).sum();
        if total != u64::from(c.nodes) {
            return Err(blame(
                &["cluster.regions", "cluster.nodes"],
                format!(
                    "the region sizes add up to {total}, but the cluster has {} nodes",
                    c.nodes
                ),
            ));
        }
    }
    // With a single node there is nobody to gossip with; any fanout will do.
    if c.nodes > 1 && s.gossip.fanout >= c.nodes {
        return Err(blame(
            &["gossip.fanout", "cluster.nodes"],
            format!(
                "fanout {} must be below the number of nodes ({})",
                s.gossip.fanout, c.nodes
            ),
        ));
    }
    let samples = s.end().0 / s.metrics.sample_interval.0.max(1);
    if samples > super::defaults::MAX_SAMPLES {
        return Err(blame(
            &["metrics.sample_interval", "duration", "quiesce"],
            format!(
                "sampling every {} over a run of {} takes {samples} samples, more than {}: use a longer sample_interval",
                s.metrics.sample_interval,
                s.end(),
                super::defaults::MAX_SAMPLES
            ),
        ));
    }
    if s.check.is_some() {
        // `dynsim check` explores every order of a few scripted
        // operations; a workload's thousands, a timed fault or a random
        // nemesis have no place in it ([check] has its own faults).
        let not_explored = [
            (
                s.workload.is_some(),
                "workload",
                "a [workload] cannot be explored: give [check] scripted [[op]]s only",
            ),
            (
                s.faults.iter().any(|f| match f.action {
                    FaultAction::Skew { .. } => f.at != SimTime::ZERO,
                    FaultAction::Join(_) | FaultAction::Leave(_) => false,
                    _ => true,
                }),
                "fault",
                "[check] explores crashes and lost or duplicated messages itself: use max_crashes, max_drops and max_duplicates instead of [[fault]] (a clock skew from the start, at = \"0s\", and joins and leaves at their `at` are the faults it takes)",
            ),
            (
                s.total_nodes() > 64,
                "cluster",
                "[check] explores at most 64 nodes, spares included (a handful is what it can finish)",
            ),
            (
                s.nemesis.is_some(),
                "nemesis",
                "[check] explores crashes and lost or duplicated messages itself: use max_crashes, max_drops and max_duplicates instead of a [nemesis]",
            ),
        ];
        for (present, path, message) in not_explored {
            if present {
                return Err(blame(&[path, "check"], message.to_string()));
            }
        }
        // An explored execution has an order but no durations, samples or
        // wiped disks: only the history expectations can be judged.
        let e = &s.expect;
        let timed = [
            (
                e.durability_violations.is_some(),
                "expect.durability_violations",
            ),
            (e.converged_within.is_some(), "expect.converged_within"),
            (e.availability.is_some(), "expect.availability"),
            (e.get_availability.is_some(), "expect.get_availability"),
            (e.put_availability.is_some(), "expect.put_availability"),
            (e.get_p99.is_some(), "expect.get_p99"),
            (e.put_p99.is_some(), "expect.put_p99"),
        ];
        if let Some((_, path)) = timed.iter().find(|(set, _)| *set) {
            return Err(blame(
                &[path, "check"],
                format!(
                    "`{}` cannot be judged by [check], whose executions have an order but no latencies, samples or wiped disks: keep lost_acked_writes, stale_reads, max_siblings and the ops' returns",
                    path.trim_start_matches("expect.")
                ),
            ));
        }
    }
    Ok(())
}
