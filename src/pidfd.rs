//! Processes held from the moment they are found. A pid read from /proc may name another
//! process a moment later; a pidfd cannot: signals sent through it reach the process it
//! was opened for or nobody, and it becomes readable when that process exits.

use alloc::vec::Vec;
use core::ffi::c_int;
use core::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use core::time::Duration;

use crate::info;
use crate::proc::{self, ProcStat};
use crate::sys::{self, Errno, Pid};
use crate::text;

/// How often exits are checked for processes held without a pidfd.
const FALLBACK_POLL: Duration = Duration::from_millis(20);

/// Descriptors kept free under the limit for reading /proc while pidfds fill the table.
const RESERVE: i32 = 4;

/// pidfds unusable here (ENOSYS: kernel before 5.3; EPERM: a seccomp filter).
static NO_PIDFDS: AtomicBool = AtomicBool::new(false);
/// The descriptor limit was reached: processes found from now on are held by pid.
static FDS_SHORT: AtomicBool = AtomicBool::new(false);
/// pidfds numbered this high or higher are given back (see `use_all_descriptors`).
static FD_CEILING: AtomicI32 = AtomicI32::new(i32::MAX);

pub struct Held {
    pub stat: ProcStat,
    /// None without a pidfd (refused, or no descriptor left): then the pid and start time
    /// name the process, checked in /proc before each signal.
    fd: Option<sys::Fd>,
}

impl Held {
    /// Holds a process seen in /proc: the pidfd is opened first, then the start time is
    /// checked again, so a pid reused in between is never held.
    pub fn hold(seen: &ProcStat) -> Result<Held, Errno> {
        let mut held = Held { stat: *seen, fd: open(seen.pid)? };
        let same = match held.is_alive_same() {
            // The pidfd took the last descriptor the start-time check needs: hold by pid.
            Err(libc::EMFILE | libc::ENFILE) if held.release_fd() => held.is_alive_same()?,
            other => other?,
        };
        if same { Ok(held) } else { Err(libc::ESRCH) }
    }

    /// Holds `pid`, listed as a child of `parent`, if it still is one after the pidfd is
    /// open (a pid reused in between names a process of someone else). Also returns its
    /// thread count. Ok(None): gone, exited, or not the child.
    pub fn hold_child(pid: Pid, parent: Pid) -> Result<Option<(Held, u32)>, Errno> {
        let fd = match open(pid) {
            Ok(fd) => fd,
            Err(libc::ESRCH) => return Ok(None),
            Err(err) => return Err(err),
        };
        let mut held = Held { stat: ProcStat::unknown(pid), fd };
        match read_stat(pid)? {
            Some((stat, threads)) if stat.ppid == parent && !matches!(stat.state, b'Z' | b'X') => {
                held.stat = stat;
                Ok(Some((held, threads)))
            }
            _ => Ok(None),
        }
    }

    /// Holds a pid given by a user.
    pub fn hold_pid(pid: Pid) -> Result<Held, Errno> {
        let fd = open(pid)?;
        // A /proc of another PID namespace would describe another process.
        let stat = if proc::is_ours() { read_stat(pid)?.map(|(stat, _)| stat) } else { None };
        match (fd, stat) {
            (fd, Some(stat)) => Ok(Held { stat, fd }),
            // No /proc, but the pidfd names the process well enough.
            (Some(fd), None) => Ok(Held { stat: ProcStat::unknown(pid), fd: Some(fd) }),
            (None, None) => match sys::read_file(c"/proc/self/stat") {
                Err(err @ (libc::EMFILE | libc::ENFILE)) => Err(err),
                _ => Err(libc::ESRCH),
            },
        }
    }

    pub fn pid(&self) -> Pid {
        self.stat.pid
    }

    pub fn signal(&self, sig: i32) -> Result<(), Errno> {
        match &self.fd {
            Some(fd) => match sys::pidfd_send_signal(fd.raw(), sig) {
                // A seccomp filter may allow pidfd_open and refuse this one; a real lack
                // of permission fails the same way with kill().
                Err(libc::EPERM) => {
                    self.kill_if_same(sig)?;
                    refused(libc::EPERM);
                    Ok(())
                }
                other => other,
            },
            None => self.kill_if_same(sig),
        }
    }

    /// kill() after checking the start time: one system call's window for pid reuse
    /// remains, the best that can be done without a pidfd.
    fn kill_if_same(&self, sig: i32) -> Result<(), Errno> {
        if self.is_alive_same()? { sys::kill(self.stat.pid, sig) } else { Err(libc::ESRCH) }
    }

