//! Laying a [`Scene`] out as SVG, by hand: lanes, arrows, marks, an axis.
//!
//! Time runs left to right on a piecewise-linear axis: a quiet gap much
//! longer than the rest of the window is cut down to a fixed width and
//! marked, so a burst of messages and the burst after a long timeout both
//! stay readable. Sizes suit a projector (labels 14–20 px on a 1280 px
//! wide picture). Every number is formatted with fixed precision, so the
//! same scene gives the same bytes.

use super::layout::{Axis, LABEL_GAP, LabelBox, Labels, SHIFTS};
use super::{Mark, Message, Scene};
use std::fmt::Write;

pub(super) const WIDTH: f64 = 1280.0;
pub(super) const LEFT: f64 = 120.0;
pub(super) const RIGHT: f64 = 60.0;
const TOP: f64 = 140.0;
/// Lanes are this far apart, or closer when there are many.
const LANE_GAP: f64 = 76.0;
/// ... so that they fit in this height.
const LANES_HEIGHT: f64 = 600.0;
/// A drop's X sits this far at least right of its send.
const DROP_MIN_PX: f64 = 40.0;
/// How far a duplicate delivery's curve bows away from the first.
const DUPLICATE_BOW_PX: f64 = 22.0;
/// How far towards its destination a dropped message's line goes.
const DROP_REACH_PX: f64 = 30.0;
const FONT: &str = "DejaVu Sans, Helvetica, Arial, sans-serif";

const ARROW: &str = "#1f4e9c";
const DUPLICATE: &str = "#8e44ad";
const DROPPED: &str = "#c0392b";
const PUT: &str = "#1e7d32";
const FAULT: &str = "#d35400";

use crate::report::html::escape as esc;

/// Milliseconds with as many decimals as the span needs.
fn ms(t: u64, decimals: usize) -> String {
    format!("{:.*}", decimals, t as f64 / 1e6)
}

/// A round tick step (ns) near `want`.
fn nice_step(want: f64) -> u64 {
    let want = want.max(1.0);
    let mag = 10f64.powf(want.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= want)
        .unwrap_or(10.0 * mag);
    step.max(1.0) as u64
}

fn decimals_for(step_ns: u64) -> usize {
    match step_ns {
        s if s >= 1_000_000 => 0,
        s if s >= 100_000 => 1,
        s if s >= 10_000 => 2,
        _ => 3,
    }
}

pub(super) fn render(scene: &Scene) -> String {
    let gap = lane_gap(scene.lanes.len());
    let lane_y = |name: &str| -> f64 {
        let i = scene.lanes.iter().position(|l| l == name).unwrap_or(0);
        TOP + i as f64 * gap
    };
    let last_lane = TOP + scene.lanes.len().saturating_sub(1) as f64 * gap;
    let axis_y = last_lane + 50.0;
    let height = axis_y + 110.0;

    let mut times = vec![scene.window.from_ns, scene.window.until_ns];
    for m in &scene.messages {
        times.push(m.sent);
        times.extend(&m.delivered);
        times.extend(m.dropped.as_ref().map(|d| d.0));
    }
    times.extend(scene.faults.iter().chain(&scene.puts).map(|p| p.t));
    let mut latencies: Vec<u64> = scene
        .messages
        .iter()
        .filter_map(|m| Some(m.delivered.first()? - m.sent))
        .collect();
    latencies.sort_unstable();
    let cut_over = latencies
        .get(latencies.len() / 2)
        .map(|median| (4 * median).max(1_000));
    let axis = Axis::new(times, cut_over);

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH:.0}" height="{height:.0}" viewBox="0 0 {WIDTH:.0} {height:.0}" font-family="{FONT}" class="lamport">
<defs>
<marker id="lamport-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{ARROW}"/></marker>
<marker id="lamport-head-dup" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{DUPLICATE}"/></marker>
</defs>
<rect width="100%" height="100%" fill="white"/>
"#
    );
    title(&mut svg, scene);
    lanes(&mut svg, scene, &axis, axis_y);
    time_axis(&mut svg, &axis, axis_y, last_lane);
    let mut labels = Labels::default();
    claim_marks(scene, &axis, &lane_y, &mut labels);
    for fault in &scene.faults {
        fault_mark(&mut svg, fault, &axis, &lane_y, last_lane, &mut labels);
    }
    for put in &scene.puts {
        put_mark(&mut svg, put, &axis, &lane_y, &mut labels);
    }
    // Every label claims its box, the marks' first: a label that would
    // overlap one placed before steps aside, is shortened, or is left out
    // (its arrow's or mark's tooltip keeps the text).
    for m in &scene.messages {
        message(&mut svg, m, &axis, &lane_y, &mut labels);
    }
    legend(&mut svg, axis_y + 70.0);
    svg.push_str("</svg>\n");
    svg
}

