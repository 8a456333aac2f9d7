//! The trace exports and the Lamport diagram, checked against their
//! formats on real runs of small scenarios: the Perfetto JSON against the
//! Trace Event format, the ShiViz log against ShiViz's default regular
//! expression and its clock rules, the SVG as XML with the right lanes,
//! arrows and drops; and all three byte-identical for one seed.

use dynsim::report::lamport::{self, MAX_MESSAGES, Window};
use dynsim::run;
use dynsim::time::SimTime;
use dynsim::trace::read::{self, Record};
use dynsim::trace::{SharedBuffer, Tracer, perfetto, shiviz};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const BLIND: &str = "scenarios/dynamo/blind-puts-one-coordinator.toml";
const PARTITION: &str = "scenarios/dynamo/partition-sloppy-quorum.toml";

fn records_of(file: &str, sets: &[&str]) -> Vec<Record> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let scenario = dynsim::scenario::load(&path, &sets).expect("scenario");
    let buffer = SharedBuffer::default();
    let mut world = run::build(&scenario, Tracer::jsonl(Box::new(buffer.clone())));
    run::drive(&scenario, &mut world, SimTime::MAX, |_| {});
    world.finish_trace().unwrap();
    read::parse(&buffer.text()).unwrap()
}

/// The partition scenario, cut short so the test stays quick.
fn partition_records() -> Vec<Record> {
    records_of(PARTITION, &["duration=\"6s\"", "quiesce=\"10s\""])
}

fn str_field<'a>(e: &'a Value, name: &str) -> &'a str {
    e[name]
        .as_str()
        .unwrap_or_else(|| panic!("`{name}` missing or not a string in {e}"))
}

