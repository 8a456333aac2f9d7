//! The Lamport (space-time) diagram of a window of a run, as SVG.
//!
//! A lane per node (and per client that talks in the window), time going
//! right; an arrow per message from its send to its delivery, a red X where
//! one was dropped (labelled why), a second, dashed arrow for a duplicate;
//! a dot where a replica stored a version (with its version clock when the
//! trace has `stored` notes, else the value a coordinated put wrote);
//! faults marked on their node's lane, or across all lanes for the network.
//!
//! It works from trace records, not the live world, so `dynsim lamport`
//! and the HTML report draw the same picture of the same run. Where the
//! window is not given, [`interesting_window`] picks one around the first
//! fault, small enough to read on a projector.

mod draw;
mod layout;
mod survey;

pub use survey::Survey;

use crate::trace::export::is_fault;
use crate::trace::read::{Record, Replay};
use std::collections::BTreeMap;
use std::io;

/// At most this many messages are drawn; the rest of a window is counted.
pub const MAX_MESSAGES: usize = 40;
/// Messages before the anchor that [`interesting_window`] shows as lead-in.
const LEAD_MESSAGES: usize = 6;
/// ... if they are this close to it (ns).
const LEAD_SPAN_NS: u64 = 20_000_000;
/// A quiet gap ends a window only once it holds this many messages.
const MIN_MESSAGES: usize = 10;
/// An interesting window about more keys than this is narrowed to one.
const MAX_KEYS: usize = 3;

/// What to draw: messages sent in `[from_ns, until_ns]`, about `key` only
/// when it is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub from_ns: u64,
    pub until_ns: u64,
    pub key: Option<String>,
}

/// The window as an SVG document.
pub fn draw(records: &[Record], window: &Window) -> String {
    in_memory(draw_from(&records, &Survey::of(records), window))
}

/// [`draw`] from any trace, given its [`Survey`]: reads the trace again
/// from the start up to the window's last arrival, keeping only the
/// window's messages.
pub fn draw_from(trace: &dyn Replay, survey: &Survey, window: &Window) -> io::Result<String> {
    Ok(draw::render(&scene(trace, survey, window)?))
}

/// A replay of records in memory cannot fail.
fn in_memory<T>(result: io::Result<T>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => unreachable!("replaying records held in memory failed: {e}"),
    }
}

/// A window around the first fault (or, without one, the first puts to
/// one key in flight together, else the first request): a few messages of
/// lead-in, then messages until [`MAX_MESSAGES`]
/// or a quiet gap longer than the window so far.
///
/// When that window mixes requests for many keys, it is narrowed to one:
/// the key of the first message dropped after the anchor, else of the
/// first request after it, so the picture tells one story.
pub fn interesting_window(records: &[Record]) -> Window {
    in_memory(interesting_window_from(&records, &Survey::of(records)))
}

/// [`interesting_window`] from any trace and its [`Survey`]: reads it
/// again up to the end of the first window.
pub fn interesting_window_from(trace: &dyn Replay, survey: &Survey) -> io::Result<Window> {
    let all = window_of(survey, None, None, None);
    let keys = &survey.keys;
    let mut seen: Vec<String> = Vec::new();
    let (mut dropped, mut requested) = (None, None);
    let (mut keyed, mut unkeyed) = (0usize, 0usize);
    trace.replay(all.from_ns, &mut |r| {
        if r.t > all.until_ns {
            return false;
        }
        if r.t < all.from_ns || !matches!(r.kind.as_str(), "send" | "drop") {
            return true;
        }
        let Some(key) = keys.of(r) else {
            unkeyed += usize::from(r.kind == "send");
            return true;
        };
        keyed += usize::from(r.kind == "send");
        if !seen.iter().any(|k| k == key) {
            seen.push(key.to_string());
        }
        if r.kind == "drop" && dropped.is_none() {
            dropped = Some(key.to_string());
        }
        if r.str("msg") == Some("Request") && requested.is_none() {
            requested = Some(key.to_string());
        }
        true
    })?;
    Ok(match dropped.or(requested) {
        // Many keys, or gossip and Merkle traffic drowning the requests:
        // one key's story reads better.
        Some(key) if seen.len() > MAX_KEYS || unkeyed > keyed => {
            window_of(survey, Some(&key), None, None)
        }
        _ => all,
    })
}

