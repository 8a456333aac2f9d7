//! Load balance (Dynamo §6.2, Figure 8): shares sum to N, efficiency in
//! (0, 1], the paper's ordering of the three strategies at equal metadata,
//! and capacity weights.

use super::*;

#[test]
fn shares_sum_to_n_and_efficiency_is_a_fraction() {
    for strategy in Strategy::ALL {
        for placement in Placement::ALL {
            for (count, n) in [(1u32, 1u32), (2, 3), (5, 3), (12, 2)] {
                let spec = RingSpec {
                    n,
                    placement,
                    ..spec(strategy, 8, 64, 4)
                };
                let members: Vec<NodeSpec> = (0..count)
                    .map(|i| NodeSpec {
                        node: NodeId(i),
                        region: i % 3,
                        weight: 1,
                    })
                    .collect();
                let ring = Layout::initial(&spec, &members).ring(&spec);
                let shares = ring.shares();
                assert_eq!(shares.len(), count as usize);
                let total: f64 = shares.iter().map(|s| s.1).sum();
                let expected = f64::from(n.min(count));
                assert!(
                    (total - expected).abs() < 1e-9,
                    "{strategy:?} {total} vs {expected}"
                );
                let e = ring.efficiency();
                assert!(e > 0.0 && e <= 1.0 + 1e-12, "{e}");
            }
        }
    }
}

/// S = 30 nodes, N = 3 (the paper's setting), at equal metadata M = 30*T
/// tokens: strategy 1 with T tokens per node; strategy 2 with T tokens per
/// node and Q = 256 partitions, fixed; strategy 3 with Q = M. Averaged over
/// ten seeds. The paper's ordering holds at every size: 3 > 1 > 2.
fn figure8(vnodes: u32) -> [f64; 3] {
    let metadata = 30 * vnodes;
    let setups = [
        (Strategy::RandomTokens, 1),
        (Strategy::EqualPartitions, 256),
        (Strategy::QOverS, metadata),
    ];
    setups.map(|(strategy, partitions)| {
        let seeds = 1..=10u64;
        let total: f64 = seeds
            .clone()
            .map(|seed| {
                let spec = spec(strategy, vnodes, partitions, seed);
                let layout = Layout::initial(&spec, &nodes(30));
                // Equal metadata: S*T tokens, or Q = S*T boundaries.
                assert_eq!(layout.token_count(), u64::from(metadata));
                layout.ring(&spec).efficiency()
            })
            .sum();
        total / seeds.count() as f64
    })
}

#[test]
fn figure8_strategy_3_beats_1_beats_2_at_equal_metadata() {
    for vnodes in [8, 16, 32, 64, 128] {
        let [one, two, three] = figure8(vnodes);
        println!(
            "T={vnodes} metadata={}: s1 {one:.3} s2 {two:.3} s3 {three:.3}",
            30 * vnodes
        );
        assert!(three > one && one > two, "T={vnodes}: {one} {two} {three}");
    }
}

#[test]
fn a_node_of_weight_two_gets_about_twice_the_share() {
    for strategy in Strategy::ALL {
        let spec = spec(strategy, 64, 1024, 8);
        let mut members = nodes(10);
        members[4].weight = 2;
        let ring = Layout::initial(&spec, &members).ring(&spec);
        let shares = ring.shares();
        let heavy = shares[4].1;
        let others: f64 = shares
            .iter()
            .filter(|s| s.0 != NodeId(4))
            .map(|s| s.1)
            .sum::<f64>()
            / 9.0;
        let ratio = heavy / others;
        assert!(
            (1.6..2.4).contains(&ratio),
            "{strategy:?}: ratio {ratio:.3}"
        );
    }
}
