//! Command lines and the environment: POSIX-order option parsing shared by every applet,
//! `INITBOX_<OPTION>` variables, and the child's environment without the ones used.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::ffi::c_char;

use crate::error::{Error, Result};
use crate::signals::lossy;
use crate::sys::CArray;
use crate::{log, sys};

/// An applet's arguments: a view of the process's own argv, never copied.
pub type Args = CArray;

/// More `-v` than this says nothing more (INITBOX_VERBOSE=999999999 is not a count to
/// believe).
const MAX_REPEAT: usize = 8;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The commit built from (see build.rs): `0123456789ab`, with `-dirty` for local changes.
pub const COMMIT: &str = env!("INITBOX_COMMIT");

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    /// A flag; may repeat (`-vv`).
    Nothing,
    /// One value; the last one given wins.
    Value,
    /// A value per use; the environment variable lists them separated by commas.
    Values,
}

pub struct Opt {
    pub long: &'static str,
    /// 0 when the option has no short form.
    pub short: u8,
    pub takes: Takes,
}

pub const fn flag(long: &'static str, short: u8) -> Opt {
    Opt { long, short, takes: Takes::Nothing }
}
pub const fn value(long: &'static str, short: u8) -> Opt {
    Opt { long, short, takes: Takes::Value }
}
pub const fn values(long: &'static str, short: u8) -> Opt {
    Opt { long, short, takes: Takes::Values }
}

/// Options every applet has, besides its own.
const COMMON: [Opt; 4] = [flag("help", b'h'), flag("version", 0), flag("verbose", b'v'), flag("quiet", b'q')];

/// The process environment, as `NAME=value` byte strings (a view of envp).
pub struct Env {
    vars: CArray,
}

impl Env {
    pub fn new(vars: CArray) -> Self {
        Env { vars }
    }

    pub fn get(&self, name: &[u8]) -> Option<&'static [u8]> {
        self.vars.iter().find_map(|var| var.strip_prefix(name).and_then(|rest| rest.strip_prefix(b"=")))
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
        added.chain(inherited).find_map(|var| var.strip_prefix(name).and_then(|rest| rest.strip_prefix(b"=")))
    }

    /// The null-terminated pointer array execve takes; valid while `self` lives.
    pub fn pointers(&self) -> Vec<*const c_char> {
        let mut ptrs: Vec<*const c_char> = self.inherited.iter().map(|var| var.as_ptr().cast()).collect();
        ptrs.extend(self.added.iter().map(|var| var.as_ptr()));
        ptrs.push(core::ptr::null());
        ptrs
    }
}

/// What the command line and environment said.
pub struct Parsed {
    found: Vec<(&'static str, &'static [u8])>,
    /// The words after the options: the command and its arguments, or operands.
    pub operands: Args,
    /// The `INITBOX_*` variables that were used, to keep them from the child.
    pub used_env: Vec<Vec<u8>>,
}

impl Parsed {
    pub fn count(&self, long: &str) -> usize {
        self.found.iter().filter(|(name, _)| *name == long).count()
    }

    pub fn all<'a>(&'a self, long: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.found.iter().filter(move |(name, _)| *name == long).map(|(_, v)| *v)
    }

    pub fn last<'a>(&'a self, long: &'a str) -> Option<&'a [u8]> {
        self.all(long).last()
    }
}

/// Parses an applet's arguments (after its name), handles `--help` and `--version`, and
/// starts logging at the level `-v`/`-q` ask for. `usage_code` is the status for a usage
/// error (125 for wrappers, 2 for tools like killtree).
pub fn start(
    applet: &'static str,
    usage: &str,
    opts: &[Opt],
    args: Args,
    env: &Env,
    usage_code: i32,
) -> Result<Parsed> {
    let mut parsed = parse(opts, args, env)
        .map_err(|msg| Error::new(usage_code, format!("{msg} (see '{applet} --help')")))?;
    if parsed.count("help") > 0 {
        let _ = sys::write_all(1, usage.as_bytes());
        return Err(Error::quiet(0));
    }
    if parsed.count("version") > 0 {
        let _ = sys::write_all(1, format!("initbox {VERSION} ({applet})\n").as_bytes());
        return Err(Error::quiet(0));
    }
    log::start(applet, parsed.count("verbose"), parsed.count("quiet"));
    parsed.found.retain(|(name, _)| !matches!(*name, "verbose" | "quiet"));
    Ok(parsed)
}

