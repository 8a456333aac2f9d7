//! Ring views shared between the nodes whose membership views agree (paper
//! §4.8: each node routes on the ring its own membership list implies).
//!
//! A node's ring view is `Layout::evolved(initial, current)`, a pure
//! function of its member set, so nodes that agree on the members hold
//! equal views. With a thousand nodes, each building its own (a thousand
//! members of 32 tokens, each an MD5, and the token lists it declares by
//! gossip) cost more than the run; the first node to ask for a member set
//! builds the view and the others share it through an `Arc`.
//!
//! This is configuration shared by every node of a run, not state of the
//! run: what a node gets is the value it would have computed itself, so
//! the cache changes the cost of a run, never its course.

use crate::gossip::NodeState;
use crate::id::NodeId;
use crate::ring::{Layout, NodeSpec, Position, Ring, RingSpec};
use std::sync::{Arc, Mutex};

/// How many distinct member sets the cache keeps: a run holds a handful
/// at a time (the views before and after a join or a leave, while the
/// news spreads); one evicted is only built again.
const KEPT: usize = 8;

/// One member set's ring view and what its members declare.
#[derive(Debug)]
pub struct RingView {
    pub layout: Layout,
    pub ring: Arc<Ring>,
    /// Each member's declared state under this layout (tokens shared), by
    /// node, sorted.
    pub declared: Vec<(NodeId, Arc<NodeState>)>,
}

impl RingView {
    /// The state `node` declares under this view, if it is a member.
    pub fn declared_by(&self, node: NodeId) -> Option<&NodeState> {
        let at = self.declared.binary_search_by_key(&node, |d| d.0).ok()?;
        Some(&*self.declared[at].1)
    }
}

/// The cache: the views of the member sets asked for last, the most
/// recent last.
#[derive(Debug, Default)]
pub struct RingViews {
    kept: Mutex<Vec<(Vec<NodeSpec>, Arc<RingView>)>>,
}

impl RingViews {
    /// The view of `current` grown from `initial` under `spec`, built on
    /// the first request for that member set. `reuse`, a ring the caller
    /// already shares (the run's initial one), stands in for the built ring
    /// when it is equal, so the holders of either keep sharing one copy.
    pub fn view(
        &self,
        spec: &RingSpec,
        initial: &[NodeSpec],
        current: &[NodeSpec],
        reuse: Option<&Arc<Ring>>,
    ) -> Arc<RingView> {
        // A poisoned lock only means a panic elsewhere; the views are whole.
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = kept.iter().position(|(members, _)| members == current) {
            let hit = kept.remove(at);
            let view = hit.1.clone();
            kept.push(hit);
            return view;
        }
        let layout = Layout::evolved(spec, initial, current);
        let mut ring = Arc::new(layout.ring(spec));
        if let Some(shared) = reuse.filter(|shared| ***shared == *ring) {
            ring = shared.clone();
        }
        let specs = |node: NodeId| current.iter().find(|s| s.node == node);
        let declared = layout
            .members()
            .iter()
            .map(|m| {
                let spec = specs(m.spec.node).unwrap_or(&m.spec);
                (m.spec.node, Arc::new(declared(spec, &m.tokens)))
            })
            .collect();
        let view = Arc::new(RingView {
            layout,
            ring,
            declared,
        });
        if kept.len() == KEPT {
            kept.remove(0);
        }
        kept.push((current.to_vec(), view.clone()));
        view
    }
}

/// A cache is not part of the plan's meaning: any two compare equal.
impl PartialEq for RingViews {
    fn eq(&self, _: &RingViews) -> bool {
        true
    }
}

/// What a member declares by gossip: its region, weight and tokens.
pub(super) fn declared(spec: &NodeSpec, tokens: &[Position]) -> NodeState {
    NodeState {
        left: false,
        region: spec.region,
        weight: spec.weight,
        tokens: tokens.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::{Placement, Strategy};

    fn specs(ids: &[u32]) -> Vec<NodeSpec> {
        ids.iter().map(|&i| NodeSpec::plain(NodeId(i))).collect()
    }

    #[test]
    fn a_member_set_is_built_once_and_equals_its_own_build() {
        let spec = RingSpec {
            strategy: Strategy::RandomTokens,
            vnodes: 8,
            partitions: 64,
            placement: Placement::Clockwise,
            n: 3,
            seed: 3,
        };
        let initial = specs(&[0, 1, 2, 3]);
        let views = RingViews::default();
        let grown = specs(&[0, 1, 2, 3, 4]);
        let first = views.view(&spec, &initial, &grown, None);
        let again = views.view(&spec, &initial, &grown, None);
        assert!(Arc::ptr_eq(&first, &again));
        let own = Layout::evolved(&spec, &initial, &grown);
        assert_eq!(first.layout, own);
        assert_eq!(*first.ring, own.ring(&spec));
        let member = &own.members()[4];
        assert_eq!(
            first.declared_by(NodeId(4)),
            Some(&declared(&member.spec, &member.tokens))
        );
        // An equal ring the caller shares is the one handed out.
        let shared = Arc::new(Layout::evolved(&spec, &initial, &initial).ring(&spec));
        let start = views.view(&spec, &initial, &initial, Some(&shared));
        assert!(Arc::ptr_eq(&start.ring, &shared));
        // Past KEPT other sets the oldest is built again, equal.
        for extra in 5..5 + KEPT as u32 {
            let mut set = initial.clone();
            set.push(NodeSpec::plain(NodeId(extra)));
            views.view(&spec, &initial, &set, None);
        }
        let rebuilt = views.view(&spec, &initial, &grown, None);
        assert!(!Arc::ptr_eq(&first, &rebuilt));
        assert_eq!(rebuilt.layout, first.layout);
    }
}
