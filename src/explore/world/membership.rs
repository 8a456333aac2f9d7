//! Joins and leaves in an explored world (Dynamo §4.8: an administrator
//! adds or removes a node, and gossip carries the new member list to
//! each node in its own time). Gossip itself is off in an exploration
//! (its periodic rounds and random peers would make every state new), so
//! its effect is what is explored: at the change, the joiner starts or
//! the leaver begins its graceful leave (it knows at once); every other
//! node learns the new member set at a step of its own, in any order
//! with the messages in flight, so nodes route on differing views for a
//! while, as during a real join or leave.

use super::{Actor, Change, Endpoint, Life, News, State, Step};
use crate::actor::Node;
use crate::id::NodeId;

/// The nodes of a member bitset, in order.
pub fn nodes_of(members: u64) -> impl Iterator<Item = NodeId> {
    (0..64u32)
        .filter(move |i| members & (1 << i) != 0)
        .map(NodeId)
}

impl State {
    /// One learning step per node told of a change, if it is up (a
    /// crashed node learns once it is back; gossip's list is kept on
    /// disk).
    pub(super) fn learn_steps(&self, out: &mut Vec<Step>) {
        out.extend(
            (0..self.news.len())
                .filter(|&i| self.life[self.news[i].to.0 as usize] == Life::Up)
                .map(Step::Learn),
        );
    }

    /// Applies a join or a leave: a run ignores a join of a node that is
    /// no spare and a leave of one that is not up, and so does this.
    pub(super) fn change(&mut self, change: Change) {
        self.next_change += 1;
        self.now = self.now.max(change.at);
        let n = change.node.0 as usize;
        let bit = 1u64 << (n as u32).min(63);
        let who = Endpoint::Node(change.node);
        let now = self.local(who);
        if change.joined {
            if self.life[n] != Life::Spare {
                return;
            }
            self.life[n] = Life::Up;
            self.members |= bit;
            self.act(who, |actor, fx| {
                if let Actor::Node(node) = actor {
                    node.on_start(now, fx);
                }
            });
        } else {
            if self.life[n] != Life::Up {
                return;
            }
            self.members &= !bit;
            self.act(who, |actor, fx| {
                if let Actor::Node(node) = actor {
                    node.on_leave(now, fx);
                }
            });
        }
        // Everyone else in the ring (crashed nodes too) is told, the
        // joiner included; the leaver knows.
        let members = self.members;
        for (i, life) in self.life.iter().enumerate() {
            let to = NodeId(i as u32);
            if matches!(life, Life::Spare | Life::Gone) || (!change.joined && i == n) {
                continue;
            }
            self.news.retain(|x| x.to != to);
            self.news.push(News { to, members });
        }
    }

    /// The node of `news[i]` learns the members.
    pub(super) fn learn(&mut self, i: usize) {
        let News { to, members } = self.news.remove(i);
        let who = Endpoint::Node(to);
        let now = self.local(who);
        let members: Vec<NodeId> = nodes_of(members).collect();
        self.act(who, |actor, fx| {
            if let Actor::Node(node) = actor {
                node.on_membership(now, &members, fx);
            }
        });
    }
}