/// A window with what is given fixed and the rest chosen as in
/// [`interesting_window`], over the messages about `key` when it is set:
/// with `from` alone, the burst that starts there; with a key alone, the
/// interesting window of that key's messages.
pub fn window_for(
    records: &[Record],
    key: Option<&str>,
    from: Option<u64>,
    until: Option<u64>,
) -> Window {
    window_of(&Survey::of(records), key, from, until)
}

/// [`window_for`] from a trace's [`Survey`].
pub fn window_of(
    survey: &Survey,
    key: Option<&str>,
    from: Option<u64>,
    until: Option<u64>,
) -> Window {
    let key_owned = key.map(str::to_string);
    if let (Some(from_ns), Some(until_ns)) = (from, until) {
        return Window {
            from_ns,
            until_ns,
            key: key_owned,
        };
    }
    let sends = survey.send_times(key);
    let anchor = from.unwrap_or_else(|| {
        survey
            .first_fault
            .or(match key {
                None => survey.first_concurrent,
                Some(k) => survey.first_concurrent_of.get(k).copied(),
            })
            .or(match key {
                None => survey.first_invoke,
                Some(k) => survey.first_invoke_of.get(k).copied(),
            })
            .unwrap_or(0)
    });
    let first_after = sends.partition_point(|&t| t < anchor);
    let mut start = first_after;
    while from.is_none()
        && start > 0
        && first_after - start < LEAD_MESSAGES
        && anchor - sends[start - 1] <= LEAD_SPAN_NS
    {
        start -= 1;
    }
    let from_ns = from.unwrap_or_else(|| sends.get(start).map_or(anchor, |&t| t.min(anchor)));
    let mut until_ns = anchor.max(from_ns);
    for (i, &t) in sends.iter().enumerate().skip(start) {
        if i - start >= MAX_MESSAGES {
            break;
        }
        let shown = until_ns - from_ns;
        let enough = i - start >= MIN_MESSAGES;
        if i > first_after && enough && t - until_ns > shown.max(1_000_000) {
            break; // a quiet gap: the burst is over
        }
        until_ns = until_ns.max(t);
    }
    let until_ns = until.unwrap_or(until_ns);
    if until_ns < from_ns {
        // `--until` before the first fault: the messages leading up to it.
        let last = sends.partition_point(|&t| t <= until_ns);
        let from_ns = sends
            .get(last.saturating_sub(MAX_MESSAGES))
            .map_or(until_ns, |&t| t.min(until_ns));
        return Window {
            from_ns,
            until_ns,
            key: key_owned,
        };
    }
    Window {
        from_ns,
        until_ns,
        key: key_owned,
    }
}

/// The window a report draws: the scenario's `[report]` choices, each
/// one given fixed and the rest chosen as [`window_for`] chooses them, or
/// the [`interesting_window`] when it makes none.
pub fn chosen_window(records: &[Record], settings: &crate::scenario::ReportSettings) -> Window {
    in_memory(chosen_window_from(&records, &Survey::of(records), settings))
}

/// [`chosen_window`] from any trace and its [`Survey`].
pub fn chosen_window_from(
    trace: &dyn Replay,
    survey: &Survey,
    settings: &crate::scenario::ReportSettings,
) -> io::Result<Window> {
    let from = settings.spacetime_from.map(|t| t.0);
    let until = settings.spacetime_until.map(|t| t.0);
    match (&settings.spacetime_key, from, until) {
        (None, None, None) => interesting_window_from(trace, survey),
        (key, from, until) => Ok(window_of(survey, key.as_deref(), from, until)),
    }
}

