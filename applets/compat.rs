//! Drop-in personalities: `init` under the names and command lines of tini (also as Docker's
//! `docker-init`), dumb-init and catatonit (also as Podman's `podman-init`). Each behaves as
//! the original where the original defines behaviour: command line (glibc getopt's parsing
//! and messages), help, version, log and error lines byte for byte, exit statuses, which
//! signals go where. Measured by the originals' own test suites (tests/conformance/run.py).
//! initbox's one addition: as PID 1, what is left when the command exits gets SIGTERM and a
//! grace period (INITBOX_GRACE, as init's --grace) before SIGKILL, where the originals exit with
//! their child and the kernel SIGKILLs the rest. Not PID 1, what is left is left alone.

use crate::cli::ChildEnv;
use core::cell::Cell;
use core::fmt::{self, Write as _};
use core::time::Duration;

use crate::applets::init;
use crate::error::{NOT_EXECUTABLE, NOT_FOUND};
use crate::hooks::Hooks;
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

// ------------------------------------------------------------------------------ tini

const TINI_VERSION: &str = "0.19.0";

/// tini's license, printed by `-l` (its build checks `tini -l` against its LICENSE file):
/// the personality reproduces tini's texts, so it carries tini's notice.
const TINI_LICENSE: &str = "\
The MIT License (MIT)

Copyright (c) 2015 Thomas Orozco <thomas@orozco.fr>

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the \"Software\"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
";

/// The signals `-p` takes, by name as tini spells them (`SIGKILL`, and nothing else).
const TINI_SIGNALS: [i32; 28] =
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31];

fn tini(args: Args, env: &Env) -> Result<i32> {
    tini_as("tini", args, env)
}

fn docker_init(args: Args, env: &Env) -> Result<i32> {
    tini_as("docker-init", args, env)
}

fn tini_usage(argv0: &[u8]) -> String {
    let name = lossy(basename(argv0));
    format!(
        "{name} (tini version {v} - git.initbox-{iv})
Usage: {name} [OPTIONS] PROGRAM -- [ARGS] | --version

Execute a program under the supervision of a valid init process ({name})

Command line options:

  --version: Show version and exit.
  -h: Show this help message and exit.
  -s: Register as a process subreaper (requires Linux >= 3.4).
  -p SIGNAL: Trigger SIGNAL when parent dies, e.g. \"-p SIGKILL\".
  -v: Generate more verbose output. Repeat up to 3 times.
  -w: Print a warning when processes are getting reaped.
  -g: Send signals to the child's process group.
  -e EXIT_CODE: Remap EXIT_CODE (from 0 to 255) to 0.
  -l: Show license and exit.

Environment variables:

  TINI_SUBREAPER: Register as a process subreaper (requires Linux >= 3.4).
  TINI_VERBOSITY: Set the verbosity level (default: 1).
  TINI_KILL_PROCESS_GROUP: Send signals to the child's process group.

",
        v = TINI_VERSION,
        iv = cli::VERSION
    )
}

