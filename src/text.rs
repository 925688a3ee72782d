//! Bytes as text: the user's words (arguments, /proc names, variables) are bytes, not
//! UTF-8; these read numbers from them and show them in one-line messages.

use alloc::format;
use alloc::string::String;

/// A non-negative decimal of at most nine digits (pids, statuses, counts): no sign, no
/// spaces, nothing that could overflow.
pub fn parse_decimal(digits: &[u8]) -> Option<i32> {
    if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, d| n * 10 + i32::from(d - b'0')))
}

/// Bytes as text for messages: invalid UTF-8 shown as U+FFFD, control characters escaped
/// (`\n`, `\u{1b}`), so that a message stays one line whatever the user typed.
pub fn lossy(bytes: &[u8]) -> String {
    format!("{}", shown(bytes))
}

/// `lossy` without allocating, for log lines on the shutdown path.
pub fn shown(bytes: &[u8]) -> Shown<'_> {
    Shown(bytes)
}

pub struct Shown<'a>(&'a [u8]);

impl core::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                if c.is_control() {
                    for e in c.escape_default() {
                        core::fmt::Write::write_char(f, e)?;
                    }
                } else {
                    core::fmt::Write::write_char(f, c)?;
                }
            }
            if !chunk.invalid().is_empty() {
                core::fmt::Write::write_char(f, char::REPLACEMENT_CHARACTER)?;
            }
        }
        Ok(())
    }
}
