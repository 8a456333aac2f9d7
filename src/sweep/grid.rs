//! The grid of a sweep: every seed of `--seeds A..B` for every combination
//! of the `--set key=v1,v2` values, in a fixed order, and the share of it a
//! `--shard i/n` runs.
//!
//! A run's place in the full grid is its index: combinations in the order
//! given (the first `--set` key changes slowest, like an odometer), then
//! seeds ascending. Shards, rows and merges all speak in these indices, so
//! the order never depends on which machine or thread ran what.

use serde::{Deserialize, Serialize};

/// The most runs one sweep may hold: rows are kept in memory until written.
pub const MAX_RUNS: u64 = 10_000_000;

/// An inclusive range of seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seeds {
    pub first: u64,
    pub last: u64,
}

impl Seeds {
    /// `A..B` (both included) or a single `N`.
    pub fn parse(text: &str) -> Result<Seeds, String> {
        let number = |t: &str| {
            t.trim().parse::<u64>().map_err(|_| {
                format!(
                    "--seeds {text}: `{}` is not a seed (a whole number)",
                    t.trim()
                )
            })
        };
        let seeds = match text.split_once("..") {
            Some((a, b)) => Seeds {
                first: number(a)?,
                last: number(b)?,
            },
            None => {
                let n = number(text)?;
                Seeds { first: n, last: n }
            }
        };
        if seeds.first > seeds.last {
            return Err(format!(
                "--seeds {text}: the range is empty; write the smaller seed first, as 1..100"
            ));
        }
        Ok(seeds)
    }

    /// How many seeds; `u128` because `0..u64::MAX` holds 2^64.
    pub fn count(&self) -> u128 {
        u128::from(self.last - self.first) + 1
    }
}

impl std::fmt::Display for Seeds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..{}", self.first, self.last)
    }
}

/// One `--set` key and the values it takes, in the order given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Axis {
    pub key: String,
    pub values: Vec<String>,
}

/// Why a sweep's `--set` arguments do not make a grid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GridError {
    /// No `=`: the scenario loader explains that form best, with a caret.
    NotAnOverride(String),
    /// Other problems, as a sentence.
    Bad(String),
}

/// Seeds × the cartesian product of the axes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grid {
    pub seeds: Seeds,
    pub axes: Vec<Axis>,
}

/// One run of the grid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub index: u64,
    pub combination: usize,
    pub seed: u64,
}

impl Grid {
    /// Builds the grid from `--set key=v1,v2` arguments; each key once.
    pub fn new(seeds: Seeds, set_arguments: &[String]) -> Result<Grid, GridError> {
        let mut axes: Vec<Axis> = Vec::new();
        for argument in set_arguments {
            let Some((key, values)) = argument.split_once('=') else {
                return Err(GridError::NotAnOverride(argument.clone()));
            };
            let key = key.trim().to_string();
            if key == "seed" {
                return Err(GridError::Bad(format!(
                    "--set {argument}: a sweep takes its seeds from --seeds, as --seeds 1..100"
                )));
            }
            if axes.iter().any(|a| a.key == key) {
                return Err(GridError::Bad(format!(
                    "--set {key} is given twice; give its values once, comma-separated: --set {key}=a,b"
                )));
            }
            axes.push(Axis {
                key,
                values: split_values(values),
            });
        }
        let grid = Grid { seeds, axes };
        let runs = grid.combinations() as u128 * grid.seeds.count();
        if runs > u128::from(MAX_RUNS) {
            return Err(GridError::Bad(format!(
                "the sweep would hold {runs} runs; at most {MAX_RUNS} fit in one sweep (split it by seeds)"
            )));
        }
        Ok(grid)
    }

    /// How many set combinations (1 without `--set`). Saturates, so a
    /// grid too large to hold is caught by the check on the run count.
    pub fn combinations(&self) -> usize {
        self.axes
            .iter()
            .fold(1usize, |n, a| n.saturating_mul(a.values.len()))
    }