fn lane_gap(lanes: usize) -> f64 {
    (LANES_HEIGHT / lanes.saturating_sub(1).max(1) as f64).clamp(48.0, LANE_GAP)
}

fn title(svg: &mut String, scene: &Scene) {
    let w = &scene.window;
    let span = w.until_ns.saturating_sub(w.from_ns);
    let d = decimals_for(nice_step(span as f64 / 8.0));
    let mut head = format!(
        "Space-time diagram, {} – {} ms",
        ms(w.from_ns, d),
        ms(w.until_ns, d)
    );
    if let Some(k) = &w.key {
        head.push_str(&format!(", key {k}"));
    }
    let mut sub = format!(
        "{} message{} sent in the window",
        scene.messages.len() + scene.hidden,
        if scene.messages.len() + scene.hidden == 1 {
            ""
        } else {
            "s"
        }
    );
    if scene.hidden > 0 {
        sub.push_str(&format!(
            "; the first {} drawn, {} more not",
            scene.messages.len(),
            scene.hidden
        ));
    }
    let _ = writeln!(
        svg,
        r##"<text x="24" y="36" font-size="24" font-weight="bold" fill="#222">{}</text>
<text x="24" y="64" font-size="16" fill="#555">{}</text>"##,
        esc(&head),
        esc(&sub)
    );
}

fn lanes(svg: &mut String, scene: &Scene, axis: &Axis, axis_y: f64) {
    let right = axis.end_x() + 20.0;
    for (i, name) in scene.lanes.iter().enumerate() {
        let y = TOP + i as f64 * lane_gap(scene.lanes.len());
        let client = scene.clients.contains(name);
        let colour = if client { "#2c6fbb" } else { "#222" };
        let _ = writeln!(
            svg,
            r##"<line class="lane" data-lane="{n}" x1="{LEFT:.1}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}" stroke="#9a9a9a" stroke-width="2"/>
<text x="{lx:.1}" y="{ty:.1}" font-size="20" font-weight="bold" text-anchor="end" fill="{colour}">{n}</text>"##,
            n = esc(name),
            lx = LEFT - 14.0,
            ty = y + 7.0,
        );
    }
    // The cut-down gaps, shaded across the lanes.
    for (i, &cut) in axis.broken.iter().enumerate() {
        if cut {
            let (x0, x1) = (axis.xs[i], axis.xs[i + 1]);
            let _ = writeln!(
                svg,
                r##"<rect class="gap" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#f1f1f1"/>"##,
                x0 + 6.0,
                TOP - 24.0,
                (x1 - x0 - 12.0).max(2.0),
                axis_y - TOP + 24.0
            );
        }
    }
}

