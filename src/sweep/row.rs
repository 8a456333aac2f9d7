//! A sweep's row: one run's seed, its `--set` values, the summary's
//! figures and the expectations' verdicts, and how a row is written as a
//! `runs.jsonl` line and a `runs.csv` record, and read back from the line.
//!
//! A line is a flat JSON object whose keys are the CSV's columns, in the
//! same order. Reading a line back gives the same row, so writing it again
//! gives the same bytes: that is what lets `sweep-merge` reproduce an
//! unsharded sweep exactly. The PBS tallies ([`super::pbs`]) come last,
//! after the expectations, as counts: `pbs.gets.0-1ms`,
//! `pbs.consistent.0-1ms`, and so on per bucket. Floats are written shortest-round-trip (ryu, as
//! serde_json does) and read back exactly (serde_json's `float_roundtrip`).

use super::pbs::{self, Tallies};
use crate::check::staleness::Staleness;
use crate::report::Summary;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

/// One value in a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Count(u64),
    Real(f64),
    Flag(bool),
    /// The figure does not exist for this run (no op succeeded, no history
    /// to judge, not converged): `null` in JSON, empty in CSV.
    Missing,
}

impl Cell {
    /// The value as a number for the aggregate: a flag counts 0 or 1.
    pub fn number(&self) -> Option<f64> {
        match *self {
            Cell::Count(n) => Some(n as f64),
            Cell::Real(x) if x.is_finite() => Some(x),
            Cell::Flag(b) => Some(if b { 1.0 } else { 0.0 }),
            Cell::Real(_) | Cell::Missing => None,
        }
    }

    fn json(&self) -> Value {
        match *self {
            Cell::Count(n) => Value::from(n),
            Cell::Real(x) => Value::from(x), // non-finite becomes null
            Cell::Flag(b) => Value::Bool(b),
            Cell::Missing => Value::Null,
        }
    }

    /// Back from JSON: an integer is a count, a number with a point or an
    /// exponent a real (ryu always writes one), as they were written.
    fn from_json(value: &Value) -> Option<Cell> {
        match value {
            Value::Null => Some(Cell::Missing),
            Value::Bool(b) => Some(Cell::Flag(*b)),
            Value::Number(n) => n
                .as_u64()
                .map(Cell::Count)
                .or_else(|| n.is_f64().then(|| n.as_f64().map(Cell::Real)).flatten()),
            _ => None,
        }
    }

    /// The CSV text: the JSON text of the value, empty when missing.
    fn csv(&self) -> String {
        match self {
            Cell::Missing => String::new(),
            Cell::Real(x) if !x.is_finite() => String::new(),
            other => other.json().to_string(),
        }
    }
}

/// The figures of a row, in column order.
pub const FIGURES: [&str; 24] = [
    "get_ok",
    "get_fail",
    "get_timeout",
    "put_ok",
    "put_fail",
    "put_timeout",
    "availability",
    "get_p50_ms",
    "get_p99_ms",
    "put_p50_ms",
    "put_p99_ms",
    "lost_acked_writes",
    "stale_reads",
    "superseded_siblings",
    "p_consistent",
    "max_siblings",
    "converged",
    "after_last_heal_ms",
    "hints_stored",
    "hints_delivered",
    "read_repairs",
    "events",
    "messages_sent",
    "faults_applied",
];

/// One run of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The run's place in the full grid.
    pub index: u64,
    pub seed: u64,
    /// The value of each `--set` key, in the grid's key order.
    pub sets: Vec<String>,
    /// In the order of [`FIGURES`].
    pub figures: Vec<Cell>,
    /// Every expectation held.
    pub ok: bool,
    /// Each expectation's name and verdict, in the order the checker gave.
    pub expect: Vec<(String, bool)>,
    /// The run's counted gets per time-since-commit bucket.
    pub pbs: Tallies,
}

/// Why a `runs.jsonl` line is not a row of the sweep at hand.
pub type RowError = String;

