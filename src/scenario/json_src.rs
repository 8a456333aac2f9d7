//! JSON text to the spanned [`tree`](super::tree). serde_json keeps no
//! positions, so this is a small recursive-descent parser (RFC 8259) whose
//! nesting is limited to [`MAX_DEPTH`] so hostile input cannot overflow the
//! stack. Duplicate keys are errors, as they are in TOML.

use super::diag::Diag;
use super::toml_src::MAX_DEPTH;
use super::tree::{Entry, Node, SourceId, Span, Table, Value};

/// Parses a whole JSON document; it must be one value (an object, for a
/// scenario) with nothing but whitespace after it.
pub fn parse_document(source: SourceId, text: &str) -> Result<Node, Diag> {
    let mut parser = Parser {
        source,
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    parser.skip_whitespace();
    let node = parser.value(1)?;
    parser.skip_whitespace();
    if parser.pos < parser.bytes.len() {
        return Err(parser.error_here("unexpected text after the end of the document"));
    }
    Ok(node)
}

struct Parser<'a> {
    source: SourceId,
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error_at(&self, start: usize, end: usize, message: &str) -> Diag {
        Diag::new(
            &Span::new(self.source, start..end),
            "",
            format!("JSON syntax error: {message}"),
        )
    }

    /// An error at the current character (or the end of the text).
    fn error_here(&self, message: &str) -> Diag {
        let len = self.text[self.pos..]
            .chars()
            .next()
            .map_or(0, char::len_utf8);
        self.error_at(self.pos, self.pos + len, message)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_byte(&mut self, byte: u8, what: &str) -> Result<(), Diag> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error_here(&format!("expected {what}")))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, Diag> {
        if depth > MAX_DEPTH {
            return Err(self.error_here(&format!("nested more than {MAX_DEPTH} levels deep")));
        }
        let start = self.pos;
        let value = match self.peek() {
            Some(b'{') => Value::Table(self.object(depth)?),
            Some(b'[') => Value::Array(self.array(depth)?),
            Some(b'"') => Value::String(self.string()?),
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            None => return Err(self.error_here("unexpected end of input, expected a value")),
            Some(_) => return Err(self.error_here("expected a value")),
        };
        Ok(Node {
            span: Span::new(self.source, start..self.pos),
            value,
        })
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, Diag> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error_here(
                "expected a value (true, false, null, a number, a string, an array or an object)",
            ))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Table, Diag> {
        self.expect_byte(b'{', "`{`")?;
        let mut table = Table::default();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(table);
        }
        loop {
            self.skip_whitespace();
            let key_start = self.pos;
            if self.peek() != Some(b'"') {
                return Err(self.error_here("expected a key in double quotes"));
            }
            let key = self.string()?;
            let key_span = Span::new(self.source, key_start..self.pos);
            if table.get(&key).is_some() {
                return Err(self.error_at(key_start, self.pos, &format!("duplicate key `{key}`")));
            }
            self.skip_whitespace();
            self.expect_byte(b':', "`:` after the key")?;
            self.skip_whitespace();
            let value = self.value(depth + 1)?;
            table.entries.push(Entry {
                key,
                key_span,
                value,
            });
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(table);
                }
                _ => return Err(self.error_here("expected `,` or `}`")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Vec<Node>, Diag> {
        self.expect_byte(b'[', "`[`")?;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(items);
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth + 1)?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(items);
                }
                _ => return Err(self.error_here("expected `,` or `]`")),
            }
        }
    }

    fn string(&mut self) -> Result<String, Diag> {
        let open = self.pos;
        self.expect_byte(b'"', "`\"`")?;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // Stops only at ASCII bytes, so both ends are char boundaries.
            out.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    out.push(self.escape()?);
                }
                Some(_) => return Err(self.error_here("control character in a string; escape it")),
                None => {
                    return Err(self.error_at(open, open + 1, "this string is never closed"));
                }
            }
        }
    }

    fn escape(&mut self) -> Result<char, Diag> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                return self.unicode_escape();
            }
            _ => return Err(self.error_here("unknown escape in a string")),
        };
        self.pos += 1;
        Ok(c)
    }

    /// After `\u`: four hex digits, or a surrogate pair written as two.
    fn unicode_escape(&mut self) -> Result<char, Diag> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.bytes[self.pos..].starts_with(b"\\u") {
                return Err(self.error_here("unpaired surrogate in a \\u escape"));
            }
            self.pos += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.error_here("unpaired surrogate in a \\u escape"));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.error_here("invalid \\u escape"))
    }

    fn hex4(&mut self) -> Result<u32, Diag> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error_here("expected four hex digits after \\u"))?;
        let code = u32::from_str_radix(digits, 16)
            .map_err(|_| self.error_here("expected four hex digits after \\u"))?;
        self.pos += 4;
        Ok(code)
    }

    fn number(&mut self) -> Result<Value, Diag> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error_here("expected a digit")),
        }
        let mut is_float = false;
        if self.peek() == Some(b'.') {
            is_float = true;
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error_here("expected a digit after `.`"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            is_float = true;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error_here("expected a digit in the exponent"));
            }
            self.digits();
        }
        let text = &self.text[start..self.pos];
        if is_float {
            match text.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Value::Float(x)),
                _ => Err(self.error_at(start, self.pos, "number out of range")),
            }
        } else {
            text.parse::<i64>()
                .map(Value::Integer)
                .map_err(|_| self.error_at(start, self.pos, "integer out of range"))
        }
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Node, Diag> {
        parse_document(0, text)
    }

    #[test]
    fn values_keep_their_spans_and_key_order() {
        let text = r#"{"b": [1, 2.5, "x\u00e9\ud83d\ude00"], "a": {"t": true, "n": null}}"#;
        let node = parse(text).unwrap();
        let Value::Table(table) = &node.value else {
            panic!()
        };
        let keys: Vec<_> = table.entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["b", "a"]);
        let b = &table.entries[0];
        assert_eq!(&text[b.key_span.range.clone()], "\"b\"");
        let Value::Array(items) = &b.value.value else {
            panic!()
        };
        assert_eq!(&text[items[1].span.range.clone()], "2.5");
        assert!(matches!(&items[2].value, Value::String(s) if s == "xé😀"));
    }

    #[test]
    fn errors_point_at_the_problem() {
        let at = |text: &str| parse(text).unwrap_err().span.range.start;
        assert_eq!(at(r#"{"a": 1,}"#), 8);
        assert_eq!(at(r#"{"a": 1 "b": 2}"#), 8);
        assert_eq!(at(r#"{"a": tru}"#), 6);
        assert_eq!(at(r#"{"a": "x"#), 6);
        assert_eq!(at(r#"{"a": 1, "a": 2}"#), 9);
        assert_eq!(at(r#"{"a": 01}"#), 7);
        assert_eq!(at(r#"{"a": 99999999999999999999}"#), 6);
        assert_eq!(at(r#"{} x"#), 3);
        assert_eq!(at(""), 0);
        let deep = "[".repeat(10_000);
        assert!(parse(&deep).unwrap_err().message.contains("nested"));
    }
}