fn time_axis(svg: &mut String, axis: &Axis, axis_y: f64, last_lane: f64) {
    let right = axis.end_x() + 20.0;
    let _ = writeln!(
        svg,
        r##"<line x1="{LEFT:.1}" y1="{axis_y:.1}" x2="{right:.1}" y2="{axis_y:.1}" stroke="#444" stroke-width="1.5"/>
<text x="{right:.1}" y="{:.1}" font-size="15" text-anchor="end" fill="#444">time (ms)</text>"##,
        axis_y + 46.0
    );
    let _ = last_lane;
    // Ticks within each stretch of the axis that is to scale.
    let mut last_label_x = f64::MIN;
    let mut last_gap_label_end = f64::MIN;
    let mut start = 0;
    for i in 0..axis.times.len() {
        let ends_stretch = i + 1 == axis.times.len() || axis.broken[i];
        if !ends_stretch {
            continue;
        }
        let (t0, t1) = (axis.times[start], axis.times[i]);
        let (x0, x1) = (axis.xs[start], axis.xs[i]);
        let ns_per_px = match x1 > x0 {
            true => (t1 - t0) as f64 / (x1 - x0),
            false => 0.0,
        };
        let step = nice_step(ns_per_px * 120.0);
        let d = decimals_for(step);
        let mut t = t0.div_ceil(step) * step;
        if t1 == t0 {
            t = t0;
        }
        while t <= t1 {
            let x = axis.x(t);
            if x - last_label_x >= 90.0 {
                let _ = writeln!(
                    svg,
                    r##"<line x1="{x:.1}" y1="{axis_y:.1}" x2="{x:.1}" y2="{:.1}" stroke="#444"/>
<text x="{x:.1}" y="{:.1}" font-size="15" text-anchor="middle" fill="#444">{}</text>"##,
                    axis_y + 7.0,
                    axis_y + 24.0,
                    ms(t, d)
                );
                last_label_x = x;
            }
            if step == 0 || t1 == t0 {
                break;
            }
            t += step;
        }
        if i + 1 < axis.times.len() {
            // The cut: its length written in the gap.
            let gap = axis.times[i + 1] - axis.times[i];
            let xm = (axis.xs[i] + axis.xs[i + 1]) / 2.0;
            // Cuts close together keep their marks but not all their
            // lengths: a length is written only clear of the last one
            // (at 14 px, about 8 px a character), so they never run
            // together into one string of digits.
            let length = format!("+{}", ms(gap, decimals_for(gap / 10)));
            let half = length.chars().count() as f64 * 4.0;
            if xm - half >= last_gap_label_end + 4.0 {
                let _ = writeln!(
                    svg,
                    r##"<text x="{xm:.1}" y="{:.1}" font-size="14" text-anchor="middle" fill="#777">{length}</text>"##,
                    axis_y - 8.0,
                );
                last_gap_label_end = xm + half;
            }
            let _ = writeln!(
                svg,
                r##"<path d="M{:.1},{:.1} l6,-10 M{:.1},{:.1} l6,-10" stroke="#444" stroke-width="1.5"/>"##,
                xm - 6.0,
                axis_y + 5.0,
                xm,
                axis_y + 5.0
            );
            last_label_x = last_label_x.max(xm - 30.0);
        }
        start = i + 1;
    }
}

fn message(
    svg: &mut String,
    m: &Message,
    axis: &Axis,
    lane_y: &impl Fn(&str) -> f64,
    labels: &mut Labels,
) {
    let (x0, y0) = (axis.x(m.sent), lane_y(&m.from));
    let y1 = lane_y(&m.to);
    let _ = writeln!(
        svg,
        r#"<g class="message" data-m="{}"><title>{} {} → {}</title>"#,
        m.m,
        esc(&m.label),
        esc(&m.from),
        esc(&m.to)
    );
    for (k, &t) in m.delivered.iter().enumerate() {
        let x1 = axis.x(t);
        if k == 0 {
            let _ = writeln!(
                svg,
                r#"<line class="arrow" x1="{x0:.1}" y1="{y0:.1}" x2="{x1:.1}" y2="{y1:.1}" stroke="{ARROW}" stroke-width="2.2" marker-end="url(#lamport-head)"/>"#
            );
            arrow_label(svg, &m.label, (x0, y0), (x1, y1), labels);
        } else {
            // A duplicate bows away from the straight arrow, so it shows
            // even when both copies take the same time; the legend names
            // it, the tooltip says what it carried.
            let (dx, dy) = (x1 - x0, y1 - y0);
            let length = (dx * dx + dy * dy).sqrt().max(1.0);
            let bow = DUPLICATE_BOW_PX * k as f64;
            let (cx, cy) = (
                x0 + dx / 2.0 + dy / length * bow,
                y0 + dy / 2.0 - dx / length * bow,
            );
            let _ = writeln!(
                svg,
                r#"<path class="arrow dup" d="M{x0:.1},{y0:.1} Q{cx:.1},{cy:.1} {x1:.1},{y1:.1}" fill="none" stroke="{DUPLICATE}" stroke-width="2.2" stroke-dasharray="8 5" marker-end="url(#lamport-head-dup)"/>"#
            );
        }
    }
    if let Some(((x, y), why)) = drop_at(m, axis, lane_y) {
        let _ = write!(
            svg,
            r##"<g class="drop"><title>{} dropped ({})</title><line x1="{x0:.1}" y1="{y0:.1}" x2="{x:.1}" y2="{y:.1}" stroke="{DROPPED}" stroke-width="2.2" stroke-dasharray="6 4"/>
<path d="M{:.1},{:.1} l14,14 M{:.1},{:.1} l-14,14" stroke="{DROPPED}" stroke-width="3.5"/>"##,
            esc(&m.label),
            esc(why),
            x - 7.0,
            y - 7.0,
            x + 7.0,
            y - 7.0,
        );
        let text = format!("{} to {} ({why})", first_word(&m.label), m.to);
        let chars = text.chars().count();
        if let Some((tx, ty)) = labels.place(x + LABEL_GAP, y + 5.0, chars, 15.0, SHIFTS) {
            let _ = write!(
                svg,
                r##"
<text x="{tx:.1}" y="{ty:.1}" font-size="15" font-weight="bold" fill="{DROPPED}" stroke="white" stroke-width="4" paint-order="stroke">{}</text>"##,
                esc(&text)
            );
        }
        svg.push_str("</g>\n");
    } else if m.delivered.is_empty() {
        // Still in flight when the picture ends.
        let x = axis.end_x();
        let y = y0 + 0.5 * (y1 - y0);
        let _ = writeln!(
            svg,
            r##"<line class="in-flight" x1="{x0:.1}" y1="{y0:.1}" x2="{x:.1}" y2="{y:.1}" stroke="#888" stroke-width="2" stroke-dasharray="3 4" marker-end="url(#lamport-head)"/>"##
        );
    }
    svg.push_str("</g>\n");
}