    /// How many runs in the full grid (valid grids hold at most `MAX_RUNS`).
    pub fn runs(&self) -> u64 {
        (self.combinations() as u128 * self.seeds.count()).min(u128::from(u64::MAX)) as u64
    }

    /// The values of combination `c`, one per axis: the last axis changes
    /// fastest.
    pub fn combination(&self, c: usize) -> Vec<&str> {
        let mut rest = c;
        let mut picked = vec![""; self.axes.len()];
        for (slot, axis) in picked.iter_mut().zip(&self.axes).rev() {
            let len = axis.values.len().max(1);
            *slot = axis.values.get(rest % len).map_or("", String::as_str);
            rest /= len;
        }
        picked
    }

    /// The `key=value` overrides of combination `c`, as `--set` takes them.
    pub fn set_arguments(&self, c: usize) -> Vec<String> {
        self.axes
            .iter()
            .zip(self.combination(c))
            .map(|(axis, value)| format!("{}={value}", axis.key))
            .collect()
    }

    /// The run at `index` of the full grid.
    pub fn run(&self, index: u64) -> Run {
        let per_combination = self.seeds.count().max(1);
        let index_wide = u128::from(index);
        Run {
            index,
            combination: (index_wide / per_combination) as usize,
            seed: self.seeds.first + (index_wide % per_combination) as u64,
        }
    }
}

/// One of `count` shares of a grid; `index` counts from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// `i/n` with 1 ≤ i ≤ n.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {text}: write i/n with 1 ≤ i ≤ n, as --shard 2/4");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether the run at `index` of the full grid is this shard's: runs
    /// are dealt round-robin, so every shard gets a share of every
    /// combination and of the slow and fast seeds alike.
    pub fn holds(&self, index: u64) -> bool {
        index % self.count == self.index - 1
    }

    /// This shard's indices of a grid of `runs` runs, ascending.
    pub fn indices(&self, runs: u64) -> impl Iterator<Item = u64> + use<> {
        (self.index - 1..runs).step_by(self.count.try_into().unwrap_or(usize::MAX))
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Splits `v1,v2,...` at the commas that separate values: those outside
/// brackets, braces and quoted strings, so `{dist="constant",value="1ms"}`
/// or `["n1","n2"]` stay whole. Each value is trimmed. An unbalanced
/// value is left for the scenario's validation to explain.
pub fn split_values(text: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut current = String::new();
    for c in text.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    // Only basic strings escape; TOML literal strings ('…') do not.
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' | '{' => depth += 1,
                ']' | '}' => depth = depth.saturating_sub(1),
                ',' if depth == 0 => {
                    values.push(current.trim().to_string());
                    current.clear();
                    continue;
                }
                _ => {}
            },
        }
        current.push(c);
    }
    values.push(current.trim().to_string());
    values
}

/// The command that replays one run, quoted for a POSIX shell.
pub fn replay_command(file: &str, seed: u64, set_arguments: &[String]) -> String {
    let mut command = format!("dynsim run {} --seed {seed}", shell_quote(file));
    for argument in set_arguments {
        command.push_str(" --set ");
        command.push_str(&shell_quote(argument));
    }
    command
}

