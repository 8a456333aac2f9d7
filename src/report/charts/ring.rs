//! Ring charts (Dynamo §6.2): each node's share of the key space it
//! replicates, against the share of a perfectly balanced ring (N/S), and
//! the paper's Figure 8, load-balancing efficiency (mean share / max
//! share) against tokens per node for the three partitioning strategies.
//! A run draws the share chart of its scenario's initial ring; `dynsim
//! ring --svg` draws both, no run needed. Shares and efficiency come from
//! `ring::balance`, the same code the `dynsim ring` table prints.

use super::{
    BLUE, DrawResult, GREEN, HEIGHT, ORANGE, VERMILION, WIDTH, builder, failed, legend,
    line_swatch, named, render,
};
use crate::id::NodeId;
use crate::ring::{Layout, NodeSpec, Placement, RingSpec, Strategy};
use crate::scenario::Scenario;
use crate::scenario::defaults::{MAX_PARTITIONS, MAX_VNODES};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Tokens per node the Figure 8 chart tries.
const FIGURE8_VNODES: [u32; 6] = [4, 8, 16, 32, 64, 128];
/// The largest ring (S·T tokens) a Figure 8 point builds, so a big `--nodes`
/// stays quick: 54 rings are built in all.
const FIGURE8_MAX_TOKENS: u32 = 1 << 16;
/// Seeds each Figure 8 point averages over.
const FIGURE8_SEEDS: u64 = 3;

/// `ring`: the shares of the scenario's initial ring.
pub(super) fn scenario_shares(scenario: &Scenario) -> Option<super::Chart> {
    let spec = scenario.ring_spec();
    let mut members = crate::run::node_specs(scenario);
    members.truncate(scenario.cluster.nodes as usize);
    let ring = Layout::initial(&spec, &members).ring(&spec);
    let shares = ring.shares();
    if shares.is_empty() {
        return None;
    }
    let title = shares_title(&spec, ring.efficiency());
    let svg = render(WIDTH, HEIGHT, |root| {
        draw_shares(root, &title, &shares, spec.n)
    });
    named("ring", title, svg)
}

fn shares_title(spec: &RingSpec, efficiency: f64) -> String {
    format!(
        "Key-space share per node ({}, efficiency {efficiency:.3})",
        spec.strategy.as_str()
    )
}

