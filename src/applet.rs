//! What every applet file registers: its name, a one-line summary and its entry point.

use crate::cli::{Args, Env};
use crate::error::Result;

pub struct Applet {
    pub name: &'static str,
    pub summary: &'static str,
    /// Takes the arguments after the applet's name; returns the exit status.
    pub main: fn(args: Args, env: &Env) -> Result<i32>,
}
