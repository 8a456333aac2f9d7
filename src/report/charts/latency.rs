//! Latency charts: get and put p50, p99 and p99.9 over time (operations
//! bucketed by completion time), and the latency CDF. Only successful
//! operations count, as in `summary.json`'s `latency_ms`. Latency spans
//! orders of magnitude (a 1 ms quorum, a 500 ms timeout), so both use a
//! logarithmic latency axis.

use super::{
    BLUE, DrawResult, HEIGHT, LINE_PAD_PX, ORANGE, SKY, TimeAxis, VERMILION, WIDTH, builder_for,
    failed, faults, labelled_mesh, legend_at, legend_spot, line_swatch, named, plot_size, render,
};
use crate::actor::OpKind;
use crate::run::RunOutput;
use crate::time::SimTime;
use plotters::prelude::*;

/// About this many time buckets across the run.
const BUCKETS: u64 = 60;
/// The CDF keeps at most this many points a series.
const CDF_POINTS: usize = 400;
/// Lines with fewer points get a marker at each.
const SPARSE: usize = 30;
/// The floor of the log axis, in ms: a latency of 0 is drawn here.
const FLOOR_MS: f64 = 0.01;

/// `(completed at, latency)` of every ok op of `kind`, in ms and seconds.
fn latencies(output: &RunOutput, kind: OpKind) -> Vec<(SimTime, f64)> {
    output
        .history
        .ops()
        .iter()
        .filter(|op| op.kind == kind && op.is_ok())
        .filter_map(|op| {
            let done = op.completed_at?;
            Some((done, (done - op.invoked_at).as_millis_f64().max(FLOOR_MS)))
        })
        .collect()
}

/// The nearest-rank quantile of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A bucket width near `end / BUCKETS`, rounded to 1, 2 or 5 times a power
/// of ten milliseconds.
fn bucket_width(end: SimTime) -> SimTime {
    let target = (end.0 / BUCKETS).max(SimTime::MS);
    let mut unit = SimTime::MS;
    loop {
        for step in [1, 2, 5] {
            if unit * step >= target {
                return SimTime(unit * step);
            }
        }
        unit *= 10;
    }
}

const QUANTILES: [(f64, &str, u32); 3] = [(0.5, "p50", 2), (0.99, "p99", 3), (0.999, "p99.9", 2)];

/// One line: its legend, colour, width and `(seconds, ms)` points.
struct Line {
    label: String,
    color: RGBColor,
    width: u32,
    dashed: bool,
    points: Vec<(f64, f64)>,
}

/// Per bucket of completion time with ops, each quantile of their latency.
fn quantile_lines(
    ops: &[(SimTime, f64)],
    width: SimTime,
    kind: &str,
    colors: [RGBColor; 3],
) -> Vec<Line> {
    let mut buckets: std::collections::BTreeMap<u64, Vec<f64>> = Default::default();
    for &(done, ms) in ops {
        buckets.entry(done.0 / width.0).or_default().push(ms);
    }
    QUANTILES
        .iter()
        .zip(colors)
        .map(|(&(q, name, line_width), color)| Line {
            label: format!("{kind} {name}"),
            color,
            width: line_width,
            dashed: q > 0.99,
            points: buckets
                .iter_mut()
                .map(|(&b, values)| {
                    values.sort_by(f64::total_cmp);
                    let mid = SimTime(b * width.0 + width.0 / 2).as_secs_f64();
                    (mid, quantile(values, q))
                })
                .collect(),
        })
        .collect()
}

/// The log range covering every point, widened to whole decades so the
/// axis labels at least two powers of ten.
fn log_range(lines: &[Line]) -> (f64, f64) {
    let values = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1));
    let lo = values.clone().fold(f64::INFINITY, f64::min);
    let hi = values.fold(0.0, f64::max);
    decades(lo, hi)
}

fn decades(lo: f64, hi: f64) -> (f64, f64) {
    let lo = 10f64.powf(lo.max(FLOOR_MS).log10().floor());
    let hi = 10f64.powf(hi.max(FLOOR_MS).log10().ceil());
    (lo, if hi > lo { hi } else { lo * 10.0 })
}

