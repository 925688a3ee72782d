//! sigfwd — duty 2: pass every catchable signal on to the command.

use crate::prelude::*;

pub const APPLET: Applet = Applet {
    name: "sigfwd",
    summary: "forward every signal to a command, its group or its whole tree",
    main,
};

const USAGE: &str = "\
Usage: sigfwd [OPTIONS] [--] COMMAND [ARG...]

Runs COMMAND in its own process group and forwards every catchable signal
to it. Exits with COMMAND's status (128+N if signal N killed it) when
COMMAND exits.

Options (each also as an environment variable INITBOX_<OPTION>):
  --to child|group|tree  where signals go: the command only, its process
                     group (default), or the command and every descendant
                     found in /proc, also those that called setsid
  --map FROM:TO      forward signal FROM as TO; TO=none drops it (repeatable)
  -v, --verbose      log more (repeatable); -q, --quiet: log less
  -h, --help         this text; --version: the version
";

const OPTIONS: [Opt; 2] = [value("to", 0), values("map", 0)];

fn main(args: Args, env: &Env) -> Result<i32> {
    let parsed = cli::start("sigfwd", USAGE, &OPTIONS, args, env, CANNOT_START)?;
    let supervisor = Supervisor {
        forward: Forward::parse(parsed.last("to"), true)?,
        map: SignalMap::from_pairs(parsed.all("map")).map_err(Error::usage)?,
        subreaper: false,
        ..Supervisor::default()
    };
    Ok(supervisor.run(Some(Command::from_operands(&parsed, env)?))?.code())
}
