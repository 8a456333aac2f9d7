//! Typed reads from the spanned tree. Each read knows its dotted path, so
//! every error names the field, points at its text, and says what to write.
//! Tables are opened with the list of keys they allow: an unknown key is
//! caught there, with the nearest allowed key suggested.

use super::diag::Diag;
use super::tree::{Node, Span, Table, Value};
use crate::id::NodeId;
use crate::time::{Rate, SimTime, parse_duration, parse_rate};

/// A value in the tree together with its dotted path.
#[derive(Clone, Copy)]
pub struct Field<'a> {
    pub node: &'a Node,
    pub path: &'a str,
}

/// An opened table whose keys have been checked against the allowed list.
pub struct TableView<'a> {
    pub node: &'a Node,
    pub table: &'a Table,
    pub path: String,
}

/// A field that owns its path (children of tables and arrays).
pub struct Child<'a> {
    pub node: &'a Node,
    pub key_span: Option<&'a Span>,
    pub path: String,
}

impl<'a> Child<'a> {
    pub fn field(&self) -> Field<'_> {
        Field {
            node: self.node,
            path: &self.path,
        }
    }
    /// The span of the key naming this child (for "this key is not allowed
    /// here"), else of its value.
    pub fn key_span(&self) -> &'a Span {
        self.key_span.unwrap_or(&self.node.span)
    }
}

pub fn join_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

impl<'a> Field<'a> {
    pub fn error(&self, message: impl Into<String>) -> Diag {
        Diag::new(&self.node.span, self.path, message)
    }

    fn found(&self) -> String {
        match &self.node.value {
            Value::String(s) if s.chars().count() <= 40 => format!("the string \"{s}\""),
            Value::Integer(n) => format!("the integer {n}"),
            Value::Float(x) => format!("the float {x}"),
            Value::Bool(b) => format!("the boolean {b}"),
            other => other.kind().to_string(),
        }
    }

    /// "expected X, found Y", with an example of X.
    pub fn type_error(&self, expected: &str) -> Diag {
        self.error(format!("expected {expected}, found {}", self.found()))
    }

