//! Command lines and the environment: POSIX-order option parsing shared by every applet,
//! `INITBOX_<OPTION>` variables, and the child's environment without the ones used.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::ffi::c_char;
use core::time::Duration;

use crate::error::{Error, Result};
use crate::sys::CArray;
use crate::text::{self, lossy};
use crate::{duration, log, signals, sys};

/// An applet's arguments: a view of the process's own argv, never copied.
pub type Args = CArray;

/// More `-v` than this says nothing more (INITBOX_VERBOSE=999999999 is not a count to
/// believe).
const MAX_REPEAT: usize = 8;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The commit built from (see build.rs): `0123456789ab`, with `-dirty` for local changes.
pub const COMMIT: &str = env!("INITBOX_COMMIT");

/// A value's parser: stores it in the applet's options or says, in one line, what is wrong.
pub type Setter<T> = fn(&mut T, &'static [u8]) -> core::result::Result<(), String>;

/// What an option does with its uses, in the options struct `T` of one applet: the
/// struct's field is named in code, so a misspelt one does not compile.
pub enum Action<T> {
    /// A flag: true if given at least once.
    Flag(fn(&mut T) -> &mut bool),
    /// A duration (`1.5s`); the last one given wins.
    Duration(fn(&mut T) -> &mut Option<Duration>),
    /// A signal (`TERM`, `15`, `RTMIN+3`); the last one given wins.
    Signal(fn(&mut T) -> &mut Option<i32>),
    /// Any other single value: called with the last one given (the others are not read).
    Value(Setter<T>),
    /// A value per use, collected; the environment variable lists them separated by commas.
    Each(Setter<T>),
}

/// One option of an applet: how it is written, what `--help` says of it, what it sets.
pub struct Opt<T> {
    pub long: &'static str,
    /// 0 when the option has no short form; `Opt { short: b's', ..Opt::signal(...) }`.
    pub short: u8,
    /// The value's name in `--help` (`DUR`); empty for a flag.
    pub arg: &'static str,
    /// Its description in `--help`; lines after the first are indented to match.
    pub help: &'static str,
    pub action: Action<T>,
}

impl<T> Opt<T> {
    pub const fn flag(long: &'static str, field: fn(&mut T) -> &mut bool, help: &'static str) -> Self {
        Opt { long, short: 0, arg: "", help, action: Action::Flag(field) }
    }
    pub const fn duration(
        long: &'static str,
        field: fn(&mut T) -> &mut Option<Duration>,
        help: &'static str,
    ) -> Self {
        Opt { long, short: 0, arg: "DUR", help, action: Action::Duration(field) }
    }
    pub const fn signal(
        long: &'static str,
        field: fn(&mut T) -> &mut Option<i32>,
        help: &'static str,
    ) -> Self {
        Opt { long, short: 0, arg: "SIG", help, action: Action::Signal(field) }
    }
    pub const fn value(long: &'static str, arg: &'static str, set: Setter<T>, help: &'static str) -> Self {
        Opt { long, short: 0, arg, help, action: Action::Value(set) }
    }
    pub const fn each(long: &'static str, arg: &'static str, add: Setter<T>, help: &'static str) -> Self {
        Opt { long, short: 0, arg, help, action: Action::Each(add) }
    }

    fn spec(&self) -> Spec {
        let takes = match self.action {
            Action::Flag(_) => Takes::Nothing,
            Action::Duration(_) | Action::Signal(_) | Action::Value(_) => Takes::Value,
            Action::Each(_) => Takes::Values,
        };
        Spec { long: self.long, short: self.short, arg: self.arg, help: self.help, takes }
    }
}

/// An option as the (untyped) scanner and the help text see it.
#[derive(Clone, Copy)]
struct Spec {
    long: &'static str,
    short: u8,
    arg: &'static str,
    help: &'static str,
    takes: Takes,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Takes {
    /// A flag; may repeat (`-vv`).
    Nothing,
    /// One value; the last one given wins.
    Value,
    /// A value per use; the environment variable lists them separated by commas.
    Values,
}

const fn common(long: &'static str, short: u8, help: &'static str) -> Spec {
    Spec { long, short, arg: "", help, takes: Takes::Nothing }
}

/// Options every applet has, besides its own: `-v` and `-q` set the log level (also from
/// INITBOX_VERBOSE and INITBOX_QUIET: the first COMMON_FROM_ENV); `--help` and `--version`
/// answer and end the applet. Those with no help of their own are named in another's.
const COMMON: [Spec; 4] = [
    common("verbose", b'v', "log more (repeatable); -q, --quiet: log less"),
    common("quiet", b'q', ""),
    common("help", b'h', "this text; --version: the version"),
    common("version", 0, ""),
];
const VERBOSE: usize = 0;
const QUIET: usize = 1;
const HELP: usize = 2;
const VERSION_OPTION: usize = 3;
const COMMON_FROM_ENV: usize = 2;

/// Where an option's description starts in `--help`.
const HELP_COLUMN: usize = 21;

/// An applet's `--help`: what comes before its options and what comes after them.
pub struct Usage {
    pub synopsis: &'static str,
    pub notes: &'static str,
}

/// The process environment, as `NAME=value` byte strings (a view of envp).
pub struct Env {
    vars: CArray,
}

impl Env {
    pub fn new(vars: CArray) -> Self {
        Env { vars }
    }

    pub fn get(&self, name: &[u8]) -> Option<&'static [u8]> {
        self.var(name).map(|(_, value)| value)
    }

    /// `name`'s variable as (its name, its value), both views of envp.
    fn var(&self, name: &[u8]) -> Option<(&'static [u8], &'static [u8])> {
        self.vars.iter().find_map(|var| Some((var.get(..name.len())?, value_of(var, name)?)))
    }

    /// The environment for a child: everything but the variables named in `drop`.
    pub fn for_child(&self, drop: &[&[u8]]) -> ChildEnv {
        let inherited = self.vars.iter().filter(|var| !drop.contains(&var_name(var))).collect();
        ChildEnv { inherited, added: Vec::new() }
    }
}

fn var_name(var: &[u8]) -> &[u8] {
    var.split(|&c| c == b'=').next().unwrap_or_default()
}

/// The value in `NAME=value` if the variable is `name`.
fn value_of<'a>(var: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    var.strip_prefix(name)?.strip_prefix(b"=")
}

