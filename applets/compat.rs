//! Drop-in personalities: `init` under the names and command lines of tini (also as Docker's
//! `docker-init`), dumb-init and catatonit (also as Podman's `podman-init`). Link initbox
//! under the old name and nothing else changes — except that, as PID 1, it still waits
//! for every descendant (SIGTERM, then SIGKILL after INITBOX_GRACE, default 8s) before
//! exiting, where the originals exit with their child and let the kernel SIGKILL the rest.

use crate::error::{NOT_EXECUTABLE, NOT_FOUND};
use crate::init;
use crate::prelude::*;
use crate::spawn::Grouping;

pub const TINI: Applet = Applet { name: "tini", summary: "init with tini's command line", main: tini };
pub const DOCKER_INIT: Applet =
    Applet { name: "docker-init", summary: "tini, as Docker runs its init", main: docker_init };
pub const DUMB_INIT: Applet =
    Applet { name: "dumb-init", summary: "init with dumb-init's command line", main: dumb_init };
pub const CATATONIT: Applet =
    Applet { name: "catatonit", summary: "init with catatonit's command line", main: catatonit };
pub const PODMAN_INIT: Applet =
    Applet { name: "podman-init", summary: "catatonit, as Podman runs its init", main: podman_init };

/// What the originals exit with when their own command line is wrong.
const USAGE_ERROR: i32 = 1;

const MORE: &str = "
initbox as PID 1 also waits for every descendant before it exits: what is
left when the command exits gets SIGTERM, then SIGKILL after INITBOX_GRACE
(default 8s). The originals exit with their child and leave the rest to the
kernel's SIGKILL.
";

const TINI_USAGE: &str = "\
tini (initbox, tini personality)
Usage: tini [OPTIONS] PROGRAM -- [ARGS] | --version

Execute a program under the supervision of a valid init process.

Command line options:

  --version: Show version and exit.
  -h: Show this help message and exit.
  -s: Register as a process subreaper (initbox always does when not PID 1).
  -p SIGNAL: Trigger SIGNAL when parent dies, e.g. \"-p SIGKILL\".
  -v: Generate more verbose output. Repeat up to 3 times.
  -w: Print a warning when processes are getting reaped.
  -g: Send signals to the child's process group.
  -e EXIT_CODE: Remap EXIT_CODE (from 0 to 255) to 0 (repeatable).
  -l: Show license and exit.

Environment variables:

  TINI_SUBREAPER: Register as a process subreaper.
  TINI_VERBOSITY: Set the verbosity level (default: 1).
  TINI_KILL_PROCESS_GROUP: Send signals to the child's process group.
  INITBOX_GRACE: SIGTERM-to-SIGKILL grace for what is left (default 8s).
";

const TINI_OPTIONS: [Opt; 9] = [
    flag("version", 0),
    flag("help", b'h'),
    flag("subreaper", b's'),
    value("pdeathsig", b'p'),
    flag("verbose", b'v'),
    flag("warn-on-reap", b'w'),
    flag("group", b'g'),
    values("remap", b'e'),
    flag("license", b'l'),
];

const LICENSE: &str = "initbox is licensed under the MIT or the Apache-2.0 license, at your option.\n";

fn tini(args: Args, env: &Env) -> Result<i32> {
    tini_as("tini", args, env)
}

fn docker_init(args: Args, env: &Env) -> Result<i32> {
    tini_as("docker-init", args, env)
}

fn tini_as(name: &'static str, args: Args, env: &Env) -> Result<i32> {
    let parsed = foreign(name, &TINI_OPTIONS, args)?;
    // The form `docker info` parses, "tini version X - git.COMMIT", where it shows COMMIT
    // only if it has no '.' (so the commit, not initbox's dotted version).
    let version = format!("tini version 0.19.0 - git.initbox-{}\n", cli::COMMIT);
    if let Some(answered) = answer_info(&parsed, TINI_USAGE, &version) {
        return answered;
    }
    let verbosity = env.get(b"TINI_VERBOSITY").and_then(sys::parse_decimal).unwrap_or(1) as usize;
    let verbosity = verbosity + parsed.count("verbose");
    crate::log::start(name, verbosity.saturating_sub(1), usize::from(verbosity == 0));
    let to_group = parsed.count("group") > 0 || env.get(b"TINI_KILL_PROCESS_GROUP").is_some();
    let supervisor = Supervisor {
        forward: if to_group { Forward::Group } else { Forward::Child },
        pdeathsig: parsed.last("pdeathsig").map(signal).transpose()?,
        warn_on_reap: parsed.count("warn-on-reap") > 0,
        ..init_supervisor(env)?
    };
    let success = init::success_codes(parsed.all("remap"), USAGE_ERROR)?;
    let code = run_as_init(&supervisor, &parsed, env, Grouping::OwnGroup, |e| e)?;
    Ok(if success.contains(&code) { 0 } else { code })
}

