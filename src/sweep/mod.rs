//! Sweeps: many runs of one scenario over a grid of seeds and `--set`
//! values, a row each, and an aggregate per set combination.
//!
//! This module is the pure part: the grid and its shards ([`grid`]), a
//! run's row and its `runs.jsonl`/`runs.csv` forms ([`row`]), the
//! aggregate ([`aggregate`]) and its PBS curve per combination ([`pbs`]), what a sweep folder holds ([`SweepInfo`],
//! [`write`]) and joining shards' folders ([`merge`]). Running the grid on
//! threads is the command line's job (`cli::sweep`).
//!
//! Every output file is a function of the rows in grid order, never of
//! which thread or machine ran a row, so `--jobs` and `--shard` change
//! nothing in the bytes written.

pub mod aggregate;
pub mod grid;
pub mod merge;
pub mod pbs;
pub mod row;

use grid::{Axis, Grid, Seeds, Shard};
use md5::{Digest, Md5};
use row::Row;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io;
use std::path::Path;

/// `sweep.json`: what was swept, so `sweep-merge` can tell whether shards
/// belong together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepInfo {
    /// The scenario file as given on the command line; replay commands
    /// name it.
    pub file: String,
    /// MD5 of the file's bytes: shards run on other machines may reach the
    /// same file by another path, but must have the same text.
    pub file_md5: String,
    /// The scenario's name.
    pub scenario: String,
    pub seeds: Seeds,
    /// The `--set` keys and their values, in the order given.
    pub sets: Vec<Axis>,
    /// Runs in the full grid.
    pub runs: u64,
    /// Which share of the grid this folder holds; `null` for all of it.
    pub shard: Option<Shard>,
}

impl SweepInfo {
    pub fn new(file: &str, text: &str, scenario: &str, grid: &Grid, shard: Option<Shard>) -> Self {
        SweepInfo {
            file: file.to_string(),
            file_md5: md5_hex(text.as_bytes()),
            scenario: scenario.to_string(),
            seeds: grid.seeds,
            sets: grid.axes.clone(),
            runs: grid.runs(),
            shard,
        }
    }

    /// Whether a `sweep.json` read back describes a grid this program
    /// could have run (a hand-edited one might not).
    pub fn check(&self) -> Result<(), String> {
        if self.seeds.first > self.seeds.last {
            return Err(format!("the seeds {} are an empty range", self.seeds));
        }
        if let Some(shard) = self.shard
            && (shard.index == 0 || shard.index > shard.count)
        {
            return Err(format!("shard {shard} is not one of 1..{}", shard.count));
        }
        if self.sets.iter().any(|a| a.values.is_empty()) {
            return Err("a --set key has no value".to_string());
        }
        let runs = self.grid().combinations() as u128 * self.seeds.count();
        if runs != u128::from(self.runs) || self.runs > grid::MAX_RUNS {
            return Err(format!("{} runs do not fit the grid", self.runs));
        }
        Ok(())
    }

    pub fn grid(&self) -> Grid {
        Grid {
            seeds: self.seeds,
            axes: self.sets.clone(),
        }
    }

    /// The `--set` keys: the columns after `index` and `seed`.
    pub fn keys(&self) -> Vec<String> {
        self.sets.iter().map(|a| a.key.clone()).collect()
    }

    /// The command that replays the run of `row`.
    pub fn replay(&self, row: &Row) -> String {
        let grid = self.grid();
        let combination = grid.run(row.index).combination;
        grid::replay_command(&self.file, row.seed, &grid.set_arguments(combination))
    }
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The files a sweep folder holds.
pub const SWEEP_JSON: &str = "sweep.json";
pub const RUNS_JSONL: &str = "runs.jsonl";
pub const RUNS_CSV: &str = "runs.csv";
pub const AGGREGATE_JSON: &str = "aggregate.json";
pub const AGGREGATE_SVG: &str = "aggregate.svg";
pub const PBS_SVG: &str = "pbs.svg";

/// Writes `sweep.json`, `runs.jsonl`, `runs.csv`, `aggregate.json`, its
/// chart `aggregate.svg` and, when a get was counted, the PBS chart
/// `pbs.svg` for `rows` (in grid order) into `dir`.
pub fn write(dir: &Path, info: &SweepInfo, rows: &[Row]) -> io::Result<()> {
    let keys = info.keys();
    let mut sweep = serde_json::to_string_pretty(info).map_err(io::Error::other)?;
    sweep.push('\n');
    fs::write(dir.join(SWEEP_JSON), sweep)?;
    let mut lines = String::new();
    for row in rows {
        lines.push_str(&row.to_json_line(&keys));
        lines.push('\n');
    }
    fs::write(dir.join(RUNS_JSONL), lines)?;
    fs::write(dir.join(RUNS_CSV), row::csv(&keys, rows))?;
    let aggregate = aggregate::aggregate(&info.grid(), rows);
    fs::write(dir.join(AGGREGATE_JSON), aggregate::to_json(&aggregate))?;
    if let Some(svg) = crate::report::charts::sweep::aggregate_svg(&aggregate) {
        fs::write(dir.join(AGGREGATE_SVG), svg)?;
    }
    if let Some(svg) = crate::report::charts::pbs::pbs_svg(&aggregate) {
        fs::write(dir.join(PBS_SVG), svg)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_is_hex_of_the_bytes() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn a_hand_edited_sweep_json_that_fits_no_grid_is_refused() {
        let grid = Grid::new(Seeds { first: 1, last: 3 }, &["a=x,y".to_string()]).unwrap();
        let good = SweepInfo::new(
            "s.toml",
            "text",
            "s",
            &grid,
            Some(Shard { index: 2, count: 2 }),
        );
        assert_eq!(good.check(), Ok(()));
        let mut bad = good.clone();
        bad.runs = 7;
        assert!(bad.check().is_err());
        let mut bad = good.clone();
        bad.seeds = Seeds { first: 4, last: 3 };
        assert!(bad.check().is_err());
        let mut bad = good.clone();
        bad.shard = Some(Shard { index: 0, count: 2 });
        assert!(bad.check().is_err());
        let mut bad = good;
        bad.sets[0].values.clear();
        assert!(bad.check().is_err());
    }

    #[test]
    fn a_replay_names_the_file_seed_and_the_row_s_values() {
        let grid = Grid::new(
            Seeds { first: 5, last: 6 },
            &["replication.r=1,2".to_string()],
        )
        .unwrap();
        let info = SweepInfo::new("s.toml", "text", "s", &grid, None);
        let row = Row {
            index: 3,
            seed: 6,
            sets: vec!["2".into()],
            figures: Vec::new(),
            ok: false,
            expect: Vec::new(),
            pbs: Default::default(),
        };
        assert_eq!(
            info.replay(&row),
            "dynsim run s.toml --seed 6 --set replication.r=2"
        );
    }
}
