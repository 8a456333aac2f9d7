//! Lesson 10, the shopping cart (the distsys-course-hse homework 9 test):
//! Carol's read after the heal and the removal checkers, under each value
//! type and versioning that changes the outcome.

use dynsim::check::{self, Findings};
use dynsim::run;
use dynsim::scenario::{self, Scenario};
use dynsim::trace::Tracer;
use std::path::Path;

const CART: &str = "scenarios/lessons/10-shopping-cart.toml";

/// Carol's read (op 6) and what the checkers found.
fn cart(sets: &[&str]) -> (Vec<String>, Findings, Scenario) {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(CART);
    let s = scenario::load(&path, &sets).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let out = run::run(&s, Tracer::off()).unwrap();
    let found = check::findings(&s, &out);
    let carol = check::returns_verdicts(&s, &out.script_results, &out.names)
        .into_iter()
        .find(|v| v.name == "op[6].returns")
        .expect("carol's read has a verdict");
    let items = carol
        .actual
        .as_array()
        .unwrap_or_else(|| panic!("carol's read failed: {}", carol.actual))
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect();
    (items, found, s)
}

#[test]
fn the_or_set_cart_keeps_four_items_and_nothing_comes_back() {
    let (items, found, _) = cart(&[]);
    assert_eq!(items, ["cheese", "eggs", "milk", "wine"]);
    assert_eq!(found.resurrection_count(), Some(0));
    assert_eq!(found.lost_add_count(), Some(0));
}

#[test]
fn the_union_cart_keeps_six_items_and_resurrects_beer_and_snacks() {
    let (items, found, _) = cart(&["values.type=set"]);
    assert_eq!(
        items,
        ["beer", "cheese", "eggs", "milk", "snacks", "wine"],
        "§4.4: an add is never lost, deleted items resurface"
    );
    assert_eq!(found.resurrection_count(), Some(2));
    let back: Vec<_> = found
        .removals
        .resurrections
        .as_ref()
        .unwrap()
        .examples
        .iter()
        .map(|r| r.removed_by)
        .collect();
    assert_eq!(back.len(), 2);
    assert_eq!(back[0], back[1], "one remove took both");
    assert_eq!(found.lost_add_count(), Some(0));
}

#[test]
fn last_write_wins_loses_one_sides_adds() {
    let (items, found, _) = cart(&["replication.versioning=lww"]);
    assert_eq!(items, ["cheese", "wine"]);
    assert_eq!(found.lost_add_count(), Some(2), "milk and eggs");
    assert_eq!(found.resurrection_count(), Some(0));
}

/// The cart's story as a PN-counter: 2 written everywhere, +1 then +1
/// on one side, -2 then +3 on the other; the heal sums every change once.
#[test]
fn a_counter_counts_every_change_once_and_has_nothing_to_resurrect() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(CART))
        .unwrap()
        .replace("type = \"or-set\"", "type = \"counter\"")
        .replace("add = [\"beer\", \"snacks\"]", "increment = 2")
        .replace("add = [\"milk\"]", "increment = 1")
        .replace("add = [\"eggs\"]", "increment = 1")
        .replace("remove = [\"beer\", \"snacks\"]", "decrement = 2")
        .replace("add = [\"cheese\", \"wine\"]", "increment = 3")
        .replace("returns = [\"beer\", \"snacks\"]", "returns = [\"2\"]")
        .replace(
            "returns = [\"cheese\", \"eggs\", \"milk\", \"wine\"]",
            "returns = [\"5\"]",
        )
        .replace("lost_adds = { max = 0 }\n", "");
    let s = scenario::parse_str("counter-cart.toml", &text, scenario::Format::Toml, &[])
        .unwrap_or_else(|e| panic!("{}", e.render(false)));
    let out = run::run(&s, Tracer::off()).unwrap();
    let found = check::findings(&s, &out);
    let failed: Vec<_> = check::evaluate(&s, &out)
        .into_iter()
        .filter(|v| !v.ok)
        .map(|v| format!("{} got {}", v.name, v.actual))
        .collect();
    assert_eq!(
        failed,
        [
            "resurrections got \"does not apply: nothing is removed (a counter, or opaque values without a delete)\""
        ]
    );
    assert_eq!(found.resurrection_count(), None);
    assert_eq!(found.lost_add_count(), None);
}
