//! Eventual consistency as a property: random small scenarios (3 to 6
//! nodes, N, R and W drawn with and without R + W > N, vector clocks or
//! DVV, a random workload and up to three faults that all end before the
//! workload does, anti-entropy every second) must, after a long quiet
//! period,
//!
//! 1. converge: every key's replicas agree at the end;
//! 2. never return a sibling set in which one value supersedes another
//!    (a put whose context held a value, directly or through other puts,
//!    supersedes it: the history carries contexts, not clocks);
//! 3. under `dvv`, lose no acknowledged write. (Vector clocks legitimately
//!    lose blind writes through one coordinator, so not asserted there.)
//! 4. under `dvv` with R + W > N and no faults, read nothing stale: every
//!    get after an acknowledged put returns it or a put superseding it.
//!
//! The same properties run with a bug planted on purpose
//! (`DeliberateBug`): each must be caught, shrunk, written out, and the
//! written file must fail again when replayed with the bug and hold
//! without it.
//!
//! A failing case is written, shrunk, to
//! `target/eventual-failures/eventual.toml` (or `<bug>.toml`); `dynsim run <path>`
//! replays it. The proptest RNG is fixed, so CI sees the same cases; set
//! `DYNSIM_PROPTEST_CASES` for a longer hunt.

use dynsim::actor::OpKind;
use dynsim::actor::Outcome as OpOutcome;
use dynsim::check::history::{History, HistoryOp};
use dynsim::check::{self, consistency::Rule};
use dynsim::id::{ClientId, Key, OpId, ValueId};
use dynsim::node::DeliberateBug;
use dynsim::run::{self, RunOutput};
use dynsim::scenario::{self, Format, Scenario, Versioning};
use dynsim::time::SimTime;
use dynsim::trace::Tracer;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

