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
        &output.network_cuts,
        &output.lifecycle,
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
    Some(move_legends_beside(svg))
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

/// Where a chart's legend goes: in a corner of the plot where it hides no
/// line or point, else (every corner would hide some: nine latency lines
/// and the fault kinds fill a plot) in a band right of the plot, where it
/// hides nothing at all. A chart widens by the band, so its plot keeps
/// its size (a sweep's panels, of a fixed width, give the band up).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum LegendSpot {
    Corner(SeriesLabelPosition),
    /// A band this many pixels wide between the plot and the right margin.
    Beside(u32),
}

impl LegendSpot {
    /// The wider of two panels' spots, for panels that share a time axis:
    /// if either needs a band, both take the widest, so their axes line up.
    pub(crate) fn aligned(a: LegendSpot, b: LegendSpot) -> (LegendSpot, LegendSpot) {
        match (&a, &b) {
            (LegendSpot::Beside(x), LegendSpot::Beside(y)) => {
                let band = (*x).max(*y);
                (LegendSpot::Beside(band), LegendSpot::Beside(band))
            }
            (LegendSpot::Beside(x), _) | (_, LegendSpot::Beside(x)) => {
                (LegendSpot::Beside(*x), LegendSpot::Beside(*x))
            }
            _ => (a, b),
        }
    }

    /// The band's width in pixels: what a chart adds to its width.
    pub(crate) fn band_px(&self) -> u32 {
        match self {
            LegendSpot::Corner(_) => 0,
            LegendSpot::Beside(band) => *band,
        }
    }
}

/// How near a legend may come to a line: the widest stroke (3 px) and
/// the markers on a line's points (up to 5 px across the middle).
pub(crate) const LINE_PAD_PX: f64 = 6.0;

/// Space between the plot and a legend beside it.
const LEGEND_GAP_PX: u32 = 14;

/// Where a legend of `labels` goes on a plot of `plot` pixels showing
/// `shapes`: polylines (a lone point is a polyline of one), each point a
/// fraction of the plot's width and height from its lower left (so a log
/// axis passes log-scaled fractions). A shape counts as hidden when it
/// passes within `pad_px` of the legend's box (its stroke width, its
/// marker's radius). The first free corner of upper right, upper left,
/// lower right and lower left wins; with none free, [`LegendSpot::Beside`].
pub(crate) fn legend_spot<'a, S>(
    shapes: impl IntoIterator<Item = S>,
    labels: impl Iterator<Item = &'a str>,
    plot: (u32, u32),
    pad_px: f64,
) -> LegendSpot
where
    S: IntoIterator<Item = (f64, f64)>,
{
    let (width, height) = legend_size(labels, plot);
    let (plot_w, plot_h) = (f64::from(plot.0), f64::from(plot.1));
    let (w_px, h_px) = (width * plot_w, height * plot_h);
    // Boxes in pixels from the plot's lower left, as plotters lays them
    // out (5 px in from the plot's edges), grown by the pad.
    let inset = 5.0;
    let corner_box = |left: bool, upper: bool| {
        let x0 = if left { inset } else { plot_w - inset - w_px };
        let y0 = if upper { plot_h - inset - h_px } else { inset };
        (
            x0 - pad_px,
            y0 - pad_px,
            x0 + w_px + pad_px,
            y0 + h_px + pad_px,
        )
    };
    let corners = [
        (SeriesLabelPosition::UpperRight, corner_box(false, true)),
        (SeriesLabelPosition::UpperLeft, corner_box(true, true)),
        (SeriesLabelPosition::LowerRight, corner_box(false, false)),
        (SeriesLabelPosition::LowerLeft, corner_box(true, false)),
    ];
    let mut hidden = [false; 4];
    for shape in shapes {
        let mut last: Option<(f64, f64)> = None;
        for (fx, fy) in shape {
            let p = (fx * plot_w, fy * plot_h);
            let from = last.unwrap_or(p);
            for (i, (_, b)) in corners.iter().enumerate() {
                hidden[i] = hidden[i] || segment_meets_box(from, p, *b);
            }
            last = Some(p);
        }
    }
    match (0..4).find(|&i| !hidden[i]) {
        Some(i) => LegendSpot::Corner(corners[i].0.clone()),
        None => LegendSpot::Beside(w_px.ceil() as u32 + LEGEND_GAP_PX),
    }
}

/// Whether the segment from `a` to `b` touches the box `(x0, y0, x1, y1)`
/// (Liang and Barsky's clip: the part of the segment inside each of the
/// box's four half-planes, intersected).
pub(crate) fn segment_meets_box(a: (f64, f64), b: (f64, f64), r: (f64, f64, f64, f64)) -> bool {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - r.0),
        (dx, r.2 - a.0),
        (-dy, a.1 - r.1),
        (dy, r.3 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return false; // parallel to this edge and outside it
            }
            continue;
        }
        let t = q / p;
        if p < 0.0 {
            t0 = t0.max(t);
        } else {
            t1 = t1.min(t);
        }
        if t0 > t1 {
            return false;
        }
    }
    true
}

/// A chart area like [`builder`]'s, with the band a legend beside the
/// plot needs.
pub(crate) fn builder_for<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    spot: &LegendSpot,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = builder(area, title);
    b.margin_right(RIGHT_MARGIN + spot.band_px());
    b
}