/// Checks a Trace Event JSON document; returns its events.
fn check_trace_events(bytes: &[u8]) -> Vec<Value> {
    let doc: Value = serde_json::from_slice(bytes).expect("Perfetto output is JSON");
    let events = doc["traceEvents"].as_array().expect("traceEvents").clone();
    let mut flows: BTreeMap<u64, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    let mut asyncs: BTreeMap<(String, u64), (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for e in &events {
        str_field(e, "name");
        let ph = str_field(e, "ph");
        assert!(e["pid"].is_u64() && e["tid"].is_u64(), "pid/tid in {e}");
        if ph == "M" {
            assert!(e["args"].is_object(), "metadata args in {e}");
            continue;
        }
        let ts = e["ts"].as_f64().unwrap_or_else(|| panic!("ts in {e}"));
        assert!(ts >= 0.0, "negative ts in {e}");
        match ph {
            "X" => assert!(e["dur"].as_f64().is_some_and(|d| d > 0.0), "dur in {e}"),
            "i" => assert!(matches!(str_field(e, "s"), "g" | "p" | "t"), "scope in {e}"),
            "s" | "f" => {
                str_field(e, "cat");
                let id = e["id"].as_u64().expect("flow id");
                let entry = flows.entry(id).or_default();
                match ph {
                    "s" => entry.0.push(ts),
                    _ => entry.1.push(ts),
                }
            }
            "b" | "e" => {
                let cat = str_field(e, "cat").to_string();
                let id = e["id"].as_u64().expect("async id");
                let entry = asyncs.entry((cat, id)).or_default();
                match ph {
                    "b" => entry.0.push(ts),
                    _ => entry.1.push(ts),
                }
            }
            other => panic!("unexpected phase {other} in {e}"),
        }
    }
    assert!(!flows.is_empty(), "no flows");
    for (id, (starts, ends)) in &flows {
        assert_eq!((starts.len(), ends.len()), (1, 1), "flow {id}");
        assert!(starts[0] <= ends[0], "flow {id} ends before it starts");
    }
    assert!(!asyncs.is_empty(), "no async slices");
    for (id, (begins, ends)) in &asyncs {
        assert_eq!((begins.len(), ends.len()), (1, 1), "async slice {id:?}");
        assert!(
            begins[0] <= ends[0],
            "async slice {id:?} ends before it begins"
        );
    }
    events
}

#[test]
fn perfetto_output_follows_the_trace_event_format() {
    let records = partition_records();
    let events = check_trace_events(&perfetto::export(&records));
    // A process per node and one for the clients.
    let mut processes: Vec<&str> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "process_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    processes.sort();
    assert_eq!(processes, ["clients", "n1", "n2", "n3", "n4", "n5", "n6"]);
    // Every flow starts inside a message slice of its own thread.
    let slices: Vec<(u64, u64, f64, f64)> = events
        .iter()
        .filter(|e| e["ph"] == "X")
        .map(|e| {
            let ts = e["ts"].as_f64().unwrap();
            let (pid, tid) = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
            (pid, tid, ts, ts + e["dur"].as_f64().unwrap())
        })
        .collect();
    for e in events.iter().filter(|e| e["ph"] == "s") {
        let (pid, tid) = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
        let ts = e["ts"].as_f64().unwrap();
        assert!(
            slices
                .iter()
                .any(|&(p, t, a, b)| (p, t) == (pid, tid) && a <= ts && ts <= b),
            "flow start with no slice to bind to: {e}"
        );
    }
    // The partition and its heal are global instants.
    let faults: Vec<&str> = events
        .iter()
        .filter(|e| e["ph"] == "i" && e["cat"] == "fault")
        .map(|e| str_field(e, "name"))
        .collect();
    assert!(
        faults.iter().any(|f| f.starts_with("partition")),
        "{faults:?}"
    );
}

/// Checks a ShiViz log by hand against `(?<event>.*)\n(?<host>\S*) (?<clock>{.*})`
/// and ShiViz's clock rules; returns (event, host, clock) triples.
fn check_shiviz(log: &str) -> Vec<(String, String, BTreeMap<String, u64>)> {
    assert!(log.ends_with('\n'));
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len() % 2, 0, "events come in pairs of lines");
    let mut own: BTreeMap<String, u64> = BTreeMap::new();
    let mut events = Vec::new();
    for pair in lines.chunks(2) {
        let (event, stamp) = (pair[0], pair[1]);
        let (host, clock) = stamp.split_once(' ').expect("host, space, clock");
        assert!(
            !host.is_empty() && !host.chars().any(char::is_whitespace),
            "host `{host}`"
        );
        assert!(clock.starts_with('{') && clock.ends_with('}'), "{stamp}");
        let clock: BTreeMap<String, u64> =
            serde_json::from_str(clock).unwrap_or_else(|e| panic!("{stamp}: {e}"));
        let mine = clock[host];
        let last = own.entry(host.to_string()).or_insert(0);
        assert_eq!(
            mine,
            *last + 1,
            "{host}'s own entry must rise by one: {stamp}"
        );
        *last = mine;
        events.push((event.to_string(), host.to_string(), clock));
    }
    events
}

/// The message id `#m` at the end of a send or receive event.
fn message_id(event: &str) -> Option<u64> {
    event.rsplit_once(" #")?.1.parse().ok()
}

#[test]
fn shiviz_log_parses_and_its_clocks_respect_happens_before() {
    let records = partition_records();
    let events = check_shiviz(&shiviz::export(&records));
    let mut sends: BTreeMap<u64, &BTreeMap<String, u64>> = BTreeMap::new();
    let mut pairs = 0;
    for (event, host, clock) in &events {
        let text = event.split_once(' ').map_or("", |(_, rest)| rest);
        let Some(m) = message_id(event) else { continue };
        if text.starts_with("send ") {
            sends.insert(m, clock);
        } else if text.starts_with("recv ") {
            let sent = sends.get(&m).expect("a receive follows its send");
            for (h, &c) in sent.iter() {
                assert!(
                    clock.get(h).copied().unwrap_or(0) >= c,
                    "#{m}: {sent:?} !<= {clock:?}"
                );
            }
            assert!(clock[host] > sent.get(host).copied().unwrap_or(0));
            pairs += 1;
        }
    }
    assert!(pairs > 100, "only {pairs} send/receive pairs");
    // Drops log only their send: fewer receives than sends.
    let dropped = records.iter().filter(|r| r.kind == "drop").count();
    assert!(dropped > 0);
    assert!(pairs < sends.len());
}

