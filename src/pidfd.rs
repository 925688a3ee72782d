//! Processes held by pidfd: a pid read once can be reused by another process later, a
//! pidfd cannot. Signals sent through it reach the process it was opened for or nobody.

use alloc::vec::Vec;
use core::ffi::c_int;
use core::time::Duration;

use crate::proc::{self, ProcStat};
use crate::sys::{self, Errno, Pid};

pub struct PidFd {
    fd: c_int,
}

impl PidFd {
    pub fn open(pid: Pid) -> Result<PidFd, Errno> {
        Ok(PidFd { fd: sys::pidfd_open(pid)? })
    }

    pub fn signal(&self, sig: i32) -> Result<(), Errno> {
        sys::pidfd_send_signal(self.fd, sig)
    }
}

impl Drop for PidFd {
    fn drop(&mut self) {
        sys::close(self.fd);
    }
}

/// Signals a process seen in /proc earlier, if it is still that process: the pidfd is
/// opened first, then the start time is checked, so the pid cannot be reused in between.
/// On kernels without pidfds (before 5.3) it falls back to kill() after the same check,
/// which leaves a window of one system call.
pub fn signal_seen(seen: &ProcStat, sig: i32) -> Result<(), Errno> {
    let still_same = || proc::stat(seen.pid).is_some_and(|now| now.start_time == seen.start_time);
    match PidFd::open(seen.pid) {
        Ok(target) if still_same() => target.signal(sig),
        Ok(_) => Err(libc::ESRCH),
        Err(libc::ENOSYS) if still_same() => sys::kill(seen.pid, sig),
        Err(err) => Err(err),
    }
}

/// Waits until every process in `targets` has exited or `timeout` has passed; returns
/// whether all exited. No timeout means wait as long as it takes.
pub fn wait_exited(targets: &[PidFd], timeout: Option<Duration>) -> Result<bool, Errno> {
    let deadline = timeout.map(|t| sys::now() + t);
    let mut waiting: Vec<c_int> = targets.iter().map(|t| t.fd).collect();
    while !waiting.is_empty() {
        let left = match deadline {
            Some(d) => match d.checked_sub(sys::now()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => return Ok(false),
            },
            None => None,
        };
        let exited = sys::poll_readable(&waiting, left)?;
        let mut flags = exited.iter();
        waiting.retain(|_| !flags.next().copied().unwrap_or(false));
    }
    Ok(true)
}
