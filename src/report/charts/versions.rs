//! `versions`: how many versions (siblings) successful gets returned, the
//! paper's §6.3 table as bars: one bar per count, its number and share of
//! gets written above it, since the bars of rare counts are too short to
//! see.
//! Counts from [`TAIL_FROM`] up share one last bar, `≥ 20`: under DVV
//! without a cap a run returns hundreds of distinct counts, and a bar
//! each is a comb no one can read.
//! Skipped when no get succeeded.

use super::{
    BLUE, FONT, HEIGHT, LABEL_SIZE, WIDTH, builder, failed, legend, named, number_label, render,
    whole_labels,
};
use crate::report::Summary;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The first count that goes into the tail bar.
pub const TAIL_FROM: usize = 20;

/// `(bar position, gets)`: each count below [`TAIL_FROM`] at its own
/// position, every count from it up summed into one bar at `TAIL_FROM`;
/// and the largest count in that bar, if any.
pub fn bars(
    siblings: &std::collections::BTreeMap<usize, u64>,
) -> (Vec<(usize, u64)>, Option<usize>) {
    let mut bars: Vec<(usize, u64)> = siblings.range(..TAIL_FROM).map(|(&k, &v)| (k, v)).collect();
    let tail: u64 = siblings.range(TAIL_FROM..).map(|(_, &v)| v).sum();
    let largest = siblings.range(TAIL_FROM..).next_back().map(|(&k, _)| k);
    if largest.is_some() {
        bars.push((TAIL_FROM, tail));
    }
    (bars, largest)
}

pub(super) fn chart(summary: &Summary) -> Option<super::Chart> {
    let (counts, tail_up_to) = bars(&summary.siblings);
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
            .x_desc(match tail_up_to {
                Some(up_to) => {
                    format!("versions (siblings) returned; the last bar: {TAIL_FROM} to {up_to}")
                }
                None => "versions (siblings) returned".to_string(),
            })
            .y_desc("gets")
            .x_labels(max_versions + 2)
            .y_labels(whole_labels(top))
            .x_label_formatter(&|x| match tail_up_to {
                Some(_) if x.round() as usize == TAIL_FROM => format!("≥{TAIL_FROM}"),
                _ => format!("{x:.0}"),
            })
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

#[cfg(test)]
mod tests {
    use super::{TAIL_FROM, bars};
    use std::collections::BTreeMap;

    #[test]
    fn hundreds_of_counts_become_twenty_bars_and_a_tail() {
        let siblings: BTreeMap<usize, u64> = (1..=300).map(|k| (k, 2)).collect();
        let (bars, largest) = bars(&siblings);
        assert_eq!(bars.len(), TAIL_FROM);
        assert_eq!(
            bars.last(),
            Some(&(TAIL_FROM, 2 * (300 - TAIL_FROM as u64 + 1)))
        );
        assert_eq!(largest, Some(300));
        let few: BTreeMap<usize, u64> = [(1, 9), (3, 1)].into();
        assert_eq!(
            bars_of(&few),
            (vec![(1, 9), (3, 1)], None),
            "no tail, no change"
        );
    }

    fn bars_of(s: &BTreeMap<usize, u64>) -> (Vec<(usize, u64)>, Option<usize>) {
        bars(s)
    }
}
