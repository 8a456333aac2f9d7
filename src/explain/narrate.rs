//! The narrator: walks the trace once, remembering what later records need
//! (each operation's client, key and value from its `invoke`; the request
//! a coordinator started last, which its `stand-in` notes belong to; each
//! replica's last sibling set, to say what a put replaced), and turns the
//! records worth telling into [`Draft`] sentences.

use super::{Draft, deletes, faults, upkeep};
use crate::scenario::{Scenario, Versioning};
use crate::trace::read::Record;
use std::collections::BTreeMap;

/// What an `invoke` said about an operation.
struct Op {
    client: String,
    f: String,
    key: String,
    value: Option<String>,
}

/// A replica's sibling set, as its last `stored` note showed it.
#[derive(Clone, Default)]
struct Held {
    values: Vec<String>,
    clocks: Vec<String>,
}

pub(super) struct Narrator {
    r: u32,
    w: u32,
    versioning: Versioning,
    setup: String,
    ops: BTreeMap<u64, Op>,
    /// The operation each node coordinated last.
    coordinating: BTreeMap<String, u64>,
    /// `(node, key)` → the sibling set it holds.
    held: BTreeMap<(String, String), Held>,
    /// A put's value → the values its writer had read (its context), when
    /// the trace says.
    read_before: BTreeMap<String, Vec<String>>,
}

/// `n1, n3, n2`.
pub(super) fn list(items: &[&str]) -> String {
    items.join(", ")
}

/// Siblings listed one by one in a sentence; past this, `and 5 more`.
const SHOWN_SIBLINGS: usize = 4;

/// `milk, eggs`; past [`SHOWN_SIBLINGS`], `v1, v2, v3, v4 and 55 more`,
/// so a key with a long sibling list still reads as one sentence.
fn first_values(values: &[&str]) -> String {
    match values.len() {
        n if n > SHOWN_SIBLINGS => format!(
            "{} and {} more",
            list(&values[..SHOWN_SIBLINGS]),
            n - SHOWN_SIBLINGS
        ),
        _ => list(values),
    }
}

/// `milk [n1:1] and eggs [n2:1]`; under DVV, where a sibling shows as
/// `(dot)[vector]` and the vector is the key's, `milk (dot n1:1) and eggs
/// (dot n1:2), vector [n1:2]`.
fn siblings(values: &[String], clocks: &[String]) -> String {
    let mut vector = None;
    let parts: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| match clocks.get(i) {
            Some(c) if c.starts_with('(') => match c[1..].split_once(')') {
                Some((dot, vv)) => {
                    vector = Some(vv.to_string());
                    format!("{v} (dot {dot})")
                }
                None => format!("{v} {c}"),
            },
            Some(c) => format!("{v} {c}"),
            None => v.clone(),
        })
        .collect();
    let joined = match parts.as_slice() {
        [] => "nothing".into(),
        [one] => one.clone(),
        many if many.len() > SHOWN_SIBLINGS => {
            first_values(&many.iter().map(String::as_str).collect::<Vec<_>>())
        }
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    match vector {
        Some(vv) => format!("{joined}, vector {vv}"),
        None => joined,
    }
}

fn count_word(n: usize) -> String {
    match n {
        2 => "two".into(),
        3 => "three".into(),
        4 => "four".into(),
        n => n.to_string(),
    }
}

impl Narrator {
    pub(super) fn new(scenario: &Scenario) -> Narrator {
        let rep = &scenario.replication;
        let versioning = match rep.versioning {
            Versioning::VectorClock => "vector clocks",
            Versioning::Dvv => "dotted version vectors",
            Versioning::Lww => "last-write-wins timestamps",
        };
        let onoff = |b: bool| if b { "on" } else { "off" };
        let setup = format!(
            "cluster of {} nodes, N={} R={} W={}, versions by {versioning}; sloppy quorum {}, read repair {}, anti-entropy {}",
            scenario.cluster.nodes,
            rep.n,
            rep.r,
            rep.w,
            onoff(rep.sloppy_quorum),
            onoff(rep.read_repair),
            onoff(scenario.anti_entropy.enabled),
        );
        Narrator {
            r: rep.r,
            w: rep.w,
            versioning: rep.versioning,
            setup,
            ops: BTreeMap::new(),
            coordinating: BTreeMap::new(),
            held: BTreeMap::new(),
            read_before: BTreeMap::new(),
        }
    }

