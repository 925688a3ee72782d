//! The process table, read from /proc: who is whose parent, and names for log lines.

use alloc::vec::Vec;
use core::fmt::Write;

use crate::sys::{self, Errno, Pid};
use crate::text;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcStat {
    pub pid: Pid,
    /// The command name as the kernel keeps it (up to 15 bytes; may hold spaces and parens).
    pub name: Name,
    pub state: u8,
    pub ppid: Pid,
    pub pgrp: Pid,
    /// Clock ticks after boot: with the pid, names one process across pid reuse.
    pub start_time: u64,
}

impl ProcStat {
    /// A process known only by its pid (where /proc cannot be read).
    pub fn unknown(pid: Pid) -> ProcStat {
        ProcStat { pid, name: Name::default(), state: b'?', ppid: 0, pgrp: 0, start_time: 0 }
    }
}

/// A process name, held inline: reading /proc allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Name {
    bytes: [u8; 16],
    len: u8,
}

impl Name {
    pub fn new(text: &[u8]) -> Name {
        let mut name = Name::default();
        let len = text.len().min(name.bytes.len());
        if let (Some(dst), Some(src)) = (name.bytes.get_mut(..len), text.get(..len)) {
            dst.copy_from_slice(src);
        }
        name.len = len as u8;
        name
    }
}

impl core::ops::Deref for Name {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }
}

/// Parses a /proc/PID/stat line. The name is everything between the first '(' and the
/// last ')', since the name itself may contain both.
pub fn parse_stat(line: &[u8]) -> Option<ProcStat> {
    let open = memchr::memchr(b'(', line)?;
    let close = memchr::memrchr(b')', line)?;
    if close < open {
        return None;
    }
    let pid = text::parse_decimal(line.get(..open)?.strip_suffix(b" ")?)?;
    let name = Name::new(line.get(open + 1..close)?);
    let mut fields = line.get(close + 1..)?.split(|&c| c == b' ').filter(|f| !f.is_empty());
    let state = *fields.next()?.first()?;
    let ppid = text::parse_decimal(fields.next()?)?;
    let pgrp = text::parse_decimal(fields.next()?)?;
    // Skip session .. itrealvalue (16 fields) to reach starttime, field 22 of proc(5).
    let start = fields.nth(16)?;
    if start.is_empty() || !start.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let start_time =
        start.iter().try_fold(0u64, |n, d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))?;
    Some(ProcStat { pid, name, state, ppid, pgrp, start_time })
}

pub fn stat(pid: Pid) -> Option<ProcStat> {
    // "/proc/<pid>/stat" and the line itself on the stack: no allocation per process.
    let mut path = PathBuf::default();
    write!(path, "/proc/{pid}/stat").ok()?;
    let mut line = [0u8; 1024];
    let len = sys::read_into(path.as_c_str()?, &mut line).ok()?;
    parse_stat(line.get(..len)?)
}

/// Calls `each` for every process in /proc (those that exit while it is read are left
/// out), without allocating. Err when /proc cannot be read.
pub fn for_each(mut each: impl FnMut(&ProcStat)) -> Result<(), Errno> {
    sys::for_each_numeric_entry(c"/proc", |pid| {
        if let Some(seen) = stat(pid) {
            each(&seen);
        }
    })
}

/// Whether `seen` descends from `ancestor`, by walking parent links in /proc (bounded, so
/// a ppid cycle in a torn read cannot loop).
pub fn descends_from(seen: &ProcStat, ancestor: Pid) -> bool {
    let mut ppid = seen.ppid;
    for _ in 0..4096 {
        if ppid == ancestor {
            return true;
        }
        if ppid <= 1 {
            return false;
        }
        match stat(ppid) {
            Some(parent) => ppid = parent.ppid,
            None => return false,
        }
    }
    false
}

/// A path short enough for the stack, NUL-terminated when done.
#[derive(Default)]
struct PathBuf {
    bytes: [u8; 32],
    len: usize,
}

impl PathBuf {
    fn as_c_str(&mut self) -> Option<&core::ffi::CStr> {
        *self.bytes.get_mut(self.len)? = 0;
        core::ffi::CStr::from_bytes_with_nul(self.bytes.get(..=self.len)?).ok()
    }
}

impl Write for PathBuf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let dst = self.bytes.get_mut(self.len..self.len + s.len()).ok_or(core::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len += s.len();
        Ok(())
    }
}

/// Every process in /proc (those that exit while it is read are left out).
pub fn all() -> Result<Vec<ProcStat>, Errno> {
    let mut table = Vec::new();
    for_each(|seen| table.push(*seen))?;
    Ok(table)
}

/// Whether /proc shows this process's own PID namespace: as PID 1 of a namespace with
/// the host's /proc still mounted, its pids would name other processes than ours.
pub fn is_ours() -> bool {
    sys::read_file(c"/proc/self/stat")
        .ok()
        .and_then(|line| parse_stat(&line))
        .is_some_and(|s| s.pid == sys::getpid())
}

/// The processes whose parent is `parent`, from a table sorted by parent.
pub fn children<'a>(by_parent: &'a [&'a ProcStat], parent: Pid) -> impl Iterator<Item = &'a ProcStat> + 'a {
    let first = by_parent.partition_point(|p| p.ppid < parent);
    by_parent.get(first..).unwrap_or_default().iter().take_while(move |p| p.ppid == parent).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_spaces_and_parens() {
        let line = b"42 (a) (b c)) S 7 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 10\n";
        let s = parse_stat(line).unwrap();
        assert_eq!((s.pid, s.ppid, s.pgrp, s.state, s.start_time), (42, 7, 42, b'S', 123456));
        assert_eq!(&*s.name, b"a) (b c)");
        assert!(parse_stat(b"42 (x").is_none());
        assert!(parse_stat(b"42 (x) S 1").is_none());
        assert!(parse_stat(b"").is_none());
    }
}