/// `text` as one shell word: as is when it holds only safe characters,
/// else in single quotes (a quote inside becomes `'\''`).
pub fn shell_quote(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_./=:,@%+-".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn values_split_only_at_top_level_commas() {
        assert_eq!(split_values("1,2, 3"), strings(&["1", "2", "3"]));
        assert_eq!(split_values("2ms"), strings(&["2ms"]));
        assert_eq!(
            split_values(r#"{dist="constant",value="1ms"},{dist="uniform",min="1ms",max="2ms"}"#),
            strings(&[
                r#"{dist="constant",value="1ms"}"#,
                r#"{dist="uniform",min="1ms",max="2ms"}"#
            ])
        );
        assert_eq!(
            split_values(r#"[["n1","n2"],["n3"]],[]"#),
            strings(&[r#"[["n1","n2"],["n3"]]"#, "[]"])
        );
        assert_eq!(
            split_values(r#""a,b","c\",d",'e\',f"#),
            strings(&[r#""a,b""#, r#""c\",d""#, r"'e\'", "f"])
        );
        assert_eq!(split_values("1,,2"), strings(&["1", "", "2"]));
        assert_eq!(split_values("{a=1,b"), strings(&["{a=1,b"]));
        assert_eq!(split_values(""), strings(&[""]));
    }

    #[test]
    fn seeds_are_a_range_or_one() {
        assert_eq!(Seeds::parse("3..5").unwrap(), Seeds { first: 3, last: 5 });
        assert_eq!(Seeds::parse("7").unwrap().count(), 1);
        assert_eq!(
            Seeds::parse("0..18446744073709551615").unwrap().count(),
            1 << 64
        );
        for bad in ["5..3", "a..b", "", "1..", "-1..2", "1...3"] {
            assert!(Seeds::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_grid_is_combinations_then_seeds() {
        let seeds = Seeds::parse("10..11").unwrap();
        let grid = Grid::new(seeds, &strings(&["a.r=1,2", "a.w=x,y,z"])).unwrap();
        assert_eq!((grid.combinations(), grid.runs()), (6, 12));
        assert_eq!(grid.combination(0), vec!["1", "x"]);
        assert_eq!(grid.combination(2), vec!["1", "z"]);
        assert_eq!(grid.combination(3), vec!["2", "x"]);
        assert_eq!(grid.set_arguments(5), strings(&["a.r=2", "a.w=z"]));
        let run = grid.run(7);
        assert_eq!((run.combination, run.seed), (3, 11));
        let plain = Grid::new(seeds, &[]).unwrap();
        assert_eq!((plain.combinations(), plain.runs()), (1, 2));
        assert_eq!(plain.run(1).seed, 11);
    }

    #[test]
    fn a_grid_refuses_seed_twice_keys_and_giant_sizes() {
        let seeds = Seeds::parse("1..2").unwrap();
        let err = |args: &[&str]| Grid::new(seeds, &strings(args)).unwrap_err();
        assert_eq!(
            err(&["replication"]),
            GridError::NotAnOverride("replication".into())
        );
        assert!(matches!(err(&["seed=1,2"]), GridError::Bad(m) if m.contains("--seeds")));
        assert!(matches!(err(&["a=1", " a =2"]), GridError::Bad(m) if m.contains("twice")));
        let huge = Seeds::parse("0..18446744073709551615").unwrap();
        assert!(Grid::new(huge, &strings(&["a=1,2"])).is_err());
    }

    #[test]
    fn shards_deal_runs_round_robin_and_cover_the_grid_once() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 2, count: 4 });
        for bad in ["0/4", "5/4", "1", "a/b", "1/0", "/"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let shard = Shard { index: 2, count: 3 };
        assert_eq!(shard.indices(8).collect::<Vec<_>>(), vec![1, 4, 7]);
        assert!(shard.indices(8).all(|i| shard.holds(i)));
        let mut all: Vec<u64> = (1..=3)
            .flat_map(|index| Shard { index, count: 3 }.indices(10))
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(Shard { index: 3, count: 3 }.indices(2).count(), 0);
    }

    #[test]
    fn replay_commands_quote_what_the_shell_would_split() {
        assert_eq!(
            replay_command("s.toml", 4, &strings(&["replication.r=1"])),
            "dynsim run s.toml --seed 4 --set replication.r=1"
        );
        assert_eq!(
            replay_command(
                "my file.toml",
                4,
                &strings(&[r#"network.latency={dist="constant",value="1ms"}"#, "x='a'"])
            ),
            r#"dynsim run 'my file.toml' --seed 4 --set 'network.latency={dist="constant",value="1ms"}' --set 'x='\''a'\'''"#
        );
    }
}
