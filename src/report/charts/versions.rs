//! `versions`: how many versions (siblings) successful gets returned, the
//! paper's §6.3 table as bars: one bar per count, its number and share of
//! gets written above it, since the bars of rare counts are too short to
//! see.
//! Skipped when no get succeeded.

use super::{
    BLUE, FONT, HEIGHT, LABEL_SIZE, WIDTH, builder, failed, legend, named, number_label, render,
    whole_labels,
};
use crate::report::Summary;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub(super) fn chart(summary: &Summary) -> Option<super::Chart> {
    let counts: Vec<(usize, u64)> = summary.siblings.iter().map(|(&k, &v)| (k, v)).collect();
    let max_versions = counts.last()?.0;
    let total: u64 = counts.iter().map(|c| c.1).sum();
    let max_gets = counts.iter().map(|c| c.1).max().unwrap_or(1).max(1);
    let title = "Versions returned by successful gets".to_string();
    // Headroom over the tallest bar for its two lines of label.
    let top = max_gets as f64 * 1.3;
    let svg = render(WIDTH, HEIGHT, |root| {
        let mut chart = builder(root, &title)
            .build_cartesian_2d(-0.5..max_versions as f64 + 0.5, 0.0..top)
            .map_err(failed)?;
        chart
            .configure_mesh()
            .x_desc("versions (siblings) returned")
            .y_desc("gets")
            .x_labels(max_versions + 2)
            .y_labels(whole_labels(top))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| number_label(*y, 0))
            .axis_desc_style((FONT, super::AXIS_SIZE))
            .label_style((FONT, LABEL_SIZE))
            .disable_x_mesh()
            .draw()
            .map_err(failed)?;
        chart
            .draw_series(counts.iter().map(|&(k, n)| {
                let x = k as f64;
                Rectangle::new([(x - 0.35, 0.0), (x + 0.35, n as f64)], BLUE.filled())
            }))
            .map_err(failed)?
            .label(format!("ok gets ({total})"))
            .legend(|(x, y)| Rectangle::new([(x, y - 8), (x + 24, y + 8)], BLUE.filled()));
        // Centred over its bar, the count above its share: side by side
        // on one line, the labels of neighbouring bars ran into each other
        // once there were seven or so. Past a dozen bars even the share
        // does not fit, and the count alone is written.
        let centred = || {
            TextStyle::from((FONT, LABEL_SIZE).into_font())
                .pos(Pos::new(HPos::Center, VPos::Bottom))
        };
        let line = top * 0.075;
        let gap = top * 0.01;
        let with_share = counts.len() <= 12;
        chart
            .draw_series(counts.iter().map(|&(k, n)| {
                let above = if with_share { line } else { 0.0 };
                Text::new(n.to_string(), (k as f64, n as f64 + gap + above), centred())
            }))
            .map_err(failed)?;
        if with_share {
            chart
                .draw_series(counts.iter().map(|&(k, n)| {
                    let share = 100.0 * n as f64 / total.max(1) as f64;
                    Text::new(
                        format!("{share:.1}%"),
                        (k as f64, n as f64 + gap),
                        centred(),
                    )
                }))
                .map_err(failed)?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    });
    named("versions", title, svg)
}
