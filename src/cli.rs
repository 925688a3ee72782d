//! Command lines and the environment: POSIX-order option parsing shared by every applet,
//! `INITBOX_<OPTION>` variables, and the child's environment without the ones used.

use alloc::ffi::CString;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{Error, Result};
use crate::signals::lossy;
use crate::{log, sys};

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

/// The process environment, as `NAME=value` byte strings.
pub struct Env {
    vars: Vec<Vec<u8>>,
}

impl Env {
    pub fn new(vars: Vec<Vec<u8>>) -> Self {
        Env { vars }
    }

    pub fn get(&self, name: &[u8]) -> Option<&[u8]> {
        self.vars.iter().find_map(|var| var.strip_prefix(name).and_then(|rest| rest.strip_prefix(b"=")))
    }

    /// The environment for a child: everything but the variables named in `drop`.
    pub fn for_child(&self, drop: &[Vec<u8>]) -> Vec<CString> {
        self.vars
            .iter()
            .filter(|var| {
                let name = var.split(|&c| c == b'=').next().unwrap_or_default();
                !drop.iter().any(|d| d.as_slice() == name)
            })
            .map(|var| sys::c_string(var))
            .collect()
    }
}

/// What the command line and environment said.
pub struct Parsed {
    found: Vec<(&'static str, Vec<u8>)>,
    /// The words after the options: the command and its arguments, or operands.
    pub operands: Vec<Vec<u8>>,
    /// The `INITBOX_*` variables that were used, to keep them from the child.
    pub used_env: Vec<Vec<u8>>,
}

impl Parsed {
    pub fn count(&self, long: &str) -> usize {
        self.found.iter().filter(|(name, _)| *name == long).count()
    }

    pub fn all<'a>(&'a self, long: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.found.iter().filter(move |(name, _)| *name == long).map(|(_, v)| v.as_slice())
    }

    pub fn last<'a>(&'a self, long: &'a str) -> Option<&'a [u8]> {
        self.all(long).last()
    }
}

/// Parses an applet's arguments (after its name), handles `--help` and `--version`, and
/// starts logging at the level `-v`/`-q` ask for. `usage_code` is the status for a usage
/// error (125 for wrappers, 2 for tools like killtree).
pub fn start(
    applet: &str,
    usage: &str,
    opts: &[Opt],
    args: &[Vec<u8>],
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

pub fn parse(opts: &[Opt], args: &[Vec<u8>], env: &Env) -> core::result::Result<Parsed, String> {
    let all: Vec<&Opt> = opts.iter().chain(COMMON.iter()).collect();
    let mut parsed = parse_command_line(&all, args)?;
    parsed.fill_from_env(opts.iter().chain(COMMON.get(2..).unwrap_or_default()), env);
    Ok(parsed)
}

fn parse_command_line(all: &[&Opt], args: &[Vec<u8>]) -> core::result::Result<Parsed, String> {
    let mut found: Vec<(&'static str, Vec<u8>)> = Vec::new();
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
                (Takes::Nothing, None) => Vec::new(),
                (_, Some(v)) => v.to_vec(),
                (_, None) => {
                    i += 1;
                    args.get(i - 1).ok_or_else(|| format!("option '--{}' needs a value", opt.long))?.clone()
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
                    found.push((opt.long, Vec::new()));
                    rest = after;
                    continue;
                }
                let value = if after.is_empty() {
                    i += 1;
                    args.get(i - 1).ok_or_else(|| format!("option '-{}' needs a value", c as char))?.clone()
                } else {
                    after.to_vec()
                };
                found.push((opt.long, value));
                break;
            }
        } else {
            i -= 1;
            break;
        }
    }
    Ok(Parsed { found, operands: args.get(i..).unwrap_or_default().to_vec(), used_env: Vec::new() })
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
                        _ => sys::parse_decimal(text).map_or(1, |n| n as usize),
                    };
                    self.found.extend((0..times).map(|_| (opt.long, Vec::new())));
                }
                Takes::Value => self.found.push((opt.long, text.to_vec())),
                Takes::Values => self.found.extend(
                    text.split(|&c| c == b',').filter(|v| !v.is_empty()).map(|v| (opt.long, v.to_vec())),
                ),
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

    fn words(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    const OPTS: [Opt; 3] = [value("grace", b'g'), values("map", 0), flag("all", b'a')];

    #[test]
    fn posix_order_and_forms() {
        let env = Env::new(Vec::new());
        let p = parse(
            &OPTS,
            &words(&["--grace=3s", "-a", "--map", "TERM:QUIT", "-g5", "sh", "-c", "--grace"]),
            &env,
        )
        .unwrap();
        assert_eq!(p.last("grace"), Some(&b"5"[..]));
        assert_eq!(p.count("all"), 1);
        assert_eq!(p.all("map").collect::<Vec<_>>(), [&b"TERM:QUIT"[..]]);
        assert_eq!(p.operands, words(&["sh", "-c", "--grace"]));
        let p = parse(&OPTS, &words(&["-vv", "--", "-a"]), &env).unwrap();
        assert_eq!(p.count("verbose"), 2);
        assert_eq!(p.operands, words(&["-a"]));
        assert!(parse(&OPTS, &words(&["--nope"]), &env).is_err());
        assert!(parse(&OPTS, &words(&["--grace"]), &env).is_err());
        assert!(parse(&OPTS, &words(&["-a=1"]), &env).is_err());
    }

    #[test]
    fn environment_fills_in_and_command_line_wins() {
        let env = Env::new(words(&[
            "INITBOX_GRACE=30s",
            "INITBOX_MAP=TERM:QUIT,USR1:none",
            "INITBOX_VERBOSE=2",
            "PATH=/bin",
        ]));
        let p = parse(&OPTS, &words(&["--grace", "1s", "app"]), &env).unwrap();
        assert_eq!(p.last("grace"), Some(&b"1s"[..]));
        assert_eq!(p.all("map").count(), 2);
        assert_eq!(p.count("verbose"), 2);
        assert_eq!(p.used_env, words(&["INITBOX_GRACE", "INITBOX_MAP", "INITBOX_VERBOSE"]));
        let child = env.for_child(&p.used_env);
        assert_eq!(child.len(), 1);
        assert_eq!(child[0].as_bytes(), b"PATH=/bin");
    }
}
