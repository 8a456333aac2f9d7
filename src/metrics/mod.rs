//! Figures gathered during a run.

pub mod histogram;
pub mod run;

pub use run::RunMetrics;
