//! Robustness of the scenario front end: a rich, valid scenario (TOML and
//! its JSON twin) is mutated at random, by byte edits, deletions, insertions
//! of structural characters, truncations and swapped value types, and
//! `parse_str` must answer `Ok` or `Err`, never panic.

use dynsim::scenario::{Format, parse_str};
use proptest::prelude::*;
use proptest::sample::Index;

const FULL_TOML: &str = include_str!("../scenarios/examples/full.toml");
const FULL_JSON: &str = include_str!("../scenarios/examples/full.json");

#[derive(Clone, Debug)]
enum Mutation {
    /// Replace one byte.
    Replace(Index, u8),
    /// Delete up to `len` bytes.
    Delete(Index, usize),
    /// Insert a short piece of syntax.
    Insert(Index, &'static str),
    /// Cut the text short.
    Truncate(Index),
    /// Replace the value after the n-th `=` (TOML) or `:` (JSON) with a
    /// value of another type.
    SwapValue(Index, usize),
}

const INSERTS: &[&str] = &[
    "\"", "[", "{", "=", "0", "9", "]", "}", ",", "\n", "-", ".", "'", "[[", "\\",
];

/// Real paths, so overrides also reach the decoder's checks.
const KNOWN_PATHS: &[&str] = &[
    "seed",
    "name",
    "duration",
    "replication.r",
    "replication.n",
    "cluster.nodes",
    "cluster.regions",
    "network.loss",
    "network.latency.p99",
    "network.latency",
    "workload.rate",
    "workload.key_dist",
    "nemesis.heal_by",
    "fault",
    "op.at",
    "expect.availability.min",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Replace(i, b)),
        (any::<Index>(), 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<Index>(), prop::sample::select(INSERTS)).prop_map(|(i, s)| Mutation::Insert(i, s)),
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), 0usize..4).prop_map(|(i, k)| Mutation::SwapValue(i, k)),
    ]
}

/// A value of each type (number, string, array, table) in the text's syntax.
fn replacement(format: Format, kind: usize) -> &'static str {
    match (format, kind) {
        (_, 0) => "42",
        (_, 1) => "\"text\"",
        (_, 2) => "[1, \"a\", [2]]",
        (Format::Toml, _) => "{ x = 1, dist = \"constant\" }",
        (Format::Json, _) => "{\"x\": 1, \"dist\": \"constant\"}",
    }
}

fn apply(text: &mut Vec<u8>, mutation: &Mutation, format: Format) {
    let len = text.len();
    match mutation {
        Mutation::Replace(i, b) if len > 0 => text[i.index(len)] = *b,
        Mutation::Delete(i, n) if len > 0 => {
            let start = i.index(len);
            let end = (start + n).min(len);
            text.drain(start..end);
        }
        Mutation::Insert(i, s) => {
            let at = i.index(len + 1);
            text.splice(at..at, s.bytes());
        }
        Mutation::Truncate(i) => text.truncate(i.index(len + 1)),
        Mutation::SwapValue(i, kind) => {
            let separator = match format {
                Format::Toml => b'=',
                Format::Json => b':',
            };
            let spots: Vec<usize> = (0..len).filter(|&p| text[p] == separator).collect();
            if spots.is_empty() {
                return;
            }
            let start = spots[i.index(spots.len())] + 1;
            // The value runs to the end of the line or the next separator.
            let end = (start..len)
                .find(|&p| matches!(text[p], b'\n' | b',' | b'}'))
                .unwrap_or(len);
            let value = format!(" {}", replacement(format, *kind));
            text.splice(start..end, value.bytes());
        }
        _ => {}
    }
}

fn mutated(base: &str, mutations: &[Mutation], format: Format) -> String {
    let mut bytes = base.as_bytes().to_vec();
    for m in mutations {
        apply(&mut bytes, m, format);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn the_unmutated_files_are_valid() {
    parse_str("full.toml", FULL_TOML, Format::Toml, &[]).unwrap();
    parse_str("full.json", FULL_JSON, Format::Json, &[]).unwrap();
}

/// 500 keeps a debug build quick; `PROPTEST_CASES` asks for a longer hunt.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn mutated_toml_never_panics(mutations in prop::collection::vec(mutation(), 1..5)) {
        let text = mutated(FULL_TOML, &mutations, Format::Toml);
        if let Err(e) = parse_str("full.toml", &text, Format::Toml, &[]) {
            // Rendering must not panic either, whatever the span.
            let _ = e.render(false);
            let _ = e.to_string();
        }
    }

    #[test]
    fn mutated_json_never_panics(mutations in prop::collection::vec(mutation(), 1..5)) {
        let text = mutated(FULL_JSON, &mutations, Format::Json);
        if let Err(e) = parse_str("full.json", &text, Format::Json, &[]) {
            let _ = e.render(false);
            let _ = e.to_string();
        }
    }

    #[test]
    fn arbitrary_overrides_never_panic(
        path in prop_oneof![
            prop::sample::select(KNOWN_PATHS).prop_map(str::to_string),
            "[a-z_.]{0,30}",
        ],
        value in "\\PC{0,12}",
    ) {
        let sets = vec![format!("{path}={value}")];
        if let Err(e) = parse_str("full.toml", FULL_TOML, Format::Toml, &sets) {
            let _ = e.render(false);
        }
    }
}
