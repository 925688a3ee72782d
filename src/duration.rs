//! Durations on the command line, as people write them: `250ms`, `10s`, `1.5s`, `1m30s`,
//! `2h45m`, `1h0m0.5s`; a bare number (`0.25`, `10`) is seconds. Units go from the
//! largest to the smallest (h, m, s, ms), each once; any of them can have a decimal
//! fraction. The resolution is the millisecond: a value with a nonzero part finer than
//! that (`0.0001s`) is an error, not rounded, so that no value silently becomes another
//! (`0.0004s` would be 0, often meaning "no wait").

use alloc::format;
use alloc::string::String;
use core::fmt::Write;
use core::time::Duration;

use crate::text::lossy;

const UNITS: [(&[u8], u64); 4] = [(b"h", 3_600_000), (b"m", 60_000), (b"s", 1_000), (b"ms", 1)];

pub fn parse(text: &[u8]) -> Result<Duration, String> {
    let bad = |why: &str| {
        format!(
            "bad duration '{}': {why}; use e.g. 250ms, 1.5s, 1m30s, 2h (a bare number is seconds)",
            lossy(text)
        )
    };
    if text.is_empty() {
        return Err(bad("empty"));
    }
    if text.starts_with(b"-") {
        return Err(bad("negative"));
    }
    let mut rest = text;
    let mut total = 0u64;
    let mut units_left: &[(&[u8], u64)] = &UNITS;
    while !rest.is_empty() {
        let (number, after) = Number::split(rest).ok_or_else(|| bad("a number must come first"))?;
        let unit_len = after.iter().take_while(|c| c.is_ascii_alphabetic()).count();
        let (unit, after) = after.split_at(unit_len);
        let millis_per_unit = if unit.is_empty() {
            match after.get(..1) {
                Some(next) => return Err(bad(&format!("unexpected '{}'", lossy(next)))),
                None if rest.len() == text.len() => 1_000, // a bare number
                None => return Err(bad("the last number has no unit")),
            }
        } else {
            let (at, &(_, millis)) =
                units_left.iter().enumerate().find(|(_, (name, _))| *name == unit).ok_or_else(|| {
                    if UNITS.iter().any(|(name, _)| *name == unit) {
                        bad("units go from h to m to s to ms, each once")
                    } else {
                        bad(&format!("unknown unit '{}'", lossy(unit)))
                    }
                })?;
            units_left = units_left.get(at + 1..).unwrap_or_default();
            millis
        };
        let millis = number.millis(millis_per_unit).map_err(&bad)?;
        total = total.checked_add(millis).ok_or_else(|| bad("too long"))?;
        rest = after;
    }
    Ok(Duration::from_millis(total))
}

/// `1.5` of `1.5s`: the digits before and after the point.
struct Number<'a> {
    whole: &'a [u8],
    fraction: &'a [u8],
}

impl<'a> Number<'a> {
    /// The number at the start of `text`, and what follows it.
    fn split(text: &'a [u8]) -> Option<(Number<'a>, &'a [u8])> {
        let digits = |t: &[u8]| t.iter().take_while(|c| c.is_ascii_digit()).count();
        let (whole, rest) = text.split_at(digits(text));
        let (fraction, rest) = match rest.strip_prefix(b".") {
            Some(after_point) => after_point.split_at(digits(after_point)),
            None => (&[][..], rest),
        };
        (!whole.is_empty() || !fraction.is_empty()).then_some((Number { whole, fraction }, rest))
    }

    fn millis(&self, per_unit: u64) -> Result<u64, &'static str> {
        let whole =
            self.whole.iter().try_fold(0u64, |n, d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')));
        let whole = whole.and_then(|n| n.checked_mul(per_unit)).ok_or("too long")?;
        // Trailing zeros change nothing. Past 7 significant digits no fraction of an hour
        // (3,600,000 ms = 2^7 * 3^2 * 5^5 ms) is a whole number of milliseconds, and up to
        // there the product below fits a u64.
        let end = self.fraction.iter().rposition(|&d| d != b'0').map_or(0, |i| i + 1);
        let fraction = self.fraction.get(..end).unwrap_or_default();
        if fraction.len() > 7 {
            return Err("finer than a millisecond");
        }
        let scale = 10u64.pow(fraction.len() as u32);
        let numerator = fraction.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')) * per_unit;
        if !numerator.is_multiple_of(scale) {
            return Err("finer than a millisecond");
        }
        whole.checked_add(numerator / scale).ok_or("too long")
    }
}

