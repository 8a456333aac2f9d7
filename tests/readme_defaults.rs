//! The scenario reference (`docs/scenario.md`) says what the code does:
//! every field the parser accepts has a row there, every row names a field
//! the parser accepts, and every default the reference writes as a value is
//! the code's (setting the field to it changes nothing).

use dynsim::scenario::{Format, accepted_fields, parse_str};

const REFERENCE: &str = include_str!("../docs/scenario.md");

/// A minimal file with the optional sections present, so their defaults
/// apply.
const MINIMAL: &str = "name = \"defaults\"\n[workload]\n[nemesis]\n";
/// `[check]` takes no workload or nemesis: its defaults are read beside
/// an empty one.
const MINIMAL_CHECK: &str = "name = \"defaults\"\n[check]\n";

/// The reference's field rows: `(field, default cell)`, the field without
/// its backticks.
fn rows() -> Vec<(String, String)> {
    REFERENCE
        .lines()
        .filter(|line| line.starts_with("| `"))
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let field = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            // Field rows are dotted paths or top-level names; the
            // distribution table's rows (`constant`, ...) have no default
            // column worth reading and are not fields.
            let is_field = field.contains('.')
                || ["name", "description", "seed", "duration", "quiesce"].contains(&field);
            is_field.then(|| (field.to_string(), cells.get(2).unwrap_or(&"").to_string()))
        })
        .collect()
}

#[test]
fn every_accepted_field_is_documented_and_every_documented_field_is_accepted() {
    let documented: Vec<String> = rows().into_iter().map(|(field, _)| field).collect();
    let accepted = accepted_fields();
    let missing: Vec<&String> = accepted
        .iter()
        .filter(|f| !documented.contains(f))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/scenario.md has no row for {missing:?}"
    );
    let unknown: Vec<&String> = documented
        .iter()
        .filter(|f| !accepted.contains(f))
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/scenario.md documents fields the parser refuses: {unknown:?}"
    );
    assert!(accepted.len() >= 90, "{} fields", accepted.len());
}

#[test]
fn documented_defaults_match_the_code() {
    let mut checked = 0;
    for (field, default) in rows() {
        // A default written as one value, of a field `--set` reaches
        // without an index; "required", "none" and sentences are not
        // values.
        let Some(value) = default
            .strip_prefix('`')
            .and_then(|d| d.strip_suffix('`'))
            .filter(|d| !d.contains('`'))
        else {
            continue;
        };
        if field.contains("[]") {
            continue;
        }
        let set = format!("{field}={value}");
        let minimal = match field.starts_with("check.") {
            true => MINIMAL_CHECK,
            false => MINIMAL,
        };
        let baseline = parse_str("minimal.toml", minimal, Format::Toml, &[]).unwrap();
        let with_default = parse_str(
            "minimal.toml",
            minimal,
            Format::Toml,
            std::slice::from_ref(&set),
        )
        .unwrap_or_else(|e| panic!("documented default `{set}` does not parse: {e}"));
        assert_eq!(
            with_default, baseline,
            "docs/scenario.md says `{set}`, but the code's default differs"
        );
        checked += 1;
    }
    assert!(
        checked >= 45,
        "the reference gives the defaults: {checked} checked"
    );
}
