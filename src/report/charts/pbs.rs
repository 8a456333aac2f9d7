//! `pbs.svg`, a sweep's PBS plot (Bailis et al., "Probabilistically
//! Bounded Staleness", VLDB 2012): P(consistent read) against the time
//! since the latest acknowledged put, one line per `--set` combination,
//! from `aggregate.json`'s `staleness_curve`. The x axis is the fixed
//! buckets of [`crate::sweep::pbs`], each the same width, so it reads as a
//! log axis (edges 1, 2, 5 per decade) that still shows the bucket from 0
//! and the open one above the last edge. Drawn from the aggregate alone,
//! so a merged sweep draws the same bytes as the unsharded one.

use super::sweep::combination_label;
use super::{BLUE, GREEN, GREY, ORANGE, PURPLE, SKY, VERMILION, WIDTH};
use super::{
    LINE_PAD_PX, builder_for, failed, legend_at, legend_spot, line_swatch, plot_size, render,
};
use crate::sweep::aggregate::{Aggregate, Combination};
use crate::sweep::pbs::{BUCKETS, EDGES_MS};
use plotters::prelude::*;

const HEIGHT: u32 = 560;

/// Colours in turn, the Okabe-Ito set the other charts use.
const COLORS: [RGBColor; 7] = [BLUE, VERMILION, GREEN, ORANGE, PURPLE, SKY, GREY];

/// One combination's line: its legend and `(bucket, p)` points.
struct Line {
    label: String,
    points: Vec<(f64, f64)>,
}

/// The x tick at slot boundary `i`: the bucket edge, `∞` past the last.
fn edge_label(i: usize) -> String {
    EDGES_MS.get(i).map_or("∞".to_string(), |ms| ms.to_string())
}

/// The combination's `--set` values that differ between combinations, as
/// `r=1 w=2`: a key with one value (`--set duration=1s`) names no line
/// apart. All of them when none differ.
fn distinct_label(c: &Combination, all: &[Combination]) -> String {
    let varies = |key: &str| {
        let value_of = |other: &Combination| {
            (other.set.0.iter())
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        all.iter().any(|other| value_of(other) != value_of(c))
    };
    let parts: Vec<String> = (c.set.0.iter())
        .filter(|(k, _)| varies(k))
        .map(|(k, v)| format!("{}={v}", k.rsplit('.').next().unwrap_or(k)))
        .collect();
    match parts.is_empty() {
        true => combination_label(c),
        false => parts.join(" "),
    }
}

/// The sweep's PBS chart; `None` when no run counted a get.
pub fn pbs_svg(aggregate: &Aggregate) -> Option<String> {
    let all = &aggregate.combinations;
    let lines: Vec<Line> = all
        .iter()
        .filter_map(|c| {
            let gets: u64 = c.staleness_curve.iter().map(|p| p.3).sum();
            let points: Vec<(f64, f64)> = c
                .staleness_curve
                .iter()
                .enumerate()
                .filter_map(|(i, &(_, _, p, _))| p.map(|p| (i as f64 + 0.5, p)))
                .collect();
            (!points.is_empty()).then(|| Line {
                label: format!("{} ({gets} gets)", distinct_label(c, all)),
                points,
            })
        })
        .collect();
    if lines.is_empty() {
        return None;
    }
    let lowest = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(1.0f64, f64::min);
    // Zoom to the lowest point in steps of 0.05: the differences near 1
    // are the interesting ones.
    let y = (
        (((lowest - 0.02) * 20.0).floor() / 20.0).clamp(0.0, 0.95),
        1.01,
    );
    let x_span = BUCKETS as f64;
    let spot = legend_spot(
        lines.iter().map(|l| {
            l.points
                .iter()
                .map(|&(x, p)| (x / x_span, (p - y.0) / (y.1 - y.0)))
        }),
        lines.iter().map(|l| l.label.as_str()),
        plot_size(WIDTH, HEIGHT),
        LINE_PAD_PX,
    );
    let title = format!(
        "PBS: P(consistent read) against time since commit, {} runs",
        aggregate.runs
    );
    render(WIDTH + spot.band_px(), HEIGHT, |root| {
        let mut chart = builder_for(root, &title, &spot)
            .build_cartesian_2d(0.0..x_span, y.0..y.1)
            .map_err(failed)?;
        chart
            .configure_mesh()
            .x_desc("time from the put's acknowledgement to the get (ms, log buckets)")
            .y_desc("P(consistent read)")
            .x_labels(BUCKETS + 1)
            .x_label_formatter(&|x| {
                let i = x.round();
                match (x - i).abs() < 1e-6 && i >= 0.0 {
                    true => edge_label(i as usize),
                    false => String::new(),
                }
            })
            .y_label_formatter(&|v| format!("{v:.2}"))
            .axis_desc_style((super::FONT, super::AXIS_SIZE))
            .label_style((super::FONT, super::LABEL_SIZE))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(210, 210, 210))
            .draw()
            .map_err(failed)?;
        for (i, line) in lines.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            chart
                .draw_series(LineSeries::new(
                    line.points.iter().copied(),
                    color.stroke_width(3),
                ))
                .map_err(failed)?
                .label(line.label.as_str())
                .legend(line_swatch(color, 3));
            chart
                .draw_series(
                    line.points
                        .iter()
                        .map(|&p| Circle::new(p, 5, color.filled())),
                )
                .map_err(failed)?;
        }
        legend_at(&mut chart, &spot)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::aggregate::Ordered;

    fn combination(r: &str, curve: Vec<crate::sweep::pbs::CurvePoint>) -> Combination {
        Combination {
            set: Ordered(vec![
                ("duration".to_string(), "1s".to_string()),
                ("replication.r".to_string(), r.to_string()),
            ]),
            runs: 1,
            held: 1,
            figures: Ordered(Vec::new()),
            staleness_curve: curve,
        }
    }

    #[test]
    fn a_line_per_combination_with_gets_and_none_without() {
        let with = combination(
            "1",
            vec![(0, Some(1), Some(0.8), 10), (1, Some(2), None, 0)],
        );
        let without = combination("2", vec![(0, Some(1), None, 0)]);
        let aggregate = Aggregate {
            runs: 2,
            held: 2,
            combinations: vec![with, without],
        };
        let svg = pbs_svg(&aggregate).expect("drawn");
        let doc = roxmltree::Document::parse(&svg).expect("the SVG parses");
        let texts: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        assert!(texts.contains(&"r=1 (10 gets)"), "{texts:?}");
        assert!(!svg.contains("r=2"));
        assert_eq!(pbs_svg(&aggregate), Some(svg), "same bytes each time");
        let empty = Aggregate {
            runs: 1,
            held: 1,
            combinations: vec![combination("2", vec![(0, Some(1), None, 0)])],
        };
        assert_eq!(pbs_svg(&empty), None);
    }

    #[test]
    fn a_legend_names_only_the_values_that_differ() {
        let all = [combination("1", Vec::new()), combination("2", Vec::new())];
        assert_eq!(distinct_label(&all[1], &all), "r=2");
        assert_eq!(distinct_label(&all[0], &all[..1]), "duration=1s r=1");
    }
}