    /// Opens a table, rejecting keys not in `allowed`.
    pub fn table(&self, allowed: &[&str]) -> Result<TableView<'a>, Diag> {
        let view = self.table_any()?;
        for entry in &view.table.entries {
            if !allowed.contains(&entry.key.as_str()) {
                return Err(unknown_key(
                    &entry.key,
                    &entry.key_span,
                    &join_path(self.path, &entry.key),
                    allowed,
                    self.path,
                ));
            }
        }
        Ok(view)
    }

    /// Opens a table whose keys the caller checks itself.
    pub fn table_any(&self) -> Result<TableView<'a>, Diag> {
        match &self.node.value {
            Value::Table(table) => Ok(TableView {
                node: self.node,
                table,
                path: self.path.to_string(),
            }),
            _ => Err(self.type_error("a table")),
        }
    }

    pub fn array(&self) -> Result<Vec<Child<'a>>, Diag> {
        match &self.node.value {
            Value::Array(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, node)| Child {
                    node,
                    key_span: None,
                    path: format!("{}[{i}]", self.path),
                })
                .collect()),
            _ => Err(self.type_error("an array")),
        }
    }

    pub fn str(&self) -> Result<&'a str, Diag> {
        match &self.node.value {
            Value::String(s) => Ok(s),
            _ => Err(self.type_error("a string")),
        }
    }

    pub fn bool(&self) -> Result<bool, Diag> {
        match self.node.value {
            Value::Bool(b) => Ok(b),
            _ => Err(self.type_error("true or false")),
        }
    }

    pub fn i64(&self) -> Result<i64, Diag> {
        match self.node.value {
            Value::Integer(n) => Ok(n),
            _ => Err(self.type_error("an integer")),
        }
    }

    /// An integer in `min..=max`; `what` names the limit in the message.
    pub fn u32_in(&self, min: u32, max: u32, what: &str) -> Result<u32, Diag> {
        let n = self.i64()?;
        if n < i64::from(min) {
            return Err(self.error(format!("{n} is too small: {what} must be at least {min}")));
        }
        if n > i64::from(max) {
            return Err(self.error(format!("{n} is too large: {what} can be at most {max}")));
        }
        u32::try_from(n).map_err(|_| self.error(format!("{n} is out of range")))
    }

    pub fn u64(&self) -> Result<u64, Diag> {
        let n = self.i64()?;
        u64::try_from(n).map_err(|_| self.error(format!("{n} is negative: it must be 0 or more")))
    }

    /// A finite number; integers are accepted too (`loss = 0`).
    pub fn f64(&self) -> Result<f64, Diag> {
        let x = match self.node.value {
            Value::Float(x) => x,
            // Scenario numbers are small; i64 to f64 loses nothing that matters.
            Value::Integer(n) => n as f64,
            _ => return Err(self.type_error("a number")),
        };
        if x.is_finite() {
            Ok(x)
        } else {
            Err(self.error(format!("{x} is not a finite number")))
        }
    }

    /// A probability or share, in [0, 1].
    pub fn unit_interval(&self) -> Result<f64, Diag> {
        let x = self.f64()?;
        if (0.0..=1.0).contains(&x) {
            Ok(x)
        } else {
            Err(self.error(format!(
                "{x} is outside [0, 1]: write a probability such as 0.05"
            )))
        }
    }

    /// A weight: finite and not negative.
    pub fn weight(&self) -> Result<f64, Diag> {
        let x = self.f64()?;
        if x >= 0.0 {
            Ok(x)
        } else {
            Err(self.error(format!("{x} is negative: weights must be 0 or more")))
        }
    }

    pub fn duration(&self) -> Result<SimTime, Diag> {
        match &self.node.value {
            Value::String(s) => parse_duration(s).map_err(|e| self.error(e.0)),
            Value::Integer(n) => Err(self.error(format!(
                "{n} has no unit: write \"{n}ms\" or \"{n}s\" (units: ns, us, ms, s, min)"
            ))),
            Value::Float(x) => Err(self.error(format!(
                "{x} has no unit: write \"{x}s\" (units: ns, us, ms, s, min)"
            ))),
            _ => Err(self.type_error("a duration such as \"250ms\"")),
        }
    }

    /// A duration longer than zero.
    pub fn positive_duration(&self) -> Result<SimTime, Diag> {
        let d = self.duration()?;
        if d == SimTime::ZERO {
            Err(self.error("must be longer than zero"))
        } else {
            Ok(d)
        }
    }

    /// A duration that may be negative (`"-500ms"`), in nanoseconds.
    pub fn signed_duration_ns(&self) -> Result<i64, Diag> {
        let text = self
            .str()
            .map_err(|_| self.type_error("a duration such as \"-500ms\""))?;
        let (negative, magnitude) = match text.trim().strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let d = parse_duration(magnitude).map_err(|e| self.error(e.0))?;
        let ns = i64::try_from(d.as_nanos()).map_err(|_| self.error("offset too large"))?;
        Ok(if negative { -ns } else { ns })
    }

    pub fn rate(&self) -> Result<Rate, Diag> {
        match &self.node.value {
            Value::String(s) => parse_rate(s).map_err(|e| self.error(e.0)),
            Value::Integer(_) | Value::Float(_) => Err(self.error(format!(
                "{} is not a rate: write a count per unit of time, like \"2000/s\" or \"1/10s\"",
                self.found()
            ))),
            _ => Err(self.type_error("a rate such as \"2000/s\"")),
        }
    }

    /// One of a fixed set of words (`mode = "open"`).
    pub fn choice<T: Copy>(&self, options: &[(&str, T)]) -> Result<T, Diag> {
        let text = self.str()?;
        if let Some((_, value)) = options.iter().find(|(name, _)| *name == text) {
            return Ok(*value);
        }
        let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
        let mut diag = self.error(format!(
            "unknown value \"{text}\": expected {}",
            quoted_list(&names)
        ));
        if let Some(near) = nearest(text, &names) {
            diag = diag.with_help(format!("did you mean \"{near}\"?"));
        }
        Err(diag)
    }

    /// A node name `n1`..`n{nodes}`, or a spare when `allow_spares`.
    pub fn node(&self, space: NodeSpace, allow_spares: bool) -> Result<NodeId, Diag> {
        let text = self
            .str()
            .map_err(|_| self.type_error("a node name such as \"n1\""))?;
        let Some(id) = NodeId::parse(text) else {
            return Err(self.error(format!(
                "\"{text}\" is not a node name: nodes are written n1, n2, ..."
            )));
        };
        let total = space.nodes.saturating_add(space.spares);
        if id.0 < space.nodes || (allow_spares && id.0 < total) {
            return Ok(id);
        }
        if id.0 < total {
            return Err(self.error(format!(
                "`{text}` is a spare (outside the ring at the start) and cannot be named here"
            )));
        }
        let known = match space.spares {
            0 => format!("the cluster has n1..n{}", space.nodes),
            _ => format!(
                "the cluster has n1..n{} and spares n{}..n{total}",
                space.nodes,
                space.nodes + 1
            ),
        };
        Err(self.error(format!("unknown node `{text}`: {known}")))
    }
}

