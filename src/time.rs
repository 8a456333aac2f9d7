//! Simulated time: integer nanoseconds, never the wall clock.
//!
//! One type, [`SimTime`], serves for instants (time since the run began) and
//! for spans between them, as in most discrete-event simulators: arithmetic
//! saturates rather than wrapping, so a skewed clock or a late timer can
//! never wrap around to the far future.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Nanoseconds of simulated time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);
    pub const NS: u64 = 1;
    pub const US: u64 = 1_000;
    pub const MS: u64 = 1_000_000;
    pub const S: u64 = 1_000_000_000;
    pub const MIN: u64 = 60 * Self::S;

    pub const fn from_nanos(ns: u64) -> SimTime {
        SimTime(ns)
    }
    pub const fn from_micros(us: u64) -> SimTime {
        SimTime(us.saturating_mul(Self::US))
    }
    pub const fn from_millis(ms: u64) -> SimTime {
        SimTime(ms.saturating_mul(Self::MS))
    }
    pub const fn from_secs(s: u64) -> SimTime {
        SimTime(s.saturating_mul(Self::S))
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / Self::MS as f64
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / Self::S as f64
    }
    /// From a float count of nanoseconds (a sampled latency), rounded and
    /// clamped to the representable range; NaN maps to zero.
    pub fn from_nanos_f64(ns: f64) -> SimTime {
        if ns.is_nan() || ns <= 0.0 {
            SimTime::ZERO
        } else if ns >= i64::MAX as f64 {
            // Past 2^52 every float is an integer: nothing to round.
            SimTime(ns as u64)
        } else {
            // `ns.round()`, half away from zero, without the library call
            // it compiles to on baseline x86-64: the cast truncates, and
            // the fraction is exact (below 2^52 a float keeps its integer
            // part's bits). Through i64, which x86-64 converts to and from
            // a float in one instruction each where u64 takes several.
            // Added as a 0 or 1 rather than branched on: the fraction of
            // a random delay is a coin toss the CPU cannot predict.
            let whole = ns as i64;
            SimTime((whole + i64::from(ns - whole as f64 >= 0.5)) as u64)
        }
    }
    pub const fn saturating_sub(self, other: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(other.0))
    }
    /// Shifts by a signed offset (clock skew), saturating at both ends.
    pub const fn offset_by(self, offset_ns: i64) -> SimTime {
        SimTime(self.0.saturating_add_signed(offset_ns))
    }
}

impl Add for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign for SimTime {
    fn add_assign(&mut self, rhs: SimTime) {
        *self = *self + rhs;
    }
}

impl Sub for SimTime {
    type Output = SimTime;
    fn sub(self, rhs: SimTime) -> SimTime {
        self.saturating_sub(rhs)
    }
}

/// Shortest exact human form with a unit: `0s`, `250us`, `1.5s`, `2ms`.
/// It parses back with [`parse_duration`] to the same value.
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        if ns == 0 {
            return f.write_str("0s");
        }
        for (unit, scale) in [("s", Self::S), ("ms", Self::MS), ("us", Self::US)] {
            if ns >= scale {
                let whole = ns / scale;
                let frac = ns % scale;
                if frac == 0 {
                    return write!(f, "{whole}{unit}");
                }
                // Up to three decimals keeps the form short and exact when
                // the remainder is a multiple of a thousandth of the unit.
                if frac % (scale / 1000).max(1) == 0 && scale >= 1000 {
                    let milli = frac / (scale / 1000);
                    let s = format!("{milli:03}");
                    return write!(f, "{whole}.{}{unit}", s.trim_end_matches('0'));
                }
            }
        }
        write!(f, "{ns}ns")
    }
}

/// Why a duration string did not parse; the message names the fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurationError(pub String);

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses `"250us"`, `"2ms"`, `"1.5s"`, `"2min"`, `"10ns"`. A unit is
/// required: a bare number is ambiguous, so it is an error that says so.
pub fn parse_duration(text: &str) -> Result<SimTime, DurationError> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let unit = unit.trim();
    if num.is_empty() {
        return Err(DurationError(format!(
            "`{text}` is not a duration: expected a number with a unit, like \"250ms\""
        )));
    }
    let scale = match unit {
        "ns" => SimTime::NS,
        "us" | "µs" => SimTime::US,
        "ms" => SimTime::MS,
        "s" => SimTime::S,
        "min" | "m" => SimTime::MIN,
        "h" => 60 * SimTime::MIN,
        "" => {
            return Err(DurationError(format!(
                "`{text}` has no unit: write \"{num}ms\" or \"{num}s\" (units: ns, us, ms, s, min)"
            )));
        }
        other => {
            return Err(DurationError(format!(
                "unknown unit `{other}` in `{text}` (units: ns, us, ms, s, min)"
            )));
        }
    };
    let clean: String = num.chars().filter(|&c| c != '_').collect();
    let value: f64 = clean
        .parse()
        .map_err(|_| DurationError(format!("`{num}` in `{text}` is not a number")))?;
    let ns = value * scale as f64;
    if !ns.is_finite() || ns > 1e18 {
        return Err(DurationError(format!(
            "`{text}` is too long (at most about 31 years of simulated time)"
        )));
    }
    Ok(SimTime::from_nanos_f64(ns))
}

