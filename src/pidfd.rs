//! Processes held from the moment they are found. A pid read from /proc may name another
//! process a moment later; a pidfd cannot: signals sent through it reach the process it
//! was opened for or nobody, and it becomes readable when that process exits.

use alloc::vec::Vec;
use core::ffi::c_int;
use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;

use crate::info;
use crate::proc::{self, ProcStat};
use crate::sys::{self, Errno, Pid};

/// How often exits are checked where there are no pidfds to wait on (kernels before 5.3).
const FALLBACK_POLL: Duration = Duration::from_millis(20);

static FALLBACK_NOTED: AtomicBool = AtomicBool::new(false);

pub struct Held {
    pub stat: ProcStat,
    /// None on kernels without pidfd_open: then the pid and start time name the process.
    fd: Option<c_int>,
}

impl Held {
    /// Holds a process seen in /proc: the pidfd is opened first, then the start time is
    /// checked again, so a pid reused in between is never held.
    pub fn hold(seen: &ProcStat) -> Result<Held, Errno> {
        let held = Held { stat: *seen, fd: open(seen.pid)? };
        if held.is_alive_same() { Ok(held) } else { Err(libc::ESRCH) }
    }

    /// Holds a pid given by a user.
    pub fn hold_pid(pid: Pid) -> Result<Held, Errno> {
        let fd = open(pid)?;
        // A /proc of another PID namespace would describe another process.
        let stat = if proc::is_ours() { proc::stat(pid) } else { None };
        match (fd, stat) {
            (fd, Some(stat)) => Ok(Held { stat, fd }),
            // No /proc, but the pidfd names the process well enough.
            (Some(fd), None) => Ok(Held { stat: ProcStat::unknown(pid), fd: Some(fd) }),
            (None, None) => Err(libc::ESRCH),
        }
    }

    pub fn pid(&self) -> Pid {
        self.stat.pid
    }

    pub fn signal(&self, sig: i32) -> Result<(), Errno> {
        match self.fd {
            Some(fd) => sys::pidfd_send_signal(fd, sig),
            // One system call's window for reuse remains: the best an old kernel allows.
            None if self.is_alive_same() => sys::kill(self.stat.pid, sig),
            None => Err(libc::ESRCH),
        }
    }

    /// Still the process first seen, and not yet exited (a zombie has exited).
    fn is_alive_same(&self) -> bool {
        proc::stat(self.stat.pid)
            .is_some_and(|now| now.start_time == self.stat.start_time && now.state != b'Z')
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(fd) = self.fd {
            sys::close(fd);
        }
    }
}

fn open(pid: Pid) -> Result<Option<c_int>, Errno> {
    match sys::pidfd_open(pid) {
        Ok(fd) => Ok(Some(fd)),
        // ENOSYS: a kernel before 5.3. EPERM: a seccomp profile that refuses pidfds (Docker's
        // default before 20.10, hardened ones); pidfd_open itself has no permission check.
        Err(err @ (libc::ENOSYS | libc::EPERM)) => {
            if !FALLBACK_NOTED.swap(true, Ordering::Relaxed) {
                info!(
                    "pidfd_open refused ({}): using kill() with a start-time check instead",
                    sys::strerror(err)
                );
            }
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

/// The pids a user named on the command line, held. A word that is not a pid is a usage
/// error (`usage_code`); a pid with no process is logged, named, and reported in the
/// returned flag, and the others are still held. `spare` (the caller) is skipped.
pub fn hold_operands<'a>(
    operands: impl Iterator<Item = &'a [u8]>,
    spare: Pid,
    usage_code: i32,
) -> crate::error::Result<(Vec<Held>, bool)> {
    let mut held = Vec::new();
    let mut missing = false;
    for text in operands {
        let pid = sys::parse_decimal(text).filter(|pid| *pid > 0).ok_or_else(|| {
            crate::error::Error::new(usage_code, alloc::format!("bad pid '{}'", crate::signals::lossy(text)))
        })?;
        if pid == spare {
            crate::warn!("pid {pid} is this process itself: skipped");
            continue;
        }
        match Held::hold_pid(pid) {
            Ok(target) => held.push(target),
            Err(err) => {
                missing = true;
                crate::error!(
                    "pid {pid}: {}",
                    if err == libc::ESRCH { "no such process" } else { sys::strerror(err) }
                );
            }
        }
    }
    Ok((held, missing))
}

/// Signals a process seen in /proc earlier, if it is still that process.
pub fn signal_seen(seen: &ProcStat, sig: i32) -> Result<(), Errno> {
    Held::hold(seen)?.signal(sig)
}

/// Waits until every held process has exited or `timeout` has passed; returns whether
/// all exited. No timeout means as long as it takes.
pub fn wait_exited(targets: &[Held], timeout: Option<Duration>) -> Result<bool, Errno> {
    let deadline = timeout.map(|t| sys::now() + t);
    let mut waiting: Vec<&Held> = targets.iter().collect();
    loop {
        let fds: Vec<c_int> = waiting.iter().filter_map(|t| t.fd).collect();
        let exited = sys::poll_readable(&fds, Some(Duration::ZERO))?;
        let mut exited = exited.iter();
        waiting.retain(|t| match t.fd {
            Some(_) => !exited.next().copied().unwrap_or(false),
            None => t.is_alive_same(),
        });
        if waiting.is_empty() {
            return Ok(true);
        }
        let left = match deadline {
            Some(d) if sys::now() >= d => return Ok(false),
            Some(d) => Some(d.saturating_sub(sys::now())),
            None => None,
        };
        let fallback = waiting.iter().any(|t| t.fd.is_none());
        let nap = if fallback { Some(left.map_or(FALLBACK_POLL, |l| l.min(FALLBACK_POLL))) } else { left };
        let fds: Vec<c_int> = waiting.iter().filter_map(|t| t.fd).collect();
        sys::poll_readable(&fds, nap)?;
    }
}