/// The shortest exact form, which `parse` reads back to the same value: `8s`, `250ms`,
/// `1.5s`, `1m30s`, `2h`, `1h0m0.5s` is printed `1h0.5s`.
pub fn show(d: Duration) -> String {
    // u64 (as parse makes them): formatting a u128 would cost a kilobyte of its own code.
    let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    if ms < 1000 {
        return if ms == 0 { String::from("0s") } else { format!("{ms}ms") };
    }
    let mut out = String::new();
    let (hours, minutes, seconds, millis) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if hours > 0 {
        let _ = write!(out, "{hours}h");
    }
    if minutes > 0 {
        let _ = write!(out, "{minutes}m");
    }
    if millis > 0 {
        let fraction = format!("{millis:03}");
        let _ = write!(out, "{seconds}.{}s", fraction.trim_end_matches('0'));
    } else if seconds > 0 {
        let _ = write!(out, "{seconds}s");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> Result<u64, String> {
        parse(text.as_bytes()).map(|d| d.as_millis() as u64)
    }

    #[test]
    fn units_fractions_and_compounds() {
        for (text, millis) in [
            ("250ms", 250),
            ("10s", 10_000),
            ("10", 10_000),
            ("2m", 120_000),
            ("1h", 3_600_000),
            ("0", 0),
            ("1.5s", 1_500),
            ("0.25", 250),
            (".5", 500),
            ("0.5s", 500),
            ("1m30s", 90_000),
            ("2h45m", 9_900_000),
            ("1h0m0.5s", 3_600_500),
            ("1.5m", 90_000),
            ("0.001s", 1),
            ("1.5000s", 1_500),
            ("1s500ms", 1_500),
            ("2.0ms", 2),
            ("5124095576030h", 5_124_095_576_030 * 3_600_000),
            ("18446744073709551615ms", u64::MAX),
        ] {
            assert_eq!(ms(text), Ok(millis), "{text}");
        }
    }

    #[test]
    fn bad_durations_say_why_in_one_line() {
        for (text, why) in [
            ("", "empty"),
            ("ten", "a number must come first"),
            ("s", "a number must come first"),
            (".s", "a number must come first"),
            ("10x", "unknown unit 'x'"),
            ("-1s", "negative"),
            ("-1", "negative"),
            ("1.2.3s", "unexpected '.'"),
            ("5 s", "unexpected ' '"),
            ("1m30", "the last number has no unit"),
            ("30s1m", "units go from h to m to s to ms, each once"),
            ("1s1s", "units go from h to m to s to ms, each once"),
            ("0.0001s", "finer than a millisecond"),
            ("1.5ms", "finer than a millisecond"),
            ("0.0000000000000000000001h", "finer than a millisecond"),
            ("999999999999999h", "too long"),
            ("18446744073709551616ms", "too long"),
            ("18446744073709551615ms1", "the last number has no unit"),
            ("5124095576030h1h", "units go"),
            ("5124095576030h59m", "too long"),
            ("1\nline", "unexpected '\\n'"),
        ] {
            let err = ms(text).expect_err(text);
            assert!(
                err.starts_with(&format!("bad duration '{}': {why}", lossy(text.as_bytes()))),
                "{text}: {err}"
            );
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn show_prints_what_parse_reads_back() {
        for (millis, text) in [
            (0, "0s"),
            (250, "250ms"),
            (8_000, "8s"),
            (1_500, "1.5s"),
            (1_050, "1.05s"),
            (90_000, "1m30s"),
            (120_000, "2m"),
            (3_600_500, "1h0.5s"),
            (9_900_000, "2h45m"),
        ] {
            assert_eq!(show(Duration::from_millis(millis)), text);
            assert_eq!(ms(text), Ok(millis), "{text}");
        }
    }
}
