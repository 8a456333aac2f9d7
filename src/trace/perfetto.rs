//! `trace.perfetto.json`: the trace as Chrome Trace Event JSON, which
//! ui.perfetto.dev and chrome://tracing open.
//!
//! The picture: a process per node and one for the clients (a thread per
//! client). A node's `messages` thread has one small slice per instant at
//! which it sent or took messages; flow arrows (`s`/`f`) run from the
//! sending slice to the receiving one, one arrow per delivery (a
//! duplicated message draws two). Requests are async slices (`b`/`e`,
//! an id each): a client's from `invoke` to `complete`, a coordinator's
//! from `coordinate` to its `quorum`. Async slices, unlike complete ones,
//! never nest, so concurrent requests at one coordinator sit side by side.
//! Faults are instant events (`i`): a node's on its process, the network's
//! global; protocol notes (stand-ins, suspicions, hints) are instants on a
//! node's `notes` thread, apart from the message slices that flows bind to.
//! `ts` is in microseconds, with the nanoseconds kept as decimals.

use super::export::{Clients, InFlight, is_fault, message_label, node_number, note_label};
use super::read::Record;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The longest a message slice lasts on screen, in nanoseconds; shorter
/// when the track's next instant comes sooner, so slices never overlap.
const SLICE_CAP_NS: u64 = 100_000;
/// The clients' process id; nodes get 2, 3, ... by first appearance.
const CLIENTS_PID: u64 = 1;
const MESSAGES_TID: u64 = 1;
const NOTES_TID: u64 = 2;
/// How many events a slice's name lists before "+k".
const NAMED_IN_SLICE: usize = 1;

/// A thread in the trace: (pid, tid).
type Track = (u64, u64);

/// The slice being gathered on one track: everything at one instant.
struct Gathering {
    t: u64,
    events: Vec<String>,
}

/// What a flow arrow needs of a message's send.
#[derive(Clone)]
struct Sent {
    track: Track,
    t: u64,
    name: String,
}

/// Streams records into Trace Event JSON.
pub struct Perfetto<W: Write> {
    out: W,
    first_event: bool,
    clients: Clients,
    /// Node name → pid; client name → tid in the clients' process.
    node_pids: BTreeMap<String, u64>,
    client_tids: BTreeMap<String, u64>,
    gathering: BTreeMap<Track, Gathering>,
    in_flight: InFlight<Sent>,
    /// Open async slices by (endpoint, op): their id and name.
    open: BTreeMap<(String, u64), (u64, String)>,
    next_id: u64,
    last_t: u64,
}

/// The whole trace as Trace Event JSON bytes.
pub fn export(records: &[Record]) -> Vec<u8> {
    let mut exporter = match Perfetto::new(Vec::new()) {
        Ok(e) => e,
        Err(_) => return Vec::new(), // writing to a Vec cannot fail
    };
    for r in records {
        if exporter.push(r).is_err() {
            break;
        }
    }
    exporter.finish().unwrap_or_default()
}

fn ts(t_ns: u64) -> Value {
    json!(t_ns as f64 / 1000.0)
}

