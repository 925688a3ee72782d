//! Starting the command: fork, then in the child its own process group (and the
//! terminal's foreground, when initbox had it) or session, a clean signal state, and exec
//! with a PATH search. An exec failure travels back over a close-on-exec pipe, so the
//! parent can name it and exit 126 or 127 as a shell would.

use alloc::ffi::CString;
use alloc::format;
use alloc::vec::Vec;
use core::ffi::c_char;

use crate::cli::{Args, ChildEnv, Env};
use crate::error::{Error, NOT_EXECUTABLE, NOT_FOUND, Result};
use crate::hooks::Hooks;
use crate::signals;
use crate::sys::{self, Forked, Pid};
use crate::text::lossy;

const DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

pub struct Command {
    /// The command and its arguments: a tail of initbox's own argv, passed on as it came.
    pub argv: Args,
    pub env: ChildEnv,
    pub group: Grouping,
    /// Give the command the signal mask and ignored signals initbox started with, as tini
    /// and catatonit do (their own test suites check it), instead of a clean start.
    pub inherit_signals: bool,
    /// A personality's lines and exit status in the child (applets/compat.rs).
    pub hooks: Option<&'static dyn Hooks>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Grouping {
    /// Stay in initbox's process group.
    Inherit,
    /// A process group of its own, the terminal's foreground one if initbox's was.
    OwnGroup,
    /// A session of its own, with stdin's terminal as its controlling terminal (dumb-init).
    OwnSession,
}

impl Command {
    /// The command a wrapper applet was given, with the environment it should see.
    /// `used_env`: the applet's own variables, kept from the command.
    pub fn from_operands(operands: Args, used_env: &[&[u8]], env: &Env) -> Result<Command> {
        if operands.is_empty() {
            return Err(Error::usage("no command given (see --help)"));
        }
        Ok(Command {
            argv: operands,
            env: env.for_child(used_env),
            group: Grouping::OwnGroup,
            inherit_signals: false,
            hooks: None,
        })
    }

    /// Starts the command. With no descriptor left for the report pipe it still starts;
    /// the child then reports an exec failure itself, with the same status.
    pub fn spawn(&self) -> Result<Pid> {
        let program = self.argv.get(0).ok_or_else(|| Error::usage("no command given"))?;
        let candidates = self.candidates(program);
        let envp = self.env.pointers();
        let cannot = |err: sys::Errno| {
            Error::usage(format!("cannot start '{}': {}", lossy(program), sys::strerror(err)))
        };
        let report = sys::pipe_cloexec().ok();
        // Only a foreground initbox hands the terminal on: one started in the background
        // of an interactive shell must not take it from the shell.
        let take_terminal = sys::isatty(0) && sys::tcgetpgrp(0) == Ok(sys::getpgrp());
        let pid = match sys::fork() {
            Err(err) => return Err(cannot(err)),
            Ok(Forked::Child) => {
                let report_write = report.map(|(read, write)| {
                    drop(read);
                    write
                });
                self.become_command(take_terminal, &candidates, envp.as_ptr(), report_write)
            }
            Ok(Forked::Parent(pid)) => pid,
        };
        let Some((report_read, report_write)) = report else { return Ok(pid) };
        drop(report_write);
        // The read returns at exec (the pipe closes) or with the child's errno: either way
        // the child has its group or session by then, before any signal is forwarded.
        let mut buf = [0u8; 4];
        let got = sys::read(report_read.raw(), &mut buf).unwrap_or(0);
        drop(report_read);
        if got < buf.len() {
            return Ok(pid);
        }
        sys::wait_for(pid);
        Err(exec_error(program, i32::from_ne_bytes(buf)))
    }