const DUMB_INIT_USAGE: &str = "\
dumb-init (initbox, dumb-init personality)
Usage: dumb-init [option] command [[arg] ...]

A simple process supervisor that forwards signals to children.
It is designed to run as PID1 in minimal container environments.

Optional arguments:
   -c, --single-child   Run in single-child mode.
                        In this mode, signals are only proxied to the
                        direct child and not any of its descendants.
   -r, --rewrite s:r    Rewrite received signal s to new signal r before proxying.
                        To ignore (not proxy) a signal, rewrite it to 0.
                        This option can be specified multiple times.
   -v, --verbose        Print debugging information to stderr.
   -h, --help           Print this help message and exit.
   -V, --version        Print the current version and exit.

Environment: DUMB_INIT_SETSID=0 (as -c), DUMB_INIT_DEBUG=1 (as -v),
INITBOX_GRACE (SIGTERM-to-SIGKILL grace for what is left, default 8s).
By default the command runs in a session of its own (with stdin's terminal
as its controlling terminal), signals go to its whole process group, and
SIGTSTP/SIGTTIN/SIGTTOU are sent on as SIGSTOP, after which dumb-init stops
itself too (when it is not PID 1), as a shell job would.
";

const DUMB_INIT_OPTIONS: [Opt; 5] = [
    flag("single-child", b'c'),
    values("rewrite", b'r'),
    flag("verbose", b'v'),
    flag("help", b'h'),
    flag("version", b'V'),
];

fn dumb_init(args: Args, env: &Env) -> Result<i32> {
    let parsed = foreign("dumb-init", &DUMB_INIT_OPTIONS, args)?;
    let version = format!("dumb-init v1.2.5 (initbox {})\n", cli::VERSION);
    if let Some(answered) = answer_info(&parsed, DUMB_INIT_USAGE, &version) {
        return answered;
    }
    let debug = parsed.count("verbose") > 0 || env.get(b"DUMB_INIT_DEBUG") == Some(b"1");
    crate::log::start("dumb-init", if debug { 2 } else { 0 }, 0);
    let setsid = parsed.count("single-child") == 0 && env.get(b"DUMB_INIT_SETSID") != Some(b"0");
    let mut map = SignalMap::default();
    if setsid {
        for tty_signal in ["TSTP:STOP", "TTIN:STOP", "TTOU:STOP"] {
            map.add(tty_signal.as_bytes()).map_err(usage)?;
        }
    }
    for rewrite in parsed.all("rewrite") {
        // dumb-init's numbers only; 0 drops the signal.
        let pair = match rewrite.strip_suffix(b":0") {
            Some(from) => [from, b":none"].concat(),
            None => rewrite.to_vec(),
        };
        map.add(&pair).map_err(usage)?;
    }
    let supervisor = Supervisor {
        forward: if setsid { Forward::Group } else { Forward::Child },
        map,
        stop_with_tty_signals: setsid,
        ..init_supervisor(env)?
    };
    let grouping = if setsid { Grouping::OwnSession } else { Grouping::Inherit };
    // dumb-init exits 2 when it cannot exec the command.
    run_as_init(&supervisor, &parsed, env, grouping, |e| Error::new(2, e.message))
}

const CATATONIT_USAGE: &str = "\
usage: catatonit [-ghLPV] [--] <progname> [<arguments>...]

options:
  -g              Forward signals to pid1's process group.
  -h              Print this help page.
  -L              Print license information.
  -P              Run in pause mode (no program is run and quit on SIGINT).
  -V, --version   Print version information.

