//! The staleness curve against an independent model of the same message
//! pattern, after the WARS model of Bailis et al., "Probabilistically
//! Bounded Staleness for Practical Partial Quorums" (VLDB 2012).
//!
//! The simulated cluster: three nodes, N=3, R=W=1, every hop (client to
//! node, node to node) exponential with a 1 ms mean, read repair, gossip
//! and anti-entropy off. Each request is sent `via` a node the test draws
//! uniformly, as the `generic` balancer would (a scripted op takes no
//! balancer; with the partition-aware one every request of a key would meet
//! at its first replica and R=W=1 would never be stale). Each of many keys gets one
//! blind put and, a uniform delay after the put's invocation, one get, so
//! each counted get is an independent sample and no write races another.
//!
//! The model, written here from how the node works (`node::coordinator`,
//! `client::driver`) rather than from the simulator:
//! - the put goes client → coordinator (`a`); the coordinator is a replica
//!   drawn uniformly (with N nodes every node is a replica, so none
//!   forwards); it writes its own copy
//!   at once, which is its W=1 ack, sends the write to the other two
//!   replicas (`W2`, `W3`, from the coordinator's write) and answers the
//!   client (`b`): the put is acknowledged at `a + b`;
//! - the get, invoked at `t` after that acknowledgement, goes client →
//!   coordinator (`d`), a replica drawn uniformly again, which with R=1
//!   answers from its own copy as the request arrives;
//! - the get is consistent when its coordinator is the put's, or when the
//!   write reached it first: `W ≤ b + t + d`.
//!
//! Simplifications: the acks and the get's fetches to other replicas do not
//! change the answer with W=R=1 and are not modelled; the model draws `t`
//! exactly as the test schedules gets (uniform delay minus the put's
//! latency), so both sides bin the same distribution of `t`. In closed form
//! the inconsistent share is `e^(-t/mean) / 6`. Over a few seeds the first
//! bucket came out about one point below the model (0.87-0.90 against
//! 0.89); the tolerance (three standard errors plus 0.01) covers that.

use dynsim::check::consistency::Rule;
use dynsim::check::staleness::{Bucket, staleness};
use dynsim::run;
use dynsim::scenario::{self, Format, Scenario};
use dynsim::time::SimTime;
use dynsim::trace::Tracer;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write;

const KEYS: u64 = 12_000;
/// Gets start uniformly within this long after their put is invoked.
const GET_WINDOW_MS: f64 = 6.0;
const MEAN_MS: f64 = 1.0;
const BUCKET_MS: u64 = 1;
const BUCKETS: u64 = 5;

/// Keys are spaced out so that a slow message of one never meets the next.
const KEY_SPACING_MS: u64 = 40;

/// The scenario: one blind put and one get per key, at times drawn here.
fn scenario_text(r: u32, w: u32, seed: u64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let duration_ms = KEYS * KEY_SPACING_MS + 100;
    let mut text = format!(
        "name = \"pbs-staleness\"\nseed = {seed}\nduration = \"{duration_ms}ms\"\nquiesce = \"1s\"\n\
         [cluster]\nnodes = 3\n\
         [replication]\nn = 3\nr = {r}\nw = {w}\nread_repair = false\nversioning = \"vector-clock\"\n\
         [network]\nlatency = {{ dist = \"exponential\", mean = \"{MEAN_MS}ms\" }}\n\
         [gossip]\nenabled = false\n[anti_entropy]\nenabled = false\n"
    );
    for key in 0..KEYS {
        let at_us = key * KEY_SPACING_MS * 1000 + 1000;
        let delay_us = (rng.random::<f64>() * GET_WINDOW_MS * 1000.0) as u64;
        let client = key % 3;
        // Each request goes to a node drawn uniformly, as the generic
        // balancer draws it.
        let (put_via, get_via) = (rng.random_range(1..=3), rng.random_range(1..=3));
        let _ = write!(
            text,
            "[[op]]\nat = \"{at_us}us\"\nclient = \"c{client}\"\nput = \"k{key}\"\nvalue = \"v{key}\"\ncontext = \"none\"\nvia = \"n{put_via}\"\n\
             [[op]]\nat = \"{}us\"\nclient = \"c{}\"\nget = \"k{key}\"\nvia = \"n{get_via}\"\n",
            at_us + delay_us,
            (client + 1) % 3
        );
    }
    text
}