fn svg_doc(svg: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(svg).expect("the SVG is XML")
}

fn count_class(doc: &roxmltree::Document, class: &str) -> usize {
    doc.descendants()
        .filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.split(' ').any(|w| w == class))
        })
        .count()
}

#[test]
fn lamport_svg_has_a_lane_per_node_and_an_arrow_per_message() {
    let records = records_of(BLIND, &[]);
    let window = Window {
        from_ns: 100_000_000,
        until_ns: 105_000_000,
        key: None,
    };
    let svg = lamport::draw(&records, &window);
    let doc = svg_doc(&svg);
    let lanes: Vec<&str> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("lane"))
        .filter_map(|n| n.attribute("data-lane"))
        .collect();
    assert_eq!(lanes, ["alice", "bob", "n1", "n2", "n3"]);
    let sent = records
        .iter()
        .filter(|r| r.kind == "send" && (window.from_ns..=window.until_ns).contains(&r.t))
        .count();
    assert_eq!(sent, 12);
    assert_eq!(count_class(&doc, "message"), sent);
    assert_eq!(count_class(&doc, "arrow"), sent);
    // Both puts at n1 are marked, with their values.
    assert!(svg.contains("put cart=milk") && svg.contains("put cart=eggs"));
}

/// The ids of the messages a window draws: the first [`MAX_MESSAGES`]
/// sent in it.
fn drawn_messages(records: &[Record], window: &Window) -> Vec<u64> {
    records
        .iter()
        .filter(|r| r.kind == "send" && (window.from_ns..=window.until_ns).contains(&r.t))
        .filter_map(|r| r.u64("m"))
        .take(MAX_MESSAGES)
        .collect()
}

#[test]
fn lamport_svg_marks_the_drops_of_a_partition() {
    let records = partition_records();
    let window = Window {
        from_ns: 5_000_000_000,
        until_ns: 5_050_000_000,
        key: None,
    };
    let drawn = drawn_messages(&records, &window);
    let drops = records
        .iter()
        .filter(|r| r.kind == "drop" && r.u64("m").is_some_and(|m| drawn.contains(&m)))
        .count();
    assert!(drops > 0, "the window should hold drops");
    let svg = lamport::draw(&records, &window);
    let doc = svg_doc(&svg);
    assert_eq!(count_class(&doc, "message"), drawn.len());
    assert_eq!(count_class(&doc, "drop"), drops);
    assert!(svg.contains("(partition)"));
    let node_lanes = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("lane"))
        .filter(|n| n.attribute("data-lane").is_some_and(|l| l.starts_with('n')))
        .count();
    assert_eq!(node_lanes, 6);
    // The interesting window is about the partition, and legible.
    let w = lamport::interesting_window(&records);
    assert!(
        w.from_ns <= 5_000_000_000 && 5_000_000_000 <= w.until_ns,
        "{w:?}"
    );
    let doc_svg = lamport::draw(&records, &w);
    assert!(count_class(&svg_doc(&doc_svg), "message") <= MAX_MESSAGES);
    assert!(doc_svg.contains("partition n1 n2 n3 | n4 n5 n6"));
}

#[test]
fn lamport_svg_with_a_key_draws_only_that_keys_messages() {
    let records = records_of(BLIND, &[]);
    let all = Window {
        from_ns: 0,
        until_ns: 3_000_000_000,
        key: None,
    };
    let cart = Window {
        key: Some("cart".into()),
        ..all.clone()
    };
    let keyed = lamport::draw(&records, &cart);
    let n = count_class(&svg_doc(&keyed), "message");
    // Two puts and a get: 12 + 6 messages, and no gossip.
    assert_eq!(n, 18);
    assert!(!keyed.contains("Gossip"));
}

