//! Durations on the command line: `250ms`, `10s`, `2m`, `1h`; a bare number is seconds.

use alloc::format;
use alloc::string::String;
use core::time::Duration;

use crate::signals::lossy;

pub fn parse(text: &[u8]) -> Result<Duration, String> {
    let bad =
        || format!("bad duration '{}': use e.g. 250ms, 10s, 2m, 1h (a bare number is seconds)", lossy(text));
    let digits = text.iter().take_while(|c| c.is_ascii_digit()).count();
    let (number, unit) = text.split_at(digits);
    if number.is_empty() || number.len() > 12 {
        return Err(bad());
    }
    let n = number.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    let millis_per_unit = match unit {
        b"ms" => 1,
        b"" | b"s" => 1_000,
        b"m" => 60_000,
        b"h" => 3_600_000,
        _ => return Err(bad()),
    };
    n.checked_mul(millis_per_unit).map(Duration::from_millis).ok_or_else(bad)
}

/// `8s`, `250ms`, `2m`: the shortest exact form, for messages.
pub fn show(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(60_000) && ms >= 60_000 {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse(b"250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse(b"10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse(b"10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse(b"2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse(b"1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse(b"0"), Ok(Duration::ZERO));
        for bad in ["", "ten", "10x", "-1", "1.5s", "s", "999999999999999h"] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad}");
        }
        assert_eq!(show(Duration::from_secs(8)), "8s");
        assert_eq!(show(Duration::from_millis(1500)), "1500ms");
    }
}
