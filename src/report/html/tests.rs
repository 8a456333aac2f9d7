//! The page: escaping, sections, pictures as images, the viewer without a
//! trace, and the same bytes for the same run.

use super::*;
use crate::scenario::{Format, parse_str};
use crate::trace::read::Record;
use crate::trace::{SharedBuffer, Tracer};

const SMALL: &str = r#"
name = "small"
description = "Alice writes <b>milk</b>; n2 crashes."
seed = 4
duration = "2s"
quiesce = "500ms"
[cluster]
nodes = 4
[network]
latency = { dist = "constant", value = "2ms" }
[[op]]
at = "100ms"
client = "alice"
put = "cart"
value = "milk"
[[fault]]
at = "1s"
crash = "n2"
[[fault]]
at = "1500ms"
restart = "n2"
[expect]
lost_acked_writes = 0
"#;

/// A run of `text` in-process: the scenario, its summary and its trace.
fn run(text: &str) -> (Scenario, Summary, Vec<Record>) {
    let scenario = parse_str("small.toml", text, Format::Toml, &[]).unwrap();
    let buffer = SharedBuffer::default();
    let output = crate::run::run(&scenario, Tracer::jsonl(Box::new(buffer.clone()))).unwrap();
    let found = crate::check::findings(&scenario, &output);
    let verdicts = crate::check::judge(&scenario, &output, &found);
    let summary = Summary::new(&scenario, &output, &found, verdicts, 0);
    let records = crate::trace::read::parse(&buffer.text()).unwrap();
    (scenario, summary, records)
}

fn page_of(scenario: &Scenario, summary: &Summary, records: Option<&[Record]>) -> String {
    let viewer = records.map(|r| viewer::build(scenario, r));
    render(&Page {
        scenario,
        summary,
        charts: &[],
        lamport_svg: None,
        viewer: viewer.as_ref(),
    })
}

#[test]
fn escape_covers_every_special_character() {
    assert_eq!(
        escape(r#"<a href="x" title='y'>&</a>"#),
        "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
    );
}

#[test]
fn base64_matches_the_rfc_vectors() {
    let vectors = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];
    for (plain, encoded) in vectors {
        assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
    }
}

#[test]
fn json_in_a_script_cannot_close_it_and_parses_the_same() {
    let value = serde_json::json!({"key": "</script><!-- & \u{2028}"});
    let safe = json_for_script(&value.to_string());
    assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
    assert!(!safe.contains('\u{2028}'));
    let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
    assert_eq!(back, value);
}

#[test]
fn everything_from_the_scenario_is_escaped() {
    let (mut scenario, summary, records) = run(SMALL);
    // The file format forbids these in a name; the page must not rely on it.
    scenario.name = "<script>alert(1)</script>".to_string();
    scenario.description = "<script>window.x = 1</script> and <img src=x onerror=y>".to_string();
    let html = page_of(&scenario, &summary, Some(&records));
    assert!(!html.contains("<script>alert"), "name unescaped");
    assert!(!html.contains("<script>window"), "description unescaped");
    assert!(!html.contains("<img src=x"), "description unescaped");
    assert!(html.contains("<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"));
    assert!(html.contains("&lt;script&gt;window.x = 1&lt;/script&gt;"));
    // Exactly our own scripts: the data block and the viewer.
    assert_eq!(html.matches("<script").count(), 2);
    assert_eq!(html.matches("</script>").count(), 2);
}

#[test]
fn the_page_has_its_sections_and_every_verdict() {
    let (scenario, summary, records) = run(SMALL);
    let html = page_of(&scenario, &summary, Some(&records));
    for id in ["scenario", "expectations", "figures", "ring", "viewer"] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    assert!(!html.contains("id=\"charts\""), "no charts, no section");
    assert!(!html.contains("id=\"spacetime\""));
    assert!(html.contains("lost acked writes"));
    assert!(html.contains("crash n2") && html.contains("restart n2"));
    // Scripted ops are numbered as their verdicts name them, from 0.
    assert!(html.contains(
        "<li><code>op[0]</code> <span class=\"at\">100ms</span> alice puts milk in cart</li>"
    ));
    assert!(html.contains("Alice writes &lt;b&gt;milk&lt;/b&gt;; n2 crashes."));
    // No network: nothing is fetched from anywhere.
    for fetch in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!html.contains(fetch), "{fetch}");
    }
}

#[test]
fn the_ring_colours_every_node_and_the_shares_add_up() {
    let (scenario, summary, _) = run(SMALL);
    let html = page_of(&scenario, &summary, None);
    for node in 0..4 {
        let colour = node_colour(node);
        assert!(
            html.contains(&format!("stroke=\"{colour}\"")),
            "n{}",
            node + 1
        );
    }
    let shares: f64 = html
        .split("coordinates ")
        .skip(1)
        .filter_map(|s| s.split('%').next()?.parse::<f64>().ok())
        .sum();
    assert!((shares - 100.0).abs() < 0.5, "{shares}");
}

#[test]
fn charts_and_the_space_time_diagram_are_inlined_as_images() {
    let (scenario, summary, _) = run(SMALL);
    let charts = vec![(
        "Latency <p99>".to_string(),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>bad()</script></svg>".to_string(),
    )];
    let html = render(&Page {
        scenario: &scenario,
        summary: &summary,
        charts: &charts,
        lamport_svg: Some("<svg/>"),
        viewer: None,
    });
    assert!(html.contains("<section id=\"charts\">"));
    assert!(html.contains("<figcaption>Latency &lt;p99&gt;</figcaption>"));
    assert!(html.contains(&format!(
        "src=\"data:image/svg+xml;base64,{}\"",
        base64(charts[0].1.as_bytes())
    )));
    assert!(
        !html.contains("bad()"),
        "the chart's script stays inside its image"
    );
    assert!(html.contains("<section id=\"spacetime\">"));
    // The diagram's time axis runs across, as `lamport::draw` lays it out.
    assert!(html.contains("time going right"), "{html}");
    assert!(!html.contains("time downwards"));
}

