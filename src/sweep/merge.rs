//! `sweep-merge`: joins the folders of a sweep's shards into the rows of
//! the whole sweep, refusing folders of different sweeps and shards that
//! overlap or leave runs out.

use super::row::Row;
use super::{RUNS_JSONL, SWEEP_JSON, SweepInfo};
use std::fs;
use std::path::Path;

/// One shard's folder, read.
#[derive(Clone, Debug)]
pub struct Part {
    /// The folder, as named in errors.
    pub name: String,
    pub info: SweepInfo,
    pub rows: Vec<Row>,
}

/// Reads a sweep folder's `sweep.json` and `runs.jsonl`.
pub fn read_part(dir: &Path) -> Result<Part, String> {
    let name = dir.display().to_string();
    let info_path = dir.join(SWEEP_JSON);
    let info_text = fs::read_to_string(&info_path)
        .map_err(|e| format!("{name} is not a sweep folder: cannot read {SWEEP_JSON}: {e}"))?;
    let info: SweepInfo = serde_json::from_str(&info_text)
        .map_err(|e| format!("{}: not a sweep's {SWEEP_JSON}: {e}", info_path.display()))?;
    info.check()
        .map_err(|e| format!("{}: {e}", info_path.display()))?;
    let rows_path = dir.join(RUNS_JSONL);
    let rows_text = fs::read_to_string(&rows_path)
        .map_err(|e| format!("{name}: cannot read {RUNS_JSONL}: {e}"))?;
    let keys = info.keys();
    let mut rows = Vec::new();
    for (n, line) in rows_text.lines().enumerate() {
        let row = Row::from_json_line(line, &keys)
            .map_err(|e| format!("{}:{}: {e}", rows_path.display(), n + 1))?;
        rows.push(row);
    }
    Ok(Part { name, info, rows })
}

/// The whole sweep from its parts: its description (no shard) and every
/// row in grid order.
pub fn merge(parts: Vec<Part>) -> Result<(SweepInfo, Vec<Row>), String> {
    let Some(first) = parts.first() else {
        return Err("give at least one sweep folder to merge".to_string());
    };
    let mut info = first.info.clone();
    info.shard = None;
    for part in &parts[1..] {
        if let Some(difference) = difference(&first.info, &part.info) {
            return Err(format!(
                "{} and {} are not shards of one sweep: {difference}",
                first.name, part.name
            ));
        }
    }
    check_shards(&parts)?;

    // Each run once, and only where its shard said it would be.
    let runs = info.runs;
    let grid = info.grid();
    let mut owner: Vec<Option<usize>> = vec![None; usize::try_from(runs).unwrap_or(0)];
    for (p, part) in parts.iter().enumerate() {
        for row in &part.rows {
            let Some(slot) = usize::try_from(row.index)
                .ok()
                .and_then(|i| owner.get_mut(i))
            else {
                return Err(format!(
                    "{} holds run {}, outside the sweep's {runs} runs",
                    part.name, row.index
                ));
            };
            if part.info.shard.is_some_and(|s| !s.holds(row.index)) {
                return Err(format!(
                    "{} holds run {}, which is not shard {}'s",
                    part.name,
                    row.index,
                    part.info.shard.map_or(String::new(), |s| s.to_string())
                ));
            }
            let run = grid.run(row.index);
            if row.seed != run.seed || row.sets != grid.combination(run.combination) {
                return Err(format!(
                    "{}: run {} has seed {} and values {:?}; the sweep's run {} has seed {} and {:?}",
                    part.name,
                    row.index,
                    row.seed,
                    row.sets,
                    row.index,
                    run.seed,
                    grid.combination(run.combination)
                ));
            }
            if let Some(other) = slot.replace(p) {
                return Err(format!(
                    "{} and {} both hold run {} (seed {}): the shards overlap",
                    parts[other].name, part.name, row.index, row.seed
                ));
            }
        }
    }
    let missing: Vec<usize> = owner
        .iter()
        .enumerate()
        .filter_map(|(i, o)| o.is_none().then_some(i))
        .collect();
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(5).map(|i| i.to_string()).collect();
        let more = match missing.len() - shown.len() {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        return Err(format!(
            "{} of the sweep's {runs} runs are missing (runs {}{more}): is a shard left out, or did one stop early?",
            missing.len(),
            shown.join(", ")
        ));
    }
    let mut rows: Vec<Row> = parts.into_iter().flat_map(|p| p.rows).collect();
    rows.sort_by_key(|r| r.index);
    Ok((info, rows))
}