fn simulated_curve(r: u32, w: u32) -> (Option<f64>, Vec<Bucket>) {
    let text = scenario_text(r, w, 5);
    let s: Scenario = scenario::parse_str("pbs.toml", &text, Format::Toml, &[])
        .unwrap_or_else(|e| panic!("{}", e.render(false)));
    let out = run::run(&s, Tracer::off()).unwrap();
    let found = staleness(&out.history, Rule::Causal);
    (
        found.p_consistent(),
        found.curve(SimTime::from_millis(BUCKET_MS), BUCKETS),
    )
}

fn exp(rng: &mut ChaCha8Rng) -> f64 {
    -MEAN_MS * (1.0 - rng.random::<f64>()).ln()
}

/// The model's curve: `(consistent, gets)` per bucket.
fn monte_carlo(samples: u64) -> Vec<(u64, u64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let mut tally = vec![(0u64, 0u64); BUCKETS as usize];
    for _ in 0..samples {
        let delay = rng.random::<f64>() * GET_WINDOW_MS;
        let (a, b) = (exp(&mut rng), exp(&mut rng));
        let put_coordinator = rng.random_range(0..3);
        // When the write reaches each replica, from the coordinator's write.
        let mut reaches = [exp(&mut rng), exp(&mut rng), exp(&mut rng)];
        reaches[put_coordinator] = 0.0;
        let t = delay - (a + b);
        if t < 0.0 {
            // Invoked before the put was acknowledged: not counted.
            continue;
        }
        let get_coordinator = rng.random_range(0..3);
        let d = exp(&mut rng);
        let consistent = reaches[get_coordinator] <= b + t + d;
        if let Some(slot) = tally.get_mut((t / BUCKET_MS as f64) as usize) {
            slot.0 += u64::from(consistent);
            slot.1 += 1;
        }
    }
    tally
}

#[test]
fn partial_quorums_match_the_wars_model() {
    let (_, sim) = simulated_curve(1, 1);
    let model = monte_carlo(2_000_000);
    let mut compared = 0;
    for (bucket, &(consistent, gets)) in sim.iter().zip(&model) {
        let p_model = consistent as f64 / gets as f64;
        let Some(p_sim) = bucket.p else { continue };
        println!(
            "[{:.0}, {:.0}) ms: simulated {p_sim:.4} of {}, model {p_model:.4} of {gets}",
            bucket.lo.as_millis_f64(),
            bucket.hi.as_millis_f64(),
            bucket.gets
        );
        if bucket.gets < 300 || gets < 300 {
            continue;
        }
        // Three standard errors of the difference, and a little for the
        // model's simplifications.
        let variance = |p: f64, n: u64| p * (1.0 - p) / n as f64;
        let tolerance =
            3.0 * (variance(p_sim, bucket.gets) + variance(p_model, gets)).sqrt() + 0.01;
        assert!(
            (p_sim - p_model).abs() <= tolerance,
            "bucket from {} ms: simulated {p_sim}, model {p_model}, tolerance {tolerance}",
            bucket.lo.as_millis_f64()
        );
        compared += 1;
    }
    assert!(
        compared >= 4,
        "too few buckets with enough gets: {compared}"
    );
    // The curve rises with the time since the commit.
    let p = |i: usize| sim[i].p.unwrap_or(0.0);
    assert!(p(0) + 0.05 < p(4), "first {} then {}", p(0), p(4));
    assert!(p(0) < p(1) && p(1) < p(3));
}

#[test]
fn overlapping_quorums_are_always_consistent() {
    let (p, curve) = simulated_curve(2, 2);
    assert_eq!(p, Some(1.0));
    assert!(curve.iter().all(|b| b.p.is_none_or(|p| p == 1.0)));
}

/// The lesson file: a workload of read-modify-writes through the generic
/// balancer. With R=W=1 some gets miss the latest put, and mostly soon
/// after it; with R=W=2 none does.
#[test]
fn the_lesson_file_shows_the_curve() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/dynamo/pbs-partial-quorum.toml");
    let measure = |sets: &[&str]| {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let s = scenario::load(&path, &sets).unwrap_or_else(|e| panic!("{}", e.render(false)));
        let out = run::run(&s, Tracer::off()).unwrap();
        staleness(&out.history, Rule::for_versioning(s.replication.versioning))
    };
    let partial = measure(&[]);
    let p = partial.p_consistent().unwrap();
    assert!(p < 1.0 && p > 0.5, "{p}");
    let curve = partial.curve(SimTime::from_millis(5), 4);
    let first = curve[0].p.unwrap();
    let later = curve[3].p.unwrap();
    assert!(first < later, "{first} then {later}");
    let strict = measure(&["replication.r=2", "replication.w=2"]);
    assert_eq!(strict.p_consistent(), Some(1.0));
    assert!(strict.k_staleness.is_empty());
}
