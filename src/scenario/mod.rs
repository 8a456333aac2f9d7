//! Scenario files: the TOML (or JSON) model of a run, its defaults, and the
//! validation that runs before anything else.
//!
//! The pipeline: the text becomes a spanned value [`tree`] (`toml_src` or
//! `json_src`), `--set` overrides edit the tree (`set`), and `decode` turns
//! it into the typed [`Scenario`], checking as it goes (`validate` for the
//! checks across sections). Any failure is one [`ScenarioError`] naming the
//! file, line, column and dotted field path.

mod decode;
mod decode_load;
pub mod defaults;
mod diag;
mod dist;
mod emit;
mod events;
mod json_src;
pub mod model;
mod read;
mod set;
mod toml_src;
mod tree;
mod validate;

#[cfg(test)]
mod tests;

use std::path::Path;

pub use decode::accepted_fields;
pub use diag::ScenarioError;
pub use emit::to_toml;
pub use model::*;

use diag::Source;

/// The syntax of a scenario text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

impl Format {
    /// JSON for a `.json` extension (any case), TOML otherwise.
    pub fn from_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Toml,
        }
    }
}

/// Every scenario file (`.toml`, `.json`) under `dir`, at any depth,
/// sorted: what the tests run and round-trip.
pub fn files_under(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "toml" || e == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads the file (TOML, or JSON when the extension is .json), applies
/// `--set` overrides in order, validates.
pub fn load(path: &Path, sets: &[String]) -> Result<Scenario, ScenarioError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        ScenarioError::without_position(&name, "", &format!("cannot read {name}: {e}"), None)
    })?;
    parse_str(&name, &text, Format::from_path(path), sets)
}

/// Same from text; `source_name` is what errors call the file.
pub fn parse_str(
    source_name: &str,
    text: &str,
    format: Format,
    sets: &[String],
) -> Result<Scenario, ScenarioError> {
    let sources = sources(source_name, text, sets);
    let result = tree_of(text, format, sets).and_then(|root| decode::decode(&root));
    result.map_err(|diag| ScenarioError::from_diag(diag, &sources))
}

/// The texts spans point into: the file, then each `--set` argument.
fn sources(source_name: &str, text: &str, sets: &[String]) -> Vec<Source> {
    let mut sources = vec![Source {
        name: source_name.to_string(),
        text: text.to_string(),
    }];
    sources.extend(sets.iter().map(|argument| {
        let text = set::source_text(argument);
        Source {
            name: text.clone(),
            text,
        }
    }));
    sources
}

/// The spanned tree of a text with the `--set` arguments applied.
fn tree_of(text: &str, format: Format, sets: &[String]) -> Result<tree::Node, diag::Diag> {
    let mut root = match format {
        Format::Toml => toml_src::parse_document(0, text)?,
        Format::Json => json_src::parse_document(0, text)?,
    };
    for (i, argument) in sets.iter().enumerate() {
        set::apply(&mut root, i + 1, argument)?;
    }
    Ok(root)
}

/// An error about a field of a file that loaded, found by a later stage
/// (a `[check] schedule` that is no execution of its file), located as a
/// decoding error is: the file (or the `--set` argument that set the
/// field), line, column, the dotted path and a caret. `field` is a dotted
/// path of table keys (`check.schedule`), `index` an element of the array
/// there (`check.schedule[3]`). Without the field in the text (it cannot
/// be read again), the error names the file and the path alone.
pub fn locate(
    path: &Path,
    sets: &[String],
    field: &str,
    index: Option<usize>,
    message: &str,
) -> ScenarioError {
    let name = path.display().to_string();
    let dotted = match index {
        Some(i) => format!("{field}[{i}]"),
        None => field.to_string(),
    };
    let Ok(text) = std::fs::read_to_string(path) else {
        return ScenarioError::without_position(&name, &dotted, message, None);
    };
    let found = tree_of(&text, Format::from_path(path), sets)
        .ok()
        .and_then(|root| {
            let node = root.lookup(field)?;
            let node = match (index, &node.value) {
                (None, _) => node,
                (Some(i), tree::Value::Array(items)) => items.get(i)?,
                (Some(_), _) => return None,
            };
            Some(node.span.clone())
        });
    match found {
        Some(span) => ScenarioError::from_diag(
            diag::Diag::new(&span, &dotted, message),
            &sources(&name, &text, sets),
        ),
        None => ScenarioError::without_position(&name, &dotted, message, None),
    }
}