/// Where a dropped message's X goes, and why it was dropped: within half
/// a lane of the sender, so the X never sits on another node's lane (the
/// label names where the message was going).
fn drop_at<'m>(
    m: &'m Message,
    axis: &Axis,
    lane_y: &impl Fn(&str) -> f64,
) -> Option<((f64, f64), &'m str)> {
    let (t, why) = m.dropped.as_ref()?;
    let (x0, y0) = (axis.x(m.sent), lane_y(&m.from));
    let y1 = lane_y(&m.to);
    let x = axis.x(*t).max(x0 + DROP_MIN_PX);
    let y = y0 + (y1 - y0).clamp(-DROP_REACH_PX, DROP_REACH_PX);
    Some(((x, y), why))
}

/// Claims the box of each mark a label must not cover, before any label
/// is placed: the drops' Xs and the puts' dots.
fn claim_marks(scene: &Scene, axis: &Axis, lane_y: &impl Fn(&str) -> f64, labels: &mut Labels) {
    let xs = scene
        .messages
        .iter()
        .filter_map(|m| drop_at(m, axis, lane_y));
    for ((x, y), _) in xs {
        labels.claim(LabelBox::level(x - 8.0, y - 8.0, x + 8.0, y + 8.0));
    }
    for put in &scene.puts {
        if let Some(lane) = &put.lane {
            let (x, y) = (axis.x(put.t), lane_y(lane));
            labels.claim(LabelBox::level(x - 8.0, y - 8.0, x + 8.0, y + 8.0));
        }
    }
}

fn first_word(label: &str) -> &str {
    label.split(' ').next().unwrap_or(label)
}

/// A label along an arrow, where it overlaps no other label: whole, else
/// its first word and an ellipsis, else not at all (the arrow's tooltip
/// has it).
fn arrow_label(
    svg: &mut String,
    label: &str,
    from: (f64, f64),
    to: (f64, f64),
    labels: &mut Labels,
) {
    let size = 14.0;
    let short = label.split_once(' ').map(|(word, _)| format!("{word}…"));
    let mut texts = std::iter::once(label.to_string()).chain(short);
    let Some((text, at)) = texts.find_map(|text| {
        let at = labels.place_along(from, to, text.chars().count(), size)?;
        Some((text, at))
    }) else {
        return;
    };
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let mut angle = dy.atan2(dx).to_degrees();
    if !(-90.0..=90.0).contains(&angle) {
        angle += 180.0; // never upside down
    }
    let (mx, my) = at.anchor;
    let _ = writeln!(
        svg,
        r#"<text x="{mx:.1}" y="{my:.1}" dy="{dy:.1}" font-size="{size:.0}" text-anchor="middle" fill="{ARROW}" stroke="white" stroke-width="3.5" paint-order="stroke" transform="rotate({angle:.1} {mx:.1} {my:.1})">{}</text>"#,
        esc(&text),
        dy = at.baseline,
    );
}

