//! The step-through viewer's data: the trace in a compact form the page's
//! script can seek in quickly, for runs of a million events and more.
//!
//! Every record becomes one entry of a few integer columns (time as a
//! delta from the previous record, kind, two endpoints, two labels, key),
//! with every string interned once. A `send` carries how many records
//! later its message is delivered (positive) or dropped (negative), so the
//! script knows the messages in flight at any record from a checkpoint
//! without scanning the run. What changes rarely and takes rules to work
//! out is computed here instead, as snapshots the script finds by binary
//! search: each node's state and partition side (`life`), and where a
//! node's membership view differs from the truth (`views`, see [`life`]).

mod life;
mod pack;

use crate::explain::{self, Narration};
use crate::run;
use crate::scenario::Scenario;
use crate::trace::read::Record;
use serde::Serialize;
use std::collections::BTreeMap;

/// Keys offered in the key box: the ones with the most sibling-set
/// changes.
const MAX_KEY_CHOICES: usize = 300;

/// Siblings a `stored` note keeps for the viewer's table; the rest are
/// counted. A key under DVV with no cap can hold thousands, which no
/// table cell can show.
pub const MAX_SHOWN_SIBLINGS: usize = 12;

/// The viewer's controls; the script fills them from the data block.
pub const CONTROLS: &str = include_str!("controls.html");

/// Interned strings in first-seen order: the same trace gives the same
/// table.
#[derive(Default)]
struct Interner {
    names: Vec<String>,
    index: BTreeMap<String, i32>,
}

impl Interner {
    fn id(&mut self, name: &str) -> i32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as i32;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        i
    }

    fn get(&self, name: &str) -> Option<i32> {
        self.index.get(name).copied()
    }
}

/// What the script reads. The tables and snapshots go into the page as
/// JSON; the per-record columns, the sentences and the sibling-set notes
/// go in packed ([`pack`]): varint columns and JSON text, deflated
/// together and base64-encoded.
/// Column entries are indexed by record; -1 means the field is absent.
#[derive(Serialize)]
pub struct ViewerData {
    /// Nodes are endpoints `0..node_count`; clients follow.
    pub endpoints: Vec<String>,
    pub node_count: usize,
    /// Nodes in the ring at the start.
    pub members: usize,
    /// For each endpoint, the node it sits beside (itself for a node).
    pub beside: Vec<i32>,
    pub kinds: Vec<String>,
    pub labels: Vec<String>,
    pub keys: Vec<String>,
    /// How many records the run's trace holds: every one is here.
    pub records: usize,
    /// `[record, state per node, side per node]`, from record 0.
    pub life: Vec<life::LifeSnapshot>,
    pub state_names: [&'static str; 5],
    /// `[record, [[node, text], ...], more]`: membership views that differ
    /// from the truth, from that record on.
    pub views: Vec<life::ViewSnapshot>,
    /// `[record, node, key]` of each record after which a node no longer
    /// holds what its `stored` notes said: a restart that wiped its disk
    /// (key -1: every key) or a hint handed back to its owner (that key).
    pub erased: Vec<(usize, i32, i32)>,
    /// Keys for the key box, busiest first.
    pub key_choices: Vec<i32>,
    pub end_ns: u64,
    #[serde(skip)]
    pub columns: Columns,
    /// `[record, "sentence"]` entries, comma-separated JSON text: what
    /// `explain` says about a record, ascending by record.
    #[serde(skip)]
    pub sentences_json: Vec<u8>,
    /// `[record, values, clocks, more]` entries, comma-separated JSON
    /// text: each `stored` note, a replica's sibling set for a key after
    /// it changed, cut to [`MAX_SHOWN_SIBLINGS`] (`more` counts the rest).
    #[serde(skip)]
    pub stored_json: Vec<u8>,
}

/// The per-record columns.
#[derive(Default)]
pub struct Columns {
    /// Time since the previous record, ns (the first: since 0).
    pub dt: Vec<u64>,
    pub kind: Vec<i32>,
    /// `node`, `from` or `client`.
    pub a: Vec<i32>,
    /// `to`, `peer` or `owner`.
    pub b: Vec<i32>,
    /// `msg`, `f`, `timer`, `status`, `how` or `links`.
    pub x: Vec<i32>,
    /// `why` or `outcome`.
    pub y: Vec<i32>,
    pub key: Vec<i32>,
    /// For a `send`: records until its delivery (> 0) or drop (< 0);
    /// 0 when it never arrived or for another kind.
    pub fate: Vec<i32>,
}

impl ViewerData {
    /// The data block: JSON with the packed part as a base64 string.
    pub fn to_json(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let serde_json::Value::Object(map) = &mut value {
            map.insert("packed".into(), pack::pack(self).into());
        }
        value.to_string()
    }

