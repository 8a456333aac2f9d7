//! `staleness`: the PBS curve (Bailis et al., "Probabilistically Bounded
//! Staleness"): the share of gets that saw the latest acknowledged put to
//! their key, against the time from that put's acknowledgement to the
//! get's start (`summary.staleness.by_time_since_commit`). Not a time axis
//! of the run, so no fault shading. Skipped when no get was counted. With
//! log-spaced buckets (`metrics.staleness_buckets = "log"`, the default) the
//! time axis is logarithmic: each bucket's point sits at its geometric
//! middle (the first, from 0, at half its upper edge), so the first
//! milliseconds, where reads go stale, get the room.

use super::{
    BLUE, HEIGHT, LINE_PAD_PX, WIDTH, builder_for, failed, labelled_mesh, legend_at, legend_spot,
    line_swatch, named, number_mesh, padded, plot_size, render,
};
use crate::report::Summary;
use plotters::prelude::*;

pub(super) fn chart(summary: &Summary) -> Option<super::Chart> {
    let log = summary.staleness.buckets == "log";
    // On a log axis x is log10 of the time in ms.
    let middle = |lo: f64, hi: f64| match log {
        true if lo > 0.0 => (lo * hi).sqrt().log10(),
        true => (hi / 2.0).log10(),
        false => (lo + hi) / 2.0,
    };
    let points: Vec<(f64, f64)> = summary
        .staleness
        .by_time_since_commit
        .iter()
        .filter_map(|&(lo, hi, p, _)| p.map(|p| (middle(lo, hi), p)))
        .collect();
    if points.is_empty() {
        return None;
    }
    let curve = &summary.staleness.by_time_since_commit;
    let (x_lo, x_hi) = match log {
        true => (
            curve.first().map_or(-1.0, |b| (b.1 / 2.0).log10()),
            curve.last().map_or(0.0, |b| b.1.log10()),
        ),
        false => (0.0, curve.last().map_or(1.0, |b| b.1)),
    };
    let y_lo = points.iter().map(|p| p.1).fold(1.0, f64::min);
    let y = (padded(y_lo, 1.0).0.clamp(0.0, 0.99), 1.005);
    let title = "P(consistent read) against time since commit".to_string();
    let label = format!(
        "P(get saw the latest ack'd put), {} gets",
        summary.staleness.gets
    );
    let spot = legend_spot(
        [points
            .iter()
            .map(|&(t, p)| ((t - x_lo) / (x_hi - x_lo), (p - y.0) / (y.1 - y.0)))],
        [label.as_str()].into_iter(),
        plot_size(WIDTH, HEIGHT),
        LINE_PAD_PX,
    );
    let svg = render(WIDTH + spot.band_px(), HEIGHT, |root| {
        let mut chart = builder_for(root, &title, &spot)
            .build_cartesian_2d(x_lo..x_hi, y.0..y.1)
            .map_err(failed)?;
        if log {
            // Ticks at whole powers of ten only, written in ms.
            let decade = |v: &f64| match (v - v.round()).abs() < 1e-9 {
                true => format!("{}", 10f64.powi(v.round() as i32)),
                false => String::new(),
            };
            labelled_mesh(
                &mut chart,
                (
                    "time from the put's acknowledgement to the get (ms, log scale)",
                    "P(consistent read)",
                ),
                (&decade, &|v| format!("{v:.3}")),
                Some(10),
            )?;
        } else {
            number_mesh(
                &mut chart,
                ("time from the put's acknowledgement to the get (ms)", 0),
                ("P(consistent read)", 3),
            )?;
        }
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                BLUE.stroke_width(3),
            ))
            .map_err(failed)?
            .label(label)
            .legend(line_swatch(BLUE, 3));
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 4, BLUE.filled())))
            .map_err(failed)?;
        legend_at(&mut chart, &spot)
    });
    named("staleness", title, svg)
}
