//! `aggregate.svg`, a sweep's picture: one point per `--set` combination,
//! in grid order, its values on the x axis. Above, shares across the
//! seeds: availability and the share of gets that saw the latest
//! acknowledged put (PBS's P(consistent), means), runs whose replicas
//! converged and runs that held every expectation; below, the mean lost acknowledged writes
//! and stale reads per run. Drawn from `aggregate.json`'s numbers alone,
//! so a merged sweep draws the same bytes as the unsharded one.

use super::{
    BLUE, DrawResult, GREEN, ORANGE, PURPLE, SKY, VERMILION, WIDTH, builder_for, failed, legend_at,
    legend_size, legend_spot, line_swatch, padded, plot_size, render,
};
use crate::sweep::aggregate::{Aggregate, Combination};
use plotters::coord::Shift;
use plotters::prelude::*;

/// A series: legend, colour, and per combination its value, if any.
struct Series {
    label: &'static str,
    color: RGBColor,
    values: Vec<Option<f64>>,
}

fn figure_mean(c: &Combination, name: &str) -> Option<f64> {
    c.figures
        .0
        .iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, s)| s.mean)
}

/// The combination's `--set` values, as `r=1 w=2` (the last part of each
/// dotted key); `all runs` without `--set`.
pub(crate) fn combination_label(c: &Combination) -> String {
    if c.set.0.is_empty() {
        return "all runs".to_string();
    }
    c.set
        .0
        .iter()
        .map(|(k, v)| format!("{}={v}", k.rsplit('.').next().unwrap_or(k)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The sweep's chart; `None` for a sweep with no run.
pub fn aggregate_svg(aggregate: &Aggregate) -> Option<String> {
    let combos = &aggregate.combinations;
    if combos.is_empty() {
        return None;
    }
    let shares = vec![
        Series {
            label: "availability (mean)",
            color: BLUE,
            values: combos
                .iter()
                .map(|c| figure_mean(c, "availability"))
                .collect(),
        },
        Series {
            label: "P(consistent read) (mean)",
            color: ORANGE,
            values: combos
                .iter()
                .map(|c| figure_mean(c, "p_consistent"))
                .collect(),
        },
        Series {
            label: "runs converged",
            color: GREEN,
            values: combos.iter().map(|c| figure_mean(c, "converged")).collect(),
        },
        Series {
            label: "runs that held every expectation",
            color: PURPLE,
            values: combos
                .iter()
                .map(|c| (c.runs > 0).then(|| c.held as f64 / c.runs as f64))
                .collect(),
        },
    ];
    let anomalies = vec![
        Series {
            label: "lost acknowledged writes (mean per run)",
            color: VERMILION,
            values: combos
                .iter()
                .map(|c| figure_mean(c, "lost_acked_writes"))
                .collect(),
        },
        Series {
            label: "stale reads (mean per run)",
            color: SKY,
            values: combos
                .iter()
                .map(|c| figure_mean(c, "stale_reads"))
                .collect(),
        },
    ];
    let labels: Vec<String> = combos.iter().map(combination_label).collect();
    let runs = aggregate.runs;
    render(WIDTH, 840, |root| {
        let (top, bottom) = root.split_vertically(420);
        let title = format!("Sweep: {runs} runs by --set combination");
        // Shares near 1 are the interesting ones: zoom to the lowest, in
        // steps of 0.05.
        let lowest = shares
            .iter()
            .flat_map(|s| s.values.iter().flatten())
            .fold(1.0f64, |a, &b| a.min(b));
        let floor = (((lowest - 0.02) * 20.0).floor() / 20.0).clamp(0.0, 0.95);
        panel(&top, &title, "share", &shares, &labels, Some((floor, 1.01)))?;
        panel(
            &bottom,
            "Anomalies by --set combination",
            "count per run",
            &anomalies,
            &labels,
            None,
        )
    })
}

/// How many series drawn after series `i` lie exactly on it: it is drawn
/// that much wider, so each shows as a band around the next rather than
/// vanishing under it.
fn covered_by(series: &[Series], i: usize) -> u32 {
    series[i + 1..]
        .iter()
        .filter(|later| later.values == series[i].values)
        .count() as u32
}

fn panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    y_desc: &str,
    series: &[Series],
    labels: &[String],
    y_fixed: Option<(f64, f64)>,
) -> DrawResult {
    let count = labels.len();
    let y = y_fixed.unwrap_or_else(|| {
        let max = series
            .iter()
            .flat_map(|s| s.values.iter().flatten())
            .fold(0.0f64, |a, &b| a.max(b));
        (0.0, padded(0.0, max.max(1.0)).1)
    });
    // Headroom above the data as tall as the legend, so an upper corner
    // always has room for it (lines near the top filled every corner).
    let (w, h) = area.dim_in_pixel();
    let plot = plot_size(w, h);
    let (_, legend_h) = legend_size(series.iter().map(|s| s.label), plot);
    let legend_h = legend_h.min(0.6);
    let data_top = y.1;
    let y = (y.0, y.1 + (y.1 - y.0) * legend_h / (1.0 - legend_h));
    // A series is a line through the points it has; the widest is drawn
    // with dots of 6 px and 4 more for each series lying on it.
    let widest = (0..series.len()).map(|i| covered_by(series, i)).max();
    let pad_px = f64::from(6 + 4 * widest.unwrap_or(0));
    let lines = series.iter().map(|s| {
        s.values.iter().enumerate().filter_map(|(i, v)| {
            v.map(|v| ((i as f64 + 0.5) / count as f64, (v - y.0) / (y.1 - y.0)))
        })
    });
    let spot = legend_spot(lines, series.iter().map(|s| s.label), plot, pad_px);
    let mut chart = builder_for(area, title, &spot)
        .build_cartesian_2d(-0.5..count as f64 - 0.5, y.0..y.1)
        .map_err(failed)?;
    let label_every = count.div_ceil(12).max(1);
    let decimals = match y.1 - y.0 {
        span if span > 20.0 => 0,
        span if span > 0.5 => 1,
        _ => 2,
    };
    chart
        .configure_mesh()
        .x_desc("--set values")
        .y_desc(y_desc)
        .x_labels(count.min(12) + 1)
        .x_label_formatter(&|x| {
            let i = x.round();
            let inside = (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < count;
            match inside && (i as usize) % label_every == 0 {
                true => labels[i as usize].clone(),
                false => String::new(),
            }
        })
        // The headroom is the legend's: no share above 1 is labelled.
        .y_label_formatter(&|v| match *v <= data_top + 1e-9 {
            true => format!("{v:.decimals$}"),
            false => String::new(),
        })
        .axis_desc_style((super::FONT, super::AXIS_SIZE))
        .label_style((super::FONT, super::LABEL_SIZE))
        .disable_x_mesh()
        .draw()
        .map_err(failed)?;
    for (i, s) in series.iter().enumerate() {
        let points: Vec<(f64, f64)> = s
            .values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (i as f64, v)))
            .collect();
        if points.is_empty() {
            continue;
        }
        let covered_by = covered_by(series, i);
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                s.color.stroke_width(3 + 4 * covered_by),
            ))
            .map_err(failed)?
            .label(s.label)
            .legend(line_swatch(s.color, 3));
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, 6 + 4 * covered_by as i32, s.color.filled())),
            )
            .map_err(failed)?;
    }
    legend_at(&mut chart, &spot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_that_later_ones_lie_on_is_drawn_wider() {
        let series = |values: &[f64]| Series {
            label: "s",
            color: BLUE,
            values: values.iter().map(|&v| Some(v)).collect(),
        };
        let all = [
            series(&[1.0, 1.0]),
            series(&[0.9, 0.8]),
            series(&[1.0, 1.0]),
            series(&[1.0, 1.0]),
        ];
        let widths: Vec<u32> = (0..all.len()).map(|i| covered_by(&all, i)).collect();
        assert_eq!(widths, [2, 0, 1, 0]);
    }
}
