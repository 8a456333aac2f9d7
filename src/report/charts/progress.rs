//! `divergence`: how far the replicas and the membership views were from
//! agreeing over the run. The top panel counts divergent keys (the
//! sampler's `divergence`), with the last heal and the moment the replicas
//! agreed for good marked; the bottom panel, drawn only with gossip on,
//! counts up nodes whose membership view differs from the truth. Both
//! share the time axis and its fault shading.

use super::{
    BLUE, DrawResult, GREEN, GREY, HEIGHT, LINE_PAD_PX, LegendSpot, PURPLE, TimeAxis, WIDTH,
    builder_for, failed, faults, legend_at, legend_spot, line_swatch, named, number_mesh, padded,
    plot_size, render,
};
use crate::report::Summary;
use crate::run::RunOutput;
use plotters::coord::Shift;
use plotters::prelude::*;

/// A panel: a title, a y description, the series' legend and colour, and
/// its `(seconds, count)` samples.
struct Panel<'a> {
    title: &'a str,
    y_desc: &'a str,
    label: &'a str,
    color: RGBColor,
    samples: Vec<(f64, f64)>,
}

pub(super) fn divergence(
    output: &RunOutput,
    summary: &Summary,
    time: &TimeAxis<'_>,
) -> Option<super::Chart> {
    if output.divergence.is_empty() {
        return None;
    }
    let keys = Panel {
        title: "Divergent keys over time",
        y_desc: "divergent keys",
        label: "keys whose live replicas differ",
        color: BLUE,
        samples: output
            .divergence
            .iter()
            .map(|&(t, k)| (t.as_secs_f64(), k as f64))
            .collect(),
    };
    let views = output
        .membership
        .as_ref()
        .filter(|m| !m.views_differ.is_empty())
        .map(|m| Panel {
            title: "Membership views that differ from the truth",
            y_desc: "up nodes",
            label: "nodes with a wrong view",
            color: PURPLE,
            samples: m
                .views_differ
                .iter()
                .map(|&(t, n)| (t.as_secs_f64(), n as f64))
                .collect(),
        });
    // The marks: the last heal, and when the replicas agreed for good.
    let c = &summary.convergence;
    let last_heal = (c.last_heal_ms > 0.0).then_some(c.last_heal_ms / 1e3);
    let converged = c
        .after_last_heal_ms
        .map(|after| ((c.last_heal_ms + after) / 1e3, after));
    let top_height = match views {
        Some(_) => HEIGHT * 3 / 4 + 40,
        None => HEIGHT,
    };
    let height = match views {
        Some(_) => HEIGHT * 3 / 2,
        None => HEIGHT,
    };
    let top_marks = marks(last_heal, converged);
    let bottom_marks = marks(last_heal, None);
    // The panels share the time axis: a legend beside one takes the same
    // band from the other, so their times line up.
    let top_spot = spot(&keys, time, &top_marks, true, top_height);
    let (top_spot, bottom_spot) = match &views {
        Some(v) => {
            let bottom = spot(v, time, &bottom_marks, false, height - top_height);
            let (a, b) = LegendSpot::aligned(top_spot, bottom);
            (a, Some(b))
        }
        None => (top_spot, None),
    };
    let title = "Divergence and membership over time".to_string();
    let svg = render(WIDTH + top_spot.band_px(), height, |root| {
        let (top, bottom) = match &views {
            Some(_) => {
                let (a, b) = root.split_vertically(top_height);
                (a, Some(b))
            }
            None => (root.clone(), None),
        };
        panel(&top, &keys, time, &top_marks, &top_spot, true)?;
        if let (Some(area), Some(views), Some(spot)) = (bottom, &views, &bottom_spot) {
            panel(&area, views, time, &bottom_marks, spot, false)?;
        }
        Ok(())
    });
    named("divergence", title, svg)
}

/// A vertical mark: where, its legend, its colour.
type MarkLine = (f64, String, RGBColor);

/// The marks: the last heal, and when the replicas agreed for good.
fn marks(last_heal: Option<f64>, converged: Option<(f64, f64)>) -> Vec<MarkLine> {
    let mut marks = Vec::new();
    if let Some(at) = last_heal {
        marks.push((at, format!("last heal ({at:.1} s)"), GREY));
    }
    if let Some((at, after)) = converged {
        let label = match last_heal {
            Some(_) => format!("agreed {:.1} s after it", after / 1e3),
            None => format!("agreed from {at:.1} s"),
        };
        marks.push((at, label, GREEN));
    }
    marks
}

/// The y range of a panel: from 0 to a little over its highest count.
fn y_range(p: &Panel<'_>) -> (f64, f64) {
    let max = p.samples.iter().map(|s| s.1).fold(0.0, f64::max);
    (0.0, padded(0.0, max.max(1.0)).1)
}

/// Where a panel `height` px tall puts its legend: clear of the samples
/// and of each mark's vertical line.
fn spot(
    p: &Panel<'_>,
    time: &TimeAxis<'_>,
    marks: &[MarkLine],
    first: bool,
    height: u32,
) -> LegendSpot {
    let y = y_range(p);
    let samples = p.samples.iter().map(|&(t, v)| (t / time.end_s, v / y.1));
    let mark_lines = marks.iter().map(|m| {
        let x = m.0 / time.end_s;
        vec![(x, 0.0), (x, 1.0)]
    });
    // The fault kinds are named once, in the first panel's legend.
    let labels = match first {
        true => faults::labels(time.windows),
        false => Vec::new(),
    };
    legend_spot(
        std::iter::once(samples.collect::<Vec<_>>()).chain(mark_lines),
        labels
            .iter()
            .copied()
            .chain([p.label])
            .chain(marks.iter().map(|m| m.1.as_str())),
        plot_size(WIDTH, height),
        LINE_PAD_PX,
    )
}

fn panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    p: &Panel<'_>,
    time: &TimeAxis<'_>,
    marks: &[MarkLine],
    spot: &LegendSpot,
    first: bool,
) -> DrawResult {
    let y = y_range(p);
    let mut chart = builder_for(area, p.title, spot)
        .build_cartesian_2d(0.0..time.end_s, y.0..y.1)
        .map_err(failed)?;
    number_mesh(&mut chart, ("time (s)", 0), (p.y_desc, 0))?;
    faults::shade(&mut chart, time.windows, y, first)?;
    chart
        .draw_series(LineSeries::new(
            p.samples.iter().copied(),
            p.color.stroke_width(3),
        ))
        .map_err(failed)?
        .label(p.label)
        .legend(line_swatch(p.color, 3));
    for (at, label, color) in marks {
        chart
            .draw_series(DashedLineSeries::new(
                [(*at, y.0), (*at, y.1)],
                10,
                6,
                color.stroke_width(2),
            ))
            .map_err(failed)?
            .label(label.clone())
            .legend(line_swatch(*color, 2));
    }
    legend_at(&mut chart, spot)
}