/// A child's environment: variables of initbox's own environment (views of envp, each
/// followed by its NUL there), plus any made up for the child.
#[derive(Clone)]
pub struct ChildEnv {
    inherited: Vec<&'static [u8]>,
    added: Vec<alloc::ffi::CString>,
}

impl ChildEnv {
    /// Sets `NAME=value`, replacing the variable if present.
    pub fn set(&mut self, name: &[u8], value: &[u8]) {
        self.inherited.retain(|var| var_name(var) != name);
        self.added.retain(|var| var_name(var.as_bytes()) != name);
        self.added.push(sys::c_string(&[name, b"=", value].concat()));
    }

    /// The value of `name` as the child will see it.
    pub fn get(&self, name: &[u8]) -> Option<&[u8]> {
        let inherited = self.inherited.iter().copied();
        let added = self.added.iter().map(|var| var.as_bytes());
        added.chain(inherited).find_map(|var| value_of(var, name))
    }

    /// The null-terminated pointer array execve takes; valid while `self` lives.
    pub fn pointers(&self) -> Vec<*const c_char> {
        let mut ptrs: Vec<*const c_char> = self.inherited.iter().map(|var| var.as_ptr().cast()).collect();
        ptrs.extend(self.added.iter().map(|var| var.as_ptr()));
        ptrs.push(core::ptr::null());
        ptrs
    }
}

/// What the command line and environment asked of an applet.
pub enum Request<T> {
    Run(Parsed<T>),
    /// `--help` or `--version` was answered: the applet's work is done, with status 0.
    Answered,
}

/// What the command line and environment said.
pub struct Parsed<T> {
    pub options: T,
    /// The words after the options: the command and its arguments, or operands.
    pub operands: Args,
    /// The `INITBOX_*` variables that were used, to keep them from the child.
    pub used_env: Vec<&'static [u8]>,
}

