//! `report.html`: one self-contained page that shows a class what a run did
//! (issue 7) and lets a teacher step through it (issue 8).
//!
//! The page needs no network: its stylesheet and script are compiled in
//! (`include_str!`), charts and the space-time diagram are `data:` images,
//! the ring and the fault timeline are inline SVG drawn here, and the
//! step-through viewer's data is a compact JSON block the script reads.
//!
//! Everything that comes from the scenario file or the trace (names,
//! descriptions, keys, values) is escaped on the way in: into HTML text by
//! [`escape`], into the JSON block by [`json_for_script`], and the script
//! only ever writes it as text. Charts arrive as SVG documents and go into
//! `<img>` elements, where no script they might hold can run.
//!
//! Rendering is a pure function of its inputs, with no clock and no hash
//! order, so the same run writes the same bytes.

mod figures;
mod ring;
mod scenario;
pub mod viewer;

use crate::report::Summary;
use crate::report::charts::Chart;
use crate::report::lamport;
use crate::scenario::Scenario;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("viewer.js");
/// How to read the space-time diagram, as `report::lamport` draws it.
const SPACE_TIME_HINT: &str = "<p class=\"hint\">A lane per node and per client that talks in the window, time going right; arrows are messages from send to delivery, red crosses the dropped ones.</p>\n";

/// What the page is made of. Charts, the space-time diagram and the
/// viewer's data come from other parts of `report`; each may be empty,
/// and its section is then left out.
pub struct Page<'a> {
    pub scenario: &'a Scenario,
    pub summary: &'a Summary,
    /// `(title, svg document)`, in the order they are shown.
    pub charts: &'a [(String, String)],
    /// The space-time diagram of the most interesting window, as SVG.
    pub lamport_svg: Option<&'a str>,
    /// The step-through viewer's data, built from the whole trace; `None`
    /// when the run was traced off.
    pub viewer: Option<&'a viewer::ViewerData>,
}

/// Writes `report.html` into a report folder, reading back the
/// `trace.jsonl` just written there when the run was traced.
///
/// The trace is streamed, never held: one pass builds the viewer's data
/// (with `explain`'s sentences) and surveys the run for the space-time
/// diagram, whose window is then read again, and only that far.
pub fn write(
    dir: &Path,
    scenario: &Scenario,
    summary: &Summary,
    charts: &[Chart],
    traced: bool,
) -> io::Result<()> {
    let trace = dir.join("trace.jsonl");
    let (viewer, lamport_svg) = match traced {
        true => {
            let mut builder = viewer::Builder::new(scenario);
            let mut survey = lamport::Survey::default();
            crate::trace::read::stream(&trace, |record| {
                builder.push(&record);
                survey.observe(&record);
                Ok(true)
            })?;
            let file = crate::trace::read::TraceFile(&trace);
            let window = lamport::chosen_window_from(&file, &survey, &scenario.report)?;
            let svg = lamport::draw_from(&file, &survey, &window)?;
            (Some(builder.finish()), Some(svg))
        }
        false => (None, None),
    };
    let charts: Vec<(String, String)> = charts
        .iter()
        .map(|c| (c.title.clone(), c.svg.clone()))
        .collect();
    let page = Page {
        scenario,
        summary,
        charts: &charts,
        lamport_svg: lamport_svg.as_deref(),
        viewer: viewer.as_ref(),
    };
    std::fs::write(dir.join("report.html"), render(&page))
}

/// The whole page.
pub fn render(page: &Page) -> String {
    let s = page.scenario;
    let mut html = String::with_capacity(64 * 1024);
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(html, "<title>dynsim: {}</title>", escape(&s.name));
    let _ = writeln!(html, "<style>\n{STYLE}</style>\n</head>\n<body>");

    let mut verdict = if page.summary.ok {
        "<span class=\"badge held\">every expectation held</span>".to_string()
    } else {
        "<span class=\"badge failed\">an expectation FAILED</span>".to_string()
    };
    let unbounded = unbounded_anomalies(page.summary);
    if !unbounded.is_empty() {
        let _ = write!(
            verdict,
            "\n<p class=\"unbounded\"><span class=\"badge unbounded\">not bounded</span> {}: no expectation bounds {}, so the verdict above does not judge {}. A scenario without a bound shows a sharp edge of the design on purpose; its description says which.</p>",
            escape(&unbounded.join(", ")),
            if unbounded.len() == 1 { "it" } else { "them" },
            if unbounded.len() == 1 { "it" } else { "them" },
        );
    }
    let _ = writeln!(
        html,
        "<header>\n<h1>{}</h1>\n<p class=\"meta\">seed {} · {} simulated · {}</p>\n{}</header>",
        escape(&s.name),
        s.seed,
        scenario::duration(s.end()),
        verdict,
        paragraphs(&s.description),
    );
    html.push_str("<nav><a href=\"#scenario\">Scenario</a><a href=\"#expectations\">Expectations</a><a href=\"#figures\">Figures</a>");
    if !page.charts.is_empty() {
        html.push_str("<a href=\"#charts\">Charts</a>");
    }
    html.push_str("<a href=\"#ring\">Ring</a>");
    if page.lamport_svg.is_some() {
        html.push_str("<a href=\"#spacetime\">Space-time</a>");
    }
    html.push_str("<a href=\"#viewer\">Step through</a></nav>\n<main>\n");

    scenario::section(&mut html, s);
    figures::expectations(&mut html, page.summary);
    figures::key_figures(&mut html, page.summary);
    charts_section(&mut html, page.charts);
    ring::section(&mut html, s);
    if let Some(svg) = page.lamport_svg {
        html.push_str("<section id=\"spacetime\">\n<h2>Space-time diagram</h2>\n");
        html.push_str(SPACE_TIME_HINT);
        image(
            &mut html,
            "Space-time diagram of the most interesting window",
            svg,
        );
        html.push_str("</section>\n");
    }
    viewer_section(&mut html, page);
    html.push_str("</main>\n<footer>Made by dynsim from the scenario and its trace; this page loads nothing from the network.</footer>\n");
    let _ = writeln!(html, "<script>\n{SCRIPT}</script>\n</body>\n</html>");
    html
}

