//! The simulated network.

pub mod dist;
pub mod partition;
pub mod topology;
