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