#[test]
fn without_a_trace_the_viewer_says_it_needs_one() {
    let (scenario, summary, _) = run(SMALL);
    let html = page_of(&scenario, &summary, None);
    assert!(html.contains("needs a trace"));
    assert!(!html.contains("id=\"viewer-data\""));
}

#[test]
fn the_same_run_renders_the_same_bytes() {
    let (scenario, summary, records) = run(SMALL);
    let first = page_of(&scenario, &summary, Some(&records));
    let (scenario, summary, records) = run(SMALL);
    assert_eq!(first, page_of(&scenario, &summary, Some(&records)));
}

#[test]
fn bounds_and_measures_read_as_people_write_them() {
    use serde_json::json;
    assert_eq!(figures::value_text(&json!({"max_ms": 6000.0})), "≤ 6000 ms");
    assert_eq!(figures::value_text(&json!({"min": 0.95})), "≥ 0.95");
    assert_eq!(figures::value_text(&json!(0.974_043_26)), "0.974");
    assert_eq!(figures::value_text(&json!(4000.0)), "4000");
    assert_eq!(
        figures::value_text(&json!("not converged")),
        "not converged"
    );
    assert_eq!(figures::value_text(&json!(null)), "-");
}

#[test]
fn the_page_is_written_from_the_trace_file_and_a_bad_line_is_named() {
    let (scenario, summary, records) = run(SMALL);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.jsonl");
    // The trace as the run wrote it, read back by `write` from the file.
    let mut text = String::new();
    for r in &records {
        let mut fields = r.fields.clone();
        fields.insert("t".into(), r.t.into());
        fields.insert("kind".into(), r.kind.clone().into());
        text.push_str(&serde_json::Value::Object(fields).to_string());
        text.push('\n');
    }
    std::fs::write(&path, &text).unwrap();
    write(dir.path(), &scenario, &summary, &[], true).unwrap();
    let page = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let built = viewer::build(&scenario, &records);
    assert!(
        page.contains(&json_for_script(&built.to_json())),
        "the viewer holds every record"
    );
    let svg = crate::report::lamport::draw(
        &records,
        &crate::report::lamport::chosen_window(&records, &scenario.report),
    );
    assert!(
        page.contains(&base64(svg.as_bytes())),
        "the same space-time diagram"
    );

    std::fs::write(&path, format!("{text}not json\n")).unwrap();
    let e = write(dir.path(), &scenario, &summary, &[], true).unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("line {}", records.len() + 1)),
        "{e}"
    );
}

#[test]
fn a_late_fault_is_labelled_leftwards_so_the_edge_never_cuts_it() {
    let late = format!("{SMALL}\n[[fault]]\nat = \"2.4s\"\npause = \"n3\"\n");
    let (scenario, summary, _) = run(&late);
    let html = page_of(&scenario, &summary, None);
    // `<text text-anchor="A" x="X" y="..">LABEL</text>` and its window's
    // `<rect class="window C" x="X" ..`.
    let label = |text: &str| {
        let end = html.find(&format!(">{text}</text>")).unwrap();
        let start = html[..end].rfind("<text ").unwrap();
        let tag = &html[start..end];
        let attr = |name: &str| {
            let from = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            tag[from..].split('"').next().unwrap().to_string()
        };
        (attr("text-anchor"), attr("x").parse::<f64>().unwrap())
    };
    let window_x = |class: &str| {
        let from = html
            .find(&format!("<rect class=\"window {class}\" x=\""))
            .unwrap();
        let rest = &html[from..];
        let at = rest.find("x=\"").unwrap() + 3;
        rest[at..]
            .split('"')
            .next()
            .unwrap()
            .parse::<f64>()
            .unwrap()
    };
    // The crash from 1 s to its restart is wide enough: its label starts
    // inside its window.
    let (anchor, x) = label("crash n2");
    assert_eq!(anchor, "start");
    assert!(x > window_x("crash"));
    // The pause at 2.4 s is too short for its label, and a label after it
    // would run past the right edge: the label ends just before its window.
    let (anchor, x) = label("pause n3");
    assert_eq!(anchor, "end");
    assert!(x < window_x("pause"));
}

/// Anomalies no expectation bounds are named beside the verdict, so a
/// green "every expectation held" never reads as "nothing went wrong".
#[test]
fn anomalies_no_expectation_bounds_are_named_beside_the_verdict() {
    let (scenario, mut summary, records) = run(SMALL);
    summary.lost_acked_writes = Some(3);
    summary.stale_reads = Some(1);
    let html = page_of(&scenario, &summary, Some(&records));
    // lost_acked_writes has an expectation in SMALL; stale_reads has not.
    assert!(
        html.contains("<span class=\"badge unbounded\">not bounded</span> 1 stale read: no expectation bounds it"),
        "{}",
        &html[..html.find("</header>").unwrap()]
    );
    assert!(!html.contains("3 lost acknowledged writes"));
    summary.stale_reads = Some(0);
    let html = page_of(&scenario, &summary, Some(&records));
    assert!(!html.contains("badge unbounded"));
}

/// The timeline's first bar names what acts in the clients' phase: a
/// scripted lesson has no workload.
#[test]
fn the_timeline_names_the_clients_phase() {
    let (scenario, summary, records) = run(SMALL);
    assert!(scenario.workload.is_none());
    let html = page_of(&scenario, &summary, Some(&records));
    assert!(html.contains(">scripted ops</text>"));
    assert!(!html.contains(">workload</text>"));
}
