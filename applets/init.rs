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
and shuts down gracefully: every process gets the stop signal once, and
init exits with COMMAND's status (128+N if a signal N killed it) once no
process is left. When not PID 1, it becomes a child subreaper and does the
same for its descendants.

The shutdown starts on SIGTERM/SIGINT (forwarded to COMMAND's group, after
--map) or when COMMAND exits; then every process left that has not had the
stop signal gets it. Stopped from outside, the engine's timeout is the
deadline: init sends no SIGKILL of its own unless --grace is set, and names
who it waits for 5s after the stop signal, then every 10s. When COMMAND
exits by itself, what is left gets the grace period (default 10s), then
SIGKILL.

Options (each also as an environment variable INITBOX_<OPTION>):
  --grace DUR        init's own deadline: that long after the stop signal,
                     everything left gets SIGKILL (one log line each)
  --stop-delay DUR   hold a stop signal DUR before forwarding it, so a load
                     balancer can stop routing first (a second one goes at
                     once); keep delay + grace below the engine's timeout
  --to child|group   forward signals to the command's process group
                     (default) or to the command only
  --map FROM:TO      forward signal FROM as TO; TO=none drops it (repeatable)
  --success CODE     exit 0 when COMMAND exits with CODE (repeatable)
  --pdeathsig SIG    signal init gets when its parent dies (not as PID 1)
  -v, --verbose      log more (repeatable); -q, --quiet: log less
  -h, --help         this text; --version: the version

Durations: 250ms, 1.5s, 1m30s, 2h; a bare number (0.5) is seconds.
Signals: TERM, SIGTERM, term, 15, RTMIN+3.
The command starts with every signal at its default action and none blocked.
";

const OPTIONS: [Opt; 6] = [
    value("grace", 0),
    value("stop-delay", 0),
    value("to", 0),
    values("map", 0),
    values("success", 0),
    value("pdeathsig", 0),
];

/// The grace for what is left when the command exits by itself (nothing outside bounds it).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

/// init's duties, for init and its personalities: wait for everything, the stop signal to
/// what is left when the command exits, shut down on TERM/INT. `grace`: an explicit
/// deadline (--grace, INITBOX_GRACE), which also bounds a stop asked from outside.
pub fn supervisor(grace: Option<Duration>, stop_delay: Option<Duration>) -> Supervisor {
    Supervisor {
        after: AfterCommand::WaitAll { stop_after: Some(Duration::ZERO) },
        stop_signals_shut_down: true,
        // 0 means none: no deadline of init's own at all.
        stop_grace: grace.filter(|g| !g.is_zero()),
        grace: match grace {
            None => Some(DEFAULT_GRACE),
            Some(g) => Some(g).filter(|g| !g.is_zero()),
        },
        stop_delay: stop_delay.unwrap_or_default(),
        ..Supervisor::default()
    }
}

fn main(args: Args, env: &Env) -> Result<i32> {
    let parsed = cli::start("init", USAGE, &OPTIONS, args, env, CANNOT_START)?;
    let duration_option =
        |name: &str| parsed.last(name).map(duration::parse).transpose().map_err(Error::usage);
    let supervisor = Supervisor {
        forward: Forward::parse(parsed.last("to"), false)?,
        map: SignalMap::from_pairs(parsed.all("map")).map_err(Error::usage)?,
        pdeathsig: parsed
            .last("pdeathsig")
            .map(|s| signals::parse(s).ok_or_else(|| Error::usage(signals::bad_signal(s))))
            .transpose()?,
        ..supervisor(duration_option("grace")?, duration_option("stop-delay")?)
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
