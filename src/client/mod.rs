//! Clients: workloads and the operations they invoke.

pub mod driver;
pub mod keys;
mod outstanding;
pub mod workload;
