//! Errors as values that carry the exit status they end the process with.

use alloc::string::String;

/// The status for an applet's own failure before its command ran (usage errors included).
pub const CANNOT_START: i32 = 125;
pub const NOT_EXECUTABLE: i32 = 126;
pub const NOT_FOUND: i32 = 127;

#[derive(Debug)]
pub struct Error {
    pub code: i32,
    /// One line naming the problem.
    pub message: String,
}

pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Error { code, message: message.into() }
    }

    /// A usage or setup error of a wrapper applet: 125.
    pub fn usage(message: impl Into<String>) -> Self {
        Error::new(CANNOT_START, message)
    }
}