/// A rate such as `"2000/s"` or `"1/10s"`: `count` events per `per`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    pub count: f64,
    pub per: SimTime,
}

impl Rate {
    pub fn per_second(&self) -> f64 {
        if self.per.0 == 0 {
            0.0
        } else {
            self.count / self.per.as_secs_f64()
        }
    }
    /// Mean time between events, or `None` for a zero rate.
    pub fn mean_interval(&self) -> Option<SimTime> {
        (self.count > 0.0).then(|| SimTime::from_nanos_f64(self.per.0 as f64 / self.count))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.per == SimTime::from_secs(1) {
            write!(f, "{}/s", self.count)
        } else {
            write!(f, "{}/{}", self.count, self.per)
        }
    }
}

/// Parses `"2000/s"`, `"1/10s"`, `"30/min"`.
pub fn parse_rate(text: &str) -> Result<Rate, DurationError> {
    let Some((count, per)) = text.split_once('/') else {
        return Err(DurationError(format!(
            "`{text}` is not a rate: write a count per unit of time, like \"2000/s\" or \"1/10s\""
        )));
    };
    let count: f64 =
        count.trim().replace('_', "").parse().map_err(|_| {
            DurationError(format!("`{count}` in `{text}` is not a number of events"))
        })?;
    if !(count.is_finite() && count >= 0.0) {
        return Err(DurationError(format!(
            "`{text}`: the count must be zero or more"
        )));
    }
    let per = per.trim();
    let per = if per.starts_with(|c: char| c.is_ascii_digit()) {
        parse_duration(per)?
    } else {
        parse_duration(&format!("1{per}"))?
    };
    if per == SimTime::ZERO {
        return Err(DurationError(format!(
            "`{text}`: the period must be longer than zero"
        )));
    }
    Ok(Rate { count, per })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_nanoseconds_round_half_up_and_clamp_over_the_whole_range() {
        let cases = [
            (f64::NAN, 0),
            (-3.0, 0),
            (0.0, 0),
            (0.49, 0),
            (0.5, 1),
            (1_000_000.499_9, 1_000_000),
            (1_000_000.5, 1_000_001),
            // Above 2^52 every float is an integer.
            (4_503_599_627_370_497.0, 4_503_599_627_370_497),
            // Either side of 2^63, where the fast path hands over.
            (9_223_372_036_854_774_784.0, 9_223_372_036_854_774_784),
            (9_223_372_036_854_775_808.0, 9_223_372_036_854_775_808),
            (18_446_744_073_709_549_568.0, 18_446_744_073_709_549_568),
            (u64::MAX as f64, u64::MAX),
            (f64::INFINITY, u64::MAX),
        ];
        for (ns, expected) in cases {
            assert_eq!(SimTime::from_nanos_f64(ns), SimTime(expected), "{ns}");
            if ns.is_finite() && ns >= 0.0 && ns < u64::MAX as f64 {
                assert_eq!(SimTime::from_nanos_f64(ns).0, ns.round() as u64, "{ns}");
            }
        }
    }

    #[test]
    fn durations_need_units_and_parse_exactly() {
        assert_eq!(parse_duration("250us"), Ok(SimTime::from_micros(250)));
        assert_eq!(parse_duration("1.5s"), Ok(SimTime::from_millis(1500)));
        assert_eq!(parse_duration("2min"), Ok(SimTime::from_secs(120)));
        assert_eq!(parse_duration("10_000ns"), Ok(SimTime(10_000)));
        assert!(parse_duration("30").unwrap_err().0.contains("no unit"));
        assert!(
            parse_duration("3 parsecs")
                .unwrap_err()
                .0
                .contains("unknown unit")
        );
        assert!(parse_duration("ms").is_err());
    }

    #[test]
    fn display_round_trips() {
        for ns in [
            0,
            1,
            999,
            1_000,
            250_000,
            1_500_000_000,
            2_000_000,
            1_234_567,
            61 * SimTime::S,
        ] {
            let t = SimTime(ns);
            assert_eq!(parse_duration(&t.to_string()), Ok(t), "{t}");
        }
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("2000/s").unwrap().per_second(), 2000.0);
        assert_eq!(parse_rate("1/10s").unwrap().per_second(), 0.1);
        assert_eq!(parse_rate("30/min").unwrap().per_second(), 0.5);
        assert!(parse_rate("2000").is_err());
        assert!(parse_rate("5/0s").is_err());
    }

    #[test]
    fn skew_saturates() {
        assert_eq!(SimTime(5).offset_by(-10), SimTime::ZERO);
        assert_eq!(SimTime::MAX.offset_by(10), SimTime::MAX);
    }
}
