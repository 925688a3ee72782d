//! reap — duty 3: wait() on every child and adopted orphan. With no command, a pause
//! process for a pod or a shared PID namespace.

use crate::prelude::*;

pub const APPLET: Applet =
    Applet { name: "reap", summary: "reap every orphan; with no command, a pause process", main };

const USAGE: Usage = Usage {
    synopsis: "\
Usage: reap [OPTIONS] [--] [COMMAND [ARG...]]

Becomes a child subreaper (unless PID 1), runs COMMAND, reaps every child
and adopted orphan as it exits, passes signals on to COMMAND's process group
and exits with COMMAND's status as soon as COMMAND exits. Processes still
running then are re-parented further up (waiting for them is waitall's job).

With no COMMAND it is a pause process: it reaps forever and exits 0 on
SIGTERM or SIGINT.
",
    notes: "",
};

#[derive(Default)]
pub(crate) struct Options {
    map: SignalMap,
}

pub(crate) const OPTIONS: [Opt<Options>; 1] =
    [Opt::each("map", "FROM:TO", |o, pair| o.map.add(pair), signals::MAP_HELP)];

fn main(args: Args, env: &Env) -> Result<i32> {
    let Request::Run(parsed) = cli::start("reap", &USAGE, &OPTIONS, args, env, CANNOT_START)? else {
        return Ok(0);
    };
    let supervisor = Supervisor { map: parsed.options.map, ..Supervisor::default() };
    let command = if parsed.operands.is_empty() {
        None
    } else {
        Some(Command::from_operands(parsed.operands, &parsed.used_env, env)?)
    };
    Ok(supervisor.run(command)?.code())
}
