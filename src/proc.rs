//! The process table, read from /proc: who is whose parent, and names for log lines.

use alloc::format;
use alloc::vec::Vec;

use crate::sys::{self, Errno, Pid};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcStat {
    pub pid: Pid,
    /// The command name as the kernel keeps it (up to 15 bytes; may hold spaces and parens).
    pub name: Vec<u8>,
    pub state: u8,
    pub ppid: Pid,
    pub pgrp: Pid,
    /// Clock ticks after boot: with the pid, names one process across pid reuse.
    pub start_time: u64,
}

impl ProcStat {
    /// A process known only by its pid (where /proc cannot be read).
    pub fn unknown(pid: Pid) -> ProcStat {
        ProcStat { pid, name: Vec::new(), state: b'?', ppid: 0, pgrp: 0, start_time: 0 }
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
    let pid = sys::parse_decimal(line.get(..open)?.strip_suffix(b" ")?)?;
    let name = line.get(open + 1..close)?.to_vec();
    let mut fields = line.get(close + 1..)?.split(|&c| c == b' ').filter(|f| !f.is_empty());
    let state = *fields.next()?.first()?;
    let ppid = sys::parse_decimal(fields.next()?)?;
    let pgrp = sys::parse_decimal(fields.next()?)?;
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
    let path = sys::c_string(format!("/proc/{pid}/stat").as_bytes());
    parse_stat(&sys::read_file(&path).ok()?)
}

/// Every process in /proc (those that exit while it is read are left out).
pub fn all() -> Result<Vec<ProcStat>, Errno> {
    Ok(sys::numeric_entries(c"/proc")?.into_iter().filter_map(stat).collect())
}

/// Whether /proc shows this process's own PID namespace: as PID 1 of a namespace with
/// the host's /proc still mounted, its pids would name other processes than ours.
pub fn is_ours() -> bool {
    sys::read_file(c"/proc/self/stat")
        .ok()
        .and_then(|line| parse_stat(&line))
        .is_some_and(|s| s.pid == sys::getpid())
}

/// Every process below `roots` by parentage, parents before children. Parentage, not the
/// process group or session, so members that called setsid or setpgid are included.
/// Each pid once: a read of /proc torn by exits and pid reuse can show a parentage cycle.
pub fn descendants(table: &[ProcStat], roots: &[Pid]) -> Vec<ProcStat> {
    let mut by_parent: Vec<&ProcStat> = table.iter().filter(|p| !roots.contains(&p.pid)).collect();
    by_parent.sort_unstable_by_key(|p| p.ppid);
    let mut visited: Vec<Pid> = roots.to_vec();
    visited.sort_unstable();
    let mut found: Vec<ProcStat> = Vec::new();
    let mut parents = roots.to_vec();
    while let Some(parent) = parents.pop() {
        for p in children(&by_parent, parent) {
            let Err(at) = visited.binary_search(&p.pid) else { continue };
            visited.insert(at, p.pid);
            parents.push(p.pid);
            found.push(p.clone());
        }
    }
    found
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
        assert_eq!(s.name, b"a) (b c)");
        assert!(parse_stat(b"42 (x").is_none());
        assert!(parse_stat(b"42 (x) S 1").is_none());
        assert!(parse_stat(b"").is_none());
    }

    #[test]
    fn descendants_follow_parentage() {
        let p = |pid, ppid| ProcStat { pid, name: Vec::new(), state: b'S', ppid, pgrp: pid, start_time: 0 };
        let table = [p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(20, 1), p(13, 10)];
        let mut below: Vec<Pid> = descendants(&table, &[10]).iter().map(|s| s.pid).collect();
        below.sort();
        assert_eq!(below, [11, 12, 13]);
    }

    #[test]
    fn descendants_end_on_a_parentage_cycle() {
        // A torn read: pid 5 seen twice, once as a child of its own child.
        let p = |pid, ppid| ProcStat { pid, name: Vec::new(), state: b'S', ppid, pgrp: pid, start_time: 0 };
        let table = [p(5, 1), p(6, 5), p(5, 6), p(7, 6)];
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(descendants(&table, &[1]).iter().map(|s| s.pid).collect::<Vec<Pid>>());
        });
        let mut below = rx.recv_timeout(std::time::Duration::from_millis(200)).expect("descendants ended");
        below.sort();
        assert_eq!(below, [5, 6, 7]);
    }
}
