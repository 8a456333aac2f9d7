//! Eventual consistency as a swarm property test (TigerBeetle's VOPR
//! draws its faults the same way): each case first draws which fault
//! kinds it may use, from every kind the simulator has (partitions,
//! crashes with and without a wiped disk, pauses, one-way cuts, loss
//! windows, clock skew, a join, a graceful leave, a key lost on one disk,
//! and network duplication), then draws up to four faults from those kinds, all ending
//! before the workload does, over random small clusters (3 to 6 nodes, N,
//! R and W with and without R + W > N, vector clocks, DVV or
//! last-write-wins, either balancer, with and without deletes, opaque
//! values or, in three cases in eight, typed ones written by updates: a
//! set, an or-set or a counter),
//! anti-entropy every second. After a
//! long quiet period every case must
//!
//! 1. converge: every key's replicas agree at the end;
//! 2. never return a sibling set in which one value supersedes another
//!    (a put whose context held a value, directly or through other puts,
//!    supersedes it: the history carries contexts, not clocks);
//! 3. never store one value twice in one replica's siblings (a put is
//!    coordinated once, whatever the network duplicates);
//! 4. under `dvv`, lose no acknowledged write unless a disk was wiped or
//!    lost a key.
//!    (Vector clocks legitimately lose blind writes through one
//!    coordinator, last-write-wins loses writes under skew: not asserted.)
//! 5. under `dvv` with R + W > N and no faults, read nothing stale: every
//!    get after an acknowledged put returns it or a put superseding it;
//! 6. under `dvv` with a set or an or-set, lose no acknowledged add
//!    unless a disk was wiped or lost a key (`lost_adds`);
//! 7. under `dvv` with an or-set, R + W > N and no faults, bring back no
//!    removed element (`resurrections`; a union set does, by design).
//!
//! Inside the node, debug builds assert that no actor mints one dot twice
//! for a key (`node::minted`); a case that trips it fails here too.
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
use dynsim::value::ValueType;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

/// 256 cases take about 25 s in a debug build on two cores (1,000 about
/// 100 s); `DYNSIM_PROPTEST_CASES` asks for more.
fn cases() -> u32 {
    std::env::var("DYNSIM_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FaultKind {
    /// n1..n(k) against the rest, healed by `heal = "all"`.
    Partition,
    /// Crash and restart with the disk kept.
    Crash,
    /// Crash and restart with the disk wiped.
    CrashWipe,
    Pause,
    /// One way, healed by `heal = "all"`.
    Cut,
    /// A loss window of 30%.
    Loss,
    /// A node's clock 300 ms behind, then set right.
    Skew,
    /// The spare joins (never undone).
    Join,
    /// The last node leaves gracefully (never undone).
    Leave,
    /// A node loses its replica of key k0 (a bad sector).
    Forget,
}

const ALL_KINDS: [FaultKind; 10] = [
    FaultKind::Partition,
    FaultKind::Crash,
    FaultKind::CrashWipe,
    FaultKind::Pause,
    FaultKind::Cut,
    FaultKind::Loss,
    FaultKind::Skew,
    FaultKind::Join,
    FaultKind::Leave,
    FaultKind::Forget,
];

#[derive(Clone, Debug)]
struct FaultSpec {
    kind: FaultKind,
    /// Start and end in milliseconds, end < duration.
    start_ms: u64,
    end_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    VectorClock,
    Dvv,
    Lww,
}

#[derive(Clone, Debug)]
struct Spec {
    seed: u64,
    nodes: u32,
    n: u32,
    r: u32,
    w: u32,
    mode: Mode,
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
    /// The network's duplication probability (a fault kind of its own in
    /// the swarm: 0 when the case did not draw it).
    duplicate: f64,
    /// One operation in ten is a delete (a tombstone written with the
    /// context of a read).
    deletes: bool,
    /// `[values] type`: drawn from the seed's bits (not a draw of its
    /// own, so the cases' other draws are those of opaque-only swarms).
    values: &'static str,
    /// `[gossip] protocol`: drawn from the seed's bits too, half and half.
    gossip: &'static str,
}

/// The membership protocol of a case.
fn gossip_of(seed: u64) -> &'static str {
    if (seed >> 16) % 2 == 0 {
        "heartbeats"
    } else {
        "swim"
    }
}

/// The value type of a case: a set, an or-set or a counter in three
/// cases of eight, opaque otherwise.
fn values_of(seed: u64) -> &'static str {
    match (seed >> 8) % 8 {
        0 => "set",
        1 => "or-set",
        2 => "counter",
        _ => "opaque",
    }
}

