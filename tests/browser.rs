//! `report.html` in a real browser: headless Chromium driven over the
//! DevTools protocol (tests/browser/cdp.rs). The page must load without a
//! console error, show every image, step through a run exactly as its
//! trace says, and never run a script smuggled in through the scenario.
//! Screenshots land in target/screenshots/ for a reviewer.
//!
//! Without chromium these tests say so loudly and pass, unless
//! `DYNSIM_REQUIRE_BROWSER=1` (as in CI), which makes them fail.

#[path = "browser/cdp.rs"]
mod cdp;

use dynsim::trace::read::{Record, read};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn lesson() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/crash-lesson.toml")
}

/// Runs `dynsim run FILE --out DIR/report` and returns the report folder.
fn run(file: &Path, dir: &Path) -> PathBuf {
    let out = dir.join("report");
    let status = Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .arg("run")
        .arg(file)
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.code().is_some_and(|c| c <= 1), "{status}");
    out
}

fn url(path: &Path) -> String {
    format!("file://{}", path.canonicalize().unwrap().display())
}

fn open(browser: &mut cdp::Browser, page: &Path) {
    browser.navigate(&url(page)).unwrap();
    // The viewer unpacks its data after the page loads: wait for it.
    let ready = browser
        .eval(
            "new Promise(done => { const started = performance.now();
                (function poll() {
                    const root = document.getElementById('viewer-root');
                    if (!root) return done('no viewer');
                    if (root.dataset.ready || performance.now() - started > 60000) return done(root.dataset.ready ?? 'timed out');
                    setTimeout(poll, 5);
                })(); })",
        )
        .unwrap();
    assert!(ready == "1" || ready == "no viewer", "{ready}");
}

fn no_errors(browser: &cdp::Browser) {
    assert!(
        browser.errors.is_empty(),
        "page errors: {:#?}",
        browser.errors
    );
}

/// Every `<img>` decoded with a size, every inline SVG drawn with a size.
fn every_picture_shows(browser: &mut cdp::Browser) -> (u64, u64) {
    let check = browser
        .eval(
            "(() => {
                const imgs = Array.from(document.images);
                const badImgs = imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt);
                const svgs = Array.from(document.querySelectorAll('svg'));
                const badSvgs = svgs.filter(s => { const r = s.getBoundingClientRect();
                    return r.width === 0 || r.height === 0 || s.childElementCount === 0; })
                    .map(s => s.getAttribute('aria-label'));
                return {imgs: imgs.length, svgs: svgs.length, badImgs, badSvgs};
            })()",
        )
        .unwrap();
    assert_eq!(check["badImgs"], Value::Array(vec![]), "{check}");
    assert_eq!(check["badSvgs"], Value::Array(vec![]), "{check}");
    (
        check["imgs"].as_u64().unwrap(),
        check["svgs"].as_u64().unwrap(),
    )
}

#[test]
fn a_report_loads_with_every_picture_and_no_error() {
    let Some(mut browser) = cdp::browser_or_skip("a_report_loads_with_every_picture_and_no_error")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let report = run(&lesson(), tmp.path());
    open(&mut browser, &report.join("report.html"));
    let (_, svgs) = every_picture_shows(&mut browser);
    assert!(svgs >= 3, "timeline, ring and viewer drawn: {svgs}");
    let sections = browser
        .eval("Array.from(document.querySelectorAll('section h2')).map(h => h.textContent)")
        .unwrap();
    for heading in [
        "What the scenario did",
        "Expectations",
        "Key figures",
        "The ring",
        "Step through the run",
    ] {
        assert!(
            sections.as_array().unwrap().iter().any(|h| h == heading),
            "{heading} missing from {sections}"
        );
    }
    no_errors(&browser);
    let dir = cdp::screenshot_dir();
    browser
        .screenshot(&dir.join("report-full.png"), true)
        .unwrap();

    // The same page with a chart and a space-time diagram, which arrive as
    // images: they must decode and show.
    let page = tmp.path().join("with-charts.html");
    std::fs::write(&page, page_with_pictures(&lesson())).unwrap();
    open(&mut browser, &page);
    let (imgs, _) = every_picture_shows(&mut browser);
    assert_eq!(imgs, 2, "the chart and the space-time diagram");
    no_errors(&browser);
    browser
        .screenshot(&dir.join("report-with-charts.png"), true)
        .unwrap();
}

