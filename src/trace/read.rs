//! Reading a trace back: `trace.jsonl` parsed into [`Record`]s, for the
//! tools that work from what a run did rather than from the live world
//! (the exporters, `explain`, the Lamport diagram, the report's viewer).
//!
//! A record keeps its fields as JSON values rather than one Rust type per
//! kind: the kinds grow with the protocols, and every reader only needs a
//! few fields of a few kinds. The accessors return `None` for a field that
//! is absent or of another type, so a reader written for an older trace
//! skips what it does not know instead of failing.

use serde_json::{Map, Value};
use std::fmt;
use std::io::{self, BufRead};
use std::path::Path;

/// One trace line.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Simulated time, nanoseconds.
    pub t: u64,
    pub kind: String,
    /// Every field but `t` and `kind`.
    pub fields: Map<String, Value>,
}

impl Record {
    pub fn str(&self, name: &str) -> Option<&str> {
        self.fields.get(name)?.as_str()
    }

    pub fn u64(&self, name: &str) -> Option<u64> {
        self.fields.get(name)?.as_u64()
    }

    pub fn f64(&self, name: &str) -> Option<f64> {
        self.fields.get(name)?.as_f64()
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        self.fields.get(name)?.as_bool()
    }

    /// A list of strings (`values`, `pref`, `to`, ...); empty when absent.
    pub fn strs(&self, name: &str) -> Vec<&str> {
        match self.fields.get(name) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// A list of lists of strings (a partition's `groups`); empty when
    /// absent.
    pub fn groups(&self, name: &str) -> Vec<Vec<&str>> {
        match self.fields.get(name) {
            Some(Value::Array(groups)) => groups
                .iter()
                .map(|g| match g {
                    Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A `stored` note's siblings, each value beside its version clock
    /// (`milk [n1:1]`), or the bare value when the note has no clock.
    pub fn siblings(&self) -> Vec<String> {
        let clocks: Vec<String> = match self.fields.get("clocks") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|c| match c {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
            _ => Vec::new(),
        };
        self.strs("values")
            .iter()
            .enumerate()
            .map(|(i, v)| match clocks.get(i) {
                Some(c) => format!("{v} {c}"),
                None => v.to_string(),
            })
            .collect()
    }

    /// Time in milliseconds, for people.
    pub fn ms(&self) -> f64 {
        self.t as f64 / 1e6
    }
}

/// A line that is not a trace record.
#[derive(Debug)]
pub struct ReadError {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "trace line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ReadError {}

/// Parses one line (without its newline).
pub fn parse_line(line: &str) -> Result<Record, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let Value::Object(mut fields) = value else {
        return Err("not a JSON object".into());
    };
    let t = fields
        .remove("t")
        .and_then(|t| t.as_u64())
        .ok_or("no `t` (simulated nanoseconds)")?;
    let kind = match fields.remove("kind") {
        Some(Value::String(kind)) => kind,
        _ => return Err("no `kind`".into()),
    };
    Ok(Record { t, kind, fields })
}

/// Parses a whole trace held in memory; blank lines are skipped.
pub fn parse(text: &str) -> Result<Vec<Record>, ReadError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            parse_line(line).map_err(|message| ReadError {
                line: i + 1,
                message,
            })
        })
        .collect()
}

/// Reads `trace.jsonl` from a file into memory.
pub fn read(path: &Path) -> io::Result<Vec<Record>> {
    let mut records = Vec::new();
    stream(path, |record| {
        records.push(record);
        Ok(true)
    })?;
    Ok(records)
}

/// Streams `trace.jsonl`, a record at a time, to `each`, which returns
/// whether it wants the next one (the lines after the last one it wants
/// are still read and counted, not parsed). Returns how many records the
/// file holds. A line that is not a record is an error naming its number.
pub fn stream(path: &Path, each: impl FnMut(Record) -> io::Result<bool>) -> io::Result<usize> {
    lines(path, true, 0, each)
}

/// The time of a line as the tracer writes it, `{"t":123,...`, read
/// without parsing the line; `None` for a line written otherwise.
fn leading_time(line: &[u8]) -> Option<u64> {
    let digits = line.strip_prefix(b"{\"t\":")?;
    let end = digits.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}

/// [`stream`], which stops reading where `each` stops wanting records
/// when `count_the_rest` is false, and does not parse (nor hand over)
/// the lines the tracer wrote before `from_ns`.
fn lines(
    path: &Path,
    count_the_rest: bool,
    from_ns: u64,
    mut each: impl FnMut(Record) -> io::Result<bool>,
) -> io::Result<usize> {
    let mut reader = io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut line = Vec::new();
    let (mut number, mut total, mut wanted) = (0, 0, true);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(total);
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        total += 1;
        if !wanted {
            match count_the_rest {
                true => continue,
                false => return Ok(total),
            }
        }
        if from_ns > 0 && leading_time(&line).is_some_and(|t| t < from_ns) {
            continue;
        }
        let bad = |message: String| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                ReadError {
                    line: number,
                    message,
                },
            )
        };
        let text = std::str::from_utf8(&line).map_err(|e| bad(e.to_string()))?;
        wanted = each(parse_line(text.trim_end()).map_err(bad)?)?;
    }
}

