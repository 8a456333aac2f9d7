//! What the space-time diagram needs from a whole run, gathered in one
//! pass: the report streams `trace.jsonl` once and reads again only the
//! window it draws.

use super::Keys;
use crate::trace::export::{Clients, is_fault, node_number};
use crate::trace::read::Record;
use std::collections::{BTreeMap, BTreeSet};

/// What choosing a window and laying out the lanes need from the whole
/// trace, gathered a record at a time in one pass (the report's pass over
/// `trace.jsonl`), so that only the window itself is read again. It holds
/// a time and a key index per message and a little per operation and
/// request: never the records.
#[derive(Default)]
pub struct Survey {
    /// The key of every operation and request, learned over the whole
    /// trace and never overwritten: a message names its operation or
    /// request only after the record that gave its key, so a window read
    /// again from its start finds every key it would have found reading
    /// from the run's start.
    pub(super) keys: Keys,
    /// Every send's time and the index of its key in `key_names`
    /// (`NO_KEY` when it is about none).
    pub(super) sends: Vec<(u64, u32)>,
    pub(super) key_names: Vec<String>,
    pub(super) key_index: BTreeMap<String, u32>,
    pub(super) first_fault: Option<u64>,
    pub(super) first_invoke: Option<u64>,
    pub(super) first_invoke_of: BTreeMap<String, u64>,
    /// Puts invoked and not completed, by key: (client, op, invoke time).
    pub(super) puts_in_flight: BTreeMap<String, Vec<(String, u64, u64)>>,
    /// The key of each put in flight, by client and op: a `complete`
    /// need not name its key.
    pub(super) put_keys: BTreeMap<String, BTreeMap<u64, String>>,
    pub(super) first_concurrent: Option<u64>,
    pub(super) first_concurrent_of: BTreeMap<String, u64>,
    pub(super) clients: Clients,
    /// Every name in a `node`, `from` or `to` field (clients among them
    /// until the end, when the clients are known).
    pub(super) endpoints: BTreeSet<String>,
    pub(super) has_stored: bool,
}

const NO_KEY: u32 = u32::MAX;

impl Survey {
    /// The survey of records held in memory.
    pub fn of(records: &[Record]) -> Survey {
        let mut survey = Survey::default();
        records.iter().for_each(|r| survey.observe(r));
        survey
    }

    /// Learns from one record; call for every record, in order.
    pub fn observe(&mut self, r: &Record) {
        self.keys.learn(r);
        self.clients.observe(r);
        for field in ["node", "from", "to"] {
            if let Some(name) = r.str(field) {
                if !self.endpoints.contains(name) {
                    self.endpoints.insert(name.to_string());
                }
            }
        }
        match r.kind.as_str() {
            "send" => {
                let key = match self.keys.of(r) {
                    Some(k) => match self.key_index.get(k) {
                        Some(&i) => i,
                        None => {
                            let i = self.key_names.len() as u32;
                            self.key_names.push(k.to_string());
                            self.key_index.insert(k.to_string(), i);
                            i
                        }
                    },
                    None => NO_KEY,
                };
                self.sends.push((r.t, key));
            }
            "stored" => self.has_stored = true,
            "invoke" => {
                self.first_invoke.get_or_insert(r.t);
                if let Some(key) = r.str("key") {
                    if !self.first_invoke_of.contains_key(key) {
                        self.first_invoke_of.insert(key.to_string(), r.t);
                    }
                }
            }
            kind if is_fault(kind) && kind != "window-end" => {
                self.first_fault.get_or_insert(r.t);
            }
            _ => {}
        }
        self.track_concurrent_puts(r);
    }

    /// When a put to a key was first invoked while another put to the
    /// same key was still in flight: the moment versioning has something
    /// to show (concurrent writes become siblings, or one is lost), which
    /// a scenario without faults usually exists to teach. Kept for the
    /// whole run and for each key.
    fn track_concurrent_puts(&mut self, r: &Record) {
        let (Some(client), Some(op)) = (r.str("client"), r.u64("op")) else {
            return;
        };
        match r.kind.as_str() {
            "invoke" if r.str("f") == Some("put") => {
                let Some(key) = r.str("key") else {
                    return;
                };
                let puts = match self.puts_in_flight.get_mut(key) {
                    Some(puts) => puts,
                    None => self.puts_in_flight.entry(key.to_string()).or_default(),
                };
                if let Some(first) = puts.iter().map(|p| p.2).min() {
                    self.first_concurrent.get_or_insert(first);
                    if !self.first_concurrent_of.contains_key(key) {
                        self.first_concurrent_of.insert(key.to_string(), first);
                    }
                }
                puts.push((client.to_string(), op, r.t));
                let ops = match self.put_keys.get_mut(client) {
                    Some(ops) => ops,
                    None => self.put_keys.entry(client.to_string()).or_default(),
                };
                ops.insert(op, key.to_string());
            }
            "complete" => {
                let Some(key) = self
                    .put_keys
                    .get_mut(client)
                    .and_then(|ops| ops.remove(&op))
                else {
                    return;
                };
                if let Some(puts) = self.puts_in_flight.get_mut(&key) {
                    puts.retain(|p| !(p.1 == op && p.0 == client));
                }
            }
            _ => {}
        }
    }

    /// The send times of the messages about `key`, or of every message.
    pub(super) fn send_times(&self, key: Option<&str>) -> Vec<u64> {
        let wanted = key.map(|k| self.key_index.get(k).copied().unwrap_or(NO_KEY - 1));
        self.sends
            .iter()
            .filter(|(_, k)| wanted.is_none_or(|w| *k == w))
            .map(|(t, _)| *t)
            .collect()
    }

    /// Every node of the run, by number: named in a `node`, `from` or
    /// `to` field and not a client.
    pub(super) fn nodes(&self) -> Vec<String> {
        let mut nodes: Vec<&String> = self
            .endpoints
            .iter()
            .filter(|name| !self.clients.contains(name))
            .collect();
        nodes.sort_by_key(|name| (node_number(name), name.as_str()));
        nodes.into_iter().cloned().collect()
    }
}
