//! The peers' quorum workload, timed end to end, printing one line in the
//! peers' format (`ops_per_sec=... events_per_sec=...`) so the figures
//! sit beside ../shared/peers' in the same session:
//!
//! ```sh
//! cargo run --release --example quorum                    # 100,000 ops, 16 nodes
//! cargo run --release --example quorum -- --preload 1000000   # + stored-key cost
//! cargo run --release --example quorum -- --set cluster.nodes=1024
//! ```
//!
//! `--preload K` stores keys `k0..k{K}` on their N replicas before the
//! clock starts (as the peers' `--preload` does) and prints the resident
//! memory they cost, per key per replica. Timing covers the event loop
//! only, as in the peers.

use dynsim::actor::Node;
use dynsim::id::{Key, NodeId, ValueId};
use dynsim::run;
use dynsim::scenario;
use dynsim::time::SimTime;
use dynsim::trace::Tracer;
use dynsim::version::Context;
use std::path::Path;
use std::time::Instant;

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

fn main() {
    let mut sets = Vec::new();
    let mut preload = 0u32;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--set" => sets.push(args.next().expect("--set k=v")),
            "--preload" => {
                preload = args
                    .next()
                    .and_then(|k| k.parse().ok())
                    .expect("--preload K")
            }
            other => panic!("unknown argument {other}"),
        }
    }
    if preload > 0 {
        sets.push(format!("workload.keys={preload}"));
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench/quorum-16-nodes.toml");
    let s = scenario::load(&path, &sets).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let mut world = run::build(&s, Tracer::off());

    if preload > 0 {
        let before = rss_bytes();
        let mode = dynsim::run::node_config(&s).mode;
        let n = s.replication.n as usize;
        for k in 0..preload {
            let key = Key(k);
            let replicas: Vec<NodeId> =
                world.node(NodeId(0)).directory().preference(key)[..n].to_vec();
            let local = world.node_mut(replicas[0]).store_mut().entry(key);
            let value = ValueId(u64::from(k));
            local.put(mode, replicas[0], SimTime::ZERO, &Context::none(), value);
            let state = local.clone();
            for &r in &replicas[1..] {
                world.node_mut(r).store_mut().merge(mode, key, &state);
            }
        }
        let stored: usize = world.nodes().map(|n| n.stored_keys()).sum();
        let after = rss_bytes();
        println!(
            "preloaded_keys={preload} key_replicas={stored} rss_delta_mib={:.1} bytes_per_key_replica={:.0}",
            (after - before) as f64 / (1 << 20) as f64,
            (after - before) as f64 / stored as f64
        );
    }

    // Through the run's one driver, so the divergence samples are timed
    // too: `--set metrics.sample_interval=1h` leaves only two.
    let start = Instant::now();
    let observed = run::drive(&s, &mut world, SimTime::MAX, |_| {});
    let wall = start.elapsed().as_secs_f64();
    let m = world.metrics();
    let ops = m.get.ok + m.get.fail + m.get.timeout + m.put.ok + m.put.fail + m.put.timeout;
    println!(
        "ops_per_sec={:.0} events_per_sec={:.0} ops={ops} events={} samples={} rss_mib={:.1}",
        ops as f64 / wall,
        m.events as f64 / wall,
        m.events,
        observed.divergence.len(),
        rss_bytes() as f64 / (1 << 20) as f64
    );
}
