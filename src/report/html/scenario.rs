//! The page's first section: what the scenario set up (cluster, N/R/W,
//! versioning, workload) and its faults, listed and drawn on a timeline
//! with the windows they open shaded (a partition until its heal, a crash
//! until its restart).

use super::escape;
use crate::id::NodeId;
use crate::scenario::{FaultAction, PutContext, Scenario, ScriptedKind, Versioning};
use crate::time::SimTime;
use std::fmt::Write as _;

/// A duration as people read it: `30s`, `250ms`.
pub(super) fn duration(t: SimTime) -> String {
    t.to_string()
}

pub(super) fn section(html: &mut String, s: &Scenario) {
    html.push_str(
        "<section id=\"scenario\">\n<h2>What the scenario did</h2>\n<div class=\"facts\">\n",
    );
    let c = &s.cluster;
    let r = &s.replication;
    let mut cluster = format!(
        "{} nodes, {} vnodes each, {}",
        c.nodes,
        c.vnodes,
        c.strategy.as_str()
    );
    if c.spares > 0 {
        let _ = write!(cluster, ", {} spares", c.spares);
    }
    if !c.regions.is_empty() {
        let regions: Vec<String> = c
            .regions
            .iter()
            .map(|(name, n)| format!("{name} ({n})"))
            .collect();
        let _ = write!(cluster, "; regions {}", regions.join(", "));
    }
    let versioning = match r.versioning {
        Versioning::VectorClock => "vector clocks",
        Versioning::Dvv => "dotted version vectors",
        Versioning::Lww => "last write wins",
    };
    let on_off = |b: bool| if b { "on" } else { "off" };
    let workload = match &s.workload {
        Some(w) if w.mix_update > 0.0 => format!(
            "{} clients, {} keys, {} gets / {} puts / {} deletes / {} updates ({} values), {}",
            w.clients,
            w.keys,
            w.mix_get,
            w.mix_put,
            w.mix_delete,
            w.mix_update,
            s.values.value_type.as_str(),
            w.rate
        ),
        Some(w) => format!(
            "{} clients, {} keys, {} gets / {} puts / {} deletes, {}",
            w.clients, w.keys, w.mix_get, w.mix_put, w.mix_delete, w.rate
        ),
        None => "none (scripted operations only)".to_string(),
    };
    let rows = [
        ("Cluster", cluster),
        ("Quorum", format!("N = {}, R = {}, W = {}", r.n, r.r, r.w)),
        ("Versioning", versioning.to_string()),
        (
            "Sloppy quorum",
            format!(
                "{}; hinted handoff {}; read repair {}",
                on_off(r.sloppy_quorum),
                on_off(r.hinted_handoff),
                on_off(r.read_repair)
            ),
        ),
        (
            "Gossip",
            match s.gossip.enabled {
                true => format!(
                    "every {}, down after {}",
                    s.gossip.interval, s.gossip.suspect_after
                ),
                false => "off".to_string(),
            },
        ),
        (
            "Anti-entropy",
            match s.anti_entropy.enabled {
                true => format!("Merkle exchange every {}", s.anti_entropy.interval),
                false => "off".to_string(),
            },
        ),
        ("Workload", workload),
        ("Scripted operations", s.ops.len().to_string()),
        (
            "Run",
            format!("{} of workload, then {} quiet", s.duration, s.quiesce),
        ),
    ];
    html.push_str("<table class=\"facts\">\n");
    for (name, value) in rows {
        let _ = writeln!(
            html,
            "<tr><th scope=\"row\">{name}</th><td>{}</td></tr>",
            escape(&value)
        );
    }
    html.push_str("</table>\n</div>\n");
    operations(html, s);
    faults(html, s);
    html.push_str("</section>\n");
}

/// Past this many scripted operations the list is cut: a lesson has a
/// handful, a generated scenario may have thousands.
const MAX_LISTED_OPS: usize = 40;

