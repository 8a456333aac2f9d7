//! The failure detector's tally (Dynamo §4.8, with the reporters rule of
//! `view`), kept up to date in proportion to what changed rather than
//! recounted from every list after every message.
//!
//! For each known node the view keeps `suspected_by`: the nodes (this one
//! included) whose list names it at a (generation, heartbeat) no older than
//! the one seen here. That set changes only when a reporter's list changes
//! (its old and new lists are walked side by side, both sorted by node) or
//! when the node's own (generation, heartbeat) advances here (only the
//! reporters already counted are looked at again: a suspicion that was
//! outdated cannot become current while the list holding it stays the same).
//! With a thousand nodes the recount cost a thousand lists of hundreds of
//! suspects after every message; the walk costs the lists that changed.

use super::Gossip;
use crate::id::NodeId;
use std::borrow::Cow;

/// One suspicion in a reporter's list: the suspected node and the
/// (generation, heartbeat) of it the reporter had seen last.
pub(super) type Listing = (NodeId, u64, u64);

/// A listing that changed: the node, and the listing after (`None`: gone).
pub(super) type Change = (NodeId, Option<(u64, u64)>);

/// Whether `list`, held about `reporter`, is what a node builds for itself:
/// strictly sorted by node and never naming the reporter. Anything else
/// came from a garbled wire and is read through `normalized`.
#[cfg(test)]
pub(super) fn well_formed(reporter: NodeId, list: &[Listing]) -> bool {
    list.windows(2).all(|w| w[0].0 < w[1].0) && list.iter().all(|l| l.0 != reporter)
}

/// The list as the tally reads it: sorted by node, one listing per node
/// (the newest of those listed, since a reporter that lists a node twice
/// counts once, and does if either listing is current), without the
/// reporter's listing of itself (a node does not vouch against itself).
/// `sorted` is `well_formed(reporter, list)`, known to the caller.
pub(super) fn normalized(reporter: NodeId, list: &[Listing], sorted: bool) -> Cow<'_, [Listing]> {
    if sorted {
        return Cow::Borrowed(list);
    }
    let mut owned: Vec<Listing> = list.iter().copied().filter(|l| l.0 != reporter).collect();
    owned.sort_by(|a, b| a.0.cmp(&b.0).then((b.1, b.2).cmp(&(a.1, a.2))));
    owned.dedup_by_key(|l| l.0);
    Cow::Owned(owned)
}

/// The (generation, heartbeat) at which `list`, held about `reporter`,
/// suspects `node`, if it does; `sorted` is `well_formed(reporter, list)`.
pub(super) fn listing_of(
    reporter: NodeId,
    list: &[Listing],
    sorted: bool,
    node: NodeId,
) -> Option<(u64, u64)> {
    if node == reporter {
        return None;
    }
    if sorted {
        let at = list.binary_search_by_key(&node, |l| l.0).ok()?;
        return Some((list[at].1, list[at].2));
    }
    list.iter()
        .filter(|l| l.0 == node)
        .map(|l| (l.1, l.2))
        .max()
}

/// The listings that differ between a normalized list `old` and `new`, a
/// list held about `reporter`, each as (node, listing after), `None` where
/// `new` does not name the node; into `out`, emptied first. Returns false,
/// with `out` meaningless, when `new` is not well formed (then normalize
/// it and ask again): the check rides along the walk rather than costing
/// a pass of its own.
pub(super) fn changes(
    reporter: NodeId,
    old: &[Listing],
    new: &[Listing],
    out: &mut Vec<Change>,
) -> bool {
    out.clear();
    let (mut i, mut j) = (0, 0);
    while j < new.len() {
        let b = new[j];
        if b.0 == reporter || (j > 0 && new[j - 1].0 >= b.0) {
            return false;
        }
        while i < old.len() && old[i].0 < b.0 {
            out.push((old[i].0, None));
            i += 1;
        }
        if i < old.len() && old[i].0 == b.0 {
            if (old[i].1, old[i].2) != (b.1, b.2) {
                out.push((b.0, Some((b.1, b.2))));
            }
            i += 1;
        } else {
            out.push((b.0, Some((b.1, b.2))));
        }
        j += 1;
    }
    out.extend(old[i..].iter().map(|a| (a.0, None)));
    true
}

/// Keeping `suspected_by` up to date, the three ways it can change.
impl Gossip {
    /// Counts the suspicions of nodes not counted before (new here) from
    /// every counted list, in one pass over the lists.
    pub(super) fn count_newcomers(&mut self, touched: &[NodeId], dirty: &mut Vec<NodeId>) {
        let newcomers: Vec<usize> = touched
            .iter()
            .filter_map(|&node| self.find(node).ok())
            .filter(|&at| self.known[at].counted_seen.is_none())
            .collect();
        if newcomers.is_empty() {
            return;
        }
        let mut is_new = vec![false; self.known.len()];
        for &at in &newcomers {
            is_new[at] = true;
            let known = &mut self.known[at];
            known.counted_seen = Some(known.seen());
            known.suspected_by.clear();
        }
        for reporter in 0..self.known.len() {
            let list = self.known[reporter].counted_list.clone();
            let sorted = self.known[reporter].counted_list_sorted;
            let by = self.known[reporter].node;
            for &(node, generation, heartbeat) in normalized(by, &list, sorted).iter() {
                let Ok(at) = self.find(node) else {
                    continue;
                };
                // Reporters come in node order, so each set stays sorted.
                if is_new[at] && (generation, heartbeat) >= self.known[at].seen() {
                    self.known[at].suspected_by.push(by);
                    dirty.push(node);
                }
            }
        }
    }

