//! The system interface: thin wrappers over libc and raw system calls.
//!
//! Every `unsafe` block of initbox lives in this file, each small and with its reason.
//! Errors come back as the raw `errno` value; callers turn them into messages.

use alloc::ffi::CString;
use alloc::vec::Vec;
use core::ffi::{CStr, c_char, c_int};
use core::time::Duration;

pub type Pid = i32;
pub type Errno = i32;

fn errno() -> Errno {
    // SAFETY: __errno_location always returns a valid pointer to this thread's errno.
    unsafe { *libc::__errno_location() }
}

fn check(ret: c_int) -> Result<c_int, Errno> {
    if ret < 0 { Err(errno()) } else { Ok(ret) }
}

/// The text of an errno value, for messages ("No such file or directory").
pub fn strerror(err: Errno) -> &'static str {
    // SAFETY: musl's strerror returns a pointer to a static, NUL-terminated string that is
    // never freed or changed.
    let text = unsafe { CStr::from_ptr(libc::strerror(err)) };
    text.to_str().unwrap_or("unknown error")
}

pub fn write_all(fd: c_int, mut bytes: &[u8]) -> Result<(), Errno> {
    while !bytes.is_empty() {
        // SAFETY: the pointer and length describe a live slice.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            let err = errno();
            if err == libc::EINTR {
                continue;
            }
            return Err(err);
        }
        bytes = bytes.get(n as usize..).unwrap_or_default();
    }
    Ok(())
}

pub fn read(fd: c_int, buf: &mut [u8]) -> Result<usize, Errno> {
    loop {
        // SAFETY: the pointer and length describe a live, writable slice.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        if errno() != libc::EINTR {
            return Err(errno());
        }
    }
}

pub fn close(fd: c_int) {
    // SAFETY: closing a descriptor we own; a bad descriptor only yields EBADF.
    unsafe { libc::close(fd) };
}

/// Reads a whole (small) file, such as one under /proc.
pub fn read_file(path: &CStr) -> Result<Vec<u8>, Errno> {
    // SAFETY: path is NUL-terminated; the flags ask for nothing unusual.
    let fd = check(unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) })?;
    let mut data = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    let result = loop {
        match read(fd, &mut chunk) {
            Ok(0) => break Ok(data),
            Ok(n) => data.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(err) => break Err(err),
        }
    };
    close(fd);
    result
}

/// The numeric entries of a directory: the pids in /proc.
pub fn numeric_entries(path: &CStr) -> Result<Vec<Pid>, Errno> {
    // SAFETY: path is NUL-terminated; a null return is checked below.
    let dir = unsafe { libc::opendir(path.as_ptr()) };
    if dir.is_null() {
        return Err(errno());
    }
    let mut pids = Vec::new();
    loop {
        // SAFETY: dir is a valid, open DIR stream until closedir below.
        let entry = unsafe { libc::readdir(dir) };
        if entry.is_null() {
            break;
        }
        // SAFETY: readdir returned a valid entry whose d_name is NUL-terminated; it stays
        // valid until the next readdir call, and we copy out of it before that.
        let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) };
        if let Some(pid) = parse_decimal(name.to_bytes()) {
            pids.push(pid);
        }
    }
    // SAFETY: dir came from opendir and is closed exactly once.
    unsafe { libc::closedir(dir) };
    Ok(pids)
}

pub fn parse_decimal(digits: &[u8]) -> Option<i32> {
    if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, d| n * 10 + i32::from(d - b'0')))
}

pub fn getpid() -> Pid {
    // SAFETY: getpid cannot fail.
    unsafe { libc::getpid() }
}

pub fn getppid() -> Pid {
    // SAFETY: getppid cannot fail.
    unsafe { libc::getppid() }
}

pub fn kill(pid: Pid, sig: i32) -> Result<(), Errno> {
    // SAFETY: kill has no memory effects.
    check(unsafe { libc::kill(pid, sig) }).map(drop)
}

pub enum Forked {
    Child,
    Parent(Pid),
}

/// fork(2). initbox is single-threaded, so the child may run any code; it still keeps to
/// what it prepared before the fork.
pub fn fork() -> Result<Forked, Errno> {
    // SAFETY: the process has one thread, so the child starts with consistent state.
    match check(unsafe { libc::fork() })? {
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(pid)),
    }
}

/// execve(2); returns only on failure, with the errno.
pub fn execve(path: &CStr, argv: &[*const c_char], envp: &[*const c_char]) -> Errno {
    // SAFETY: callers build argv and envp as null-terminated arrays of pointers into
    // CStrings that outlive this call.
    unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
    errno()
}

/// Leaves the process at once, without running exit handlers (for a forked child).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit never returns and touches no user-space state.
    unsafe { libc::_exit(code) }
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Exited(i32),
    Signaled(i32),
}

