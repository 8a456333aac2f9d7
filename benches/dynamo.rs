//! Simulated client operations per wall second on the peers' quorum
//! workload (`scenarios/bench/quorum-16-nodes.toml`: 16 nodes, N=3, R=W=2,
//! 100,000 operations, trace off), through the whole Dynamo node: ring
//! lookups, vector clocks, coordinator state, the network model. Criterion
//! reports it as elements (operations) per second; compare it with the
//! peers in ../shared/peers run in the same session, as a ratio.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dynsim::run;
use dynsim::scenario;
use dynsim::trace::Tracer;
use std::path::Path;

fn quorum(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench/quorum-16-nodes.toml");
    let s = scenario::load(&path, &[]).expect("the bench scenario is valid");
    let ops = {
        let out = run::run(&s, Tracer::off()).unwrap();
        out.metrics.get.invoked + out.metrics.put.invoked
    };
    let mut group = c.benchmark_group("quorum-16-nodes");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ops));
    group.bench_function("ops", |b| {
        b.iter(|| run::run(&s, Tracer::off()).unwrap().metrics.events)
    });
    group.finish();
}

criterion_group!(benches, quorum);
criterion_main!(benches);
