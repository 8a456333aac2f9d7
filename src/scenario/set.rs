//! `--set a.b.c=value` overrides, applied to the tree before decoding so
//! they are checked exactly like the file. Each argument is its own source
//! text (`--set replication.r=5`): errors name it and put the caret under
//! the bad path segment or value.

use super::diag::Diag;
use super::toml_src;
use super::tree::{Entry, Node, SourceId, Span, Table, Value};

/// How an override is shown and named in errors.
pub fn source_text(argument: &str) -> String {
    format!("--set {argument}")
}

/// Applies one override, whose text is `source_text(argument)` in `source`.
pub fn apply(root: &mut Node, source: SourceId, argument: &str) -> Result<(), Diag> {
    const PREFIX: usize = "--set ".len();
    let whole = Span::new(source, PREFIX..PREFIX + argument.len());
    let Some((path, value_text)) = argument.split_once('=') else {
        return Err(Diag::new(&whole, "", "an override is written path=value")
            .with_help("e.g. --set replication.r=1"));
    };
    let value_start = PREFIX + path.len() + 1;
    let value = parse_value(source, value_text, value_start).map_err(|mut diag| {
        diag.path = path.trim().to_string();
        diag
    })?;

    // The path's segments and their spans inside the argument.
    let mut segments = Vec::new();
    let mut offset = PREFIX;
    for segment in path.split('.') {
        let span = Span::new(source, offset..offset + segment.len());
        let trimmed = segment.trim();
        if trimmed.is_empty() {
            return Err(Diag::new(&span, path, "empty segment in the path")
                .with_help("write a dotted path such as network.loss"));
        }
        segments.push((trimmed.to_string(), span));
        offset += segment.len() + 1;
    }

    let mut node = root;
    let mut walked = String::new();
    let last = segments.len().saturating_sub(1);
    for (i, (key, span)) in segments.into_iter().enumerate() {
        let kind = node.value.kind();
        let Value::Table(table) = &mut node.value else {
            return Err(Diag::new(
                &span,
                &walked,
                format!("`{walked}` is {kind}, not a table: --set cannot reach inside it"),
            ));
        };
        walked = if walked.is_empty() {
            key.clone()
        } else {
            format!("{walked}.{key}")
        };
        if i == last {
            match table.get_mut(&key) {
                Some(entry) => entry.value = value,
                None => table.entries.push(Entry {
                    key,
                    key_span: span,
                    value,
                }),
            }
            return Ok(());
        }
        let index = match table.entries.iter().position(|e| e.key == key) {
            Some(index) => index,
            None => {
                table.entries.push(Entry {
                    key,
                    key_span: span.clone(),
                    value: Node {
                        span,
                        value: Value::Table(Table::default()),
                    },
                });
                table.entries.len() - 1
            }
        };
        match table.entries.get_mut(index) {
            Some(entry) => node = &mut entry.value,
            None => return Ok(()),
        }
    }
    Ok(())
}

/// The value as TOML (`1`, `0.05`, `"2ms"`, `true`, `[...]`); a bare word
/// that is not TOML (`2ms`, `lognormal`) is taken as a string so users need
/// not fight their shell's quoting.
fn parse_value(source: SourceId, text: &str, offset: usize) -> Result<Node, Diag> {
    match toml_src::parse_value(source, text, offset) {
        Ok(node) => Ok(node),
        Err(diag) => {
            let trimmed = text.trim();
            let structured = trimmed.starts_with(['"', '\'', '[', '{']);
            if structured || trimmed.is_empty() {
                let mut diag = diag;
                if trimmed.is_empty() {
                    diag.message = "the value is missing after `=`".to_string();
                }
                Err(diag)
            } else {
                Ok(Node {
                    span: Span::new(source, offset..offset + text.len()),
                    value: Value::String(trimmed.to_string()),
                })
            }
        }
    }
}