/// The lesson's page rendered in-process with one chart and a space-time
/// diagram, as the charts and Lamport modules will supply them.
fn page_with_pictures(file: &Path) -> String {
    use dynsim::report::html::{Page, render};
    let scenario = dynsim::scenario::load(file, &[]).unwrap();
    let output = dynsim::run::run(&scenario, dynsim::trace::Tracer::off()).unwrap();
    let found = dynsim::check::findings(&scenario, &output);
    let verdicts = dynsim::check::judge(&scenario, &output, &found);
    let summary = dynsim::report::Summary::new(&scenario, &output, &found, verdicts, 0);
    let svg = |label: &str| {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"300\"><rect width=\"600\" height=\"300\" fill=\"#eef\"/><polyline points=\"0,300 200,100 400,200 600,20\" stroke=\"#1f5fbf\" stroke-width=\"4\" fill=\"none\"/><text x=\"20\" y=\"40\" font-size=\"28\">{label}</text></svg>"
        )
    };
    let charts = vec![("Latency over time (ms)".to_string(), svg("latency"))];
    let lamport = svg("space-time");
    render(&Page {
        scenario: &scenario,
        summary: &summary,
        charts: &charts,
        lamport_svg: Some(&lamport),
        viewer: None,
    })
}

/// What the trace says a node's state is after record `at`.
fn state_after(records: &[Record], node: &str, at: usize) -> &'static str {
    let mut state = "up";
    for r in &records[..=at] {
        if r.str("node") != Some(node) {
            continue;
        }
        state = match r.kind.as_str() {
            "crash" => "crashed",
            "restart" | "resume" | "join" => "up",
            "pause" => "paused",
            "left" => "left",
            _ => state,
        };
    }
    state
}

fn index_of(records: &[Record], kind: &str) -> usize {
    records.iter().position(|r| r.kind == kind).unwrap()
}

/// What the viewer shows: its record, time, and a node's state and side.
fn shown(browser: &mut cdp::Browser, node: &str) -> (u64, u64, String, String) {
    let v = browser
        .eval(&format!(
            "(() => {{ const r = document.getElementById('viewer-root');
                 const g = document.querySelector('#v-ring [data-node=\"{node}\"]');
                 return [r.dataset.index, r.dataset.time, g.dataset.nodeState, g.dataset.side]; }})()"
        ))
        .unwrap();
    let s = |i: usize| v[i].as_str().unwrap().to_string();
    (s(0).parse().unwrap(), s(1).parse().unwrap(), s(2), s(3))
}

fn slide_to(browser: &mut cdp::Browser, index: usize) {
    browser
        .eval(&format!(
            "(() => {{ const s = document.getElementById('v-slider'); s.value = '{index}';
                 s.dispatchEvent(new Event('input')); }})()"
        ))
        .unwrap();
}