pub fn parse(opts: &[Opt], args: Args, env: &Env) -> core::result::Result<Parsed, String> {
    let all: Vec<&Opt> = opts.iter().chain(COMMON.iter()).collect();
    let mut parsed = parse_command_line(&all, args)?;
    parsed.fill_from_env(opts.iter().chain(COMMON.get(2..).unwrap_or_default()), env);
    Ok(parsed)
}

fn parse_command_line(all: &[&Opt], args: Args) -> core::result::Result<Parsed, String> {
    let mut found: Vec<(&'static str, &'static [u8])> = Vec::new();
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
            let opt = all
                .iter()
                .find(|o| o.long.as_bytes() == name)
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
            found.push((opt.long, value));
        } else if arg.len() > 1 && arg.first() == Some(&b'-') {
            let mut rest = arg.get(1..).unwrap_or_default();
            while let Some((&c, after)) = rest.split_first() {
                let opt = all
                    .iter()
                    .find(|o| o.short == c && c != 0)
                    .ok_or_else(|| format!("unknown option '-{}'", lossy(&[c])))?;
                if opt.takes == Takes::Nothing {
                    found.push((opt.long, &[]));
                    rest = after;
                    continue;
                }
                let value = if after.is_empty() {
                    i += 1;
                    args.get(i - 1).ok_or_else(|| format!("option '-{}' needs a value", c as char))?
                } else {
                    after
                };
                found.push((opt.long, value));
                break;
            }
        } else {
            i -= 1;
            break;
        }
    }
    Ok(Parsed { found, operands: args.tail(i), used_env: Vec::new() })
}

impl Parsed {
    /// Options not on the command line are taken from `INITBOX_<OPTION>` variables.
    fn fill_from_env<'a>(&mut self, opts: impl Iterator<Item = &'a Opt>, env: &Env) {
        for opt in opts {
            let var = env_name(opt.long);
            let Some(text) = env.get(&var) else { continue };
            self.used_env.push(var);
            if self.count(opt.long) > 0 {
                continue; // the command line wins
            }
            match opt.takes {
                Takes::Nothing => {
                    let times = match text {
                        b"" | b"0" => 0,
                        _ => sys::parse_decimal(text).map_or(1, |n| (n as usize).min(MAX_REPEAT)),
                    };
                    self.found.extend((0..times).map(|_| (opt.long, &b""[..])));
                }
                Takes::Value => self.found.push((opt.long, text)),
                Takes::Values => self
                    .found
                    .extend(text.split(|&c| c == b',').filter(|v| !v.is_empty()).map(|v| (opt.long, v))),
            }
        }
    }
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

    const OPTS: [Opt; 3] = [value("grace", b'g'), values("map", 0), flag("all", b'a')];

    #[test]
    fn posix_order_and_forms() {
        let env = Env::new(words(&[]));
        let p = parse(
            &OPTS,
            words(&["--grace=3s", "-a", "--map", "TERM:QUIT", "-g5", "sh", "-c", "--grace"]),
            &env,
        )
        .unwrap();
        assert_eq!(p.last("grace"), Some(&b"5"[..]));
        assert_eq!(p.count("all"), 1);
        assert_eq!(p.all("map").collect::<Vec<_>>(), [&b"TERM:QUIT"[..]]);
        assert_eq!(list(p.operands), list(words(&["sh", "-c", "--grace"])));
        let p = parse(&OPTS, words(&["-vv", "--", "-a"]), &env).unwrap();
        assert_eq!(p.count("verbose"), 2);
        assert_eq!(list(p.operands), list(words(&["-a"])));
        assert!(parse(&OPTS, words(&["--nope"]), &env).is_err());
        assert!(parse(&OPTS, words(&["--grace"]), &env).is_err());
        assert!(parse(&OPTS, words(&["-a=1"]), &env).is_err());
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
        assert_eq!(p.last("grace"), Some(&b"1s"[..]));
        assert_eq!(p.all("map").count(), 2);
        assert_eq!(p.count("verbose"), 2);
        assert_eq!(p.used_env, list(words(&["INITBOX_GRACE", "INITBOX_MAP", "INITBOX_VERBOSE"])));
        let used: Vec<&[u8]> = p.used_env.iter().map(Vec::as_slice).collect();
        let mut child = env.for_child(&used);
        assert_eq!(child.inherited, [&b"PATH=/bin"[..]]);
        child.set(b"PATH", b"/usr/bin");
        child.set(b"LISTEN_PID", b"1");
        assert_eq!(child.pointers().len(), 3);
        assert_eq!(child.added[0].as_bytes(), b"PATH=/usr/bin");
    }
}
