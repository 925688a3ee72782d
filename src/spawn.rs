//! Starting the command: fork, then in the child its own process group, the terminal's
//! foreground, the signal state initbox changed given back, and exec with a PATH search.
//! An exec failure travels back over a close-on-exec pipe, so the parent can name it and
//! exit 126 or 127 as a shell would.

use alloc::ffi::CString;
use alloc::format;
use alloc::vec::Vec;

use crate::cli::{Env, Parsed};
use crate::error::{Error, NOT_EXECUTABLE, NOT_FOUND, Result};
use crate::hooks::Hooks;
use crate::signals::{self, lossy};
use crate::sys::{self, Forked, Pid, SigBits};

const DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

pub struct Command {
    pub argv: Vec<Vec<u8>>,
    pub env: Vec<CString>,
    pub group: Grouping,
    /// Give the command the signal mask and ignored signals initbox started with, as tini
    /// and catatonit do (their own test suites check it), instead of a clean start.
    pub inherit_signals: bool,
    /// A personality's lines and exit status in the child (applets/compat.rs).
    pub hooks: Option<&'static dyn Hooks>,
    /// As glibc's execvp, which the originals use: a file the kernel cannot run (ENOEXEC)
    /// runs as a /bin/sh script.
    pub scripts_via_sh: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Grouping {
    /// Stay in initbox's process group.
    Inherit,
    /// A process group of its own, the terminal's foreground one if stdin is a terminal.
    OwnGroup,
    /// A session of its own, with stdin's terminal as its controlling terminal (dumb-init).
    OwnSession,
}

impl Command {
    /// The command a wrapper applet was given, with the environment it should see.
    pub fn from_operands(parsed: &Parsed, env: &Env) -> Result<Command> {
        if parsed.operands.is_empty() {
            return Err(Error::usage("no command given (see --help)"));
        }
        Ok(Command {
            argv: parsed.operands.clone(),
            env: env.for_child(&parsed.used_env),
            group: Grouping::OwnGroup,
            inherit_signals: false,
            hooks: None,
            scripts_via_sh: false,
        })
    }

    /// Starts the command with `mask` as its signal mask (the one initbox started with).
    pub fn spawn(&self, mask: SigBits) -> Result<Pid> {
        let program = self.argv.first().ok_or_else(|| Error::usage("no command given"))?;
        let candidates = self.candidates(program);
        let argv: Vec<CString> = self.argv.iter().map(|a| sys::c_string(a)).collect();
        let argv_ptrs = sys::pointer_array(&argv);
        let env_ptrs = sys::pointer_array(&self.env);
        let cannot = |err: sys::Errno| {
            Error::usage(format!("cannot start '{}': {}", lossy(program), sys::strerror(err)))
        };
        let (report_read, report_write) = sys::pipe_cloexec().map_err(cannot)?;
        let pid = match sys::fork() {
            Err(err) => {
                sys::close(report_read);
                sys::close(report_write);
                return Err(cannot(err));
            }
            Ok(Forked::Child) => {
                sys::close(report_read);
                self.become_command(mask, &candidates, &argv_ptrs, &env_ptrs, report_write)
            }
            Ok(Forked::Parent(pid)) => pid,
        };
        sys::close(report_write);
        // The read returns at exec (the pipe closes) or with the child's errno: either way
        // the child has its group or session by then, before any signal is forwarded.
        let mut report = [0u8; 4];
        let got = sys::read(report_read, &mut report).unwrap_or(0);
        sys::close(report_read);
        if got < report.len() {
            return Ok(pid);
        }
        sys::wait_for(pid);
        let err = i32::from_ne_bytes(report);
        let (code, why) = match err {
            libc::ENOENT | libc::ENOTDIR => (NOT_FOUND, "command not found"),
            _ => (NOT_EXECUTABLE, sys::strerror(err)),
        };
        Err(Error::new(code, format!("cannot run '{}': {why}", lossy(program))))
    }

    /// Where execvp would look for `program`, in order.
    fn candidates(&self, program: &[u8]) -> Vec<CString> {
        if program.contains(&b'/') {
            return alloc::vec![sys::c_string(program)];
        }
        let path =
            self.env.iter().find_map(|var| var.as_bytes().strip_prefix(b"PATH=")).unwrap_or(DEFAULT_PATH);
        path.split(|&c| c == b':')
            .map(|dir| {
                let dir = if dir.is_empty() { &b"."[..] } else { dir };
                let mut full = dir.to_vec();
                full.push(b'/');
                full.extend_from_slice(program);
                sys::c_string(&full)
            })
            .collect()
    }

    fn become_command(
        &self,
        mask: SigBits,
        candidates: &[CString],
        argv: &[*const core::ffi::c_char],
        envp: &[*const core::ffi::c_char],
        report: i32,
    ) -> ! {
        if let Some(hooks) = self.hooks {
            hooks.in_child();
        }
        match self.group {
            Grouping::Inherit => {}
            Grouping::OwnGroup => {
                let _ = sys::setpgid(0, 0);
                if sys::isatty(0) {
                    // SIGTTOU is still blocked here, so a background caller may take the terminal.
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
            signals::restore_sigpipe();
            let _ = sys::set_signal_mask(self.hooks.map_or(mask, |hooks| hooks.child_mask(mask)));
        } else {
            // A clean start: only an ignored signal would outlive exec.
            for sig in (1..=signals::RTMAX).filter(|&s| s != signals::KILL && s != signals::STOP) {
                sys::set_ignored(sig, false);
            }
            let _ = sys::set_signal_mask(SigBits(0));
        }
        // A personality may change the environment now that the command's pid is known.
        let replaced = self.hooks.and_then(|hooks| hooks.exec_env(&self.env));
        let replaced_ptrs = replaced.as_deref().map(sys::pointer_array);
        let envp = replaced_ptrs.as_deref().unwrap_or(envp);
        // As execvp: a permission problem on one candidate is reported only if no later
        // candidate runs; "not found" is the answer when nothing exists.
        let mut error = libc::ENOENT;
        for path in candidates {
            match sys::execve(path, argv, envp) {
                libc::ENOENT | libc::ENOTDIR => {}
                libc::EACCES => error = libc::EACCES,
                libc::ENOEXEC if self.scripts_via_sh => {
                    let mut via_sh = Vec::with_capacity(argv.len() + 1);
                    via_sh.extend([c"/bin/sh".as_ptr(), path.as_ptr()]);
                    via_sh.extend(argv.iter().skip(1)); // the arguments and the null
                    error = sys::execve(c"/bin/sh", &via_sh, envp);
                    break;
                }
                other => {
                    error = other;
                    break;
                }
            }
        }
        let program = self.argv.first().map_or(&b""[..], Vec::as_slice);
        if let Some(code) = self.hooks.and_then(|hooks| hooks.exec_failed(program, error)) {
            sys::exit_now(code);
        }
        let _ = sys::write_all(report, &error.to_ne_bytes());
        sys::exit_now(NOT_FOUND)
    }
}
