//! initbox: one static binary with the duties of PID 1, busybox-style. This file only
//! dispatches: by the name it was called by (`/sbin/init`), or by its first argument
//! (`initbox init ...`).
#![cfg_attr(not(test), no_std)]
#![cfg_attr(not(test), no_main)]
// Unit tests run on std, without the no_std runtime that uses some of the core.
#![cfg_attr(test, allow(dead_code))]

extern crate alloc;

mod applet;
mod cli;
mod duration;
mod error;
mod hooks;
mod log;
mod prelude;
mod proc;
#[cfg(test)]
mod robustness;
#[cfg(not(test))]
mod rt;
mod signals;
mod sort;
mod spawn;
mod supervise;
mod sys;
mod text;
mod tree;

mod pidfd;

#[path = "../applets/mod.rs"]
mod applets;

use alloc::format;
use alloc::string::String;

use applet::Applet;
use applets::{APPLETS, PERSONALITIES};
use cli::{Args, Env};
use error::{CANNOT_START, Error, NOT_FOUND};
use sys::CArray;

const USAGE: &str = "\
Usage: initbox APPLET [ARG...]   or   APPLET [ARG...] through a link named APPLET
       initbox --list | --install DIR | --help | --version

One static binary with the duties of PID 1 in a container. Applets:
";

/// The whole program: returns the exit status.
pub fn run(args: CArray, env: CArray) -> i32 {
    signals::ignore_sigpipe();
    let env = Env::new(env);
    let called_as = args.get(0).map(basename).unwrap_or_default();
    let (applet, applet_args) = match find(called_as) {
        Some(applet) => (applet, args.tail(1)),
        None => match multi_call(args) {
            Ok(Dispatch::Applet(applet, applet_args)) => (applet, applet_args),
            Ok(Dispatch::Done(code)) => return code,
            Err(err) => return report("initbox", err),
        },
    };
    match (applet.main)(applet_args, &env) {
        Ok(code) => code,
        Err(err) => report(applet.name, err),
    }
}

/// What `initbox ARG...` asks for.
enum Dispatch {
    Applet(&'static Applet, Args),
    /// Answered by initbox itself (--list, --help, --version, --install): the exit status.
    Done(i32),
}

fn multi_call(args: Args) -> Result<Dispatch, Error> {
    let rest = args.tail(2);
    match args.get(1) {
        None => Err(Error::usage(format!("no applet given; one of: {}", names(", ")))),
        Some(b"--list") => {
            let _ = sys::write_all(1, format!("{}\n", names("\n")).as_bytes());
            Ok(Dispatch::Done(0))
        }
        Some(b"--install") => install(rest).map(Dispatch::Done),
        Some(b"--help" | b"-h") => {
            let mut text = String::from(USAGE);
            for applet in APPLETS {
                text.push_str(&format!("  {:<9} {}\n", applet.name, applet.summary));
            }
            text.push_str("\nPersonalities (init with another tool's command line, under its name):\n");
            for applet in PERSONALITIES {
                text.push_str(&format!("  {:<11} {}\n", applet.name, applet.summary));
            }
            text.push_str("\n'initbox APPLET --help' describes each.\n");
            let _ = sys::write_all(1, text.as_bytes());
            Ok(Dispatch::Done(0))
        }
        Some(b"--version") => {
            let _ =
                sys::write_all(1, format!("initbox {} (commit {})\n", cli::VERSION, cli::COMMIT).as_bytes());
            Ok(Dispatch::Done(0))
        }
        Some(name) => match find(name) {
            Some(applet) => Ok(Dispatch::Applet(applet, rest)),
            None if name.starts_with(b"-") => {
                Err(Error::usage(format!("unknown option '{}' (see --help)", text::lossy(name))))
            }
            None => Err(Error::new(
                NOT_FOUND,
                format!("unknown applet '{}'; one of: {}", text::lossy(name), names(", ")),
            )),
        },
    }
}

/// `--install DIR`: a symbolic link per applet in DIR, to this binary. Works without a
/// shell (`RUN ["/initbox", "--install", "/sbin"]` in a scratch image). The links are
/// relative (`init -> initbox`), so a root staged on the host or in a build stage still
/// works once it is moved or copied whole.
/// Returns 1 if a link could not be made (each failure has its line).
fn install(args: Args) -> Result<i32, Error> {
    let (1, Some(dir)) = (args.len(), args.get(0)) else {
        return Err(Error::usage("--install takes one directory"));
    };
    let binary = sys::readlink(c"/proc/self/exe").map_err(|e| {
        Error::new(
            CANNOT_START,
            format!("cannot find this binary's path in /proc/self/exe: {}", sys::strerror(e)),
        )
    })?;
    // A scratch image has no /sbin to link into: make the directory (one level) if needed.
    let _ = sys::mkdir(&sys::c_string(dir));
    // Both paths canonical, so `..` counts real directories (DIR may be or pass a link).
    let target = match sys::real_dir(&sys::c_string(dir)) {
        Ok(real_dir) => sys::relative_path(&real_dir, &binary),
        Err(_) => binary, // the links cannot be made either: each one says why below
    };
    let mut failed = false;
    for applet in APPLETS {
        let link = sys::c_string(&[dir, b"/", applet.name.as_bytes()].concat());
        if sys::is_symlink(&link) == Ok(true) {
            let _ = sys::unlink(&link);
        }
        if let Err(err) = sys::symlink(&sys::c_string(&target), &link) {
            failed = true;
            let line =
                format!("initbox: cannot link {}: {}\n", text::lossy(link.as_bytes()), sys::strerror(err));
            let _ = sys::write_all(2, line.as_bytes());
        }
    }
    Ok(if failed { 1 } else { 0 })
}

fn find(name: &[u8]) -> Option<&'static Applet> {
    APPLETS.iter().chain(PERSONALITIES).find(|applet| applet.name.as_bytes() == name)
}

/// The applets' names, `separator` between them.
fn names(separator: &str) -> String {
    let mut text = String::new();
    for applet in APPLETS {
        if !text.is_empty() {
            text.push_str(separator);
        }
        text.push_str(applet.name);
    }
    text
}

fn basename(path: &[u8]) -> &[u8] {
    path.rsplit(|&c| c == b'/').next().unwrap_or(path)
}

/// Prints an error as `applet: message` and gives its exit status.
fn report(applet: &str, err: Error) -> i32 {
    let _ = sys::write_all(2, format!("{applet}: {}\n", err.message).as_bytes());
    err.code
}