impl Status {
    /// The shell's convention: N, or 128+N for signal N.
    pub fn code(self) -> i32 {
        match self {
            Status::Exited(code) => code,
            Status::Signaled(sig) => 128 + sig,
        }
    }
}

/// One non-blocking waitpid(-1): Ok(Some) for a reaped child, Ok(None) when children
/// remain but none has exited, Err(ECHILD) when there are no children at all.
pub fn reap_one() -> Result<Option<(Pid, Status)>, Errno> {
    let mut raw = 0;
    loop {
        // SAFETY: raw is a valid place for the status.
        let pid = unsafe { libc::waitpid(-1, &mut raw, libc::WNOHANG) };
        if pid < 0 && errno() == libc::EINTR {
            continue;
        }
        if pid < 0 {
            return Err(errno());
        }
        if pid == 0 {
            return Ok(None);
        }
        let status = if libc::WIFSIGNALED(raw) {
            Status::Signaled(libc::WTERMSIG(raw))
        } else {
            Status::Exited(libc::WEXITSTATUS(raw))
        };
        return Ok(Some((pid, status)));
    }
}

/// Blocking wait for one particular child (used only before supervision starts).
pub fn wait_for(pid: Pid) {
    let mut raw = 0;
    // SAFETY: raw is a valid place for the status.
    while unsafe { libc::waitpid(pid, &mut raw, 0) } < 0 && errno() == libc::EINTR {}
}

pub fn setpgid(pid: Pid, pgid: Pid) -> Result<(), Errno> {
    // SAFETY: setpgid has no memory effects.
    check(unsafe { libc::setpgid(pid, pgid) }).map(drop)
}

pub fn setsid() -> Result<Pid, Errno> {
    // SAFETY: setsid has no memory effects.
    check(unsafe { libc::setsid() })
}

/// TIOCSCTTY: makes the terminal on `fd` the controlling terminal of this new session.
pub fn take_controlling_terminal(fd: c_int) -> Result<(), Errno> {
    // SAFETY: TIOCSCTTY takes an integer argument (0: do not steal from another session).
    check(unsafe { libc::ioctl(fd, libc::TIOCSCTTY, 0) }).map(drop)
}

pub fn isatty(fd: c_int) -> bool {
    // SAFETY: isatty has no memory effects.
    unsafe { libc::isatty(fd) == 1 }
}

pub fn tcsetpgrp(fd: c_int, pgid: Pid) -> Result<(), Errno> {
    // SAFETY: tcsetpgrp has no memory effects.
    check(unsafe { libc::tcsetpgrp(fd, pgid) }).map(drop)
}

pub fn set_child_subreaper() -> Result<(), Errno> {
    // SAFETY: prctl with integer arguments only.
    check(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }).map(drop)
}

pub fn set_parent_death_signal(sig: i32) -> Result<(), Errno> {
    // SAFETY: prctl with integer arguments only.
    check(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, sig, 0, 0, 0) }).map(drop)
}

/// A set of signals 1..=64 as the kernel sees it (one bit each), independent of libc's
/// view (musl hides 32-34 from sigset_t, but they are real signals a user can send).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SigBits(pub u64);

impl SigBits {
    #[cfg(test)]
    pub fn contains(self, sig: i32) -> bool {
        (1..=64).contains(&sig) && self.0 & (1u64 << (sig - 1)) != 0
    }
    pub fn without(self, sig: i32) -> SigBits {
        if (1..=64).contains(&sig) { SigBits(self.0 & !(1u64 << (sig - 1))) } else { self }
    }
}

/// rt_sigprocmask(SIG_SETMASK): installs `mask`, returns the mask it replaced.
pub fn set_signal_mask(mask: SigBits) -> Result<SigBits, Errno> {
    let mut old = 0u64;
    // SAFETY: both pointers are valid 8-byte sigsets, and 8 is the kernel's sigset size.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            &mask.0 as *const u64,
            &mut old as *mut u64,
            8usize,
        )
    };
    if ret < 0 { Err(errno()) } else { Ok(SigBits(old)) }
}

/// A signal taken from the pending set.
#[derive(Clone, Copy, Debug)]
pub struct Received {
    pub signo: i32,
    /// The sender's pid, in our PID namespace (0 when sent from outside it or by the kernel).
    pub sender: Pid,
}