impl Spec {
    fn has(&self, kind: FaultKind) -> bool {
        self.faults.iter().any(|f| f.kind == kind)
    }
}

/// A swarm: which fault kinds this case may use (each kind in about half
/// the cases, duplication included), so that rare combinations are
/// drawn as often as common ones.
fn swarm() -> impl Strategy<Value = (Vec<FaultKind>, bool)> {
    (
        prop::collection::vec(any::<bool>(), ALL_KINDS.len()),
        any::<bool>(),
    )
        .prop_map(|(on, duplicate)| {
            let kinds = ALL_KINDS
                .iter()
                .zip(on)
                .filter_map(|(&k, on)| on.then_some(k))
                .collect();
            (kinds, duplicate)
        })
}

fn spec() -> impl Strategy<Value = Spec> {
    (3u32..=6, 5u64..=10, swarm())
        .prop_flat_map(|(nodes, duration_s, (kinds, duplicate))| {
            let end = duration_s * 1000 - 500;
            let kinds = if kinds.is_empty() {
                vec![FaultKind::Partition]
            } else {
                kinds
            };
            let fault = (prop::sample::select(kinds), 500u64..end - 100, 100u64..5000).prop_map(
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
                prop::collection::vec(fault, 0..=4),
                prop::bool::weighted(if duplicate { 1.0 } else { 0.0 }),
            )
        })
        .prop_flat_map(|(nodes, duration_s, n, faults, duplicate)| {
            (
                Just((nodes, duration_s, n, faults, duplicate)),
                1u32..=n,
                1u32..=n,
                prop_oneof![
                    2 => Just(Mode::Dvv),
                    1 => Just(Mode::VectorClock),
                    1 => Just(Mode::Lww)
                ],
                0u64..i64::MAX as u64,
                (2u32..=4, 5u32..=30, 50u32..=200, 0.0f64..=1.0),
                (any::<bool>(), any::<bool>(), any::<bool>()),
            )
        })
        .prop_map(
            |(
                (nodes, duration_s, n, faults, duplicate),
                r,
                w,
                mode,
                seed,
                (clients, keys, rate, rmw),
                (slow_links, generic_balancer, deletes),
            )| {
                let mut spec = Spec {
                    seed,
                    nodes,
                    n,
                    r,
                    w,
                    mode,
                    clients,
                    keys,
                    rate,
                    rmw,
                    duration_s,
                    faults,
                    slow_links,
                    generic_balancer,
                    duplicate: if duplicate { 0.2 } else { 0.0 },
                    deletes,
                    values: values_of(seed),
                    gossip: gossip_of(seed),
                };
                fit_membership_faults(&mut spec);
                spec
            },
        )
}

/// At most one join (there is one spare) and one leave, and a leave only
/// where N nodes remain after it.
fn fit_membership_faults(spec: &mut Spec) {
    let mut joined = false;
    let mut left = false;
    let can_leave = spec.nodes > spec.n;
    spec.faults.retain(|f| match f.kind {
        FaultKind::Join => !std::mem::replace(&mut joined, true),
        FaultKind::Leave => can_leave && !std::mem::replace(&mut left, true),
        _ => true,
    });
}

fn ms(t: u64) -> String {
    format!("\"{t}ms\"")
}

