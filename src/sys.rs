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

fn close(fd: c_int) {
    // SAFETY: closing a descriptor we own; a bad descriptor only yields EBADF.
    unsafe { libc::close(fd) };
}

/// A descriptor this process opened: closed when dropped, so no error path leaks it.
pub struct Fd(c_int);

impl Fd {
    pub fn raw(&self) -> c_int {
        self.0
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        close(self.0);
    }
}

/// open(2) for reading, close-on-exec. The raw system call: musl's open() follows
/// O_CLOEXEC with an fcntl, a third more system calls when a freeze reads thousands of
/// /proc files.
fn open_read(path: &CStr, extra_flags: c_int) -> Result<Fd, Errno> {
    let flags = libc::O_RDONLY | libc::O_CLOEXEC | extra_flags;
    // SAFETY: path is NUL-terminated; the flags ask for nothing unusual.
    let ret = unsafe { libc::syscall(libc::SYS_openat, libc::AT_FDCWD, path.as_ptr(), flags, 0) };
    if ret < 0 { Err(errno()) } else { Ok(Fd(ret as c_int)) }
}

/// Reads a whole (small) file, such as one under /proc.
pub fn read_file(path: &CStr) -> Result<Vec<u8>, Errno> {
    let fd = open_read(path, 0)?;
    let mut data = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    loop {
        match read(fd.raw(), &mut chunk)? {
            0 => return Ok(data),
            n => data.extend_from_slice(chunk.get(..n).unwrap_or_default()),
        }
    }
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

/// TIOCNOTTY: gives up the controlling terminal on `fd` (a session leader's whole session
/// loses it; the kernel then sends the terminal's foreground group SIGHUP and SIGCONT).
pub fn give_up_controlling_terminal(fd: c_int) -> Result<(), Errno> {
    // SAFETY: TIOCNOTTY takes no argument.
    check(unsafe { libc::ioctl(fd, libc::TIOCNOTTY, 0) }).map(drop)
}

/// The session id of `pid` (0: this process).
pub fn getsid(pid: Pid) -> Result<Pid, Errno> {
    // SAFETY: getsid has no memory effects.
    check(unsafe { libc::getsid(pid) })
}

pub fn chdir(path: &CStr) -> Result<(), Errno> {
    // SAFETY: path is NUL-terminated.
    check(unsafe { libc::chdir(path.as_ptr()) }).map(drop)
}

/// The directory `path` as an O_PATH descriptor (close-on-exec), to return to with fchdir.
pub fn open_directory(path: &CStr) -> Result<Fd, Errno> {
    open_read(path, libc::O_PATH | libc::O_DIRECTORY)
}

pub fn fchdir(fd: c_int) -> Result<(), Errno> {
    // SAFETY: fchdir takes an integer; a bad descriptor only yields EBADF.
    check(unsafe { libc::fchdir(fd) }).map(drop)
}

/// Closes every descriptor from `first` up (close_range(2); falls back to the list in
/// /proc/self/fd where the kernel lacks it).
pub fn close_from(first: c_int) -> Result<(), Errno> {
    // SAFETY: close_range takes integers only; closing descriptors has no memory effects.
    let ret = unsafe { libc::syscall(libc::SYS_close_range, first as u32, u32::MAX, 0u32) };
    if ret == 0 {
        return Ok(());
    }
    let mut open = Vec::new();
    for_each_numeric_entry(c"/proc/self/fd", |fd| open.push(fd))?;
    for fd in open.into_iter().filter(|&fd| fd >= first) {
        close(fd);
    }
    Ok(())
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

fn sigprocmask(how: c_int, mask: SigBits) -> Result<SigBits, Errno> {
    let mut old = 0u64;
    // SAFETY: both pointers are valid 8-byte sigsets, and 8 is the kernel's sigset size.
    let ret = unsafe {
        libc::syscall(libc::SYS_rt_sigprocmask, how, &mask.0 as *const u64, &mut old as *mut u64, 8usize)
    };
    if ret < 0 { Err(errno()) } else { Ok(SigBits(old)) }
}

/// rt_sigprocmask(SIG_SETMASK): installs `mask`, returns the mask it replaced.
pub fn set_signal_mask(mask: SigBits) -> Result<SigBits, Errno> {
    sigprocmask(libc::SIG_SETMASK, mask)
}

/// rt_sigprocmask(SIG_BLOCK): adds `set` to the mask in one call (no window in which a
/// signal takes its default action); returns the mask before.
pub fn block_signals(set: SigBits) -> Result<SigBits, Errno> {
    sigprocmask(libc::SIG_BLOCK, set)
}

/// The kernel's struct sigaction (x86_64 and aarch64 both have sa_restorer).
#[repr(C)]
struct KernelSigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

/// Puts `sig` back to its default action (raw rt_sigaction: musl refuses 32-34, which
/// are real signals a parent can leave ignored). Returns whether it was ignored.
pub fn set_default_action(sig: i32) -> bool {
    let default = KernelSigaction { handler: libc::SIG_DFL, flags: 0, restorer: 0, mask: 0 };
    let mut old = KernelSigaction { handler: 0, flags: 0, restorer: 0, mask: 0 };
    // SAFETY: both structs have the kernel's layout; 8 is the kernel's sigset size.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_rt_sigaction,
            sig,
            &default as *const KernelSigaction,
            &mut old as *mut KernelSigaction,
            8usize,
        )
    };
    ret == 0 && old.handler == libc::SIG_IGN
}