    /// The sentences one record gives (most give none).
    pub(super) fn record(&mut self, index: usize, r: &Record) -> Vec<Draft> {
        let mut out = Vec::new();
        if index == 0 {
            out.push(Draft {
                text: self.setup.clone(),
                key: None,
                nodes: Vec::new(),
                global: true,
                at: Some(0),
            });
        }
        let node = r.str("node").unwrap_or("?").to_string();
        if let Some(draft) = deletes::sentence(&node, r).or_else(|| upkeep::sentence(&node, r)) {
            out.extend(draft);
            return out;
        }
        let draft = match r.kind.as_str() {
            "invoke" => self.invoke(r),
            "coordinate" => self.coordinate(&node, r),
            "stand-in" => self.stand_in(&node, r),
            "quorum" => self.quorum(&node, r),
            "complete" => self.complete(r),
            "merged" => Some(Draft {
                text: format!(
                    "{} merges the siblings of {} by the value's type: {}",
                    r.str("client").unwrap_or("?"),
                    r.str("key").unwrap_or("?"),
                    r.str("content").unwrap_or("?"),
                ),
                key: r.str("key").map(String::from),
                nodes: Vec::new(),
                global: false,
                at: None,
            }),
            "stored" => self.stored(&node, r),
            "put-ignored" => Some(Draft {
                text: format!(
                    "{node} stamps {} at t={} by its own clock, older than {} already stored: last write wins, so {0} is dropped",
                    r.str("value").unwrap_or("?"),
                    super::time(r.u64("stamp").unwrap_or(0)),
                    siblings(
                        &r.strs("kept")
                            .iter()
                            .map(|v| v.to_string())
                            .collect::<Vec<_>>(),
                        &r.strs("clocks")
                            .iter()
                            .map(|c| c.to_string())
                            .collect::<Vec<_>>()
                    ),
                ),
                key: r.str("key").map(String::from),
                nodes: vec![node.clone()],
                global: false,
                at: None,
            }),
            "read-repair" => {
                let nodes = r.strs("nodes");
                let key = r.str("key").unwrap_or("?");
                let mut named: Vec<&str> = nodes.iter().copied().filter(|n| *n != node).collect();
                if named.len() < nodes.len() {
                    named.insert(0, "itself");
                }
                let named = match named.as_slice() {
                    [init @ .., last] if !init.is_empty() => {
                        format!("{} and {last}", init.join(", "))
                    }
                    _ => named.join(""),
                };
                Some(Draft {
                    text: format!(
                        "{node} found {} behind on {key} after the get: the merged state goes there (read repair)",
                        named
                    ),
                    key: Some(key.to_string()),
                    nodes: std::iter::once(node.clone())
                        .chain(nodes.iter().map(|n| n.to_string()))
                        .collect(),
                    global: false,
                    at: None,
                })
            }
            _ => faults::fault(r),
        };
        out.extend(draft);
        out
    }

    fn invoke(&mut self, r: &Record) -> Option<Draft> {
        let op = Op {
            client: r.str("client").unwrap_or("?").to_string(),
            f: r.str("f").unwrap_or("?").to_string(),
            key: r.str("key").unwrap_or("?").to_string(),
            value: r.str("value").map(String::from),
        };
        if let (Some(value), Some(_)) = (&op.value, r.fields.get("context")) {
            let context = r.strs("context").iter().map(|v| v.to_string()).collect();
            self.read_before.insert(value.clone(), context);
        }
        let text = match (op.f.as_str(), &op.value, r.str("content")) {
            // A typed write is an update's second half (§4.4: the client
            // reconciles, then writes back with the context it read).
            ("put", Some(v), Some(content)) => format!(
                "{} writes {v} = {content} to {}: what it read, merged by the value's type, with its change, sent with the read's context",
                op.client, op.key
            ),
            ("put", Some(v), None) if deletes::is_tombstone(v) => {
                format!("{} asks to delete {}", op.client, op.key)
            }
            ("put", Some(v), None) => format!("{} asks to put {v} in {}", op.client, op.key),
            (f, _, _) => format!("{} asks to {f} {}", op.client, op.key),
        };
        let draft = Draft {
            text,
            key: Some(op.key.clone()),
            nodes: Vec::new(),
            global: false,
            at: None,
        };
        self.ops.insert(r.u64("op")?, op);
        Some(draft)
    }

    /// `put(cart) milk` or `get(cart)`.
    fn request(&self, op: u64) -> String {
        match self.ops.get(&op) {
            Some(o) => match &o.value {
                Some(v) => format!("{}({}) {v}", o.f, o.key),
                None => format!("{}({})", o.f, o.key),
            },
            None => format!("request {op}"),
        }
    }

