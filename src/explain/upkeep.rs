//! Sentences for what a node does beside serving requests: failure
//! detection (Dynamo §4.8: a suspicion, a gossip view's change of mind, a
//! rebuilt ring), hinted handoff done (§4.6), a key dropped after a
//! hand-over or lost on disk, and Merkle exchanges that found differences
//! (§4.7).

use super::Draft;
use super::narrate::list;
use crate::trace::read::Record;

/// The sentence of an upkeep record, or `None` for another kind.
pub(super) fn sentence(node: &str, r: &Record) -> Option<Option<Draft>> {
    let draft = match r.kind.as_str() {
        "dropped" => {
            let key = r.str("key").unwrap_or("?");
            let text = match r.str("why") {
                Some("lost on disk") => format!(
                    "{node} loses its copy of {key} to a bad sector: it no longer knows what it wrote there"
                ),
                _ => format!(
                    "{node} drops its copy of {key}: every new replica has it (hand-over done)"
                ),
            };
            super::deletes::about(node, key, text)
        }
        "hint-delivered" => {
            let owner = r.str("owner").unwrap_or("?");
            let key = r.str("key").unwrap_or("?");
            Some(Draft {
                text: format!(
                    "{owner} acknowledged {key}: {node} drops its hint (hinted handoff done)"
                ),
                key: Some(key.to_string()),
                nodes: vec![node.to_string(), owner.to_string()],
                global: false,
                at: None,
            })
        }
        "suspect" => {
            let peer = r.str("peer").unwrap_or("?");
            Some(Draft {
                text: format!(
                    "{node} suspects {peer}: {}; it routes around {peer} for a while",
                    r.str("why").unwrap_or("no answer")
                ),
                key: None,
                nodes: vec![node.to_string(), peer.to_string()],
                global: false,
                at: None,
            })
        }
        "member" => member(node, r),
        "view" => Some(Draft {
            text: format!(
                "{node}'s ring now has members {}: it rebuilds its preference lists",
                list(&r.strs("members"))
            ),
            key: None,
            nodes: vec![node.to_string()],
            global: false,
            at: None,
        }),
        "ae-exchange" => ae_exchange(node, r),
        _ => return None,
    };
    Some(draft)
}

/// A node's gossip view changes its mind about a peer.
fn member(node: &str, r: &Record) -> Option<Draft> {
    let peer = r.str("peer")?;
    let was = r.str("was");
    let text = match (r.str("status")?, was) {
        ("suspect", _) => {
            format!("{node}'s gossip suspects {peer}: no heartbeat progress for suspect_after")
        }
        ("down", _) => {
            format!("{node}'s failure detector declares {peer} down: enough nodes suspect it")
        }
        ("alive", Some("suspect" | "down")) => {
            format!("{node} hears {peer}'s heartbeat again: {peer} is alive")
        }
        ("alive", _) => format!("{node} learns of {peer}: alive"),
        ("left", _) if node == peer => format!("{node} announces it is leaving"),
        ("left", _) => format!("{node} learns that {peer} left"),
        (status, _) => format!("{node} marks {peer} {status}"),
    };
    Some(Draft {
        text,
        key: None,
        nodes: vec![node.to_string(), peer.to_string()],
        global: false,
        at: None,
    })
}

/// A Merkle exchange that found differences; agreeing ones (one root hash
/// each way) are left out, or they would fill the narration.
fn ae_exchange(node: &str, r: &Record) -> Option<Draft> {
    let differ = r.u64("leaves_differ")?;
    if differ == 0 {
        return None;
    }
    let peer = r.str("peer").unwrap_or("?");
    let keys = r.u64("keys").unwrap_or(0);
    Some(Draft {
        text: format!(
            "Merkle exchange {peer}-{node} on range {}: {differ} of {} leaves differ, {keys} {} repaired",
            r.u64("range").unwrap_or(0),
            r.u64("leaves").unwrap_or(0),
            if keys == 1 { "key" } else { "keys" }
        ),
        key: None,
        nodes: vec![node.to_string(), peer.to_string()],
        global: false,
        at: None,
    })
}
