//! The viewer's data from hand-written traces: message fates, node states
//! and sides, membership differences, sibling-set notes, the window.

use super::*;
use crate::scenario::{Format, parse_str};
use crate::trace::read::parse;

fn scenario(nodes: u32, spares: u32) -> Scenario {
    let text = format!(
        "name = \"v\"\nduration = \"10s\"\n[cluster]\nnodes = {nodes}\nspares = {spares}\n[[op]]\nat = \"1s\"\nclient = \"alice\"\nget = \"cart\"\n"
    );
    parse_str("v.toml", &text, Format::Toml, &[]).unwrap()
}

fn records(lines: &[&str]) -> Vec<Record> {
    parse(&lines.join("\n")).unwrap()
}

#[test]
fn a_send_knows_when_its_message_arrives_or_is_dropped() {
    let r = records(&[
        r#"{"t":1,"kind":"send","from":"n1","to":"n2","msg":"Store","m":7}"#,
        r#"{"t":2,"kind":"send","from":"alice","to":"n1","msg":"Request","m":8,"key":"cart"}"#,
        r#"{"t":3,"kind":"timer","node":"n1","timer":"GossipTick"}"#,
        r#"{"t":4,"kind":"deliver","from":"n1","to":"n2","msg":"Store","m":7}"#,
        r#"{"t":5,"kind":"drop","from":"alice","to":"n1","msg":"Request","m":8,"why":"loss"}"#,
        r#"{"t":6,"kind":"send","from":"n2","to":"n3","msg":"Store","m":9}"#,
    ]);
    let d = build(&scenario(3, 0), &r);
    assert_eq!(
        d.columns.fate,
        [3, -3, 0, 0, 0, 0],
        "the last never arrived"
    );
    assert_eq!(d.columns.dt, [1, 1, 1, 1, 1, 1]);
    assert_eq!(&d.endpoints[..4], ["n1", "n2", "n3", "alice"]);
    assert_eq!(d.beside[3], 0, "alice sits beside n1");
    assert_eq!(d.columns.a[1], 3);
    assert_eq!(d.labels[d.columns.y[4] as usize], "loss");
    assert_eq!(d.keys[d.columns.key[1] as usize], "cart");
}

#[test]
fn node_states_and_partition_sides_follow_the_faults() {
    let r = records(&[
        r#"{"t":1,"kind":"crash","node":"n2"}"#,
        r#"{"t":2,"kind":"partition","how":"groups","groups":[["n1"],["n3"]]}"#,
        r#"{"t":3,"kind":"restart","node":"n2","wipe_disk":false}"#,
        r#"{"t":4,"kind":"pause","node":"n3"}"#,
        r#"{"t":5,"kind":"heal","links":"all"}"#,
        r#"{"t":6,"kind":"join","node":"n5"}"#,
        r#"{"t":7,"kind":"partition","how":"isolate","node":"n4"}"#,
    ]);
    let d = build(&scenario(4, 1), &r);
    let at = |i: usize| {
        let s = d.life.iter().rev().find(|s| s.0 <= i).unwrap();
        (s.1.clone(), s.2.clone())
    };
    use life::{CRASHED, PAUSED, SPARE, UP};
    assert_eq!(d.life[0].1, [UP, UP, UP, UP, SPARE]);
    assert_eq!(at(0).0, [UP, CRASHED, UP, UP, SPARE]);
    // n2 and n4 are in no group: they form a third side together.
    assert_eq!(at(1).1, [1, 3, 2, 3, 3]);
    assert_eq!(at(2).0[1], UP);
    assert_eq!(at(3).0[2], PAUSED);
    assert_eq!(at(4).1, [0; 5]);
    assert_eq!(at(5).0[4], UP);
    assert_eq!(at(6).1, [2, 2, 2, 1, 2]);
}

#[test]
fn views_that_differ_from_the_truth_are_listed_until_they_agree() {
    let r = records(&[
        r#"{"t":1,"kind":"crash","node":"n3"}"#,
        r#"{"t":2,"kind":"member","node":"n1","peer":"n3","status":"down","was":"suspect"}"#,
        r#"{"t":3,"kind":"member","node":"n2","peer":"n3","status":"down","was":"suspect"}"#,
        r#"{"t":4,"kind":"member","node":"n1","peer":"n2","status":"suspect","was":"alive"}"#,
        r#"{"t":5,"kind":"member","node":"n1","peer":"n2","status":"alive","was":"suspect"}"#,
        r#"{"t":6,"kind":"view","node":"n1","members":["n1","n2"]}"#,
    ]);
    let d = build(&scenario(3, 0), &r);
    let texts = |i: usize| -> Vec<String> {
        let v = d.views.iter().rev().find(|v| v.0 <= i).unwrap();
        v.1.iter().map(|(_, t)| t.clone()).collect()
    };
    assert_eq!(
        texts(0),
        [
            "n1 thinks n3 is alive; it is crashed",
            "n2 thinks n3 is alive; it is crashed"
        ]
    );
    assert_eq!(texts(1), ["n2 thinks n3 is alive; it is crashed"]);
    assert!(texts(2).is_empty());
    assert_eq!(texts(3), ["n1 thinks n2 is suspect; it is up"]);
    assert!(texts(4).is_empty());
    assert_eq!(texts(5), ["n1's ring lacks n3"]);
}

