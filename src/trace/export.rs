//! What the trace exporters share: which names are clients, how a message
//! or a fault reads in one line, and the driver that turns a finished
//! `trace.jsonl` into `trace.perfetto.json` and `shiviz.log`.
//!
//! The driver streams the trace line by line into every exporter at once,
//! so a long run's trace is never held in memory; each exporter keeps only
//! the messages still in flight and the requests still open.

use super::read::Record;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Messages sent and not yet delivered as often as they will be, by the
/// trace's message id `m`, each with what its exporter keeps of the send.
/// A duplicate owes one more delivery; a delivery or a drop settles one;
/// at zero the message is forgotten, so memory holds only what is in
/// flight.
pub struct InFlight<T> {
    by_id: BTreeMap<u64, (T, u32)>,
}

impl<T: Clone> InFlight<T> {
    pub fn new() -> Self {
        InFlight {
            by_id: BTreeMap::new(),
        }
    }

    pub fn sent(&mut self, m: u64, what: T) {
        self.by_id.insert(m, (what, 1));
    }

    pub fn duplicated(&mut self, m: u64) {
        if let Some((_, owed)) = self.by_id.get_mut(&m) {
            *owed += 1;
        }
    }

    /// One delivery or drop of `m`: what was kept of its send, if it is
    /// known (a trace cut short may deliver what it never showed sent).
    pub fn settle(&mut self, m: u64) -> Option<T> {
        let (what, owed) = self.by_id.get_mut(&m)?;
        *owed = owed.saturating_sub(1);
        match *owed {
            0 => self.by_id.remove(&m).map(|(what, _)| what),
            _ => Some(what.clone()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

impl<T: Clone> Default for InFlight<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The file an exporter writes into the report folder.
pub const PERFETTO_FILE: &str = "trace.perfetto.json";
pub const SHIVIZ_FILE: &str = "shiviz.log";

/// A trace format that is derived from `trace.jsonl` after the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    Perfetto,
    ShiViz,
}

/// Fault kinds: what the nemesis or the scenario did to the world.
pub const FAULT_KINDS: &[&str] = &[
    "crash",
    "restart",
    "pause",
    "resume",
    "partition",
    "heal",
    "loss",
    "latency",
    "skew",
    "join",
    "leave",
    "left",
    "window-end",
];

pub fn is_fault(kind: &str) -> bool {
    FAULT_KINDS.contains(&kind)
}

/// Message kinds: a record of one of these has `from`, `to`, `msg`, `m`.
pub fn is_message(kind: &str) -> bool {
    matches!(kind, "send" | "deliver" | "drop" | "duplicate")
}

/// Which endpoint names are clients. A client is named in the `client`
/// field of its own records (`invoke`, `timer`, ...), which the trace
/// writes before the client's first message; every other endpoint is a
/// node.
#[derive(Default, Debug)]
pub struct Clients {
    names: BTreeSet<String>,
}

impl Clients {
    /// Learns from one record; call for every record, in order.
    pub fn observe(&mut self, r: &Record) {
        if let Some(c) = r.str("client") {
            if !self.names.contains(c) {
                self.names.insert(c.to_string());
            }
        }
    }

    /// Every client named anywhere in `records`.
    pub fn of(records: &[Record]) -> Clients {
        let mut clients = Clients::default();
        records.iter().for_each(|r| clients.observe(r));
        clients
    }

    pub fn contains(&self, name: &str) -> bool {
        self.names.contains(name)
    }
}

/// Where a node sorts among nodes: `n7` is 7; other names after them.
pub fn node_number(name: &str) -> u64 {
    name.strip_prefix('n')
        .and_then(|d| d.parse::<u64>().ok())
        .unwrap_or(u64::MAX / 2)
}

/// A message in a few words: `Store cart [milk]`, `Request put cart=milk`,
/// `Reply ok [eggs]`, `GossipSyn`.
pub fn message_label(r: &Record) -> String {
    let mut label = r.str("msg").unwrap_or("message").to_string();
    if let Some(f) = r.str("f") {
        label.push(' ');
        label.push_str(f);
    }
    if let Some(answer) = r.str("answer") {
        label.push(' ');
        label.push_str(answer);
    }
    if let Some(key) = r.str("key") {
        label.push(' ');
        label.push_str(key);
    }
    if let Some(value) = r.str("value") {
        label.push('=');
        label.push_str(value);
    }
    let values = r.strs("values");
    if !values.is_empty() {
        label.push_str(" [");
        label.push_str(&values.join(","));
        label.push(']');
    }
    label
}

/// A fault or protocol note in a few words: `crash n3`,
/// `partition n1 n2 | n3`, `suspect n2 (request timed out)`.
pub fn note_label(r: &Record) -> String {
    let mut label = r.kind.clone();
    let groups = r.groups("groups");
    if !groups.is_empty() {
        let sides: Vec<String> = groups.iter().map(|g| g.join(" ")).collect();
        label.push(' ');
        label.push_str(&sides.join(" | "));
    }
    for field in ["node", "peer", "from", "to", "via", "key", "owner", "at"] {
        if r.kind != "partition" && field == "node" && r.fields.contains_key("client") {
            continue;
        }
        if let Some(v) = r.str(field) {
            label.push(' ');
            if !matches!(field, "node" | "peer" | "key") {
                label.push_str(field);
                label.push('=');
            }
            label.push_str(v);
        }
    }
    for field in ["status", "why", "what", "links", "outcome"] {
        if let Some(v) = r.str(field) {
            label.push_str(&format!(" ({v})"));
        }
    }
    if let Some(p) = r.f64("p") {
        label.push_str(&format!(" p={p}"));
    }
    label
}

/// Reads `trace.jsonl` once and writes each requested export beside it in
/// `dir`. An unreadable line is an error naming its number.
pub fn convert_file(jsonl: &Path, dir: &Path, exports: &[Export]) -> io::Result<()> {
    let mut perfetto = match exports.contains(&Export::Perfetto) {
        true => Some(super::perfetto::Perfetto::new(BufWriter::new(
            File::create(dir.join(PERFETTO_FILE))?,
        ))?),
        false => None,
    };
    let mut shiviz = match exports.contains(&Export::ShiViz) {
        true => Some(super::shiviz::ShiViz::new(BufWriter::new(File::create(
            dir.join(SHIVIZ_FILE),
        )?))),
        false => None,
    };
    super::read::stream(jsonl, |record| {
        if let Some(p) = perfetto.as_mut() {
            p.push(&record)?;
        }
        if let Some(s) = shiviz.as_mut() {
            s.push(&record)?;
        }
        Ok(true)
    })?;
    if let Some(p) = perfetto {
        p.finish()?.flush()?;
    }
    if let Some(s) = shiviz {
        s.finish()?.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::read::parse;

    #[test]
    fn clients_are_the_names_in_client_fields() {
        let records = parse(
            r#"{"t":0,"kind":"invoke","client":"alice","op":0}
{"t":1,"kind":"send","from":"alice","to":"n1","msg":"Request","m":0}"#,
        )
        .unwrap();
        let clients = Clients::of(&records);
        assert!(clients.contains("alice"));
        assert!(!clients.contains("n1"));
    }

    #[test]
    fn labels_read_as_words() {
        let records = parse(
            r#"{"t":0,"kind":"send","from":"n1","to":"n2","msg":"Store","m":3,"req":0,"key":"cart","values":["milk","eggs"]}
{"t":0,"kind":"partition","how":"groups","groups":[["n1","n2"],["n3"]]}
{"t":0,"kind":"suspect","node":"n1","peer":"n2","why":"request timed out"}"#,
        )
        .unwrap();
        assert_eq!(message_label(&records[0]), "Store cart [milk,eggs]");
        assert_eq!(note_label(&records[1]), "partition n1 n2 | n3");
        assert_eq!(note_label(&records[2]), "suspect n1 n2 (request timed out)");
    }

    #[test]
    fn a_duplicated_message_is_kept_until_its_second_delivery() {
        let mut f = InFlight::new();
        f.sent(7, "send at 1ms");
        f.duplicated(7);
        assert_eq!(f.settle(7), Some("send at 1ms"));
        assert!(!f.is_empty(), "one delivery still owed");
        assert_eq!(f.settle(7), Some("send at 1ms"));
        assert!(f.is_empty());
        assert_eq!(f.settle(7), None, "a third delivery was never sent");
        f.duplicated(9);
        assert!(
            f.is_empty(),
            "a duplicate of an unknown message keeps nothing"
        );
    }
}
