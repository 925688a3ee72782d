//! Logging: stderr only, one write per line, `initbox APPLET[PID]: level: message`.
//!
//! PID 1 must never stop on its log: lines are formatted into a buffer on the stack (no
//! allocation, so a log line works when memory has run out) and written without blocking
//! (a stderr pipe nobody reads drops lines instead of stalling the reaper). Dropped lines
//! are counted and the count is said once a line gets through again.

use core::fmt::{Arguments, Write};
use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use crate::sys::{self, Global, LogSink};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Error = 0,
    Warn = 1,
    Info = 2,
    Debug = 3,
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Warn as u8);
static APPLET: Global<&'static str> = Global::new("");
static PID: Global<i32> = Global::new(0);
static SINK: Global<LogSink> = Global::new(LogSink::Unknown);
static DROPPED: AtomicUsize = AtomicUsize::new(0);

/// Longest line written; longer ones are cut and end in "...". Below PIPE_BUF, so a line
/// goes into a pipe whole or not at all.
const LINE_MAX: usize = 1024;

/// Names the running applet in every line from now on, and sets the level from the
/// count of `-v` and `-q` flags.
pub fn start(applet: &'static str, verbose: usize, quiet: usize) {
    let level =
        (Level::Warn as usize).saturating_add(verbose).saturating_sub(quiet).min(Level::Debug as usize);
    LEVEL.store(level as u8, Ordering::Relaxed);
    APPLET.set(applet);
    PID.set(sys::getpid());
}

pub fn enabled(level: Level) -> bool {
    level as u8 <= LEVEL.load(Ordering::Relaxed)
}

pub fn emit(level: Level, args: Arguments) {
    let tag = match level {
        Level::Error => "error: ",
        Level::Warn => "warning: ",
        Level::Info | Level::Debug => "",
    };
    let mut line = Line::new();
    let _ = write!(line, "{}{tag}{args}", Prefix);
    write_line(line.finish());
}

/// `initbox init[1]: `, or `initbox: ` before an applet started logging.
struct Prefix;

impl core::fmt::Display for Prefix {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match APPLET.get() {
            "" => f.write_str("initbox: "),
            applet => write!(f, "initbox {applet}[{}]: ", PID.get()),
        }
    }
}

fn write_line(line: &[u8]) {
    let mut sink = SINK.get();
    if sink == LogSink::Unknown {
        sink = sys::open_log_sink();
        SINK.set(sink);
    }
    let dropped = DROPPED.load(Ordering::Relaxed);
    if dropped > 0 {
        let mut notice = Line::new();
        let _ = write!(notice, "{}warning: {dropped} log lines dropped: stderr was not writable", Prefix);
        if !sys::log_write(sink, notice.finish()) {
            DROPPED.store(dropped.saturating_add(1), Ordering::Relaxed);
            return;
        }
        DROPPED.store(0, Ordering::Relaxed);
    }
    if !sys::log_write(sink, line) {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// One line in a fixed buffer: what does not fit is cut, and the line ends in "...".
pub struct Line {
    buf: [u8; LINE_MAX],
    len: usize,
    cut: bool,
}

impl Line {
    pub fn new() -> Self {
        Line { buf: [0; LINE_MAX], len: 0, cut: false }
    }

    /// The line with its newline.
    pub fn finish(&mut self) -> &[u8] {
        let end: &[u8] = if self.cut { b"...\n" } else { b"\n" };
        let at = self.len.min(LINE_MAX - end.len());
        if let Some(tail) = self.buf.get_mut(at..at + end.len()) {
            tail.copy_from_slice(end);
        }
        self.buf.get(..at + end.len()).unwrap_or_default()
    }
}

impl Default for Line {
    fn default() -> Self {
        Line::new()
    }
}

impl Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        if self.cut {
            // Once cut, nothing more: a shorter piece after it would read as if contiguous.
            return Ok(());
        }
        let room = (LINE_MAX - 4).saturating_sub(self.len);
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        if take < s.len() {
            self.cut = true;
        }
        if let (Some(dst), Some(src)) =
            (self.buf.get_mut(self.len..self.len + take), s.as_bytes().get(..take))
        {
            dst.copy_from_slice(src);
            self.len += take;
        }
        Ok(())
    }
}

// The level is checked before the arguments are evaluated: a debug line in the reap loop
// costs nothing unless -vv asked for it.
#[macro_export]
macro_rules! log_at {
    ($level:expr, $($t:tt)*) => {
        if $crate::log::enabled($level) {
            $crate::log::emit($level, format_args!($($t)*))
        }
    };
}
#[macro_export]
macro_rules! error { ($($t:tt)*) => { $crate::log_at!($crate::log::Level::Error, $($t)*) } }
#[macro_export]
macro_rules! warn { ($($t:tt)*) => { $crate::log_at!($crate::log::Level::Warn, $($t)*) } }
#[macro_export]
macro_rules! info { ($($t:tt)*) => { $crate::log_at!($crate::log::Level::Info, $($t)*) } }
#[macro_export]
macro_rules! debug { ($($t:tt)*) => { $crate::log_at!($crate::log::Level::Debug, $($t)*) } }

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_and_stay_one_line() {
        let mut line = Line::new();
        let long = "é".repeat(2000);
        write!(line, "{long}").unwrap();
        let out = line.finish().to_vec();
        assert!(out.len() <= LINE_MAX && out.ends_with(b"...\n"));
        assert!(core::str::from_utf8(&out).is_ok());
        let mut line = Line::new();
        write!(line, "{}Z", "a".repeat(LINE_MAX)).unwrap();
        assert!(!line.finish().contains(&b'Z'), "nothing after the cut");
        let mut short = Line::new();
        write!(short, "hi").unwrap();
        assert_eq!(short.finish(), b"hi\n");
    }
}
