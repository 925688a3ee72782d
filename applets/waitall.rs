//! waitall — duty 4: wait for every descendant before leaving; or wait for any pids.

use core::time::Duration;

use crate::pidfd;
use crate::prelude::*;

pub const APPLET: Applet =
    Applet { name: "waitall", summary: "wait for every descendant of a command, or for any pids", main };

const USAGE: Usage = Usage {
    synopsis: "\
Usage: waitall [OPTIONS] [--] COMMAND [ARG...]
       waitall [--timeout DUR] -p PID [PID...]

Runs COMMAND as a child subreaper, passes signals on to it, and when it
exits waits for every descendant to exit too (also those that detached or
called setsid). With --timeout, the processes still running that long after
COMMAND's exit get SIGTERM, then SIGKILL after --grace. Exits with COMMAND's
status.

With -p, waits for the given processes, children or not, to exit.
Exit status: 0 all exited, 1 a pid did not exist, 2 usage, 124 timed out.
",
    notes: "Durations: 250ms, 1.5s, 1m30s, 2h; a bare number (0.5) is seconds.\n",
};

#[derive(Default)]
pub(crate) struct Options {
    timeout: Option<Duration>,
    grace: Option<Duration>,
    pids: bool,
}

const TIMEOUT: Opt<Options> = Opt::duration(
    "timeout",
    |o| &mut o.timeout,
    "how long to wait after COMMAND exits (default: forever;\n\
     0: forever too), or for the pids",
);
const GRACE_HELP: &str = "SIGTERM-to-SIGKILL grace after the timeout (default 8s)";
const PIDS: Opt<Options> =
    Opt { short: b'p', ..Opt::flag("pids", |o| &mut o.pids, "the operands are pids to wait for") };

pub(crate) const OPTIONS: [Opt<Options>; 3] =
    [TIMEOUT, Opt::duration("grace", |o| &mut o.grace, GRACE_HELP), PIDS];

/// With -p nothing is signalled, so there is no grace: --grace is accepted and not read,
/// and neither is INITBOX_GRACE (init's variable too, which may be set for another use).
const PID_OPTIONS: [Opt<Options>; 3] = [TIMEOUT, Opt::value("grace", "DUR", |_, _| Ok(()), GRACE_HELP), PIDS];

const DEFAULT_GRACE: Duration = Duration::from_secs(8);
const USAGE_ERROR: i32 = 2;
const TIMED_OUT: i32 = 124;

fn main(args: Args, env: &Env) -> Result<i32> {
    // Usage errors of the -p form are status 2, as for killtree; of the wrapper form, 125.
    let pid_mode = asks_for_pids(args) || env.get(b"INITBOX_PIDS").is_some_and(|v| cli::flag_count(v) > 0);
    let (usage_code, table) = if pid_mode { (USAGE_ERROR, &PID_OPTIONS) } else { (CANNOT_START, &OPTIONS) };
    let Request::Run(parsed) = cli::start("waitall", &USAGE, table, args, env, usage_code)? else {
        return Ok(0);
    };
    let options = parsed.options;
    let timeout = options.timeout.filter(|t| !t.is_zero());
    if options.pids {
        signals::restore_start_mask();
        return wait_for_pids(parsed.operands, timeout);
    }
    let supervisor = Supervisor {
        after: AfterCommand::WaitAll { stop_after: timeout },
        grace: Some(options.grace.unwrap_or(DEFAULT_GRACE)).filter(|g| !g.is_zero()),
        ..Supervisor::default()
    };
    Ok(supervisor.run(Some(Command::from_operands(parsed.operands, &parsed.used_env, env)?))?.code())
}

/// Whether the options (only they: the command's own words are not looked at) ask for
/// `-p`, before they are parsed, so that a usage error gets the right status.
fn asks_for_pids(args: Args) -> bool {
    let mut words = args.iter();
    while let Some(word) = words.next() {
        match word {
            b"--" => return false,
            b"-p" | b"--pids" => return true,
            b"--timeout" | b"--grace" => {
                words.next();
            }
            _ if word.starts_with(b"--") => {}
            _ if word.starts_with(b"-") && word.len() > 1 => {
                if word.contains(&b'p') {
                    return true;
                }
            }
            _ => return false,
        }
    }
    false
}

fn wait_for_pids(operands: Args, timeout: Option<Duration>) -> Result<i32> {
    if operands.is_empty() {
        return Err(Error::new(USAGE_ERROR, "-p needs at least one pid"));
    }
    // Past the descriptor limit, the rest are held by pid and start time: all are waited for.
    pidfd::use_all_descriptors();
    let (targets, missing) = pidfd::hold_operands(operands.iter(), sys::getpid(), USAGE_ERROR)?;
    let all_exited = pidfd::wait_exited(&targets, timeout)
        .map_err(|err| Error::new(1, format!("cannot wait for the pids: {}", sys::strerror(err))))?;
    Ok(match (all_exited, missing) {
        (false, _) => TIMED_OUT,
        (true, true) => 1,
        (true, false) => 0,
    })
}