#[test]
fn sibling_set_notes_are_kept_and_their_keys_offered() {
    let r = records(&[
        r#"{"t":1,"kind":"stored","node":"n2","key":"k10","values":["v1"],"clocks":["[n1:1]"]}"#,
        r#"{"t":2,"kind":"stored","node":"n3","key":"k2","values":["v1","v2"],"clocks":["[n1:1]","[n3:1]"]}"#,
        r#"{"t":3,"kind":"stored","node":"n1","key":"k2","values":["v2"],"clocks":["[n3:1]"]}"#,
    ]);
    let d = build(&scenario(3, 0), &r);
    assert_eq!(d.stored().len(), 3);
    assert_eq!(d.stored()[1].1, ["v1", "v2"]);
    assert_eq!(d.stored()[1].2, ["[n1:1]", "[n3:1]"]);
    let offered: Vec<&str> = d
        .key_choices
        .iter()
        .map(|&k| d.keys[k as usize].as_str())
        .collect();
    assert_eq!(offered, ["k2", "k10"], "by name, digits by value");
}

#[test]
fn a_wiping_restart_and_a_delivered_hint_erase_what_the_notes_said() {
    let r = records(&[
        r#"{"t":1,"kind":"stored","node":"n2","key":"k1","values":["v1"],"clocks":["[n1:1]"]}"#,
        r#"{"t":2,"kind":"restart","node":"n2","wipe_disk":false}"#,
        r#"{"t":3,"kind":"restart","node":"n2","wipe_disk":true}"#,
        r#"{"t":4,"kind":"hint-delivered","node":"n3","owner":"n1","key":"k1"}"#,
    ]);
    let d = build(&scenario(3, 0), &r);
    let n2 = d.endpoints.iter().position(|e| e == "n2").unwrap() as i32;
    let n3 = d.endpoints.iter().position(|e| e == "n3").unwrap() as i32;
    let k1 = d.keys.iter().position(|k| k == "k1").unwrap() as i32;
    assert_eq!(
        d.erased,
        [(2, n2, -1), (3, n3, k1)],
        "a restart that keeps the disk erases nothing"
    );
}

#[test]
fn a_long_sibling_list_is_cut_and_counted() {
    let values: Vec<String> = (0..MAX_SHOWN_SIBLINGS + 3)
        .map(|i| format!("\"v{i}\""))
        .collect();
    let line = format!(
        r#"{{"t":1,"kind":"stored","node":"n2","key":"k1","values":[{}],"clocks":[]}}"#,
        values.join(",")
    );
    let d = build(&scenario(3, 0), &records(&[&line]));
    let stored = d.stored();
    assert_eq!(stored[0].1.len(), MAX_SHOWN_SIBLINGS);
    assert_eq!(stored[0].3, 3, "the rest are counted");
}

#[test]
fn every_record_and_sentence_of_a_long_trace_is_kept() {
    let line = r#"{"t":1,"kind":"timer","node":"n1","timer":"GossipTick"}"#;
    let crash = r#"{"t":2,"kind":"crash","node":"n2"}"#;
    let mut lines = vec![line; 400_000];
    lines.push(crash);
    let d = build(&scenario(3, 0), &parse(&lines.join("\n")).unwrap());
    assert_eq!(d.records, 400_001);
    assert_eq!(d.columns.dt.len(), 400_001);
    let sentences = d.sentences();
    assert_eq!(
        sentences.last().map(|s| s.0),
        Some(400_000),
        "{sentences:?}"
    );
    assert!(sentences.last().unwrap().1.contains("n2"), "{sentences:?}");
}

#[test]
fn the_data_is_the_same_for_the_same_trace() {
    let r = records(&[
        r#"{"t":1,"kind":"send","from":"n3","to":"n2","msg":"Store","m":1,"key":"b"}"#,
        r#"{"t":2,"kind":"member","node":"n1","peer":"n3","status":"suspect"}"#,
        r#"{"t":3,"kind":"deliver","from":"n3","to":"n2","msg":"Store","m":1,"key":"a"}"#,
    ]);
    let s = scenario(3, 0);
    assert_eq!(build(&s, &r).to_json(), build(&s, &r).to_json());
}
