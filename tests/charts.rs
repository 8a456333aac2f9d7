//! The charts of a run, checked for content: each is drawn from a real run
//! of a scenario under `scenarios/`, parses as XML, and holds its series
//! (legend texts, lines with many points, bars, circles), its axis names
//! and, on time axes, the shaded fault windows; the same seed draws the
//! same bytes; a chart without data is left out. The command line writes
//! them (`run`), draws the ring (`ring --svg`) and the sweep's aggregate.

use dynsim::check;
use dynsim::report::Summary;
use dynsim::report::charts::{Chart, run_charts};
use dynsim::run;
use dynsim::scenario;
use dynsim::trace::Tracer;
use std::path::Path;
use std::process::Command;

const PARTITION: &str = "scenarios/dynamo/partition-sloppy-quorum.toml";
const NO_REPAIR: &str = "scenarios/anti-entropy/heal-without-repair.toml";
const FLAPPING: &str = "scenarios/failures/flapping-node.toml";

/// The shading colours of `report::charts::faults`.
const PARTITION_FILL: &str = "#F0AA3C";
const CRASH_FILL: &str = "#DC3C3C";
/// The bar colour.
const BLUE_FILL: &str = "#0072B2";

fn charts_of(file: &str, sets: &[&str]) -> Vec<Chart> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let s = scenario::load(&path, &sets).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let out = run::run(&s, Tracer::off()).unwrap();
    let found = check::findings(&s, &out);
    let verdicts = check::judge(&s, &out, &found);
    let summary = Summary::new(&s, &out, &found, verdicts, 0);
    run_charts(&s, &out, &summary)
}

/// What a test looks at in an SVG.
struct Svg {
    width: String,
    texts: Vec<String>,
    /// Points of each polyline.
    polylines: Vec<usize>,
    /// `(fill, opacity)` of each rectangle.
    rects: Vec<(String, String)>,
    circles: usize,
}

impl Svg {
    fn parse(chart: &Chart) -> Svg {
        let doc = roxmltree::Document::parse(&chart.svg)
            .unwrap_or_else(|e| panic!("{}.svg is not XML: {e}", chart.name));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg", "{}", chart.name);
        let attr = |n: roxmltree::Node<'_, '_>, a: &str| n.attribute(a).unwrap_or("").to_string();
        let nodes: Vec<_> = root.descendants().filter(|n| n.is_element()).collect();
        let named = |tag: &'static str| nodes.iter().filter(move |n| n.tag_name().name() == tag);
        Svg {
            width: attr(root, "width"),
            texts: named("text")
                .map(|n| n.text().unwrap_or("").trim().to_string())
                .collect(),
            polylines: named("polyline")
                .map(|n| attr(*n, "points").split_whitespace().count())
                .collect(),
            rects: named("rect")
                .map(|n| (attr(*n, "fill"), attr(*n, "opacity")))
                .collect(),
            circles: named("circle").count(),
        }
    }

    fn has_text(&self, wanted: &str) -> bool {
        self.texts.iter().any(|t| t.contains(wanted))
    }

    fn assert_texts(&self, name: &str, wanted: &[&str]) {
        for w in wanted {
            assert!(
                self.has_text(w),
                "{name}: no text {w:?} in {:?}",
                self.texts
            );
        }
    }

    /// Lines with at least `points` points.
    fn long_lines(&self, points: usize) -> usize {
        self.polylines.iter().filter(|&&p| p >= points).count()
    }

    /// Translucent rectangles of this fill: shaded fault windows.
    fn shaded(&self, fill: &str) -> usize {
        self.rects
            .iter()
            .filter(|(f, o)| f == fill && o.parse::<f64>().is_ok_and(|o| o < 0.3))
            .count()
    }

    fn bars(&self) -> usize {
        self.rects
            .iter()
            .filter(|(f, o)| f == BLUE_FILL && o == "1")
            .count()
    }
}

fn find(charts: &[Chart], name: &str) -> Svg {
    let chart = charts
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} chart"));
    assert!(!chart.title.is_empty());
    Svg::parse(chart)
}

fn names(charts: &[Chart]) -> Vec<&str> {
    charts.iter().map(|c| c.name).collect()
}

