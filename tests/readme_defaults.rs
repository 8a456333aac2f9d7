//! The README's table of defaults says what the code does: setting each
//! field to the value the table gives changes nothing.

use dynsim::scenario::{Format, parse_str};

/// A minimal file with a workload section, so workload defaults apply.
const MINIMAL: &str = "name = \"defaults\"\n[workload]\n";

#[test]
fn readme_defaults_match_the_code() {
    let readme = include_str!("../README.md");
    let table = readme
        .split("<!-- defaults -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- /defaults -->").next())
        .expect("the README has a defaults table");
    let baseline = parse_str("minimal.toml", MINIMAL, Format::Toml, &[]).unwrap();
    let mut rows = 0;
    for line in table.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let field = cells[1].trim_matches('`');
        let value = cells[2].trim_matches('`');
        let set = format!("{field}={value}");
        let with_default = parse_str(
            "minimal.toml",
            MINIMAL,
            Format::Toml,
            std::slice::from_ref(&set),
        )
        .unwrap_or_else(|e| panic!("README default `{set}` does not parse: {e}"));
        assert_eq!(
            with_default, baseline,
            "README says `{set}`, but the code's default differs"
        );
        rows += 1;
    }
    assert!(rows >= 35, "the table lists the defaults: {rows} rows");
}
