//! Where a personality (applets/compat.rs) adds the original's own lines and quirks to a
//! run: fixed points of the supervisor loop, and of the child between fork and exec. Every
//! method does nothing by default, so init and the other applets pass no hooks at all.

use crate::cli::ChildEnv;
use crate::sys::{Errno, Pid, SigBits, Status};

pub trait Hooks {
    /// In the supervisor, with its signals blocked, just before the command is started.
    fn before_spawn(&self) {}
    /// The command runs as `pid`.
    fn spawned(&self, _pid: Pid) {}
    /// A signal was taken from the pending set (SIGCHLD too); false drops it unseen.
    fn received(&self, _sig: i32) -> bool {
        true
    }
    /// `sig` was sent on as `to` with `result` (`to` None: the map dropped it).
    fn forwarded(&self, _sig: i32, _to: Option<i32>, _result: Result<(), Errno>) {}
    /// A child was reaped; `command`: it was the command.
    fn reaped(&self, _pid: Pid, _status: Status, _command: bool) {}
    /// A reaping pass ended: nothing more has exited; `children_left`: some still run.
    fn reaped_all(&self, _children_left: bool) {}
    /// The command's exit, after its reaping, before the supervisor acts on it.
    fn command_exited(&self, _pid: Pid, _status: Status) {}
    /// In the child, first thing after the fork.
    fn in_child(&self) {}
    /// In the child: the signal mask to exec with, given the one initbox started with
    /// (only where the command inherits initbox's signal state).
    fn child_mask(&self, mask: SigBits) -> SigBits {
        mask
    }
    /// In the child, after setsid and the attempt to take stdin's terminal (`tty`).
    fn session(&self, _tty: Result<(), Errno>) {}
    /// In the child, before exec: the environment to exec with instead of `env` (None: `env`).
    fn exec_env(&self, _env: &ChildEnv) -> Option<ChildEnv> {
        None
    }
    /// In the child, when no exec succeeded: Some(status) ends the child here with that
    /// status (the personality said why); None reports the error to the parent.
    fn exec_failed(&self, _program: &[u8], _err: Errno) -> Option<i32> {
        None
    }
}
