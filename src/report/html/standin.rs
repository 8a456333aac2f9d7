//! STAND-IN, replaced at merge by `explain::narrate`: a minimal sentence
//! for the records a class cares about (operations, coordination, quorums,
//! faults, membership), so the viewer has something to say beneath each
//! event until the narrator lands. Message traffic gets no sentence here:
//! the viewer describes each event from its columns anyway.

use crate::trace::read::Record;

/// `(record index, sentence)` for the records worth a sentence.
pub fn sentences(records: &[Record]) -> Vec<(usize, String)> {
    records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| sentence(r).map(|s| (i, format!("t={:.1}ms {s}", r.ms()))))
        .collect()
}

fn sentence(r: &Record) -> Option<String> {
    let s = |f: &str| r.str(f).unwrap_or("?");
    Some(match r.kind.as_str() {
        "invoke" => match r.str("value") {
            Some(v) => format!(
                "client {} asks for {}({}) of {v}",
                s("client"),
                s("f"),
                s("key")
            ),
            None => format!("client {} asks for {}({})", s("client"), s("f"), s("key")),
        },
        "complete" => format!(
            "client {} gets {} for {}({})",
            s("client"),
            s("outcome"),
            s("f"),
            s("key")
        ),
        "coordinate" => format!(
            "{} coordinates {}({}): preference list {}",
            s("node"),
            s("f"),
            s("key"),
            r.strs("pref").join(", ")
        ),
        "quorum" => format!(
            "{} heard {} replicas: {}",
            s("node"),
            r.u64("heard").unwrap_or(0),
            s("outcome")
        ),
        "stand-in" => format!("{} stands in for {} on {}", s("at"), s("owner"), s("key")),
        "crash" | "restart" | "pause" | "resume" | "join" | "leave" | "left" => {
            format!("{} {}", s("node"), r.kind)
        }
        "partition" => {
            let groups: Vec<String> = r
                .groups("groups")
                .iter()
                .map(|g| format!("{{{}}}", g.join(" ")))
                .collect();
            format!("partition {}", groups.join(" | "))
        }
        "heal" => "the network heals".to_string(),
        "member" => format!("{} now takes {} for {}", s("node"), s("peer"), s("status")),
        "stored" => format!(
            "{} holds {} of {}: {}",
            s("node"),
            r.strs("values").join(", "),
            s("key"),
            r.strs("clocks").join(" ")
        ),
        _ => return None,
    })
}
