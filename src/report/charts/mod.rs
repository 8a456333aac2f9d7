//! The charts a run writes beside `summary.json`, drawn with `plotters`
//! into SVG strings: latency over time and its CDF, divergence and
//! membership views over time, the staleness (PBS) curve, the sibling
//! distribution, the ring's key-space shares and the Merkle exchanges'
//! cost. `report.html` inlines the same strings, so each is a standalone
//! `<svg>` of a fixed size with fonts big enough for a projector.
//!
//! Every time axis shades the run's fault windows ([`faults`]), so a
//! reader sees what a partition or crash did to each figure. A chart whose
//! data is absent (no gets, gossip off, anti-entropy off) is left out
//! rather than drawn empty.
//!
//! Only the run's results are read; the SVG text depends on nothing else
//! (no clock, no system fonts: plotters' naive font metrics), so the same
//! scenario and seed give the same bytes.

pub mod faults;
mod latency;
mod merkle;
pub mod pbs;
mod progress;
pub mod ring;
mod staleness;
pub mod sweep;
mod versions;

use crate::report::Summary;
use crate::run::RunOutput;
use crate::scenario::Scenario;
use faults::FaultWindow;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::path::Path;

/// One chart: `<name>.svg` in the report folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chart {
    /// The file stem, as `latency`.
    pub name: &'static str,
    pub title: String,
    /// A standalone `<svg>` document.
    pub svg: String,
}

/// Every chart the run's data supports, in a fixed order.
pub fn run_charts(scenario: &Scenario, output: &RunOutput, summary: &Summary) -> Vec<Chart> {
    let windows = faults::windows(
        &output.faults,
        &output.lifecycle,
        (scenario.cluster.nodes, scenario.total_nodes()),
        scenario.end(),
    );
    let time = TimeAxis {
        end_s: scenario.end().as_secs_f64(),
        windows: &windows,
    };
    let charts = [
        latency::over_time(output, &time),
        latency::cdf(output),
        progress::divergence(output, summary, &time),
        staleness::chart(summary),
        versions::chart(summary),
        ring::scenario_shares(scenario),
        merkle::chart(output),
    ];
    charts.into_iter().flatten().collect()
}

/// Writes each chart as `<name>.svg` in `dir`.
pub fn write(charts: &[Chart], dir: &Path) -> std::io::Result<()> {
    for chart in charts {
        std::fs::write(dir.join(format!("{}.svg", chart.name)), &chart.svg)?;
    }
    Ok(())
}

/// The run's time axis: its length and the fault windows to shade.
pub(crate) struct TimeAxis<'a> {
    pub end_s: f64,
    pub windows: &'a [FaultWindow],
}

/// Chart size: wide enough for a slide, the fonts below readable from the
/// back of a room.
pub(crate) const WIDTH: u32 = 960;
pub(crate) const HEIGHT: u32 = 480;
pub(crate) const FONT: &str = "sans-serif";
pub(crate) const TITLE_SIZE: u32 = 34;
pub(crate) const AXIS_SIZE: u32 = 27;
pub(crate) const LABEL_SIZE: u32 = 22;
pub(crate) const LEGEND_SIZE: u32 = 22;

/// Series colours, distinguishable for most colour-blind readers (Okabe
/// and Ito's palette).
pub(crate) const BLUE: RGBColor = RGBColor(0, 114, 178);
pub(crate) const SKY: RGBColor = RGBColor(86, 180, 233);
pub(crate) const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub(crate) const VERMILION: RGBColor = RGBColor(213, 94, 0);
pub(crate) const GREEN: RGBColor = RGBColor(0, 158, 115);
pub(crate) const PURPLE: RGBColor = RGBColor(204, 121, 167);
pub(crate) const GREY: RGBColor = RGBColor(90, 90, 90);

/// A drawing failure, as text (plotters' errors carry the backend's).
pub(crate) type DrawResult = Result<(), String>;

pub(crate) fn failed<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws into a `width` × `height` SVG; `None` if plotters failed, which a
/// chart of checked data does not (the tests draw every chart).
pub(crate) fn render(
    width: u32,
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult,
) -> Option<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        draw(&root).ok()?;
        root.present().ok()?;
    }
    Some(svg)
}

/// A chart of one title and SVG, named.
pub(crate) fn named(name: &'static str, title: String, svg: Option<String>) -> Option<Chart> {
    svg.map(|svg| Chart { name, title, svg })
}

/// Mesh lines and labels for plain number axes, with labels to the decimals given
/// (counts read `3`, not `3.0`).
pub(crate) fn number_mesh<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    (x_desc, x_decimals): (&str, usize),
    (y_desc, y_decimals): (&str, usize),
) -> DrawResult {
    let y_span = chart.y_range().end - chart.y_range().start;
    let y_labels = match y_decimals {
        0 => whole_labels(y_span),
        _ => 10,
    };
    labelled_mesh(
        chart,
        (x_desc, y_desc),
        (&|v| number_label(*v, x_decimals), &|v| {
            number_label(*v, y_decimals)
        }),
        Some(y_labels),
    )
}

/// Writes an axis's tick label.
pub(crate) type Labeler<'a> = &'a dyn Fn(&f64) -> String;

