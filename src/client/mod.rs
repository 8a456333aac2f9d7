//! Clients: workloads and the operations they invoke.

pub mod driver;
pub mod keys;
pub mod workload;
