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

const USAGE: Usage = Usage {
    synopsis: "\
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
",
    notes: "\
Durations: 250ms, 1.5s, 1m30s, 2h; a bare number (0.5) is seconds.
Signals: TERM, SIGTERM, term, 15, RTMIN+3.
The command starts with every signal at its default action and none blocked.
",
};

#[derive(Default)]
pub(crate) struct Options {
    grace: Option<Duration>,
    stop_delay: Option<Duration>,
    forward: Forward,
    map: SignalMap,
    success: Vec<i32>,
    pdeathsig: Option<i32>,
}

pub(crate) const OPTIONS: [Opt<Options>; 6] = [
    Opt::duration(
        "grace",
        |o| &mut o.grace,
        "init's own deadline: that long after the stop signal,\n\
         everything left gets SIGKILL (one log line each)",
    ),
    Opt::duration(
        "stop-delay",
        |o| &mut o.stop_delay,
        "hold a stop signal DUR before forwarding it, so a load\n\
         balancer can stop routing first (a second one goes at\n\
         once); keep delay + grace below the engine's timeout",
    ),
    Opt::value(
        "to",
        "child|group",
        |o, text| Forward::parse(text, false).map(|to| o.forward = to),
        "forward signals to the command's process group\n\
         (default) or to the command only",
    ),
    Opt::each("map", "FROM:TO", |o, pair| o.map.add(pair), signals::MAP_HELP),
    Opt::each(
        "success",
        "CODE",
        |o, text| exit_status(text).map(|code| o.success.push(code)),
        "exit 0 when COMMAND exits with CODE (repeatable)",
    ),
    Opt::signal("pdeathsig", |o| &mut o.pdeathsig, "signal init gets when its parent dies (not as PID 1)"),
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
    let Request::Run(parsed) = cli::start("init", &USAGE, &OPTIONS, args, env, CANNOT_START)? else {
        return Ok(0);
    };
    let options = parsed.options;
    let supervisor = Supervisor {
        forward: options.forward,
        map: options.map,
        pdeathsig: options.pdeathsig,
        ..supervisor(options.grace, options.stop_delay)
    };
    let command = Command::from_operands(parsed.operands, &parsed.used_env, env)?;
    let code = supervisor.run(Some(command))?.code();
    Ok(if options.success.contains(&code) { 0 } else { code })
}

/// `--success` (or tini's `-e`) codes: exit statuses 0-255.
pub fn exit_status(text: &[u8]) -> core::result::Result<i32, String> {
    text::parse_decimal(text)
        .filter(|code| *code <= 255)
        .ok_or_else(|| format!("bad exit status '{}': use 0-255", lossy(text)))
}
