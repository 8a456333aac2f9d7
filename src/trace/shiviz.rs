//! `shiviz.log`: the trace as a log the ShiViz visualiser reads with its
//! default regular expression `(?<event>.*)\n(?<host>\S*) (?<clock>{.*})`:
//! each event is a line of text, then a line with its host and vector
//! clock as JSON, `n1 {"n1":3,"alice":1}`.
//!
//! ShiViz rejects a log unless each host's own entry starts at 1 and rises
//! by one per event it logs, so the clocks here are event clocks over the
//! trace's messages, kept by the exporter, not the per-key version clocks
//! of the store (those may appear in the event text): a send ticks the
//! sender; a delivery merges the sender's clock as it was at the send,
//! then ticks the receiver; a local event (a fault, a request's start or
//! end, a protocol note) ticks its host. A dropped message logs only its
//! send. Timers are left out: they say nothing about causality.

use super::export::{Clients, InFlight, is_fault, message_label, note_label};
use super::read::Record;
use std::collections::BTreeMap;
use std::io::{self, Write};

type Clock = BTreeMap<String, u64>;

/// Streams records into a ShiViz log.
pub struct ShiViz<W: Write> {
    out: W,
    clients: Clients,
    clocks: BTreeMap<String, Clock>,
    /// Messages in flight with the sender's clock at the send.
    in_flight: InFlight<Clock>,
}