/// The scripted operations in words: "1s alice puts milk in cart through n1".
fn operations(html: &mut String, s: &Scenario) {
    if s.ops.is_empty() {
        return;
    }
    // Numbered as the verdicts (`op[5].returns`) and `--set op[5]...`
    // name them, from 0, rather than by the list's own 1, 2, ...
    html.push_str("<h3>Scripted operations</h3>\n<ol class=\"faults ops\">\n");
    for (index, op) in s.ops.iter().enumerate().take(MAX_LISTED_OPS) {
        let client = s
            .named_clients
            .get(op.client as usize)
            .map_or("a client", String::as_str);
        let mut text = match &op.kind {
            ScriptedKind::Get => format!("{client} gets {}", op.key),
            ScriptedKind::Put { value, context } => {
                let blind = match context {
                    PutContext::None => " (blind)",
                    PutContext::LastRead => "",
                };
                format!("{client} puts {value} in {}{blind}", op.key)
            }
            ScriptedKind::Delete { context } => {
                let blind = match context {
                    PutContext::None => " (blind)",
                    PutContext::LastRead => "",
                };
                format!("{client} deletes {}{blind}", op.key)
            }
            ScriptedKind::Update { add, remove, delta } => {
                let mut parts = Vec::new();
                if !remove.is_empty() {
                    parts.push(format!("removes {}", remove.join(", ")));
                }
                if !add.is_empty() {
                    parts.push(format!("adds {}", add.join(", ")));
                }
                if *delta != 0 {
                    parts.push(format!("adds {delta:+}"));
                }
                format!("{client} reads {} and {}", op.key, parts.join(" and "))
            }
        };
        if let Some(via) = op.via {
            let _ = write!(text, " through {via}");
        }
        if let Some(values) = &op.returns {
            let _ = write!(text, "; expects [{}]", values.join(", "));
        }
        let _ = writeln!(
            html,
            "<li><code>op[{index}]</code> <span class=\"at\">{}</span> {}</li>",
            op.at,
            escape(&text)
        );
    }
    html.push_str("</ol>\n");
    if s.ops.len() > MAX_LISTED_OPS {
        let _ = writeln!(html, "<p>and {} more.</p>", s.ops.len() - MAX_LISTED_OPS);
    }
}

fn nodes(list: &[NodeId]) -> String {
    let names: Vec<String> = list.iter().map(NodeId::to_string).collect();
    format!("{{{}}}", names.join(" "))
}

/// A fault in words.
pub(super) fn describe(action: &FaultAction) -> String {
    match action {
        FaultAction::Partition(groups) => {
            let sides: Vec<String> = groups.iter().map(|g| nodes(g)).collect();
            format!("partition {}", sides.join(" | "))
        }
        FaultAction::HealAll => "heal every link".to_string(),
        FaultAction::Heal(groups) => {
            let sides: Vec<String> = groups.iter().map(|g| nodes(g)).collect();
            format!("heal inside {}", sides.join(", "))
        }
        FaultAction::Isolate(n) => format!("isolate {n}"),
        FaultAction::Cut { from, to } => format!("cut {from} → {to} (one way)"),
        FaultAction::Bridge { left, right, via } => {
            format!("bridge {} | {} via {via}", nodes(left), nodes(right))
        }
        FaultAction::SplitMajority => "split into a majority and a minority".to_string(),
        FaultAction::Crash(n) => format!("crash {n}"),
        FaultAction::Restart { node, wipe_disk } => match wipe_disk {
            true => format!("restart {node} with an empty disk"),
            false => format!("restart {node}"),
        },
        FaultAction::Pause(n) => format!("pause {n}"),
        FaultAction::Resume(n) => format!("resume {n}"),
        FaultAction::Loss { probability, until } => {
            format!("lose {:.0}% of messages until {until}", probability * 100.0)
        }
        FaultAction::Latency { until, .. } => format!("slower network until {until}"),
        FaultAction::Skew { node, offset_ns } => {
            format!("{node}'s clock off by {:.1} ms", *offset_ns as f64 / 1e6)
        }
        FaultAction::Join(n) => format!("{n} joins"),
        FaultAction::Leave(n) => format!("{n} leaves"),
        FaultAction::Forget { node, key } => format!("{node} loses its copy of {key}"),
    }
}

/// A shaded window on the timeline: what, from, until.
struct Window {
    class: &'static str,
    label: String,
    from: SimTime,
    until: SimTime,
}

/// The windows the faults open, each closed by the fault that ends it (or
/// the run's end).
fn windows(s: &Scenario) -> Vec<Window> {
    let end = s.end();
    let mut out = Vec::new();
    let closing = |from: usize, ends: &dyn Fn(&FaultAction) -> bool| {
        s.faults[from + 1..]
            .iter()
            .find(|f| ends(&f.action))
            .map_or(end, |f| f.at)
    };
    for (i, f) in s.faults.iter().enumerate() {
        let (class, until) = match &f.action {
            FaultAction::Partition(_)
            | FaultAction::Isolate(_)
            | FaultAction::Cut { .. }
            | FaultAction::Bridge { .. }
            | FaultAction::SplitMajority => (
                "cut",
                closing(i, &|a| {
                    matches!(a, FaultAction::HealAll | FaultAction::Heal(_))
                }),
            ),
            FaultAction::Crash(n) => (
                "crash",
                closing(
                    i,
                    &|a| matches!(a, FaultAction::Restart { node, .. } if node == n),
                ),
            ),
            FaultAction::Pause(n) => (
                "pause",
                closing(i, &|a| matches!(a, FaultAction::Resume(m) if m == n)),
            ),
            FaultAction::Loss { until, .. } | FaultAction::Latency { until, .. } => ("net", *until),
            _ => continue,
        };
        out.push(Window {
            class,
            label: describe(&f.action),
            from: f.at,
            until: until.min(end),
        });
    }
    out
}