/// What makes two folders' sweeps differ, ignoring the shard and the path
/// by which each machine named the file.
fn difference(a: &SweepInfo, b: &SweepInfo) -> Option<String> {
    if a.scenario != b.scenario {
        return Some(format!("scenario `{}` vs `{}`", a.scenario, b.scenario));
    }
    if a.file_md5 != b.file_md5 {
        return Some(format!(
            "the scenario files differ ({} vs {})",
            a.file, b.file
        ));
    }
    if a.seeds != b.seeds {
        return Some(format!("--seeds {} vs {}", a.seeds, b.seeds));
    }
    if a.sets != b.sets {
        let show = |info: &SweepInfo| {
            let sets: Vec<String> = info
                .sets
                .iter()
                .map(|a| format!("--set {}={}", a.key, a.values.join(",")))
                .collect();
            if sets.is_empty() {
                "no --set".to_string()
            } else {
                sets.join(" ")
            }
        };
        return Some(format!("{} vs {}", show(a), show(b)));
    }
    if a.runs != b.runs {
        return Some(format!("{} runs vs {}", a.runs, b.runs));
    }
    None
}

/// Shards must split the sweep the same way, each once.
fn check_shards(parts: &[Part]) -> Result<(), String> {
    let mut seen: Vec<(u64, &str)> = Vec::new();
    let mut count: Option<(u64, &str)> = None;
    for part in parts {
        let Some(shard) = part.info.shard else {
            if parts.len() > 1 {
                return Err(format!(
                    "{} holds a whole sweep, not a shard: there is nothing to merge it with",
                    part.name
                ));
            }
            continue;
        };
        match count {
            Some((n, other)) if n != shard.count => {
                return Err(format!(
                    "{other} splits the sweep into {n} shards, {} into {}: use one --shard i/n for all",
                    part.name, shard.count
                ));
            }
            _ => count = Some((shard.count, &part.name)),
        }
        if let Some((_, other)) = seen.iter().find(|(i, _)| *i == shard.index) {
            return Err(format!(
                "{other} and {} are both shard {shard}: the shards overlap",
                part.name
            ));
        }
        seen.push((shard.index, &part.name));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::grid::{Grid, Seeds, Shard};

    fn part(name: &str, shard: Option<Shard>, indices: &[u64]) -> Part {
        let grid = Grid::new(Seeds { first: 1, last: 4 }, &[]).unwrap();
        let info = SweepInfo::new("s.toml", "text", "s", &grid, shard);
        let rows = indices
            .iter()
            .map(|&index| Row {
                index,
                seed: index + 1,
                sets: Vec::new(),
                figures: Vec::new(),
                ok: true,
                expect: Vec::new(),
                pbs: Default::default(),
            })
            .collect();
        Part {
            name: name.to_string(),
            info,
            rows,
        }
    }

    fn shard(index: u64, count: u64) -> Option<Shard> {
        Some(Shard { index, count })
    }

    #[test]
    fn shards_merge_into_grid_order() {
        let (info, rows) = merge(vec![
            part("b", shard(2, 2), &[1, 3]),
            part("a", shard(1, 2), &[0, 2]),
        ])
        .unwrap();
        assert_eq!(info.shard, None);
        assert_eq!(
            rows.iter().map(|r| r.index).collect::<Vec<_>>(),
            vec![0, 1, 2, 3]
        );
    }

    #[test]
    fn overlapping_missing_or_foreign_shards_are_refused() {
        let err = |parts: Vec<Part>| merge(parts).unwrap_err();
        assert!(
            err(vec![part("a", shard(1, 2), &[0, 2])])
                .contains("2 of the sweep's 4 runs are missing (runs 1, 3)")
        );
        assert!(
            err(vec![
                part("a", shard(1, 2), &[0, 2]),
                part("b", shard(1, 2), &[0, 2])
            ])
            .contains("both shard 1/2")
        );
        assert!(
            err(vec![
                part("a", shard(1, 2), &[0, 2]),
                part("b", shard(2, 3), &[1])
            ])
            .contains("into 2 shards")
        );
        assert!(
            err(vec![
                part("a", shard(1, 2), &[0, 1]),
                part("b", shard(2, 2), &[3])
            ])
            .contains("not shard 1/2's")
        );
        assert!(
            err(vec![
                part("a", None, &[0, 1, 2, 3]),
                part("b", shard(2, 2), &[1, 3])
            ])
            .contains("whole sweep")
        );
        assert!(err(vec![part("a", None, &[0, 1, 2, 3, 4])]).contains("outside"));
        assert!(err(vec![part("a", None, &[0, 1, 2, 2])]).contains("both hold run 2"));
        let mut other = part("b", shard(2, 2), &[1, 3]);
        other.info.seeds = Seeds { first: 1, last: 5 };
        assert!(err(vec![part("a", shard(1, 2), &[0, 2]), other]).contains("--seeds 1..4 vs 1..5"));
        let mut other = part("b", shard(2, 2), &[1, 3]);
        other.rows[1].seed = 9;
        assert!(err(vec![part("a", shard(1, 2), &[0, 2]), other]).contains("run 3 has seed 9"));
        let mut other = part("b", shard(2, 2), &[1, 3]);
        other.info.file_md5 = "0".into();
        assert!(err(vec![part("a", shard(1, 2), &[0, 2]), other]).contains("files differ"));
        assert!(err(Vec::new()).contains("at least one"));
    }
}
