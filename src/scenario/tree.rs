//! A format-neutral value tree in which every node remembers where it came
//! from: which source (the file, or one `--set` argument) and which bytes.
//!
//! Both front ends (TOML and JSON) produce this tree and `--set` edits it,
//! so the decoder and its error messages are written once and every error
//! can point at the exact text that caused it.

use std::ops::Range;

/// Which text a span points into: 0 is the scenario file, 1.. are the
/// `--set` arguments in order.
pub type SourceId = usize;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub source: SourceId,
    pub range: Range<usize>,
}

impl Span {
    pub fn new(source: SourceId, range: Range<usize>) -> Span {
        Span { source, range }
    }
}

#[derive(Clone, Debug)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

#[derive(Clone, Debug)]
pub enum Value {
    Table(Table),
    Array(Vec<Node>),
    String(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
    /// TOML dates and times: never valid in a scenario, kept so the error
    /// can say what was found.
    Datetime,
    /// JSON `null`: never valid either.
    Null,
}

impl Value {
    /// What a user would call this kind of value, for "expected X, found Y".
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Table(_) => "a table",
            Value::Array(_) => "an array",
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Bool(_) => "a boolean",
            Value::Datetime => "a date-time",
            Value::Null => "null",
        }
    }
}

/// Keys in source order (TOML's own map sorts them; region order matters).
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub entries: Vec<Entry>,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Table {
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.key == key)
    }
}

impl Node {
    /// Follows a dotted path of table keys (`"replication.r"`); arrays are
    /// not entered. Used to find what to blame for a cross-field error.
    pub fn lookup(&self, dotted: &str) -> Option<&Node> {
        let mut node = self;
        for segment in dotted.split('.') {
            match &node.value {
                Value::Table(table) => node = &table.get(segment)?.value,
                _ => return None,
            }
        }
        Some(node)
    }
}