/// Draws the legend where [`legend_spot`] put it.
///
/// plotters clips all a chart draws, its legend too, to the plot. So a
/// legend beside the plot is drawn in the plot's upper left corner between
/// two marker texts, and [`render`] turns the markers into an SVG group
/// that moves the legend, as drawn, right by the plot's width and the gap.
pub(crate) fn legend_at<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    spot: &LegendSpot,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    CT: plotters::coord::CoordTranslate,
{
    let corner = match spot {
        LegendSpot::Corner(corner) => return legend(chart, corner.clone()),
        LegendSpot::Beside(_) => SeriesLabelPosition::UpperLeft,
    };
    let area = chart.plotting_area().strip_coord_spec();
    let (plot_w, _) = area.dim_in_pixel();
    // plotters puts an upper left legend 5 px in from the plot's edge.
    let dx = plot_w as i32 - 5 + LEGEND_GAP_PX as i32;
    let marker = |text: String| Text::new(text, (0, 0), (FONT, 1));
    area.draw(&marker(format!("{BESIDE_OPEN}{dx}")))
        .map_err(failed)?;
    legend(chart, corner)?;
    area.draw(&marker(BESIDE_CLOSE.to_string())).map_err(failed)
}

/// The marker texts around a legend drawn beside the plot (see
/// [`legend_at`]); no chart writes such text otherwise.
const BESIDE_OPEN: &str = "dynsim-legend-beside:";
const BESIDE_CLOSE: &str = "dynsim-legend-beside-end";

/// Turns each pair of markers [`legend_at`] drew into a group translated
/// into the band beside the plot. plotters writes a text element on three
/// lines: the tag, the text, the closing tag.
fn move_legends_beside(svg: String) -> String {
    if !svg.contains(BESIDE_OPEN) {
        return svg;
    }
    let lines: Vec<&str> = svg.lines().collect();
    let mut out = String::with_capacity(svg.len());
    let mut i = 0;
    while i < lines.len() {
        let marker = match lines.get(i + 1) {
            Some(next) if lines[i].starts_with("<text") => next.trim(),
            _ => "",
        };
        if let Some(dx) = marker.strip_prefix(BESIDE_OPEN) {
            out.push_str(&format!("<g transform=\"translate({dx},0)\">\n"));
            i += 3;
        } else if marker == BESIDE_CLOSE {
            out.push_str("</g>\n");
            i += 3;
        } else {
            out.push_str(lines[i]);
            out.push('\n');
            i += 1;
        }
    }
    out
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
    (
        width - 90 - 14 - RIGHT_MARGIN,
        height - 60 - 14 * 2 - TITLE_SIZE,
    )
}

/// The chart's right margin, wider than the others so the last x label
/// is not cut off.
const RIGHT_MARGIN: u32 = 28;

/// A chart area with the common title, margins and label areas.
pub(crate) fn builder<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(area);
    b.caption(title, (FONT, TITLE_SIZE))
        .margin(14)
        .margin_right(RIGHT_MARGIN)
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
    fn the_legend_takes_a_corner_that_hides_nothing() {
        let plot = plot_size(WIDTH, HEIGHT);
        let labels = ["get p50", "put p50"];
        let spot =
            |shapes: Vec<Vec<(f64, f64)>>| legend_spot(shapes, labels.into_iter(), plot, 6.0);
        let corner = |c| LegendSpot::Corner(c);
        let top_right = (0..50).map(|i| vec![(0.7 + f64::from(i) / 200.0, 0.95)]);
        assert_eq!(
            spot(top_right.collect()),
            corner(SeriesLabelPosition::UpperLeft)
        );
        let along_the_top = vec![vec![(0.0, 0.95), (1.0, 0.95)]];
        assert_eq!(
            spot(along_the_top),
            corner(SeriesLabelPosition::LowerRight),
            "two points, but the line between them crosses both upper corners"
        );
        assert_eq!(
            spot(Vec::new()),
            corner(SeriesLabelPosition::UpperRight),
            "nothing to hide: the usual place"
        );
    }

    #[test]
    fn with_every_corner_taken_the_legend_goes_beside_the_plot() {
        let plot = plot_size(WIDTH, HEIGHT);
        let labels = ["extra loss", "put p99.9"];
        // A line along the top and one along the bottom: no corner is free.
        let lines = vec![
            vec![(0.0, 0.97), (1.0, 0.97)],
            vec![(0.0, 0.03), (1.0, 0.03)],
        ];
        let spot = legend_spot(lines, labels.into_iter(), plot, 6.0);
        let (width, _) = legend_size(labels.into_iter(), plot);
        let band = (width * f64::from(plot.0)).ceil() as u32 + LEGEND_GAP_PX;
        assert_eq!(spot, LegendSpot::Beside(band));
        assert_eq!(
            LegendSpot::aligned(
                spot.clone(),
                LegendSpot::Corner(SeriesLabelPosition::UpperLeft)
            ),
            (spot.clone(), spot),
            "a panel under it on the same time axis gives up the same band"
        );
    }

    #[test]
    fn a_segment_meets_a_box_when_it_passes_through_or_ends_inside() {
        let b = (10.0, 10.0, 20.0, 20.0);
        assert!(segment_meets_box((0.0, 15.0), (30.0, 15.0), b), "through");
        assert!(
            segment_meets_box((15.0, 15.0), (15.0, 15.0), b),
            "a point inside"
        );
        assert!(segment_meets_box((0.0, 0.0), (30.0, 30.0), b), "diagonally");
        assert!(!segment_meets_box((0.0, 25.0), (30.0, 25.0), b), "above");
        assert!(!segment_meets_box((0.0, 0.0), (9.0, 30.0), b), "left of it");
        assert!(
            !segment_meets_box((0.0, 21.0), (21.0, 42.0), b),
            "past its corner"
        );
    }
}
