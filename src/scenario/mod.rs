//! Scenario files: the TOML (or JSON) model of a run, its defaults, and the
//! validation that runs before anything else.

pub mod defaults;
pub mod model;

pub use model::*;