impl Row {
    /// The row of a run from its summary (`summary.json`'s figures) and
    /// its staleness samples (the summary's curve has buckets fitted to the
    /// run, which do not add up across runs).
    pub fn new(index: u64, sets: Vec<String>, s: &Summary, staleness: &Staleness) -> Row {
        let count = |n: Option<u64>| n.map_or(Cell::Missing, Cell::Count);
        let real = |x: Option<f64>| x.map_or(Cell::Missing, Cell::Real);
        let (get, put) = (&s.ops.get, &s.ops.put);
        let answered = get.ok + get.fail + get.timeout + put.ok + put.fail + put.timeout;
        // As the `availability` expectation counts it: ok / (ok + fail + timeout).
        let availability = (answered > 0).then(|| (get.ok + put.ok) as f64 / answered as f64);
        let max_siblings = s.siblings.keys().next_back().map(|&n| n as u64);
        let figures = [
            ("get_ok", Cell::Count(get.ok)),
            ("get_fail", Cell::Count(get.fail)),
            ("get_timeout", Cell::Count(get.timeout)),
            ("put_ok", Cell::Count(put.ok)),
            ("put_fail", Cell::Count(put.fail)),
            ("put_timeout", Cell::Count(put.timeout)),
            ("availability", real(availability)),
            ("get_p50_ms", real(s.latency_ms.get.p50)),
            ("get_p99_ms", real(s.latency_ms.get.p99)),
            ("put_p50_ms", real(s.latency_ms.put.p50)),
            ("put_p99_ms", real(s.latency_ms.put.p99)),
            ("lost_acked_writes", count(s.lost_acked_writes)),
            ("stale_reads", count(s.stale_reads)),
            ("superseded_siblings", count(s.superseded_siblings)),
            ("p_consistent", real(s.staleness.p_consistent)),
            ("max_siblings", count(max_siblings)),
            ("converged", Cell::Flag(s.convergence.converged)),
            ("after_last_heal_ms", real(s.convergence.after_last_heal_ms)),
            ("hints_stored", Cell::Count(s.hints.stored)),
            ("hints_delivered", Cell::Count(s.hints.delivered)),
            ("read_repairs", Cell::Count(s.read_repairs)),
            ("events", Cell::Count(s.events)),
            ("messages_sent", Cell::Count(s.messages.sent)),
            ("faults_applied", Cell::Count(s.faults.applied)),
        ];
        debug_assert!(figures.iter().map(|f| f.0).eq(FIGURES));
        Row {
            index,
            seed: s.seed,
            sets,
            figures: figures.into_iter().map(|(_, cell)| cell).collect(),
            ok: s.ok,
            expect: s
                .expectations
                .iter()
                .map(|v| (v.name.clone(), v.ok))
                .collect(),
            pbs: pbs::tally(staleness),
        }
    }

