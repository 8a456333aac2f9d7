//! Unit tests of the gossip state machine, without the event loop.
