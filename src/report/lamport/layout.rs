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

/// A label's box, possibly turned to lie along an arrow: its centre, half
/// its length along its direction, half its height across, and the
/// direction (a unit vector; `(1, 0)` for level text).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct LabelBox {
    pub(super) centre: (f64, f64),
    pub(super) half_length: f64,
    pub(super) half_height: f64,
    pub(super) direction: (f64, f64),
}

impl LabelBox {
    /// The level box from `(x0, y0)` to `(x1, y1)`.
    pub(super) fn level(x0: f64, y0: f64, x1: f64, y1: f64) -> LabelBox {
        LabelBox {
            centre: ((x0 + x1) / 2.0, (y0 + y1) / 2.0),
            half_length: (x1 - x0) / 2.0,
            half_height: (y1 - y0) / 2.0,
            direction: (1.0, 0.0),
        }
    }

    /// Whether the two boxes share any area (touching is not overlapping):
    /// two convex shapes are apart exactly when, along one of their edges'
    /// directions, their shadows do not meet (the separating axis theorem).
    pub(super) fn overlaps(&self, other: &LabelBox) -> bool {
        let across = |(x, y): (f64, f64)| (-y, x);
        let axes = [
            self.direction,
            across(self.direction),
            other.direction,
            across(other.direction),
        ];
        let dot = |a: (f64, f64), b: (f64, f64)| a.0 * b.0 + a.1 * b.1;
        let between = (
            other.centre.0 - self.centre.0,
            other.centre.1 - self.centre.1,
        );
        let reach = |b: &LabelBox, axis: (f64, f64)| {
            b.half_length * dot(b.direction, axis).abs()
                + b.half_height * dot(across(b.direction), axis).abs()
        };
        axes.iter()
            .all(|&axis| dot(between, axis).abs() < reach(self, axis) + reach(other, axis) - 1e-9)
    }
}

/// About how wide a character is, as a share of the font size (DejaVu
/// Sans and Helvetica average under it; bold a little over, covered by
/// the boxes' margins).
pub(super) const CHAR_WIDTH: f64 = 0.6;

/// The boxes of the labels placed so far, so a new one can step aside or,
/// with nowhere to go, be left out (its mark keeps a tooltip).
#[derive(Default)]
pub(super) struct Labels {
    boxes: Vec<LabelBox>,
}

impl Labels {
    /// Claims `b` if it overlaps no label placed so far.
    pub(super) fn claim(&mut self, b: LabelBox) -> bool {
        let free = self.boxes.iter().all(|o| !o.overlaps(&b));
        if free {
            self.boxes.push(b);
        }
        free
    }

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
        let w = chars as f64 * size * CHAR_WIDTH;
        let x = match x + w > WIDTH - 4.0 {
            true => x - w - 2.0 * LABEL_GAP,
            false => x,
        };
        if x < 4.0 {
            return None; // nowhere on the picture; the tooltip stays
        }
        shifts.iter().find_map(|&dy| {
            let b = LabelBox::level(x - 2.0, y + dy - size - 3.0, x + w + 2.0, y + dy + 5.0);
            self.claim(b).then_some((x, y + dy))
        })
    }

    /// Finds a place for a `chars` long label of `size` px along the arrow
    /// from `from` to `to`: a third of the way along, then two thirds,
    /// halfway, nearer either end, above the line and then below it. The
    /// label keeps clear of both ends (the send and the arrowhead). Claims
    /// it and returns the text's anchor (its middle, on the line) and its
    /// baseline's offset across the line.
    pub(super) fn place_along(
        &mut self,
        from: (f64, f64),
        to: (f64, f64),
        chars: usize,
        size: f64,
    ) -> Option<AlongArrow> {
        let (dx, dy) = (to.0 - from.0, to.1 - from.1);
        let length = (dx * dx + dy * dy).sqrt();
        if length < 1.0 {
            return None;
        }
        // Text never reads upside down: it runs left to right (as the
        // drawing turns it: by the arrow's angle, half a turn more past
        // a quarter either way).
        let direction = match dx < 0.0 {
            true => (-dx / length, -dy / length),
            false => (dx / length, dy / length),
        };
        let half_length = chars as f64 * size * CHAR_WIDTH / 2.0 + 2.0;
        // The text's box across the line, from its baseline: the ascent
        // above, the descent below.
        let (ascent, descent) = (0.8 * size, 0.25 * size);
        for baseline in [-ARROW_LABEL_LIFT, ARROW_LABEL_LIFT + ascent] {
            for along in ALONG {
                let ends = (along * length, (1.0 - along) * length);
                if ends.0 < half_length + 6.0 || ends.1 < half_length + 12.0 {
                    continue; // on the send's dot or under the arrowhead
                }
                let anchor = (from.0 + dx * along, from.1 + dy * along);
                // The box's middle across the line, "up" being the text's.
                let middle = baseline - (ascent - descent) / 2.0;
                let b = LabelBox {
                    centre: (
                        anchor.0 - direction.1 * middle,
                        anchor.1 + direction.0 * middle,
                    ),
                    half_length,
                    half_height: (ascent + descent) / 2.0 + 1.0,
                    direction,
                };
                if self.claim(b) {
                    return Some(AlongArrow { anchor, baseline });
                }
            }
        }
        None
    }
}

/// Where an arrow's label went: the middle of its baseline is `baseline`
/// px across the line from `anchor` (negative: above, as the text reads).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct AlongArrow {
    pub(super) anchor: (f64, f64),
    pub(super) baseline: f64,
}

/// How far above its arrow a label's baseline sits.
const ARROW_LABEL_LIFT: f64 = 5.0;
/// The places along an arrow a label tries, as shares of its length.
const ALONG: [f64; 5] = [0.32, 0.68, 0.5, 0.2, 0.8];

/// How far right of its mark a label starts.
pub(super) const LABEL_GAP: f64 = 11.0;
pub(super) const SHIFTS: &[f64] = &[0.0, -18.0, 18.0, -36.0, 36.0];