fn tini_as(name: &'static str, args: Args, env: &Env) -> Result<i32> {
    // argv[0], read only where a text needs it.
    let argv0 = || program_name(name);
    if args.len() == 1 && args.get(0) == Some(b"--version") {
        // The form `docker info` parses, "tini version X - git.COMMIT", where it shows COMMIT
        // only without dots: initbox's commit, not its version.
        return print(1, &format!("tini version {TINI_VERSION} - git.initbox-{}\n", cli::COMMIT));
    }
    let mut tini = Tini { verbosity: 1, ..Tini::default() };
    let (mut subreaper, mut to_group, mut pdeathsig) = (false, false, None);
    let mut remap = [false; 256];
    let permute = env.get(b"POSIXLY_CORRECT").is_none();
    let parsed = getopt(args, b"p:hvwgle:s", &[], permute);
    for option in &parsed.options {
        match option {
            Err(message) => {
                let _ = sys::write_all(2, format!("{}: {message}\n", lossy(&argv0())).as_bytes());
                return print(2, &tini_usage(&argv0())).map(|_| USAGE_ERROR);
            }
            Ok((b'h', _)) => return print(1, &tini_usage(&argv0())),
            Ok((b's', _)) => subreaper = true,
            Ok((b'p', value)) => {
                match TINI_SIGNALS.iter().find(|&&n| format!("{}", signals::name(n)).as_bytes() == value) {
                    Some(&sig) => pdeathsig = Some(sig),
                    None => {
                        tini.log(0, format_args!("Not a valid option for -p: {}", lossy(value)));
                        return Ok(USAGE_ERROR);
                    }
                }
            }
            Ok((b'v', _)) => tini.verbosity += 1,
            Ok((b'w', _)) => tini.warn_on_reap = true,
            Ok((b'g', _)) => to_group = true,
            Ok((b'e', value)) => match parse_c_long(value, true).filter(|code| (0..=255).contains(code)) {
                Some(code) => remap[code as usize] = true,
                None => {
                    tini.log(0, format_args!("Not a valid option for -e: {}", lossy(value)));
                    return Ok(USAGE_ERROR);
                }
            },
            Ok((b'l', _)) => return print(1, TINI_LICENSE),
            Ok(_) => return Ok(USAGE_ERROR),
        }
    }
    if parsed.operands.is_empty() {
        // The user forgot the program.
        return print(2, &tini_usage(&argv0())).map(|_| USAGE_ERROR);
    }
    subreaper |= env.get(b"TINI_SUBREAPER").is_some();
    to_group |= env.get(b"TINI_KILL_PROCESS_GROUP").is_some();
    if let Some(text) = env.get(b"TINI_VERBOSITY") {
        // atoi into an unsigned int: a negative number is a very large one.
        tini.verbosity = match parse_c_long(text, false).unwrap_or(0) {
            n if n < 0 => usize::MAX,
            n => n as usize,
        };
    }
    let as_pid1 = sys::getpid() == 1;
    if subreaper && !as_pid1 {
        tini.log(4, format_args!("Registered as child subreaper"));
    }
    tini.program = parsed.operands.first().map(|p| p.to_vec()).unwrap_or_default();
    // initbox's own lines only where it adds to tini: as PID 1, and not at verbosity 0.
    crate::log::start(name, 0, usize::from(!as_pid1 || tini.verbosity == 0));
    let hooks: &'static Tini = alloc::boxed::Box::leak(alloc::boxed::Box::new(tini));
    let (base, child_env) = personality_supervisor(env, as_pid1)?;
    let supervisor = Supervisor {
        forward: if to_group { Forward::Group } else { Forward::Child },
        pdeathsig,
        hooks: Some(hooks),
        ..base
    };
    let command = Command {
        argv: parsed.command_line(args),
        env: child_env,
        group: Grouping::OwnGroup,
        inherit_signals: true,
        hooks: Some(hooks),
    };
    let code = supervisor.run(Some(command)).map_err(|e| Error::new(USAGE_ERROR, e.message))?.code() % 256;
    Ok(if remap.get(code as usize) == Some(&true) { 0 } else { code })
}

/// tini's log lines: FATAL and WARN on stderr, INFO, DEBUG and TRACE on stdout, each shown
/// from a verbosity (default 1) up.
#[derive(Default)]
struct Tini {
    verbosity: usize,
    warn_on_reap: bool,
    program: Vec<u8>,
    chld: ChldNote,
    command_done: Cell<bool>,
    woke: Cell<bool>,
}

impl Tini {
    /// `level`: 0 FATAL, 1 WARN, 2 INFO, 3 DEBUG, 4 TRACE.
    fn log(&self, level: usize, args: fmt::Arguments) {
        if level > 0 && self.verbosity < level {
            return;
        }
        let (tag, fd) = match level {
            0 => ("FATAL", 2),
            1 => ("WARN ", 2),
            2 => ("INFO ", 1),
            3 => ("DEBUG", 1),
            _ => ("TRACE", 1),
        };
        emit(fd, format_args!("[{tag} tini ({})] {args}\n", sys::getpid()));
    }
}

impl Hooks for Tini {
    fn spawned(&self, pid: Pid) {
        self.log(2, format_args!("Spawned child process '{}' with pid '{pid}'", lossy(&self.program)));
    }

    fn received(&self, sig: i32) -> bool {
        self.woke.set(true);
        match sig {
            // tini ignores them (a terminal could stop it otherwise): never passed on.
            signals::TTIN | signals::TTOU => return false,
            signals::CHLD if self.chld.on_signal(sig) => self.log(3, format_args!("Received SIGCHLD")),
            signals::CHLD => {}
            _ => {
                self.chld.on_signal(sig);
                self.log(3, format_args!("Passing signal: '{}'", strsignal(sig)))
            }
        }
        true
    }

    fn forwarded(&self, _sig: i32, _to: Option<i32>, result: core::result::Result<(), sys::Errno>) {
        match result {
            Err(libc::ESRCH) => self.log(1, format_args!("Child was dead when forwarding signal")),
            Err(err) => {
                self.log(0, format_args!("Unexpected error when forwarding signal: '{}'", strerror(err)))
            }
            Ok(()) => {}
        }
    }

