//! `dynsim explain`: a run told in short plain sentences, for a classroom.
//!
//! It works from the trace alone (the records `trace::read` parses), so it
//! says what the run did, not what a node believes: each sentence names
//! the time, the nodes, keys and values, and the rule of the design that
//! fired (a preference list, a quorum reached, a stand-in keeping a hint,
//! siblings kept because their clocks are concurrent, a Merkle exchange).
//! Messages are not narrated one by one (a put is a dozen of them): a
//! request is told by its coordination, its stand-ins, its quorum and its
//! client's answer. The report's step-through viewer shows the same
//! sentences beside the event each one explains (`Sentence::record`).

mod deletes;
mod faults;
mod narrate;
mod upkeep;

use crate::scenario::Scenario;
use crate::trace::read::Record;

/// One sentence of the narration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sentence {
    /// Simulated time, nanoseconds.
    pub t: u64,
    /// Index in the records of the trace record this sentence explains.
    pub record: usize,
    /// The sentence, without its time prefix.
    pub text: String,
}

/// Which sentences to keep. Sentences about the whole cluster (faults,
/// the setup) are kept by the key and node filters: they say why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Only sentences about this key (by its name, as `cart` or `k42`).
    pub key: Option<String>,
    /// Only sentences that name this node (`n3`).
    pub node: Option<String>,
    /// Only sentences at or after this time (ns).
    pub from_ns: u64,
    /// Only sentences at or before this time (ns).
    pub until_ns: u64,
}

impl Default for Filter {
    fn default() -> Filter {
        Filter {
            key: None,
            node: None,
            from_ns: 0,
            until_ns: u64::MAX,
        }
    }
}

/// A sentence before filtering, with what the filters look at.
struct Draft {
    text: String,
    key: Option<String>,
    nodes: Vec<String>,
    /// About the whole cluster: kept by the key and node filters.
    global: bool,
    /// A time other than the record's (the setup sentence is at zero).
    at: Option<u64>,
}

impl Filter {
    fn keeps(&self, t: u64, draft: &Draft) -> bool {
        if t < self.from_ns || t > self.until_ns {
            return false;
        }
        if draft.global {
            return true;
        }
        let key_ok = self
            .key
            .as_ref()
            .is_none_or(|k| draft.key.as_deref() == Some(k.as_str()));
        let node_ok = self
            .node
            .as_ref()
            .is_none_or(|n| draft.nodes.iter().any(|m| m == n));
        key_ok && node_ok
    }
}

/// The run told in sentences, in trace order, filtered.
pub fn narrate(records: &[Record], scenario: &Scenario, filter: &Filter) -> Vec<Sentence> {
    let mut narration = Narration::new(scenario, filter.clone());
    let mut sentences = Vec::new();
    for (index, record) in records.iter().enumerate() {
        sentences.extend(narration.record(index, record));
    }
    sentences
}

/// [`narrate`] a record at a time, for a reader that streams the trace
/// from its file (the report) instead of holding it: the same sentences.
pub struct Narration {
    narrator: narrate::Narrator,
    filter: Filter,
}

impl Narration {
    pub fn new(scenario: &Scenario, filter: Filter) -> Narration {
        Narration {
            narrator: narrate::Narrator::new(scenario),
            filter,
        }
    }

    /// The sentences about record `index` (records come in trace order,
    /// from 0), filtered.
    pub fn record(&mut self, index: usize, record: &Record) -> Vec<Sentence> {
        let mut sentences = Vec::new();
        for draft in self.narrator.record(index, record) {
            let t = draft.at.unwrap_or(record.t);
            if self.filter.keeps(t, &draft) {
                sentences.push(Sentence {
                    t,
                    record: index,
                    text: draft.text,
                });
            }
        }
        sentences
    }
}

/// Runs `scenario` with its trace kept in memory and parses it back: the
/// records [`narrate`] reads. An error is a trace that failed to write or
/// parse, which a run of this crate never produces.
pub fn trace_of(scenario: &Scenario) -> Result<Vec<Record>, String> {
    let buffer = crate::trace::SharedBuffer::default();
    let tracer = crate::trace::Tracer::jsonl(Box::new(buffer.clone()));
    let mut world = crate::run::build(scenario, tracer);
    crate::run::drive(scenario, &mut world, crate::time::SimTime::MAX, |_| {});
    world.finish_trace().map_err(|e| e.to_string())?;
    drop(world);
    crate::trace::read::parse(&buffer.text()).map_err(|e| e.to_string())
}

/// One line a sentence: `t=12.0ms n3 coordinates ...`.
pub fn render(sentences: &[Sentence]) -> String {
    let mut out = String::new();
    for s in sentences {
        out.push_str("t=");
        out.push_str(&time(s.t));
        out.push(' ');
        out.push_str(&s.text);
        out.push('\n');
    }
    out
}

/// A time for people: milliseconds with one decimal below a second
/// (`12.0ms`), seconds with up to three decimals above (`20s`, `1.001s`).
pub fn time(ns: u64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let tenths = (ns + 50_000) / 100_000;
    // Below a second once rounded: 999.96 ms reads `1s`, not `1000.0ms`.
    if tenths < 10_000 {
        return format!("{}.{}ms", tenths / 10, tenths % 10);
    }
    let millis = (ns + 500_000) / 1_000_000;
    let (secs, frac) = (millis / 1000, millis % 1000);
    if frac == 0 {
        format!("{secs}s")
    } else {
        let digits = format!("{frac:03}");
        format!("{secs}.{}s", digits.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests;