/// 64 takes a few seconds in a debug build; `DYNSIM_PROPTEST_CASES` asks for
/// more.
fn cases() -> u32 {
    std::env::var("DYNSIM_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

#[derive(Clone, Debug)]
enum FaultKind {
    /// n1..n(k) against the rest, healed by `heal = "all"`.
    Partition,
    /// Crash and restart with the disk kept.
    Crash,
    Pause,
    /// One way, healed by `heal = "all"`.
    Cut,
}

#[derive(Clone, Debug)]
struct FaultSpec {
    kind: FaultKind,
    /// Start and end in milliseconds, end < duration.
    start_ms: u64,
    end_ms: u64,
}

#[derive(Clone, Debug)]
struct Spec {
    seed: u64,
    nodes: u32,
    n: u32,
    r: u32,
    w: u32,
    dvv: bool,
    clients: u32,
    keys: u32,
    rate: u32,
    rmw: f64,
    duration_s: u64,
    faults: Vec<FaultSpec>,
    /// Exponential links with a 10 ms mean instead of the default
    /// network: replicas then learn of a put well after its coordinator.
    slow_links: bool,
    /// The generic balancer (a random node coordinates, or forwards to one
    /// of the top N): puts and gets of one key meet at different
    /// coordinators, which an early acknowledgement needs to show.
    generic_balancer: bool,
}

fn fault_kind() -> impl Strategy<Value = FaultKind> {
    prop_oneof![
        Just(FaultKind::Partition),
        Just(FaultKind::Crash),
        Just(FaultKind::Pause),
        Just(FaultKind::Cut),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    (3u32..=6, 5u64..=10)
        .prop_flat_map(|(nodes, duration_s)| {
            let end = duration_s * 1000 - 500;
            let fault = (fault_kind(), 500u64..end - 100, 100u64..5000).prop_map(
                move |(kind, start_ms, len)| FaultSpec {
                    kind,
                    start_ms,
                    end_ms: (start_ms + len).min(end),
                },
            );
            (
                Just(nodes),
                Just(duration_s),
                (1u32..=nodes.min(3)),
                prop::collection::vec(fault, 0..=3),
            )
        })
        .prop_flat_map(|(nodes, duration_s, n, faults)| {
            (
                Just((nodes, duration_s, n, faults)),
                1u32..=n,
                1u32..=n,
                any::<bool>(),
                0u64..i64::MAX as u64,
                (2u32..=4, 5u32..=30, 50u32..=200, 0.0f64..=1.0),
            )
        })
        .prop_map(
            |((nodes, duration_s, n, faults), r, w, dvv, seed, (clients, keys, rate, rmw))| Spec {
                seed,
                nodes,
                n,
                r,
                w,
                dvv,
                clients,
                keys,
                rate,
                rmw,
                duration_s,
                faults,
                slow_links: false,
                generic_balancer: false,
            },
        )
}

fn ms(t: u64) -> String {
    format!("\"{t}ms\"")
}

/// The scenario file the spec describes.
fn toml_text(spec: &Spec) -> String {
    let mut t = String::new();
    let versioning = if spec.dvv { "dvv" } else { "vector-clock" };
    let _ = write!(
        t,
        "name = \"eventual\"\nseed = {}\nduration = \"{}s\"\nquiesce = \"40s\"\n\n\
         [cluster]\nnodes = {}\nvnodes = 4\n\n\
         [replication]\nn = {}\nr = {}\nw = {}\nversioning = \"{}\"\n\n\
         [anti_entropy]\nenabled = true\ninterval = \"1s\"\n\n\
         [workload]\nclients = {}\nkeys = {}\nrate = \"{}/s\"\nread_modify_write = {:?}\n",
        spec.seed,
        spec.duration_s,
        spec.nodes,
        spec.n,
        spec.r,
        spec.w,
        versioning,
        spec.clients,
        spec.keys,
        spec.rate,
        spec.rmw,
    );
    if spec.generic_balancer {
        t.push_str("balancer = \"generic\"\n");
    }
    if spec.slow_links {
        t.push_str("\n[network]\nlatency = { dist = \"exponential\", mean = \"10ms\" }\n");
    }
    // (time, action) pairs, sorted by time; crashes and pauses each take
    // their own node (fault i hits n(i+1)), so they never overlap on one.
    let mut entries: Vec<(u64, String)> = Vec::new();
    let half = spec.nodes / 2;
    for (i, f) in spec.faults.iter().enumerate() {
        let node = format!("\"n{}\"", i + 1);
        let (begin, end) = match f.kind {
            FaultKind::Partition => {
                let side = |range: std::ops::RangeInclusive<u32>| {
                    range
                        .map(|k| format!("\"n{k}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                (
                    format!(
                        "partition = [[{}], [{}]]",
                        side(1..=half),
                        side(half + 1..=spec.nodes)
                    ),
                    "heal = \"all\"".to_string(),
                )
            }
            FaultKind::Crash => (format!("crash = {node}"), format!("restart = {node}")),
            FaultKind::Pause => (format!("pause = {node}"), format!("resume = {node}")),
            FaultKind::Cut => (
                format!(
                    "cut = {{ from = {node}, to = \"n{}\" }}",
                    (i + 1) % spec.nodes as usize + 1
                ),
                "heal = \"all\"".to_string(),
            ),
        };
        entries.push((f.start_ms, begin));
        entries.push((f.end_ms, end));
    }
    entries.sort_by_key(|e| e.0);
    for (at, action) in entries {
        let _ = write!(t, "\n[[fault]]\nat = {}\n{}\n", ms(at), action);
    }
    t
}

/// What the properties look at in one run.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    converged: bool,
    lost: u64,
    stale: u64,
    /// Ok gets whose sibling set held a value and one superseding it.
    dominated_siblings: u64,
}

fn judge(s: &Scenario, out: &RunOutput) -> Outcome {
    let found = check::findings(s, out);
    let rule = Rule::for_versioning(s.replication.versioning);
    let lost = check::consistency::lost_acked_writes(&out.history, &out.final_values, rule).count;
    let stale = check::consistency::stale_reads(&out.history, rule).count;
    Outcome {
        converged: found.convergence.converged,
        lost,
        stale,
        dominated_siblings: dominated_siblings(&out.history),
    }
}

/// Ok gets returning two values of which one supersedes the other: a put
/// supersedes every value in its context, and what those supersede.
fn dominated_siblings(history: &History) -> u64 {
    let ops = history.ops();
    // value -> values it directly supersedes
    let mut parents: BTreeMap<ValueId, Vec<ValueId>> = BTreeMap::new();
    for op in ops.iter().filter(|o| o.kind == OpKind::Put) {
        if let Some(v) = op.value {
            parents
                .entry(v)
                .or_default()
                .extend(op.context.iter().copied());
        }
    }
    let ancestors = |v: ValueId| -> BTreeSet<ValueId> {
        let mut seen = BTreeSet::new();
        let mut stack = parents.get(&v).cloned().unwrap_or_default();
        while let Some(p) = stack.pop() {
            if seen.insert(p) {
                stack.extend(parents.get(&p).into_iter().flatten().copied());
            }
        }
        seen
    };
    let mut count = 0;
    for op in ops.iter().filter(|o| o.kind == OpKind::Get && o.is_ok()) {
        if op.values.len() < 2 {
            continue;
        }
        let returned: BTreeSet<ValueId> = op.values.iter().copied().collect();
        if op
            .values
            .iter()
            .any(|&v| !ancestors(v).is_disjoint(&returned))
        {
            count += 1;
        }
    }
    count
}

fn parse(text: &str) -> Scenario {
    scenario::parse_str("eventual.toml", text, Format::Toml, &[])
        .unwrap_or_else(|e| panic!("{}\n{text}", e.render(false)))
}

/// Where a failing case is written: one file per hunt (the plain property,
/// or one planted bug), overwritten by each failure as proptest shrinks,
/// so it ends as the smallest failing case.
fn failure_path(bug: Option<DeliberateBug>) -> PathBuf {
    let name = bug.map_or("eventual", DeliberateBug::as_str);
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/eventual-failures")
        .join(format!("{name}.toml"))
}

/// Writes the case with the properties as `[expect]` entries the checkers
/// judge, so `dynsim run` on the file exits 1 when it fails again.
fn write_failure(s: &Scenario, bug: Option<DeliberateBug>) -> PathBuf {
    let path = failure_path(bug);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, scenario::to_toml(&with_expectations(s))).unwrap();
    path
}

/// The scenario with the properties it must hold as expectations:
/// converged by the end, and under `dvv` no lost write (and no stale read
/// with R + W > N and no faults).
fn with_expectations(s: &Scenario) -> Scenario {
    let mut s = s.clone();
    let r = &s.replication;
    s.expect.converged_within = Some(s.end());
    if r.versioning == Versioning::Dvv {
        s.expect.lost_acked_writes = Some(0);
        if r.r + r.w > r.n && s.faults.is_empty() {
            s.expect.stale_reads = Some(0);
        }
    }
    s
}

fn replay_command(path: &std::path::Path, bug: Option<DeliberateBug>) -> String {
    match bug {
        None => format!("dynsim run {}", path.display()),
        Some(b) => format!(
            "dynsim run {} --deliberate-bug {}",
            path.display(),
            b.as_str()
        ),
    }
}

/// Which property a run breaks, if any.
fn broken_property(s: &Scenario, o: &Outcome) -> Option<String> {
    let r = &s.replication;
    let dvv = r.versioning == Versioning::Dvv;
    if !o.converged {
        return Some("the replicas did not converge".into());
    }
    if o.dominated_siblings > 0 {
        return Some(format!(
            "{} gets returned a value beside one superseding it",
            o.dominated_siblings
        ));
    }
    if dvv && o.lost > 0 {
        return Some(format!("dvv lost {} acknowledged writes", o.lost));
    }
    if dvv && r.r + r.w > r.n && s.faults.is_empty() && o.stale > 0 {
        return Some(format!(
            "{} stale reads with R + W > N and no faults",
            o.stale
        ));
    }
    None
}

fn check_spec(spec: &Spec, bug: Option<DeliberateBug>) -> Result<(), TestCaseError> {
    let s = parse(&toml_text(spec));
    let out = run::run_with_bug(&s, Tracer::off(), bug).unwrap();
    let o = judge(&s, &out);
    let Some(why) = broken_property(&s, &o) else {
        return Ok(());
    };
    // Each failure overwrites the file, so the last one is the shrunk case.
    let path = write_failure(&s, bug);
    Err(TestCaseError::fail(format!(
        "{why}: written to {}; `{}` replays it",
        path.display(),
        replay_command(&path, bug)
    )))
}

/// Runs the property over `cases()` random specs; the shrunk failing spec
/// if one fails.
fn hunt(
    bug: Option<DeliberateBug>,
    strategy: impl Strategy<Value = Spec>,
    max_shrink_iters: u32,
) -> Option<(String, Spec)> {
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config, rng);
    match runner.run(&strategy, |spec| check_spec(&spec, bug)) {
        Ok(()) => None,
        Err(TestError::Fail(why, spec)) => Some((why.to_string(), spec)),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn random_scenarios_converge_without_dominated_siblings_or_lost_dvv_writes() {
    if let Some((why, spec)) = hunt(None, spec(), 1024) {
        // Written again from the shrunk spec, so the named file is it.
        let path = write_failure(&parse(&toml_text(&spec)), None);
        panic!(
            "{why}\nshrunk case: {spec:?}\nits file: {} (replay: `{}`)",
            path.display(),
            replay_command(&path, None)
        )
    }
}

/// Specs the planted bugs can show in: dvv, R + W > N, no faults (where
/// acknowledging early turns into stale reads), slow links, and several
/// clients on few keys (where concurrent siblings meet).
fn fault_free_dvv_quorum_spec() -> impl Strategy<Value = Spec> {
    (spec(), 1u32..=4, 100u32..=300).prop_map(|(mut s, keys, rate)| {
        s.duration_s = s.duration_s.min(4);
        s.dvv = true;
        s.slow_links = true;
        s.generic_balancer = true;
        s.keys = keys;
        s.rate = rate;
        s.n = s.n.max(2).min(s.nodes);
        s.w = s.w.clamp(2, s.n);
        s.r = (s.n + 1 - s.w).max(s.r).min(s.n);
        s.faults.clear();
        s
    })
}

/// A planted bug must be caught by the property test; its shrunk file must
/// fail the same way when replayed with the bug, and the checker's count
/// must name the damage; without the bug the same file holds.
fn caught_and_replayed(bug: DeliberateBug) -> String {
    let Some((why, spec)) = hunt(Some(bug), fault_free_dvv_quorum_spec(), 96) else {
        panic!(
            "the property test did not catch the planted bug {}",
            bug.as_str()
        );
    };
    let s = parse(&toml_text(&spec));
    let path = write_failure(&s, Some(bug));
    let replayed = scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let with_bug = judge(
        &replayed,
        &run::run_with_bug(&replayed, Tracer::off(), Some(bug)).unwrap(),
    );
    assert!(
        broken_property(&replayed, &with_bug).is_some(),
        "the shrunk file {} held when replayed with {}: {with_bug:?}",
        path.display(),
        bug.as_str()
    );
    let without = judge(&replayed, &run::run(&replayed, Tracer::off()).unwrap());
    assert_eq!(
        broken_property(&replayed, &without),
        None,
        "the shrunk file fails without the bug too: {without:?}"
    );
    why
}

#[test]
fn acknowledging_before_the_write_quorum_is_caught_as_stale_reads() {
    let why = caught_and_replayed(DeliberateBug::AckBeforeQuorum);
    assert!(why.contains("stale reads"), "{why}");
}

#[test]
fn a_merge_that_drops_siblings_is_caught() {
    let why = caught_and_replayed(DeliberateBug::MergeDropsSibling);
    assert!(
        ["stale", "lost", "converge", "beside"]
            .iter()
            .any(|w| why.contains(w)),
        "{why}"
    );
}

#[test]
fn a_written_failure_file_round_trips_and_replays_the_same_verdict() {
    let spec = Spec {
        seed: 11,
        nodes: 5,
        n: 3,
        r: 1,
        w: 1,
        dvv: false,
        clients: 3,
        keys: 10,
        rate: 100,
        rmw: 0.5,
        duration_s: 5,
        faults: vec![
            FaultSpec {
                kind: FaultKind::Partition,
                start_ms: 1000,
                end_ms: 3000,
            },
            FaultSpec {
                kind: FaultKind::Crash,
                start_ms: 1500,
                end_ms: 4000,
            },
        ],
        slow_links: true,
        generic_balancer: true,
    };
    let s = parse(&toml_text(&spec));
    let emitted = scenario::to_toml(&s);
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("eventual-round-trip.toml");
    std::fs::write(&path, &emitted).unwrap();
    let back = scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{}", e.render(false)));
    assert_eq!(back, s, "the written file parses back to the same scenario");
    let first = judge(&s, &run::run(&s, Tracer::off()).unwrap());
    let again = judge(&back, &run::run(&back, Tracer::off()).unwrap());
    assert_eq!(first, again, "the replay reaches the same verdict");
}

#[test]
fn the_sibling_check_catches_a_value_returned_beside_its_successor() {
    let op =
        |id: u64, kind: OpKind, value: Option<u64>, context: &[u64], values: &[u64]| HistoryOp {
            op: OpId(id),
            client: ClientId(0),
            kind,
            key: Key(0),
            value: value.map(ValueId),
            context: context.iter().copied().map(ValueId).collect(),
            invoked_at: SimTime::from_secs(id),
            completed_at: Some(SimTime::from_secs(id)),
            outcome: Some(OpOutcome::Ok),
            values: values.iter().copied().map(ValueId).collect(),
        };
    // a (1), then b (2) over a, then c (3) over b; d (4) blind.
    let puts = vec![
        op(1, OpKind::Put, Some(1), &[], &[]),
        op(2, OpKind::Put, Some(2), &[1], &[]),
        op(3, OpKind::Put, Some(3), &[2], &[]),
        op(4, OpKind::Put, Some(4), &[], &[]),
    ];
    let with_get = |values: &[u64]| {
        let mut ops = puts.clone();
        ops.push(op(5, OpKind::Get, None, &[], values));
        History::from_ops(ops)
    };
    assert_eq!(dominated_siblings(&with_get(&[3, 4])), 0, "concurrent");
    assert_eq!(dominated_siblings(&with_get(&[2, 3])), 1, "direct");
    assert_eq!(dominated_siblings(&with_get(&[1, 3, 4])), 1, "transitive");
}