/// A trace that can be read from its start as often as a reader needs:
/// records held in memory, or a file read anew each time, so a reader
/// that needs a second look at a window of a long run (the report's
/// space-time diagram) holds no more of it than that window.
pub trait Replay {
    /// Hands `each` the records in order until it returns false; the rest
    /// of a file is then not read. Records before `from_ns` may be left
    /// out (a file skips their lines unparsed).
    fn replay(&self, from_ns: u64, each: &mut dyn FnMut(&Record) -> bool) -> io::Result<()>;
}

impl Replay for &[Record] {
    fn replay(&self, from_ns: u64, each: &mut dyn FnMut(&Record) -> bool) -> io::Result<()> {
        let first = self.partition_point(|r| r.t < from_ns);
        for record in &self[first..] {
            if !each(record) {
                break;
            }
        }
        Ok(())
    }
}

/// `trace.jsonl` on disk, parsed a line at a time on each replay.
pub struct TraceFile<'a>(pub &'a Path);

impl Replay for TraceFile<'_> {
    fn replay(&self, from_ns: u64, each: &mut dyn FnMut(&Record) -> bool) -> io::Result<()> {
        lines(self.0, false, from_ns, |record| Ok(each(&record))).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{SharedBuffer, Tracer};

    #[test]
    fn reads_back_what_the_tracer_wrote() {
        let buffer = SharedBuffer::default();
        let mut tracer = Tracer::jsonl(Box::new(buffer.clone()));
        tracer
            .line(1_500_000, "send")
            .str("msg", "Store")
            .u64("m", 7)
            .strs("values", ["milk", "eggs"]);
        tracer.finish().unwrap();
        let records = parse(&buffer.text()).unwrap();
        assert_eq!(records.len(), 1);
        let r = &records[0];
        assert_eq!((r.t, r.kind.as_str()), (1_500_000, "send"));
        assert_eq!(r.str("msg"), Some("Store"));
        assert_eq!(r.u64("m"), Some(7));
        assert_eq!(r.strs("values"), ["milk", "eggs"]);
        assert_eq!(r.ms(), 1.5);
        assert_eq!(r.str("absent"), None);
    }

    #[test]
    fn a_bad_line_is_named_by_its_number() {
        let e = parse("{\"t\":1,\"kind\":\"end\"}\n\n{\"kind\":\"end\"}\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("`t`"), "{e}");
    }

    #[test]
    fn a_replay_from_a_time_skips_the_lines_before_it_unparsed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.jsonl");
        let text = "{\"t\":1,\"kind\":\"a\"}\n{\"t\":2,bad\n{\"t\":3,\"kind\":\"b\"}\n{\"t\":4,\"kind\":\"c\"}\nnot json\n";
        std::fs::write(&path, text).unwrap();
        let mut kinds = Vec::new();
        TraceFile(&path)
            .replay(3, &mut |r| {
                kinds.push(r.kind.clone());
                r.t < 4
            })
            .unwrap();
        assert_eq!(
            kinds,
            ["b", "c"],
            "the bad line before 3 and after the stop are not read"
        );
        let e = TraceFile(&path).replay(0, &mut |_| true).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        assert_eq!(leading_time(b"{\"t\":123,\"kind\":\"x\"}"), Some(123));
        assert_eq!(leading_time(b"{\"kind\":\"x\",\"t\":1}"), None);
    }

    #[test]
    fn partition_groups_read_as_lists() {
        let r = parse_line(r#"{"t":0,"kind":"partition","groups":[["n1","n2"],["n3"]]}"#).unwrap();
        assert_eq!(r.groups("groups"), vec![vec!["n1", "n2"], vec!["n3"]]);
    }
}