    /// Still the process first seen, and not yet exited (a zombie has exited).
    fn is_alive_same(&self) -> Result<bool, Errno> {
        Ok(read_stat(self.stat.pid)?.is_some_and(|(now, _)| {
            now.start_time == self.stat.start_time && !matches!(now.state, b'Z' | b'X')
        }))
    }

    /// Gives back the pidfd (the descriptor table is full): from now on the pid and start
    /// time name the process, and new members are held that way too. Returns whether
    /// there was one to give back.
    pub fn release_fd(&mut self) -> bool {
        if self.fd.take().is_none() {
            return false;
        }
        short_of_descriptors();
        true
    }
}

/// For a short-lived applet that holds many processes: the soft descriptor limit raised
/// to the hard one, and pidfds kept below it with a few descriptors to spare for /proc.
pub fn use_all_descriptors() {
    let limit = sys::raise_fd_limit().min(i32::MAX as u64) as i32;
    FD_CEILING.store(limit.saturating_sub(RESERVE), Ordering::Relaxed);
}

fn short_of_descriptors() {
    if !FDS_SHORT.swap(true, Ordering::Relaxed) {
        info!(
            "descriptor limit reached (ulimit -n): holding the other processes by pid, with a start-time check"
        );
    }
}

fn refused(err: Errno) {
    if !NO_PIDFDS.swap(true, Ordering::Relaxed) {
        let why = if err == libc::ENOSYS {
            "no pidfds on this kernel"
        } else {
            "pidfds refused (a seccomp filter?)"
        };
        info!("{why}: using kill() with a start-time check instead");
    }
}

fn open(pid: Pid) -> Result<Option<sys::Fd>, Errno> {
    if NO_PIDFDS.load(Ordering::Relaxed) || FDS_SHORT.load(Ordering::Relaxed) {
        return Ok(None);
    }
    match sys::pidfd_open(pid) {
        Ok(fd) if fd.raw() >= FD_CEILING.load(Ordering::Relaxed) => {
            drop(fd);
            short_of_descriptors();
            Ok(None)
        }
        Ok(fd) => Ok(Some(fd)),
        // pidfd_open checks no permission: EPERM is a seccomp filter or an LSM.
        Err(err @ (libc::ENOSYS | libc::EPERM)) => {
            refused(err);
            Ok(None)
        }
        Err(libc::EMFILE | libc::ENFILE) => {
            short_of_descriptors();
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

/// /proc/PID/stat and the thread count in it. Ok(None): no such process. A missing
/// descriptor is an error, never taken for an exit.
pub fn read_stat(pid: Pid) -> Result<Option<(ProcStat, u32)>, Errno> {
    let mut line = Vec::with_capacity(512);
    let path = sys::c_string(alloc::format!("/proc/{pid}/stat").as_bytes());
    match sys::read_file_into(&path, &mut line, true) {
        Ok(()) => {}
        Err(libc::ENOENT | libc::ESRCH) => return Ok(None),
        Err(err) => return Err(err),
    }
    let Some(stat) = proc::parse_stat(&line) else { return Ok(None) };
    // num_threads is field 20 of proc(5): the 18th after the name.
    let close = memchr::memrchr(b')', &line).unwrap_or(0);
    let threads = line
        .get(close + 1..)
        .unwrap_or_default()
        .split(|&c| c == b' ')
        .filter(|f| !f.is_empty())
        .nth(17)
        .and_then(text::parse_decimal)
        .map_or(1, |n| n.max(1) as u32);
    Ok(Some((stat, threads)))
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
        let pid = text::parse_decimal(text).filter(|pid| *pid > 0).ok_or_else(|| {
            crate::error::Error::new(usage_code, alloc::format!("bad pid '{}'", crate::text::lossy(text)))
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
                    match err {
                        libc::ESRCH => "no such process",
                        libc::EMFILE | libc::ENFILE => "cannot hold it: no file descriptor free (ulimit -n)",
                        _ => sys::strerror(err),
                    }
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
        let exited = sys::poll_readable(&pidfds(&waiting), Some(Duration::ZERO))?;
        let mut exited = exited.iter();
        waiting.retain(|t| match &t.fd {
            Some(_) => !exited.next().copied().unwrap_or(false),
            // Unreadable /proc (no descriptor free for a moment): still waiting.
            None => t.is_alive_same().unwrap_or(true),
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
        sys::poll_readable(&pidfds(&waiting), nap)?;
    }
}

/// The pidfds of those held by one (in order), for poll.
fn pidfds(held: &[&Held]) -> Vec<c_int> {
    held.iter().filter_map(|t| t.fd.as_ref().map(sys::Fd::raw)).collect()
}
