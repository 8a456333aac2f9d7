//! Sleep sets (Godefroid, "Partial-Order Methods for the Verification of
//! Concurrent Systems", 1996, ch. 5-6), for deliveries to different
//! nodes: delivering a message to n1 and another to n2 touches two
//! nodes' states and adds to the multisets of messages and timers, so
//! either order reaches the same state. Once the search has taken one
//! delivery from a state, a sibling delivery to another node need not
//! take it again afterwards: it sleeps there, and keeps sleeping down
//! the successor's steps for as long as they are deliveries to nodes
//! other than its own. Any other step (a timer, which moves time; a
//! drop; a crash; a join or a leave) wakes every sleeper. Two deliveries
//! to clients are dependent (each may record a completion, and the
//! history's order is what the checkers read).
//!
//! Sleep sets cut the steps taken, not the states reached: each state is
//! still reached, by fewer of its orders. A state reached again with a
//! sleep set that lacks some of what slept the first time is expanded
//! again for those steps alone (the stored set shrinks to the two sets'
//! common part: the state caching of the book's chapter 6), so nothing
//! is missed. The outcome counts become counts of executions up to the
//! order of independent deliveries, which the docs and `check.json`
//! (`reduction`) say.

use super::world::{State, Step};
use crate::id::Endpoint;

/// What the search reduces besides merging equal states.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    #[default]
    None,
    SleepSets,
}

impl Reduction {
    pub fn as_str(self) -> &'static str {
        match self {
            Reduction::None => "none",
            Reduction::SleepSets => "sleep-sets",
        }
    }
}

/// A delivery that may sleep: its message (the hash of sender,
/// receiver and content: identical copies are one step) and receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sleeper {
    print: u64,
    to: Endpoint,
}

/// A sleep set, sorted.
pub type SleepSet = Vec<Sleeper>;

/// `step` as a possible sleeper: deliveries only.
pub fn sleeper(state: &State, step: Step) -> Option<Sleeper> {
    match step {
        Step::Deliver(i) => {
            let (print, to) = state.delivery(i);
            Some(Sleeper { print, to })
        }
        _ => None,
    }
}

/// Whether two deliveries commute: to different receivers, not both
/// clients.
fn independent(a: &Sleeper, b: &Sleeper) -> bool {
    a.to != b.to && !matches!((a.to, b.to), (Endpoint::Client(_), Endpoint::Client(_)))
}

/// The sleep set after taking `taken` from a state whose sleep set is
/// `asleep` and whose earlier sibling deliveries were `explored`: those
/// of both independent of `taken`; nothing after any other step.
pub fn after(asleep: &[Sleeper], explored: &[Sleeper], taken: Option<Sleeper>) -> SleepSet {
    let Some(taken) = taken else {
        return SleepSet::new();
    };
    let mut next: SleepSet = asleep
        .iter()
        .chain(explored)
        .filter(|z| independent(z, &taken))
        .copied()
        .collect();
    next.sort_unstable();
    next.dedup();
    next
}

/// On reaching a state again: what slept at its earlier visit but does
/// not now (to be taken there after all), and the stored set shrunk to
/// what sleeps at both. Both sets are sorted.
pub fn woken(stored: &mut SleepSet, now: &[Sleeper]) -> SleepSet {
    let missing: SleepSet = stored
        .iter()
        .filter(|z| now.binary_search(z).is_err())
        .copied()
        .collect();
    if !missing.is_empty() {
        stored.retain(|z| now.binary_search(z).is_ok());
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{ClientId, NodeId};

    fn to(node: u32, print: u64) -> Sleeper {
        Sleeper {
            print,
            to: Endpoint::Node(NodeId(node)),
        }
    }

    #[test]
    fn a_delivery_to_another_node_keeps_sleepers_and_any_other_step_wakes_them() {
        let asleep = [to(1, 10)];
        let explored = [to(2, 20), to(3, 30)];
        // Taken: a delivery to n3. n1's and n2's sleep on; n3's own wakes.
        assert_eq!(
            after(&asleep, &explored, Some(to(3, 31))),
            vec![to(1, 10), to(2, 20)]
        );
        // Taken: a timer, a drop, a crash: nothing sleeps.
        assert_eq!(after(&asleep, &explored, None), vec![]);
        // Two clients' deliveries are dependent; a client's and a node's are not.
        let alice = Sleeper {
            print: 5,
            to: Endpoint::Client(ClientId(0)),
        };
        let bob = Sleeper {
            print: 6,
            to: Endpoint::Client(ClientId(1)),
        };
        assert_eq!(after(&[alice], &[], Some(bob)), vec![]);
        assert_eq!(after(&[alice], &[], Some(to(1, 1))), vec![alice]);
    }

    #[test]
    fn a_state_reached_again_wakes_what_no_longer_sleeps() {
        let mut stored = vec![to(1, 10), to(2, 20)];
        assert_eq!(
            woken(&mut stored, &[to(1, 10), to(2, 20), to(3, 30)]),
            vec![]
        );
        assert_eq!(stored, vec![to(1, 10), to(2, 20)]);
        assert_eq!(woken(&mut stored, &[to(2, 20)]), vec![to(1, 10)]);
        assert_eq!(stored, vec![to(2, 20)]);
    }
}