    /// The sentences, parsed back (for tests and readers of the page).
    pub fn sentences(&self) -> Vec<(usize, String)> {
        pack::entries(&self.sentences_json)
    }

    /// The sibling-set notes, parsed back.
    pub fn stored(&self) -> Vec<(usize, Vec<String>, Vec<String>, usize)> {
        pack::entries(&self.stored_json)
    }
}

/// The first of `names` that the record holds as a string.
fn first_str<'r>(r: &'r Record, names: &[&str]) -> Option<&'r str> {
    names.iter().find_map(|n| r.str(n))
}

/// The viewer's data from a trace held in memory.
pub fn build(scenario: &Scenario, records: &[Record]) -> ViewerData {
    let mut builder = Builder::new(scenario);
    records.iter().for_each(|r| builder.push(r));
    builder.finish()
}

/// The viewer's data built a record at a time as the trace streams by,
/// so a run of millions of events is never held whole: what it keeps is a
/// few integers a record, the sentences and the sibling-set notes.
pub struct Builder {
    node_count: usize,
    members: usize,
    endpoints: Interner,
    beside: Vec<i32>,
    kinds: Interner,
    labels: Interner,
    keys: Interner,
    columns: Columns,
    snapshots: life::Snapshots,
    erased: Vec<(usize, i32, i32)>,
    narration: Narration,
    sentences_json: Vec<u8>,
    stored_json: Vec<u8>,
    /// Sends waiting for their delivery or drop, by message id.
    open: BTreeMap<u64, usize>,
    stores_per_key: BTreeMap<i32, usize>,
    previous_t: u64,
}

impl Builder {
    pub fn new(scenario: &Scenario) -> Builder {
        let node_count = scenario.total_nodes() as usize;
        let members = scenario.cluster.nodes as usize;
        let mut endpoints = Interner::default();
        let mut beside = Vec::new();
        for i in 0..node_count {
            endpoints.id(&crate::id::NodeId(i as u32).to_string());
            beside.push(i as i32);
        }
        for (i, client) in run::names(scenario).clients.iter().enumerate() {
            endpoints.id(client);
            beside.push((i % members.max(1)) as i32);
        }
        Builder {
            node_count,
            members,
            endpoints,
            beside,
            kinds: Interner::default(),
            labels: Interner::default(),
            keys: Interner::default(),
            columns: Columns::default(),
            snapshots: life::Snapshots::new(node_count, members),
            erased: Vec::new(),
            narration: Narration::new(scenario, explain::Filter::default()),
            sentences_json: Vec::new(),
            stored_json: Vec::new(),
            open: BTreeMap::new(),
            stores_per_key: BTreeMap::new(),
            previous_t: 0,
        }
    }

