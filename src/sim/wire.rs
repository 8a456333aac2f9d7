//! The core's side of the network: a handler's send becomes a traced
//! delivery event in the queue (or a drop, or two deliveries), and the
//! loop's delivery and drop traces. Split from `mod.rs`, which runs the
//! loop; this is where a message enters and leaves the network.

use super::{Core, Event};
use crate::actor::Describe;
use crate::id::{Endpoint, NodeId};
use crate::net::{DropReason, Fate};
use crate::time::SimTime;
use crate::trace::{Fields, Tracer};

impl<M: Describe, NT, CT> Core<M, NT, CT> {
    /// The node whose network position an endpoint shares.
    pub(crate) fn site(&self, e: Endpoint) -> NodeId {
        match e {
            Endpoint::Node(n) => n,
            Endpoint::Client(c) => self.client_home[c.index()],
        }
    }

    /// Puts a message on the network: traced, then lost, cut off, or
    /// scheduled for delivery (perhaps twice).
    pub(crate) fn send(&mut self, from: Endpoint, to: Endpoint, msg: M) {
        let msg_id = self.next_msg_id;
        self.next_msg_id += 1;
        self.metrics.messages.sent += 1;
        if self.trace.enabled() {
            let mut line = message_line(&mut self.trace, self.now, "send", from, to, &msg, msg_id);
            msg.describe(&mut line);
        }
        let (from_site, to_site) = (self.site(from), self.site(to));
        if let Some(handles) = &mut self.handles {
            // Scripted: the script says when it arrives, or that it is
            // lost or copied; the network's dice are not thrown.
            let epoch = self.net.reachability().epoch(from_site, to_site);
            let event = Event::Deliver {
                to,
                from,
                msg,
                msg_id,
                epoch,
            };
            handles.messages.push(self.queue.push(self.now, event));
            return;
        }
        match self.net.transmit(&mut self.net_rng, from_site, to_site) {
            Fate::Dropped(why) => self.drop_message(from, to, &msg, msg_id, why),
            Fate::Arrives {
                latency,
                epoch,
                duplicate,
            } => {
                if let Some(second) = duplicate {
                    self.metrics.messages.duplicated += 1;
                    if self.trace.enabled() {
                        let (trace, now) = (&mut self.trace, self.now);
                        message_line(trace, now, "duplicate", from, to, &msg, msg_id);
                    }
                    let copy = Event::Deliver {
                        to,
                        from,
                        msg: msg.clone(),
                        msg_id,
                        epoch,
                    };
                    self.queue.push(self.now + second, copy);
                }
                let event = Event::Deliver {
                    to,
                    from,
                    msg,
                    msg_id,
                    epoch,
                };
                let scheduled = self.queue.push(self.now + latency, event);
                if let Endpoint::Node(n) = to {
                    self.sent_to_nodes.push((n, scheduled));
                }
            }
        }
    }

    /// A scripted duplicate: `copy` is queued and numbered as the next
    /// message.
    pub(crate) fn duplicate_scripted(&mut self, copy: Event<M, NT, CT>) {
        if let Event::Deliver {
            to,
            from,
            msg,
            msg_id,
            ..
        } = &copy
        {
            self.metrics.messages.duplicated += 1;
            if self.trace.enabled() {
                let (trace, now) = (&mut self.trace, self.now);
                message_line(trace, now, "duplicate", *from, *to, msg, *msg_id);
            }
        }
        let handle = self.queue.push(self.now, copy);
        if let Some(handles) = &mut self.handles {
            handles.messages.push(handle);
        }
    }

    /// Inlined so that a run without a trace pays one test, not a call.
    #[inline]
    pub(crate) fn trace_deliver(&mut self, from: Endpoint, to: Endpoint, msg: &M, msg_id: u64) {
        if self.trace.enabled() {
            self.write_deliver(from, to, msg, msg_id);
        }
    }

    #[cold]
    fn write_deliver(&mut self, from: Endpoint, to: Endpoint, msg: &M, msg_id: u64) {
        let mut line = message_line(&mut self.trace, self.now, "deliver", from, to, msg, msg_id);
        msg.describe(&mut line);
    }

    pub(crate) fn drop_message(
        &mut self,
        from: Endpoint,
        to: Endpoint,
        msg: &M,
        msg_id: u64,
        why: DropReason,
    ) {
        self.metrics.messages.count_drop(why);
        if self.trace.enabled() {
            message_line(&mut self.trace, self.now, "drop", from, to, msg, msg_id)
                .str("why", why.as_str());
        }
    }
}

/// A trace line about one message: its kind, both ends, the message's
/// kind and id; the caller adds the rest.
fn message_line<'a, M: Describe>(
    trace: &'a mut Tracer,
    now: SimTime,
    kind: &str,
    from: Endpoint,
    to: Endpoint,
    msg: &M,
    msg_id: u64,
) -> Fields<'a> {
    let mut line = trace.line(now.0, kind);
    endpoint_field(&mut line, "from", from);
    endpoint_field(&mut line, "to", to);
    line.str("msg", msg.kind()).u64("m", msg_id);
    line
}

fn endpoint_field(line: &mut Fields<'_>, name: &str, e: Endpoint) {
    match e {
        Endpoint::Node(n) => line.node(name, n),
        Endpoint::Client(c) => line.client(name, c),
    };
}