    fn reaped(&self, pid: Pid, status: Status, command: bool) {
        if self.chld.on_reap() {
            self.log(3, format_args!("Received SIGCHLD"));
        }
        self.woke.set(true);
        self.command_done.set(self.command_done.get() || command);
        self.log(3, format_args!("Reaped child with pid: '{pid}'"));
        match status {
            Status::Exited(code) if command => {
                self.log(2, format_args!("Main child exited normally (with status '{code}')"))
            }
            Status::Signaled(sig) if command => {
                self.log(2, format_args!("Main child exited with signal (with signal '{}')", strsignal(sig)))
            }
            _ if self.warn_on_reap => self.log(1, format_args!("Reaped zombie process with pid={pid}")),
            _ => {}
        }
    }

    fn reaped_all(&self, children_left: bool) {
        // tini reaps only after its first wake-up.
        if !self.woke.get() {
            return;
        }
        match children_left {
            true => self.log(4, format_args!("No child to reap")),
            false => self.log(4, format_args!("No child to wait")),
        }
        // As tini: it exits once the pass that reaped the command is over.
        if self.command_done.get() && sys::getpid() != 1 {
            self.log(4, format_args!("Exiting: child has exited"));
        }
    }

    fn exec_failed(&self, program: &[u8], err: sys::Errno) -> Option<i32> {
        self.log(0, format_args!("exec {} failed: {}", lossy(program), strerror(err)));
        Some(match err {
            libc::ENOENT => NOT_FOUND,
            libc::EACCES => NOT_EXECUTABLE,
            _ => 1,
        })
    }
}

// ------------------------------------------------------------------------------ dumb-init

const DUMB_INIT_VERSION: &str = "dumb-init v1.2.5\n";

/// dumb-init handles (and rewrites) signals 1 to 31.
const MAXSIG: usize = 31;

fn dumb_init_help(argv0: &[u8]) -> String {
    format!(
        "{DUMB_INIT_VERSION}\
Usage: {} [option] command [[arg] ...]

dumb-init is a simple process supervisor that forwards signals to children.
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

Full help is available online at https://github.com/Yelp/dumb-init
",
        lossy(argv0)
    )
}

const DUMB_INIT_REWRITE_USAGE: &str = "\
Usage: -r option takes <signum>:<signum>, where <signum> is between 1 and 31.
This option can be specified multiple times.
Use --help for full usage.
";

const DUMB_INIT_LONG: [(&str, bool, u8); 5] = [
    ("help", false, b'h'),
    ("single-child", false, b'c'),
    ("rewrite", true, b'r'),
    ("verbose", false, b'v'),
    ("version", false, b'V'),
];

fn dumb_init(args: Args, env: &Env) -> Result<i32> {
    let argv0 = || program_name("dumb-init");
    let mut dumb = DumbInit { setsid: true, rewrite: [-1; MAXSIG + 1], ..DumbInit::default() };
    let parsed = getopt(args, b"hvVcr:", &DUMB_INIT_LONG, false);
    for option in &parsed.options {
        match option {
            Err(message) => {
                let _ = sys::write_all(2, format!("{}: {message}\n", lossy(&argv0())).as_bytes());
                return Ok(USAGE_ERROR);
            }
            Ok((b'h', _)) => return print(2, &dumb_init_help(&argv0())),
            Ok((b'v', _)) => dumb.debug = true,
            Ok((b'V', _)) => return print(2, DUMB_INIT_VERSION),
            Ok((b'c', _)) => dumb.setsid = false,
            Ok((b'r', value)) => match parse_rewrite(value) {
                Some((from, to)) => {
                    if let Some(slot) = dumb.rewrite.get_mut(from) {
                        *slot = to;
                    }
                }
                None => return print(2, DUMB_INIT_REWRITE_USAGE).map(|_| USAGE_ERROR),
            },
            Ok(_) => return Ok(USAGE_ERROR),
        }
    }
    if parsed.operands.is_empty() {
        let name = lossy(&argv0());
        let text = format!("Usage: {name} [option] program [args]\nTry {name} --help for full usage.\n");
        return print(2, &text).map(|_| USAGE_ERROR);
    }
    if env.get(b"DUMB_INIT_DEBUG") == Some(b"1") {
        dumb.debug = true;
        dumb.log(format_args!("Running in debug mode.\n"));
    }
    if env.get(b"DUMB_INIT_SETSID") == Some(b"0") {
        dumb.setsid = false;
        dumb.log(format_args!("Not running in setsid mode.\n"));
    }
    if dumb.setsid {
        // In a session of its own the command has no shell to stop it: TSTP, TTOU and
        // TTIN go to it as STOP, unless rewritten otherwise.
        for sig in [signals::TSTP, signals::TTOU, signals::TTIN] {
            if let Some(slot) = dumb.rewrite.get_mut(sig as usize).filter(|s| **s == -1) {
                *slot = signals::STOP;
            }
        }
    }
    let mut map = SignalMap::default();
    for (from, to) in dumb.rewrite.iter().enumerate().filter(|(_, to)| **to >= 0) {
        let to = if *to == 0 { String::from("none") } else { format!("{to}") };
        map.add(format!("{from}:{to}").as_bytes()).map_err(usage)?;
    }
    let as_pid1 = sys::getpid() == 1;
    // initbox's own lines only where it adds to dumb-init: as PID 1.
    crate::log::start("dumb-init", 0, usize::from(!as_pid1));
    let setsid = dumb.setsid;
    let hooks: &'static DumbInit = alloc::boxed::Box::leak(alloc::boxed::Box::new(dumb));
    let (base, child_env) = personality_supervisor(env, as_pid1)?;
    let supervisor = Supervisor {
        forward: if setsid { Forward::Group } else { Forward::Child },
        map,
        // dumb-init stops itself after passing on TSTP, TTOU or TTIN, as a shell job would.
        stop_with_tty_signals: true,
        // Not PID 1, dumb-init adopts no orphans (and says nothing of them).
        subreaper: false,
        hooks: Some(hooks),
        ..base
    };
    let command = Command {
        argv: parsed.command_line(args),
        env: child_env,
        group: if setsid { Grouping::OwnSession } else { Grouping::Inherit },
        inherit_signals: false,
        hooks: Some(hooks),
    };
    match supervisor.run(Some(command)) {
        Ok(status) => Ok(status.code()),
        Err(err) => {
            emit(2, format_args!("[dumb-init] {}\n", err.message));
            Ok(USAGE_ERROR)
        }
    }
}