/// The scenario file the spec describes.
fn toml_text(spec: &Spec) -> String {
    let mut t = String::new();
    let versioning = match spec.mode {
        Mode::Dvv => "dvv",
        Mode::VectorClock => "vector-clock",
        Mode::Lww => "lww",
    };
    let spares = u32::from(spec.has(FaultKind::Join));
    let _ = write!(
        t,
        "name = \"eventual\"\nseed = {}\nduration = \"{}s\"\nquiesce = \"40s\"\n\n\
         [cluster]\nnodes = {}\nvnodes = 4\nspares = {}\n\n\
         [replication]\nn = {}\nr = {}\nw = {}\nversioning = \"{}\"\n\n\
         [anti_entropy]\nenabled = true\ninterval = \"1s\"\n\n\
         [workload]\nclients = {}\nkeys = {}\nrate = \"{}/s\"\nread_modify_write = {:?}\n",
        spec.seed,
        spec.duration_s,
        spec.nodes,
        spares,
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
    match (spec.values, spec.deletes) {
        ("opaque", true) => t.push_str("mix = { get = 0.5, put = 0.4, delete = 0.1 }\n"),
        ("opaque", false) => {}
        (_, true) => t.push_str("mix = { get = 0.5, update = 0.4, delete = 0.1 }\n"),
        (_, false) => t.push_str("mix = { get = 0.5, update = 0.5 }\n"),
    }
    if spec.values != "opaque" {
        let _ = write!(t, "\n[values]\ntype = \"{}\"\n", spec.values);
    }
    let _ = write!(t, "\n[gossip]\nprotocol = \"{}\"\n", spec.gossip);
    if spec.slow_links || spec.duplicate > 0.0 {
        t.push_str("\n[network]\n");
        if spec.slow_links {
            t.push_str("latency = { dist = \"exponential\", mean = \"10ms\" }\n");
        }
        if spec.duplicate > 0.0 {
            let _ = writeln!(t, "duplicate = {:?}", spec.duplicate);
        }
    }
    // (time, action) pairs, sorted by time. A node-level fault i hits
    // n(i mod m + 1), m the nodes that never leave, so a leave (of the
    // last node) never meets a crash or a pause of the same node.
    let mut entries: Vec<(u64, String)> = Vec::new();
    let half = spec.nodes / 2;
    let stays = spec.nodes - u32::from(spec.has(FaultKind::Leave));
    for (i, f) in spec.faults.iter().enumerate() {
        let k = i as u32 % stays + 1;
        let node = format!("\"n{k}\"");
        let end = match f.kind {
            FaultKind::Partition => {
                let side = |range: std::ops::RangeInclusive<u32>| {
                    range
                        .map(|k| format!("\"n{k}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                entries.push((
                    f.start_ms,
                    format!(
                        "partition = [[{}], [{}]]",
                        side(1..=half),
                        side(half + 1..=spec.nodes)
                    ),
                ));
                Some("heal = \"all\"".to_string())
            }
            FaultKind::Crash | FaultKind::CrashWipe => {
                entries.push((f.start_ms, format!("crash = {node}")));
                let wipe = f.kind == FaultKind::CrashWipe;
                Some(format!("restart = {node}\nwipe_disk = {wipe}"))
            }
            FaultKind::Pause => {
                entries.push((f.start_ms, format!("pause = {node}")));
                Some(format!("resume = {node}"))
            }
            FaultKind::Cut => {
                let to = k % spec.nodes + 1;
                entries.push((
                    f.start_ms,
                    format!("cut = {{ from = {node}, to = \"n{to}\" }}"),
                ));
                Some("heal = \"all\"".to_string())
            }
            FaultKind::Loss => {
                entries.push((f.start_ms, format!("loss = 0.3\nuntil = {}", ms(f.end_ms))));
                None
            }
            FaultKind::Skew => {
                entries.push((
                    f.start_ms,
                    format!("skew = {{ node = {node}, offset = \"-300ms\" }}"),
                ));
                Some(format!("skew = {{ node = {node}, offset = \"0ms\" }}"))
            }
            FaultKind::Join => {
                entries.push((f.start_ms, format!("join = \"n{}\"", spec.nodes + 1)));
                None
            }
            FaultKind::Leave => {
                entries.push((f.start_ms, format!("leave = \"n{}\"", spec.nodes)));
                None
            }
            FaultKind::Forget => {
                entries.push((
                    f.start_ms,
                    format!("forget = {{ node = {node}, key = \"k0\" }}"),
                ));
                None
            }
        };
        if let Some(end) = end {
            entries.push((f.end_ms, end));
        }
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
    /// Replica or hint states, at the end, holding one value twice.
    stored_twice: u64,
    /// A restart wiped a disk.
    wiped: bool,
    /// Acknowledged adds missing at the end (sets only).
    lost_adds: Option<u64>,
    /// Removed items a later get returned.
    resurrections: Option<u64>,
}

/// Runs a case (with a planted bug, if any) and judges it.
fn run_case(s: &Scenario, bug: Option<DeliberateBug>) -> Outcome {
    let mut world = run::build_with_bug(s, Tracer::off(), bug);
    let observed = run::drive(s, &mut world, SimTime::MAX, |_| {});
    let stored_twice = world
        .nodes()
        .flat_map(|node| node.store().values_held())
        .filter(|(_, values)| {
            let distinct: BTreeSet<&ValueId> = values.iter().collect();
            distinct.len() < values.len()
        })
        .count() as u64;
    let out = run::output(s, &mut world, observed);
    Outcome {
        stored_twice,
        ..judge(s, &out)
    }
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
        stored_twice: 0,
        wiped: !out.disk_losses.is_empty(),
        lost_adds: found.lost_add_count(),
        resurrections: found.resurrection_count(),
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
/// converged by the end, and under `dvv` no lost write without a wiped
/// disk (and no stale read with R + W > N and no faults).
fn with_expectations(s: &Scenario) -> Scenario {
    let mut s = s.clone();
    let r = &s.replication;
    s.expect.converged_within = Some(s.end());
    if r.versioning == Versioning::Dvv {
        if !wipes_a_disk(&s) {
            s.expect.lost_acked_writes = Some(0);
        }
        if r.r + r.w > r.n && s.faults.is_empty() {
            s.expect.stale_reads = Some(0);
        }
        if s.values.value_type.has_elements() && !wipes_a_disk(&s) {
            s.expect.lost_adds = Some(0);
        }
        if s.values.value_type == ValueType::OrSet && r.r + r.w > r.n && s.faults.is_empty() {
            s.expect.resurrections = Some(0);
        }
    }
    s
}

/// A wiped disk or a lost key: an acknowledged write whose copies were
/// there may be lost without a bug (with W = 1, say).
fn wipes_a_disk(s: &Scenario) -> bool {
    let text = scenario::to_toml(s);
    text.contains("wipe_disk = true") || text.contains("forget = ")
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
    if o.stored_twice > 0 {
        return Some(format!("{} states hold one value twice", o.stored_twice));
    }
    if dvv && !o.wiped && !wipes_a_disk(s) && o.lost > 0 {
        return Some(format!("dvv lost {} acknowledged writes", o.lost));
    }
    if dvv && r.r + r.w > r.n && s.faults.is_empty() && o.stale > 0 {
        return Some(format!(
            "{} stale reads with R + W > N and no faults",
            o.stale
        ));
    }
    if let (true, false, false, Some(n @ 1..)) = (dvv, o.wiped, wipes_a_disk(s), o.lost_adds) {
        return Some(format!("dvv lost {n} acknowledged adds"));
    }
    let or_set = s.values.value_type == ValueType::OrSet;
    if let (true, true, true, Some(n @ 1..)) = (
        dvv && or_set,
        r.r + r.w > r.n,
        s.faults.is_empty(),
        o.resurrections,
    ) {
        return Some(format!(
            "{n} removed elements came back in an or-set with R + W > N and no faults"
        ));
    }
    None
}

fn check_spec(spec: &Spec, bug: Option<DeliberateBug>) -> Result<(), TestCaseError> {
    let s = parse(&toml_text(spec));
    let o = run_case(&s, bug);
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
        // A planted bug's hunt stops at its first failure; the plain
        // property runs every case.
        cases: if bug.is_some() {
            cases().min(64)
        } else {
            cases()
        },
        failure_persistence: None,
        max_shrink_iters,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config, rng);
    // Which case failed first (shrinking runs more), for the log.
    let ran = std::cell::Cell::new(0u32);
    let first_failure = std::cell::Cell::new(None);
    let result = runner.run(&strategy, |spec| {
        ran.set(ran.get() + 1);
        // A node's own assertion (a dot minted twice) fails the case too.
        let verdict =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check_spec(&spec, bug)))
                .unwrap_or_else(|panic| {
                    let why = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "a panic".to_string());
                    Err(TestCaseError::fail(why))
                });
        if verdict.is_err() && first_failure.get().is_none() {
            first_failure.set(Some(ran.get()));
        }
        verdict
    });
    let name = bug.map_or("the plain property", DeliberateBug::as_str);
    match first_failure.get() {
        Some(case) => eprintln!("{name}: first failure at case {case}"),
        None => eprintln!("{name}: {} cases held", ran.get()),
    }
    match result {
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
        s.mode = Mode::Dvv;
        s.duplicate = 0.0;
        s.slow_links = true;
        s.generic_balancer = true;
        s.keys = keys;
        s.rate = rate;
        s.n = s.n.max(2).min(s.nodes);
        s.w = s.w.clamp(2, s.n);
        s.r = (s.n + 1 - s.w).max(s.r).min(s.n);
        s.faults.clear();
        s.values = "opaque";
        s
    })
}

