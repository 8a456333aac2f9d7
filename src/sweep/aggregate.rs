//! `aggregate.json`: for each set combination, how many runs there were
//! and held every expectation, each figure across the seeds: mean,
//! min, max, p50, p99, and the PBS curve of the runs' gets summed.
//!
//! Built from the rows alone, in grid order, so a merge of shards sums the
//! same numbers in the same order as the unsharded sweep and writes the
//! same bytes.

use super::grid::Grid;
use super::pbs::{self, CurvePoint};
use super::row::{FIGURES, Row};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// The whole file.
#[derive(Debug, Serialize)]
pub struct Aggregate {
    pub runs: u64,
    pub held: u64,
    pub combinations: Vec<Combination>,
}

/// One set combination's runs.
#[derive(Debug, Serialize)]
pub struct Combination {
    /// `{key: value}` in the grid's key order.
    pub set: Ordered<String>,
    pub runs: u64,
    /// Runs in which every expectation held.
    pub held: u64,
    /// Per figure (a flag counts 0 or 1, so its mean is the share true).
    pub figures: Ordered<Stats>,
    /// `[[lo_ms, hi_ms, p, gets], ...]`: P(consistent read) per
    /// time-since-commit bucket over every run's gets; `hi_ms` is `null`
    /// for the open last bucket, `p` `null` for a bucket without gets.
    pub staleness_curve: Vec<CurvePoint>,
}

/// Statistics of one figure over the runs that have it.
#[derive(Debug, Serialize, PartialEq)]
pub struct Stats {
    /// Runs with a value (a latency needs an ok op, a count a history).
    pub values: u64,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub p50: Option<f64>,
    pub p99: Option<f64>,
}

/// A JSON object whose keys keep their order.
#[derive(Debug)]
pub struct Ordered<T>(pub Vec<(String, T)>);

impl<T: Serialize> Serialize for Ordered<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// The aggregate of `rows`, which are in grid order; a combination with no
/// row (in a shard) is left out.
pub fn aggregate(grid: &Grid, rows: &[Row]) -> Aggregate {
    let mut combinations: Vec<Combination> = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let combination = grid.run(rows[start].index).combination;
        let len = rows[start..]
            .iter()
            .take_while(|r| grid.run(r.index).combination == combination)
            .count();
        let group = &rows[start..start + len];
        start += len;
        let set = grid
            .axes
            .iter()
            .zip(grid.combination(combination))
            .map(|(axis, value)| (axis.key.clone(), value.to_string()))
            .collect();
        let figures = FIGURES
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let values: Vec<f64> = group
                    .iter()
                    .filter_map(|r| r.figures.get(i).and_then(|c| c.number()))
                    .collect();
                (name.to_string(), stats(&values))
            })
            .collect();
        combinations.push(Combination {
            set: Ordered(set),
            runs: group.len() as u64,
            held: group.iter().filter(|r| r.ok).count() as u64,
            figures: Ordered(figures),
            staleness_curve: pbs::curve(&pbs::sum(group.iter().map(|r| &r.pbs))),
        });
    }
    Aggregate {
        runs: rows.len() as u64,
        held: rows.iter().filter(|r| r.ok).count() as u64,
        combinations,
    }
}

/// Mean (summed in the order given), min, max and quantiles of `values`.
pub fn stats(values: &[f64]) -> Stats {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let mean = (n > 0).then(|| values.iter().sum::<f64>() / n as f64);
    Stats {
        values: n as u64,
        mean,
        min: sorted.first().copied(),
        max: sorted.last().copied(),
        p50: quantile(&sorted, 0.5),
        p99: quantile(&sorted, 0.99),
    }
}

/// The nearest-rank quantile of sorted values: the smallest value with at
/// least a share `p` of the values at or below it. Always one of the
/// values, never an interpolation, so it reads as a run that happened.
pub fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// The aggregate as `aggregate.json` text, ending in a newline.
pub fn to_json(aggregate: &Aggregate) -> String {
    let mut text = serde_json::to_string_pretty(aggregate).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::grid::Seeds;
    use crate::sweep::row::Cell;

    #[test]
    fn quantiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), Some(50.0));
        assert_eq!(quantile(&v, 0.99), Some(99.0));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.0));
        assert_eq!(quantile(&[7.0], 0.99), Some(7.0));
        assert_eq!(quantile(&[1.0, 9.0], 0.99), Some(9.0));
        assert_eq!(quantile(&[1.0, 9.0], 0.0), Some(1.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn stats_skip_nothing_and_sort_for_quantiles() {
        let s = stats(&[3.0, 1.0, 2.0]);
        assert_eq!(
            s,
            Stats {
                values: 3,
                mean: Some(2.0),
                min: Some(1.0),
                max: Some(3.0),
                p50: Some(2.0),
                p99: Some(3.0)
            }
        );
        assert_eq!(stats(&[]).mean, None);
    }

    #[test]
    fn runs_group_by_combination_and_missing_figures_are_skipped() {
        let grid = Grid::new(Seeds { first: 1, last: 2 }, &["a=x,y".to_string()]).unwrap();
        let row = |index: u64, ok: bool, first: Cell| {
            let mut figures = vec![Cell::Count(index); FIGURES.len()];
            figures[0] = first;
            Row {
                index,
                seed: grid.run(index).seed,
                sets: vec![grid.combination(grid.run(index).combination)[0].to_string()],
                figures,
                ok,
                expect: Vec::new(),
                pbs: [pbs::Tally {
                    gets: index + 1,
                    consistent: index,
                }; pbs::BUCKETS],
            }
        };
        let rows = [
            row(0, true, Cell::Missing),
            row(1, false, Cell::Real(4.0)),
            row(3, true, Cell::Flag(true)),
        ];
        let a = aggregate(&grid, &rows);
        assert_eq!((a.runs, a.held, a.combinations.len()), (3, 2, 2));
        let x = &a.combinations[0];
        assert_eq!(x.set.0, vec![("a".to_string(), "x".to_string())]);
        assert_eq!((x.runs, x.held), (2, 1));
        assert_eq!(x.figures.0[0].1.values, 1);
        assert_eq!(x.figures.0[1].1.mean, Some(0.5));
        assert_eq!(a.combinations[1].figures.0[0].1.max, Some(1.0));
        // Runs 0 and 1: (1 + 2) gets, (0 + 1) consistent in every bucket.
        assert_eq!(x.staleness_curve[0], (0, Some(1), Some(1.0 / 3.0), 3));
        assert_eq!(x.staleness_curve.len(), pbs::BUCKETS);
        let text = to_json(&a);
        assert!(
            text.contains("\"set\": {\n        \"a\": \"y\"\n      }"),
            "{text}"
        );
    }
}
