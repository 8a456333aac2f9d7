//! Events per second of the event loop with a trivial actor, next to the
//! physical floor measured in the same run: a bare `BinaryHeap` of
//! `(time, seq, payload)` with the same steady population, popping the
//! earliest event and pushing one 1..2 ms later (as ../shared/peers/heap
//! does). Report the loop as a ratio of the floor, never as a bare figure.
//!
//! The loop: 100 relay nodes pass 10,000 tokens around; each event is one
//! delivery whose handler sends one message (network: reachability check,
//! loss and duplicate draws, a uniform 1..2 ms latency). With `jsonl` the
//! trace is formatted and buffered into a sink that discards it, so the
//! figure is the tracer's cost without the disk's.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use dynsim::id::NodeId;
use dynsim::scenario::{Dist, Scenario};
use dynsim::sim::Sim;
use dynsim::sim::testkit::{IdleClient, Relay};
use dynsim::time::SimTime;
use dynsim::trace::Tracer;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

const POPULATION: u32 = 10_000;
const NODES: u32 = 100;
const STEPS: u64 = 1_000_000;
const MAX_DELAY_NS: u64 = 2_000_000;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn bare_heap(steps: u64) -> u64 {
    let mut q: BinaryHeap<Reverse<(u64, u64, u32)>> = BinaryHeap::new();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut seq = 0u64;
    for i in 0..POPULATION {
        q.push(Reverse((1 + rng.next() % MAX_DELAY_NS, seq, i)));
        seq += 1;
    }
    let mut sum = 0u64;
    for _ in 0..steps {
        let Reverse((time, _, payload)) = q.pop().expect("steady population");
        sum = sum.wrapping_add(u64::from(payload));
        let delay = 1 + rng.next() % MAX_DELAY_NS;
        q.push(Reverse((time + delay, seq, payload.wrapping_add(1))));
        seq += 1;
    }
    sum
}

fn relay_world(trace: bool) -> Sim<Relay, IdleClient> {
    let mut s = Scenario::with_defaults("bench");
    s.cluster.nodes = NODES;
    s.duration = SimTime::from_secs(3600);
    s.network.latency = Dist::Uniform {
        min: SimTime(1),
        max: SimTime(MAX_DELAY_NS),
    };
    let nodes = (0..NODES)
        .map(|i| {
            let mut r = Relay::new(NodeId(i), NODES);
            r.tokens_at_start = POPULATION / NODES;
            r
        })
        .collect();
    let tracer = if trace {
        Tracer::jsonl(Box::new(std::io::sink()))
    } else {
        Tracer::off()
    };
    let mut sim = Sim::new(&s, nodes, Vec::new(), Vec::new(), tracer);
    // Start the nodes and let the token population reach steady state.
    sim.run_until(SimTime::from_millis(10));
    sim
}

fn run_steps(mut sim: Sim<Relay, IdleClient>, steps: u64) -> u64 {
    for _ in 0..steps {
        sim.step();
    }
    sim.metrics().events
}

fn events_per_second(c: &mut Criterion) {
    let mut group = c.benchmark_group("events");
    group.throughput(Throughput::Elements(STEPS));
    group.sample_size(10);
    group.bench_function("bare_heap", |b| b.iter(|| black_box(bare_heap(STEPS))));
    group.bench_function("loop_trace_off", |b| {
        b.iter_batched(
            || relay_world(false),
            |sim| black_box(run_steps(sim, STEPS)),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("loop_trace_jsonl", |b| {
        b.iter_batched(
            || relay_world(true),
            |sim| black_box(run_steps(sim, STEPS)),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, events_per_second);
criterion_main!(benches);
