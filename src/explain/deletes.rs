//! Sentences for deletes (Dynamo §4.4 versions a delete as a tombstone)
//! and for what becomes of tombstones: reaped, or kept because a node
//! still holds the key (Riak's `delete_mode`).

use super::Draft;
use super::narrate::list;
use crate::trace::read::Record;

/// How a tombstone value is shown (`id::Names::value`).
pub(super) fn is_tombstone(value: &str) -> bool {
    value.starts_with("tombstone-")
}

/// A sentence about one node's copy of one key.
pub(super) fn about(node: &str, key: &str, text: String) -> Option<Draft> {
    Some(Draft {
        text,
        key: Some(key.to_string()),
        nodes: vec![node.to_string()],
        global: false,
        at: None,
    })
}

/// The sentence of a delete's record, or `None` for another kind.
pub(super) fn sentence(node: &str, r: &Record) -> Option<Option<Draft>> {
    let key = r.str("key").unwrap_or("?");
    let draft = match r.kind.as_str() {
        "tombstone" => about(
            node,
            key,
            format!(
                "{node} writes {} for {key}: a version with no value, superseding what the deleter had read",
                r.str("value").unwrap_or("a tombstone")
            ),
        ),
        "reaped" => about(
            node,
            key,
            format!(
                "{node} reaps {key}'s tombstone {} ({}): the key is gone from its disk",
                list(&r.strs("values")),
                r.str("why").unwrap_or("?")
            ),
        ),
        "reap-abandoned" => {
            let why = match (r.str("holder"), r.strs("nodes")) {
                (Some(holder), _) => match r.str("why") {
                    Some(w) if w.starts_with("a primary") => {
                        format!("primary {holder} does not hold exactly the tombstone")
                    }
                    _ => format!(
                        "{holder} holds {key} and is not a primary (a hint a handoff would bring back)"
                    ),
                },
                (None, silent) => format!("{} did not answer", list(&silent)),
            };
            about(
                node,
                key,
                format!(
                    "{node} keeps {key}'s tombstone: {why}, so reaping it now could bring the deleted value back"
                ),
            )
        }
        _ => return None,
    };
    Some(draft)
}