/// A signal taken from the pending set.
#[derive(Clone, Copy, Debug)]
pub struct Received {
    pub signo: i32,
    /// The sender's pid, in our PID namespace (0 when sent from outside it or by the kernel).
    pub sender: Pid,
}

/// rt_sigtimedwait: takes one pending signal from `set`, sleeping until one arrives or the
/// CLOCK_MONOTONIC `deadline` passes (Ok(None)). With no deadline it sleeps in one system
/// call for as long as nothing happens. The deadline is absolute: a debugger attaching
/// (EINTR) does not start the wait over.
pub fn wait_signal(set: SigBits, deadline: Option<Duration>) -> Result<Option<Received>, Errno> {
    // SAFETY: siginfo_t is plain data; zero is a valid bit pattern for it.
    let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
    loop {
        let ts = deadline.map(|d| {
            let t = d.saturating_sub(now());
            libc::timespec {
                tv_sec: t.as_secs().min(i64::MAX as u64) as i64,
                tv_nsec: i64::from(t.subsec_nanos()),
            }
        });
        let ts_ptr = ts.as_ref().map_or(core::ptr::null(), |t| t as *const libc::timespec);
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
pub fn pipe_cloexec() -> Result<(Fd, Fd), Errno> {
    let mut fds = [0 as c_int; 2];
    // SAFETY: fds is a valid array of two ints.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    Ok((Fd(fds[0]), Fd(fds[1])))
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

/// A null-terminated `char *` array the kernel gave the process (argv, envp), or a tail of
/// one: a view, never copied, valid for the life of the process. A tail is itself
/// null-terminated, so the command's arguments go to execve as they came.
#[derive(Clone, Copy)]
pub struct CArray {
    /// The pointers, the terminating null included as the last element.
    ptrs: &'static [*const c_char],
}

const NO_POINTERS: &[*const c_char] = &[core::ptr::null()];

impl CArray {
    /// # Safety
    /// `array` must be null or a null-terminated array of NUL-terminated strings that
    /// stay unchanged for the rest of the process, as `main`'s argv and envp do.
    pub unsafe fn from_raw(array: *const *const c_char) -> CArray {
        if array.is_null() {
            return CArray { ptrs: NO_POINTERS };
        }
        let mut n = 0;
        // SAFETY: per the contract, every index up to the null terminator is readable.
        while !unsafe { *array.add(n) }.is_null() {
            n += 1;
        }
        // SAFETY: the n + 1 pointers (terminator included) are readable and never change.
        CArray { ptrs: unsafe { core::slice::from_raw_parts(array, n + 1) } }
    }

    /// An array built from owned words, kept for the rest of the process (tests, and a
    /// command line made up at run time).
    pub fn leak(words: &[&[u8]]) -> CArray {
        let mut ptrs: Vec<*const c_char> =
            words.iter().map(|w| CString::into_raw(c_string(w)).cast_const()).collect();
        ptrs.push(core::ptr::null());
        CArray { ptrs: Vec::leak(ptrs) }
    }

    pub fn len(&self) -> usize {
        self.ptrs.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<&'static [u8]> {
        let ptr = *self.ptrs.get(i)?;
        if ptr.is_null() {
            return None;
        }
        // SAFETY: the constructors guarantee every non-null pointer is a NUL-terminated
        // string that lives, unchanged, for the rest of the process.
        Some(unsafe { CStr::from_ptr(ptr) }.to_bytes())
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static [u8]> + 'static {
        let this = *self;
        (0..this.len()).filter_map(move |i| this.get(i))
    }

    /// The elements from `start` on (empty past the end).
    pub fn tail(&self, start: usize) -> CArray {
        let start = start.min(self.len());
        CArray { ptrs: self.ptrs.get(start..).unwrap_or(NO_POINTERS) }
    }

    /// For execve: the null-terminated pointer array itself.
    pub fn as_ptr(&self) -> *const *const c_char {
        self.ptrs.as_ptr()
    }
}

/// A value for the one thread initbox has, set at start and read everywhere (the log
/// prefix, the memory reserve).
pub struct Global<T: Copy>(core::cell::UnsafeCell<T>);

// SAFETY: initbox runs one thread and installs no signal handlers, so a Global is never
// accessed concurrently.
unsafe impl<T: Copy> Sync for Global<T> {}

impl<T: Copy> Global<T> {
    pub const fn new(value: T) -> Self {
        Global(core::cell::UnsafeCell::new(value))
    }
    pub fn get(&self) -> T {
        // SAFETY: single-threaded (see the Sync impl); no reference escapes.
        unsafe { *self.0.get() }
    }
    pub fn set(&self, value: T) {
        // SAFETY: single-threaded (see the Sync impl); no reference escapes.
        unsafe { *self.0.get() = value }
    }
}

/// A CString from bytes that may contain NUL (cut there: the kernel would too).
pub fn c_string(bytes: &[u8]) -> CString {
    let end = memchr::memchr(0, bytes).unwrap_or(bytes.len());
    CString::new(bytes.get(..end).unwrap_or_default()).unwrap_or_default()
}

/// execve(2) with a pointer array; returns only on failure, with the errno.
pub fn execve_raw(path: &CStr, argv: *const *const c_char, envp: *const *const c_char) -> Errno {
    // SAFETY: callers pass null-terminated arrays of pointers to NUL-terminated strings
    // that outlive this call (CArray views or pointer_array results).
    unsafe { libc::execve(path.as_ptr(), argv, envp) };
    errno()
}

/// pidfd_open(2): a descriptor that names one process for as long as it is held.
pub fn pidfd_open(pid: Pid) -> Result<Fd, Errno> {
    // SAFETY: pidfd_open takes integers and returns a new descriptor or -1.
    let ret = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if ret < 0 { Err(errno()) } else { Ok(Fd(ret as c_int)) }
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

pub fn abort() -> ! {
    // SAFETY: abort never returns.
    unsafe { libc::abort() }
}

pub fn getpgrp() -> Pid {
    // SAFETY: getpgrp cannot fail.
    unsafe { libc::getpgrp() }
}

pub fn tcgetpgrp(fd: c_int) -> Result<Pid, Errno> {
    // SAFETY: tcgetpgrp has no memory effects.
    check(unsafe { libc::tcgetpgrp(fd) })
}

/// Calls `each` with every numeric entry of a directory (the pids in /proc), reading it
/// with getdents64 into a buffer on the stack: no allocation, whatever the entry count.
/// The directory is read a bufferful at a time and closed while `each` runs, so that at a
/// descriptor limit `each` still has the descriptor it may need (a pidfd, a stat file).
pub fn for_each_numeric_entry(path: &CStr, mut each: impl FnMut(Pid)) -> Result<(), Errno> {
    let mut offset: i64 = 0;
    loop {
        let fd = open_read(path, libc::O_DIRECTORY)?;
        // SAFETY: lseek on a descriptor we own; a directory's offset is the cookie getdents gave.
        if offset != 0 && unsafe { libc::lseek(fd.raw(), offset, libc::SEEK_SET) } < 0 {
            return Err(errno());
        }
        let mut buf = [0u8; 4096];
        // SAFETY: buf is writable for its length; the kernel writes whole linux_dirent64
        // records into it.
        let n = unsafe { libc::syscall(libc::SYS_getdents64, fd.raw(), buf.as_mut_ptr(), buf.len()) };
        if n < 0 {
            return Err(errno());
        }
        drop(fd);
        if n == 0 {
            return Ok(());
        }
        // linux_dirent64: ino (8), off (8), reclen (2), type (1), then the name.
        let mut batch = [0 as Pid; 256];
        let mut count = 0usize;
        let mut at = 0usize;
        let end = (n as usize).min(buf.len());
        while at + 19 < end {
            let field = |from: usize| buf.get(from..from + 8).and_then(|b| <[u8; 8]>::try_from(b).ok());
            let reclen = buf
                .get(at + 16..at + 18)
                .and_then(|b| <[u8; 2]>::try_from(b).ok())
                .map_or(0, u16::from_ne_bytes);
            let Some(next) = field(at + 8).map(i64::from_ne_bytes) else { break };
            if reclen == 0 {
                break;
            }
            let name = buf.get(at + 19..(at + usize::from(reclen)).min(end)).unwrap_or_default();
            let name = name.get(..memchr::memchr(0, name).unwrap_or(name.len())).unwrap_or_default();
            if let (Some(pid), Some(slot)) = (crate::text::parse_decimal(name), batch.get_mut(count)) {
                *slot = pid;
                count += 1;
            }
            offset = next;
            at += usize::from(reclen);
        }
        for &pid in batch.get(..count).unwrap_or_default() {
            each(pid);
        }
    }
}

/// Reads a small file (one under /proc) into `buf`; returns the length read.
pub fn read_into(path: &CStr, buf: &mut [u8]) -> Result<usize, Errno> {
    let fd = open_read(path, 0)?;
    let mut len = 0;
    loop {
        let rest = match buf.get_mut(len..) {
            Some(rest) if !rest.is_empty() => rest,
            _ => return Ok(len),
        };
        match read(fd.raw(), rest)? {
            0 => return Ok(len),
            n => len += n,
        }
    }
}

/// How log lines reach stderr without ever blocking PID 1.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum LogSink {
    /// Not decided yet (decided at the first line).
    Unknown,
    /// A file of its own on stderr's pipe or terminal, opened with O_NONBLOCK: the pipe
    /// that the command shares keeps its own (blocking) flags.
    Own(c_int),
    /// A socket: send(MSG_DONTWAIT).
    Socket,
    /// A regular file: writes do not stall.
    Plain,
    /// Anything else: write only when poll says there is room.
    Polled,
}

/// Chooses how to write to fd 2 without blocking.
pub fn open_log_sink() -> LogSink {
    // SAFETY: stat is plain data; zero is a valid bit pattern for it.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    // SAFETY: st is a valid stat buffer.
    if unsafe { libc::fstat(2, &mut st) } < 0 {
        return LogSink::Polled;
    }
    match st.st_mode & libc::S_IFMT {
        libc::S_IFREG => LogSink::Plain,
        libc::S_IFSOCK => LogSink::Socket,
        libc::S_IFIFO | libc::S_IFCHR => {
            let flags = libc::O_WRONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC | libc::O_APPEND;
            // SAFETY: the path is NUL-terminated; a new open file description of the same
            // pipe or terminal is returned, or -1.
            match check(unsafe { libc::open(c"/proc/self/fd/2".as_ptr(), flags) }) {
                Ok(fd) => LogSink::Own(fd),
                Err(_) => LogSink::Polled,
            }
        }
        _ => LogSink::Polled,
    }
}

/// Writes one log line whole or not at all (lines are shorter than PIPE_BUF); false when
/// it could not be written now.
pub fn log_write(sink: LogSink, line: &[u8]) -> bool {
    let n = match sink {
        // SAFETY: the pointer and length describe a live slice.
        LogSink::Own(fd) => unsafe { libc::write(fd, line.as_ptr().cast(), line.len()) },
        // SAFETY: the pointer and length describe a live slice.
        LogSink::Socket => unsafe {
            libc::send(2, line.as_ptr().cast(), line.len(), libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL)
        },
        LogSink::Plain | LogSink::Unknown => return write_all(2, line).is_ok(),
        LogSink::Polled => {
            let mut pfd = libc::pollfd { fd: 2, events: libc::POLLOUT, revents: 0 };
            // SAFETY: pfd is one valid pollfd; a zero timeout returns at once.
            let ready = unsafe { libc::poll(&mut pfd, 1, 0) };
            if ready != 1 || pfd.revents & libc::POLLOUT == 0 {
                return false;
            }
            return write_all(2, line).is_ok();
        }
    };
    n >= 0 && n as usize == line.len()
}

/// The C allocator, with a reserve that is given back the first time memory runs out, so
/// PID 1 can finish what it was doing instead of dying in the middle of a shutdown.
pub struct Malloc;

const RESERVE_SIZE: usize = 64 * 1024;
static RESERVE: core::sync::atomic::AtomicPtr<u8> = core::sync::atomic::AtomicPtr::new(core::ptr::null_mut());

impl Malloc {
    /// Sets the reserve aside (once, at start).
    pub fn keep_reserve() {
        // SAFETY: malloc accepts any size; the block is only ever freed, never used.
        let block = unsafe { libc::malloc(RESERVE_SIZE) }.cast::<u8>();
        RESERVE.store(block, core::sync::atomic::Ordering::Relaxed);
    }

    fn raw_alloc(layout: core::alloc::Layout) -> *mut u8 {
        if layout.align() <= 16 {
            // SAFETY: malloc accepts any size; null is returned on failure.
            unsafe { libc::malloc(layout.size()).cast() }
        } else {
            // SAFETY: the alignment is a power of two, as Layout guarantees.
            unsafe { libc::aligned_alloc(layout.align(), layout.size()).cast() }
        }
    }

    fn release_reserve() -> bool {
        let block = RESERVE.swap(core::ptr::null_mut(), core::sync::atomic::Ordering::Relaxed);
        if block.is_null() {
            return false;
        }
        // SAFETY: block came from malloc in keep_reserve and is freed once (swapped out).
        unsafe { libc::free(block.cast()) };
        true
    }
}

// SAFETY: malloc and free are the C allocator's, which honours alignments up to
// max_align_t (16); larger alignments go through aligned_alloc.
unsafe impl core::alloc::GlobalAlloc for Malloc {
    unsafe fn alloc(&self, layout: core::alloc::Layout) -> *mut u8 {
        let ptr = Malloc::raw_alloc(layout);
        if ptr.is_null() && Malloc::release_reserve() { Malloc::raw_alloc(layout) } else { ptr }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: core::alloc::Layout) {
        // SAFETY: ptr came from malloc or aligned_alloc above.
        unsafe { libc::free(ptr.cast()) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: core::alloc::Layout, new_size: usize) -> *mut u8 {
        if layout.align() > 16 {
            // SAFETY: as in alloc/dealloc; the copy covers the smaller of the two sizes.
            unsafe {
                let new =
                    self.alloc(core::alloc::Layout::from_size_align_unchecked(new_size, layout.align()));
                if !new.is_null() {
                    core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                return new;
            }
        }
        // SAFETY: ptr came from malloc with an alignment realloc preserves.
        let new = unsafe { libc::realloc(ptr.cast(), new_size).cast::<u8>() };
        if new.is_null() && Malloc::release_reserve() {
            // SAFETY: as above; a failed realloc left ptr untouched.
            return unsafe { libc::realloc(ptr.cast(), new_size).cast() };
        }
        new
    }
}

/// main's argv or envp as a CArray.
pub fn main_arguments(array: *const *const c_char) -> CArray {
    // SAFETY: only `main` calls this, with the argv or envp the C runtime passed it:
    // null-terminated arrays of strings that live, unchanged, for the whole process.
    unsafe { CArray::from_raw(array) }
}

/// A directory's canonical absolute path (every symbolic link, `.` and `..` resolved), as
/// the kernel names it in /proc/self/fd: the same form as /proc/self/exe, and without
/// realpath(3), which would add a kilobyte of libc.
pub fn real_dir(path: &CStr) -> Result<Vec<u8>, Errno> {
    // O_PATH: the directory is named, not read.
    let fd = open_read(path, libc::O_PATH | libc::O_DIRECTORY)?;
    readlink(&c_string(alloc::format!("/proc/self/fd/{}", fd.raw()).as_bytes()))
}

/// The path from directory `dir` to `target` (both canonical and absolute): what a symbolic
/// link in `dir` holds to reach `target` from wherever the two are moved together.
pub fn relative_path(dir: &[u8], target: &[u8]) -> Vec<u8> {
    fn parts(path: &[u8]) -> impl Iterator<Item = &[u8]> {
        path.split(|&c| c == b'/').filter(|part| !part.is_empty())
    }
    let common = parts(dir).zip(parts(target)).take_while(|(a, b)| a == b).count();
    let mut out = Vec::new();
    for _ in parts(dir).skip(common) {
        out.extend_from_slice(b"../");
    }
    for (i, part) in parts(target).skip(common).enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(part);
    }
    out
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
    let fd = open_read(path, 0)?;
    let mut chunk = [0u8; 4096];
    loop {
        let got = match read(fd.raw(), &mut chunk)? {
            0 => return Ok(()),
            n => chunk.get(..n).unwrap_or_default(),
        };
        out.extend_from_slice(got);
        if line_ends_it && got.last() == Some(&b'\n') {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod relative_path_tests {
    use super::relative_path;

    #[test]
    fn relative_paths_between_canonical_paths() {
        assert_eq!(relative_path(b"/out/sbin", b"/out/sbin/initbox"), b"initbox");
        assert_eq!(relative_path(b"/sbin", b"/initbox"), b"../initbox");
        assert_eq!(relative_path(b"/out/usr/bin", b"/out/sbin/initbox"), b"../../sbin/initbox");
        assert_eq!(relative_path(b"/", b"/initbox"), b"initbox");
        assert_eq!(relative_path(b"/a/bc", b"/a/b/initbox"), b"../b/initbox");
    }
}
