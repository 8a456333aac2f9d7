//! Unit tests of trees, forests and the exchange, without the event loop.