    /// The next record of the trace.
    pub fn push(&mut self, r: &Record) {
        let i = self.columns.dt.len();
        let c = &mut self.columns;
        c.dt.push(r.t.saturating_sub(self.previous_t));
        self.previous_t = self.previous_t.max(r.t);
        c.kind.push(self.kinds.id(&r.kind));
        let endpoints = &mut self.endpoints;
        let beside = &mut self.beside;
        let mut endpoint = |name: Option<&str>| match name {
            Some(name) => {
                let before = endpoints.names.len();
                let id = endpoints.id(name);
                if endpoints.names.len() > before {
                    beside.push(-1);
                }
                id
            }
            None => -1,
        };
        let a = endpoint(first_str(r, &["node", "from", "client"]));
        c.a.push(a);
        c.b.push(endpoint(first_str(r, &["to", "peer", "owner"])));
        let labels = &mut self.labels;
        let mut label = |name: Option<&str>| name.map_or(-1, |s| labels.id(s));
        c.x.push(label(first_str(
            r,
            &["msg", "f", "timer", "status", "how", "links"],
        )));
        c.y.push(label(first_str(r, &["why", "outcome"])));
        let key = r.str("key").map_or(-1, |k| self.keys.id(k));
        c.key.push(key);
        c.fate.push(0);
        match (r.kind.as_str(), r.u64("m")) {
            ("send", Some(m)) => {
                self.open.insert(m, i);
            }
            ("deliver" | "drop", Some(m)) => {
                if let Some(sent) = self.open.remove(&m) {
                    let later = i32::try_from(i - sent).unwrap_or(i32::MAX);
                    c.fate[sent] = if r.kind == "drop" { -later } else { later };
                }
            }
            ("stored", _) => {
                let values = r.strs("values");
                let clocks = r.strs("clocks");
                let shown = MAX_SHOWN_SIBLINGS;
                let more = values.len().saturating_sub(shown);
                let entry = (
                    i,
                    &values[..values.len().min(shown)],
                    &clocks[..clocks.len().min(shown)],
                    more,
                );
                pack::append(&mut self.stored_json, &entry);
                if key >= 0 {
                    *self.stores_per_key.entry(key).or_default() += 1;
                }
            }
            ("restart", _) if r.bool("wipe_disk") == Some(true) => {
                self.erased.push((i, a, -1));
            }
            ("hint-delivered" | "dropped", _) => self.erased.push((i, a, key)),
            _ => {}
        }
        let endpoints = &self.endpoints;
        self.snapshots
            .observe(i, r, &|name| endpoints.get(name).map(|i| i as usize));
        for sentence in self.narration.record(i, r) {
            let text = explain::render(std::slice::from_ref(&sentence));
            pack::append(&mut self.sentences_json, &(i, text.trim_end()));
        }
    }

    pub fn finish(self) -> ViewerData {
        let mut busiest: Vec<(usize, i32)> = self
            .stores_per_key
            .into_iter()
            .map(|(k, c)| (c, k))
            .collect();
        busiest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut key_choices: Vec<i32> = busiest
            .into_iter()
            .take(MAX_KEY_CHOICES)
            .map(|(_, k)| k)
            .collect();
        // The box lists them by name, as people look for one.
        let keys = self.keys.names;
        key_choices.sort_by(|a, b| natural(&keys[*a as usize], &keys[*b as usize]));
        ViewerData {
            endpoints: self.endpoints.names,
            node_count: self.node_count,
            members: self.members,
            beside: self.beside,
            kinds: self.kinds.names,
            labels: self.labels.names,
            keys,
            records: self.columns.dt.len(),
            life: self.snapshots.life,
            state_names: life::STATE_NAMES,
            views: self.snapshots.views,
            erased: self.erased,
            key_choices,
            end_ns: self.previous_t,
            columns: self.columns,
            sentences_json: self.sentences_json,
            stored_json: self.stored_json,
        }
    }
}

/// `k2` before `k10`: names compared by their text, digit runs by value.
fn natural(a: &str, b: &str) -> std::cmp::Ordering {
    let split = |s: &str| {
        let digits = s.len() - s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (stem, number) = s.split_at(s.len() - digits);
        (
            stem.to_string(),
            number.parse::<u64>().unwrap_or(0),
            s.to_string(),
        )
    };
    split(a).cmp(&split(b))
}

#[cfg(test)]
mod tests;
