//! reap — duty 3: wait() on every child and adopted orphan. With no command, a pause
//! process for a pod or a shared PID namespace.

use crate::prelude::*;

pub const APPLET: Applet =
    Applet { name: "reap", summary: "reap every orphan; with no command, a pause process", main };

const USAGE: &str = "\
Usage: reap [OPTIONS] [--] [COMMAND [ARG...]]

Becomes a child subreaper (unless PID 1), runs COMMAND, reaps every child
and adopted orphan as it exits, passes signals on to COMMAND's process group
and exits with COMMAND's status as soon as COMMAND exits. Processes still
running then are re-parented further up (waiting for them is waitall's job).

With no COMMAND it is a pause process: it reaps forever and exits 0 on
SIGTERM or SIGINT.

Options (each also as an environment variable INITBOX_<OPTION>):
  --map FROM:TO      forward signal FROM as TO; TO=none drops it (repeatable)
  -v, --verbose      log more (repeatable); -q, --quiet: log less
  -h, --help         this text; --version: the version
";

const OPTIONS: [Opt; 1] = [values("map", 0)];

fn main(args: Args, env: &Env) -> Result<i32> {
    let parsed = cli::start("reap", USAGE, &OPTIONS, args, env, CANNOT_START)?;
    let supervisor = Supervisor {
        map: SignalMap::from_pairs(parsed.all("map")).map_err(Error::usage)?,
        ..Supervisor::default()
    };
    let command = if parsed.operands.is_empty() { None } else { Some(Command::from_operands(&parsed, env)?) };
    Ok(supervisor.run(command)?.code())
}
