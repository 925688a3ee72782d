//! The applets, one file each, and the tables the dispatcher looks names up in.

pub mod compat;
pub mod init;
pub mod killtree;
pub mod reap;
pub mod sigfwd;
pub mod waitall;

use crate::applet::Applet;

pub const APPLETS: &[Applet] =
    &[init::APPLET, reap::APPLET, sigfwd::APPLET, killtree::APPLET, waitall::APPLET];

/// init under other tools' names and command lines (not listed or installed: link them
/// yourself where an image expects the original).
pub const PERSONALITIES: &[Applet] =
    &[compat::TINI, compat::DOCKER_INIT, compat::DUMB_INIT, compat::CATATONIT, compat::PODMAN_INIT];

/// Each applet's options parsed from the same words (for the property tests).
#[cfg(test)]
pub fn parse_with_each_table(
    args: crate::cli::Args,
    env: &crate::cli::Env,
) -> [Result<(), alloc::string::String>; 5] {
    use crate::cli::parse;
    [
        parse(&init::OPTIONS, args, env).map(drop),
        parse(&reap::OPTIONS, args, env).map(drop),
        parse(&sigfwd::OPTIONS, args, env).map(drop),
        parse(&killtree::OPTIONS, args, env).map(drop),
        parse(&waitall::OPTIONS, args, env).map(drop),
    ]
}