#[test]
fn the_viewer_steps_through_the_run_as_the_trace_says() {
    let Some(mut browser) =
        cdp::browser_or_skip("the_viewer_steps_through_the_run_as_the_trace_says")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let report = run(&lesson(), tmp.path());
    let records = read(&report.join("trace.jsonl")).unwrap();
    open(&mut browser, &report.join("report.html"));
    let dir = cdp::screenshot_dir();

    // The slider onto the crash: n2 is down from that record on.
    let crash = index_of(&records, "crash");
    assert_eq!(records[crash].str("node"), Some("n2"));
    slide_to(&mut browser, crash);
    let (index, time, state, _) = shown(&mut browser, "n2");
    assert_eq!((index, time), (crash as u64, records[crash].t));
    assert_eq!(state, state_after(&records, "n2", crash));
    assert_eq!(state, "crashed");
    browser
        .eval("document.getElementById('viewer').scrollIntoView()")
        .unwrap();
    browser
        .screenshot(&dir.join("viewer-crash.png"), false)
        .unwrap();

    // Left steps back before it, right steps forward again, one record each.
    browser.press("ArrowLeft").unwrap();
    let (index, time, state, _) = shown(&mut browser, "n2");
    assert_eq!((index, time), (crash as u64 - 1, records[crash - 1].t));
    assert_eq!(state, state_after(&records, "n2", crash - 1));
    assert_eq!(state, "up");
    for _ in 0..2 {
        browser.press("ArrowRight").unwrap();
    }
    let (index, time, state, _) = shown(&mut browser, "n2");
    assert_eq!((index, time), (crash as u64 + 1, records[crash + 1].t));
    assert_eq!(state, state_after(&records, "n2", crash + 1));

    // After the restart it is up again.
    let restart = index_of(&records, "restart");
    slide_to(&mut browser, restart);
    assert_eq!(shown(&mut browser, "n2").2, "up");

    // The partition puts n1 and n2 on one side, n3 and n4 on the other;
    // the heal clears the sides.
    let partition = index_of(&records, "partition");
    slide_to(&mut browser, partition);
    let sides: Vec<String> = ["n1", "n2", "n3", "n4"]
        .iter()
        .map(|n| shown(&mut browser, n).3)
        .collect();
    assert_eq!(sides, ["A", "A", "B", "B"]);
    browser.press("ArrowRight").unwrap();
    browser
        .screenshot(&dir.join("viewer-partition.png"), false)
        .unwrap();
    let heal = index_of(&records, "heal");
    slide_to(&mut browser, heal);
    assert_eq!(shown(&mut browser, "n3").3, "");
    let (index, time, _, _) = shown(&mut browser, "n3");
    assert_eq!((index, time), (heal as u64, records[heal].t));

    // Space plays and pauses.
    browser.press(" ").unwrap();
    let playing = browser
        .eval("document.getElementById('viewer-root').dataset.playing")
        .unwrap();
    assert_eq!(playing, "1");
    browser.press(" ").unwrap();
    let playing = browser
        .eval("document.getElementById('viewer-root').dataset.playing")
        .unwrap();
    assert_eq!(playing, "0");

    // Stepping over to the story a class follows skips the message traffic.
    browser
        .eval(
            "(() => { const f = document.getElementById('v-filter'); f.value = 'story';
                 f.dispatchEvent(new Event('change')); })()",
        )
        .unwrap();
    slide_to(&mut browser, crash);
    browser.press("ArrowRight").unwrap();
    // The viewer's list: client operations, coordination, membership,
    // sibling sets and every fault.
    let story = [
        "invoke",
        "complete",
        "coordinate",
        "quorum",
        "stand-in",
        "hint-kept",
        "hint-delivered",
        "read-repair",
        "suspect",
        "member",
        "view",
        "stored",
        "crash",
        "restart",
        "pause",
        "resume",
        "partition",
        "heal",
        "join",
        "leave",
        "left",
        "loss",
        "latency",
        "skew",
    ];
    let next = (crash + 1..records.len())
        .find(|&i| story.contains(&records[i].kind.as_str()))
        .unwrap();
    assert!(next > crash + 1, "the test needs traffic to skip");
    assert_eq!(shown(&mut browser, "n2").0, next as u64);
    no_errors(&browser);
}

/// Every lesson's own report: it loads without an error, and at each
/// crash, restart, pause and partition record the slider shows the time
/// and the node's state the trace says; the arrow keys step one record.
#[test]
fn every_lessons_report_steps_through_its_faults_as_the_trace_says() {
    let Some(mut browser) =
        cdp::browser_or_skip("every_lessons_report_steps_through_its_faults_as_the_trace_says")
    else {
        return;
    };
    let lessons = dynsim::scenario::files_under(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/lessons"),
    )
    .unwrap();
    assert!(lessons.len() >= 9, "{lessons:?}");
    let dir = cdp::screenshot_dir();
    for lesson in lessons {
        let tmp = tempfile::tempdir().unwrap();
        let report = run(&lesson, tmp.path());
        let records = read(&report.join("trace.jsonl")).unwrap();
        open(&mut browser, &report.join("report.html"));
        no_errors(&browser);
        let faults = records
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r.kind.as_str(), "crash" | "restart" | "pause" | "resume"));
        for (at, record) in faults {
            let node = record.str("node").unwrap();
            slide_to(&mut browser, at);
            let (index, time, state, _) = shown(&mut browser, node);
            assert_eq!((index, time), (at as u64, record.t), "{}", lesson.display());
            assert_eq!(
                state,
                state_after(&records, node, at),
                "{} at {at}",
                lesson.display()
            );
        }
        slide_to(&mut browser, 1);
        browser.press("ArrowRight").unwrap();
        assert_eq!(shown(&mut browser, "n1").0, 2, "{}", lesson.display());
        browser.press("ArrowLeft").unwrap();
        assert_eq!(shown(&mut browser, "n1").0, 1, "{}", lesson.display());
        let name = lesson.file_stem().unwrap().to_string_lossy().into_owned();
        browser
            .eval("document.getElementById('viewer').scrollIntoView()")
            .unwrap();
        browser
            .screenshot(&dir.join(format!("lesson-{name}.png")), false)
            .unwrap();
        no_errors(&browser);
    }
}