    /// Where execvp would look for `program`, in order.
    fn candidates(&self, program: &[u8]) -> Vec<CString> {
        if program.contains(&b'/') {
            return alloc::vec![sys::c_string(program)];
        }
        let path = self.env.get(b"PATH").unwrap_or(DEFAULT_PATH);
        path.split(|&c| c == b':')
            .map(|dir| {
                let dir = if dir.is_empty() { &b"."[..] } else { dir };
                sys::c_string(&[dir, b"/", program].concat())
            })
            .collect()
    }

    fn become_command(
        &self,
        take_terminal: bool,
        candidates: &[CString],
        envp: *const *const c_char,
        report: Option<sys::Fd>,
    ) -> ! {
        if let Some(hooks) = self.hooks {
            hooks.in_child();
        }
        match self.group {
            Grouping::Inherit => {}
            Grouping::OwnGroup => {
                let _ = sys::setpgid(0, 0);
                if take_terminal {
                    // SIGTTOU is still blocked here, so the hand-over cannot stop us.
                    let _ = sys::tcsetpgrp(0, sys::getpid());
                }
            }
            Grouping::OwnSession => {
                let _ = sys::setsid();
                // Fails harmlessly (ENOTTY, EPERM) where there is no terminal to take.
                let tty = sys::take_controlling_terminal(0);
                if let Some(hooks) = self.hooks {
                    hooks.session(tty);
                }
            }
        }
        if self.inherit_signals {
            let mask = signals::start_mask();
            signals::inherited_start(self.hooks.map_or(mask, |hooks| hooks.child_mask(mask)));
        } else {
            signals::clean_start();
        }
        // A personality may change the environment now that the command's pid is known.
        // (`replaced` owns the strings its pointers point into: both live until exec.)
        let replaced = self.hooks.and_then(|hooks| hooks.exec_env(&self.env));
        let replaced_ptrs = replaced.as_ref().map(ChildEnv::pointers);
        let envp = replaced_ptrs.as_ref().map_or(envp, |ptrs| ptrs.as_ptr());
        // As execvp: a permission problem on one candidate is reported only if no later
        // candidate runs; "not found" is the answer when nothing exists. A file without
        // `#!` (ENOEXEC) runs with /bin/sh, as execvp and the shells do.
        let mut error = libc::ENOENT;
        for path in candidates {
            match sys::execve_raw(path, self.argv.as_ptr(), envp) {
                libc::ENOENT | libc::ENOTDIR => {}
                libc::EACCES => error = libc::EACCES,
                libc::ENOEXEC => {
                    error = self.exec_with_shell(path, envp);
                    break;
                }
                other => {
                    error = other;
                    break;
                }
            }
        }
        if let Some(code) =
            self.hooks.and_then(|hooks| hooks.exec_failed(self.argv.get(0).unwrap_or_default(), error))
        {
            sys::exit_now(code);
        }
        match report {
            Some(fd) => {
                let _ = sys::write_all(fd.raw(), &error.to_ne_bytes());
            }
            None => {
                let err = exec_error(self.argv.get(0).unwrap_or_default(), error);
                crate::error!("{}", err.message);
                sys::exit_now(err.code)
            }
        }
        sys::exit_now(NOT_FOUND)
    }

    fn exec_with_shell(&self, script: &CString, envp: *const *const c_char) -> sys::Errno {
        // argv[0] as glibc's execvp gives it.
        let mut argv: Vec<*const c_char> = alloc::vec![c"/bin/sh".as_ptr(), script.as_ptr()];
        argv.extend(self.argv.tail(1).iter().map(|arg| arg.as_ptr().cast::<c_char>()));
        argv.push(core::ptr::null());
        sys::execve_raw(c"/bin/sh", argv.as_ptr(), envp)
    }
}

fn exec_error(program: &[u8], err: sys::Errno) -> Error {
    let (code, why) = match err {
        libc::ENOENT | libc::ENOTDIR => (NOT_FOUND, "command not found"),
        _ => (NOT_EXECUTABLE, sys::strerror(err)),
    };
    Error::new(code, format!("cannot run '{}': {why}", lossy(program)))
}