    /// The PBS tallies as the values of [`pbs::columns`], in order.
    fn pbs_counts(&self) -> impl Iterator<Item = u64> + '_ {
        self.pbs.iter().flat_map(|t| [t.gets, t.consistent])
    }

    /// The row as one `runs.jsonl` line (no newline); `keys` are the
    /// grid's `--set` keys.
    pub fn to_json_line(&self, keys: &[String]) -> String {
        let mut bytes = Vec::new();
        let mut ser = serde_json::Serializer::new(&mut bytes);
        // Writing to a Vec cannot fail, and every key is a string.
        let written = (|| {
            let mut map = ser.serialize_map(None)?;
            map.serialize_entry("index", &self.index)?;
            map.serialize_entry("seed", &self.seed)?;
            for (key, value) in keys.iter().zip(&self.sets) {
                map.serialize_entry(key, value)?;
            }
            for (name, cell) in FIGURES.iter().zip(&self.figures) {
                map.serialize_entry(name, &cell.json())?;
            }
            map.serialize_entry("ok", &self.ok)?;
            for (name, held) in &self.expect {
                map.serialize_entry(&format!("expect.{name}"), held)?;
            }
            for (column, count) in pbs::columns().iter().zip(self.pbs_counts()) {
                map.serialize_entry(column, &count)?;
            }
            map.end()
        })();
        debug_assert!(written.is_ok());
        String::from_utf8(bytes).unwrap_or_default()
    }

    /// Reads a line written by [`Row::to_json_line`] with the same keys.
    pub fn from_json_line(line: &str, keys: &[String]) -> Result<Row, RowError> {
        let mut de = serde_json::Deserializer::from_str(line);
        let OrderedObject(entries) = de
            .deserialize_map(OrderedObjectVisitor)
            .map_err(|e| format!("not a JSON object: {e}"))?;
        de.end().map_err(|e| format!("not one JSON object: {e}"))?;
        let mut entries = entries.into_iter();
        let mut next = |want: &str| match entries.next() {
            Some((key, value)) if key == want => Ok(value),
            Some((key, _)) => Err(format!("found `{key}` where `{want}` belongs")),
            None => Err(format!("`{want}` is missing")),
        };
        let whole = |v: Value, what: &str| {
            v.as_u64()
                .ok_or_else(|| format!("`{what}` is not a whole number"))
        };
        let index = whole(next("index")?, "index")?;
        let seed = whole(next("seed")?, "seed")?;
        let mut sets = Vec::new();
        for key in keys {
            match next(key)? {
                Value::String(s) => sets.push(s),
                _ => return Err(format!("`{key}` is not a string")),
            }
        }
        let mut figures = Vec::new();
        for name in FIGURES {
            let value = next(name)?;
            figures
                .push(Cell::from_json(&value).ok_or_else(|| format!("`{name}` is not a figure"))?);
        }
        let Value::Bool(ok) = next("ok")? else {
            return Err("`ok` is not true or false".to_string());
        };
        let mut expect = Vec::new();
        let mut entries = entries.peekable();
        // The expectations run up to the first PBS column.
        while let Some((key, value)) = entries.next_if(|(key, _)| key.starts_with("expect.")) {
            let Value::Bool(held) = value else {
                return Err(format!("`{key}` is not true or false"));
            };
            expect.push((key["expect.".len()..].to_string(), held));
        }
        let mut counts = Vec::with_capacity(2 * pbs::BUCKETS);
        for column in pbs::columns() {
            match entries.next() {
                Some((key, value)) if key == column => counts.push(whole(value, &column)?),
                Some((key, _)) => return Err(format!("unexpected column `{key}`")),
                None => return Err(format!("`{column}` is missing")),
            }
        }
        if let Some((key, _)) = entries.next() {
            return Err(format!("unexpected column `{key}`"));
        }
        let mut tallies = Tallies::default();
        for (i, (slot, pair)) in tallies.iter_mut().zip(counts.chunks_exact(2)).enumerate() {
            if pair[1] > pair[0] {
                return Err(format!(
                    "`pbs.consistent.{0}` is more than `pbs.gets.{0}`",
                    pbs::label(i)
                ));
            }
            slot.gets = pair[0];
            slot.consistent = pair[1];
        }
        Ok(Row {
            index,
            seed,
            sets,
            figures,
            ok,
            expect,
            pbs: tallies,
        })
    }
}

/// A JSON object's entries in the order written (serde_json's own map
/// sorts its keys).
struct OrderedObject(Vec<(String, Value)>);

struct OrderedObjectVisitor;

impl<'de> Visitor<'de> for OrderedObjectVisitor {
    type Value = OrderedObject;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedObject, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<String, Value>()? {
            entries.push(entry);
        }
        Ok(OrderedObject(entries))
    }
}

