//! Each node's state over a run, and where the nodes' membership views
//! differ from it, worked out from the trace as snapshots taken at the
//! records that change them.
//!
//! The truth: a node is up from the start (or from its `join`), crashed
//! from `crash` to `restart`, paused from `pause` to `resume`, gone from
//! `left`; spares are outside the ring until they join. A partition's
//! sides come from its record: numbered groups (nodes in none form one
//! more), an isolated node alone against the rest, a one-way cut or a
//! bridge as two sides; `heal` of every link clears them, a heal of some
//! groups clears the sides of the nodes it names.
//!
//! What each node believes comes from its `member` notes (the gossip
//! status it holds for a peer: alive, suspect, down, left) and `view`
//! notes (the members of its ring). A view differs from the truth when it
//! takes a down node for alive or an up node for not alive, or when its
//! ring lacks a member or still holds one that left. Views of nodes that
//! are crashed, gone or spare are not shown: nobody is asking them.

use crate::trace::read::Record;
use std::collections::{BTreeMap, BTreeSet};

pub const STATE_NAMES: [&str; 5] = ["up", "crashed", "paused", "left", "spare"];
pub const UP: u8 = 0;
pub const CRASHED: u8 = 1;
pub const PAUSED: u8 = 2;
pub const LEFT: u8 = 3;
pub const SPARE: u8 = 4;

/// Past this many differences a snapshot lists the first ones and counts
/// the rest.
const MAX_DIFFERENCES: usize = 40;

/// `(record, state per node, side per node)`; side 0 is no partition.
pub type LifeSnapshot = (usize, Vec<u8>, Vec<u8>);
/// `(record, [(node, what differs)], how many more)`.
pub type ViewSnapshot = (usize, Vec<(usize, String)>, usize);

/// Applies a life record to the states and sides; true when it was one.
fn apply(
    r: &Record,
    states: &mut [u8],
    sides: &mut [u8],
    node: &dyn Fn(&str) -> Option<usize>,
) -> bool {
    let count = states.len();
    let of = |field: &str| r.str(field).and_then(node).filter(|&n| n < count);
    let mut set_state = |state: u8| {
        if let Some(n) = of("node") {
            states[n] = state;
        }
    };
    match r.kind.as_str() {
        "crash" => set_state(CRASHED),
        "restart" | "resume" | "join" => set_state(UP),
        "pause" => set_state(PAUSED),
        "left" => set_state(LEFT),
        "partition" => {
            sides.iter_mut().for_each(|s| *s = 0);
            match r.str("how") {
                Some("isolate") => {
                    sides.iter_mut().for_each(|s| *s = 2);
                    if let Some(n) = of("node") {
                        sides[n] = 1;
                    }
                }
                Some("cut") => {
                    if let (Some(from), Some(to)) = (of("from"), of("to")) {
                        sides[from] = 1;
                        sides[to] = 2;
                    }
                }
                Some("bridge") => {
                    for (field, side) in [("left", 1), ("right", 2)] {
                        for name in r.strs(field) {
                            if let Some(n) = node(name).filter(|&n| n < sides.len()) {
                                sides[n] = side;
                            }
                        }
                    }
                }
                _ => {
                    let groups = r.groups("groups");
                    let rest = (groups.len() + 1).min(255) as u8;
                    sides.iter_mut().for_each(|s| *s = rest);
                    for (g, group) in groups.iter().enumerate() {
                        for name in group {
                            if let Some(n) = node(name).filter(|&n| n < sides.len()) {
                                sides[n] = (g + 1).min(255) as u8;
                            }
                        }
                    }
                }
            }
        }
        "heal" => match r.str("links") {
            Some("all") => sides.iter_mut().for_each(|s| *s = 0),
            _ => {
                for group in r.groups("groups") {
                    for name in group {
                        if let Some(n) = node(name).filter(|&n| n < sides.len()) {
                            sides[n] = 0;
                        }
                    }
                }
            }
        },
        _ => return false,
    }
    true
}

