//! What every applet file registers: its name, a one-line summary and its entry point.

use alloc::vec::Vec;

use crate::cli::Env;
use crate::error::Result;

pub struct Applet {
    pub name: &'static str,
    pub summary: &'static str,
    /// Takes the arguments after the applet's name; returns the exit status.
    pub main: fn(args: &[Vec<u8>], env: &Env) -> Result<i32>,
}