    fn coordinate(&mut self, node: &str, r: &Record) -> Option<Draft> {
        let op = r.u64("op")?;
        self.coordinating.insert(node.to_string(), op);
        let pref = r.strs("pref");
        let to = r.strs("to");
        let key = r.str("key").unwrap_or("?");
        let why = match pref.iter().position(|p| *p == node) {
            Some(0) => String::new(),
            Some(_) => " (any of the top N may coordinate)".to_string(),
            None => format!(
                " as a stand-in: no replica of {key} looked reachable, so it takes the request itself (sloppy quorum)"
            ),
        };
        let sends = match to.is_empty() {
            true => "sends to no one".to_string(),
            false => format!("sends to {}", list(&to)),
        };
        let mut nodes: Vec<String> = vec![node.to_string()];
        nodes.extend(pref.iter().chain(&to).map(|n| n.to_string()));
        Some(Draft {
            text: format!(
                "{node} coordinates {}{why}: preference list {}; {sends}",
                self.request(op),
                list(&pref)
            ),
            key: Some(key.to_string()),
            nodes,
            global: false,
            at: None,
        })
    }

    fn stand_in(&self, node: &str, r: &Record) -> Option<Draft> {
        let owner = r.str("owner")?;
        let at = r.str("at")?;
        let key = r.str("key").unwrap_or("?");
        let op = self.coordinating.get(node).copied();
        let is_get = op
            .and_then(|op| self.ops.get(&op))
            .is_some_and(|o| o.f == "get");
        let what = op.map_or_else(|| key.to_string(), |op| self.request(op));
        let why = r.str("why").unwrap_or("unreachable");
        let then = if is_get {
            format!("{node} asks {at} instead (sloppy quorum)")
        } else {
            format!("{at} stores it with a hint for {owner} (sloppy quorum)")
        };
        Some(Draft {
            text: format!("{owner} unreachable for {what} ({why}); {then}"),
            key: Some(key.to_string()),
            nodes: vec![node.to_string(), owner.to_string(), at.to_string()],
            global: false,
            at: None,
        })
    }

    fn quorum(&self, node: &str, r: &Record) -> Option<Draft> {
        let op = r.u64("op")?;
        let o = self.ops.get(&op);
        let is_get = o.is_some_and(|o| o.f == "get");
        let (letter, needed) = if is_get { ("R", self.r) } else { ("W", self.w) };
        let client = o.map_or("the client", |o| o.client.as_str());
        let mut heard: Vec<&str> = vec![node];
        heard.extend(r.strs("acked"));
        let text = match r.str("outcome") {
            Some("ok") => format!(
                "{letter}={needed} reached ({}); {client} answered ok",
                list(&heard)
            ),
            other => format!(
                "{} fails at {node}: {} of {letter}={needed} answered in time; {client} answered {}",
                self.request(op),
                r.u64("heard").unwrap_or(0),
                other.unwrap_or("fail")
            ),
        };
        Some(Draft {
            text,
            key: o.map(|o| o.key.clone()),
            nodes: heard.iter().map(|n| n.to_string()).collect(),
            global: false,
            at: None,
        })
    }

    fn complete(&self, r: &Record) -> Option<Draft> {
        let client = r.str("client").unwrap_or("?");
        let key = r.str("key").unwrap_or("?");
        let f = r.str("f").unwrap_or("?");
        let outcome = r.str("outcome").unwrap_or("?");
        let text = match (f, outcome) {
            // A put's success was told with its quorum.
            ("put", "ok") => return None,
            ("get", "ok") => {
                let all = r.strs("values");
                let values: Vec<&str> = all
                    .iter()
                    .copied()
                    .filter(|v| !deletes::is_tombstone(v))
                    .collect();
                if values.len() < all.len() && values.is_empty() {
                    return Some(Draft {
                        text: format!("{client}'s get({key}) returns nothing: {key} is deleted"),
                        key: Some(key.to_string()),
                        nodes: Vec::new(),
                        global: false,
                        at: None,
                    });
                }
                match values.len() {
                    // The replicas heard may be stale or stand-ins: this
                    // says nothing of what the others hold.
                    0 => format!(
                        "{client}'s get({key}) returns nothing: no replica that answered holds {key}"
                    ),
                    1 => format!("{client}'s get({key}) returns {}", values[0]),
                    n => format!(
                        "{client}'s get({key}) returns {}: {} siblings for the client to reconcile",
                        first_values(&values),
                        count_word(n)
                    ),
                }
            }
            (f, "timeout") => {
                format!("{client}'s {f}({key}) timed out: no answer within the request timeout")
            }
            (f, outcome) => format!("{client}'s {f}({key}) ends {outcome}"),
        };
        Some(Draft {
            text,
            key: Some(key.to_string()),
            nodes: Vec::new(),
            global: false,
            at: None,
        })
    }