/// Node states and partition sides at each record that changes them, and
/// the membership differences at each record that changes those, worked
/// out a record at a time as the trace streams by.
pub struct Snapshots {
    node_count: usize,
    members: usize,
    states: Vec<u8>,
    sides: Vec<u8>,
    pub life: Vec<LifeSnapshot>,
    /// (believer, peer) -> status; absent means alive for a starting member.
    believed: BTreeMap<(usize, usize), String>,
    rings: BTreeMap<usize, BTreeSet<usize>>,
    pub views: Vec<ViewSnapshot>,
}

impl Snapshots {
    pub fn new(node_count: usize, members: usize) -> Snapshots {
        let states: Vec<u8> = (0..node_count)
            .map(|i| if i < members { UP } else { SPARE })
            .collect();
        let sides = vec![0u8; node_count];
        Snapshots {
            node_count,
            members,
            life: vec![(0, states.clone(), sides.clone())],
            states,
            sides,
            believed: BTreeMap::new(),
            rings: BTreeMap::new(),
            views: vec![(0, Vec::new(), 0)],
        }
    }

    /// Learns from record `i`; `node` names a node's index.
    pub fn observe(&mut self, i: usize, r: &Record, node: &dyn Fn(&str) -> Option<usize>) {
        let changed = match r.kind.as_str() {
            "member" => {
                if let (Some(n), Some(p), Some(status)) = (
                    r.str("node").and_then(node),
                    r.str("peer").and_then(node),
                    r.str("status"),
                ) {
                    self.believed.insert((n, p), status.to_string());
                }
                true
            }
            "view" => {
                if let Some(n) = r.str("node").and_then(node) {
                    let ring = r.strs("members").into_iter().filter_map(node).collect();
                    self.rings.insert(n, ring);
                }
                true
            }
            _ => {
                let changed = apply(r, &mut self.states, &mut self.sides, node);
                if changed {
                    self.life.push((i, self.states.clone(), self.sides.clone()));
                }
                changed
            }
        };
        if changed {
            let (list, more) = differences(
                &self.states,
                self.members,
                &self.believed,
                &self.rings,
                self.node_count,
            );
            let last = self.views.last().map(|v| (&v.1, v.2));
            if last != Some((&list, more)) {
                self.views.push((i, list, more));
            }
        }
    }
}

fn name(n: usize) -> String {
    crate::id::NodeId(n as u32).to_string()
}

/// Where the views of the live nodes differ from the states.
fn differences(
    states: &[u8],
    members: usize,
    believed: &BTreeMap<(usize, usize), String>,
    rings: &BTreeMap<usize, BTreeSet<usize>>,
    node_count: usize,
) -> (Vec<(usize, String)>, usize) {
    let listening = |n: usize| matches!(states[n], UP | PAUSED);
    let mut out = Vec::new();
    let mut total = 0;
    let mut push = |n: usize, text: String| {
        total += 1;
        if out.len() < MAX_DIFFERENCES {
            out.push((n, text));
        }
    };
    let truth = |p: usize| STATE_NAMES[states[p] as usize];
    for n in (0..node_count).filter(|&n| listening(n)) {
        for p in (0..node_count).filter(|&p| p != n) {
            let status = believed.get(&(n, p)).map(String::as_str);
            let status = match status {
                Some(s) => s,
                None if p < members => "alive",
                None => continue, // a spare it has not heard of
            };
            let thinks_alive = status == "alive";
            let is_up = states[p] == UP;
            if thinks_alive != is_up && states[p] != SPARE {
                push(
                    n,
                    format!(
                        "{} thinks {} is {status}; it is {}",
                        name(n),
                        name(p),
                        truth(p)
                    ),
                );
            }
        }
        if let Some(ring) = rings.get(&n) {
            for (p, &state) in states.iter().enumerate() {
                // A crashed node is still a member; a spare or a leaver not.
                let member = matches!(state, UP | PAUSED | CRASHED);
                match (member, ring.contains(&p)) {
                    (true, false) => push(n, format!("{}'s ring lacks {}", name(n), name(p))),
                    (false, true) => push(
                        n,
                        format!(
                            "{}'s ring still holds {}, which is {}",
                            name(n),
                            name(p),
                            truth(p)
                        ),
                    ),
                    _ => {}
                }
            }
        }
    }
    let more = total - out.len();
    (out, more)
}
