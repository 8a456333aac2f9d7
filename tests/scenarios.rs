//! Every scenario file in the repository parses, and every runnable one
//! runs with all its expectations holding: the files are specifications.

use dynsim::{check, run, scenario, trace::Tracer};
use std::path::{Path, PathBuf};

fn files_under(dir: &str) -> Vec<PathBuf> {
    scenario::files_under(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)).unwrap()
}

#[test]
fn every_scenario_file_is_valid() {
    let files = files_under("scenarios");
    assert!(files.len() >= 3);
    for f in files {
        if let Err(e) = scenario::load(&f, &[]) {
            panic!("{}", e.render(false));
        }
    }
}

/// `bench/` holds long runs, measured in release builds, not run here.
#[test]
fn engine_scenarios_hold_their_expectations() {
    let runnable = [
        "scenarios/failures",
        "scenarios/engine",
        "scenarios/dynamo",
        "scenarios/membership",
        "scenarios/anti-entropy",
        "scenarios/lessons",
    ];
    for f in runnable.iter().flat_map(|dir| files_under(dir)) {
        let s = scenario::load(&f, &[]).unwrap();
        let out = run::run(&s, Tracer::off()).unwrap();
        let verdicts = check::evaluate(&s, &out);
        assert!(!verdicts.is_empty(), "{} expects something", f.display());
        for v in verdicts {
            assert!(
                v.ok,
                "{}: {} expected {} got {}",
                f.display(),
                v.name,
                v.expected,
                v.actual
            );
        }
    }
}