/// Parses an applet's arguments (after its name), answers `--help` and `--version`, and
/// starts logging at the level `-v`/`-q` ask for. `usage_code` is the status for a usage
/// error (125 for wrappers, 2 for tools like killtree).
pub fn start<T: Default>(
    applet: &'static str,
    usage: &Usage,
    opts: &[Opt<T>],
    args: Args,
    env: &Env,
    usage_code: i32,
) -> Result<Request<T>> {
    let specs: Vec<Spec> = opts.iter().map(Opt::spec).collect();
    let Some(scanned) = begin(applet, usage, &specs, args, env, usage_code)? else {
        return Ok(Request::Answered);
    };
    let options = apply(opts, &scanned.found).map_err(|msg| Error::new(usage_code, msg))?;
    Ok(Request::Run(Parsed { options, operands: scanned.operands, used_env: scanned.used_env }))
}

/// The part of `start` that does not depend on the options' type: None when `--help` or
/// `--version` was answered. Kept out of line: one copy for all applets, not one each.
#[inline(never)]
fn begin(
    applet: &'static str,
    usage: &Usage,
    specs: &[Spec],
    args: Args,
    env: &Env,
    usage_code: i32,
) -> Result<Option<Scanned>> {
    let scanned = scan(specs, args, env)
        .map_err(|msg| Error::new(usage_code, format!("{msg} (see '{applet} --help')")))?;
    if scanned.common[HELP] > 0 {
        let _ = sys::write_all(1, &help_text(usage, specs));
        return Ok(None);
    }
    if scanned.common[VERSION_OPTION] > 0 {
        let _ = sys::write_all(1, format!("initbox {VERSION} ({applet})\n").as_bytes());
        return Ok(None);
    }
    log::start(applet, scanned.common[VERBOSE], scanned.common[QUIET]);
    Ok(Some(scanned))
}

/// Options from their `INITBOX_<OPTION>` variables only (the personalities take another
/// tool's command line): the options, and the variables used.
pub fn from_env<T: Default>(
    opts: &[Opt<T>],
    env: &Env,
) -> core::result::Result<(T, Vec<&'static [u8]>), String> {
    let specs: Vec<Spec> = opts.iter().map(Opt::spec).collect();
    let mut found = Vec::new();
    let used_env = read_env(&specs, &mut found, env);
    Ok((apply(opts, &found)?, used_env))
}

/// Parses without answering `--help` or starting the log (for tests).
#[cfg(test)]
pub fn parse<T: Default>(opts: &[Opt<T>], args: Args, env: &Env) -> core::result::Result<Parsed<T>, String> {
    let specs: Vec<Spec> = opts.iter().map(Opt::spec).collect();
    let scanned = scan(&specs, args, env)?;
    let options = apply(opts, &scanned.found)?;
    Ok(Parsed { options, operands: scanned.operands, used_env: scanned.used_env })
}

/// Hands each use of an option, in order, to its action.
fn apply<T: Default>(opts: &[Opt<T>], found: &[Use]) -> core::result::Result<T, String> {
    let mut options = T::default();
    for this in found {
        let Some(opt) = opts.get(this.index) else { continue };
        let value = this.value;
        let result = match opt.action {
            Action::Flag(field) => {
                *field(&mut options) = true;
                Ok(())
            }
            Action::Duration(field) => duration::parse(value).map(|d| *field(&mut options) = Some(d)),
            Action::Signal(field) => signal(value).map(|sig| *field(&mut options) = Some(sig)),
            Action::Value(set) | Action::Each(set) => set(&mut options, value),
        };
        result.map_err(|msg| naming_the_variable(msg, this.variable))?;
    }
    Ok(options)
}

/// A bad value from the environment says where it came from: the command line shows none.
fn naming_the_variable(msg: String, variable: Option<&[u8]>) -> String {
    match variable {
        Some(name) => format!("{msg} (from {})", lossy(name)),
        None => msg,
    }
}

fn signal(text: &[u8]) -> core::result::Result<i32, String> {
    signals::parse(text).ok_or_else(|| signals::bad_signal(text))
}

/// The uses of an applet's options (by index in its table), in order, from the command
/// line and then from the variables of the options it did not name.
struct Scanned {
    found: Vec<Use>,
    /// How often each of COMMON was given.
    common: [usize; COMMON.len()],
    operands: Args,
    used_env: Vec<&'static [u8]>,
}