/// dumb-init's `-r s:r` as its sscanf("%d:%d") reads it: 1 <= s <= 31, 0 <= r <= 31.
fn parse_rewrite(text: &[u8]) -> Option<(usize, i32)> {
    let (from, rest) = scan_int(text)?;
    let (to, _) = scan_int(rest.strip_prefix(b":")?)?;
    let from = usize::try_from(from).ok().filter(|f| (1..=MAXSIG).contains(f))?;
    let to = i32::try_from(to).ok().filter(|t| (0..=MAXSIG as i32).contains(t))?;
    Some((from, to))
}

/// scanf's %d: blanks, a sign, digits; the rest of the text after them.
fn scan_int(text: &[u8]) -> Option<(i64, &[u8])> {
    let text = trim_blanks(text);
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    let digits = text.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let value = text
        .get(..digits)?
        .iter()
        .fold(0i64, |n, d| n.saturating_mul(10).saturating_add(i64::from(d - b'0')));
    Some((if negative { -value } else { value }, text.get(digits..)?))
}

fn trim_blanks(text: &[u8]) -> &[u8] {
    let blanks = text.iter().take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)).count();
    text.get(blanks..).unwrap_or_default()
}

/// strtol's reading of a whole argument (`whole`: nothing may follow the number), or
/// atoi's (anything may, and no number is 0).
fn parse_c_long(text: &[u8], whole: bool) -> Option<i64> {
    match scan_int(text) {
        Some((n, rest)) if !whole || rest.is_empty() => Some(n),
        Some(_) => None,
        None if whole => None,
        None => Some(0),
    }
}

/// dumb-init's `[dumb-init] ...` debug lines and its ways with signals.
#[derive(Default)]
struct DumbInit {
    debug: bool,
    setsid: bool,
    /// -1: not rewritten; 0: dropped.
    rewrite: [i32; MAXSIG + 1],
    /// Signals the terminal hand-off sends us that are to be ignored once (bit per signal).
    ignore_once: Cell<u64>,
    chld: ChldNote,
    /// The directory dumb-init was started in, for the command to start in.
    start_dir: Cell<Option<sys::Fd>>,
}

impl DumbInit {
    fn log(&self, args: fmt::Arguments) {
        if self.debug {
            emit(2, format_args!("[dumb-init] {args}"));
        }
    }

    /// What dumb-init sends for `sig` (0: nothing), with its debug line.
    fn translate(&self, sig: i32) -> i32 {
        match self.rewrite.get(sig as usize).filter(|_| sig > 0) {
            Some(&to) if to >= 0 => {
                self.log(format_args!("Translating signal {sig} to {to}.\n"));
                to
            }
            _ => sig,
        }
    }
}