/// One message of the window.
#[derive(Debug)]
struct Message {
    m: u64,
    from: String,
    to: String,
    label: String,
    sent: u64,
    /// Delivery times: two for a duplicated message.
    delivered: Vec<u64>,
    dropped: Option<(u64, String)>,
}

/// A dot or marker on a lane (or across all lanes when `lane` is `None`).
#[derive(Debug)]
struct Mark {
    t: u64,
    lane: Option<String>,
    text: String,
}

/// What the window holds, ready to lay out.
#[derive(Debug)]
struct Scene {
    window: Window,
    /// Lanes top to bottom: clients, then nodes by number.
    lanes: Vec<String>,
    clients: Vec<String>,
    messages: Vec<Message>,
    /// Messages in the window beyond [`MAX_MESSAGES`].
    hidden: usize,
    faults: Vec<Mark>,
    puts: Vec<Mark>,
}

/// Which key a message is about: its own `key`, or its request's (by op
/// for client messages, by the coordinator's request id for replicas').
#[derive(Default)]
struct Keys {
    by_op: BTreeMap<u64, String>,
    value_by_op: BTreeMap<u64, String>,
    /// By coordinator, then its request id: looked up by `&str`, with no
    /// key built for a lookup.
    by_req: BTreeMap<String, BTreeMap<u64, String>>,
}

impl Keys {
    fn learn(&mut self, r: &Record) {
        if let (Some(op), Some(key)) = (r.u64("op"), r.str("key")) {
            self.by_op.entry(op).or_insert_with(|| key.to_string());
            if let Some(v) = r.str("value") {
                self.value_by_op.entry(op).or_insert_with(|| v.to_string());
            }
        }
        if let (Some(req), Some(key), Some(from)) = (r.u64("req"), r.str("key"), r.str("from")) {
            let requests = match self.by_req.get_mut(from) {
                Some(requests) => requests,
                None => self.by_req.entry(from.to_string()).or_default(),
            };
            requests.entry(req).or_insert_with(|| key.to_string());
        }
    }

    fn of<'a>(&'a self, r: &'a Record) -> Option<&'a str> {
        if let Some(key) = r.str("key") {
            return Some(key);
        }
        if let Some(op) = r.u64("op") {
            return self.by_op.get(&op).map(String::as_str);
        }
        let req = r.u64("req")?;
        // An answer goes back to the coordinator that asked.
        let coordinator = r.str("to")?;
        self.by_req.get(coordinator)?.get(&req).map(String::as_str)
    }
}

