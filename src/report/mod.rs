//! What a run writes: `summary.json` (the figures and verdicts, keys as the
//! contract in DESIGN.md names them) and the folder it all goes in.
//!
//! A report is assembled in a hidden temporary folder beside its final
//! place and renamed into place only when complete, so a failed or
//! interrupted run never leaves a partial report under the report's name.

pub mod charts;
pub mod checks;
pub mod html;
pub mod lamport;
pub mod membership;
pub mod staging;

use crate::check::consistency::{LostWrite, StaleRead};
use crate::check::durability::DurabilitySummary;
use crate::check::staleness::StalenessSummary;
use crate::check::{Findings, Verdict};
use crate::id::Names;
use crate::metrics::run::OpStats;
use crate::run::RunOutput;
use crate::scenario::Scenario;
use crate::time::SimTime;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A report folder being written.
pub struct ReportDir {
    staging: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl ReportDir {
    /// Creates the staging folder for a report that will live at `target`.
    ///
    /// Committing replaces whatever is at `target`, so a target that is not
    /// a named folder (`.`, `..`, `/`) or that exists and does not look like
    /// an earlier report (empty, or holding a `summary.json`) is refused
    /// here, before the run.
    pub fn create(target: &Path) -> io::Result<ReportDir> {
        let Some(name) = target.file_name() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a folder name; give a new or report folder, like reports/run1",
            ));
        };
        let name = name.to_string_lossy().into_owned();
        if target.exists() && !is_replaceable(target)? {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "it exists and is not a dynsim report; not replacing it",
            ));
        }
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)?;
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        fs::create_dir(&staging)?;
        staging::register(&staging);
        Ok(ReportDir {
            staging,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    /// Where to write the report's files until it is committed.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Moves the finished report into place, replacing an older one.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        if self.target.exists() {
            fs::remove_dir_all(&self.target)?;
        }
        fs::rename(&self.staging, &self.target)?;
        self.committed = true;
        staging::unregister(&self.staging);
        Ok(self.target.clone())
    }
}

/// An existing folder a report may replace: empty, or an earlier report
/// (a run's, with `summary.json`, or a sweep's, with `sweep.json`).
fn is_replaceable(target: &Path) -> io::Result<bool> {
    if !target.is_dir() {
        return Ok(false);
    }
    Ok(target.join("summary.json").is_file()
        || target.join("sweep.json").is_file()
        || fs::read_dir(target)?.next().is_none())
}