impl Hooks for DumbInit {
    fn before_spawn(&self) {
        // dumb-init keeps no directory busy: it moves to "/", the command starts where
        // dumb-init was started. Moved before the fork, so that the command never sees
        // dumb-init anywhere else (the child goes back before exec).
        self.start_dir.set(sys::open_directory(c".").ok());
        if let Err(err) = sys::chdir(c"/") {
            self.log(format_args!("Unable to chdir(\"/\") (errno={err} {})\n", strerror(err)));
        }
        if !self.setsid {
            return;
        }
        // Give up the terminal so the command, leading a session of its own, can take it.
        match sys::give_up_controlling_terminal(0) {
            Err(err) => self.log(format_args!(
                "Unable to detach from controlling tty (errno={err} {}).\n",
                strerror(err)
            )),
            Ok(()) if sys::getsid(0) == Ok(sys::getpid()) => {
                // As session leader, the kernel sent our group SIGHUP and SIGCONT for it.
                self.log(format_args!(
                    "Detached from controlling tty, ignoring the first SIGHUP and SIGCONT we receive.\n"
                ));
                self.ignore_once.set(1 << (signals::HUP - 1) | 1 << (signals::CONT - 1));
            }
            Ok(()) => self.log(format_args!("Detached from controlling tty, but was not session leader.\n")),
        }
    }

    fn spawned(&self, pid: Pid) {
        self.log(format_args!("Child spawned with PID {pid}.\n"));
        drop(self.start_dir.take());
    }

    fn in_child(&self) {
        if let Some(dir) = self.start_dir.take() {
            let _ = sys::fchdir(dir.raw());
        }
    }

    fn received(&self, sig: i32) -> bool {
        if !self.chld.on_signal(sig) {
            return true;
        }
        self.log(format_args!("Received signal {sig}.\n"));
        let bit = 1u64 << ((sig - 1) & 63);
        if self.ignore_once.get() & bit != 0 {
            self.log(format_args!("Ignoring tty hand-off signal {sig}.\n"));
            self.ignore_once.set(self.ignore_once.get() & !bit);
            return false;
        }
        true
    }

    fn forwarded(&self, sig: i32, to: Option<i32>, _result: core::result::Result<(), sys::Errno>) {
        match self.translate(sig) {
            0 => self.log(format_args!("Not forwarding signal 0 to children (ignored).\n")),
            _ => self.log(format_args!("Forwarded signal {} to children.\n", to.unwrap_or(sig))),
        }
        if matches!(sig, signals::TSTP | signals::TTOU | signals::TTIN) {
            self.log(format_args!("Suspending self due to TTY signal.\n"));
        }
    }

    fn reaped(&self, pid: Pid, status: Status, _command: bool) {
        if self.chld.on_reap() {
            self.log(format_args!("Received signal {}.\n", signals::CHLD));
        }
        match status {
            Status::Exited(code) => {
                self.log(format_args!("A child with PID {pid} exited with exit status {code}.\n"))
            }
            Status::Signaled(sig) => {
                self.log(format_args!("A child with PID {pid} was terminated by signal {sig}.\n"))
            }
        }
    }

    fn command_exited(&self, pid: Pid, status: Status) {
        // dumb-init's last act: SIGTERM (as rewritten) to what is left of the command's
        // session; in single-child mode to the child itself, gone by now.
        match self.translate(signals::TERM) {
            0 => self.log(format_args!("Not forwarding signal 0 to children (ignored).\n")),
            sig => {
                // As PID 1 initbox's own sweep sends SIGTERM to all that is left, the
                // command's group included, once: not sent twice from here.
                if self.setsid && (sys::getpid() != 1 || sig != signals::TERM) {
                    let _ = sys::kill(-pid, sig);
                }
                self.log(format_args!("Forwarded signal {sig} to children.\n"));
            }
        }
        self.log(format_args!("Child exited with status {}. Goodbye.\n", status.code()));
    }

    fn session(&self, tty: core::result::Result<(), sys::Errno>) {
        if let Err(err) = tty {
            self.log(format_args!("Unable to attach to controlling tty (errno={err} {}).\n", strerror(err)));
        }
        self.log(format_args!("setsid complete.\n"));
    }

    fn exec_failed(&self, program: &[u8], err: sys::Errno) -> Option<i32> {
        emit(2, format_args!("[dumb-init] {}: {}\n", lossy(program), strerror(err)));
        Some(2)
    }
}

// ------------------------------------------------------------------------------ catatonit

const CATATONIT_USAGE: &str = "\
usage: catatonit [-ghLPV] [--] <progname> [<arguments>...]
";

const CATATONIT_HELP: &str = "
options:
  -g              Forward signals to pid1's process group.
  -h              Print this help page.
  -L              Print license information.
  -P              Run in pause mode (no program is run and quit on SIGINT).
  -V, --version   Print version information.

The source code can be found at <https://github.com/openSUSE/catatonit/>.
For bug reporting instructions, please see: <https://bugs.opensuse.org/>.
";

const LICENSE: &str = "initbox is licensed under the MIT or the Apache-2.0 license, at your option.\n";