fn dynsim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dynsim"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

#[test]
fn exports_are_written_by_run_and_identical_for_one_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for run in ["a", "b"] {
        let out = tmp.path().join(run);
        let status = dynsim()
            .args(["run", BLIND, "--trace", "perfetto,shiviz", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        assert!(!out.join("trace.jsonl").exists(), "jsonl was not asked for");
        let perfetto = std::fs::read(out.join("trace.perfetto.json")).unwrap();
        let shiviz = std::fs::read_to_string(out.join("shiviz.log")).unwrap();
        check_trace_events(&perfetto);
        check_shiviz(&shiviz);
        outputs.push((perfetto, shiviz));
    }
    assert!(outputs[0] == outputs[1], "two runs of one seed differ");
    // The pure exporters give what the run wrote.
    let records = records_of(BLIND, &[]);
    assert_eq!(perfetto::export(&records), outputs[0].0);
    assert_eq!(shiviz::export(&records), outputs[0].1);
    let w = lamport::interesting_window(&records);
    assert_eq!(
        lamport::draw(&records, &w),
        lamport::draw(&records_of(BLIND, &[]), &w)
    );
}

#[test]
fn dynsim_lamport_writes_an_svg_and_refuses_a_bare_number() {
    let tmp = tempfile::tempdir().unwrap();
    let svg = tmp.path().join("cart.svg");
    let out = dynsim()
        .args([
            "lamport", BLIND, "--key", "cart", "--from", "99ms", "--until", "0.105s", "--out",
        ])
        .arg(&svg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(count_class(&svg_doc(&text), "message"), 12);
    let bad = dynsim()
        .args(["lamport", BLIND, "--from", "12"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unit"));
    // A key the run never touched draws nothing: say so, with the keys.
    let typo = dynsim()
        .args(["lamport", BLIND, "--key", "crat", "--out"])
        .arg(tmp.path().join("crat.svg"))
        .output()
        .unwrap();
    assert!(typo.status.success());
    let note = String::from_utf8_lossy(&typo.stderr);
    assert!(
        note.contains("no event of this run names the key `crat`; it has cart"),
        "{note}"
    );
}

#[test]
fn lamport_svg_draws_each_duplicate_delivery_as_its_own_arrow() {
    let records = records_of(BLIND, &["network.duplicate=0.3"]);
    let window = Window {
        from_ns: 100_000_000,
        until_ns: 105_000_000,
        key: None,
    };
    let drawn = drawn_messages(&records, &window);
    let deliveries = |m: u64| {
        records
            .iter()
            .filter(|r| r.kind == "deliver" && r.u64("m") == Some(m))
            .count()
    };
    let second_copies: usize = drawn.iter().map(|&m| deliveries(m).saturating_sub(1)).sum();
    assert!(second_copies > 0, "the run should duplicate some message");
    let doc_text = lamport::draw(&records, &window);
    let doc = svg_doc(&doc_text);
    assert_eq!(count_class(&doc, "message"), drawn.len());
    assert_eq!(count_class(&doc, "dup"), second_copies);
    assert_eq!(count_class(&doc, "arrow"), drawn.len() + second_copies);
    // The exports hold up with duplicates too: a flow per delivery.
    let events = check_trace_events(&perfetto::export(&records));
    let flows = events.iter().filter(|e| e["ph"] == "f").count();
    let delivered = records.iter().filter(|r| r.kind == "deliver").count();
    assert_eq!(flows, delivered);
    check_shiviz(&shiviz::export(&records));
}

#[test]
fn trace_formats_combine_and_off_stands_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("both");
    let run = dynsim()
        .args(["run", BLIND, "--trace", "jsonl,shiviz", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success());
    assert!(out.join("trace.jsonl").is_file() && out.join("shiviz.log").is_file());
    assert!(!out.join("trace.perfetto.json").exists());
    let bad = dynsim()
        .args(["run", BLIND, "--trace", "off,perfetto", "--out"])
        .arg(tmp.path().join("bad"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("off"));
    assert!(!tmp.path().join("bad").exists());
}

/// The corners of a label's text as drawn: its advance (about 0.55 of the
/// font size a character, a little under DejaVu Sans' average, so only a
/// real overlap counts), from 0.7 of the size above the baseline to 0.2
/// below, turned by its `rotate(a cx cy)`.
fn label_corners(n: roxmltree::Node<'_, '_>) -> [(f64, f64); 4] {
    let num = |a: &str| n.attribute(a).map_or(0.0, |v| v.parse::<f64>().unwrap());
    let size = num("font-size");
    let width = n.text().unwrap_or("").chars().count() as f64 * size * 0.55;
    let (x, baseline) = (num("x"), num("y") + num("dy"));
    let left = match n.attribute("text-anchor") {
        Some("middle") => x - width / 2.0,
        Some("end") => x - width,
        _ => x,
    };
    let (top, bottom) = (baseline - 0.7 * size, baseline + 0.2 * size);
    let corners = [
        (left, top),
        (left + width, top),
        (left + width, bottom),
        (left, bottom),
    ];
    let Some(turn) = n.attribute("transform") else {
        return corners;
    };
    let args: Vec<f64> = turn
        .trim_start_matches("rotate(")
        .trim_end_matches(')')
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    let (angle, cx, cy) = (args[0].to_radians(), args[1], args[2]);
    corners.map(|(px, py)| {
        let (dx, dy) = (px - cx, py - cy);
        (
            cx + dx * angle.cos() - dy * angle.sin(),
            cy + dx * angle.sin() + dy * angle.cos(),
        )
    })
}

/// Whether two convex quadrilaterals share area more than a pixel deep:
/// no edge direction of either separates them.
fn quads_overlap(a: &[(f64, f64); 4], b: &[(f64, f64); 4]) -> bool {
    let edges = |q: [(f64, f64); 4]| {
        (0..4).map(move |i| (q[(i + 1) % 4].0 - q[i].0, q[(i + 1) % 4].1 - q[i].1))
    };
    edges(*a).chain(edges(*b)).all(|(ex, ey)| {
        let len = (ex * ex + ey * ey).sqrt().max(1e-9);
        let axis = (-ey / len, ex / len);
        let shadow = |q: &[(f64, f64); 4]| {
            let d: Vec<f64> = q.iter().map(|p| p.0 * axis.0 + p.1 * axis.1).collect();
            (
                d.iter().copied().fold(f64::MAX, f64::min),
                d.iter().copied().fold(f64::MIN, f64::max),
            )
        };
        let (sa, sb) = (shadow(a), shadow(b));
        sa.1.min(sb.1) - sa.0.max(sb.0) > 1.0
    })
}

#[test]
fn no_two_labels_of_a_lamport_diagram_overlap() {
    let lessons = [
        "scenarios/lessons/09-same-coordinator-conflicts.toml",
        "scenarios/lessons/10-shopping-cart.toml",
        "scenarios/lessons/12-all-the-outcomes.toml",
        BLIND,
    ];
    for file in lessons {
        let records = records_of(file, &[]);
        let svg = lamport::draw(&records, &lamport::interesting_window(&records));
        let doc = svg_doc(&svg);
        let marked = ["message", "drop", "put", "fault"];
        let labels: Vec<(String, [(f64, f64); 4])> = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "text")
            .filter(|n| {
                n.ancestors()
                    .filter_map(|a| a.attribute("class"))
                    .any(|c| marked.contains(&c))
            })
            .map(|n| (n.text().unwrap_or("").to_string(), label_corners(n)))
            .collect();
        assert!(labels.len() >= 5, "{file}: {} labels", labels.len());
        for (i, (text, corners)) in labels.iter().enumerate() {
            for (other, other_corners) in &labels[i + 1..] {
                assert!(
                    !quads_overlap(corners, other_corners),
                    "{file}: {text:?} overlaps {other:?}"
                );
            }
        }
    }
}
