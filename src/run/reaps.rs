//! How the checkers see reaped tombstones (Riak's `delete_mode`; the
//! Dynamo paper, §4.4, keeps deletes as versions and never says when they
//! go). The checkers judge a run by its history and its final values
//! (DESIGN.md's "Checker terms"), in which a reaped tombstone has simply
//! vanished: a get that found the key gone returned nothing, and a write
//! after the reap could not name the tombstone in its context. Read so,
//! every legitimate reap would look like a lost delete and make every
//! later read stale. So the run records in the history when each
//! tombstone was first reaped, and the stale-read checker retires it from
//! then on (a get need not return a tombstone that is gone); a reaped
//! tombstone also counts as present in the final values (see
//! `final_values`), so it is not a lost write. What is left is what a
//! reap can really break: a value the delete had superseded read again
//! later (the `resurrections` checker), and a write lost to a reaped
//! counter (KV679: a lost acknowledged write).

use super::World;
use crate::check::history::History;
use crate::id::ValueId;
use crate::time::SimTime;
use std::collections::BTreeMap;

pub(super) fn history_with_reaps(mut history: History, world: &World) -> History {
    let mut first_reaps: BTreeMap<ValueId, SimTime> = BTreeMap::new();
    for node in world.nodes() {
        for r in node.reaped() {
            for &v in &r.values {
                let first = first_reaps.entry(v).or_insert(r.at);
                *first = (*first).min(r.at);
            }
        }
    }
    history.set_reaped(first_reaps);
    history
}
