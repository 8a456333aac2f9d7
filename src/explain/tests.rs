//! The narrator on hand-made records: each test pins one rule of the
//! design to the sentence that tells it.

use super::*;
use crate::trace::read::parse_line;

fn scenario() -> Scenario {
    let text = "name = \"t\"\nduration = \"1s\"\n[cluster]\nnodes = 3\n";
    crate::scenario::parse_str("t.toml", text, crate::scenario::Format::Toml, &[])
        .expect("valid scenario")
}

fn records(lines: &[&str]) -> Vec<Record> {
    lines
        .iter()
        .map(|l| parse_line(l).expect("record"))
        .collect()
}

fn told(lines: &[&str], filter: &Filter) -> Vec<String> {
    narrate(&records(lines), &scenario(), filter)
        .into_iter()
        .map(|s| format!("{} {}", time(s.t), s.text))
        .collect()
}

const PUT: &[&str] = &[
    r#"{"t":100000000,"kind":"invoke","client":"alice","op":0,"f":"put","key":"cart","value":"milk"}"#,
    r#"{"t":101000000,"kind":"coordinate","node":"n1","op":0,"f":"put","key":"cart","pref":["n1","n3","n2"],"to":["n3","n5"]}"#,
    r#"{"t":101000000,"kind":"stand-in","node":"n1","key":"cart","owner":"n2","at":"n5","why":"gossip declared it down"}"#,
    r#"{"t":101000000,"kind":"stored","node":"n1","key":"cart","values":["milk"],"clocks":["[n1:1]"],"why":"put"}"#,
    r#"{"t":102000000,"kind":"stored","node":"n3","key":"cart","values":["eggs","milk"],"clocks":["[n2:1]","[n1:1]"],"why":"store"}"#,
    r#"{"t":103000000,"kind":"quorum","node":"n1","op":0,"heard":2,"outcome":"ok","acked":["n3"]}"#,
    r#"{"t":104000000,"kind":"complete","client":"alice","op":0,"f":"put","key":"cart","outcome":"ok"}"#,
    r#"{"t":20000000000,"kind":"partition","how":"groups","groups":[["n1","n2"],["n3"]]}"#,
    r#"{"t":31000000000,"kind":"ae-exchange","node":"n5","peer":"n2","range":7,"leaves_differ":3,"leaves":256,"keys":5}"#,
];

#[test]
fn a_put_is_told_by_its_coordination_stand_ins_siblings_and_quorum() {
    let all = told(PUT, &Filter::default());
    let expected = [
        "0s cluster of 3 nodes, N=3 R=2 W=2, versions by vector clocks; sloppy quorum on, read repair on, anti-entropy on",
        "100.0ms alice asks to put milk in cart",
        "101.0ms n1 coordinates put(cart) milk: preference list n1, n3, n2; sends to n3, n5",
        "101.0ms n2 unreachable for put(cart) milk (gossip declared it down); n5 stores it with a hint for n2 (sloppy quorum)",
        "101.0ms n1 versions milk [n1:1]",
        "102.0ms n3 holds two siblings of cart, eggs [n2:1] and milk [n1:1]: concurrent (no clock descends from another), so both are kept",
        "103.0ms W=2 reached (n1, n3); alice answered ok",
        "20s partition: {n1 n2} | {n3}",
        "31s Merkle exchange n2-n5 on range 7: 3 of 256 leaves differ, 5 keys repaired",
    ];
    assert_eq!(all, expected);
}

#[test]
fn filters_keep_their_key_node_and_window_and_the_faults() {
    let by_node = told(
        PUT,
        &Filter {
            node: Some("n3".into()),
            ..Filter::default()
        },
    );
    assert!(
        by_node
            .iter()
            .all(|s| s.contains("n3") || s.contains("cluster"))
    );
    assert!(by_node.iter().any(|s| s.contains("holds two siblings")));
    assert!(!by_node.iter().any(|s| s.contains("Merkle")));

    let other_key = told(
        PUT,
        &Filter {
            key: Some("basket".into()),
            ..Filter::default()
        },
    );
    assert_eq!(
        other_key,
        [
            "0s cluster of 3 nodes, N=3 R=2 W=2, versions by vector clocks; sloppy quorum on, read repair on, anti-entropy on",
            "20s partition: {n1 n2} | {n3}"
        ]
    );

    let window = told(
        PUT,
        &Filter {
            from_ns: 101_000_000,
            until_ns: 102_000_000,
            ..Filter::default()
        },
    );
    assert_eq!(window.len(), 4);
    assert!(window.iter().all(|s| s.starts_with("10")));
}

#[test]
fn a_put_that_replaces_an_older_version_says_so() {
    let lines = [
        r#"{"t":1000000,"kind":"stored","node":"n1","key":"cart","values":["milk"],"clocks":["[n1:1]"],"why":"put"}"#,
        r#"{"t":2000000,"kind":"stored","node":"n1","key":"cart","values":["eggs"],"clocks":["[n1:2]"],"why":"put"}"#,
    ];
    let all = told(&lines, &Filter::default());
    assert_eq!(
        all[2],
        "2.0ms n1 versions eggs [n1:2], replacing milk [n1:1] (its clock descends from that one)"
    );
}

#[test]
fn times_read_as_people_write_them() {
    assert_eq!(time(0), "0s");
    assert_eq!(time(12_040_000), "12.0ms");
    assert_eq!(time(21_350_000), "21.4ms");
    assert_eq!(time(20_000_000_000), "20s");
    assert_eq!(time(1_001_000_000), "1.001s");
    assert_eq!(
        time(999_960_000),
        "1s",
        "rounds up to a second, not 1000.0ms"
    );
    let s = [Sentence {
        t: 12_000_000,
        record: 3,
        text: "n3 coordinates".into(),
    }];
    assert_eq!(render(&s), "t=12.0ms n3 coordinates\n");
}

#[test]
fn a_get_tells_its_first_siblings_and_counts_the_rest() {
    let lines = [
        r#"{"t":1000000,"kind":"complete","client":"bob","op":1,"f":"get","key":"cart","outcome":"ok","values":["v1","v2","v3","v4","v5","v6","v7","v8","v9"]}"#,
        r#"{"t":2000000,"kind":"complete","client":"bob","op":2,"f":"get","key":"cart","outcome":"ok","values":[]}"#,
    ];
    let all = told(&lines, &Filter::default());
    assert_eq!(
        all[1],
        "1.0ms bob's get(cart) returns v1, v2, v3, v4 and 5 more: 9 siblings for the client to reconcile"
    );
    // The replicas a get heard may be behind: nothing says none holds it.
    assert_eq!(
        all[2],
        "2.0ms bob's get(cart) returns nothing: no replica that answered holds cart"
    );
}
