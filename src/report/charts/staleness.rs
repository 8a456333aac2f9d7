//! `staleness`: the PBS curve (Bailis et al., "Probabilistically Bounded
//! Staleness"): the share of gets that saw the latest acknowledged put to
//! their key, against the time from that put's acknowledgement to the
//! get's start (`summary.staleness.by_time_since_commit`). Not a time axis
//! of the run, so no fault shading. Skipped when no get was counted.

use super::{
    BLUE, HEIGHT, WIDTH, builder, failed, legend, line_swatch, named, number_mesh, padded, render,
};
use super::{plot_size, quiet_corner};
use crate::report::Summary;
use plotters::prelude::*;

pub(super) fn chart(summary: &Summary) -> Option<super::Chart> {
    let points: Vec<(f64, f64)> = summary
        .staleness
        .by_time_since_commit
        .iter()
        .filter_map(|&(lo, hi, p, _)| p.map(|p| ((lo + hi) / 2.0, p)))
        .collect();
    if points.is_empty() {
        return None;
    }
    let x_hi = summary
        .staleness
        .by_time_since_commit
        .last()
        .map_or(1.0, |b| b.1);
    let y_lo = points.iter().map(|p| p.1).fold(1.0, f64::min);
    let y = (padded(y_lo, 1.0).0.clamp(0.0, 0.99), 1.005);
    let title = "P(consistent read) against time since commit".to_string();
    let label = format!(
        "P(get saw the latest ack'd put), {} gets",
        summary.staleness.gets
    );
    let corner = quiet_corner(
        points
            .iter()
            .map(|&(t, p)| (t / x_hi, (p - y.0) / (y.1 - y.0))),
        [label.as_str()].into_iter(),
        plot_size(WIDTH, HEIGHT),
    );
    let svg = render(WIDTH, HEIGHT, |root| {
        let mut chart = builder(root, &title)
            .build_cartesian_2d(0.0..x_hi, y.0..y.1)
            .map_err(failed)?;
        number_mesh(
            &mut chart,
            ("time from the put's acknowledgement to the get (ms)", 0),
            ("P(consistent read)", 3),
        )?;
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
        legend(&mut chart, corner)
    });
    named("staleness", title, svg)
}
