//! The trace: every event the loop handles, one JSON object a line.
//!
//! Lines are formatted by hand into one reused buffer (no `serde` value per
//! event) and streamed to the sink in large writes, so a long run never
//! holds its trace in memory. With the trace off, [`Tracer::enabled`] is a
//! single branch and callers skip building the event at all.
//!
//! Every line starts with `t` (simulated nanoseconds) and `kind`, then the
//! fields of that kind. The bytes depend only on the scenario and seed: no
//! wall time, no addresses, no hash order.

pub mod export;
pub mod perfetto;
pub mod read;
pub mod shiviz;

use crate::id::{ClientId, Key, Names, NodeId, ValueId};
use std::io::{self, Write};

/// Flush to the sink once the buffer holds this much.
const FLUSH_AT_BYTES: usize = 256 * 1024;

/// Where trace lines go.
pub struct Tracer {
    sink: Option<Box<dyn Write>>,
    buf: Vec<u8>,
    lines: u64,
    error: Option<io::Error>,
    /// Display names of keys, values and clients.
    names: Names,
}

impl Tracer {
    /// Records nothing.
    pub fn off() -> Tracer {
        Tracer {
            sink: None,
            buf: Vec::new(),
            lines: 0,
            error: None,
            names: Names::default(),
        }
    }

    /// Streams JSON lines into `sink` (wrap a file in nothing: the tracer
    /// buffers itself).
    pub fn jsonl(sink: Box<dyn Write>) -> Tracer {
        Tracer {
            sink: Some(sink),
            buf: Vec::with_capacity(FLUSH_AT_BYTES + 4096),
            ..Tracer::off()
        }
    }

    pub fn set_names(&mut self, names: Names) {
        self.names = names;
    }

    pub fn names(&self) -> &Names {
        &self.names
    }

    #[inline]
    pub fn enabled(&self) -> bool {
        self.sink.is_some()
    }

    /// Lines written so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Starts a line; fields are added with the returned builder and the
    /// line ends when it is dropped. Call only when `enabled()`.
    pub fn line(&mut self, t_ns: u64, kind: &str) -> Fields<'_> {
        debug_assert!(self.enabled());
        self.buf.extend_from_slice(b"{\"t\":");
        push_u64(&mut self.buf, t_ns);
        self.buf.extend_from_slice(b",\"kind\":");
        push_str(&mut self.buf, kind);
        Fields { tracer: self }
    }

    fn end_line(&mut self) {
        self.buf.extend_from_slice(b"}\n");
        self.lines += 1;
        if self.buf.len() >= FLUSH_AT_BYTES {
            self.flush_buffer();
        }
    }

    fn flush_buffer(&mut self) {
        if let Some(sink) = self.sink.as_mut() {
            if let Err(e) = sink.write_all(&self.buf) {
                // Keep the first error; the run reports it at the end
                // rather than dying mid-event.
                self.error.get_or_insert(e);
            }
        }
        self.buf.clear();
    }

    /// Writes what is buffered and flushes the sink; returns the first
    /// error met while writing, if any.
    pub fn finish(&mut self) -> io::Result<()> {
        self.flush_buffer();
        if let Some(sink) = self.sink.as_mut() {
            if let Err(e) = sink.flush() {
                self.error.get_or_insert(e);
            }
        }
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// The fields of one trace line, in the order they are added.
pub struct Fields<'a> {
    tracer: &'a mut Tracer,
}