/// Bars of each node's share, and the balanced share as a line.
fn draw_shares(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    shares: &[(NodeId, f64)],
    n: u32,
) -> DrawResult {
    let count = shares.len();
    let ideal = f64::from(n).min(count as f64) / count as f64;
    let max = shares.iter().map(|s| s.1).fold(ideal, f64::max);
    let names: Vec<String> = shares.iter().map(|s| s.0.to_string()).collect();
    let mut chart = builder(area, title)
        .build_cartesian_2d(-0.5..count as f64 - 0.5, 0.0..max * 1.35)
        .map_err(failed)?;
    let label_every = count.div_ceil(24).max(1);
    chart
        .configure_mesh()
        .x_desc("node")
        .y_desc("share of the key space replicated")
        .x_labels(count.min(24) + 1)
        .x_label_formatter(&|x| {
            let i = x.round();
            let inside = (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < count;
            match inside && (i as usize) % label_every == 0 {
                true => names[i as usize].clone(),
                false => String::new(),
            }
        })
        .axis_desc_style((super::FONT, super::AXIS_SIZE))
        .label_style((super::FONT, super::LABEL_SIZE))
        .disable_x_mesh()
        .draw()
        .map_err(failed)?;
    chart
        .draw_series(shares.iter().enumerate().map(|(i, &(_, share))| {
            let x = i as f64;
            Rectangle::new([(x - 0.38, 0.0), (x + 0.38, share)], BLUE.filled())
        }))
        .map_err(failed)?
        .label("share of a node")
        .legend(|(x, y)| Rectangle::new([(x, y - 8), (x + 24, y + 8)], BLUE.filled()));
    chart
        .draw_series(DashedLineSeries::new(
            [(-0.5, ideal), (count as f64 - 0.5, ideal)],
            10,
            6,
            VERMILION.stroke_width(2),
        ))
        .map_err(failed)?
        .label(format!("balanced: N/S = {ideal:.3}"))
        .legend(line_swatch(VERMILION, 2));
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// The efficiency of each strategy at each number of tokens per node, for
/// `nodes` nodes and `n` replicas, averaged over a few seeds from `seed`:
/// strategy 1 with T random tokens, strategy 2 with T tokens and
/// `partitions` fixed equal partitions, strategy 3 with Q = S·T (equal
/// metadata: S·T tokens stored in every case). Sizes the ring cannot hold,
/// or past [`FIGURE8_MAX_TOKENS`], are left out.
pub fn figure8(nodes: u32, n: u32, partitions: u32, seed: u64) -> Vec<(Strategy, Vec<(u32, f64)>)> {
    let members: Vec<NodeSpec> = (0..nodes)
        .map(|i| NodeSpec {
            node: NodeId(i),
            region: 0,
            weight: 1,
        })
        .collect();
    Strategy::ALL
        .into_iter()
        .map(|strategy| {
            let points = FIGURE8_VNODES
                .into_iter()
                .filter(|&t| {
                    let tokens = nodes.saturating_mul(t);
                    t <= MAX_VNODES && tokens <= MAX_PARTITIONS && tokens <= FIGURE8_MAX_TOKENS
                })
                .map(|vnodes| {
                    let partitions = match strategy {
                        Strategy::QOverS => nodes * vnodes,
                        _ => partitions,
                    };
                    let total: f64 = (0..FIGURE8_SEEDS)
                        .map(|k| {
                            let spec = RingSpec {
                                strategy,
                                vnodes,
                                partitions,
                                placement: Placement::Clockwise,
                                n: n.min(nodes),
                                seed: seed.wrapping_add(k),
                            };
                            Layout::initial(&spec, &members).ring(&spec).efficiency()
                        })
                        .sum();
                    (vnodes, total / FIGURE8_SEEDS as f64)
                })
                .collect();
            (strategy, points)
        })
        .collect()
}

fn strategy_label(strategy: Strategy, partitions: u32) -> String {
    match strategy {
        Strategy::RandomTokens => "1: T random tokens per node".to_string(),
        Strategy::EqualPartitions => format!("2: T random tokens, Q = {partitions}"),
        Strategy::QOverS => "3: Q/S tokens per node, Q = S·T".to_string(),
    }
}

fn draw_figure8(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    curves: &[(Strategy, Vec<(u32, f64)>)],
    nodes: u32,
    n: u32,
    partitions: u32,
) -> DrawResult {
    let lo = curves
        .iter()
        .flat_map(|c| c.1.iter().map(|p| p.1))
        .fold(1.0, f64::min);
    // Tokens per node double from point to point: the x axis is log2(T),
    // labelled with T itself.
    let x_lo = f64::from(FIGURE8_VNODES[0]).log2() - 0.5;
    let x_hi = f64::from(FIGURE8_VNODES[FIGURE8_VNODES.len() - 1]).log2() + 0.5;
    let title = format!(
        "Load-balancing efficiency, S = {nodes}, N = {n} (Figure 8; mean of {FIGURE8_SEEDS} seeds)"
    );
    let mut chart = builder(area, &title)
        .build_cartesian_2d(x_lo..x_hi, (lo * 0.9).min(0.9)..1.0)
        .map_err(failed)?;
    chart
        .configure_mesh()
        .x_desc("tokens per node T (metadata S·T)")
        // Short, so the rotated label stays below the chart's title.
        .y_desc("efficiency (mean / max share)")
        .x_labels(FIGURE8_VNODES.len() + 1)
        .x_label_formatter(&|x| {
            let whole = x.round();
            match (x - whole).abs() < 1e-6 {
                true => format!("{}", 2f64.powf(whole)),
                false => String::new(),
            }
        })
        .y_label_formatter(&|y| format!("{y:.2}"))
        .axis_desc_style((super::FONT, super::AXIS_SIZE))
        .label_style((super::FONT, super::LABEL_SIZE))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(failed)?;
    for ((strategy, points), color) in curves.iter().zip([BLUE, ORANGE, GREEN]) {
        if points.is_empty() {
            continue;
        }
        let xy: Vec<(f64, f64)> = points
            .iter()
            .map(|&(t, e)| (f64::from(t).log2(), e))
            .collect();
        chart
            .draw_series(LineSeries::new(xy.iter().copied(), color.stroke_width(3)))
            .map_err(failed)?
            .label(strategy_label(*strategy, partitions))
            .legend(line_swatch(color, 3));
        chart
            .draw_series(xy.iter().map(|&p| Circle::new(p, 5, color.filled())))
            .map_err(failed)?;
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}

/// The `dynsim ring --svg` picture: the ring's shares above, Figure 8 for
/// its node count, N and Q below.
pub fn ring_svg(spec: &RingSpec, shares: &[(NodeId, f64)], efficiency: f64) -> Option<String> {
    let nodes = shares.len() as u32;
    let curves = figure8(nodes, spec.n, spec.partitions, spec.seed);
    render(WIDTH, HEIGHT * 2, |root| {
        let (top, bottom) = root.split_vertically(HEIGHT);
        draw_shares(&top, &shares_title(spec, efficiency), shares, spec.n)?;
        bottom.fill(&WHITE).map_err(failed)?;
        draw_figure8(&bottom, &curves, nodes, spec.n, spec.partitions)
    })
}