/// Specs the request bugs show in: dvv, the generic balancer (so requests
/// are forwarded, by nodes whose views may disagree), a join or a leave,
/// and the network duplicating one message in five.
fn forwarded_under_membership_change_spec() -> impl Strategy<Value = Spec> {
    (spec(), any::<bool>(), 500u64..3000).prop_map(|(mut s, join, at)| {
        s.mode = Mode::Dvv;
        s.generic_balancer = true;
        s.duplicate = 0.2;
        s.nodes = s.nodes.max(4);
        s.n = s.n.clamp(2, s.nodes - 1);
        s.r = s.r.min(s.n);
        s.w = s.w.min(s.n);
        let kind = if join {
            FaultKind::Join
        } else {
            FaultKind::Leave
        };
        s.faults.insert(
            0,
            FaultSpec {
                kind,
                start_ms: at,
                end_ms: at,
            },
        );
        fit_membership_faults(&mut s);
        s.values = "opaque";
        s
    })
}

/// A planted bug must be caught by the property test (or by the node's
/// own assertions, which fail a case by panicking); its shrunk file must
/// fail the same way when replayed with the bug, and without the bug the
/// same file holds.
fn caught_and_replayed(bug: DeliberateBug, strategy: impl Strategy<Value = Spec>) -> String {
    let Some((why, spec)) = hunt(Some(bug), strategy, 96) else {
        panic!(
            "the property test did not catch the planted bug {}",
            bug.as_str()
        );
    };
    let s = parse(&toml_text(&spec));
    let path = write_failure(&s, Some(bug));
    let replayed = scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{}", e.render(false)));
    match std::panic::catch_unwind(|| run_case(&replayed, Some(bug))) {
        // The node's own assertion fired again.
        Err(_) => {}
        Ok(with_bug) => assert!(
            broken_property(&replayed, &with_bug).is_some(),
            "the shrunk file {} held when replayed with {}: {with_bug:?}",
            path.display(),
            bug.as_str()
        ),
    }
    let without = run_case(&replayed, None);
    assert_eq!(
        broken_property(&replayed, &without),
        None,
        "the shrunk file fails without the bug too: {without:?}"
    );
    why
}

