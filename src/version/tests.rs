//! Unit tests of Dynamo's versioning (§4.4) and its contrasts: each shows
//! one behaviour the simulator exists to make visible, with no event loop.

use super::*;
use crate::id::{NodeId, ValueId};
use crate::time::SimTime;

const VC: Mode = Mode::VectorClock { truncate: 0 };

fn put(s: &mut Siblings, mode: Mode, node: u32, now: u64, ctx: &Context, value: u64) -> Effect {
    s.put(mode, NodeId(node), SimTime(now), ctx, ValueId(value))
}

fn values(s: &Siblings) -> Vec<u64> {
    s.values().into_iter().map(|v| v.0).collect()
}

fn merged(a: &Siblings, b: &Siblings, mode: Mode) -> Siblings {
    let mut m = a.clone();
    m.merge(mode, b);
    m
}

#[test]
fn siblings_are_small() {
    let size = std::mem::size_of::<Siblings>();
    println!("size_of::<Siblings>() = {size}");
    // 24, so that a store's slot (a 4-byte key, padded, and the state) is
    // 32 bytes and never straddles a cache line.
    assert!(size <= 24, "{size}");
    // The common key: one sibling with a three-entry clock, in one
    // allocation of two reference counts, a header and three 16-byte
    // entries, which every replica holding that state shares.
    let mut s = Siblings::default();
    for (node, now) in [(0, 1), (1, 2), (2, 3)] {
        let ctx = s.context();
        put(&mut s, VC, node, now, &ctx, now);
    }
    assert_eq!(s.len(), 1);
    assert!(s.heap_bytes() <= 80, "{}", s.heap_bytes());
    assert_eq!(s.to_string(), "v3 [n1:1, n2:1, n3:1]");
}

// ---- vector clocks ----

#[test]
fn vc_blind_puts_through_one_coordinator_lose_the_first() {
    // The anomaly the DVV paper describes: both writers were blind, so the
    // writes are concurrent, yet the per-node counter orders them.
    let mut coordinator = Siblings::default();
    put(&mut coordinator, VC, 0, 10, &Context::none(), 1);
    let mut replica = coordinator.clone();
    assert_eq!(coordinator.to_string(), "v1 [n1:1]");
    put(&mut coordinator, VC, 0, 20, &Context::none(), 2);
    assert_eq!(values(&coordinator), [2], "v1 silently replaced");
    assert_eq!(coordinator.to_string(), "v2 [n1:2]");
    // Shipping the new state to a replica that held v1 loses it there too.
    replica.merge(VC, &coordinator);
    assert_eq!(values(&replica), [2]);
}

#[test]
fn vc_blind_puts_through_two_coordinators_keep_both() {
    let mut n1 = Siblings::default();
    let mut n2 = Siblings::default();
    put(&mut n1, VC, 0, 10, &Context::none(), 1);
    put(&mut n2, VC, 1, 10, &Context::none(), 2);
    let both = merged(&n1, &n2, VC);
    assert_eq!(values(&both), [1, 2]);
    assert_eq!(both.to_string(), "v1 [n1:1] | v2 [n2:1]");
    assert_eq!(n1.compare(&n2), Order::Concurrent);
    assert_eq!(n1.compare(&both), Order::Before);
    // Also when the second coordinator already holds the first write.
    let mut n2_with_v1 = n1.clone();
    put(&mut n2_with_v1, VC, 1, 10, &Context::none(), 2);
    assert_eq!(n2_with_v1, both);
}

#[test]
fn vc_put_with_the_read_context_replaces_every_sibling_read() {
    let mut s = Siblings::default();
    put(&mut s, VC, 0, 10, &Context::none(), 1);
    put(&mut s, VC, 1, 10, &Context::none(), 2);
    assert_eq!(s.len(), 2);
    let read = s.context();
    assert_eq!(read.to_string(), "[n1:1, n2:1]");
    let effect = put(&mut s, VC, 2, 20, &read, 3);
    assert_eq!(
        effect,
        Effect {
            changed: true,
            false_conflicts: 0
        }
    );
    assert_eq!(s.to_string(), "v3 [n1:1, n2:1, n3:1]");
}