fn catatonit(args: Args, env: &Env) -> Result<i32> {
    catatonit_as("catatonit", args, env)
}

fn podman_init(args: Args, env: &Env) -> Result<i32> {
    catatonit_as("podman-init", args, env)
}

fn catatonit_as(name: &'static str, args: Args, env: &Env) -> Result<i32> {
    let (mut to_group, mut pause) = (false, false);
    let parsed = getopt(args, b"ghLPV", &[("version", false, b'V')], env.get(b"POSIXLY_CORRECT").is_none());
    for option in &parsed.options {
        match option {
            Err(message) => {
                let argv0 = program_name(name);
                let _ = sys::write_all(2, format!("{}: {message}\n", lossy(&argv0)).as_bytes());
                return print(2, CATATONIT_USAGE).map(|_| USAGE_ERROR);
            }
            Ok((b'g', _)) => to_group = true,
            Ok((b'P', _)) => pause = true,
            Ok((b'h', _)) => return print(2, &format!("{CATATONIT_USAGE}{CATATONIT_HELP}")),
            Ok((b'L', _)) => return print(1, LICENSE),
            // "tini version": what `docker info` parses, as catatonit answers.
            Ok((b'V', _)) => return print(1, "tini version 0.1.7_catatonit\n"),
            Ok(_) => return Ok(USAGE_ERROR),
        }
    }
    if parsed.operands.is_empty() && !pause {
        Catatonit.error(format_args!("missing program name"));
        return print(2, CATATONIT_USAGE).map(|_| USAGE_ERROR);
    }
    let as_pid1 = sys::getpid() == 1;
    crate::log::start(name, 0, 0);
    let hooks: &'static Catatonit = &Catatonit;
    let (base, child_env) = personality_supervisor(env, as_pid1)?;
    let supervisor = Supervisor {
        forward: if to_group { Forward::Group } else { Forward::Child },
        hooks: Some(hooks),
        ..base
    };
    if pause {
        return Ok(supervisor.run(None)?.code());
    }
    let command = Command {
        argv: parsed.command_line(args),
        env: child_env,
        group: Grouping::OwnGroup,
        inherit_signals: true,
        hooks: Some(hooks),
    };
    let status = supervisor.run(Some(command)).map_err(|e| Error::new(USAGE_ERROR, e.message))?;
    Ok(status.code())
}

struct Catatonit;

impl Catatonit {
    fn error(&self, args: fmt::Arguments) {
        emit(2, format_args!("ERROR (catatonit:{}): {args}\n", sys::getpid()));
    }
}

impl Hooks for Catatonit {
    fn spawned(&self, _pid: Pid) {
        // The command has its descriptors; keep none of them open here (a socket held by
        // init would outlive the command's wish to close it).
        let _ = sys::close_from(3);
    }

    fn received(&self, sig: i32) -> bool {
        // The terminal's attempts to stop a background init: ignored, as catatonit does.
        !matches!(sig, signals::TSTP | signals::TTOU | signals::TTIN)
    }

    /// Socket activation (sd_listen_fds): LISTEN_PID names the process the inherited
    /// sockets are for. Set to catatonit's pid by whoever started it, it now names the
    /// command, which keeps the descriptors.
    fn exec_env(&self, env: &ChildEnv) -> Option<ChildEnv> {
        let value = env.get(b"LISTEN_PID")?;
        if parse_c_long(value, false) != Some(i64::from(sys::getppid())) {
            return None;
        }
        let mut env = env.clone();
        env.set(b"LISTEN_PID", format!("{}", sys::getpid()).as_bytes());
        Some(env)
    }

    /// The command starts with the mask catatonit was started with, plus TSTP, TTOU and
    /// TTIN blocked (so that a terminal cannot stop it by accident), as catatonit does.
    fn child_mask(&self, mask: sys::SigBits) -> sys::SigBits {
        let tty =
            [signals::TSTP, signals::TTOU, signals::TTIN].iter().fold(0u64, |bits, s| bits | 1 << (s - 1));
        sys::SigBits(mask.0 | tty)
    }

    fn exec_failed(&self, _program: &[u8], err: sys::Errno) -> Option<i32> {
        self.error(format_args!("failed to exec pid1: {}", strerror(err)));
        Some(1)
    }
}

// ------------------------------------------------------------------------------ shared

/// The originals reap only once they have taken a SIGCHLD, and say so; initbox may reap
/// before it takes the SIGCHLD (the reaping comes first in its loop). Then the line for the
/// SIGCHLD is said before the reap, once, and not again when that SIGCHLD is taken.
#[derive(Default)]
struct ChldNote {
    announced: Cell<bool>,
    owed: Cell<bool>,
}