#[test]
fn a_script_in_the_scenario_renders_as_text() {
    let Some(mut browser) = cdp::browser_or_skip("a_script_in_the_scenario_renders_as_text") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(lesson()).unwrap();
    let injected = text
        .replace(
            "A lesson-sized run",
            "<script>window.__injected = 1</script><img src=x onerror=\"window.__injected = 2\"> A lesson-sized run",
        )
        .replace(
            "put = \"cart\"",
            "put = \"</script><script>window.__injected = 3</script>\"",
        );
    let file = tmp.path().join("injected.toml");
    std::fs::write(&file, injected).unwrap();
    let report = run(&file, tmp.path());
    open(&mut browser, &report.join("report.html"));
    let injected = browser.eval("typeof window.__injected").unwrap();
    assert_eq!(injected, "undefined");
    let description = browser
        .eval("document.querySelector('p.description').textContent")
        .unwrap();
    assert!(
        description
            .as_str()
            .unwrap()
            .contains("<script>window.__injected = 1</script>"),
        "{description}"
    );
    // The key, tags and all, reached the page as data and stayed data.
    let key_in_data = browser
        .eval(
            "JSON.parse(document.getElementById('viewer-data').textContent).keys
                .includes('</script><script>window.__injected = 3</script>')",
        )
        .unwrap();
    assert_eq!(key_in_data, true);
    no_errors(&browser);
}