#[test]
fn vc_concurrent_read_modify_writes_at_one_coordinator_lose_one() {
    // Two clients read v1, then both write back through n1: the second
    // write's counter (n1:3) dominates the first's (n1:2).
    let mut s = Siblings::default();
    put(&mut s, VC, 0, 10, &Context::none(), 1);
    let read = s.context();
    put(&mut s, VC, 0, 20, &read, 2);
    put(&mut s, VC, 0, 30, &read, 3);
    assert_eq!(values(&s), [3]);
}

/// A version updated through three coordinators under `truncate = 2`, and
/// a replica that only ever saw its first version.
fn truncated_history() -> (Siblings, Siblings) {
    let mode = Mode::VectorClock { truncate: 2 };
    let mut s = Siblings::default();
    put(&mut s, mode, 0, 1, &Context::none(), 1);
    let ancestor = s.clone();
    for (node, now, value) in [(1, 2, 2), (2, 3, 3)] {
        let ctx = s.context();
        assert_eq!(put(&mut s, mode, node, now, &ctx, value).false_conflicts, 0);
    }
    (ancestor, s)
}

#[test]
fn vc_truncation_drops_the_oldest_entry_and_counts_the_false_conflict() {
    let mode = Mode::VectorClock { truncate: 2 };
    let (ancestor, latest) = truncated_history();
    assert_eq!(
        latest.to_string(),
        "v3 [n2:1, n3:1]",
        "n1's entry was oldest"
    );
    // The ancestor [n1:1] no longer looks older than [n2:1, n3:1].
    assert_eq!(ancestor.compare(&latest), Order::Concurrent);
    let mut replica = ancestor.clone();
    let effect = replica.merge(mode, &latest);
    assert_eq!(
        effect,
        Effect {
            changed: true,
            false_conflicts: 1
        }
    );
    assert_eq!(values(&replica), [1, 3]);
    // Symmetric, and counted once per sync that brings the pair together.
    let mut other = latest.clone();
    assert_eq!(other.merge(mode, &ancestor).false_conflicts, 1);
    assert_eq!(other, replica);
    assert_eq!(other.clone().merge(mode, &replica), Effect::default());
    // A read of both and a write back resolves it.
    let ctx = replica.context();
    put(&mut replica, mode, 0, 4, &ctx, 4);
    assert_eq!(values(&replica), [4]);
}

#[test]
fn vc_without_truncation_the_same_history_has_no_conflict() {
    let mut s = Siblings::default();
    put(&mut s, VC, 0, 1, &Context::none(), 1);
    let ancestor = s.clone();
    for (node, now, value) in [(1, 2, 2), (2, 3, 3)] {
        let ctx = s.context();
        put(&mut s, VC, node, now, &ctx, value);
    }
    let mut replica = ancestor.clone();
    assert_eq!(
        replica.merge(VC, &s),
        Effect {
            changed: true,
            false_conflicts: 0
        }
    );
    assert_eq!(values(&replica), [3]);
    assert_eq!(ancestor.compare(&s), Order::Before);
}

#[test]
fn vc_truncation_false_conflict_at_the_coordinator() {
    // The coordinator still holds only the ancestor and receives a put
    // whose context is the latest (truncated) clock.
    let mode = Mode::VectorClock { truncate: 2 };
    let (ancestor, latest) = truncated_history();
    let mut coordinator = ancestor.clone();
    let effect = put(&mut coordinator, mode, 3, 5, &latest.context(), 5);
    // The new clock [n3:1, n4:1] doesn't cover [n1:1], though its
    // untruncated history does.
    assert_eq!(effect.false_conflicts, 1);
    assert_eq!(values(&coordinator), [1, 5]);
}

// ---- dotted version vectors ----

#[test]
fn dvv_blind_puts_through_one_coordinator_both_survive() {
    let mut s = Siblings::default();
    put(&mut s, Mode::Dvv, 0, 10, &Context::none(), 1);
    put(&mut s, Mode::Dvv, 0, 20, &Context::none(), 2);
    assert_eq!(values(&s), [1, 2]);
    assert_eq!(s.to_string(), "v1 @n1:1 | v2 @n1:2 ctx [n1:2]");
    // A replica that held v1 learns v2 and keeps both.
    let mut replica = Siblings::default();
    put(&mut replica, Mode::Dvv, 0, 10, &Context::none(), 1);
    replica.merge(Mode::Dvv, &s);
    assert_eq!(replica, s);
}