/// A log axis's tick label: powers of ten always, 2 and 5 between them
/// too when the axis spans no more than two decades, nothing on the other
/// ticks (their grid lines stay), so labels never crowd. Numbers print as
/// briefly as they are exact: `1`, `20`, `0.05`.
fn log_label(value: f64, (lo, hi): (f64, f64)) -> String {
    if value <= 0.0 {
        return String::new();
    }
    let exponent = value.log10().floor();
    let mantissa = value / 10f64.powf(exponent);
    let near = |m: f64| (mantissa - m).abs() < 1e-6 || (mantissa - 10.0 * m).abs() < 1e-5;
    let few_decades = (hi / lo).log10() <= 2.0 + 1e-9;
    if !(near(1.0) || few_decades && (near(2.0) || near(5.0))) {
        return String::new();
    }
    let decimals = (-exponent).max(0.0) as usize;
    format!("{value:.decimals$}")
}

/// A linear axis's tick label, to one decimal.
fn linear_label(value: &f64) -> String {
    format!("{value:.1}")
}

fn draw_line<'a, DB, CT>(chart: &mut ChartContext<'a, DB, CT>, line: &Line) -> DrawResult
where
    DB: DrawingBackend + 'a,
    CT: plotters::coord::CoordTranslate<From = (f64, f64)>,
{
    let style = line.color.stroke_width(line.width);
    let series = if line.dashed {
        chart
            .draw_series(DashedLineSeries::new(
                line.points.iter().copied(),
                8,
                5,
                style,
            ))
            .map_err(failed)?
    } else {
        chart
            .draw_series(LineSeries::new(line.points.iter().copied(), style))
            .map_err(failed)?
    };
    series
        .label(line.label.clone())
        .legend(line_swatch(line.color, line.width));
    // A sparse line (a few scripted ops) could be a lone point, which a
    // line alone does not show.
    if line.points.len() < SPARSE {
        chart
            .draw_series(
                line.points
                    .iter()
                    .map(|&p| Circle::new(p, line.width + 2, line.color.filled())),
            )
            .map_err(failed)?;
    }
    Ok(())
}

/// `latency`: the quantiles over time, faults shaded.
pub(super) fn over_time(output: &RunOutput, time: &TimeAxis<'_>) -> Option<super::Chart> {
    let width = bucket_width(SimTime::from_nanos_f64(time.end_s * 1e9));
    let mut lines = quantile_lines(
        &latencies(output, OpKind::Get),
        width,
        "get",
        [BLUE, BLUE, SKY],
    );
    lines.extend(quantile_lines(
        &latencies(output, OpKind::Put),
        width,
        "put",
        [VERMILION, VERMILION, ORANGE],
    ));
    lines.retain(|l| !l.points.is_empty());
    if lines.is_empty() {
        return None;
    }
    let title = "Latency over time (successful ops)".to_string();
    let y = log_range(&lines);
    let (ly0, ly1) = (y.0.log10(), y.1.log10());
    let spot = legend_spot(
        lines.iter().map(|l| {
            l.points
                .iter()
                .map(move |&(t, v)| (t / time.end_s, (v.log10() - ly0) / (ly1 - ly0)))
        }),
        faults::labels(time.windows)
            .into_iter()
            .chain(lines.iter().map(|l| l.label.as_str())),
        plot_size(WIDTH, HEIGHT),
        LINE_PAD_PX,
    );
    let svg = render(WIDTH + spot.band_px(), HEIGHT, |root| {
        let mut chart = builder_for(root, &title, &spot)
            .build_cartesian_2d(0.0..time.end_s, (y.0..y.1).log_scale())
            .map_err(failed)?;
        labelled_mesh(
            &mut chart,
            (
                &format!(
                    "time (s), ops bucketed by completion every {} ms",
                    width.0 / SimTime::MS
                ),
                "latency (ms, log)",
            ),
            (&linear_label, &|v| log_label(*v, y)),
            None,
        )?;
        faults::shade(&mut chart, time.windows, y, true)?;
        for line in &lines {
            draw_line(&mut chart, line)?;
        }
        legend_at(&mut chart, &spot)
    });
    named("latency", title, svg)
}

