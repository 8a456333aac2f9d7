//! `merkle`: what each Merkle anti-entropy exchange cost against what it
//! found: tree hashes and key digests both replicas sent, against the keys
//! whose digests differed (`RunOutput::merkle_exchanges`). The paper's
//! claim (§4.7) is that the cost follows the divergence, not the data: a
//! cloud near the origin, rising with the keys found. Equal exchanges are
//! drawn once, the circle's area growing with how many there were.
//! Skipped when no exchange finished (anti-entropy off).

use super::{
    BLUE, HEIGHT, WIDTH, builder_for, failed, legend_at, legend_spot, named, number_mesh, padded,
    plot_size, render,
};
use crate::run::RunOutput;
use plotters::prelude::*;
use std::collections::BTreeMap;

pub(super) fn chart(output: &RunOutput) -> Option<super::Chart> {
    let mut seen: BTreeMap<(u64, u64), u64> = BTreeMap::new();
    for e in &output.merkle_exchanges {
        *seen.entry((e.divergent_keys, e.hashes)).or_default() += 1;
    }
    if seen.is_empty() {
        return None;
    }
    let max_keys = seen.keys().map(|k| k.0).max().unwrap_or(0) as f64;
    let max_hashes = seen.keys().map(|k| k.1).max().unwrap_or(0) as f64;
    let x = (
        padded(0.0, max_keys.max(1.0)).0.min(-0.5),
        max_keys.max(1.0) * 1.08 + 0.5,
    );
    let y = (0.0, max_hashes.max(1.0) * 1.08);
    let exchanges = output.merkle_exchanges.len();
    let title = "Merkle anti-entropy: hashes exchanged against divergent keys".to_string();
    let label = format!("an exchange ({exchanges} in all; a bigger dot: more alike)");
    let radius = |count: u64| (4.0 + 2.0 * (count as f64).log2()).round();
    let biggest = seen.values().map(|&c| radius(c)).fold(0.0, f64::max);
    let spot = legend_spot(
        seen.keys().map(|&(keys, hashes)| {
            [(
                (keys as f64 - x.0) / (x.1 - x.0),
                (hashes as f64 - y.0) / (y.1 - y.0),
            )]
        }),
        [label.as_str()].into_iter(),
        plot_size(WIDTH, HEIGHT),
        biggest,
    );
    let svg = render(WIDTH + spot.band_px(), HEIGHT, |root| {
        let mut chart = builder_for(root, &title, &spot)
            .build_cartesian_2d(x.0..x.1, y.0..y.1)
            .map_err(failed)?;
        number_mesh(
            &mut chart,
            ("divergent keys found in the exchange", 0),
            ("hashes and digests sent", 0),
        )?;
        let style = BLUE.mix(0.55).filled();
        chart
            .draw_series(seen.iter().map(|(&(keys, hashes), &count)| {
                Circle::new((keys as f64, hashes as f64), radius(count) as u32, style)
            }))
            .map_err(failed)?
            .label(label.clone())
            .legend(move |(x, y)| Circle::new((x + 12, y), 6, style));
        legend_at(&mut chart, &spot)
    });
    named("merkle", title, svg)
}
