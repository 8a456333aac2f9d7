//! Errors: the internal [`Diag`] the decoder raises (a span, a dotted path,
//! a message, maybe a hint) and the public [`ScenarioError`] it becomes once
//! the span is resolved to a file, line and column, rendered with
//! codespan-reporting.

use std::fmt;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};

use super::tree::Span;

/// An error before it is tied to a source text.
#[derive(Clone, Debug)]
pub struct Diag {
    pub span: Span,
    /// Dotted field path: `replication.r`, `fault[2].partition[0][1]`.
    pub path: String,
    pub message: String,
    pub help: Option<String>,
}

impl Diag {
    pub fn new(span: &Span, path: &str, message: impl Into<String>) -> Diag {
        Diag {
            span: span.clone(),
            path: path.to_string(),
            message: message.into(),
            help: None,
        }
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Diag {
        self.help = Some(help.into());
        self
    }
}

/// A named source text that spans point into.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub text: String,
}

/// One clear error about a scenario: where (file, line, column, field) and
/// what, with an optional hint on how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError(Box<ErrorDetail>);

/// Boxed so a `Result<Scenario, ScenarioError>` stays small.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ErrorDetail {
    file: String,
    text: String,
    /// Byte range in `text`; `None` when there is no text (an unreadable file).
    range: Option<Range<usize>>,
    line: usize,
    column: usize,
    path: String,
    message: String,
    help: Option<String>,
}

impl ScenarioError {
    /// Resolves a decoder error against the texts its spans point into.
    pub(crate) fn from_diag(diag: Diag, sources: &[Source]) -> ScenarioError {
        let Some(source) = sources.get(diag.span.source) else {
            return ScenarioError::without_position(
                "<unknown>",
                &diag.path,
                &diag.message,
                diag.help,
            );
        };
        let range = clamp_range(&source.text, diag.span.range.clone());
        let (line, column) = line_column(&source.text, range.start);
        ScenarioError(Box::new(ErrorDetail {
            file: source.name.clone(),
            text: source.text.clone(),
            range: Some(range),
            line,
            column,
            path: diag.path,
            message: diag.message,
            help: diag.help,
        }))
    }

    /// An error with no text to point into, such as a file that cannot be read.
    pub(crate) fn without_position(
        file: &str,
        path: &str,
        message: &str,
        help: Option<String>,
    ) -> ScenarioError {
        ScenarioError(Box::new(ErrorDetail {
            file: file.to_string(),
            text: String::new(),
            range: None,
            line: 0,
            column: 0,
            path: path.to_string(),
            message: message.to_string(),
            help,
        }))
    }

    /// The file name, or `--set replication.r=5` for an override.
    pub fn file(&self) -> &str {
        &self.0.file
    }
    /// One-based line; 0 when the error has no position.
    pub fn line(&self) -> usize {
        self.0.line
    }
    /// One-based column, counted in characters; 0 when there is no position.
    pub fn column(&self) -> usize {
        self.0.column
    }
    /// The dotted field path, e.g. `replication.r` or `op[0].at`; empty for
    /// errors about the whole file (a syntax error, an unreadable file).
    pub fn path(&self) -> &str {
        &self.0.path
    }
    pub fn message(&self) -> &str {
        &self.0.message
    }
    pub fn help(&self) -> Option<&str> {
        self.0.help.as_deref()
    }

    /// The error with the offending source line and a caret under the spot.
    pub fn render(&self, color: bool) -> String {
        let file = SimpleFile::new(self.0.file.as_str(), self.0.text.as_str());
        let headline = if self.0.path.is_empty() {
            self.0.message.clone()
        } else {
            format!("field `{}`: {}", self.0.path, self.0.message)
        };
        let mut diagnostic = Diagnostic::error().with_message(headline);
        if let Some(range) = &self.0.range {
            diagnostic = diagnostic.with_labels(vec![Label::primary((), range.clone())]);
        }
        if let Some(help) = &self.0.help {
            diagnostic = diagnostic.with_notes(vec![format!("help: {help}")]);
        }
        let config = term::Config::default();
        let rendered = if color {
            let mut out = termcolor::Ansi::new(Vec::new());
            term::emit(&mut out, &config, &file, &diagnostic).map(|()| out.into_inner())
        } else {
            let mut out = termcolor::NoColor::new(Vec::new());
            term::emit(&mut out, &config, &file, &diagnostic).map(|()| out.into_inner())
        };
        match rendered {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            // The range is clamped to the text, so this is not expected; the
            // one-line form still says everything needed.
            Err(_) => format!("error: {self}\n"),
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.range.is_some() {
            write!(f, "{}:{}:{}: ", self.0.file, self.0.line, self.0.column)?;
        } else {
            write!(f, "{}: ", self.0.file)?;
        }
        if !self.0.path.is_empty() {
            write!(f, "field `{}`: ", self.0.path)?;
        }
        f.write_str(&self.0.message)?;
        if let Some(help) = &self.0.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// Keeps a range inside the text and on character boundaries, so a span
/// from any front end can be shown safely.
fn clamp_range(text: &str, range: Range<usize>) -> Range<usize> {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(range.start);
    let end = floor(range.end.max(range.start));
    start..end
}

/// One-based line and character column of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // "bé " is 4 bytes but 3 characters: the `=` is column 4.
        assert_eq!(line_column(text, 10), (2, 4));
        assert_eq!(clamp_range(text, 9..100), 9..text.len());
        // Byte 8 is inside `é`: the range is moved back to a boundary.
        assert_eq!(clamp_range("bé", 2..2), 1..1);
    }
}