#[test]
fn a_non_replica_coordinating_a_forward_is_caught() {
    let why = caught_and_replayed(
        DeliberateBug::CoordinateAnyForward,
        forwarded_under_membership_change_spec(),
    );
    assert!(["minted", "lost"].iter().any(|w| why.contains(w)), "{why}");
}

#[test]
fn coordinating_a_duplicated_request_twice_is_caught() {
    let why = caught_and_replayed(
        DeliberateBug::CoordinateDuplicates,
        forwarded_under_membership_change_spec(),
    );
    assert!(["twice", "beside"].iter().any(|w| why.contains(w)), "{why}");
}

#[test]
fn acknowledging_before_the_write_quorum_is_caught_as_stale_reads() {
    let why = caught_and_replayed(DeliberateBug::AckBeforeQuorum, fault_free_dvv_quorum_spec());
    assert!(why.contains("stale reads"), "{why}");
}

#[test]
fn a_merge_that_drops_siblings_is_caught() {
    let why = caught_and_replayed(
        DeliberateBug::MergeDropsSibling,
        fault_free_dvv_quorum_spec(),
    );
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
        mode: Mode::VectorClock,
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
        ]
        .into_iter()
        .chain(ALL_KINDS.iter().enumerate().map(|(i, &kind)| FaultSpec {
            kind,
            start_ms: 600 + 300 * i as u64,
            end_ms: 1200 + 300 * i as u64,
        }))
        .collect(),
        slow_links: true,
        generic_balancer: true,
        duplicate: 0.1,
        deletes: true,
        values: "or-set",
        gossip: "swim",
    };
    let s = parse(&toml_text(&spec));
    let emitted = scenario::to_toml(&s);
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("eventual-round-trip.toml");
    std::fs::write(&path, &emitted).unwrap();
    let back = scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{}", e.render(false)));
    assert_eq!(back, s, "the written file parses back to the same scenario");
    let first = run_case(&s, None);
    let again = run_case(&back, None);
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

/// Shrunk cases the hunts for the request bugs found, kept as files
/// (`tests/regressions/<bug>.toml`): each must hold without its bug and
/// fail with it, whatever becomes of the generator.
#[test]
fn committed_regressions_fail_with_their_bug_and_hold_without() {
    for bug in [
        DeliberateBug::CoordinateAnyForward,
        DeliberateBug::CoordinateDuplicates,
    ] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/regressions")
            .join(format!("{}.toml", bug.as_str()));
        let s = scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{}", e.render(false)));
        let without = run_case(&s, None);
        assert_eq!(broken_property(&s, &without), None, "{}", path.display());
        let with_bug = std::panic::catch_unwind(|| run_case(&s, Some(bug)));
        if let Ok(o) = with_bug {
            assert!(
                broken_property(&s, &o).is_some(),
                "{} holds with {}: {o:?}",
                path.display(),
                bug.as_str()
            );
        }
    }
}