/// How many nodes a scenario names: the ring, then the spares.
#[derive(Clone, Copy, Debug)]
pub struct NodeSpace {
    pub nodes: u32,
    pub spares: u32,
}

impl<'a> TableView<'a> {
    pub fn get(&self, key: &str) -> Option<Child<'a>> {
        self.table.get(key).map(|entry| Child {
            node: &entry.value,
            key_span: Some(&entry.key_span),
            path: join_path(&self.path, key),
        })
    }

    /// Every key with its value, in source order.
    pub fn children(&self) -> impl Iterator<Item = (&'a str, Child<'a>)> + '_ {
        self.table.entries.iter().map(|entry| {
            (
                entry.key.as_str(),
                Child {
                    node: &entry.value,
                    key_span: Some(&entry.key_span),
                    path: join_path(&self.path, &entry.key),
                },
            )
        })
    }

    /// A key that must be present; the error points at the table.
    pub fn required(&self, key: &str, example: &str) -> Result<Child<'a>, Diag> {
        self.get(key).ok_or_else(|| {
            Diag::new(
                &self.node.span,
                &join_path(&self.path, key),
                format!("missing `{key}`"),
            )
            .with_help(format!("add `{key} = {example}`"))
        })
    }

    /// Reads an optional key with `read`, or returns `default`.
    pub fn or<T>(
        &self,
        key: &str,
        default: T,
        read: impl FnOnce(Field<'_>) -> Result<T, Diag>,
    ) -> Result<T, Diag> {
        match self.get(key) {
            Some(child) => read(child.field()),
            None => Ok(default),
        }
    }
}

fn unknown_key(key: &str, span: &Span, path: &str, allowed: &[&str], table: &str) -> Diag {
    let place = if table.is_empty() {
        "at the top level".to_string()
    } else {
        format!("in `{table}`")
    };
    let diag = Diag::new(span, path, format!("unknown key `{key}` {place}"));
    match nearest(key, allowed) {
        Some(near) => diag.with_help(format!("did you mean `{near}`?")),
        None => diag.with_help(format!("allowed keys: {}", backticked_list(allowed))),
    }
}

/// The allowed name closest to `word`, when it is close enough to be a typo.
pub fn nearest<'n>(word: &str, names: &[&'n str]) -> Option<&'n str> {
    let limit = match word.chars().count() {
        0..=3 => 1,
        4..=7 => 2,
        _ => 3,
    };
    names
        .iter()
        .map(|name| (edit_distance(word, name), *name))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name)
}

/// Levenshtein distance, by characters; inputs are short keys (and long
/// garbage is cut off so a hostile key cannot make this slow).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(64).collect();
    let b: Vec<char> = b.chars().take(64).collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

pub fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn backticked_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_near_and_other_words_are_not() {
        let keys = ["replication", "network", "cluster", "seed", "name"];
        assert_eq!(nearest("replicaton", &keys), Some("replication"));
        assert_eq!(nearest("sed", &keys), Some("seed"));
        assert_eq!(nearest("workload", &keys), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