fn scene(trace: &dyn Replay, survey: &Survey, window: &Window) -> io::Result<Scene> {
    let clients = &survey.clients;
    let has_stored = survey.has_stored;
    let about_key = |keys: &Keys, r: &Record| match &window.key {
        Some(k) => keys.of(r) == Some(k.as_str()),
        None => true,
    };
    let keys = &survey.keys;
    let nodes = survey.nodes();
    let mut talking_clients: Vec<String> = Vec::new();
    let mut messages: Vec<Message> = Vec::new();
    let mut index: BTreeMap<u64, usize> = BTreeMap::new();
    let mut hidden = 0;
    let (mut faults, mut puts) = (Vec::new(), Vec::new());
    // Deliveries and drops of the window's messages may come after it.
    let mut horizon = window.until_ns;
    trace.replay(window.from_ns, &mut |r| {
        if r.t < window.from_ns {
            return true;
        }
        if r.t > horizon && r.t > window.until_ns {
            return false;
        }
        let in_window = r.t <= window.until_ns;
        match r.kind.as_str() {
            "send" if in_window && about_key(keys, r) => {
                let (Some(from), Some(to), Some(m)) = (r.str("from"), r.str("to"), r.u64("m"))
                else {
                    return true;
                };
                if messages.len() >= MAX_MESSAGES {
                    hidden += 1;
                    return true;
                }
                for name in [from, to] {
                    if clients.contains(name) && !talking_clients.iter().any(|c| c == name) {
                        talking_clients.push(name.to_string());
                    }
                }
                index.insert(m, messages.len());
                messages.push(Message {
                    m,
                    from: from.to_string(),
                    to: to.to_string(),
                    label: arrow_label(r, window.key.is_some()),
                    sent: r.t,
                    delivered: Vec::new(),
                    dropped: None,
                });
                // Show the arrival even if it comes well after the window.
                horizon = horizon.max(r.t.saturating_add(window.until_ns - window.from_ns));
            }
            "deliver" | "drop" => {
                let Some(&i) = r.u64("m").and_then(|m| index.get(&m)) else {
                    return true;
                };
                let msg = &mut messages[i];
                if r.kind == "deliver" {
                    msg.delivered.push(r.t);
                } else {
                    let why = r.str("why").unwrap_or("lost").to_string();
                    msg.dropped = Some((r.t, why));
                }
            }
            kind if in_window && is_fault(kind) => faults.push(Mark {
                t: r.t,
                lane: r.str("node").map(str::to_string),
                text: fault_text(r),
            }),
            "stored" if in_window && has_stored && about_key(keys, r) => {
                puts.push(Mark {
                    t: r.t,
                    lane: r.str("node").map(str::to_string),
                    text: stored_text(r),
                });
            }
            "coordinate" if in_window && !has_stored && r.str("f") == Some("put") => {
                if !about_key(keys, r) {
                    return true;
                }
                let value = r.u64("op").and_then(|op| keys.value_by_op.get(&op));
                let key = r.str("key").unwrap_or("?");
                puts.push(Mark {
                    t: r.t,
                    lane: r.str("node").map(str::to_string),
                    text: match value {
                        Some(v) => format!("put {key}={v}"),
                        None => format!("put {key}"),
                    },
                });
            }
            _ => {}
        }
        true
    })?;
    talking_clients.sort();
    let mut lanes = talking_clients.clone();
    lanes.extend(nodes);
    // A mark on a lane that is not drawn would float nowhere.
    for mark in faults.iter_mut().chain(puts.iter_mut()) {
        if let Some(l) = &mark.lane {
            if !lanes.contains(l) {
                mark.lane = None;
            }
        }
    }
    Ok(Scene {
        window: window.clone(),
        lanes,
        clients: talking_clients,
        messages,
        hidden,
        faults,
        puts,
    })
}

/// A message's label on its arrow: its kind and what it carries, without
/// the key when the diagram is of one key.
fn arrow_label(r: &Record, one_key: bool) -> String {
    let mut label = r.str("msg").unwrap_or("msg").to_string();
    if let Some(f) = r.str("f") {
        label = format!("{label} {f}");
    }
    if !one_key {
        if let Some(key) = r.str("key") {
            label = format!("{label} {key}");
        }
    }
    if let Some(v) = r.str("value") {
        label = format!("{label}={v}");
    }
    if let Some(a) = r.str("answer") {
        label = format!("{label} {a}");
    }
    let values = r.strs("values");
    if !values.is_empty() {
        label = format!("{label} {}", value_list(&values));
    }
    label
}

/// Values as `[milk,eggs]`; a long sibling list keeps its last two (the
/// newest) and counts the rest, `[v1953,v2018 +4]`, to fit on an arrow.
fn value_list(values: &[&str]) -> String {
    const SHOWN: usize = 2;
    match values.len() {
        n if n > SHOWN + 1 => format!("[{} +{}]", values[n - SHOWN..].join(","), n - SHOWN),
        _ => format!("[{}]", values.join(",")),
    }
}

fn fault_text(r: &Record) -> String {
    crate::trace::export::note_label(r)
}

/// `cart: milk [n1:1]`, one entry per sibling.
fn stored_text(r: &Record) -> String {
    format!(
        "{}: {}",
        r.str("key").unwrap_or("?"),
        r.siblings().join(", ")
    )
}

#[cfg(test)]
mod tests;
