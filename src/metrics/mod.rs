//! Figures gathered during a run.

pub mod histogram;