impl<W: Write> Perfetto<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(b"{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n")?;
        let mut p = Perfetto {
            out,
            first_event: true,
            clients: Clients::default(),
            node_pids: BTreeMap::new(),
            client_tids: BTreeMap::new(),
            gathering: BTreeMap::new(),
            in_flight: InFlight::new(),
            open: BTreeMap::new(),
            next_id: 1,
            last_t: 0,
        };
        p.emit(
            json!({"name": "process_name", "ph": "M", "pid": CLIENTS_PID, "tid": 0,
            "args": {"name": "clients"}}),
        )?;
        p.emit(
            json!({"name": "process_sort_index", "ph": "M", "pid": CLIENTS_PID, "tid": 0,
            "args": {"sort_index": 0}}),
        )?;
        Ok(p)
    }

    fn emit(&mut self, event: Value) -> io::Result<()> {
        if !self.first_event {
            self.out.write_all(b",\n")?;
        }
        self.first_event = false;
        serde_json::to_writer(&mut self.out, &event).map_err(io::Error::other)
    }

    /// The messages track of an endpoint, named by metadata on first use.
    fn track(&mut self, name: &str) -> io::Result<Track> {
        if self.clients.contains(name) {
            if let Some(&tid) = self.client_tids.get(name) {
                return Ok((CLIENTS_PID, tid));
            }
            let tid = self.client_tids.len() as u64 + 1;
            self.client_tids.insert(name.to_string(), tid);
            self.emit(
                json!({"name": "thread_name", "ph": "M", "pid": CLIENTS_PID, "tid": tid,
                "args": {"name": name}}),
            )?;
            return Ok((CLIENTS_PID, tid));
        }
        if let Some(&pid) = self.node_pids.get(name) {
            return Ok((pid, MESSAGES_TID));
        }
        let pid = self.node_pids.len() as u64 + 2;
        self.node_pids.insert(name.to_string(), pid);
        self.emit(
            json!({"name": "process_name", "ph": "M", "pid": pid, "tid": 0,
            "args": {"name": name}}),
        )?;
        self.emit(
            json!({"name": "process_sort_index", "ph": "M", "pid": pid, "tid": 0,
            "args": {"sort_index": node_number(name)}}),
        )?;
        self.emit(
            json!({"name": "thread_name", "ph": "M", "pid": pid, "tid": MESSAGES_TID,
            "args": {"name": "messages"}}),
        )?;
        self.emit(
            json!({"name": "thread_name", "ph": "M", "pid": pid, "tid": NOTES_TID,
            "args": {"name": "notes"}}),
        )?;
        Ok((pid, MESSAGES_TID))
    }

    /// Adds an event to the slice at `t` on `track`, closing the track's
    /// earlier slice if there is one.
    fn gather(&mut self, track: Track, t: u64, event: String) -> io::Result<()> {
        if let Some(g) = self.gathering.get_mut(&track) {
            if g.t == t {
                g.events.push(event);
                return Ok(());
            }
        }
        if let Some(done) = self.gathering.remove(&track) {
            // One nanosecond short of the next slice: `ts` and `dur` are
            // microseconds in floating point, and `ts + dur` may round past
            // the next `ts`, which a reader takes for an overlap.
            let dur = t.saturating_sub(done.t).saturating_sub(1).min(SLICE_CAP_NS);
            self.close_slice(track, done, dur)?;
        }
        self.gathering.insert(
            track,
            Gathering {
                t,
                events: vec![event],
            },
        );
        Ok(())
    }

    fn close_slice(&mut self, (pid, tid): Track, g: Gathering, dur_ns: u64) -> io::Result<()> {
        let mut name = g.events[..NAMED_IN_SLICE.min(g.events.len())].join(", ");
        if g.events.len() > NAMED_IN_SLICE {
            name.push_str(&format!(" (+{})", g.events.len() - NAMED_IN_SLICE));
        }
        self.emit(
            json!({"name": name, "cat": "message", "ph": "X", "ts": ts(g.t),
            "dur": dur_ns as f64 / 1000.0, "pid": pid, "tid": tid,
            "args": {"events": g.events}}),
        )
    }

    fn begin(
        &mut self,
        track: Track,
        owner: &str,
        op: u64,
        t: u64,
        cat: &str,
        name: String,
    ) -> io::Result<()> {
        // A second begin for the same request ends the first.
        self.end(track, owner, op, t, cat, Value::Null)?;
        let id = self.next_id;
        self.next_id += 1;
        self.open
            .insert((format!("{cat}/{owner}"), op), (id, name.clone()));
        self.emit(
            json!({"name": name, "cat": cat, "ph": "b", "id": id, "ts": ts(t),
            "pid": track.0, "tid": track.1}),
        )
    }

    fn end(
        &mut self,
        track: Track,
        owner: &str,
        op: u64,
        t: u64,
        cat: &str,
        args: Value,
    ) -> io::Result<()> {
        let Some((id, name)) = self.open.remove(&(format!("{cat}/{owner}"), op)) else {
            return Ok(());
        };
        let mut event = json!({"name": name, "cat": cat, "ph": "e", "id": id, "ts": ts(t),
            "pid": track.0, "tid": track.1});
        if !args.is_null() {
            event["args"] = args;
        }
        self.emit(event)
    }

    fn instant(
        &mut self,
        track: Track,
        scope: &str,
        t: u64,
        cat: &str,
        r: &Record,
    ) -> io::Result<()> {
        let args = Value::Object(r.fields.clone());
        self.emit(
            json!({"name": note_label(r), "cat": cat, "ph": "i", "s": scope, "ts": ts(t),
            "pid": track.0, "tid": track.1, "args": args}),
        )
    }

    /// Takes the next record of the trace.
    pub fn push(&mut self, r: &Record) -> io::Result<()> {
        self.clients.observe(r);
        self.last_t = self.last_t.max(r.t);
        let t = r.t;
        match r.kind.as_str() {
            "send" | "deliver" | "drop" | "duplicate" => self.message(r),
            "invoke" => {
                let (Some(client), Some(op)) = (r.str("client"), r.u64("op")) else {
                    return Ok(());
                };
                let track = self.track(client)?;
                let name = op_name(r);
                self.begin(track, client, op, t, "op", name)
            }
            "complete" => {
                let (Some(client), Some(op)) = (r.str("client"), r.u64("op")) else {
                    return Ok(());
                };
                let track = self.track(client)?;
                let args = json!({"outcome": r.str("outcome"), "values": r.strs("values")});
                self.end(track, client, op, t, "op", args)
            }
            "coordinate" => {
                let (Some(node), Some(op)) = (r.str("node"), r.u64("op")) else {
                    return Ok(());
                };
                let track = self.track(node)?;
                let name = format!("coordinate {}", op_name(r));
                self.begin(track, node, op, t, "coordinate", name)
            }
            "quorum" => {
                let (Some(node), Some(op)) = (r.str("node"), r.u64("op")) else {
                    return Ok(());
                };
                let track = self.track(node)?;
                let args = json!({"outcome": r.str("outcome"), "heard": r.u64("heard")});
                self.instant((track.0, NOTES_TID), "t", t, "note", r)?;
                self.end(track, node, op, t, "coordinate", args)
            }
            kind if is_fault(kind) => match r.str("node") {
                Some(node) => {
                    let track = self.track(node)?;
                    if kind == "crash" {
                        self.end_all_at(node, t)?;
                    }
                    self.instant(track, "p", t, "fault", r)
                }
                None => self.instant((0, 0), "g", t, "fault", r),
            },
            "timer" | "end" => Ok(()),
            _ => match (r.str("node"), r.str("client")) {
                (Some(node), _) => {
                    let (pid, _) = self.track(node)?;
                    self.instant((pid, NOTES_TID), "t", t, "note", r)
                }
                (None, Some(client)) => {
                    let _ = self.track(client)?;
                    self.instant((CLIENTS_PID, 0), "p", t, "note", r)
                }
                (None, None) => Ok(()),
            },
        }
    }

    /// A crashed coordinator answers nothing more: its requests end here.
    fn end_all_at(&mut self, node: &str, t: u64) -> io::Result<()> {
        let prefix = format!("coordinate/{node}");
        let ops: Vec<u64> = self
            .open
            .keys()
            .filter(|(owner, _)| *owner == prefix)
            .map(|&(_, op)| op)
            .collect();
        let track = self.track(node)?;
        for op in ops {
            self.end(
                track,
                node,
                op,
                t,
                "coordinate",
                json!({"outcome": "crashed"}),
            )?;
        }
        Ok(())
    }

    fn message(&mut self, r: &Record) -> io::Result<()> {
        let (Some(from), Some(to), Some(m)) = (r.str("from"), r.str("to"), r.u64("m")) else {
            return Ok(());
        };
        let label = message_label(r);
        match r.kind.as_str() {
            "send" => {
                let track = self.track(from)?;
                self.gather(track, r.t, format!("send {label} to {to}"))?;
                let name = r.str("msg").unwrap_or("message").to_string();
                self.in_flight.sent(
                    m,
                    Sent {
                        track,
                        t: r.t,
                        name,
                    },
                );
            }
            "deliver" => {
                let track = self.track(to)?;
                self.gather(track, r.t, format!("recv {label} from {from}"))?;
                if let Some(Sent {
                    track: send_track,
                    t: send_t,
                    name,
                }) = self.in_flight.settle(m)
                {
                    let id = self.next_id;
                    self.next_id += 1;
                    self.emit(json!({"name": name, "cat": "flow", "ph": "s", "id": id,
                        "ts": ts(send_t), "pid": send_track.0, "tid": send_track.1}))?;
                    self.emit(json!({"name": name, "cat": "flow", "ph": "f", "bp": "e",
                        "id": id, "ts": ts(r.t), "pid": track.0, "tid": track.1}))?;
                }
            }
            "drop" => {
                self.in_flight.settle(m);
                let track = self.track(from)?;
                let why = r.str("why").unwrap_or("lost");
                let name = format!("drop {label} to {to} ({why})");
                // On the sender's notes thread, or the clients' process.
                let (tid, scope) = match track.0 {
                    CLIENTS_PID => (track.1, "p"),
                    _ => (NOTES_TID, "t"),
                };
                self.emit(json!({"name": name, "cat": "drop", "ph": "i", "s": scope,
                    "ts": ts(r.t), "pid": track.0, "tid": tid}))?;
            }
            _ => {
                // A duplicate: the message will be delivered twice.
                self.in_flight.duplicated(m);
            }
        }
        Ok(())
    }

    /// Closes what is open and the JSON; returns the sink.
    pub fn finish(mut self) -> io::Result<W> {
        let end = self.last_t;
        for (track, g) in std::mem::take(&mut self.gathering) {
            self.close_slice(track, g, SLICE_CAP_NS)?;
        }
        for ((owner, _op), (id, name)) in std::mem::take(&mut self.open) {
            let (cat, who) = owner.split_once('/').unwrap_or(("op", owner.as_str()));
            let track = self.track(who)?;
            self.emit(
                json!({"name": name, "cat": cat, "ph": "e", "id": id, "ts": ts(end),
                "pid": track.0, "tid": track.1, "args": {"outcome": "open at the end"}}),
            )?;
        }
        self.out.write_all(b"\n]}\n")?;
        Ok(self.out)
    }
}