#[test]
fn every_chart_of_a_partition_run_holds_its_series_axes_and_fault_windows() {
    let charts = charts_of(PARTITION, &[]);
    assert_eq!(
        names(&charts),
        [
            "latency",
            "latency-cdf",
            "divergence",
            "staleness",
            "versions",
            "ring",
            "merkle"
        ]
    );
    for chart in &charts {
        // 960 px wide, or wider by the band of a legend beside the plot.
        let width: u32 = Svg::parse(chart).width.parse().unwrap();
        let beside = chart.svg.contains("<g transform=\"translate(");
        assert!(
            width == 960 || beside && width > 960,
            "{}: {width} px wide",
            chart.name
        );
    }

    let latency = find(&charts, "latency");
    latency.assert_texts(
        "latency",
        &[
            "get p50",
            "get p99",
            "get p99.9",
            "put p50",
            "put p99",
            "put p99.9",
            "time (s)",
            "latency (ms, log)",
            "partition",
        ],
    );
    // The p50 and p99 lines of both kinds span the 20 s workload in
    // 500 ms buckets (the p99.9 lines are dashed: many short polylines).
    assert!(latency.long_lines(30) >= 4, "{:?}", latency.polylines);
    assert_eq!(
        latency.shaded(PARTITION_FILL),
        1,
        "one partition, 5 s to 15 s"
    );

    let cdf = find(&charts, "latency-cdf");
    cdf.assert_texts(
        "latency-cdf",
        &["get (", "put (", "latency (ms, log)", "share of ops"],
    );
    assert_eq!(cdf.long_lines(100), 2, "{:?}", cdf.polylines);
    assert_eq!(cdf.shaded(PARTITION_FILL), 0, "not a time axis");

    let divergence = find(&charts, "divergence");
    divergence.assert_texts(
        "divergence",
        &[
            "keys whose live replicas differ",
            "nodes with a wrong view",
            "last heal (15.0 s)",
            "agreed",
            "divergent keys",
            "up nodes",
            "time (s)",
        ],
    );
    assert_eq!(
        divergence.shaded(PARTITION_FILL),
        2,
        "shaded in both panels"
    );
    assert!(divergence.long_lines(20) >= 2, "{:?}", divergence.polylines);

    let staleness = find(&charts, "staleness");
    staleness.assert_texts(
        "staleness",
        &["P(consistent read)", "P(get saw the latest", "since"],
    );
    assert!(staleness.long_lines(3) >= 1);

    let versions = find(&charts, "versions");
    versions.assert_texts(
        "versions",
        &["ok gets (", "versions (siblings) returned", "gets"],
    );
    assert!(
        versions.bars() >= 2,
        "dvv keeps the two sides' writes as siblings"
    );

    let ring = find(&charts, "ring");
    ring.assert_texts(
        "ring",
        &[
            "n1",
            "n6",
            "balanced: N/S = 0.500",
            "node",
            "share of the key space",
        ],
    );
    assert_eq!(ring.bars(), 6 + 1, "a bar a node, and the legend's swatch");

    let merkle = find(&charts, "merkle");
    merkle.assert_texts(
        "merkle",
        &[
            "an exchange (",
            "divergent keys found",
            "hashes and digests sent",
        ],
    );
    // Hints repair the replicas first: the exchanges mostly agree.
    assert!(merkle.circles >= 2, "a point and the legend's");
}

#[test]
fn anti_entropy_alone_draws_exchanges_that_found_keys() {
    let charts = charts_of(NO_REPAIR, &[]);
    let merkle = find(&charts, "merkle");
    // Exchanges that found divergent keys: labels past 0 on the x axis and
    // several distinct (keys, hashes) points.
    assert!(merkle.circles >= 5, "{} circles", merkle.circles);
    let divergence = find(&charts, "divergence");
    divergence.assert_texts("divergence", &["agreed", "last heal"]);
}

#[test]
fn crashes_are_shaded_on_every_time_axis() {
    let charts = charts_of(FLAPPING, &[]);
    for name in ["latency", "divergence"] {
        let svg = find(&charts, name);
        svg.assert_texts(name, &["crash"]);
        assert!(svg.shaded(CRASH_FILL) >= 2, "{name}: {:?}", svg.rects);
    }
}

#[test]
fn the_same_seed_draws_the_same_bytes() {
    let a = charts_of(PARTITION, &[]);
    let b = charts_of(PARTITION, &[]);
    assert_eq!(a, b);
    let c = charts_of(PARTITION, &["seed=6"]);
    let latency = |charts: &[Chart]| charts[0].svg.clone();
    assert_ne!(latency(&a), latency(&c), "another seed, other latencies");
}