/// The whole trace as a ShiViz log.
pub fn export(records: &[Record]) -> String {
    let mut exporter = ShiViz::new(Vec::new());
    for r in records {
        if exporter.push(r).is_err() {
            break;
        }
    }
    let bytes = exporter.finish().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// A host name ShiViz's `\S*` takes whole.
fn host(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect()
}

impl<W: Write> ShiViz<W> {
    pub fn new(out: W) -> Self {
        ShiViz {
            out,
            clients: Clients::default(),
            clocks: BTreeMap::new(),
            in_flight: InFlight::new(),
        }
    }

    /// Ticks `who`'s clock, merged first with `seen`, and logs the event.
    fn log(&mut self, who: &str, t: u64, text: &str, seen: Option<&Clock>) -> io::Result<()> {
        let who = host(who);
        let clock = self.clocks.entry(who.clone()).or_default();
        if let Some(seen) = seen {
            for (h, &c) in seen {
                let mine = clock.entry(h.clone()).or_insert(0);
                *mine = (*mine).max(c);
            }
        }
        *clock.entry(who.clone()).or_insert(0) += 1;
        // One line of text: ShiViz's `.*` stops at a line break.
        let text: String = text
            .chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
            .collect();
        let json = serde_json::to_string(clock).map_err(io::Error::other)?;
        writeln!(self.out, "{:.3}ms {text}\n{who} {json}", t as f64 / 1e6)
    }

    /// Takes the next record of the trace.
    pub fn push(&mut self, r: &Record) -> io::Result<()> {
        self.clients.observe(r);
        match r.kind.as_str() {
            "send" => {
                let (Some(from), Some(to), Some(m)) = (r.str("from"), r.str("to"), r.u64("m"))
                else {
                    return Ok(());
                };
                let text = format!("send {} to {to} #{m}", message_label(r));
                self.log(from, r.t, &text, None)?;
                let clock = self.clocks.get(&host(from)).cloned().unwrap_or_default();
                self.in_flight.sent(m, clock);
            }
            "duplicate" => {
                if let Some(m) = r.u64("m") {
                    self.in_flight.duplicated(m);
                }
            }
            "drop" => {
                if let Some(m) = r.u64("m") {
                    self.in_flight.settle(m);
                }
            }
            "deliver" => {
                let (Some(from), Some(to), Some(m)) = (r.str("from"), r.str("to"), r.u64("m"))
                else {
                    return Ok(());
                };
                let Some(seen) = self.in_flight.settle(m) else {
                    return Ok(());
                };
                let text = format!("recv {} from {from} #{m}", message_label(r));
                self.log(to, r.t, &text, Some(&seen))?;
            }
            "timer" | "end" => {}
            "invoke" | "complete" => {
                if let Some(client) = r.str("client") {
                    let text = request_text(r);
                    self.log(client, r.t, &text, None)?;
                }
            }
            kind if is_fault(kind) && r.str("node").is_none() => {
                // The network's faults happen at every node.
                let text = note_label(r);
                let nodes: Vec<String> = self
                    .clocks
                    .keys()
                    .filter(|h| !self.clients.contains(h))
                    .cloned()
                    .collect();
                for node in nodes {
                    self.log(&node, r.t, &text, None)?;
                }
            }
            _ => {
                let who = r.str("node").or_else(|| r.str("client"));
                if let Some(who) = who.map(str::to_string) {
                    let text = note_text(r);
                    self.log(&who, r.t, &text, None)?;
                }
            }
        }
        Ok(())
    }

    pub fn finish(self) -> io::Result<W> {
        Ok(self.out)
    }
}

/// `put cart=milk (op 0)`, `get cart done: ok [eggs]`.
fn request_text(r: &Record) -> String {
    let mut text = format!(
        "{} {} {}",
        r.kind,
        r.str("f").unwrap_or("op"),
        r.str("key").unwrap_or("?")
    );
    if let Some(v) = r.str("value") {
        text.push_str(&format!("={v}"));
    }
    if let Some(outcome) = r.str("outcome") {
        text.push_str(&format!(": {outcome}"));
    }
    let values = r.strs("values");
    if r.kind == "complete" && r.str("f") == Some("get") {
        text.push_str(&format!(" [{}]", values.join(",")));
    }
    if let Some(op) = r.u64("op") {
        text.push_str(&format!(" (op {op})"));
    }
    text
}

/// A protocol note; a `stored` note shows each value with its version
/// clock, `stored cart: milk [n1:1], eggs [n2:1]`.
fn note_text(r: &Record) -> String {
    if r.kind == "stored" {
        return format!(
            "stored {}: {}",
            r.str("key").unwrap_or("?"),
            r.siblings().join(", ")
        );
    }
    if r.kind == "coordinate" {
        return format!(
            "coordinate {} {} (op {}) with {}",
            r.str("f").unwrap_or("op"),
            r.str("key").unwrap_or("?"),
            r.u64("op").unwrap_or(0),
            r.strs("to").join(" ")
        );
    }
    if r.kind == "quorum" {
        return format!(
            "quorum op {} ({})",
            r.u64("op").unwrap_or(0),
            r.str("outcome").unwrap_or("?")
        );
    }
    note_label(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::read::parse;

    fn clocks(log: &str) -> Vec<(String, Clock)> {
        log.lines()
            .skip(1)
            .step_by(2)
            .map(|l| {
                let (h, c) = l.split_once(' ').unwrap();
                (h.to_string(), serde_json::from_str(c).unwrap())
            })
            .collect()
    }

    #[test]
    fn a_delivery_merges_the_clock_at_the_send() {
        let log = export(
            &parse(
                r#"{"t":0,"kind":"send","from":"n1","to":"n2","msg":"Store","m":0}
{"t":1,"kind":"send","from":"n1","to":"n2","msg":"Store","m":1}
{"t":2,"kind":"deliver","from":"n1","to":"n2","msg":"Store","m":0}
{"t":3,"kind":"deliver","from":"n1","to":"n2","msg":"Store","m":1}"#,
            )
            .unwrap(),
        );
        let c = clocks(&log);
        assert_eq!(c.len(), 4);
        // The first delivery knows of the first send only, not the second.
        assert_eq!(c[2].0, "n2");
        assert_eq!(c[2].1.get("n1"), Some(&1));
        assert_eq!(c[2].1.get("n2"), Some(&1));
        assert_eq!(c[3].1.get("n1"), Some(&2));
        assert_eq!(c[3].1.get("n2"), Some(&2));
    }

    #[test]
    fn a_dropped_message_logs_only_its_send() {
        let log = export(
            &parse(
                r#"{"t":0,"kind":"send","from":"n1","to":"n2","msg":"Store","m":0}
{"t":0,"kind":"drop","from":"n1","to":"n2","msg":"Store","m":0,"why":"loss"}
{"t":2,"kind":"deliver","from":"n1","to":"n2","msg":"Store","m":0}"#,
            )
            .unwrap(),
        );
        assert_eq!(log.lines().count(), 2, "{log}");
    }

    #[test]
    fn stored_notes_show_version_clocks() {
        let r = crate::trace::read::parse_line(
            r#"{"t":0,"kind":"stored","node":"n1","key":"cart","values":["milk"],"clocks":["[n1:1]"]}"#,
        )
        .unwrap();
        assert_eq!(note_text(&r), "stored cart: milk [n1:1]");
    }
}
