//! Logging: stderr only, one write per line, `initbox APPLET[PID]: level: message`.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use core::fmt::Arguments;
use core::sync::atomic::{AtomicPtr, AtomicU8, Ordering};

use crate::sys;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Error = 0,
    Warn = 1,
    Info = 2,
    Debug = 3,
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Warn as u8);
static PREFIX: AtomicPtr<String> = AtomicPtr::new(core::ptr::null_mut());

/// Names the running applet in every line from now on, and sets the level from the
/// count of `-v` and `-q` flags.
pub fn start(applet: &str, verbose: usize, quiet: usize) {
    let level = (Level::Warn as usize + verbose).saturating_sub(quiet).min(Level::Debug as usize);
    LEVEL.store(level as u8, Ordering::Relaxed);
    let prefix = Box::new(format!("initbox {applet}[{}]: ", sys::getpid()));
    // The previous prefix, if any, is leaked: this happens once per process.
    PREFIX.store(Box::leak(prefix), Ordering::Relaxed);
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
    let ptr = PREFIX.load(Ordering::Relaxed);
    let prefix = leaked_prefix(ptr);
    let line = format!("{prefix}{tag}{args}\n");
    // A closed or broken stderr must not stop PID 1: the line is dropped.
    let _ = sys::write_all(2, line.as_bytes());
}

fn leaked_prefix(ptr: *mut String) -> &'static str {
    crate::sys::leaked_str(ptr).unwrap_or("initbox: ")
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