/// One use of an option: its index (in the applet's table, or past its end in COMMON),
/// its value, and the variable it came from (None: the command line).
struct Use {
    index: usize,
    value: &'static [u8],
    variable: Option<&'static [u8]>,
}

/// Options are found by index: in the applet's table, or past its end in COMMON.
fn scan(specs: &[Spec], args: Args, env: &Env) -> core::result::Result<Scanned, String> {
    let all: Vec<Spec> = specs.iter().chain(COMMON.iter()).copied().collect();
    let (mut found, operands) = scan_command_line(&all, args)?;
    let used_env = read_env(all.get(..specs.len() + COMMON_FROM_ENV).unwrap_or_default(), &mut found, env);
    let mut common = [0; COMMON.len()];
    found.retain(|found| match common.get_mut(found.index.wrapping_sub(specs.len())) {
        Some(count) => {
            *count += 1;
            false
        }
        None => true,
    });
    Ok(Scanned { found, common, operands, used_env })
}

/// Adds the uses of each option in `specs` not on the command line from its variable;
/// returns the variables that were set.
fn read_env(specs: &[Spec], found: &mut Vec<Use>, env: &Env) -> Vec<&'static [u8]> {
    let mut used_env = Vec::new();
    for (index, spec) in specs.iter().enumerate() {
        let Some((variable, text)) = env.var(&env_name(spec.long)) else { continue };
        used_env.push(variable);
        if found.iter().any(|found| found.index == index) {
            continue; // the command line wins
        }
        let from_env = |value| Use { index, value, variable: Some(variable) };
        match spec.takes {
            Takes::Nothing => found.extend((0..flag_count(text)).map(|_| from_env(&[]))),
            // Empty is not set (`docker run -e INITBOX_GRACE=`, a compose variable unset).
            Takes::Value if text.is_empty() => {}
            Takes::Value => found.push(from_env(text)),
            Takes::Values => found.extend(text.split(|&c| c == b',').filter(|v| !v.is_empty()).map(from_env)),
        }
    }
    used_env
}

/// How many times a flag's variable gives it: `INITBOX_VERBOSE=2` twice, `=0` (`=00`) or
/// empty never, any other value once.
pub fn flag_count(text: &[u8]) -> usize {
    if text.iter().all(|&c| c == b'0') {
        return 0;
    }
    text::parse_decimal(text).map_or(1, |n| (n as usize).min(MAX_REPEAT))
}

fn scan_command_line(all: &[Spec], args: Args) -> core::result::Result<(Vec<Use>, Args), String> {
    let mut found = Vec::new();
    let mut add = |index: usize, value| {
        // The last use of a one-value option wins: the one it replaces is dropped unread,
        // so a script may give a default and then an override.
        if all.get(index).is_some_and(|spec| spec.takes == Takes::Value) {
            found.retain(|earlier: &Use| earlier.index != index);
        }
        found.push(Use { index, value, variable: None });
    };
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        if arg == b"--" {
            break;
        }
        if let Some(body) = arg.strip_prefix(b"--") {
            let (name, inline) = match memchr::memchr(b'=', body) {
                Some(eq) => (body.get(..eq).unwrap_or_default(), body.get(eq + 1..)),
                None => (body, None),
            };
            let (index, opt) = all
                .iter()
                .enumerate()
                .find(|(_, o)| o.long.as_bytes() == name)
                .ok_or_else(|| format!("unknown option '--{}'", lossy(name)))?;
            let value = match (opt.takes, inline) {
                (Takes::Nothing, Some(_)) => {
                    return Err(format!("option '--{}' takes no value", opt.long));
                }
                (Takes::Nothing, None) => &[],
                (_, Some(v)) => v,
                (_, None) => {
                    i += 1;
                    args.get(i - 1).ok_or_else(|| format!("option '--{}' needs a value", opt.long))?
                }
            };
            add(index, value);
        } else if arg.len() > 1 && arg.first() == Some(&b'-') {
            let mut rest = arg.get(1..).unwrap_or_default();
            while let Some((&c, after)) = rest.split_first() {
                let (index, opt) = all
                    .iter()
                    .enumerate()
                    .find(|(_, o)| o.short == c && c != 0)
                    .ok_or_else(|| format!("unknown option '-{}'", lossy(&[c])))?;
                if opt.takes == Takes::Nothing {
                    add(index, &[]);
                    rest = after;
                    continue;
                }
                let value = if after.is_empty() {
                    i += 1;
                    args.get(i - 1).ok_or_else(|| format!("option '-{}' needs a value", c as char))?
                } else {
                    after
                };
                add(index, value);
                break;
            }
        } else {
            i -= 1;
            break;
        }
    }
    Ok((found, args.tail(i)))
}