/// Mesh lines, axis descriptions and tick labels in every chart's style;
/// `y_labels`, if given, is how many y labels to aim for.
pub(crate) fn labelled_mesh<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    (x_desc, y_desc): (&str, &str),
    (x_label, y_label): (Labeler<'_>, Labeler<'_>),
    y_labels: Option<usize>,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut mesh = chart.configure_mesh();
    if let Some(n) = y_labels {
        mesh.y_labels(n);
    }
    mesh.x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(x_label)
        .y_label_formatter(y_label)
        .axis_desc_style((FONT, AXIS_SIZE))
        .label_style((FONT, LABEL_SIZE))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(210, 210, 210))
        .draw()
        .map_err(failed)
}

/// How many labels a whole-number axis `span` long asks for: no more than
/// the whole numbers on it, so none is written twice.
pub(crate) fn whole_labels(span: f64) -> usize {
    (span.floor() as usize + 1).clamp(2, 10)
}

/// An axis label to `decimals` places; on a whole-number axis (0 places)
/// only whole numbers are labelled, and never as `-0`.
fn number_label(v: f64, decimals: usize) -> String {
    if decimals == 0 && (v - v.round()).abs() > 1e-9 {
        return String::new();
    }
    let v = if v.abs() < 1e-9 { 0.0 } else { v };
    format!("{v:.decimals$}")
}

/// Draws the legend of the series labelled so far.
pub(crate) fn legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    CT: plotters::coord::CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, LEGEND_SIZE))
        .background_style(WHITE.mix(0.85))
        .border_style(GREY)
        .margin(10)
        .draw()
        .map_err(failed)
}

/// The corner of the plot where a legend of `labels` covers the fewest of
/// `points`, given as fractions of the plot's width and height from its
/// lower left (so a log axis passes log-scaled fractions). Ties go to the
/// upper right, then upper left, lower right, lower left.
pub(crate) fn quiet_corner<'a>(
    points: impl Iterator<Item = (f64, f64)>,
    labels: impl Iterator<Item = &'a str>,
    plot: (u32, u32),
) -> SeriesLabelPosition {
    let (width, height) = legend_size(labels, plot);
    let corners = [
        (SeriesLabelPosition::UpperRight, (1.0 - width, 1.0 - height)),
        (SeriesLabelPosition::UpperLeft, (0.0, 1.0 - height)),
        (SeriesLabelPosition::LowerRight, (1.0 - width, 0.0)),
        (SeriesLabelPosition::LowerLeft, (0.0, 0.0)),
    ];
    let mut covered = [0usize; 4];
    for (x, y) in points {
        for (i, (_, (left, bottom))) in corners.iter().enumerate() {
            if x >= *left && x <= left + width && y >= *bottom && y <= bottom + height {
                covered[i] += 1;
            }
        }
    }
    let best = (0..4).min_by_key(|&i| covered[i]).unwrap_or(0);
    corners[best].0.clone()
}

/// A legend's width and height as fractions of the plot's, as plotters
/// lays it out: a row a line of legend text, a swatch and margins beside
/// the longest label.
pub(crate) fn legend_size<'a>(
    labels: impl Iterator<Item = &'a str>,
    plot: (u32, u32),
) -> (f64, f64) {
    let (mut entries, mut longest) = (0usize, 0usize);
    for label in labels {
        entries += 1;
        longest = longest.max(label.chars().count());
    }
    let char_px = f64::from(LEGEND_SIZE) / 1.24 * 0.55;
    let width = (longest as f64 * char_px + 70.0) / f64::from(plot.0);
    let height = (entries as f64 * f64::from(LEGEND_SIZE) * 1.25 + 24.0) / f64::from(plot.1);
    (width, height)
}

/// The plot's size inside a `width` × `height` chart drawn by [`builder`].
pub(crate) fn plot_size(width: u32, height: u32) -> (u32, u32) {
    (width - 90 - 14 - 28, height - 60 - 14 * 2 - TITLE_SIZE)
}

/// A chart area with the common title, margins and label areas.
pub(crate) fn builder<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(area);
    b.caption(title, (FONT, TITLE_SIZE))
        .margin(14)
        .margin_right(28)
        .x_label_area_size(60)
        .y_label_area_size(90);
    b
}

/// A legend swatch for a line series.
pub(crate) fn line_swatch(
    color: RGBColor,
    width: u32,
) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(width))
}

/// `(lo, hi)` padded so a flat or single-valued series still has room.
pub(crate) fn padded(lo: f64, hi: f64) -> (f64, f64) {
    if hi > lo {
        let pad = (hi - lo) * 0.05;
        (lo - pad, hi + pad)
    } else {
        (lo - 1.0, hi + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_number_axes_label_whole_numbers_only() {
        assert_eq!(number_label(-0.2, 0), "");
        assert_eq!(number_label(-1e-12, 0), "0");
        assert_eq!(number_label(3.0, 0), "3");
        assert_eq!(number_label(0.25, 2), "0.25");
    }

    #[test]
    fn the_legend_goes_where_it_hides_the_fewest_points() {
        let plot = plot_size(WIDTH, HEIGHT);
        let labels = ["get p50", "put p50"];
        let top_right = (0..50).map(|i| (0.7 + f64::from(i) / 200.0, 0.95));
        assert_eq!(
            quiet_corner(top_right, labels.into_iter(), plot),
            SeriesLabelPosition::UpperLeft
        );
        let along_the_top = (0..100).map(|i| (f64::from(i) / 100.0, 0.95));
        assert_eq!(
            quiet_corner(along_the_top, labels.into_iter(), plot),
            SeriesLabelPosition::LowerRight
        );
        assert_eq!(
            quiet_corner(std::iter::empty(), labels.into_iter(), plot),
            SeriesLabelPosition::UpperRight,
            "nothing to hide: the usual place"
        );
    }
}
