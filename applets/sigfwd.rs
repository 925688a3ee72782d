//! sigfwd — duty 2: pass every catchable signal on to the command.

use crate::prelude::*;

pub const APPLET: Applet = Applet {
    name: "sigfwd",
    summary: "forward every signal to a command, its group or its whole tree",
    main,
};

const USAGE: Usage = Usage {
    synopsis: "\
Usage: sigfwd [OPTIONS] [--] COMMAND [ARG...]

Runs COMMAND in its own process group and forwards every catchable signal
to it. Exits with COMMAND's status (128+N if signal N killed it) when
COMMAND exits.
",
    notes: "",
};

#[derive(Default)]
pub(crate) struct Options {
    forward: Forward,
    map: SignalMap,
}

pub(crate) const OPTIONS: [Opt<Options>; 2] = [
    Opt::value(
        "to",
        "child|group|tree",
        |o, text| Forward::parse(text, true).map(|to| o.forward = to),
        "where signals go: the command only, its process\n\
         group (default), or the command and every descendant\n\
         found in /proc, also those that called setsid",
    ),
    Opt::each("map", "FROM:TO", |o, pair| o.map.add(pair), signals::MAP_HELP),
];

fn main(args: Args, env: &Env) -> Result<i32> {
    let Request::Run(parsed) = cli::start("sigfwd", &USAGE, &OPTIONS, args, env, CANNOT_START)? else {
        return Ok(0);
    };
    let supervisor = Supervisor {
        forward: parsed.options.forward,
        map: parsed.options.map,
        subreaper: false,
        ..Supervisor::default()
    };
    Ok(supervisor.run(Some(Command::from_operands(parsed.operands, &parsed.used_env, env)?))?.code())
}