/// rt_sigtimedwait: takes one pending signal from `set`, sleeping until one arrives or
/// `timeout` passes (Ok(None)). With no timeout it sleeps in one system call for as long
/// as nothing happens.
pub fn wait_signal(set: SigBits, timeout: Option<Duration>) -> Result<Option<Received>, Errno> {
    // SAFETY: siginfo_t is plain data; zero is a valid bit pattern for it.
    let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: i64::from(t.subsec_nanos()),
    });
    let ts_ptr = ts.as_ref().map_or(core::ptr::null(), |t| t as *const libc::timespec);
    loop {
        // SAFETY: set, info and ts_ptr (null or a live timespec) are valid for the call;
        // 8 is the kernel's sigset size.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_rt_sigtimedwait,
                &set.0 as *const u64,
                &mut info as *mut libc::siginfo_t,
                ts_ptr,
                8usize,
            )
        };
        if ret > 0 {
            // SAFETY: the kernel filled info for signal `ret`; si_pid is meaningful for
            // user-sent signals and zero otherwise.
            let sender = unsafe { info.si_pid() };
            return Ok(Some(Received { signo: ret as i32, sender }));
        }
        match errno() {
            libc::EAGAIN => return Ok(None),
            libc::EINTR => continue,
            err => return Err(err),
        }
    }
}

/// Sets the disposition of `sig` to ignored (`ignore`) or default; returns whether it was
/// ignored before.
pub fn set_ignored(sig: i32, ignore: bool) -> bool {
    let handler = if ignore { libc::SIG_IGN } else { libc::SIG_DFL };
    // SAFETY: signal() with SIG_IGN/SIG_DFL installs no code of ours.
    let old = unsafe { libc::signal(sig, handler) };
    old == libc::SIG_IGN
}

pub fn sleep(d: Duration) {
    let ts = libc::timespec { tv_sec: d.as_secs() as i64, tv_nsec: i64::from(d.subsec_nanos()) };
    // SAFETY: ts is a valid timespec; the remainder is not wanted (null).
    unsafe { libc::nanosleep(&ts, core::ptr::null_mut()) };
}

/// CLOCK_MONOTONIC, as a duration since an arbitrary start.
pub fn now() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A pipe whose ends close on exec: (read end, write end).
pub fn pipe_cloexec() -> Result<(c_int, c_int), Errno> {
    let mut fds = [0 as c_int; 2];
    // SAFETY: fds is a valid array of two ints.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    Ok((fds[0], fds[1]))
}

pub fn symlink(target: &CStr, link: &CStr) -> Result<(), Errno> {
    // SAFETY: both paths are NUL-terminated.
    check(unsafe { libc::symlink(target.as_ptr(), link.as_ptr()) }).map(drop)
}

/// Whether `path` is a symbolic link (Ok(false) for anything else that exists).
pub fn is_symlink(path: &CStr) -> Result<bool, Errno> {
    // SAFETY: stat is plain data; zero is a valid bit pattern for it.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    // SAFETY: path is NUL-terminated and st is a valid stat buffer.
    check(unsafe { libc::lstat(path.as_ptr(), &mut st) })?;
    Ok(st.st_mode & libc::S_IFMT == libc::S_IFLNK)
}

pub fn mkdir(path: &CStr) -> Result<(), Errno> {
    // SAFETY: path is NUL-terminated.
    check(unsafe { libc::mkdir(path.as_ptr(), 0o755) }).map(drop)
}

pub fn unlink(path: &CStr) -> Result<(), Errno> {
    // SAFETY: path is NUL-terminated.
    check(unsafe { libc::unlink(path.as_ptr()) }).map(drop)
}

/// The target of a symbolic link, such as /proc/self/exe.
pub fn readlink(path: &CStr) -> Result<Vec<u8>, Errno> {
    let mut buf = alloc::vec![0u8; 4096];
    // SAFETY: buf is a writable buffer of the length given.
    let n = unsafe { libc::readlink(path.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(errno());
    }
    buf.truncate(n as usize);
    Ok(buf)
}

/// The process's arguments or environment, copied out of a C `char **` array.
///
/// # Safety
/// `array` must be null or a null-terminated array of NUL-terminated strings, as `main`
/// receives argv and envp.
pub unsafe fn copy_c_strings(array: *const *const c_char) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if array.is_null() {
        return out;
    }
    let mut i = 0;
    loop {
        // SAFETY: per the contract, every index up to the null terminator is readable.
        let ptr = unsafe { *array.add(i) };
        if ptr.is_null() {
            return out;
        }
        // SAFETY: each entry is a NUL-terminated string.
        out.push(unsafe { CStr::from_ptr(ptr) }.to_bytes().to_vec());
        i += 1;
    }
}

/// A CString from bytes that may contain NUL (cut there: the kernel would too).
pub fn c_string(bytes: &[u8]) -> CString {
    let end = memchr::memchr(0, bytes).unwrap_or(bytes.len());
    CString::new(bytes.get(..end).unwrap_or_default()).unwrap_or_default()
}

/// A null-terminated pointer array over CStrings, for execve.
pub fn pointer_array(strings: &[CString]) -> Vec<*const c_char> {
    let mut ptrs: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
    ptrs.push(core::ptr::null());
    ptrs
}