#[test]
fn dvv_put_replaces_exactly_what_it_read() {
    let mut s = Siblings::default();
    put(&mut s, Mode::Dvv, 0, 10, &Context::none(), 1);
    let read = s.context();
    // A concurrent writer gets in first, through the same coordinator.
    put(&mut s, Mode::Dvv, 0, 20, &Context::none(), 2);
    put(&mut s, Mode::Dvv, 0, 30, &read, 3);
    assert_eq!(values(&s), [2, 3], "v1 replaced, concurrent v2 kept");
    // The same history under vector clocks loses v2.
    let mut vc = Siblings::default();
    put(&mut vc, VC, 0, 10, &Context::none(), 1);
    let read = vc.context();
    put(&mut vc, VC, 0, 20, &Context::none(), 2);
    put(&mut vc, VC, 0, 30, &read, 3);
    assert_eq!(values(&vc), [3]);
}

#[test]
fn dvv_sync_drops_what_the_other_side_superseded() {
    let mut n1 = Siblings::default();
    put(&mut n1, Mode::Dvv, 0, 10, &Context::none(), 1);
    let stale = n1.clone();
    let ctx = n1.context();
    put(&mut n1, Mode::Dvv, 1, 20, &ctx, 2);
    assert_eq!(stale.compare(&n1), Order::Before);
    let mut repaired = stale.clone();
    assert!(repaired.merge(Mode::Dvv, &n1).changed);
    assert_eq!(repaired, n1);
    assert!(!n1.clone().merge(Mode::Dvv, &stale).changed);
    // The context of a read of both sides covers both writes.
    let mut ctx = stale.context();
    ctx.merge(&n1.context());
    assert_eq!(ctx.to_string(), "[n1:1, n2:1]");
}

#[test]
fn a_sync_that_takes_the_other_sides_state_shares_it_until_a_write() {
    for mode in [VC, Mode::Dvv] {
        let mut coordinator = Siblings::default();
        put(&mut coordinator, mode, 0, 10, &Context::none(), 1);
        let mut replica = Siblings::default();
        put(&mut replica, mode, 1, 5, &Context::none(), 7);
        let ctx = merged(&coordinator, &replica, mode).context();
        put(&mut coordinator, mode, 0, 20, &ctx, 2);
        // The coordinator's state supersedes the replica's: the replica
        // takes it, and holds no copy of its own.
        assert!(replica.merge(mode, &coordinator).changed, "{mode:?}");
        assert!(replica.shares_cells(&coordinator), "{mode:?}");
        assert_eq!(replica, coordinator);
        // A write at one leaves the other as it was.
        let before = coordinator.clone();
        let ctx = replica.context();
        put(&mut replica, mode, 1, 30, &ctx, 3);
        assert!(!replica.shares_cells(&coordinator), "{mode:?}");
        assert_eq!(coordinator, before);
        assert_eq!(values(&coordinator), [2]);
        assert_eq!(values(&replica), [3]);
    }
}

// ---- last write wins ----

#[test]
fn lww_the_highest_timestamp_wins() {
    let mut a = Siblings::default();
    let mut b = Siblings::default();
    put(&mut a, Mode::Lww, 0, 10, &Context::none(), 1);
    put(&mut b, Mode::Lww, 1, 20, &Context::none(), 2);
    assert_eq!(values(&merged(&a, &b, Mode::Lww)), [2]);
    assert_eq!(merged(&a, &b, Mode::Lww), merged(&b, &a, Mode::Lww));
    assert_eq!(a.compare(&b), Order::Before);
    assert!(a.context().is_none());
    assert_eq!(b.to_string(), "v2 @n2 t=20ns");
}

#[test]
fn lww_a_skewed_behind_coordinators_later_put_is_lost() {
    let mut s = Siblings::default();
    put(&mut s, Mode::Lww, 0, 1_000, &Context::none(), 1);
    // n2's clock is 500ns behind: its later write carries an earlier time.
    let effect = put(&mut s, Mode::Lww, 1, 700, &Context::none(), 2);
    assert!(!effect.changed, "acknowledged, yet dropped");
    assert_eq!(values(&s), [1]);
    // Equal timestamps: the higher node id wins everywhere.
    put(&mut s, Mode::Lww, 1, 1_000, &Context::none(), 3);
    assert_eq!(values(&s), [3]);
}

// ---- display, digest, robustness ----