/// `--help`: the synopsis, the options from the applet's table, then the notes.
fn help_text(usage: &Usage, specs: &[Spec]) -> Vec<u8> {
    let mut text = Vec::from(usage.synopsis);
    text.extend_from_slice(b"\nOptions (each also as an environment variable INITBOX_<OPTION>):\n");
    for spec in specs.iter().chain(COMMON.iter().filter(|spec| !spec.help.is_empty())) {
        let start = text.len();
        text.extend_from_slice(b"  ");
        if spec.short != 0 {
            text.extend_from_slice(&[b'-', spec.short, b',', b' ']);
        }
        text.extend_from_slice(b"--");
        text.extend_from_slice(spec.long.as_bytes());
        if !spec.arg.is_empty() {
            text.push(b' ');
            text.extend_from_slice(spec.arg.as_bytes());
        }
        let mut column = text.len() - start;
        for line in spec.help.lines() {
            let pad = if column + 2 > HELP_COLUMN { 2 } else { HELP_COLUMN - column };
            text.extend(core::iter::repeat_n(b' ', pad));
            text.extend_from_slice(line.as_bytes());
            text.push(b'\n');
            column = 0;
        }
        if spec.help.is_empty() {
            text.push(b'\n');
        }
    }
    if !usage.notes.is_empty() {
        text.push(b'\n');
        text.extend_from_slice(usage.notes.as_bytes());
    }
    text
}

