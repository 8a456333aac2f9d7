//! Scenario files: the TOML (or JSON) model of a run, its defaults, and the
//! validation that runs before anything else.

pub mod defaults;
pub mod model;

pub use model::*;

/// Placeholder until the parser branch lands (replaced on merge).
pub fn load(_path: &std::path::Path, _sets: &[String]) -> Result<Scenario, LoadError> {
    Err(LoadError)
}
#[derive(Debug)]
pub struct LoadError;
impl LoadError {
    pub fn render(&self, _color: bool) -> String {
        "scenario parsing not merged yet\n".into()
    }
}