/// The average advance of a timeline label's characters, in the SVG's
/// units: about 0.6 em of its 16-unit sans-serif text.
const LABEL_ADVANCE: f64 = 9.6;

fn faults(html: &mut String, s: &Scenario) {
    html.push_str("<h3>Faults</h3>\n");
    if s.faults.is_empty() {
        html.push_str("<p>No scheduled faults.</p>\n");
    }
    let end = s.end().0.max(1) as f64;
    let width = 1000.0;
    let x = |t: SimTime| 20.0 + (t.0 as f64 / end).min(1.0) * (width - 40.0);
    let windows = windows(s);
    let lanes = windows.len().max(1);
    let height = 70 + 34 * lanes;
    let _ = writeln!(
        html,
        "<svg class=\"timeline\" role=\"img\" aria-label=\"Fault timeline\" viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    // The clients' phase (`duration`), then the quiet period; named for
    // what acts in it, so a scripted lesson shows no "workload".
    let phase = match (&s.workload, s.ops.is_empty()) {
        (Some(_), _) => "workload",
        (None, false) => "scripted ops",
        (None, true) => "no client ops",
    };
    let _ = writeln!(
        html,
        "<rect class=\"workload\" x=\"{:.1}\" y=\"8\" width=\"{:.1}\" height=\"18\"/><text class=\"small\" x=\"{:.1}\" y=\"22\">{phase}</text>",
        x(SimTime(0)),
        x(s.duration) - x(SimTime(0)),
        x(SimTime(0)) + 6.0
    );
    for (lane, w) in windows.iter().enumerate() {
        let y = 36 + 34 * lane;
        // A label sits inside its window when it fits there, else beside
        // it, after the window when the picture has room and before it
        // otherwise, never half in and half out of the box, never cut off
        // by the picture's edge. Widths are estimated at the label font's
        // average advance.
        let label_width = w.label.chars().count() as f64 * LABEL_ADVANCE;
        let (from_x, until_x) = (x(w.from), x(w.from) + (x(w.until) - x(w.from)).max(3.0));
        let (label_x, anchor) = if until_x - from_x >= label_width + 12.0 {
            (from_x + 6.0, "start")
        } else if until_x + 6.0 + label_width <= width - 4.0 {
            (until_x + 6.0, "start")
        } else {
            (from_x - 6.0, "end")
        };
        let _ = writeln!(
            html,
            "<rect class=\"window {}\" x=\"{:.1}\" y=\"{y}\" width=\"{:.1}\" height=\"26\"><title>{}</title></rect><text text-anchor=\"{anchor}\" x=\"{label_x:.1}\" y=\"{}\">{}</text>",
            w.class,
            x(w.from),
            (x(w.until) - x(w.from)).max(3.0),
            escape(&w.label),
            y + 19,
            escape(&w.label)
        );
    }
    let axis = height - 26;
    let _ = writeln!(
        html,
        "<line class=\"axis\" x1=\"20\" y1=\"{axis}\" x2=\"{}\" y2=\"{axis}\"/>",
        width - 20.0
    );
    for i in 0..=5u64 {
        let t = SimTime(s.end().0 / 5 * i);
        let anchor = match i {
            0 => "start",
            5 => "end",
            _ => "middle",
        };
        let _ = writeln!(
            html,
            "<text class=\"small\" text-anchor=\"{anchor}\" x=\"{:.1}\" y=\"{}\">{}</text>",
            x(t),
            axis + 22,
            t
        );
    }
    html.push_str("</svg>\n");
    if !s.faults.is_empty() {
        html.push_str("<ol class=\"faults\">\n");
        for f in &s.faults {
            let _ = writeln!(
                html,
                "<li><span class=\"at\">{}</span> {}</li>",
                f.at,
                escape(&describe(&f.action))
            );
        }
        html.push_str("</ol>\n");
    }
    if let Some(n) = &s.nemesis {
        let _ = writeln!(
            html,
            "<p>Plus random faults from the nemesis at {}, all healed by {}.</p>",
            escape(&n.rate.to_string()),
            n.heal_by
        );
    }
}
