//! The step-through viewer's data: the trace in a compact form the page's
//! script can seek in quickly, for runs of a hundred thousand events.
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

use crate::run;
use crate::scenario::Scenario;
use crate::trace::read::Record;
use serde::Serialize;
use std::collections::BTreeMap;

/// Past this many records the viewer keeps the first ones only, and says
/// so: the page must stay small enough to open.
pub const MAX_EVENTS: usize = 300_000;

/// Keys offered in the key box: the ones with the most sibling-set
/// changes.
const MAX_KEY_CHOICES: usize = 300;

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

/// What the script reads, as JSON. Column arrays are indexed by record;
/// -1 means the field is absent.
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
    /// Time since the previous record, ns (the first: since 0).
    pub dt: Vec<u64>,
    pub kind: Vec<i32>,
    /// `node`, `from` or `client`.
    pub a: Vec<i32>,
    /// `to`, `peer` or `owner`.
    pub b: Vec<i32>,
    /// `msg`, `f`, `timer`, `status` or `how`.
    pub x: Vec<i32>,
    /// `why` or `outcome`.
    pub y: Vec<i32>,
    pub key: Vec<i32>,
    /// For a `send`: records until its delivery (> 0) or drop (< 0);
    /// 0 when it never arrived or for another kind.
    pub fate: Vec<i64>,
    /// `[record, state per node, side per node]`, from record 0.
    pub life: Vec<life::LifeSnapshot>,
    pub state_names: [&'static str; 5],
    /// `[record, [[node, text], ...], more]`: membership views that differ
    /// from the truth, from that record on.
    pub views: Vec<life::ViewSnapshot>,
    /// `[record, values, clocks]` of each `stored` note: a replica's
    /// sibling set for a key after it changed.
    pub stored: Vec<(usize, Vec<String>, Vec<String>)>,
    /// `[record, node, key]` of each record after which a node no longer
    /// holds what its `stored` notes said: a restart that wiped its disk
    /// (key -1: every key) or a hint handed back to its owner (that key).
    pub erased: Vec<(usize, i32, i32)>,
    /// Keys for the key box, busiest first.
    pub key_choices: Vec<i32>,
    /// `[record, sentence]`, ascending.
    pub sentences: Vec<(usize, String)>,
    /// Records in the run, of which the first `dt.len()` are here.
    pub total: usize,
    pub end_ns: u64,
}

impl ViewerData {
    pub fn to_json(&self) -> String {
        // Plain vectors, strings and numbers: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| "null".to_string())
    }
}

/// The first of `names` that the record holds as a string.
fn first_str<'r>(r: &'r Record, names: &[&str]) -> Option<&'r str> {
    names.iter().find_map(|n| r.str(n))
}

/// The viewer's data from the trace's first records (`all`, cut to
/// [`MAX_EVENTS`]); `total` counts the whole trace's records when `all` is
/// only its beginning.
pub fn build(
    scenario: &Scenario,
    all: &[Record],
    total: usize,
    sentences: &[(usize, String)],
) -> ViewerData {
    let records = &all[..all.len().min(MAX_EVENTS)];
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
    let (mut kinds, mut labels, mut keys) = (
        Interner::default(),
        Interner::default(),
        Interner::default(),
    );
    let n = records.len();
    let mut data = ViewerData {
        endpoints: Vec::new(),
        node_count,
        members,
        beside: Vec::new(),
        kinds: Vec::new(),
        labels: Vec::new(),
        keys: Vec::new(),
        dt: Vec::with_capacity(n),
        kind: Vec::with_capacity(n),
        a: Vec::with_capacity(n),
        b: Vec::with_capacity(n),
        x: Vec::with_capacity(n),
        y: Vec::with_capacity(n),
        key: Vec::with_capacity(n),
        fate: vec![0; n],
        life: Vec::new(),
        state_names: life::STATE_NAMES,
        views: Vec::new(),
        stored: Vec::new(),
        erased: Vec::new(),
        key_choices: Vec::new(),
        sentences: sentences.iter().filter(|(i, _)| *i < n).cloned().collect(),
        total: total.max(all.len()),
        end_ns: records.last().map_or(0, |r| r.t),
    };
    // Sends waiting for their delivery or drop, by message id.
    let mut open: BTreeMap<u64, usize> = BTreeMap::new();
    let mut stores_per_key: BTreeMap<i32, usize> = BTreeMap::new();
    let mut previous = 0;
    for (i, r) in records.iter().enumerate() {
        data.dt.push(r.t.saturating_sub(previous));
        previous = previous.max(r.t);
        data.kind.push(kinds.id(&r.kind));
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
        data.a
            .push(endpoint(first_str(r, &["node", "from", "client"])));
        data.b
            .push(endpoint(first_str(r, &["to", "peer", "owner"])));
        let mut label = |name: Option<&str>| name.map_or(-1, |s| labels.id(s));
        data.x.push(label(first_str(
            r,
            &["msg", "f", "timer", "status", "how", "links"],
        )));
        data.y.push(label(first_str(r, &["why", "outcome"])));
        let key = r.str("key").map_or(-1, |k| keys.id(k));
        data.key.push(key);
        match (r.kind.as_str(), r.u64("m")) {
            ("send", Some(m)) => {
                open.insert(m, i);
            }
            ("deliver" | "drop", Some(m)) => {
                if let Some(sent) = open.remove(&m) {
                    let later = (i - sent) as i64;
                    data.fate[sent] = if r.kind == "drop" { -later } else { later };
                }
            }
            ("stored", _) => {
                data.stored.push((
                    i,
                    r.strs("values").iter().map(|s| s.to_string()).collect(),
                    r.strs("clocks").iter().map(|s| s.to_string()).collect(),
                ));
                if key >= 0 {
                    *stores_per_key.entry(key).or_default() += 1;
                }
            }
            ("restart", _) if r.bool("wipe_disk") == Some(true) => {
                data.erased.push((i, data.a[i], -1));
            }
            ("hint-delivered" | "dropped", _) => data.erased.push((i, data.a[i], key)),
            _ => {}
        }
    }
    let (life, views) =
        life::snapshots(records, node_count, members, &endpoints_lookup(&endpoints));
    data.life = life;
    data.views = views;
    let mut busiest: Vec<(usize, i32)> = stores_per_key.into_iter().map(|(k, c)| (c, k)).collect();
    busiest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    data.key_choices = busiest
        .into_iter()
        .take(MAX_KEY_CHOICES)
        .map(|(_, k)| k)
        .collect();
    // The box lists them by name, as people look for one.
    data.key_choices
        .sort_by(|a, b| natural(&keys.names[*a as usize], &keys.names[*b as usize]));
    data.endpoints = endpoints.names;
    data.beside = beside;
    data.kinds = kinds.names;
    data.labels = labels.names;
    data.keys = keys.names;
    data
}

/// Node names to node indices, for the snapshots.
fn endpoints_lookup(endpoints: &Interner) -> impl Fn(&str) -> Option<usize> + '_ {
    move |name| endpoints.get(name).map(|i| i as usize)
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
