//! The verdict of every expectation and the run's key figures, as large
//! tables and cards a class can read from the back of the room.

use super::escape;
use crate::report::{Quantiles, Summary};
use serde_json::Value;
use std::fmt::Write as _;

/// An expectation's bound or a measured value in words: `≥ 0.95`,
/// `≤ 6000 ms`, `0`.
pub(super) fn value_text(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    let (op, unit) = match k.as_str() {
                        "min" => ("≥ ", ""),
                        "max" => ("≤ ", ""),
                        "min_ms" => ("≥ ", " ms"),
                        "max_ms" => ("≤ ", " ms"),
                        _ => ("", ""),
                    };
                    if op.is_empty() {
                        format!("{k} {}", value_text(v))
                    } else {
                        format!("{op}{}{unit}", value_text(v))
                    }
                })
                .collect();
            parts.join(", ")
        }
        Value::Number(n) => match n.as_f64() {
            // 4000.0 reads as 4000, 0.97404326 as 0.974
            Some(f) if f.is_finite() => format!("{}", (f * 1000.0).round() / 1000.0),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

pub(super) fn expectations(html: &mut String, summary: &Summary) {
    html.push_str("<section id=\"expectations\">\n<h2>Expectations</h2>\n");
    if summary.expectations.is_empty() {
        html.push_str("<p>The scenario states no expectation.</p>\n</section>\n");
        return;
    }
    html.push_str("<table class=\"verdicts\">\n<thead><tr><th>expectation</th><th>expected</th><th>measured</th><th>verdict</th></tr></thead>\n<tbody>\n");
    for v in &summary.expectations {
        let (class, word) = if v.ok {
            ("held", "held")
        } else {
            ("failed", "FAILED")
        };
        let _ = writeln!(
            html,
            "<tr class=\"{class}\"><td>{}</td><td>{}</td><td>{}</td><td><span class=\"badge {class}\">{word}</span></td></tr>",
            escape(&v.name.replace('_', " ")),
            escape(&value_text(&v.expected)),
            escape(&value_text(&v.actual)),
        );
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |v| format!("{v:.1} ms"))
}

fn latency(q: &Quantiles) -> String {
    format!("p50 {} · p99 {}", ms(q.p50), ms(q.p99))
}

pub(super) fn key_figures(html: &mut String, s: &Summary) {
    let count = |c: Option<u64>| c.map_or("-".to_string(), |c| c.to_string());
    let convergence = match (s.convergence.converged, s.convergence.after_last_heal_ms) {
        (_, Some(after)) if s.convergence.last_heal_ms > 0.0 => {
            format!("{after:.0} ms after the last heal")
        }
        (true, _) => "replicas agree".to_string(),
        (false, _) => "NOT converged".to_string(),
    };
    let cards = [
        (
            "gets",
            format!("{} ok", s.ops.get.ok),
            format!("{} failed, {} timed out", s.ops.get.fail, s.ops.get.timeout),
        ),
        (
            "puts",
            format!("{} ok", s.ops.put.ok),
            format!("{} failed, {} timed out", s.ops.put.fail, s.ops.put.timeout),
        ),
        (
            "get latency",
            ms(s.latency_ms.get.p99),
            latency(&s.latency_ms.get),
        ),
        (
            "put latency",
            ms(s.latency_ms.put.p99),
            latency(&s.latency_ms.put),
        ),
        (
            "lost acknowledged writes",
            count(s.lost_acked_writes),
            "acknowledged puts the replicas forgot".to_string(),
        ),
        (
            "stale reads",
            count(s.stale_reads),
            "gets that missed an acknowledged put".to_string(),
        ),
        (
            "hints",
            format!("{} kept", s.hints.stored),
            format!("{} handed back to their owners", s.hints.delivered),
        ),
        (
            "read repairs",
            s.read_repairs.to_string(),
            "stale replicas fixed after a get".to_string(),
        ),
        (
            "convergence",
            convergence,
            format!(
                "{} divergent keys at the end",
                s.divergence.last().map_or(0, |d| d.1)
            ),
        ),
        (
            "messages",
            format!("{} sent", s.messages.sent),
            format!(
                "dropped: {} lost, {} by a partition, {} to a crashed node",
                s.messages.dropped.loss, s.messages.dropped.partition, s.messages.dropped.crashed
            ),
        ),
    ];
    html.push_str("<section id=\"figures\">\n<h2>Key figures</h2>\n<div class=\"cards\">\n");
    for (name, big, small) in cards {
        let _ = writeln!(
            html,
            "<div class=\"card\"><div class=\"name\">{name}</div><div class=\"big\">{}</div><div class=\"small\">{}</div></div>",
            escape(&big),
            escape(&small)
        );
    }
    html.push_str("</div>\n");
    divergent(html, s);
    html.push_str("</section>\n");
}

/// The keys still divergent at the end, each replica's values, and how
/// long anti-entropy takes to compare everything once.
fn divergent(html: &mut String, s: &Summary) {
    let ae = &s.anti_entropy;
    if let Some(pass) = ae.full_pass_ms {
        let _ = writeln!(
            html,
            "<p class=\"full-pass\">A full anti-entropy pass (every range a node replicates compared with each other replica, {} range(s) an exchange) takes {:.0} s.</p>",
            ae.ranges_per_exchange,
            pass / 1000.0
        );
    }
    if s.convergence.divergent.is_empty() {
        return;
    }
    html.push_str("<table class=\"divergent\">\n<thead><tr><th>divergent at the end</th><th>replica</th><th>values</th></tr></thead>\n<tbody>\n");
    for d in &s.convergence.divergent {
        for (i, (node, values)) in d.replicas.iter().enumerate() {
            let key = if i == 0 {
                escape(&d.key)
            } else {
                String::new()
            };
            let _ = writeln!(
                html,
                "<tr><td>{key}</td><td>{}</td><td>{}</td></tr>",
                escape(node),
                escape(&format!("[{}]", values.join(", ")))
            );
        }
    }
    html.push_str("</tbody>\n</table>\n");
}
