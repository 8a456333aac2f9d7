//! TOML text to the spanned [`tree`](super::tree), through toml's own
//! spanned document parser (`toml::de::DeTable`), which already limits how
//! deeply arrays and inline tables may nest.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diag::Diag;
use super::tree::{Entry, Node, SourceId, Span, Table, Value};

/// Deeper than any scenario needs (mixtures of mixtures included), and
/// shallow enough that walking the tree recursively cannot exhaust the stack.
pub const MAX_DEPTH: usize = 32;

/// Parses a whole TOML document.
pub fn parse_document(source: SourceId, text: &str) -> Result<Node, Diag> {
    let document = DeTable::parse(text).map_err(|e| syntax_error(source, text, &e))?;
    let span = Span::new(source, 0..text.len());
    let table = convert_table(source, document.get_ref(), 1)?;
    Ok(Node {
        span,
        value: Value::Table(table),
    })
}

/// Parses one TOML value (the right side of a `--set`); `offset` is where
/// the value starts in the source text, so its spans point into it.
pub fn parse_value(source: SourceId, text: &str, offset: usize) -> Result<Node, Diag> {
    let value = DeValue::parse(text).map_err(|e| {
        let mut diag = syntax_error(source, text, &e);
        diag.span.range = shift(&diag.span.range, offset);
        diag
    })?;
    let mut node = convert(source, &value, 1)?;
    shift_spans(&mut node, offset);
    Ok(node)
}

fn syntax_error(source: SourceId, text: &str, error: &toml::de::Error) -> Diag {
    let range = error.span().unwrap_or(text.len()..text.len());
    Diag::new(
        &Span::new(source, range),
        "",
        format!("TOML syntax error: {}", error.message().trim_end()),
    )
}

fn convert_table(source: SourceId, table: &DeTable<'_>, depth: usize) -> Result<Table, Diag> {
    let mut entries = Vec::with_capacity(table.len());
    for (key, value) in table.iter() {
        entries.push(Entry {
            key: key.get_ref().to_string(),
            key_span: Span::new(source, key.span()),
            value: convert(source, value, depth + 1)?,
        });
    }
    entries.sort_by_key(|e| e.key_span.range.start);
    Ok(Table { entries })
}

fn convert(source: SourceId, value: &Spanned<DeValue<'_>>, depth: usize) -> Result<Node, Diag> {
    let span = Span::new(source, value.span());
    if depth > MAX_DEPTH {
        return Err(Diag::new(
            &span,
            "",
            format!("nested more than {MAX_DEPTH} levels deep"),
        ));
    }
    let converted = match value.get_ref() {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Integer(n),
            Err(_) => return Err(Diag::new(&span, "", "integer out of range")),
        },
        DeValue::Float(f) => match f.as_str().parse::<f64>() {
            Ok(x) => Value::Float(x),
            Err(_) => return Err(Diag::new(&span, "", "float out of range")),
        },
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(_) => Value::Datetime,
        DeValue::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| convert(source, item, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(table) => Value::Table(convert_table(source, table, depth)?),
    };
    Ok(Node {
        span,
        value: converted,
    })
}

fn shift(range: &std::ops::Range<usize>, offset: usize) -> std::ops::Range<usize> {
    range.start.saturating_add(offset)..range.end.saturating_add(offset)
}

fn shift_spans(node: &mut Node, offset: usize) {
    node.span.range = shift(&node.span.range, offset);
    match &mut node.value {
        Value::Table(table) => {
            for entry in &mut table.entries {
                entry.key_span.range = shift(&entry.key_span.range, offset);
                shift_spans(&mut entry.value, offset);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|n| shift_spans(n, offset)),
        _ => {}
    }
}