/// pidfd_open(2): a descriptor that names one process for as long as it is held.
pub fn pidfd_open(pid: Pid) -> Result<c_int, Errno> {
    // SAFETY: pidfd_open takes integers and returns a new descriptor or -1.
    let ret = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if ret < 0 { Err(errno()) } else { Ok(ret as c_int) }
}

/// pidfd_send_signal(2): signals exactly the process the pidfd names, never a successor.
pub fn pidfd_send_signal(pidfd: c_int, sig: i32) -> Result<(), Errno> {
    // SAFETY: a null siginfo asks the kernel to fill it as kill() would.
    let ret = unsafe { libc::syscall(libc::SYS_pidfd_send_signal, pidfd, sig, core::ptr::null::<u8>(), 0) };
    if ret < 0 { Err(errno()) } else { Ok(()) }
}

/// poll(2) on pidfds: which of them became readable (their process exited) within
/// `timeout` (None: wait until at least one does).
pub fn poll_readable(fds: &[c_int], timeout: Option<Duration>) -> Result<Vec<bool>, Errno> {
    let mut pfds: Vec<libc::pollfd> =
        fds.iter().map(|&fd| libc::pollfd { fd, events: libc::POLLIN, revents: 0 }).collect();
    let ms = timeout.map_or(-1, |t| t.as_millis().min(i32::MAX as u128) as c_int);
    loop {
        // SAFETY: pfds is a valid array of pollfd of the given length.
        let ret = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, ms) };
        if ret >= 0 {
            return Ok(pfds.iter().map(|p| p.revents != 0).collect());
        }
        if errno() != libc::EINTR {
            return Err(errno());
        }
    }
}

/// Reads a String that was leaked with Box::leak and is never freed (the log prefix).
pub fn leaked_str(ptr: *mut alloc::string::String) -> Option<&'static str> {
    // SAFETY: callers pass null or a pointer from Box::leak, which lives for the rest of
    // the process and is never written through again.
    unsafe { ptr.as_ref() }.map(|s| s.as_str())
}

pub fn abort() -> ! {
    // SAFETY: abort never returns.
    unsafe { libc::abort() }
}

/// rt_sigprocmask(SIG_BLOCK): adds `set` to the blocked mask in one call (no moment with
/// less blocked than before); returns the mask it replaced.
pub fn block_signals(set: SigBits) -> Result<SigBits, Errno> {
    let mut old = 0u64;
    // SAFETY: both pointers are valid 8-byte sigsets, and 8 is the kernel's sigset size.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            &set.0 as *const u64,
            &mut old as *mut u64,
            8usize,
        )
    };
    if ret < 0 { Err(errno()) } else { Ok(SigBits(old)) }
}

/// Whether `sig` is ignored (SIG_IGN), asked without changing it.
pub fn signal_ignored(sig: i32) -> bool {
    // SAFETY: sigaction is plain data; zero is a valid bit pattern for it.
    let mut old: libc::sigaction = unsafe { core::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `old`.
    let ret = unsafe { libc::sigaction(sig, core::ptr::null(), &mut old) };
    ret == 0 && old.sa_sigaction == libc::SIG_IGN
}

/// Raises the soft RLIMIT_NOFILE to the hard one; returns the soft limit now in force.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: lim is a valid rlimit to fill.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 1024;
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
        // SAFETY: raised is a valid rlimit; raising the soft limit to the hard one is allowed.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return lim.rlim_max;
        }
    }
    lim.rlim_cur
}

/// Whether `fd` is open: Err(EBADF) if not.
pub fn fd_open(fd: c_int) -> Result<(), Errno> {
    // SAFETY: F_GETFD only reads the descriptor's flags.
    check(unsafe { libc::fcntl(fd, libc::F_GETFD) }).map(drop)
}

/// Reads a small file (under /proc) into `out`, replacing its contents. With
/// `line_ends_it`, a read that ends in a newline is taken as the whole file (a /proc
/// stat line comes in one read), which saves the read that would return 0.
pub fn read_file_into(path: &CStr, out: &mut Vec<u8>, line_ends_it: bool) -> Result<(), Errno> {
    out.clear();
    // The raw system call: musl's open() follows O_CLOEXEC with an fcntl, a third more
    // system calls when a freeze reads thousands of these files.
    // SAFETY: path is NUL-terminated; the flags ask for nothing unusual.
    let ret = unsafe {
        libc::syscall(libc::SYS_openat, libc::AT_FDCWD, path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC, 0)
    };
    let fd = if ret < 0 { return Err(errno()) } else { ret as c_int };
    let mut chunk = [0u8; 4096];
    let result = loop {
        match read(fd, &mut chunk) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                let got = chunk.get(..n).unwrap_or_default();
                out.extend_from_slice(got);
                if line_ends_it && got.last() == Some(&b'\n') {
                    break Ok(());
                }
            }
            Err(err) => break Err(err),
        }
    };
    close(fd);
    result
}