#[test]
fn digest_is_fixed_and_equal_sets_have_equal_digests() {
    assert_eq!(
        Siblings::default().digest(),
        0xaf63_bd4c_8601_b7df,
        "FNV-1a of [0]"
    );
    for mode in [VC, Mode::Dvv, Mode::Lww] {
        let mut a = Siblings::default();
        let mut b = Siblings::default();
        put(&mut a, mode, 0, 10, &Context::none(), 1);
        put(&mut b, mode, 1, 11, &Context::none(), 2);
        let ab = merged(&a, &b, mode);
        let ba = merged(&b, &a, mode);
        assert_eq!(ab.digest(), ba.digest());
        assert_eq!(ab.to_string(), ba.to_string());
        assert_ne!(a.digest(), b.digest());
        assert_ne!(a.digest(), ab.digest());
    }
    let mut s = Siblings::default();
    put(&mut s, VC, 2, 10, &Context::none(), 17);
    assert_eq!(s.digest(), s.clone().digest());
    assert_eq!(s.describe(&|v| format!("value{}", v.0)), "value17 [n3:1]");
    assert_eq!(Siblings::default().to_string(), "(none)");
}

#[test]
fn extreme_inputs_do_not_panic() {
    for mode in [Mode::VectorClock { truncate: 1 }, VC, Mode::Dvv, Mode::Lww] {
        let mut s = Siblings::default();
        for i in 0..4u64 {
            let ctx = s.context();
            put(
                &mut s,
                mode,
                u32::MAX - (i as u32 % 2),
                u64::MAX - i,
                &ctx,
                u64::MAX - i,
            );
            put(&mut s, mode, 0, 0, &Context::none(), i);
        }
        let other = s.clone();
        s.merge(mode, &other);
        let _ = (s.to_string(), s.digest(), s.compare(&other));
    }
}

#[test]
fn states_of_another_mode_count_as_empty() {
    let mut vc = Siblings::default();
    put(&mut vc, VC, 0, 1, &Context::none(), 1);
    let mut lww = Siblings::default();
    put(&mut lww, Mode::Lww, 0, 1, &Context::none(), 2);
    assert_eq!(vc.compare(&lww), Order::Concurrent);
    assert_eq!(vc.clone().merge(VC, &lww), Effect::default());
    let mut s = vc.clone();
    assert!(s.merge(Mode::Lww, &lww).changed);
    assert_eq!(s, lww);
}

#[test]
fn vc_equal_clocks_are_one_version() {
    // A coordinator whose disk was wiped restarts its counter: its new
    // write gets the clock of an old one, and the protocol keeps only one.
    let mut old = Siblings::default();
    put(&mut old, VC, 0, 10, &Context::none(), 1);
    let mut wiped = Siblings::default();
    put(&mut wiped, VC, 0, 20, &Context::none(), 2);
    let joined = merged(&old, &wiped, VC);
    assert_eq!(values(&joined), [2]);
    assert_eq!(joined, merged(&wiped, &old, VC));
    assert_eq!(old.compare(&wiped), Order::Before);
}

#[test]
fn shown_versions_pair_each_value_with_its_compact_clock() {
    let shown = |s: &Siblings| -> Vec<(u64, String)> {
        s.shown_versions()
            .into_iter()
            .map(|(v, c)| (v.0, c))
            .collect()
    };
    // Vector clocks: two concurrent siblings, each with its own clock.
    let mut a = Siblings::default();
    put(&mut a, VC, 2, 10, &Context::none(), 1);
    let read = a.context();
    put(&mut a, VC, 2, 11, &read, 1);
    let mut b = Siblings::default();
    put(&mut b, VC, 4, 10, &Context::none(), 2);
    let both = merged(&a, &b, VC);
    assert_eq!(
        shown(&both),
        [(1, "[n3:2]".to_string()), (2, "[n5:1]".to_string())]
    );
    // DVV: each sibling's dot, then the set's shared vector.
    let mut d = Siblings::default();
    put(&mut d, Mode::Dvv, 0, 10, &Context::none(), 1);
    put(&mut d, Mode::Dvv, 0, 20, &Context::none(), 2);
    assert_eq!(
        shown(&d),
        [
            (1, "(n1:1)[n1:2]".to_string()),
            (2, "(n1:2)[n1:2]".to_string())
        ]
    );
    // LWW: the winner's timestamp and coordinator.
    let mut l = Siblings::default();
    put(&mut l, Mode::Lww, 1, 1_500_000, &Context::none(), 7);
    assert_eq!(shown(&l), [(7, "t=1.5ms@n2".to_string())]);
    assert!(shown(&Siblings::default()).is_empty());
}