    /// The list of the node at `at` changed: walks the counted list and the
    /// new one side by side and moves the node in or out of the
    /// `suspected_by` of each node whose listing changed.
    pub(super) fn recount_list(&mut self, at: usize, dirty: &mut Vec<NodeId>) {
        let reporter = self.known[at].node;
        let new = self.known[at].entry.suspects.clone();
        let old = std::mem::replace(&mut self.known[at].counted_list, new.clone());
        let old_sorted = self.known[at].counted_list_sorted;
        let old = normalized(reporter, &old, old_sorted);
        let mut diff = std::mem::take(&mut self.scratch);
        let new_sorted = changes(reporter, &old, &new, &mut diff);
        if !new_sorted {
            let new = normalized(reporter, &new, false);
            changes(reporter, &old, &new, &mut diff);
        }
        self.known[at].counted_list_sorted = new_sorted;
        for &(node, listing) in &diff {
            let Ok(x) = self.find(node) else {
                continue;
            };
            let suspected = &self.known[x];
            // Not counted yet: `count_newcomers` counts it from the lists.
            if suspected.counted_seen.is_none() {
                continue;
            }
            let current = listing.is_some_and(|l| l >= suspected.seen());
            let by = &mut self.known[x].suspected_by;
            match (by.binary_search(&reporter), current) {
                (Ok(i), false) => {
                    by.remove(i);
                }
                (Err(i), true) => by.insert(i, reporter),
                _ => continue,
            }
            dirty.push(node);
        }
        self.scratch = diff;
    }

    /// The (generation, heartbeat) of the node at `at` changed here: the
    /// suspicions of it that it outdates no longer count. Only counted
    /// reporters need a look: an outdated listing stays outdated while its
    /// list stays the same, since a node's counters here only grow. (Only
    /// the own entry's can fall back, on a restart, and the own status
    /// never depends on the tally; should one fall, it is counted afresh.)
    pub(super) fn recount_seen(&mut self, at: usize, dirty: &mut Vec<NodeId>) {
        let node = self.known[at].node;
        let seen = self.known[at].seen();
        let fell = self.known[at]
            .counted_seen
            .is_some_and(|before| seen < before);
        self.known[at].counted_seen = Some(seen);
        let before = std::mem::take(&mut self.known[at].suspected_by);
        let candidates: Vec<usize> = if fell {
            (0..self.known.len()).collect()
        } else {
            before.iter().filter_map(|&r| self.find(r).ok()).collect()
        };
        let after: Vec<NodeId> = candidates
            .into_iter()
            .filter(|&r| {
                let reporter = &self.known[r];
                listing_of(
                    reporter.node,
                    &reporter.counted_list,
                    reporter.counted_list_sorted,
                    node,
                )
                .is_some_and(|l| l >= seen)
            })
            .map(|r| self.known[r].node)
            .collect();
        if after != before {
            dirty.push(node);
        }
        self.known[at].suspected_by = after;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(i: u32) -> NodeId {
        NodeId(i)
    }

    fn diff(old: &[Listing], new: &[Listing]) -> Option<Vec<Change>> {
        let mut out = vec![(n(99), None)];
        changes(n(9), old, new, &mut out).then_some(out)
    }

    #[test]
    fn changes_lists_the_removed_the_added_and_the_moved() {
        let old = [(n(1), 1, 1), (n(2), 1, 4), (n(4), 1, 1)];
        let new = [(n(2), 1, 5), (n(3), 2, 0), (n(4), 1, 1)];
        assert_eq!(
            diff(&old, &new),
            Some(vec![
                (n(1), None),
                (n(2), Some((1, 5))),
                (n(3), Some((2, 0)))
            ])
        );
        assert_eq!(diff(&new, &new), Some(vec![]));
        assert_eq!(diff(&[], &old).map(|c| c.len()), Some(3));
        assert_eq!(
            diff(&old, &[]),
            Some(vec![(n(1), None), (n(2), None), (n(4), None)])
        );
        // A list out of order, twice naming a node, or naming the
        // reporter is refused, to be normalized first.
        assert_eq!(diff(&old, &[(n(3), 1, 1), (n(2), 1, 1)]), None);
        assert_eq!(diff(&old, &[(n(3), 1, 1), (n(3), 1, 2)]), None);
        assert_eq!(diff(&old, &[(n(9), 1, 1)]), None);
    }

    #[test]
    fn a_garbled_list_reads_as_one_newest_listing_per_other_node() {
        let garbled = [(n(3), 1, 1), (n(1), 1, 2), (n(3), 1, 7), (n(5), 9, 9)];
        assert!(!well_formed(n(5), &garbled));
        assert_eq!(
            &*normalized(n(5), &garbled, false),
            &[(n(1), 1, 2), (n(3), 1, 7)][..]
        );
        assert_eq!(listing_of(n(5), &garbled, false, n(3)), Some((1, 7)));
        assert_eq!(listing_of(n(5), &garbled, false, n(5)), None);
        let sorted = [(n(1), 1, 2), (n(3), 1, 7)];
        assert!(well_formed(n(5), &sorted));
        assert_eq!(listing_of(n(5), &sorted, true, n(3)), Some((1, 7)));
        assert_eq!(listing_of(n(5), &sorted, true, n(2)), None);
    }
}
