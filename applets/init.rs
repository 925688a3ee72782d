//! init — all four duties of PID 1: forward signals, reap, shut down gracefully, and wait
//! for every process before leaving.

use alloc::vec::Vec;
use core::time::Duration;

use crate::prelude::*;

pub const APPLET: Applet = Applet {
    name: "init",
    summary: "run a command as PID 1: forward, reap, shut down gracefully, wait for all",
    main,
};

const USAGE: &str = "\
Usage: init [OPTIONS] [--] COMMAND [ARG...]

Runs COMMAND as PID 1 should: forwards signals to it, reaps every orphan,
and on SIGTERM/SIGINT or when COMMAND exits, ends everything left with
SIGTERM, then SIGKILL after the grace period. Exits with COMMAND's status
(128+N if a signal N killed it) once no process is left.
When not PID 1, it becomes a child subreaper and does the same for its
descendants.

Options (each also as an environment variable INITBOX_<OPTION>):
  --grace DUR        SIGTERM-to-SIGKILL grace period (default 8s; 0: none)
  --to child|group   forward signals to the command's process group
                     (default) or to the command only
  --map FROM:TO      forward signal FROM as TO; TO=none drops it (repeatable)
  --success CODE     exit 0 when COMMAND exits with CODE (repeatable)
  --pdeathsig SIG    signal init gets when its parent dies (not as PID 1)
  -v, --verbose      log more (repeatable); -q, --quiet: log less
  -h, --help         this text; --version: the version

Durations: 250ms, 1.5s, 1m30s, 2h; a bare number (0.5) is seconds.
Signals: TERM, SIGTERM, term, 15, RTMIN+3.
";

const OPTIONS: [Opt; 5] =
    [value("grace", 0), value("to", 0), values("map", 0), values("success", 0), value("pdeathsig", 0)];

pub const DEFAULT_GRACE: Duration = Duration::from_secs(8);

/// init's duties, for init and its personalities: wait for everything, SIGTERM what is left
/// when the command exits, shut down on TERM/INT, SIGKILL after the grace period.
pub fn supervisor() -> Supervisor {
    Supervisor {
        after: AfterCommand::WaitAll { term_after: Some(Duration::ZERO) },
        stop_signals_shut_down: true,
        grace: DEFAULT_GRACE,
        ..Supervisor::default()
    }
}

fn main(args: &[Vec<u8>], env: &Env) -> Result<i32> {
    let parsed = cli::start("init", USAGE, &OPTIONS, args, env, CANNOT_START)?;
    let supervisor = Supervisor {
        forward: Forward::parse(parsed.last("to"), false)?,
        map: SignalMap::from_pairs(parsed.all("map")).map_err(Error::usage)?,
        grace: parsed
            .last("grace")
            .map(duration::parse)
            .transpose()
            .map_err(Error::usage)?
            .unwrap_or(DEFAULT_GRACE),
        pdeathsig: parsed
            .last("pdeathsig")
            .map(|s| signals::parse(s).ok_or_else(|| Error::usage(signals::bad_signal(s))))
            .transpose()?,
        ..supervisor()
    };
    let success = success_codes(parsed.all("success"), CANNOT_START)?;
    let command = Command::from_operands(&parsed, env)?;
    let code = supervisor.run(Some(command))?.code();
    Ok(if success.contains(&code) { 0 } else { code })
}

/// `--success` (or tini's `-e`) codes: exit statuses 0-255 to report as 0.
pub fn success_codes<'a>(texts: impl Iterator<Item = &'a [u8]>, usage_code: i32) -> Result<Vec<i32>> {
    texts
        .map(|text| {
            sys::parse_decimal(text).filter(|code| *code <= 255).ok_or_else(|| {
                Error::new(usage_code, format!("bad exit status '{}': use 0-255", lossy(text)))
            })
        })
        .collect()
}