/// The expectation names of `rows`, in order of first appearance, so a
/// column exists for every expectation any run had.
pub fn expectation_names(rows: &[Row]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for row in rows {
        for (name, _) in &row.expect {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    names
}

/// `runs.csv`: a header, then a record per row (RFC 4180, `\n` ends).
pub fn csv(keys: &[String], rows: &[Row]) -> String {
    let expectations = expectation_names(rows);
    let mut header: Vec<String> = vec!["index".into(), "seed".into()];
    header.extend(keys.iter().cloned());
    header.extend(FIGURES.iter().map(|f| f.to_string()));
    header.push("ok".into());
    header.extend(expectations.iter().map(|e| format!("expect.{e}")));
    header.extend(pbs::columns());
    let mut out = csv_record(&header);
    for row in rows {
        let mut record = vec![row.index.to_string(), row.seed.to_string()];
        record.extend(row.sets.iter().cloned());
        record.extend(row.figures.iter().map(Cell::csv));
        record.push(row.ok.to_string());
        for name in &expectations {
            let verdict = row.expect.iter().find(|(n, _)| n == name);
            record.push(verdict.map_or(String::new(), |(_, held)| held.to_string()));
        }
        record.extend(row.pbs_counts().map(|n| n.to_string()));
        out.push_str(&csv_record(&record));
    }
    out
}

fn csv_record(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (a
/// quote inside is doubled), or starts or ends with a space a reader might
/// trim.
pub fn csv_field(text: &str) -> String {
    let needs_quotes =
        text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ');
    if needs_quotes {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Row {
        let mut figures = vec![Cell::Count(3); FIGURES.len()];
        figures[6] = Cell::Real(0.1 + 0.2);
        figures[7] = Cell::Real(1.0);
        figures[8] = Cell::Real(1e-7);
        figures[11] = Cell::Missing;
        figures[14] = Cell::Flag(true);
        Row {
            index: 4,
            seed: 9,
            sets: vec!["1".into(), r#"{dist="constant",value="1ms"}"#.into()],
            figures,
            ok: false,
            expect: vec![
                ("stale_reads".into(), true),
                ("op[0].returns".into(), false),
            ],
            pbs: pbs_tallies(),
        }
    }

    fn pbs_tallies() -> Tallies {
        let mut t = Tallies::default();
        t[0] = pbs::Tally {
            gets: 7,
            consistent: 5,
        };
        t[pbs::BUCKETS - 1].gets = 2;
        t
    }

    fn keys() -> Vec<String> {
        vec!["replication.r".into(), "network.latency".into()]
    }

    #[test]
    fn a_json_line_reads_back_to_the_same_row_and_bytes() {
        let line = row().to_json_line(&keys());
        assert!(
            line.starts_with(
                r#"{"index":4,"seed":9,"replication.r":"1","network.latency":"{dist=\"constant\""#
            ),
            "{line}"
        );
        assert!(
            line.contains(
                r#""availability":0.30000000000000004,"get_p50_ms":1.0,"get_p99_ms":1e-7"#
            ),
            "{line}"
        );
        assert!(
            line.contains(r#""ok":false,"expect.stale_reads":true,"expect.op[0].returns":false,"pbs.gets.0-1ms":7,"pbs.consistent.0-1ms":5,"pbs.gets.1-2ms":0,"#),
            "{line}"
        );
        assert!(
            line.ends_with(r#""pbs.gets.1000ms+":2,"pbs.consistent.1000ms+":0}"#),
            "{line}"
        );
        let back = Row::from_json_line(&line, &keys()).unwrap();
        assert_eq!(back, row());
        assert_eq!(back.to_json_line(&keys()), line);
    }

    #[test]
    fn a_foreign_line_is_refused() {
        let line = row().to_json_line(&keys());
        assert!(
            Row::from_json_line(&line, &["replication.w".into(), "network.latency".into()])
                .is_err()
        );
        assert!(Row::from_json_line("[1]", &keys()).is_err());
        assert!(Row::from_json_line(&format!("{line} {{}}"), &keys()).is_err());
        let extra = line.replace(r#""ok":false"#, r#""ok":false,"x":1"#);
        assert!(
            Row::from_json_line(&extra, &keys())
                .unwrap_err()
                .contains("`x`")
        );
        let trailing = format!("{},\"x\":1}}", &line[..line.len() - 1]);
        assert!(
            Row::from_json_line(&trailing, &keys())
                .unwrap_err()
                .contains("`x`")
        );
        let short = line.replace(r#","pbs.consistent.1000ms+":0"#, "");
        assert!(
            Row::from_json_line(&short, &keys())
                .unwrap_err()
                .contains("missing")
        );
        let impossible = line.replace(r#""pbs.consistent.0-1ms":5"#, r#""pbs.consistent.0-1ms":8"#);
        assert!(
            Row::from_json_line(&impossible, &keys())
                .unwrap_err()
                .contains("more than")
        );
    }

    #[test]
    fn csv_quotes_commas_quotes_and_line_breaks() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field(r#"{v="1ms"}"#), r#""{v=""1ms""}""#);
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field(" pad"), "\" pad\"");
        assert_eq!(csv_field(""), "");
    }

    #[test]
    fn csv_has_a_column_per_expectation_any_run_had() {
        let mut other = row();
        other.index = 5;
        other.expect = vec![("availability".into(), true)];
        let text = csv(&keys(), &[row(), other]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("index,seed,replication.r,network.latency,get_ok,"));
        assert!(lines[0].contains(
            ",ok,expect.stale_reads,expect.op[0].returns,expect.availability,pbs.gets.0-1ms,"
        ));
        assert!(lines[0].ends_with(",pbs.consistent.1000ms+"));
        assert!(
            lines[1].starts_with(r#"4,9,1,"{dist=""constant"",value=""1ms""}",3,"#),
            "{}",
            lines[1]
        );
        let tail = ",7,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,0";
        assert!(lines[1].ends_with(&format!(",false,true,false,{tail}")));
        assert!(lines[2].ends_with(&format!(",false,,,true{tail}")));
        assert!(lines[1].contains(",0.30000000000000004,1.0,1e-7,"));
    }
}