/// `INITBOX_PDEATHSIG` for `pdeathsig`, `INITBOX_CHILDREN_ONLY` for `children-only`.
fn env_name(long: &str) -> Vec<u8> {
    let mut name = b"INITBOX_".to_vec();
    name.extend(long.bytes().map(|c| if c == b'-' { b'_' } else { c.to_ascii_uppercase() }));
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Args {
        let bytes: Vec<&[u8]> = list.iter().map(|w| w.as_bytes()).collect();
        CArray::leak(&bytes)
    }

    fn list(args: Args) -> Vec<Vec<u8>> {
        args.iter().map(<[u8]>::to_vec).collect()
    }

    #[derive(Default, Debug)]
    struct Options {
        grace: Option<Duration>,
        map: Vec<&'static [u8]>,
        all: bool,
    }

    const OPTS: [Opt<Options>; 3] = [
        Opt { short: b'g', ..Opt::duration("grace", |o| &mut o.grace, "how long") },
        Opt::each(
            "map",
            "FROM:TO",
            |o, pair| {
                o.map.push(pair);
                Ok(())
            },
            "a mapping\nover two lines",
        ),
        Opt { short: b'a', ..Opt::flag("all", |o| &mut o.all, "everything") },
    ];

    fn specs() -> Vec<Spec> {
        OPTS.iter().map(Opt::spec).collect()
    }

    #[test]
    fn posix_order_and_forms() {
        let env = Env::new(words(&[]));
        let p = parse(
            &OPTS,
            words(&["--grace=3s", "-a", "--map", "TERM:QUIT", "-g5", "sh", "-c", "--grace"]),
            &env,
        )
        .unwrap();
        assert_eq!(p.options.grace, Some(Duration::from_secs(5)));
        assert!(p.options.all);
        assert_eq!(p.options.map, [&b"TERM:QUIT"[..]]);
        assert_eq!(list(p.operands), list(words(&["sh", "-c", "--grace"])));
        let scanned = scan(&specs(), words(&["-vv", "--", "-a"]), &env).unwrap();
        assert_eq!(scanned.common[VERBOSE], 2);
        assert!(scanned.found.is_empty());
        assert_eq!(list(scanned.operands), list(words(&["-a"])));
        assert!(parse(&OPTS, words(&["--nope"]), &env).is_err());
        assert!(parse(&OPTS, words(&["--grace"]), &env).is_err());
        assert!(parse(&OPTS, words(&["-a=1"]), &env).is_err());
        let bad = parse(&OPTS, words(&["--grace", "soon"]), &env).err().unwrap();
        assert!(bad.starts_with("bad duration 'soon'"), "{bad}");
    }

    #[test]
    fn environment_fills_in_and_command_line_wins() {
        let env = Env::new(words(&[
            "INITBOX_GRACE=30s",
            "INITBOX_MAP=TERM:QUIT,USR1:none",
            "INITBOX_VERBOSE=2",
            "PATH=/bin",
        ]));
        let p = parse(&OPTS, words(&["--grace", "1s", "app"]), &env).unwrap();
        assert_eq!(p.options.grace, Some(Duration::from_secs(1)));
        assert_eq!(p.options.map.len(), 2);
        assert_eq!(scan(&specs(), words(&[]), &env).unwrap().common[VERBOSE], 2);
        assert_eq!(p.used_env, [&b"INITBOX_GRACE"[..], b"INITBOX_MAP", b"INITBOX_VERBOSE"]);
        let mut child = env.for_child(&p.used_env);
        assert_eq!(child.inherited, [&b"PATH=/bin"[..]]);
        child.set(b"PATH", b"/usr/bin");
        child.set(b"LISTEN_PID", b"1");
        assert_eq!(child.pointers().len(), 3);
        assert_eq!(child.added[0].as_bytes(), b"PATH=/usr/bin");
        // Only the table's own variables: no INITBOX_VERBOSE.
        let (options, used) = from_env(&OPTS, &env).unwrap();
        assert_eq!(options.grace, Some(Duration::from_secs(30)));
        assert_eq!(used, [&b"INITBOX_GRACE"[..], b"INITBOX_MAP"]);
        // A bad value from a variable names it.
        let env = Env::new(words(&["INITBOX_GRACE=soon"]));
        let bad = parse(&OPTS, words(&["app"]), &env).err().unwrap();
        assert!(bad.starts_with("bad duration 'soon'") && bad.ends_with(" (from INITBOX_GRACE)"), "{bad}");
        for (text, times) in
            [("", 0), ("0", 0), ("0000000000", 0), ("1", 1), ("yes", 1), ("3", 3), ("999999999", MAX_REPEAT)]
        {
            assert_eq!(flag_count(text.as_bytes()), times, "{text:?}");
        }
    }

    #[test]
    fn the_last_value_wins_unchecked_and_each_use_counts() {
        let env = Env::new(words(&[]));
        let p = parse(&OPTS, words(&["--grace", "bogus", "-g", "2s", "--map", "A", "--map", "B", "x"]), &env)
            .unwrap();
        assert_eq!(p.options.grace, Some(Duration::from_secs(2)));
        assert_eq!(p.options.map, [&b"A"[..], b"B"]);
        assert!(parse(&OPTS, words(&["--grace", "2s", "--grace", "bogus"]), &env).is_err());
    }

    #[test]
    fn help_lists_the_table_in_columns() {
        let usage = Usage { synopsis: "Usage: t [OPTIONS]\n", notes: "Notes.\n" };
        let text = String::from_utf8(help_text(&usage, &specs())).unwrap();
        assert_eq!(
            text,
            "Usage: t [OPTIONS]\n\
             \nOptions (each also as an environment variable INITBOX_<OPTION>):\n\
             \x20 -g, --grace DUR    how long\n\
             \x20 --map FROM:TO      a mapping\n\
             \x20                    over two lines\n\
             \x20 -a, --all          everything\n\
             \x20 -v, --verbose      log more (repeatable); -q, --quiet: log less\n\
             \x20 -h, --help         this text; --version: the version\n\
             \nNotes.\n"
        );
        // An option without help still ends its line.
        let bare = Spec { long: "bare", short: 0, arg: "", help: "", takes: Takes::Nothing };
        let text = String::from_utf8(help_text(&usage, &[bare])).unwrap();
        assert!(text.contains("\n  --bare\n  -v, --verbose"), "{text}");
    }
}
