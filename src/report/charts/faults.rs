//! Fault windows: the spans of a run during which something was broken,
//! shaded on every time axis.
//!
//! Node faults come from the run's life record (`timeline::LifeEvent`),
//! which says when a crash or pause really took effect and when the node
//! came back; partitions from the run's network cuts
//! (`timeline::NetworkCut`: from a fault that blocks a link until every
//! link is open again, so a partial heal keeps the window open). The
//! chart shows when the network was cut, not which links. Loss and
//! latency windows come from the fault schedule as run (the file's and
//! the nemesis's) and run to their `until`. A window still open at the
//! end closes at the end.

use super::{DrawResult, failed};
use crate::id::NodeId;
use crate::scenario::{Fault, FaultAction};
use crate::time::SimTime;
use crate::timeline::{Life, LifeEvent, NetworkCut, Status};
use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultKind {
    Partition,
    Crash,
    Pause,
    Loss,
    Latency,
}

impl FaultKind {
    pub const ALL: [FaultKind; 5] = [
        FaultKind::Partition,
        FaultKind::Crash,
        FaultKind::Pause,
        FaultKind::Loss,
        FaultKind::Latency,
    ];

    /// The legend's word for it.
    pub fn label(self) -> &'static str {
        match self {
            FaultKind::Partition => "partition",
            FaultKind::Crash => "crash",
            FaultKind::Pause => "pause",
            FaultKind::Loss => "extra loss",
            FaultKind::Latency => "extra latency",
        }
    }

    fn color(self) -> RGBColor {
        match self {
            FaultKind::Partition => RGBColor(240, 170, 60),
            FaultKind::Crash => RGBColor(220, 60, 60),
            FaultKind::Pause => RGBColor(150, 100, 200),
            FaultKind::Loss => RGBColor(120, 120, 120),
            FaultKind::Latency => RGBColor(80, 160, 200),
        }
    }
}

/// One span of one kind of fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultWindow {
    pub kind: FaultKind,
    pub from: SimTime,
    pub to: SimTime,
    /// The node, for crashes and pauses.
    pub node: Option<NodeId>,
}

/// The fault windows of a run that ended at `end`, sorted by start time,
/// then kind.
pub fn windows(
    faults: &[Fault],
    cuts: &[NetworkCut],
    lifecycle: &[LifeEvent],
    end: SimTime,
) -> Vec<FaultWindow> {
    let mut out = Vec::new();
    for fault in faults {
        match &fault.action {
            FaultAction::Loss { until, .. } => {
                out.push(window(FaultKind::Loss, fault.at, *until, None));
            }
            FaultAction::Latency { until, .. } => {
                out.push(window(FaultKind::Latency, fault.at, *until, None));
            }
            _ => {}
        }
    }
    for cut in cuts {
        let to = cut.to.unwrap_or(end);
        out.push(window(FaultKind::Partition, cut.from, to, None));
    }
    // Node faults: from the change into Crashed or Paused to the next
    // change of that node.
    let mut down: BTreeMap<NodeId, (FaultKind, SimTime)> = BTreeMap::new();
    for event in lifecycle {
        let Life::Status(status) = event.change else {
            continue;
        };
        if let Some((kind, from)) = down.remove(&event.node) {
            out.push(window(kind, from, event.at, Some(event.node)));
        }
        let kind = match status {
            Status::Crashed => FaultKind::Crash,
            Status::Paused => FaultKind::Pause,
            _ => continue,
        };
        down.insert(event.node, (kind, event.at));
    }
    for (node, (kind, from)) in down {
        out.push(window(kind, from, end, Some(node)));
    }
    out.retain(|w| w.to > w.from || w.from < end);
    out.sort_by_key(|w| (w.from, w.kind, w.node));
    out
}

fn window(kind: FaultKind, from: SimTime, to: SimTime, node: Option<NodeId>) -> FaultWindow {
    FaultWindow {
        kind,
        from,
        to: to.max(from),
        node,
    }
}

/// The legend labels shading `windows` adds, in legend order.
pub(crate) fn labels(windows: &[FaultWindow]) -> Vec<&'static str> {
    FaultKind::ALL
        .into_iter()
        .filter(|k| windows.iter().any(|w| w.kind == *k))
        .map(FaultKind::label)
        .collect()
}