/// A synthetic trace of `records` records on the lesson's four nodes:
/// messages round the ring (a few dropped), a crash and restart, gossip
/// notes and sibling-set notes, as a long run would hold them.
fn long_trace(records: usize) -> String {
    let mut lines = Vec::with_capacity(records);
    let mut t = 0u64;
    let mut m = 0u64;
    while lines.len() < records {
        t += 100_000;
        let (from, to) = (m % 4 + 1, (m + 1) % 4 + 1);
        let send = format!(
            r#"{{"t":{t},"kind":"send","from":"n{from}","to":"n{to}","msg":"Store","m":{m},"key":"k{}"}}"#,
            m % 50
        );
        lines.push(send);
        let fate = if m % 97 == 0 { "drop" } else { "deliver" };
        lines.push(format!(
            r#"{{"t":{},"kind":"{fate}","from":"n{from}","to":"n{to}","msg":"Store","m":{m},"why":"loss"}}"#,
            t + 50_000
        ));
        if m % 5_000 == 10 {
            lines.push(format!(r#"{{"t":{t},"kind":"crash","node":"n3"}}"#));
            lines.push(format!(
                r#"{{"t":{t},"kind":"member","node":"n1","peer":"n3","status":"down"}}"#
            ));
        }
        if m % 5_000 == 2_000 {
            lines.push(format!(
                r#"{{"t":{t},"kind":"restart","node":"n3","wipe_disk":true}}"#
            ));
            lines.push(format!(
                r#"{{"t":{t},"kind":"member","node":"n1","peer":"n3","status":"alive"}}"#
            ));
        }
        if m % 7 == 0 {
            lines.push(format!(
                r#"{{"t":{t},"kind":"stored","node":"n{to}","key":"k{}","values":["v{m}","v{}"],"clocks":["[n1:{m}]","[n2:1]"]}}"#,
                m % 50,
                m + 1
            ));
        }
        m += 1;
    }
    // Deliveries came out of order with the next sends; a trace is in time order.
    let mut records: Vec<(u64, usize, String)> = lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            (
                serde_json::from_str::<Value>(&l).unwrap()["t"]
                    .as_u64()
                    .unwrap(),
                i,
                l,
            )
        })
        .collect();
    records.sort();
    records
        .into_iter()
        .map(|(_, _, l)| l)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_viewer_stays_responsive_over_a_hundred_thousand_events() {
    let Some(mut browser) =
        cdp::browser_or_skip("the_viewer_stays_responsive_over_a_hundred_thousand_events")
    else {
        return;
    };
    use dynsim::report::html::{Page, render, viewer};
    let records = dynsim::trace::read::parse(&long_trace(120_000)).unwrap();
    let scenario = dynsim::scenario::load(&lesson(), &[]).unwrap();
    let output = dynsim::run::run(&scenario, dynsim::trace::Tracer::off()).unwrap();
    let found = dynsim::check::findings(&scenario, &output);
    let verdicts = dynsim::check::judge(&scenario, &output, &found);
    let summary = dynsim::report::Summary::new(&scenario, &output, &found, verdicts, 0);
    let data = viewer::build(&scenario, &records);
    let html = render(&Page {
        scenario: &scenario,
        summary: &summary,
        charts: &[],
        lamport_svg: None,
        viewer: Some(&data),
    });
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("long.html");
    std::fs::write(&page, &html).unwrap();

    let started = std::time::Instant::now();
    open(&mut browser, &page);
    let load_ms = started.elapsed().as_millis();
    // Seeks spread over the whole run, each a full redraw.
    let timing = browser
        .eval(
            "(() => {
                const s = document.getElementById('v-slider');
                const n = Number(s.max) + 1, times = [];
                for (let i = 0; i < 200; i++) {
                    const at = Math.floor((i * 7919 % 200) / 200 * n);
                    const t0 = performance.now();
                    s.value = String(at); s.dispatchEvent(new Event('input'));
                    times.push(performance.now() - t0);
                }
                times.sort((a, b) => a - b);
                return {n, median: times[100], max: times[199]};
            })()",
        )
        .unwrap();
    eprintln!(
        "{} records, page {} KiB, loaded in {load_ms} ms, seek median {:.1} ms, max {:.1} ms",
        timing["n"],
        html.len() / 1024,
        timing["median"].as_f64().unwrap(),
        timing["max"].as_f64().unwrap()
    );
    assert_eq!(timing["n"].as_u64(), Some(records.len() as u64));
    assert!(timing["max"].as_f64().unwrap() < 100.0, "{timing}");
    assert!(load_ms < 15_000, "{load_ms} ms to load");

    // A key's replicas: each node's latest sibling set so far, unless a
    // restart wiped its disk since. Just after a wipe of n3, which holds
    // the odd keys.
    let at = 1
        + (30_000..records.len())
            .find(|&i| records[i].kind == "restart")
            .expect("a restart past the middle");
    slide_to(&mut browser, at);
    let key = browser
        .eval(
            "(() => { const box = document.getElementById('v-key');
                const k1 = Array.from(box.options).find(o => o.textContent === 'k1');
                box.value = k1.value; box.dispatchEvent(new Event('change'));
                return box.selectedOptions[0].textContent; })()",
        )
        .unwrap();
    let rows = browser
        .eval(
            "Array.from(document.querySelectorAll('#v-siblings tr[data-replica]'))
                .map(tr => tr.dataset.replica + ' ' + tr.cells[1].textContent)",
        )
        .unwrap();
    let mut latest = std::collections::BTreeMap::new();
    let mut wiped = 0;
    for r in &records[..=at] {
        if r.kind == "stored" && r.str("key") == key.as_str() {
            latest.insert(r.str("node").unwrap(), r.strs("values").join(", "));
        } else if r.kind == "restart" && r.bool("wipe_disk") == Some(true) {
            wiped += usize::from(latest.remove(r.str("node").unwrap()).is_some());
        }
    }
    assert!(wiped > 0, "a wipe erased a copy the table would show");
    let expected: Vec<String> = latest.iter().map(|(n, v)| format!("{n} {v}")).collect();
    assert!(!expected.is_empty());
    assert_eq!(rows, serde_json::json!(expected), "key {key}");
    browser
        .eval("document.getElementById('viewer').scrollIntoView()")
        .unwrap();
    browser
        .screenshot(&cdp::screenshot_dir().join("viewer-long-run.png"), false)
        .unwrap();
    no_errors(&browser);
}

