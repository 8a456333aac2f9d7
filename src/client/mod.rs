//! Clients: workloads and the operations they invoke.

pub mod keys;