#[test]
fn a_chart_without_data_is_left_out() {
    let charts = charts_of(
        PARTITION,
        &[
            "anti_entropy.enabled=false",
            "gossip.enabled=false",
            "workload.mix.get=0",
            "workload.mix.put=1",
            "workload.read_modify_write=0",
        ],
    );
    assert_eq!(
        names(&charts),
        ["latency", "latency-cdf", "divergence", "ring"],
        "no gets: no staleness or versions; no anti-entropy: no merkle"
    );
    let latency = find(&charts, "latency");
    assert!(!latency.has_text("get p50"), "no get line");
    let divergence = find(&charts, "divergence");
    assert!(
        !divergence.has_text("wrong view"),
        "gossip off: no views panel"
    );
    assert_eq!(divergence.shaded(PARTITION_FILL), 1);
}

fn dynsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dynsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap()
}

fn parses(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    text
}

#[test]
fn dynsim_run_writes_each_chart_as_svg() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    let done = dynsim(&[
        "run",
        NO_REPAIR,
        "--trace",
        "off",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    for name in [
        "latency",
        "latency-cdf",
        "divergence",
        "staleness",
        "versions",
        "ring",
        "merkle",
    ] {
        let text = parses(&out.join(format!("{name}.svg")));
        assert!(text.starts_with("<svg"), "{name}");
    }
}

#[test]
fn dynsim_ring_draws_shares_and_figure_8() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("ring.svg");
    let done = dynsim(&["ring", "--nodes", "10", "--svg", file.to_str().unwrap()]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let text = parses(&file);
    for wanted in [
        "Key-space share per node",
        "Figure 8",
        "1: T random tokens per node",
        "2: T random tokens, Q = ",
        "3: Q/S tokens per node",
        "tokens per node T",
        "efficiency (mean / max share)",
        "n10",
    ] {
        assert!(text.contains(wanted), "no {wanted:?}");
    }
    let again = tmp.path().join("again.svg");
    dynsim(&["ring", "--nodes", "10", "--svg", again.to_str().unwrap()]);
    assert_eq!(text, parses(&again), "same bytes");
    let bad = dynsim(&["ring", "--svg", "/nonexistent-dir/x.svg"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn dynsim_sweep_draws_its_aggregate() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let done = dynsim(&[
        "sweep",
        PARTITION,
        "--seeds",
        "1..2",
        "--set",
        "replication.sloppy_quorum=true,false",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        done.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let text = parses(&out.join("aggregate.svg"));
    for wanted in [
        "availability (mean)",
        "P(consistent read) (mean)",
        "runs converged",
        "lost acknowledged writes",
        "sloppy_quorum=true",
        "sloppy_quorum=false",
        "4 runs",
    ] {
        assert!(text.contains(wanted), "no {wanted:?}");
    }
}

#[test]
fn each_finished_merkle_exchange_is_recorded_with_its_cost() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(NO_REPAIR);
    let s = scenario::load(&path, &[]).unwrap();
    let out = run::run(&s, Tracer::off()).unwrap();
    let exchanges = &out.merkle_exchanges;
    assert!(exchanges.len() as u64 <= out.nodes.ae_exchanges);
    assert!(
        exchanges.len() as u64 >= out.nodes.ae_exchanges / 2,
        "most finish"
    );
    assert!(exchanges.iter().all(|e| e.hashes >= 1), "at least the root");
    let recorded: u64 = exchanges.iter().map(|e| e.hashes).sum();
    assert!(recorded <= out.nodes.ae_hashes_sent);
    let found: Vec<_> = exchanges.iter().filter(|e| e.divergent_keys > 0).collect();
    assert!(!found.is_empty(), "the partition left keys to find");
    // Finding a key means descending to a leaf: more than the root's hash.
    assert!(found.iter().all(|e| e.hashes > 1));
}

#[test]
fn a_lone_operation_is_still_drawn() {
    // One scripted put: each quantile line is a single point.
    let charts = charts_of("scenarios/dynamo/disk-loss.toml", &[]);
    let latency = find(&charts, "latency");
    latency.assert_texts("latency", &["put p50", "crash"]);
    assert!(!latency.has_text("get p50"));
    assert_eq!(latency.circles, 3, "a marker for each quantile");
}

#[test]
fn a_few_gets_label_each_whole_count_once() {
    // One ok get: the count axis runs 0 to 1.3 and reads 0 and 1, once
    // each (beside the x axis's 0 and 1, and the bar's own count, 1, over
    // its share), never 0, 0, 0, 1, 1, 1.
    let charts = charts_of("scenarios/lessons/07-sloppy-quorum.toml", &[]);
    let versions = find(&charts, "versions");
    let count = |label: &str| versions.texts.iter().filter(|t| *t == label).count();
    assert_eq!((count("0"), count("1")), (2, 3), "{:?}", versions.texts);
    assert_eq!(count("100.0%"), 1, "{:?}", versions.texts);
}

/// The README's first run: nine latency lines and three fault kinds, with
/// lines near the top and the bottom of the plot all along.
const README_RUN: &str = "scenarios/engine/partition-and-crash.toml";

/// A box `(left, top, right, bottom)` in the SVG's pixels.
type PixelBox = (f64, f64, f64, f64);

/// What a legend could hide, in drawing order: the segments of each
/// polyline at least 2 px wide (series and marks; grid lines and axes are
/// 1 px), and each circle's bounding box, each with the legend (its
/// border's box) drawn after it. The legend inside a `translate` group
/// (one beside the plot) is moved by it.
fn legends_and_what_they_cover(svg: &str) -> Vec<(PixelBox, Vec<PixelBox>)> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let num = |n: roxmltree::Node<'_, '_>, a: &str| -> f64 {
        n.attribute(a).map_or(0.0, |v| v.parse().unwrap())
    };
    let shift = |n: roxmltree::Node<'_, '_>| -> f64 {
        n.ancestors()
            .filter_map(|a| a.attribute("transform"))
            .filter_map(|t| {
                t.strip_prefix("translate(")?
                    .split(',')
                    .next()?
                    .parse::<f64>()
                    .ok()
            })
            .sum()
    };
    let mut legends = Vec::new();
    let mut shapes: Vec<PixelBox> = Vec::new();
    for n in doc.descendants().filter(|n| n.is_element()) {
        match n.tag_name().name() {
            "polyline" if num(n, "stroke-width") >= 2.0 => {
                let points: Vec<(f64, f64)> = n
                    .attribute("points")
                    .unwrap()
                    .split_whitespace()
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect();
                for pair in points.windows(2) {
                    shapes.push((pair[0].0, pair[0].1, pair[1].0, pair[1].1));
                }
            }
            "circle" => {
                let (x, y, r) = (num(n, "cx"), num(n, "cy"), num(n, "r"));
                shapes.push((x - r, y - r, x + r, y + r));
            }
            "rect"
                if n.attribute("fill") == Some("none")
                    && n.attribute("stroke") == Some("#5A5A5A") =>
            {
                let dx = shift(n);
                let (x, y) = (num(n, "x") + dx, num(n, "y"));
                let found = (x, y, x + num(n, "width"), y + num(n, "height"));
                legends.push((found, std::mem::take(&mut shapes)));
            }
            _ => {}
        }
    }
    legends
}

/// Whether the segment (or, for a circle, the diagonal of its box) from
/// `(s.0, s.1)` to `(s.2, s.3)` passes through the inside of box `b`.
fn crosses(s: PixelBox, b: PixelBox) -> bool {
    // Sample the segment finely: pixels, not geometry, are the question.
    (0..=200).any(|k| {
        let t = f64::from(k) / 200.0;
        let (x, y) = (s.0 + t * (s.2 - s.0), s.1 + t * (s.3 - s.1));
        x > b.0 + 1.0 && x < b.2 - 1.0 && y > b.1 + 1.0 && y < b.3 - 1.0
    })
}

#[test]
fn no_legend_hides_a_line_or_a_point() {
    for file in [README_RUN, PARTITION, FLAPPING] {
        for chart in charts_of(file, &[]) {
            let legends = legends_and_what_they_cover(&chart.svg);
            for (legend, shapes) in &legends {
                let hidden = shapes.iter().filter(|s| crosses(**s, *legend)).count();
                assert_eq!(
                    hidden, 0,
                    "{file}: {}.svg's legend at {legend:?} hides {hidden} segments or points",
                    chart.name
                );
            }
            if chart.name == "latency" {
                assert_eq!(legends.len(), 1, "{file}: latency has one legend");
            }
        }
    }
}
