//! The ring as a circle (Dynamo §4.2): the key space from 0 at the top
//! clockwise, each key range coloured by the node that coordinates it (the
//! first of its preference list), a tick at each range's end (a vnode's
//! token), and a legend with each node's share of the keys it coordinates.
//! Computed with `crate::ring` from the scenario's initial members, so it
//! is the ring every node starts from.

use super::{escape, node_colour};
use crate::ring::Layout;
use crate::scenario::Scenario;
use std::f64::consts::TAU;
use std::fmt::Write as _;

/// Past this many ranges the ticks are left out: they would merge into a
/// grey band.
const MAX_TICKS: usize = 2048;

/// A point on a circle of radius `r` around the centre, at `fraction` of
/// a turn clockwise from the top.
fn point(r: f64, fraction: f64) -> (f64, f64) {
    let angle = fraction * TAU;
    (300.0 + r * angle.sin(), 300.0 - r * angle.cos())
}

pub(super) fn section(html: &mut String, s: &Scenario) {
    let plan = crate::run::cluster_plan(s);
    let layout = Layout::initial(&plan.spec, &plan.initial);
    let ring = layout.ring(&plan.spec);
    let members = ring.members().to_vec();
    // Each range as (start, end) fractions of the ring and the coordinator's
    // place among the members; adjacent ranges of one owner merged.
    let mut arcs: Vec<(f64, f64, usize)> = Vec::new();
    let mut share = vec![0.0f64; members.len()];
    let space = 2f64.powi(64);
    for (i, range) in ring.ranges().enumerate() {
        let Some(owner) = ring.range_preference_list(i).first() else {
            continue;
        };
        let Ok(m) = members.binary_search(owner) else {
            continue;
        };
        let fraction = range.fraction();
        share[m] += fraction;
        let start = range.after as f64 / space;
        match arcs.last_mut() {
            Some(last) if last.2 == m && (last.1 - start).abs() < 1e-12 => last.1 += fraction,
            _ => arcs.push((start, start + fraction, m)),
        }
    }
    html.push_str("<section id=\"ring\">\n<h2>The ring</h2>\n");
    let _ = writeln!(
        html,
        "<p class=\"hint\">{} nodes, {} key ranges ({}). Each arc is coloured by the node that coordinates its keys; a key is stored there and on the next {} distinct nodes clockwise.</p>",
        members.len(),
        ring.range_count(),
        escape(s.cluster.strategy.as_str()),
        s.replication.n.saturating_sub(1)
    );
    html.push_str("<div class=\"ring\">\n<svg class=\"ring\" role=\"img\" aria-label=\"The ring, coloured by node\" viewBox=\"0 0 600 600\" xmlns=\"http://www.w3.org/2000/svg\">\n");
    html.push_str("<circle cx=\"300\" cy=\"300\" r=\"240\" fill=\"none\" stroke=\"#ccc\" stroke-width=\"44\"/>\n");
    for &(from, to, m) in &arcs {
        let colour = node_colour(members[m].index());
        if to - from >= 0.999_999 {
            let _ = writeln!(
                html,
                "<circle cx=\"300\" cy=\"300\" r=\"240\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"44\"/>"
            );
            continue;
        }
        let (x1, y1) = point(240.0, from);
        let (x2, y2) = point(240.0, to);
        let large = if to - from > 0.5 { 1 } else { 0 };
        let _ = writeln!(
            html,
            "<path class=\"arc\" data-node=\"{}\" d=\"M{x1:.2},{y1:.2} A240,240 0 {large} 1 {x2:.2},{y2:.2}\" stroke=\"{colour}\"/>",
            members[m]
        );
    }
    if ring.range_count() <= MAX_TICKS {
        for range in ring.ranges() {
            let f = range.end as f64 / space;
            let (x1, y1) = point(214.0, f);
            let (x2, y2) = point(266.0, f);
            let _ = writeln!(
                html,
                "<line class=\"tick\" x1=\"{x1:.2}\" y1=\"{y1:.2}\" x2=\"{x2:.2}\" y2=\"{y2:.2}\"/>"
            );
        }
    }
    html.push_str("<text x=\"300\" y=\"40\" text-anchor=\"middle\" class=\"small\">0</text>\n");
    html.push_str(
        "<text x=\"300\" y=\"296\" text-anchor=\"middle\" class=\"ringlabel\">key space</text>\n",
    );
    html.push_str("<text x=\"300\" y=\"330\" text-anchor=\"middle\" class=\"small\">clockwise from the top</text>\n");
    html.push_str("</svg>\n<ul class=\"legend\">\n");
    for (m, node) in members.iter().enumerate() {
        let _ = writeln!(
            html,
            "<li><span class=\"swatch\" style=\"background:{}\"></span>{node}: coordinates {:.1}% of the keys</li>",
            node_colour(node.index()),
            share[m] * 100.0
        );
    }
    html.push_str("</ul>\n</div>\n</section>\n");
}
