//! Sentences for the faults the schedule applied and the run's end: they
//! concern the whole cluster (or one node of it), so the key filter keeps
//! them: a partition is why a put needed a stand-in.

use super::Draft;
use crate::trace::read::Record;

/// `{n1 n2 n3} | {n4 n5 n6}`.
fn sides(groups: &[Vec<&str>]) -> String {
    let parts: Vec<String> = groups
        .iter()
        .map(|g| format!("{{{}}}", g.join(" ")))
        .collect();
    parts.join(" | ")
}

fn global(text: String) -> Option<Draft> {
    Some(Draft {
        text,
        key: None,
        nodes: Vec::new(),
        global: true,
        at: None,
    })
}

/// The sentence of a fault record, or `None` for a kind not told.
pub(super) fn fault(r: &Record) -> Option<Draft> {
    let node = r.str("node").unwrap_or("?");
    let until = || {
        r.u64("until")
            .map_or(String::new(), |t| format!(" until t={}", super::time(t)))
    };
    match r.kind.as_str() {
        "partition" => match r.str("how") {
            Some("isolate") => global(format!(
                "partition: {node} is cut off from every other node"
            )),
            Some("cut") => global(format!(
                "one-way cut: messages from {} to {} are lost",
                r.str("from").unwrap_or("?"),
                r.str("to").unwrap_or("?")
            )),
            Some("bridge") => global(format!(
                "partition: {{{}}} | {{{}}}, bridged only through {}",
                r.strs("left").join(" "),
                r.strs("right").join(" "),
                r.str("via").unwrap_or("?")
            )),
            _ => global(format!("partition: {}", sides(&r.groups("groups")))),
        },
        "heal" => match r.str("links") {
            Some("all") => global("heal: every link works again".into()),
            _ => global(format!(
                "heal: links between {} work again",
                sides(&r.groups("groups"))
            )),
        },
        "crash" => global(format!(
            "{node} crashes: it loses what it held in memory, its disk stays"
        )),
        "restart" => match r.bool("wipe_disk") {
            Some(true) => global(format!("{node} restarts with an empty disk")),
            _ => global(format!("{node} restarts with its disk")),
        },
        "pause" => global(format!("{node} pauses: it handles nothing until resumed")),
        "resume" => global(format!("{node} resumes")),
        "loss" => global(format!(
            "the network loses {:.0}% of messages{}",
            100.0 * r.f64("p").unwrap_or(0.0),
            until()
        )),
        "latency" => global(format!("network latency changes{}", until())),
        "window-end" => global(format!(
            "the {} window ends",
            r.str("what").unwrap_or("fault")
        )),
        "skew" => {
            let offset = r
                .fields
                .get("offset_ns")
                .and_then(|v| v.as_i64())
                .unwrap_or(0);
            let sign = if offset < 0 { "-" } else { "+" };
            global(format!(
                "{node}'s clock is skewed by {sign}{}: the timestamps it stamps move with it",
                crate::time::SimTime(offset.unsigned_abs())
            ))
        }
        "join" => global(format!("{node} joins the cluster through the seeds")),
        "leave" => global(format!(
            "{node} starts to leave: it hands its keys to their new replicas"
        )),
        "left" => global(format!("{node} has left")),
        "fault-ignored" => global(format!(
            "{} of {node} ignored: it is {}",
            r.str("fault").unwrap_or("a fault"),
            r.str("status").unwrap_or("not there")
        )),
        "end" => global("the run ends".into()),
        _ => None,
    }
}