/// Shades `windows` across the whole height `y` of a chart whose x axis is
/// seconds, with (`labelled`) one legend entry per kind present. Drawn
/// before the series, so the lines stay on top.
pub(crate) fn shade<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    windows: &[FaultWindow],
    y: (f64, f64),
    labelled: bool,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64>,
{
    for kind in FaultKind::ALL {
        let spans: Vec<(f64, f64)> = windows
            .iter()
            .filter(|w| w.kind == kind)
            .map(|w| (w.from.as_secs_f64(), w.to.as_secs_f64()))
            .collect();
        if spans.is_empty() {
            continue;
        }
        let color = kind.color();
        let drawn = chart
            .draw_series(spans.into_iter().map(|(from, to)| {
                // A window too short to see gets a sliver.
                let to = to.max(from + 1e-3);
                Rectangle::new([(from, y.0), (to, y.1)], color.mix(0.22).filled())
            }))
            .map_err(failed)?;
        if !labelled {
            continue;
        }
        drawn.label(kind.label()).legend(move |(x, y)| {
            Rectangle::new([(x, y - 8), (x + 24, y + 8)], color.mix(0.5).filled())
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> SimTime {
        SimTime::from_millis(v)
    }

    #[test]
    fn windows_close_cuts_at_the_end_and_pair_crashes_with_restarts() {
        let faults = vec![Fault {
            at: ms(2000),
            action: FaultAction::Loss {
                probability: 0.5,
                until: ms(8000),
            },
        }];
        let cuts = [
            NetworkCut {
                from: ms(5000),
                to: Some(ms(15000)),
            },
            NetworkCut {
                from: ms(25000),
                to: None,
            },
        ];
        let life = vec![
            LifeEvent {
                at: ms(1000),
                node: NodeId(3),
                change: Life::Status(Status::Crashed),
            },
            LifeEvent {
                at: ms(2000),
                node: NodeId(3),
                change: Life::Skew(5),
            },
            LifeEvent {
                at: ms(3000),
                node: NodeId(3),
                change: Life::Status(Status::Up),
            },
            LifeEvent {
                at: ms(4000),
                node: NodeId(1),
                change: Life::Status(Status::Paused),
            },
        ];
        let w = windows(&faults, &cuts, &life, ms(30000));
        let spans: Vec<(FaultKind, u64, u64)> = w
            .iter()
            .map(|w| (w.kind, w.from.0 / SimTime::MS, w.to.0 / SimTime::MS))
            .collect();
        assert_eq!(
            spans,
            vec![
                // A skew is no fault window: the crash ends at the restart.
                (FaultKind::Crash, 1000, 3000),
                (FaultKind::Loss, 2000, 8000),
                (FaultKind::Pause, 4000, 30000),
                (FaultKind::Partition, 5000, 15000),
                // Still cut at the end: closed at the end.
                (FaultKind::Partition, 25000, 30000),
            ]
        );
    }

    /// On a 1000-pixel axis of 10 s with no margins, a second is about
    /// 100 pixels (plotters maps the range onto pixels 0 to 999): the
    /// shading covers exactly the window's seconds.
    #[test]
    fn shading_covers_the_window_on_the_time_axis() {
        let windows = [
            window(FaultKind::Partition, ms(2000), ms(5000), None),
            window(FaultKind::Crash, ms(7000), ms(7500), Some(NodeId(1))),
        ];
        let svg = super::super::render(1000, 100, |root| {
            let mut chart = ChartBuilder::on(root)
                .build_cartesian_2d(0.0..10.0, 0.0..1.0)
                .map_err(failed)?;
            shade(&mut chart, &windows, (0.0, 1.0), true)
        })
        .unwrap();
        assert!(
            svg.contains(
                r##"<rect x="199" y="0" width="300" height="99" opacity="0.22" fill="#F0AA3C""##
            ),
            "{svg}"
        );
        assert!(
            svg.contains(
                r##"<rect x="699" y="0" width="50" height="99" opacity="0.22" fill="#DC3C3C""##
            ),
            "{svg}"
        );
    }
}
