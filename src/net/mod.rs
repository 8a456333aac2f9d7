//! The simulated network.

pub mod dist;