/// `latency-cdf`: the share of ok ops at or under each latency.
pub(super) fn cdf(output: &RunOutput) -> Option<super::Chart> {
    let lines: Vec<Line> = [(OpKind::Get, "get", BLUE), (OpKind::Put, "put", VERMILION)]
        .into_iter()
        .filter_map(|(kind, name, color)| {
            let mut ms: Vec<f64> = latencies(output, kind).into_iter().map(|l| l.1).collect();
            if ms.is_empty() {
                return None;
            }
            ms.sort_by(f64::total_cmp);
            let n = ms.len();
            let step = n.div_ceil(CDF_POINTS).max(1);
            let mut points: Vec<(f64, f64)> = (0..n)
                .step_by(step)
                .map(|i| (ms[i], (i + 1) as f64 / n as f64))
                .collect();
            if points.last().is_some_and(|p| p.1 < 1.0) {
                points.push((ms[n - 1], 1.0));
            }
            Some(Line {
                label: format!("{name} ({n} {})", if n == 1 { "op" } else { "ops" }),
                color,
                width: 3,
                dashed: false,
                points,
            })
        })
        .collect();
    if lines.is_empty() {
        return None;
    }
    let lo = lines
        .iter()
        .map(|l| l.points[0].0)
        .fold(f64::INFINITY, f64::min);
    let hi = lines
        .iter()
        .filter_map(|l| l.points.last().map(|p| p.0))
        .fold(0.0, f64::max);
    let x = decades(lo, hi);
    let title = "Latency CDF (successful ops)".to_string();
    let (lx0, lx1) = (x.0.log10(), x.1.log10());
    let spot = legend_spot(
        lines.iter().map(|l| {
            l.points
                .iter()
                .map(move |&(v, share)| ((v.log10() - lx0) / (lx1 - lx0), share / 1.02))
        }),
        lines.iter().map(|l| l.label.as_str()),
        plot_size(WIDTH, HEIGHT),
        LINE_PAD_PX,
    );
    let svg = render(WIDTH + spot.band_px(), HEIGHT, |root| {
        let mut chart = builder_for(root, &title, &spot)
            .build_cartesian_2d((x.0..x.1).log_scale(), 0.0..1.02)
            .map_err(failed)?;
        labelled_mesh(
            &mut chart,
            ("latency (ms, log)", "share of ops at or under"),
            (&|v| log_label(*v, x), &linear_label),
            None,
        )?;
        for line in &lines {
            draw_line(&mut chart, line)?;
        }
        legend_at(&mut chart, &spot)
    });
    named("latency-cdf", title, svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_round_and_quantiles_nearest_rank() {
        assert_eq!(
            bucket_width(SimTime::from_secs(30)),
            SimTime::from_millis(500)
        );
        assert_eq!(bucket_width(SimTime::from_secs(120)), SimTime::from_secs(2));
        assert_eq!(
            bucket_width(SimTime::from_millis(10)),
            SimTime::from_millis(1)
        );
        let v: Vec<f64> = (1..=1000).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 500.0);
        assert_eq!(quantile(&v, 0.999), 999.0);
        assert_eq!(quantile(&[7.0], 0.999), 7.0);
    }

    #[test]
    fn a_log_axis_labels_decades_and_between_them_only_when_short() {
        let labels = |range: (f64, f64), values: &[f64]| -> Vec<String> {
            values.iter().map(|&v| log_label(v, range)).collect()
        };
        assert_eq!(
            labels((1.0, 10.0), &[1.0, 2.0, 3.0, 5.0, 7.0, 10.0]),
            ["1", "2", "", "5", "", "10"]
        );
        assert_eq!(
            labels((0.01, 1000.0), &[0.01, 0.02, 0.1, 5.0, 100.0, 1000.0]),
            ["0.01", "", "0.1", "", "100", "1000"]
        );
        assert_eq!(log_label(0.05, (0.01, 1.0)), "0.05");
        assert_eq!(log_label(0.0, (0.01, 1.0)), "");
    }
}