impl Fields<'_> {
    fn field(&mut self, name: &str) -> &mut Vec<u8> {
        let buf = &mut self.tracer.buf;
        push_field(buf, name);
        buf
    }

    pub fn str(&mut self, name: &str, value: &str) -> &mut Self {
        let buf = self.field(name);
        push_str(buf, value);
        self
    }

    pub fn u64(&mut self, name: &str, value: u64) -> &mut Self {
        let buf = self.field(name);
        push_u64(buf, value);
        self
    }

    pub fn i64(&mut self, name: &str, value: i64) -> &mut Self {
        let buf = self.field(name);
        let mut b = itoa::Buffer::new();
        buf.extend_from_slice(b.format(value).as_bytes());
        self
    }

    pub fn f64(&mut self, name: &str, value: f64) -> &mut Self {
        let buf = self.field(name);
        if value.is_finite() {
            let mut b = ryu::Buffer::new();
            buf.extend_from_slice(b.format(value).as_bytes());
        } else {
            buf.extend_from_slice(b"null");
        }
        self
    }

    pub fn bool(&mut self, name: &str, value: bool) -> &mut Self {
        let buf = self.field(name);
        buf.extend_from_slice(if value { b"true" } else { b"false" });
        self
    }

    pub fn node(&mut self, name: &str, node: NodeId) -> &mut Self {
        let buf = self.field(name);
        buf.extend_from_slice(b"\"n");
        push_u64(buf, u64::from(node.0) + 1);
        buf.push(b'"');
        self
    }

    /// A string field whose text comes from the run's display names.
    fn named(
        &mut self,
        name: &str,
        text: impl for<'n> FnOnce(&'n Names) -> std::borrow::Cow<'n, str>,
    ) -> &mut Self {
        let Tracer { buf, names, .. } = &mut *self.tracer;
        push_field(buf, name);
        push_str(buf, &text(names));
        self
    }

    pub fn client(&mut self, name: &str, client: ClientId) -> &mut Self {
        self.named(name, |names| names.client(client))
    }

    pub fn key(&mut self, name: &str, key: Key) -> &mut Self {
        self.named(name, |names| names.key(key))
    }

    pub fn value(&mut self, name: &str, value: ValueId) -> &mut Self {
        self.named(name, |names| names.value(value))
    }

    /// A typed value's content with its elements' names (and an or-set's
    /// dots, named by client), as `"{beer@alice.1, milk@bob.3}"`.
    pub fn content(&mut self, name: &str, content: &crate::value::Content) -> &mut Self {
        self.named(name, |names| {
            content
                .render(&|e| names.element(e).into_owned(), &|a| {
                    names.client(ClientId(a)).into_owned()
                })
                .to_string()
                .into()
        })
    }

    /// A list of values, as `["milk","v17"]`.
    pub fn values(&mut self, name: &str, values: &[ValueId]) -> &mut Self {
        let Fields { tracer } = self;
        let Tracer { buf, names, .. } = &mut **tracer;
        push_field(buf, name);
        buf.push(b'[');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            push_str(buf, &names.value(*v));
        }
        buf.push(b']');
        self
    }

    /// A list of nodes, as `["n1","n2"]`.
    pub fn nodes(&mut self, name: &str, nodes: &[NodeId]) -> &mut Self {
        push_node_list(self.field(name), nodes);
        self
    }

    /// A list of strings.
    pub fn strs<'s>(&mut self, name: &str, items: impl IntoIterator<Item = &'s str>) -> &mut Self {
        let buf = self.field(name);
        buf.push(b'[');
        for (i, s) in items.into_iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            push_str(buf, s);
        }
        buf.push(b']');
        self
    }

    /// Groups of nodes, as `[["n1"],["n2","n3"]]`.
    pub fn groups(&mut self, name: &str, groups: &[Vec<NodeId>]) -> &mut Self {
        let buf = self.field(name);
        buf.push(b'[');
        for (i, g) in groups.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            push_node_list(buf, g);
        }
        buf.push(b']');
        self
    }
}

impl Drop for Fields<'_> {
    fn drop(&mut self) {
        self.tracer.end_line();
    }
}

fn push_field(buf: &mut Vec<u8>, name: &str) {
    buf.push(b',');
    push_str(buf, name);
    buf.push(b':');
}

fn push_node_list(buf: &mut Vec<u8>, nodes: &[NodeId]) {
    buf.push(b'[');
    for (i, n) in nodes.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"\"n");
        push_u64(buf, u64::from(n.0) + 1);
        buf.push(b'"');
    }
    buf.push(b']');
}

fn push_u64(buf: &mut Vec<u8>, v: u64) {
    let mut b = itoa::Buffer::new();
    buf.extend_from_slice(b.format(v).as_bytes());
}

/// A JSON string literal, escaped per RFC 8259.
pub fn push_str(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            0..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                buf.extend_from_slice(b"\\u00");
                buf.push(HEX[(b >> 4) as usize]);
                buf.push(HEX[(b & 0xf) as usize]);
            }
            _ => buf.push(b),
        }
    }
    buf.push(b'"');
}

/// A sink that keeps the bytes, for tests: clone the handle, give one to
/// the tracer and read the other afterwards.
#[derive(Clone, Default)]
pub struct SharedBuffer(pub std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl SharedBuffer {
    pub fn bytes(&self) -> Vec<u8> {
        self.0.borrow().clone()
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_json_with_t_and_kind_first() {
        let buf = SharedBuffer::default();
        let mut tr = Tracer::jsonl(Box::new(buf.clone()));
        tr.set_names(Names {
            clients: vec!["alice".into()],
            ..Names::default()
        });
        tr.line(5, "send")
            .node("from", NodeId(0))
            .client("to", ClientId(0))
            .str("msg", "a\"b\n")
            .groups("groups", &[vec![NodeId(1)], vec![NodeId(2), NodeId(3)]]);
        tr.line(6, "drop").client("to", ClientId(3)).f64("p", 0.5);
        tr.finish().unwrap();
        let text = buf.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("{\"t\":5,\"kind\":\"send\","));
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["msg"], "a\"b\n");
        assert_eq!(v["to"], "alice");
        assert_eq!(v["groups"][1][1], "n4");
        let v: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(v["to"], "c4");
    }

    #[test]
    fn off_records_nothing() {
        let tr = Tracer::off();
        assert!(!tr.enabled());
        assert_eq!(tr.lines(), 0);
    }
}