/// `put cart=milk`, `get cart`.
fn op_name(r: &Record) -> String {
    let mut name = format!(
        "{} {}",
        r.str("f").unwrap_or("op"),
        r.str("key").unwrap_or("?")
    );
    if let Some(v) = r.str("value") {
        name.push('=');
        name.push_str(v);
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::read::parse;

    fn events(trace: &str) -> Vec<Value> {
        let bytes = export(&parse(trace).unwrap());
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        doc["traceEvents"].as_array().unwrap().clone()
    }

    #[test]
    fn a_delivery_is_a_flow_from_the_sending_slice() {
        let ev = events(
            r#"{"t":1000,"kind":"send","from":"n1","to":"n2","msg":"Store","m":5}
{"t":3000,"kind":"deliver","from":"n1","to":"n2","msg":"Store","m":5}"#,
        );
        let s = ev.iter().find(|e| e["ph"] == "s").unwrap();
        let f = ev.iter().find(|e| e["ph"] == "f").unwrap();
        assert_eq!(s["id"], f["id"]);
        assert_eq!((s["ts"].as_f64(), f["ts"].as_f64()), (Some(1.0), Some(3.0)));
        assert_ne!(s["pid"], f["pid"]);
        let slices: Vec<_> = ev.iter().filter(|e| e["ph"] == "X").collect();
        assert_eq!(slices.len(), 2);
    }

    #[test]
    fn a_duplicate_draws_two_flows_and_nothing_stays_in_flight() {
        let trace = r#"{"t":1000,"kind":"send","from":"n1","to":"n2","msg":"Store","m":5}
{"t":1000,"kind":"duplicate","from":"n1","to":"n2","msg":"Store","m":5}
{"t":3000,"kind":"deliver","from":"n1","to":"n2","msg":"Store","m":5}
{"t":4000,"kind":"deliver","from":"n1","to":"n2","msg":"Store","m":5}
{"t":5000,"kind":"send","from":"n1","to":"n2","msg":"Store","m":6}
{"t":5000,"kind":"drop","from":"n1","to":"n2","msg":"Store","m":6,"why":"loss"}"#;
        let mut p = Perfetto::new(Vec::new()).unwrap();
        for r in parse(trace).unwrap() {
            p.push(&r).unwrap();
        }
        assert!(p.in_flight.is_empty());
        let doc: Value = serde_json::from_slice(&p.finish().unwrap()).unwrap();
        let flows = doc["traceEvents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["ph"] == "f")
            .count();
        assert_eq!(flows, 2);
    }

    #[test]
    fn concurrent_requests_at_one_coordinator_get_their_own_ids() {
        let ev = events(
            r#"{"t":0,"kind":"coordinate","node":"n1","op":0,"f":"put","key":"a"}
{"t":1,"kind":"coordinate","node":"n1","op":1,"f":"put","key":"a"}
{"t":2,"kind":"quorum","node":"n1","op":0,"outcome":"ok"}
{"t":3,"kind":"quorum","node":"n1","op":1,"outcome":"ok"}"#,
        );
        let ids = |ph: &str| -> Vec<u64> {
            ev.iter()
                .filter(|e| e["ph"] == ph)
                .map(|e| e["id"].as_u64().unwrap())
                .collect()
        };
        assert_eq!(ids("b"), vec![1, 2]);
        assert_eq!(ids("e"), vec![1, 2]);
    }

    #[test]
    fn same_instant_events_share_one_slice() {
        let ev = events(
            r#"{"t":0,"kind":"send","from":"n1","to":"n2","msg":"Store","m":1}
{"t":0,"kind":"send","from":"n1","to":"n3","msg":"Store","m":2}
{"t":50000,"kind":"send","from":"n1","to":"n3","msg":"Fetch","m":3}"#,
        );
        let slices: Vec<_> = ev.iter().filter(|e| e["ph"] == "X").collect();
        assert_eq!(slices.len(), 2);
        assert_eq!(slices[0]["args"]["events"].as_array().unwrap().len(), 2);
        // The first slice ends a nanosecond before the next instant.
        assert_eq!(slices[0]["dur"].as_f64(), Some(49.999));
    }

    #[test]
    fn back_to_back_slices_never_overlap_once_rounded() {
        // Times where 16882907.475 + 7.635 rounds to 16882915.110000003 µs.
        let ev = events(
            r#"{"t":16882907475,"kind":"send","from":"n1","to":"n2","msg":"Store","m":1}
{"t":16882915110,"kind":"send","from":"n1","to":"n3","msg":"Store","m":2}
{"t":16882915111,"kind":"send","from":"n1","to":"n3","msg":"Fetch","m":3}"#,
        );
        let slices: Vec<(f64, f64)> = ev
            .iter()
            .filter(|e| e["ph"] == "X")
            .map(|e| (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap()))
            .collect();
        assert_eq!(slices.len(), 3);
        for pair in slices.windows(2) {
            let ((ts, dur), (next, _)) = (pair[0], pair[1]);
            assert!(ts + dur <= next, "{ts} + {dur} > {next}");
            // As an importer that truncates to whole nanoseconds reads them.
            let ns = |us: f64| (us * 1000.0) as i64;
            assert!(ns(ts) + ns(dur) <= ns(next), "{ts} + {dur} > {next}");
        }
    }
}