impl ChldNote {
    /// A signal was taken: whether to say so.
    fn on_signal(&self, sig: i32) -> bool {
        if sig == signals::CHLD && self.owed.replace(false) {
            return false;
        }
        self.announced.set(sig == signals::CHLD);
        true
    }

    /// A child was reaped: whether to say a SIGCHLD was taken first.
    fn on_reap(&self) -> bool {
        let say = !self.announced.replace(true);
        if say {
            self.owed.set(true);
        }
        say
    }
}

/// A personality's supervisor: init's duties as PID 1 (wait for everything, SIGTERM and
/// a grace period for what is left); not PID 1, as the originals: exit with the command,
/// leave the rest alone, pass every signal on.
/// With the supervisor, the command's environment: without the variables read here
/// (init's, as PID 1 only: otherwise there is no grace and no delay to set).
fn personality_supervisor(env: &Env, as_pid1: bool) -> Result<(Supervisor, ChildEnv)> {
    if !as_pid1 {
        let supervisor =
            Supervisor { after: AfterCommand::Leave, stop_signals_shut_down: false, ..Supervisor::default() };
        return Ok((supervisor, env.for_child(&[])));
    }
    let (options, used) = cli::from_env(&ENV_OPTIONS, env).map_err(usage)?;
    Ok((init::supervisor(options.grace, options.stop_delay), env.for_child(&used)))
}

/// What a personality takes from init's options: from INITBOX_GRACE and INITBOX_STOP_DELAY.
#[derive(Default)]
struct EnvOptions {
    grace: Option<Duration>,
    stop_delay: Option<Duration>,
}

/// (No help: the personalities print the originals' help.)
const ENV_OPTIONS: [Opt<EnvOptions>; 2] =
    [Opt::duration("grace", |o| &mut o.grace, ""), Opt::duration("stop-delay", |o| &mut o.stop_delay, "")];

/// glibc getopt's reading of a command line: options (short, and `--long` with unique
/// prefixes), in order, up to and including the first error, which carries glibc's message
/// (without the leading "argv0: "); then the operands. `permute`: options may follow
/// operands (glibc's default without POSIXLY_CORRECT); otherwise the first operand ends them.
pub(crate) struct Getopt {
    pub options: Vec<core::result::Result<(u8, Vec<u8>), String>>,
    pub operands: Vec<&'static [u8]>,
}

impl Getopt {
    /// The command and its arguments as exec takes them: the tail of argv itself when
    /// nothing was permuted (the usual case), a copy otherwise.
    pub fn command_line(&self, args: Args) -> Args {
        let tail = args.tail(args.len().saturating_sub(self.operands.len()));
        let same = tail.iter().zip(&self.operands).all(|(a, b)| core::ptr::eq(a.as_ptr(), b.as_ptr()));
        if same { tail } else { sys::CArray::leak(&self.operands) }
    }
}

pub(crate) fn getopt(args: Args, shorts: &[u8], longs: &[(&str, bool, u8)], permute: bool) -> Getopt {
    let mut out = Getopt { options: Vec::new(), operands: Vec::new() };
    let takes_value = |c: u8| {
        let at = shorts.iter().position(|&s| s == c && c != b':')?;
        Some(shorts.get(at + 1) == Some(&b':'))
    };
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        if arg == b"--" {
            break;
        }
        if arg.len() < 2 || arg.first() != Some(&b'-') {
            if permute {
                out.operands.push(arg);
                continue;
            }
            i -= 1;
            break;
        }
        if let Some(body) = arg.strip_prefix(b"--").filter(|_| !longs.is_empty()) {
            let (name, inline) = match memchr::memchr(b'=', body) {
                Some(eq) => (body.get(..eq).unwrap_or_default(), body.get(eq + 1..)),
                None => (body, None),
            };
            let exact = longs.iter().find(|(long, ..)| long.as_bytes() == name);
            let prefixed: Vec<_> =
                longs.iter().filter(|(long, ..)| long.as_bytes().starts_with(name)).collect();
            let found = match (exact, prefixed.as_slice()) {
                (Some(found), _) => found,
                (None, [found]) => *found,
                (None, []) => {
                    out.options.push(Err(format!("unrecognized option '--{}'", lossy(body))));
                    return out;
                }
                (None, many) => {
                    let names: String = many.iter().map(|(long, ..)| format!(" '--{long}'")).collect();
                    out.options
                        .push(Err(format!("option '--{}' is ambiguous; possibilities:{names}", lossy(name))));
                    return out;
                }
            };
            let (long, has_value, short) = *found;
            let value = match (has_value, inline) {
                (false, Some(_)) => {
                    out.options.push(Err(format!("option '--{long}' doesn't allow an argument")));
                    return out;
                }
                (false, None) => Vec::new(),
                (true, Some(value)) => value.to_vec(),
                (true, None) => match args.get(i) {
                    Some(value) => {
                        i += 1;
                        value.to_vec()
                    }
                    None => {
                        out.options.push(Err(format!("option '--{long}' requires an argument")));
                        return out;
                    }
                },
            };
            out.options.push(Ok((short, value)));
            continue;
        }
        let mut rest = arg.get(1..).unwrap_or_default();
        while let Some((&c, after)) = rest.split_first() {
            match takes_value(c) {
                None => {
                    out.options.push(Err(format!("invalid option -- '{}'", lossy(&[c]))));
                    return out;
                }
                Some(false) => {
                    out.options.push(Ok((c, Vec::new())));
                    rest = after;
                }
                Some(true) if !after.is_empty() => {
                    out.options.push(Ok((c, after.to_vec())));
                    break;
                }
                Some(true) => {
                    match args.get(i) {
                        Some(value) => {
                            i += 1;
                            out.options.push(Ok((c, value.to_vec())));
                        }
                        None => {
                            out.options
                                .push(Err(format!("option requires an argument -- '{}'", lossy(&[c]))));
                            return out;
                        }
                    }
                    break;
                }
            }
        }
    }
    out.operands.extend(args.tail(i).iter());
    out
}

