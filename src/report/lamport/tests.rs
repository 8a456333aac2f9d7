//! The Lamport diagram's scene and window choice, on small hand-written
//! traces: each message once with its fate, the key filter, version clocks
//! from `stored` notes, the interesting window and the cut-down axis.

use super::*;
use crate::time::SimTime;
use crate::trace::read::parse;

const TRACE: &str = r#"{"t":0,"kind":"invoke","client":"alice","op":0,"f":"put","key":"cart","value":"milk"}
{"t":0,"kind":"send","from":"alice","to":"n1","msg":"Request","m":0,"op":0,"f":"put","key":"cart","value":"milk"}
{"t":1000000,"kind":"deliver","from":"alice","to":"n1","msg":"Request","m":0,"op":0,"f":"put","key":"cart","value":"milk"}
{"t":1000000,"kind":"send","from":"n1","to":"n2","msg":"Store","m":1,"req":0,"key":"cart","values":["milk"]}
{"t":1000000,"kind":"send","from":"n1","to":"n3","msg":"Store","m":2,"req":0,"key":"cart","values":["milk"]}
{"t":1000000,"kind":"duplicate","from":"n1","to":"n3","msg":"Store","m":2}
{"t":1000000,"kind":"drop","from":"n1","to":"n2","msg":"Store","m":1,"why":"loss"}
{"t":1000000,"kind":"coordinate","node":"n1","op":0,"f":"put","key":"cart","pref":["n1","n2","n3"],"to":["n2","n3"]}
{"t":2000000,"kind":"deliver","from":"n1","to":"n3","msg":"Store","m":2,"req":0,"key":"cart","values":["milk"]}
{"t":2000000,"kind":"send","from":"n3","to":"n1","msg":"StoreAck","m":3,"req":0}
{"t":2500000,"kind":"deliver","from":"n1","to":"n3","msg":"Store","m":2,"req":0,"key":"cart","values":["milk"]}
{"t":3000000,"kind":"deliver","from":"n3","to":"n1","msg":"StoreAck","m":4,"req":0}
{"t":3000000,"kind":"send","from":"n2","to":"n3","msg":"GossipSyn","m":5,"bytes":10}
{"t":4000000,"kind":"crash","node":"n2"}
"#;

fn scene_of(records: &[Record], window: &Window) -> Scene {
    scene(&records, &Survey::of(records), window).unwrap()
}

fn window(key: Option<&str>) -> Window {
    Window {
        from_ns: 0,
        until_ns: 4_000_000,
        key: key.map(str::to_string),
    }
}

#[test]
fn a_scene_holds_each_message_once_with_its_fate() {
    let records = parse(TRACE).unwrap();
    let s = scene_of(&records, &window(None));
    assert_eq!(s.lanes, ["alice", "n1", "n2", "n3"]);
    assert_eq!(s.messages.len(), 5);
    let store_n3 = s.messages.iter().find(|m| m.m == 2).unwrap();
    assert_eq!(store_n3.delivered, [2_000_000, 2_500_000]);
    let store_n2 = s.messages.iter().find(|m| m.m == 1).unwrap();
    assert_eq!(store_n2.dropped, Some((1_000_000, "loss".to_string())));
    assert_eq!(s.faults.len(), 1);
    assert_eq!(s.puts[0].text, "put cart=milk");
}

#[test]
fn a_key_window_keeps_only_that_keys_messages() {
    let records = parse(TRACE).unwrap();
    let s = scene_of(&records, &window(Some("cart")));
    // The StoreAck is about cart through its request; gossip is not.
    let ms: Vec<u64> = s.messages.iter().map(|m| m.m).collect();
    assert_eq!(ms, [0, 1, 2, 3]);
}