fn put_mark(
    svg: &mut String,
    put: &Mark,
    axis: &Axis,
    lane_y: &impl Fn(&str) -> f64,
    labels: &mut Labels,
) {
    let Some(lane) = &put.lane else { return };
    let (x, y) = (axis.x(put.t), lane_y(lane));
    let _ = write!(
        svg,
        r#"<g class="put"><title>{}</title><circle cx="{x:.1}" cy="{y:.1}" r="7" fill="{PUT}" stroke="white" stroke-width="2"/>"#,
        esc(&put.text)
    );
    let shifts = [0.0, -18.0, -36.0, 36.0, 54.0];
    let chars = put.text.chars().count();
    if let Some((tx, ty)) = labels.place(x + LABEL_GAP, y - 10.0, chars, 15.0, &shifts) {
        let _ = write!(
            svg,
            r#"
<text x="{tx:.1}" y="{ty:.1}" font-size="15" font-weight="bold" fill="{PUT}" stroke="white" stroke-width="4" paint-order="stroke">{}</text>"#,
            esc(&put.text)
        );
    }
    svg.push_str("</g>\n");
}

fn fault_mark(
    svg: &mut String,
    fault: &Mark,
    axis: &Axis,
    lane_y: &impl Fn(&str) -> f64,
    last_lane: f64,
    labels: &mut Labels,
) {
    let x = axis.x(fault.t);
    let chars = fault.text.chars().count();
    let text = |svg: &mut String, (tx, ty): (f64, f64)| {
        let _ = write!(
            svg,
            r#"
<text x="{tx:.1}" y="{ty:.1}" font-size="16" font-weight="bold" fill="{FAULT}" stroke="white" stroke-width="4" paint-order="stroke">{}</text>"#,
            esc(&fault.text)
        );
    };
    match &fault.lane {
        Some(lane) => {
            let y = lane_y(lane);
            let _ = write!(
                svg,
                r#"<g class="fault"><title>{}</title><rect x="{:.1}" y="{:.1}" width="10" height="30" fill="{FAULT}"/>"#,
                esc(&fault.text),
                x - 5.0,
                y - 15.0,
            );
            if let Some(at) =
                labels.place(x + LABEL_GAP, y + 30.0, chars, 16.0, &[0.0, -50.0, 18.0])
            {
                text(svg, at);
            }
        }
        None => {
            let _ = write!(
                svg,
                r#"<g class="fault"><title>{}</title><line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{FAULT}" stroke-width="3" stroke-dasharray="10 6"/>"#,
                esc(&fault.text),
                TOP - 40.0,
                last_lane + 24.0,
            );
            if let Some(at) = labels.place(x + LABEL_GAP, TOP - 34.0, chars, 16.0, &[0.0, -20.0]) {
                text(svg, at);
            }
        }
    }
    svg.push_str("</g>\n");
}

fn legend(svg: &mut String, y: f64) {
    let _ = writeln!(
        svg,
        r##"<g class="legend" font-size="15" fill="#333">
<line x1="24" y1="{y:.1}" x2="74" y2="{y:.1}" stroke="{ARROW}" stroke-width="2.2" marker-end="url(#lamport-head)"/><text x="82" y="{t:.1}">message, send to delivery</text>
<line x1="300" y1="{y:.1}" x2="350" y2="{y:.1}" stroke="{DUPLICATE}" stroke-width="2.2" stroke-dasharray="8 5" marker-end="url(#lamport-head-dup)"/><text x="358" y="{t:.1}">duplicate delivery</text>
<path d="M520,{a:.1} l14,14 M534,{a:.1} l-14,14" stroke="{DROPPED}" stroke-width="3.5"/><text x="544" y="{t:.1}">dropped (why)</text>
<circle cx="700" cy="{y:.1}" r="7" fill="{PUT}"/><text x="714" y="{t:.1}">version stored / put</text>
<rect x="900" y="{b:.1}" width="10" height="24" fill="{FAULT}"/><text x="918" y="{t:.1}">fault</text>
</g>"##,
        t = y + 5.0,
        a = y - 7.0,
        b = y - 12.0,
    );
}
