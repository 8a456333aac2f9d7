//! The simulated network.

pub mod dist;
pub mod topology;