#[test]
fn stored_notes_replace_put_labels_with_version_clocks() {
    let mut trace = TRACE.to_string();
    trace.push_str(r#"{"t":1000000,"kind":"stored","node":"n1","key":"cart","values":["milk"],"clocks":["[n1:1]"]}"#);
    let records = parse(&trace).unwrap();
    let s = scene_of(&records, &window(None));
    assert_eq!(s.puts.len(), 1);
    assert_eq!(s.puts[0].text, "cart: milk [n1:1]");
}

#[test]
fn the_interesting_window_starts_at_the_first_fault_and_stops_at_a_quiet_gap() {
    let mut lines =
        vec![r#"{"t":0,"kind":"send","from":"n1","to":"n2","msg":"X","m":0}"#.to_string()];
    lines.push(r#"{"t":100000000,"kind":"crash","node":"n2"}"#.to_string());
    for i in 0..12u64 {
        let t = 100_000_000 + i * 1_000_000;
        lines.push(format!(
            r#"{{"t":{t},"kind":"send","from":"n1","to":"n3","msg":"X","m":{}}}"#,
            i + 1
        ));
    }
    lines.push(
        r#"{"t":900000000,"kind":"send","from":"n1","to":"n3","msg":"X","m":99}"#.to_string(),
    );
    let records = parse(&lines.join("\n")).unwrap();
    let w = interesting_window(&records);
    assert_eq!(w.from_ns, 100_000_000);
    assert_eq!(w.until_ns, 111_000_000);
}

#[test]
fn the_interesting_window_caps_the_messages() {
    let lines: Vec<String> = (0..200u64)
        .map(|i| {
            format!(
                r#"{{"t":{},"kind":"send","from":"n1","to":"n2","msg":"X","m":{i}}}"#,
                i * 1000
            )
        })
        .collect();
    let records = parse(&lines.join("\n")).unwrap();
    let w = interesting_window(&records);
    let inside = records
        .iter()
        .filter(|r| r.t >= w.from_ns && r.t <= w.until_ns)
        .count();
    assert_eq!(inside, MAX_MESSAGES);
}

#[test]
fn quiet_gaps_are_cut_down_on_the_axis() {
    let axis = layout::Axis::new(vec![0, 1_000, 2_000, 3_000, 1_000_000_000], None);
    assert!(axis.broken[3], "{:?}", axis.broken);
    assert!(!axis.broken[0]);
    // Evenly spaced times stay to scale.
    let even = layout::Axis::new((0..10).map(|i| i * 1000).collect(), None);
    assert!(even.broken.iter().all(|b| !b));
    // Gaps longer than a few latencies are cut whatever the others.
    let cut = layout::Axis::new(vec![0, 1_000, 50_000, 51_000, 100_000], Some(4_000));
    assert_eq!(cut.broken, [false, true, false, true]);
    assert!(even.broken.iter().all(|b| !b));
}

#[test]
fn long_sibling_lists_are_cut_on_arrows() {
    assert_eq!(value_list(&["a", "b", "c"]), "[a,b,c]");
    assert_eq!(value_list(&["a", "b", "c", "d", "e"]), "[d,e +3]");
}

#[test]
fn an_empty_trace_draws_an_empty_picture_that_still_parses() {
    for records in [Vec::new(), parse(TRACE).unwrap()] {
        for window in [
            interesting_window(&records),
            Window {
                from_ns: 9_000_000_000,
                until_ns: 9_000_000_000,
                key: Some("none".into()),
            },
        ] {
            let svg = draw(&records, &window);
            roxmltree::Document::parse(&svg).unwrap();
        }
    }
    let bytes = crate::trace::perfetto::export(&[]);
    serde_json::from_slice::<serde_json::Value>(&bytes).unwrap();
    assert_eq!(crate::trace::shiviz::export(&[]), "");
}

#[test]
fn names_from_the_scenario_are_escaped() {
    let trace = TRACE.replace("alice", r#"<script>&\"'"#);
    let records = parse(&trace).unwrap();
    let svg = draw(&records, &window(None));
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert!(!svg.contains("<script>"));
    assert!(doc.descendants().any(|n| n.text() == Some("<script>&\"'")));
}

#[test]
fn an_until_before_the_first_fault_draws_what_led_up_to_it() {
    let trace = r#"{"t":0,"kind":"send","from":"n1","to":"n2","msg":"Store","m":0,"req":0,"key":"cart"}
{"t":1000000,"kind":"deliver","from":"n1","to":"n2","msg":"Store","m":0,"req":0,"key":"cart"}
{"t":100000000,"kind":"crash","node":"n2"}"#;
    let records = parse(trace).unwrap();
    let w = window_for(&records, None, None, Some(50_000_000));
    assert_eq!((w.from_ns, w.until_ns), (0, 50_000_000));
    assert_eq!(scene_of(&records, &w).messages.len(), 1);
}

/// Without a fault the window goes to the first puts to one key in flight
/// together (what versioning lessons teach), not to the first request;
/// a scenario's `[report]` choices override either.
#[test]
fn without_a_fault_the_window_goes_to_the_first_concurrent_puts() {
    let mut lines = Vec::new();
    let mut m = 0;
    let mut put = |t: u64, client: &str, op: u64, key: &str, lines: &mut Vec<String>| {
        lines.push(format!(
            r#"{{"t":{t},"kind":"invoke","client":"{client}","op":{op},"f":"put","key":"{key}"}}"#
        ));
        for i in 0..3u64 {
            lines.push(format!(
                r#"{{"t":{},"kind":"send","from":"n1","to":"n2","msg":"Store","m":{m},"key":"{key}"}}"#,
                t + i * 1_000_000
            ));
            m += 1;
        }
    };
    let complete = |t: u64, client: &str, op: u64| {
        format!(r#"{{"t":{t},"kind":"complete","client":"{client}","op":{op},"outcome":"ok"}}"#)
    };
    // One put, then two on other keys at once, then two on cart at once.
    put(100_000_000, "alice", 0, "cart", &mut lines);
    lines.push(complete(104_000_000, "alice", 0));
    put(1_000_000_000, "alice", 1, "cart", &mut lines);
    put(1_000_000_000, "bob", 2, "box", &mut lines);
    lines.push(complete(1_004_000_000, "alice", 1));
    lines.push(complete(1_004_000_000, "bob", 2));
    put(2_000_000_000, "alice", 3, "cart", &mut lines);
    put(2_000_500_000, "bob", 4, "cart", &mut lines);
    lines.push(complete(2_004_000_000, "alice", 3));
    lines.push(complete(2_004_000_000, "bob", 4));
    let records = parse(&lines.join("\n")).unwrap();
    let w = interesting_window(&records);
    assert_eq!(w.from_ns, 2_000_000_000, "{w:?}");

    let mut settings = crate::scenario::ReportSettings {
        spacetime_from: Some(SimTime::from_millis(1000)),
        spacetime_until: Some(SimTime::from_millis(1003)),
        spacetime_key: None,
    };
    let w = chosen_window(&records, &settings);
    assert_eq!((w.from_ns, w.until_ns), (1_000_000_000, 1_003_000_000));
    settings = crate::scenario::ReportSettings::default();
    assert_eq!(chosen_window(&records, &settings).from_ns, 2_000_000_000);
}

/// Many quiet gaps side by side keep their cut marks, but their lengths
/// are written only where they do not run into each other.
#[test]
fn gap_lengths_never_run_together() {
    let mut lines = Vec::new();
    let mut t = 0u64;
    for m in 0..40u64 {
        // A message, then a long quiet gap: each gap is cut.
        lines.push(format!(
            r#"{{"t":{t},"kind":"send","from":"n1","to":"n2","msg":"X","m":{m}}}"#
        ));
        lines.push(format!(
            r#"{{"t":{},"kind":"deliver","from":"n1","to":"n2","msg":"X","m":{m}}}"#,
            t + 1_000_000
        ));
        t += 1_000_000 + 1_777_000_000 * (m % 3 + 1);
    }
    let records = parse(&lines.join("\n")).unwrap();
    let window = Window {
        from_ns: 0,
        until_ns: t,
        key: None,
    };
    let svg = draw(&records, &window);
    let mut labels: Vec<(f64, usize)> = Vec::new();
    for piece in svg.split("<text ").skip(1) {
        if !piece.contains("fill=\"#777\">+") {
            continue;
        }
        let x: f64 = piece["x=\"".len()..]
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let text = piece.split('>').nth(1).unwrap().split('<').next().unwrap();
        labels.push((x, text.chars().count()));
    }
    assert!(labels.len() >= 2, "{labels:?}");
    for pair in labels.windows(2) {
        let ((xa, na), (xb, nb)) = (pair[0], pair[1]);
        assert!(
            xb - xa >= (na + nb) as f64 * 4.0,
            "gap lengths overlap: {pair:?}"
        );
    }
    assert!(
        svg.matches("l6,-10").count() > labels.len() * 2,
        "every cut keeps its mark"
    );
}

#[test]
fn turned_label_boxes_overlap_only_where_they_meet() {
    use super::layout::LabelBox;
    let level = LabelBox::level(0.0, 0.0, 100.0, 20.0);
    let s = std::f64::consts::FRAC_1_SQRT_2;
    let turned = |centre| LabelBox {
        centre,
        half_length: 50.0,
        half_height: 10.0,
        direction: (s, s),
    };
    assert!(level.overlaps(&turned((50.0, 10.0))), "through its middle");
    // Level boxes' corners are within reach, but a box turned 45 degrees
    // beyond the level one's corner misses it.
    assert!(!level.overlaps(&turned((140.0, 60.0))));
    assert!(
        !level.overlaps(&LabelBox::level(100.0, 0.0, 150.0, 20.0)),
        "touching"
    );
}

#[test]
fn arrow_labels_step_along_their_arrow_then_across_it_and_give_up() {
    use super::layout::Labels;
    let mut labels = Labels::default();
    let (from, to) = ((200.0, 100.0), (800.0, 100.0));
    let first = labels.place_along(from, to, 10, 14.0).unwrap();
    assert_eq!(first.anchor, (392.0, 100.0), "a third of the way along");
    assert!(first.baseline < 0.0, "above the line");
    let second = labels.place_along(from, to, 10, 14.0).unwrap();
    assert_eq!(
        second.anchor,
        (608.0, 100.0),
        "the same path: two thirds along"
    );
    for _ in 0..3 {
        labels.place_along(from, to, 10, 14.0).unwrap();
    }
    let below = labels.place_along(from, to, 10, 14.0).unwrap();
    assert!(below.baseline > 0.0, "every place above is taken");
    let long = labels.place_along(from, to, 200, 14.0);
    assert_eq!(long, None, "longer than the arrow");
}
