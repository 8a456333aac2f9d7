//! Where things go in the Lamport diagram: the time axis, piecewise
//! linear with quiet gaps cut down, and the label boxes that keep labels
//! from landing on one another.

use super::draw::{LEFT, RIGHT, WIDTH};

/// The width a cut-down quiet gap takes.
const BREAK_PX: f64 = 36.0;

/// The time axis: each distinct time of the picture and its x.
pub(super) struct Axis {
    pub(super) times: Vec<u64>,
    pub(super) xs: Vec<f64>,
    /// Gaps cut down, by the index of the time that starts them.
    pub(super) broken: Vec<bool>,
}

impl Axis {
    /// An axis through `times`; a gap longer than `cut_over` (a few
    /// message latencies: nothing travels through it) is cut down.
    pub(super) fn new(mut times: Vec<u64>, cut_over: Option<u64>) -> Axis {
        times.sort_unstable();
        times.dedup();
        let gaps: Vec<u64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        let mut broken: Vec<bool> = gaps
            .iter()
            .map(|&g| cut_over.is_some_and(|c| g > c))
            .collect();
        // Cut the gaps much longer than the others, largest first.
        loop {
            let open: Vec<usize> = (0..gaps.len()).filter(|&i| !broken[i]).collect();
            let linear: u64 = open.iter().map(|&i| gaps[i]).sum();
            let Some(&widest) = open.iter().max_by_key(|&&i| (gaps[i], usize::MAX - i)) else {
                break;
            };
            let others = (linear - gaps[widest]) as f64 / (open.len() - 1).max(1) as f64;
            if open.len() < 2 || (gaps[widest] as f64) < 8.0 * others.max(1.0) {
                break;
            }
            if gaps[widest] * 4 < linear {
                break;
            }
            broken[widest] = true;
        }
        let cuts = broken.iter().filter(|&&b| b).count() as f64;
        let linear: u64 = (0..gaps.len())
            .filter(|&i| !broken[i])
            .map(|i| gaps[i])
            .sum();
        let plot = WIDTH - LEFT - RIGHT - 40.0;
        let break_px = BREAK_PX.min(plot * 0.4 / cuts.max(1.0));
        let scale = (plot - cuts * break_px) / linear.max(1) as f64;
        let mut xs = Vec::with_capacity(times.len());
        let mut x = LEFT + 20.0;
        for (i, _) in times.iter().enumerate() {
            if i > 0 {
                x += match broken[i - 1] {
                    true => break_px,
                    false => gaps[i - 1] as f64 * scale,
                };
            }
            xs.push(x);
        }
        Axis { times, xs, broken }
    }

    pub(super) fn x(&self, t: u64) -> f64 {
        match self.times.binary_search(&t) {
            Ok(i) => self.xs[i],
            Err(0) => self.xs.first().copied().unwrap_or(LEFT),
            Err(i) if i >= self.times.len() => self.xs.last().copied().unwrap_or(LEFT),
            Err(i) => {
                let (t0, t1) = (self.times[i - 1], self.times[i]);
                let share = (t - t0) as f64 / (t1 - t0) as f64;
                self.xs[i - 1] + share * (self.xs[i] - self.xs[i - 1])
            }
        }
    }

    pub(super) fn end_x(&self) -> f64 {
        self.xs.last().copied().unwrap_or(LEFT)
    }
}

/// The boxes of the labels placed so far, so a new one can step aside or,
/// with nowhere to go, be left out (its mark keeps a tooltip).
#[derive(Default)]
pub(super) struct Labels {
    boxes: Vec<(f64, f64, f64, f64)>,
}

impl Labels {
    /// Finds the first of `shifts` (added to `y`) at which a `chars` long
    /// label of `size` px starting at `x` (or, where that runs off the
    /// picture, ending left of the mark at `x`) overlaps no other; claims
    /// it and returns where the text starts.
    pub(super) fn place(
        &mut self,
        x: f64,
        y: f64,
        chars: usize,
        size: f64,
        shifts: &[f64],
    ) -> Option<(f64, f64)> {
        let w = chars as f64 * size * 0.6;
        let x = match x + w > WIDTH - 4.0 {
            true => x - w - 2.0 * LABEL_GAP,
            false => x,
        };
        if x < 4.0 {
            return None; // nowhere on the picture; the tooltip stays
        }
        for &dy in shifts {
            let b = (x - 2.0, y + dy - size - 3.0, x + w + 2.0, y + dy + 5.0);
            let free = self
                .boxes
                .iter()
                .all(|o| b.2 <= o.0 || o.2 <= b.0 || b.3 <= o.1 || o.3 <= b.1);
            if free {
                self.boxes.push(b);
                return Some((x, y + dy));
            }
        }
        None
    }
}

/// How far right of its mark a label starts.
pub(super) const LABEL_GAP: f64 = 11.0;
pub(super) const SHIFTS: &[f64] = &[0.0, -18.0, 18.0, -36.0, 36.0];