/// The name the original would print for itself: argv[0] as called when it is this
/// personality's name (by PATH or a path), else the personality's name (`initbox tini`).
fn program_name(personality: &str) -> Vec<u8> {
    let cmdline = sys::read_file(c"/proc/self/cmdline").unwrap_or_default();
    let argv0 = cmdline.split(|&c| c == 0).next().unwrap_or_default();
    if basename(argv0) == personality.as_bytes() { argv0.to_vec() } else { personality.as_bytes().to_vec() }
}

fn basename(path: &[u8]) -> &[u8] {
    path.rsplit(|&c| c == b'/').next().unwrap_or(path)
}

/// glibc's strerror, which the originals print (musl words a few differently).
fn strerror(err: sys::Errno) -> &'static str {
    match err {
        libc::ENOTTY => "Inappropriate ioctl for device",
        libc::ELOOP => "Too many levels of symbolic links",
        libc::ENAMETOOLONG => "File name too long",
        libc::ENXIO => "No such device or address",
        _ => sys::strerror(err),
    }
}

/// glibc's strsignal, which tini prints (shown without allocating).
struct Strsignal(i32);

fn strsignal(sig: i32) -> Strsignal {
    Strsignal(sig)
}

impl fmt::Display for Strsignal {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let sig = self.0;
        const TEXTS: [&str; 32] = [
            "Unknown signal 0",
            "Hangup",
            "Interrupt",
            "Quit",
            "Illegal instruction",
            "Trace/breakpoint trap",
            "Aborted",
            "Bus error",
            "Floating point exception",
            "Killed",
            "User defined signal 1",
            "Segmentation fault",
            "User defined signal 2",
            "Broken pipe",
            "Alarm clock",
            "Terminated",
            "Stack fault",
            "Child exited",
            "Continued",
            "Stopped (signal)",
            "Stopped",
            "Stopped (tty input)",
            "Stopped (tty output)",
            "Urgent I/O condition",
            "CPU time limit exceeded",
            "File size limit exceeded",
            "Virtual timer expired",
            "Profiling timer expired",
            "Window changed",
            "I/O possible",
            "Power failure",
            "Bad system call",
        ];
        match TEXTS.get(sig as usize) {
            Some(text) if sig >= 0 => f.write_str(text),
            _ if (signals::RTMIN..=signals::RTMAX).contains(&sig) => {
                write!(f, "Real-time signal {}", sig - signals::RTMIN)
            }
            _ => write!(f, "Unknown signal {sig}"),
        }
    }
}

/// One log line, formatted on the stack and written at once.
struct Line {
    buf: [u8; 1024],
    len: usize,
}

impl fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.get_mut(self.len..).unwrap_or_default();
        let n = s.len().min(room.len());
        if let (Some(to), Some(from)) = (room.get_mut(..n), s.as_bytes().get(..n)) {
            to.copy_from_slice(from);
        }
        self.len += n;
        Ok(())
    }
}

fn emit(fd: i32, args: fmt::Arguments) {
    let mut line = Line { buf: [0; 1024], len: 0 };
    let _ = line.write_fmt(args);
    let _ = sys::write_all(fd, line.buf.get(..line.len).unwrap_or_default());
}

fn print(fd: i32, text: &str) -> Result<i32> {
    let _ = sys::write_all(fd, text.as_bytes());
    Ok(0)
}

fn usage(msg: String) -> Error {
    Error::new(USAGE_ERROR, msg)
}
