//! `divergence`: how far the replicas and the membership views were from
//! agreeing over the run. The top panel counts divergent keys (the
//! sampler's `divergence`), with the last heal and the moment the replicas
//! agreed for good marked; the bottom panel, drawn only with gossip on,
//! counts up nodes whose membership view differs from the truth. Both
//! share the time axis and its fault shading.

use super::{
    BLUE, DrawResult, GREEN, GREY, HEIGHT, PURPLE, TimeAxis, WIDTH, builder, failed, faults,
    legend, line_swatch, named, number_mesh, padded, render,
};
use super::{plot_size, quiet_corner};
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
    let height = if views.is_some() {
        HEIGHT * 3 / 2
    } else {
        HEIGHT
    };
    let title = "Divergence and membership over time".to_string();
    let svg = render(WIDTH, height, |root| {
        let (top, bottom) = match &views {
            Some(_) => {
                let (a, b) = root.split_vertically(HEIGHT * 3 / 4 + 40);
                (a, Some(b))
            }
            None => (root.clone(), None),
        };
        panel(&top, &keys, time, last_heal, converged, true)?;
        if let (Some(area), Some(views)) = (bottom, &views) {
            panel(&area, views, time, last_heal, None, false)?;
        }
        Ok(())
    });
    named("divergence", title, svg)
}

fn panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    p: &Panel<'_>,
    time: &TimeAxis<'_>,
    last_heal: Option<f64>,
    converged: Option<(f64, f64)>,
    first: bool,
) -> DrawResult {
    let max = p.samples.iter().map(|s| s.1).fold(0.0, f64::max);
    let y = (0.0, padded(0.0, max.max(1.0)).1);
    let mut marks: Vec<(f64, String, RGBColor)> = Vec::new();
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
    // The legend goes where it hides the least: the samples, and each
    // mark's vertical line.
    let samples = p.samples.iter().map(|&(t, v)| (t, v / y.1));
    let mark_lines = marks
        .iter()
        .flat_map(|m| (0..=10).map(move |k| (m.0, f64::from(k) / 10.0)));
    // The fault kinds are named once, in the first panel's legend.
    let labels = match first {
        true => faults::labels(time.windows),
        false => Vec::new(),
    };
    let corner = quiet_corner(
        samples.chain(mark_lines).map(|(t, v)| (t / time.end_s, v)),
        labels
            .iter()
            .copied()
            .chain([p.label])
            .chain(marks.iter().map(|m| m.1.as_str())),
        {
            let (w, h) = area.dim_in_pixel();
            plot_size(w, h)
        },
    );
    let mut chart = builder(area, p.title)
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
    for (at, label, color) in &marks {
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
    legend(&mut chart, corner)
}