    fn stored(&mut self, node: &str, r: &Record) -> Option<Draft> {
        let key = r.str("key")?.to_string();
        let now = Held {
            values: r.strs("values").iter().map(|v| v.to_string()).collect(),
            clocks: r.strs("clocks").iter().map(|c| c.to_string()).collect(),
        };
        let before = self
            .held
            .insert((node.to_string(), key.clone()), now.clone())
            .unwrap_or_default();
        let why = r.str("why").unwrap_or("store");
        let state = siblings(&now.values, &now.clocks);
        let many = now.values.len() >= 2;
        let all = if now.values.len() == 2 { "both" } else { "all" };
        let concurrent = match self.versioning {
            Versioning::Dvv => format!("concurrent (no write saw the other), so {all} are kept"),
            _ => format!("concurrent (no clock descends from another), so {all} are kept"),
        };
        // Siblings are told where they appear, not at every later write.
        let created = many && before.values.len() < 2;
        let text = match why {
            "put" => {
                let new: Vec<&String> = now
                    .values
                    .iter()
                    .filter(|v| !before.values.contains(v))
                    .collect();
                let (gone_values, gone_clocks): (Vec<String>, Vec<String>) = before
                    .values
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| !now.values.contains(v))
                    .map(|(i, v)| (v.clone(), before.clocks.get(i).cloned().unwrap_or_default()))
                    .unzip();
                let stamped = match new.first() {
                    Some(v) => {
                        let i = now.values.iter().position(|x| x == *v).unwrap_or(0);
                        let clock = now.clocks.get(i).cloned().unwrap_or_default();
                        let shown = siblings(&[(*v).clone()], &[clock]);
                        format!("{node} versions {shown}")
                    }
                    None => format!("{node} versions {key} again"),
                };
                // Values this put's writer never read, yet its clock
                // replaced: Dynamo's per-node clocks count two writes through
                // one coordinator in one line, so the older is lost.
                let unread: Vec<&String> = match (self.versioning, new.first()) {
                    (Versioning::VectorClock, Some(v)) => match self.read_before.get(*v) {
                        Some(read) => gone_values.iter().filter(|g| !read.contains(g)).collect(),
                        None => Vec::new(),
                    },
                    _ => Vec::new(),
                };
                let replaced = match gone_values.is_empty() {
                    true => String::new(),
                    false if !unread.is_empty() => format!(
                        ", replacing {} (its clock descends from {}, yet its writer never read {}: per-node clocks cannot tell these writes apart, so {} {} lost; dvv would keep {})",
                        siblings(&gone_values, &gone_clocks),
                        if gone_values.len() == 1 {
                            "that one"
                        } else {
                            "theirs"
                        },
                        if unread.len() == 1 { "it" } else { "them" },
                        list(&unread.iter().map(|v| v.as_str()).collect::<Vec<_>>()),
                        if unread.len() == 1 { "is" } else { "are" },
                        if unread.len() == 1 { "both" } else { "all" },
                    ),
                    false => format!(
                        ", replacing {} ({})",
                        siblings(&gone_values, &gone_clocks),
                        match (self.versioning, gone_values.len()) {
                            (Versioning::VectorClock, 1) => "its clock descends from that one",
                            (Versioning::VectorClock, _) => "its clock descends from theirs",
                            (Versioning::Dvv, 1) => "its writer had read that one",
                            (Versioning::Dvv, _) => "its writer had read them",
                            (Versioning::Lww, _) => "its timestamp is later",
                        }
                    ),
                };
                let kept = match created {
                    true => format!(
                        "; {node} now holds {} siblings of {key}, {state}: {concurrent}",
                        count_word(now.values.len())
                    ),
                    false => String::new(),
                };
                format!("{stamped}{replaced}{kept}")
            }
            "store" => {
                // Replication itself is told by the coordination; a replica
                // is worth a sentence when it ends up holding siblings.
                if !created {
                    return None;
                }
                format!(
                    "{node} holds {} siblings of {key}, {state}: {concurrent}",
                    count_word(now.values.len())
                )
            }
            why => {
                let how = match why {
                    "hint" => format!(
                        "keeps {key} = {state} as a hint for {} (sloppy quorum)",
                        r.str("for").unwrap_or("its owner")
                    ),
                    "handoff" => format!("takes back {key} = {state} from a hint (hinted handoff)"),
                    "read-repair" => format!("is repaired: {key} = {state} (read repair)"),
                    "transfer" => {
                        format!("receives {key} = {state} as a new replica (the ring changed)")
                    }
                    "anti-entropy" => {
                        format!("syncs {key} to {state} (Merkle anti-entropy)")
                    }
                    other => format!("now holds {key} = {state} ({other})"),
                };
                let tail = match created {
                    true => format!("; {concurrent}"),
                    false => String::new(),
                };
                format!("{node} {how}{tail}")
            }
        };
        let mut nodes = vec![node.to_string()];
        nodes.extend(r.str("for").map(String::from));
        Some(Draft {
            text,
            key: Some(key),
            nodes,
            global: false,
            at: None,
        })
    }
}