impl Drop for ReportDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
            staging::unregister(&self.staging);
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    /// Every expectation held.
    pub ok: bool,
    pub expectations: Vec<Verdict>,
    pub ops: OpsByKind<OpCounts>,
    pub latency_ms: OpsByKind<Quantiles>,
    /// Acknowledged puts the final state forgot; `null` when the run
    /// recorded no history to judge.
    pub lost_acked_writes: Option<u64>,
    /// Ok gets that missed an acknowledged write; `null` as above.
    pub stale_reads: Option<u64>,
    /// Ok gets that returned a value beside one superseding it; `null` as
    /// above.
    pub superseded_siblings: Option<u64>,
    /// Items removed by an acknowledged update or delete that a later get
    /// returned; `null` as above, and where nothing is removed (a
    /// counter, opaque values without a delete).
    pub resurrections: Option<u64>,
    /// Elements added by an acknowledged update that the final state
    /// lacks, with no remove that had seen them; `null` as above, and for
    /// values other than sets.
    pub lost_adds: Option<u64>,
    /// Ok gets by how many values they returned, `{"1": count, ...}`;
    /// `"0"` counts gets that found nothing.
    pub siblings: BTreeMap<usize, u64>,
    /// The paper's versions table: shares of ok gets by versions returned.
    pub versions: checks::Versions,
    /// The PBS staleness curve: consistent share of gets against the time
    /// since the latest acknowledged put, and k-staleness.
    pub staleness: StalenessSummary,
    /// Lost acknowledged writes against the disks lost after them.
    pub durability: DurabilitySummary,
    /// The first few of each anomaly, in op order.
    pub anomalies: AnomalyExamples,
    /// Writes kept by stand-ins for unreachable owners, and handed back.
    pub hints: Hints,
    /// Repair messages sent after gets that saw stale replicas.
    pub read_repairs: u64,
    /// Whether the replicas agreed at the end, and how soon after the last
    /// heal.
    pub convergence: ConvergenceSummary,
    /// What the coordinators did.
    pub coordination: Coordination,
    /// Gossip: failure detection, joins and leaves; `null` with gossip off.
    pub membership: Option<membership::Membership>,
    /// Merkle anti-entropy's work.
    pub anti_entropy: membership::AntiEntropy,
    pub messages: Messages,
    pub faults: Faults,
    /// Events the loop handled.
    pub events: u64,
    pub trace_lines: u64,
    pub sim_ms: f64,
    /// Wall-clock time of the run: with `peak_rss_mib`, the figures that
    /// differ between two runs of the same seed.
    pub wall_ms: u64,
    /// The process's peak resident memory, where the OS tells it (Linux).
    pub peak_rss_mib: Option<f64>,
    /// `[[ms, keys], ...]`: keys whose live replicas disagreed, sampled
    /// every `metrics.sample_interval` from 0, and at the end. Last, as the
    /// longest.
    pub divergence: Vec<(f64, u64)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Hints {
    pub stored: u64,
    pub delivered: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConvergenceSummary {
    /// The last sample counted no divergent key.
    pub converged: bool,
    /// From the last heal to the first sample from which every sample is
    /// zero; `null` when not converged.
    pub after_last_heal_ms: Option<f64>,
    /// When the last fault that ends a disruption took effect; 0 without.
    pub last_heal_ms: f64,
    /// The first ten keys (by key) still divergent at the end, each with
    /// its live replicas' values; empty when converged.
    pub divergent: Vec<DivergentSummary>,
}

/// A key still divergent at the end: `{key, replicas: {node: [values]}}`.
#[derive(Clone, Debug, Serialize)]
pub struct DivergentSummary {
    pub key: String,
    pub replicas: BTreeMap<String, Vec<String>>,
}

impl DivergentSummary {
    fn new(names: &crate::id::Names, d: &crate::check::convergence::DivergentKey) -> Self {
        DivergentSummary {
            key: names.key(d.key).into_owned(),
            replicas: d
                .replicas
                .iter()
                .map(|(node, values)| {
                    let values = values.iter().map(|v| names.value(*v).into_owned());
                    (node.to_string(), values.collect())
                })
                .collect(),
        }
    }

    /// One line: `k36: n1 holds [v5592]; n2 holds [v5592, v3876]`.
    pub fn sentence(&self) -> String {
        let replicas: Vec<String> = self
            .replicas
            .iter()
            .map(|(node, values)| format!("{node} holds [{}]", values.join(", ")))
            .collect();
        format!("{}: {}", self.key, replicas.join("; "))
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Coordination {
    pub puts: u64,
    pub gets: u64,
    /// Requests passed on by a node holding no replica.
    pub forwards: u64,
    /// Requests answered with a failure: no quorum before the timeout.
    pub quorum_failures: u64,
    /// Copies of client requests a node had already acted on (network
    /// duplicates), or of ops their client had finished: ignored, so each
    /// (client, op) is coordinated at most once.
    pub repeated_requests: u64,
    /// Requests refused by a node that a stale view forwarded them to, with
    /// no replica to pass them to and a strict quorum.
    pub refused_requests: u64,
    /// Puts that failed because they would have left more siblings than
    /// `replication.max_siblings`.
    pub refused_over_max_siblings: u64,
    /// Replica answers that came after their request was over.
    pub late_replies: u64,
    /// Siblings kept only because truncated vector clocks hid their order.
    pub false_conflicts: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct OpsByKind<T> {
    pub get: T,
    pub put: T,
}

#[derive(Clone, Debug, Serialize)]
pub struct OpCounts {
    pub ok: u64,
    pub fail: u64,
    pub timeout: u64,
    /// Still outstanding when the run ended.
    pub unfinished: u64,
}

/// Latency quantiles of successful operations, in milliseconds; `null`
/// when none succeeded.
#[derive(Clone, Debug, Serialize)]
pub struct Quantiles {
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub p999: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Messages {
    pub sent: u64,
    pub delivered: u64,
    pub duplicated: u64,
    pub dropped: Dropped,
}

#[derive(Clone, Debug, Serialize)]
pub struct Dropped {
    pub loss: u64,
    pub partition: u64,
    pub crashed: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Faults {
    pub applied: u64,
    pub from_nemesis: usize,
    /// Open-loop arrivals shed at a client's outstanding-request limit.
    pub shed_arrivals: u64,
    /// Replies that reached a client after it gave up.
    pub late_replies: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct AnomalyExamples {
    pub lost_acked_writes: Vec<LostWriteExample>,
    pub stale_reads: Vec<StaleReadExample>,
    pub superseded_siblings: Vec<SupersededExample>,
    pub resurrections: Vec<checks::ResurrectionExample>,
    pub lost_adds: Vec<checks::LostAddExample>,
}

/// A get that returned a value beside one superseding it.
#[derive(Clone, Debug, Serialize)]
pub struct SupersededExample {
    pub op: u64,
    pub key: String,
    pub returned: Vec<String>,
    pub superseded: String,
    pub by: String,
    pub why: String,
}

/// A lost acknowledged write, with the run's names.
#[derive(Clone, Debug, Serialize)]
pub struct LostWriteExample {
    pub op: u64,
    pub key: String,
    pub value: String,
    pub acked_ms: f64,
    pub final_values: Vec<String>,
    pub why: String,
}

/// A stale read, with the run's names.
#[derive(Clone, Debug, Serialize)]
pub struct StaleReadExample {
    pub op: u64,
    pub key: String,
    pub invoked_ms: f64,
    pub returned: Vec<String>,
    pub missed_op: u64,
    pub missed_value: String,
    pub missed_acked_ms: f64,
    pub why: String,
}

fn value_names(names: &Names, values: &[crate::id::ValueId]) -> Vec<String> {
    values
        .iter()
        .map(|v| names.value(*v).into_owned())
        .collect()
}

fn lost_write_example(names: &Names, w: &LostWrite) -> LostWriteExample {
    LostWriteExample {
        op: w.put.0,
        key: names.key(w.key).into_owned(),
        value: names.value(w.value).into_owned(),
        acked_ms: w.acked_at.as_millis_f64(),
        final_values: value_names(names, &w.final_values),
        why: w.why(names),
    }
}

fn stale_read_example(names: &Names, r: &StaleRead) -> StaleReadExample {
    StaleReadExample {
        op: r.get.0,
        key: names.key(r.key).into_owned(),
        invoked_ms: r.get_invoked_at.as_millis_f64(),
        returned: value_names(names, &r.returned),
        missed_op: r.missed_put.0,
        missed_value: names.value(r.missed_value).into_owned(),
        missed_acked_ms: r.missed_acked_at.as_millis_f64(),
        why: r.why(names),
    }
}

fn counts(s: &OpStats) -> OpCounts {
    OpCounts {
        ok: s.ok,
        fail: s.fail,
        timeout: s.timeout,
        unfinished: s.unfinished(),
    }
}

fn quantiles(s: &OpStats) -> Quantiles {
    let h = &s.latency;
    let q = |p: f64| h.quantile(p).map(SimTime::as_millis_f64);
    Quantiles {
        p50: q(0.5),
        p90: q(0.9),
        p99: q(0.99),
        p999: q(0.999),
    }
}

impl Summary {
    pub fn new(
        scenario: &Scenario,
        out: &RunOutput,
        found: &Findings,
        expectations: Vec<Verdict>,
        wall_ms: u64,
    ) -> Summary {
        let m = &out.metrics;
        let names = &out.names;
        Summary {
            scenario: scenario.name.clone(),
            seed: scenario.seed,
            ok: expectations.iter().all(|v| v.ok),
            expectations,
            ops: OpsByKind {
                get: counts(&m.get),
                put: counts(&m.put),
            },
            latency_ms: OpsByKind {
                get: quantiles(&m.get),
                put: quantiles(&m.put),
            },
            lost_acked_writes: found.lost_write_count(),
            stale_reads: found.stale_read_count(),
            superseded_siblings: found.superseded_sibling_count(),
            resurrections: found.resurrection_count(),
            lost_adds: found.lost_add_count(),
            siblings: found.siblings.clone(),
            versions: checks::versions(found, &out.nodes),
            staleness: found.staleness.summary(scenario.metrics.staleness_buckets),
            durability: found.durability.summary(
                names,
                scenario.replication.w,
                found.history_complete,
            ),
            anomalies: AnomalyExamples {
                lost_acked_writes: found
                    .lost_acked_writes
                    .examples
                    .iter()
                    .map(|w| lost_write_example(names, w))
                    .collect(),
                stale_reads: found
                    .stale_reads
                    .examples
                    .iter()
                    .map(|r| stale_read_example(names, r))
                    .collect(),
                superseded_siblings: found
                    .superseded_siblings
                    .examples
                    .iter()
                    .map(|s| SupersededExample {
                        op: s.get.0,
                        key: names.key(s.key).into_owned(),
                        returned: s
                            .returned
                            .iter()
                            .map(|v| names.value(*v).into_owned())
                            .collect(),
                        superseded: names.value(s.superseded).into_owned(),
                        by: names.value(s.by).into_owned(),
                        why: s.why(names),
                    })
                    .collect(),
                resurrections: checks::resurrection_examples(found, names),
                lost_adds: checks::lost_add_examples(found, names),
            },
            hints: Hints {
                stored: out.nodes.hints_stored,
                delivered: out.nodes.hints_delivered,
            },
            read_repairs: out.nodes.read_repairs,
            convergence: ConvergenceSummary {
                converged: found.convergence.converged,
                after_last_heal_ms: found
                    .convergence
                    .after_last_heal
                    .map(SimTime::as_millis_f64),
                last_heal_ms: found.convergence.last_heal.as_millis_f64(),
                divergent: out
                    .divergent_at_end
                    .iter()
                    .map(|d| DivergentSummary::new(names, d))
                    .collect(),
            },
            coordination: Coordination {
                puts: out.nodes.coordinated_puts,
                gets: out.nodes.coordinated_gets,
                forwards: out.nodes.forwards,
                quorum_failures: out.nodes.quorum_failures,
                repeated_requests: out.nodes.repeated_requests,
                refused_requests: out.nodes.refused_requests,
                refused_over_max_siblings: out.nodes.refused_over_max_siblings,
                late_replies: out.nodes.late_replies,
                false_conflicts: out.nodes.false_conflicts,
            },
            membership: membership::membership(out),
            anti_entropy: membership::anti_entropy(out, &scenario.anti_entropy),
            messages: Messages {
                sent: m.messages.sent,
                delivered: m.messages.delivered,
                duplicated: m.messages.duplicated,
                dropped: Dropped {
                    loss: m.messages.dropped_loss,
                    partition: m.messages.dropped_partition,
                    crashed: m.messages.dropped_crashed,
                },
            },
            faults: Faults {
                applied: m.faults,
                from_nemesis: out.faults_from_nemesis,
                shed_arrivals: out.shed,
                late_replies: out.late_replies,
            },
            events: m.events,
            trace_lines: out.trace_lines,
            sim_ms: scenario.end().as_millis_f64(),
            wall_ms,
            peak_rss_mib: None,

            divergence: out
                .divergence
                .iter()
                .map(|&(t, keys)| (t.as_millis_f64(), keys))
                .collect(),
        }
    }

    pub fn write(&self, dir: &Path) -> io::Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        text.push('\n');
        fs::write(dir.join("summary.json"), text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_appears_only_when_committed() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("reports").join("demo");
        {
            let dir = ReportDir::create(&target).unwrap();
            fs::write(dir.path().join("summary.json"), "{}").unwrap();
            assert!(!target.exists());
            // dropped without commit: as if the run failed
        }
        assert!(!target.exists());
        assert_eq!(
            fs::read_dir(tmp.path().join("reports")).unwrap().count(),
            0,
            "staging removed"
        );
        let dir = ReportDir::create(&target).unwrap();
        fs::write(dir.path().join("summary.json"), "{}").unwrap();
        dir.commit().unwrap();
        assert!(target.join("summary.json").exists());
        // an earlier report is replaced
        let dir = ReportDir::create(&target).unwrap();
        dir.commit().unwrap();
        assert!(!target.join("summary.json").exists());
    }

    #[test]
    fn a_folder_that_is_not_a_report_is_never_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let mine = tmp.path().join("mine");
        fs::create_dir(&mine).unwrap();
        fs::write(mine.join("notes.txt"), "keep").unwrap();
        assert!(ReportDir::create(&mine).is_err());
        assert!(ReportDir::create(&tmp.path().join("file.txt")).is_ok());
        fs::write(tmp.path().join("file.txt"), "keep").unwrap();
        assert!(ReportDir::create(&tmp.path().join("file.txt")).is_err());
        assert!(ReportDir::create(&mine.join("..")).is_err());
        assert!(ReportDir::create(Path::new(".")).is_err());
        assert_eq!(fs::read_to_string(mine.join("notes.txt")).unwrap(), "keep");
        assert_eq!(
            fs::read_dir(tmp.path()).unwrap().count(),
            2,
            "no staging left"
        );
    }
}
