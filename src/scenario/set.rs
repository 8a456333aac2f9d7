//! `--set a.b.c=value` overrides, applied to the tree before decoding so
//! they are checked exactly like the file. A segment may index a list the
//! file wrote (`fault[0].at=2s`, `op[3].value=tea`), so a sweep can move a
//! fault in time; entries are numbered from 0 in file order. Each argument is its own source
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

    // The path's segments and their spans inside the argument; a segment
    // may end in one index (`fault[0]`), which enters that list entry.
    let mut segments = Vec::new();
    let mut offset = PREFIX;
    for segment in path.split('.') {
        let span = Span::new(source, offset..offset + segment.len());
        segments.push(parse_segment(segment.trim(), span, path)?);
        offset += segment.len() + 1;
    }

    let mut node = root;
    let mut walked = String::new();
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.into_iter().enumerate() {
        let Segment { key, index, span } = segment;
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
        let slot = if let Some(index) = index {
            let Some(entry) = table.get_mut(&key) else {
                return Err(Diag::new(
                    &span,
                    &walked,
                    format!(
                        "`{walked}` has no entries, so there is no `{walked}[{index}]`: --set edits entries the file has, it does not add them"
                    ),
                ));
            };
            let items = match &mut entry.value.value {
                Value::Array(items) => items,
                other => {
                    return Err(Diag::new(
                        &span,
                        &walked,
                        format!(
                            "`{walked}` is {}, not a list: it has no `[{index}]`",
                            other.kind()
                        ),
                    ));
                }
            };
            let count = items.len();
            let Some(item) = items.get_mut(index) else {
                let have = match count {
                    0 => "none".to_string(),
                    1 => format!("one, `{walked}[0]`"),
                    n => format!("{n}, `{walked}[0]` to `{walked}[{}]`", n - 1),
                };
                return Err(Diag::new(
                    &span,
                    &walked,
                    format!("`{walked}[{index}]` is out of range: the file has {have}"),
                )
                .with_help("entries are numbered from 0 in the order the file writes them"));
            };
            walked = format!("{walked}[{index}]");
            if i == last {
                *item = value;
                return Ok(());
            }
            item
        } else {
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
                Some(entry) => &mut entry.value,
                None => return Ok(()),
            }
        };
        node = slot;
    }
    Ok(())
}

/// One segment of an override's path: a key, and an index into the list it
/// names (`op[3]`).
struct Segment {
    key: String,
    index: Option<usize>,
    span: Span,
}

fn parse_segment(text: &str, span: Span, path: &str) -> Result<Segment, Diag> {
    if text.is_empty() {
        return Err(Diag::new(&span, path, "empty segment in the path")
            .with_help("write a dotted path such as network.loss"));
    }
    let Some(open) = text.find('[') else {
        return Ok(Segment {
            key: text.to_string(),
            index: None,
            span,
        });
    };
    let key = &text[..open];
    let index = text[open + 1..]
        .strip_suffix(']')
        .and_then(|digits| digits.parse::<usize>().ok());
    match index {
        Some(index) if !key.is_empty() => Ok(Segment {
            key: key.to_string(),
            index: Some(index),
            span,
        }),
        _ => Err(Diag::new(
            &span,
            path,
            format!("`{text}` is not a key or a list entry"),
        )
        .with_help("write a key such as `network`, or an entry such as `fault[0]`")),
    }
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