/// Seeks spread over the whole run, each a full redraw: `(records,
/// median ms, max ms)`.
fn seek_times(browser: &mut cdp::Browser) -> (u64, f64, f64) {
    let timing = browser
        .eval(
            "(() => {
                const s = document.getElementById('v-slider');
                const n = Number(s.max) + 1, times = [];
                for (let i = 0; i < 200; i++) {
                    const at = Math.floor((i * 7919 % 200) / 200 * n);
                    const t0 = performance.now();
                    s.value = String(at); s.dispatchEvent(new Event('input'));
                    times.push(performance.now() - t0);
                }
                times.sort((a, b) => a - b);
                return {n, median: times[100], max: times[199]};
            })()",
        )
        .unwrap();
    (
        timing["n"].as_u64().unwrap(),
        timing["median"].as_f64().unwrap(),
        timing["max"].as_f64().unwrap(),
    )
}

/// The README's first run stretched past a million events, its report
/// opened whole: prints the page's size, its load time and the seek
/// times (issue 22: a seek under 100 ms). Minutes in a debug build; run
/// `cargo test --release --test browser -- --ignored --nocapture a_million`.
#[test]
#[ignore]
fn a_million_event_run_loads_whole_and_seeks_quickly() {
    let Some(mut browser) =
        cdp::browser_or_skip("a_million_event_run_loads_whole_and_seeks_quickly")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/engine/partition-and-crash.toml");
    let status = Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .arg("run")
        .arg(&scenario)
        .args(["--set", "duration=100s", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.code().is_some_and(|c| c <= 1), "{status}");
    let lines = std::fs::read_to_string(out.join("trace.jsonl"))
        .unwrap()
        .lines()
        .count();
    assert!(lines >= 1_000_000, "{lines} records");
    let page = out.join("report.html");
    let bytes = std::fs::metadata(&page).unwrap().len();
    let started = std::time::Instant::now();
    open(&mut browser, &page);
    let load_ms = started.elapsed().as_millis();
    let (n, median, max) = seek_times(&mut browser);
    eprintln!(
        "{n} records (trace {lines} lines), page {:.1} MiB, loaded in {load_ms} ms, seek median {median:.1} ms, max {max:.1} ms",
        bytes as f64 / (1 << 20) as f64
    );
    assert_eq!(n, lines as u64, "the viewer reaches every record");
    assert!(max < 100.0, "seek max {max} ms");
    // Three faults on from the partition, where it opens, the viewer is
    // well past the 300,000 events it once stopped at.
    let next_fault = "document.getElementById('v-next-fault').click()";
    for _ in 0..3 {
        browser.eval(next_fault).unwrap();
    }
    let index = browser
        .eval("Number(document.getElementById('viewer-root').dataset.index)")
        .unwrap();
    assert!(index.as_u64().unwrap() > 300_000, "{index}");
    browser
        .eval("document.getElementById('viewer').scrollIntoView()")
        .unwrap();
    browser
        .screenshot(&cdp::screenshot_dir().join("viewer-million.png"), false)
        .unwrap();
    no_errors(&browser);
}

/// Not a browser test, but the page the others open: the same scenario
/// and seed write the same bytes, and a run traced off says the viewer
/// needs a trace.
#[test]
fn the_same_run_writes_the_same_report_html() {
    let tmp = tempfile::tempdir().unwrap();
    let first = std::fs::read(run(&lesson(), &tmp.path().join("a")).join("report.html")).unwrap();
    let second = std::fs::read(run(&lesson(), &tmp.path().join("b")).join("report.html")).unwrap();
    assert!(
        first == second,
        "report.html differs between two runs of one seed"
    );
    let out = tmp.path().join("off");
    let status = Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .args(["run", "--trace", "off", "--out"])
        .arg(&out)
        .arg(lesson())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("The step-through viewer needs a trace"));
}
