//! Trivial actors for engine tests and benchmarks: a relay node that passes
//! tokens around the cluster and logs what it sees, and a client that does
//! nothing. They use the same interface as the real node, so a test of the
//! loop (faults, timers, the network) does not depend on protocol code.

use crate::actor::{Client, ClientOutbox, Describe, Node, Outbox, TimerId};
use crate::id::{Endpoint, NodeId};
use crate::time::SimTime;
use crate::trace::Fields;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub hops: u32,
}

impl Describe for Token {
    fn kind(&self) -> &'static str {
        "Token"
    }
    fn describe(&self, f: &mut Fields<'_>) {
        f.u64("hops", u64::from(self.hops));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayTimer {
    /// Send a fresh token to every other member.
    Tick,
    /// Armed and cancelled at every delivery: exercises cheap cancellation.
    Watchdog,
}

impl Describe for RelayTimer {
    fn kind(&self) -> &'static str {
        match self {
            RelayTimer::Tick => "Tick",
            RelayTimer::Watchdog => "Watchdog",
        }
    }
}

/// Passes each token it receives to the next node (`n(i+1)`, wrapping), so
/// a steady population of tokens circulates; optionally also sends a token
/// to every other member every `tick`. Records the local times at which it
/// handled things, for tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relay {
    pub id: NodeId,
    pub members: u32,
    /// Tokens to launch at start.
    pub tokens_at_start: u32,
    /// Period of the broadcast tick, if any.
    pub tick: Option<SimTime>,
    /// Arm and cancel a watchdog per delivery.
    pub watchdog: bool,
    /// Local clock readings at each input (kept only if `log` is set).
    pub log: bool,
    pub seen: Vec<SimTime>,
    pub received: u64,
    /// Volatile: lost in a crash.
    pub since_start: u64,
    /// Durable: survives a crash, not a wipe.
    pub disk: u64,
    watchdog_timer: Option<TimerId>,
}

impl Relay {
    pub fn new(id: NodeId, members: u32) -> Relay {
        Relay {
            id,
            members,
            tokens_at_start: 0,
            tick: None,
            watchdog: false,
            log: false,
            seen: Vec::new(),
            received: 0,
            since_start: 0,
            disk: 0,
            watchdog_timer: None,
        }
    }

    fn next(&self) -> NodeId {
        NodeId((self.id.0 + 1) % self.members)
    }
}

impl Node for Relay {
    type Msg = Token;
    type Timer = RelayTimer;

    fn id(&self) -> NodeId {
        self.id
    }

    fn on_start(&mut self, now: SimTime, out: &mut impl Outbox<Token, RelayTimer>) {
        if self.log {
            self.seen.push(now);
        }
        for _ in 0..self.tokens_at_start {
            out.send(Endpoint::Node(self.next()), Token { hops: 0 });
        }
        if let Some(tick) = self.tick {
            out.set_timer(tick, RelayTimer::Tick);
        }
    }

    fn on_message(
        &mut self,
        now: SimTime,
        _from: Endpoint,
        msg: Token,
        out: &mut impl Outbox<Token, RelayTimer>,
    ) {
        self.received += 1;
        self.since_start += 1;
        self.disk += 1;
        if self.log {
            self.seen.push(now);
        }
        if self.watchdog {
            if let Some(t) = self.watchdog_timer.take() {
                out.cancel_timer(t);
            }
            self.watchdog_timer = Some(out.set_timer(SimTime::from_secs(1), RelayTimer::Watchdog));
        }
        if self.tick.is_none() {
            out.send(Endpoint::Node(self.next()), Token { hops: msg.hops + 1 });
        }
    }

    fn on_timer(
        &mut self,
        now: SimTime,
        timer: RelayTimer,
        out: &mut impl Outbox<Token, RelayTimer>,
    ) {
        if self.log {
            self.seen.push(now);
        }
        if let (RelayTimer::Tick, Some(tick)) = (timer, self.tick) {
            for peer in (0..self.members).map(NodeId).filter(|&p| p != self.id) {
                out.send(Endpoint::Node(peer), Token { hops: 0 });
            }
            out.set_timer(tick, RelayTimer::Tick);
        }
    }

    fn on_crash(&mut self) {
        self.since_start = 0;
        self.watchdog_timer = None;
    }

    fn on_restart(
        &mut self,
        now: SimTime,
        wipe_disk: bool,
        out: &mut impl Outbox<Token, RelayTimer>,
    ) {
        if wipe_disk {
            self.disk = 0;
        }
        if let Some(tick) = self.tick {
            out.set_timer(tick, RelayTimer::Tick);
        }
        if self.log {
            self.seen.push(now);
        }
    }

    fn stored_keys(&self) -> usize {
        usize::from(self.disk > 0)
    }
}

/// A client that never acts.
#[derive(Clone, Debug, Default)]
pub struct IdleClient;

impl Client for IdleClient {
    type Msg = Token;
    type Timer = RelayTimer;

    fn on_start(&mut self, _now: SimTime, _out: &mut impl ClientOutbox<Token, RelayTimer>) {}
    fn on_message(
        &mut self,
        _now: SimTime,
        _from: Endpoint,
        _msg: Token,
        _out: &mut impl ClientOutbox<Token, RelayTimer>,
    ) {
    }
    fn on_timer(
        &mut self,
        _now: SimTime,
        _timer: RelayTimer,
        _out: &mut impl ClientOutbox<Token, RelayTimer>,
    ) {
    }
}