(initbox, catatonit personality; also answers as podman-init.)
INITBOX_GRACE: SIGTERM-to-SIGKILL grace for what is left (default 8s).
";

const CATATONIT_OPTIONS: [Opt; 5] = [
    flag("group", b'g'),
    flag("help", b'h'),
    flag("license", b'L'),
    flag("pause", b'P'),
    flag("version", b'V'),
];

fn catatonit(args: Args, env: &Env) -> Result<i32> {
    catatonit_as("catatonit", args, env)
}

fn podman_init(args: Args, env: &Env) -> Result<i32> {
    catatonit_as("podman-init", args, env)
}

fn catatonit_as(name: &'static str, args: Args, env: &Env) -> Result<i32> {
    let parsed = foreign(name, &CATATONIT_OPTIONS, args)?;
    let version = format!("catatonit v0.1.7 (initbox {})\n", cli::VERSION);
    if let Some(answered) = answer_info(&parsed, CATATONIT_USAGE, &version) {
        return answered;
    }
    crate::log::start(name, 0, 0);
    let supervisor = Supervisor {
        forward: if parsed.count("group") > 0 { Forward::Group } else { Forward::Child },
        ..init_supervisor(env)?
    };
    if parsed.count("pause") > 0 {
        return Ok(supervisor.run(None)?.code());
    }
    // catatonit exits 1 when it cannot exec the command.
    run_as_init(&supervisor, &parsed, env, Grouping::OwnGroup, |e| Error::new(1, e.message))
}

/// Parses another tool's command line; its usage errors exit 1, as the originals do.
fn foreign(name: &str, opts: &[Opt], args: Args) -> Result<Parsed> {
    cli::parse_foreign(opts, args).map_err(|msg| Error::new(USAGE_ERROR, format!("{msg} (see '{name} -h')")))
}

/// Runs the command as init does; `exec_failure` turns initbox's 126/127 into the
/// original's status for a command that cannot be run.
fn run_as_init(
    supervisor: &Supervisor,
    parsed: &Parsed,
    env: &Env,
    group: Grouping,
    exec_failure: impl Fn(Error) -> Error,
) -> Result<i32> {
    let mut command = Command::from_operands(parsed, env).map_err(|e| Error::new(USAGE_ERROR, e.message))?;
    command.env = env.for_child(&OWN_VARIABLES);
    command.group = group;
    match supervisor.run(Some(command)) {
        Ok(status) => Ok(status.code()),
        Err(err) if matches!(err.code, NOT_FOUND | NOT_EXECUTABLE) => Err(exec_failure(err)),
        Err(err) => Err(Error::new(USAGE_ERROR, err.message)),
    }
}

/// init's supervisor, with initbox's own INITBOX_GRACE and INITBOX_STOP_DELAY.
fn init_supervisor(env: &Env) -> Result<Supervisor> {
    let option = |name: &[u8]| env.get(name).map(duration::parse).transpose().map_err(usage);
    Ok(init::supervisor(option(b"INITBOX_GRACE")?, option(b"INITBOX_STOP_DELAY")?))
}

/// The variables a personality reads for itself, kept from the command (as init does).
const OWN_VARIABLES: [&[u8]; 2] = [b"INITBOX_GRACE", b"INITBOX_STOP_DELAY"];

fn signal(text: &[u8]) -> Result<i32> {
    signals::parse(text).ok_or_else(|| usage(signals::bad_signal(text)))
}

fn usage(msg: String) -> Error {
    Error::new(USAGE_ERROR, msg)
}

/// `-h`, the version and the license, where asked for (None: run as init).
fn answer_info(parsed: &Parsed, usage: &str, version: &str) -> Option<Result<i32>> {
    if parsed.count("help") > 0 {
        Some(print(&format!("{usage}{MORE}")))
    } else if parsed.count("version") > 0 {
        Some(print(version))
    } else if parsed.count("license") > 0 {
        Some(print(LICENSE))
    } else {
        None
    }
}

fn print(text: &str) -> Result<i32> {
    let _ = sys::write_all(1, text.as_bytes());
    Ok(0)
}