/// Anomalies the run counted that no expectation bounds: beside a green
/// "every expectation held" they would read as a pass.
fn unbounded_anomalies(s: &Summary) -> Vec<String> {
    let bounded = |name: &str| s.expectations.iter().any(|v| v.name == name);
    let mut out = Vec::new();
    for (name, count, one, many) in [
        (
            "lost_acked_writes",
            s.lost_acked_writes,
            "lost acknowledged write",
            "lost acknowledged writes",
        ),
        ("stale_reads", s.stale_reads, "stale read", "stale reads"),
        (
            "durability_violations",
            Some(s.durability.violations),
            "durability violation",
            "durability violations",
        ),
    ] {
        match count {
            Some(n) if n > 0 && !bounded(name) => {
                out.push(format!("{n} {}", if n == 1 { one } else { many }));
            }
            _ => {}
        }
    }
    out
}

fn charts_section(html: &mut String, charts: &[(String, String)]) {
    if charts.is_empty() {
        return;
    }
    html.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n<div class=\"charts\">\n");
    for (title, svg) in charts {
        let _ = writeln!(html, "<figure>\n<figcaption>{}</figcaption>", escape(title));
        image(html, title, svg);
        html.push_str("</figure>\n");
    }
    html.push_str("</div>\n</section>\n");
}

fn viewer_section(html: &mut String, page: &Page) {
    html.push_str("<section id=\"viewer\">\n<h2>Step through the run</h2>\n");
    let Some(data) = page.viewer else {
        html.push_str("<p class=\"notice\">The step-through viewer needs a trace: this run was made with <code>--trace off</code>. Run it again with <code>--trace jsonl</code> (the default).</p>\n</section>\n");
        return;
    };
    html.push_str(viewer::CONTROLS);
    let _ = writeln!(
        html,
        "<script type=\"application/json\" id=\"viewer-data\">{}</script>",
        json_for_script(&data.to_json())
    );
    html.push_str("</section>\n");
}

/// An SVG document as an `<img>` with a `data:` address: inlined, and
/// inert (an image runs no script).
fn image(html: &mut String, alt: &str, svg: &str) {
    let _ = writeln!(
        html,
        "<img alt=\"{}\" src=\"data:image/svg+xml;base64,{}\">",
        escape(alt),
        base64(svg.as_bytes())
    );
}

/// Text for HTML or SVG, in element content and in quoted attributes
/// alike. Control characters (which XML forbids, and which nothing here
/// needs) become spaces.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A description as paragraphs: blank lines separate them.
fn paragraphs(text: &str) -> String {
    let mut out = String::new();
    for para in text.split("\n\n") {
        let para = para.split_whitespace().collect::<Vec<_>>().join(" ");
        if !para.is_empty() {
            let _ = writeln!(out, "<p class=\"description\">{}</p>", escape(&para));
        }
    }
    out
}

/// JSON that can sit inside a `<script>` element: `<`, `>` and `&` become
/// `\u` escapes, so no string in it can close the element or open a
/// comment, and the JSON still parses to the same values.
pub fn json_for_script(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 with padding (RFC 4648), for `data:` addresses.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A colour per node, distinct and dark enough for white text on a
/// projector; past the palette, hues spaced by the golden angle.
pub fn node_colour(index: usize) -> String {
    const PALETTE: [&str; 10] = [
        "#1f5fbf", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490", "#a16207", "#be185d",
        "#4d7c0f", "#4338ca",
    ];
    match PALETTE.get(index) {
        Some(c) => (*c).to_string(),
        None => format!("hsl({:.0},70%,38%)", (index as f64 * 137.508) % 360.0),
    }
}

#[cfg(test)]
mod tests;
