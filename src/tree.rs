//! Freezing a process tree: every member held (by a pidfd where one can be had) and
//! stopped, top-down, so that no member can fork a child the walk would miss or exit and
//! let its children escape to another parent before they are held.
//!
//! A member's children are read from /proc/PID/task/TID/children once it is seen stopped
//! (state T): a stopped process cannot fork, so that list is complete. Each member costs
//! two reads of its stat line (to hold it, to see it stopped) and one of its children;
//! nothing else in /proc is read.

use alloc::vec::Vec;
use core::time::Duration;

use crate::pidfd::{self, Held};
use crate::proc::{self, ProcStat};
use crate::signals;
use crate::sort;
use crate::sys::{self, Errno, Pid, SigBits};
use crate::text;
use crate::{debug, warn};

/// How long to let queued SIGSTOPs take effect before looking again.
const STOP_POLL: Duration = Duration::from_millis(1);

/// How long members may stay unstopped, with nothing else changing, before the freeze
/// goes on without them (a process in uninterruptible sleep, a parent inside vfork()).
const STRAGGLER_WAIT: Duration = Duration::from_secs(2);

/// A children list this long may span reads, between which the list can change: it is
/// read again until a read adds nothing.
const LONG_LIST: usize = 3000;

/// Why a freeze ended early. The members held were continued before it returned.
pub enum Halt {
    Interrupted(i32),
    Failed(Errno),
}

/// INT, TERM, HUP and QUIT (those not ignored) blocked while a tree is frozen, so that
/// Ctrl-C or `timeout` cannot end killtree with the tree stopped; the old mask comes
/// back when this is dropped.
pub struct Interrupts {
    set: SigBits,
    old: Option<SigBits>,
}

impl Interrupts {
    pub fn block() -> Interrupts {
        let mut set = SigBits(0);
        for sig in [signals::HUP, signals::INT, signals::QUIT, signals::TERM] {
            // An ignored one is left alone: a blocked signal would be queued, not ignored.
            if !sys::signal_ignored(sig) {
                set.0 |= 1 << (sig - 1);
            }
        }
        let old = sys::block_signals(set).ok();
        Interrupts { set, old }
    }

    /// Waits up to `timeout` for one of them; returns it.
    fn take(&self, timeout: Duration) -> Option<i32> {
        if self.set.0 == 0 {
            sys::sleep(timeout);
            return None;
        }
        sys::wait_signal(self.set, Some(timeout)).ok().flatten().map(|r| r.signo)
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        if let Some(old) = self.old {
            let _ = sys::set_signal_mask(old);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// SIGSTOP sent; not yet seen stopped.
    Stopping,
    /// Seen stopped and its children held, or gone.
    Done,
    /// PID 1 of our namespace: it ignores SIGSTOP from inside, so it cannot hold the
    /// freeze; its children are read again on every pass.
    Unstoppable,
}

/// Pids seen, one bit each.
#[derive(Default)]
struct PidSet(Vec<u64>);

impl PidSet {
    /// Adds `pid`; returns whether it was new.
    fn insert(&mut self, pid: Pid) -> bool {
        let (word, bit) = (pid as usize / 64, 1u64 << (pid as usize % 64));
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        match self.0.get_mut(word) {
            Some(w) if *w & bit == 0 => {
                *w |= bit;
                true
            }
            _ => false,
        }
    }
    fn contains(&self, pid: Pid) -> bool {
        self.0.get(pid as usize / 64).is_some_and(|w| w & (1u64 << (pid as usize % 64)) != 0)
    }
}

struct Tree {
    /// Parents before children.
    members: Vec<Held>,
    stages: Vec<Stage>,
    /// Whether the children of a member not yet stopped were read once already.
    peeked: Vec<bool>,
    known: PidSet,
    spare: Pid,
    /// /proc/PID/task/TID/children exists (CONFIG_PROC_CHILDREN); without it each pass
    /// reads the whole process table instead.
    child_files: bool,
}

/// Stops `roots` and every descendant; returns everything held, parents before
/// children. `spare` is never stopped or held (the caller itself, when inside the tree).
/// Interrupted, or unable to go on, it continues what it held before returning.
pub fn freeze(roots: Vec<Held>, spare: Pid, interrupts: &Interrupts) -> Result<Vec<Held>, Halt> {
    let own = sys::getpid();
    let child_files =
        sys::read_file(&sys::c_string(alloc::format!("/proc/{own}/task/{own}/children").as_bytes())).is_ok();
    let mut tree = Tree {
        members: Vec::new(),
        stages: Vec::new(),
        peeked: Vec::new(),
        known: PidSet::default(),
        spare,
        child_files,
    };
    for root in roots {
        tree.add(root);
    }
    match tree.settle(interrupts) {
        Ok(passes) => {
            debug!("froze {} processes in {passes} passes", tree.members.len());
            Ok(tree.members)
        }
        Err(halt) => {
            continue_all(&tree.members);
            Err(halt)
        }
    }
}

/// SIGCONT to each member, children before their parents: a member still stopped when
/// its process group is orphaned (its parent exits) would get the kernel's SIGHUP.
pub fn continue_all(members: &[Held]) {
    for member in members.iter().rev() {
        let _ = member.signal(signals::CONT);
    }
}

impl Tree {
    fn add(&mut self, member: Held) {
        if !self.known.insert(member.pid()) {
            return;
        }
        let stage = if member.pid() == 1 {
            Stage::Unstoppable
        } else {
            let _ = member.signal(signals::STOP);
            Stage::Stopping
        };
        self.members.push(member);
        self.stages.push(stage);
        self.peeked.push(false);
    }

    /// Passes until every member is stopped (or gone) with its children held; returns
    /// how many passes it took.
    fn settle(&mut self, interrupts: &Interrupts) -> Result<usize, Halt> {
        let mut first_open = 0;
        let mut last_change = sys::now();
        for pass in 1.. {
            let end = self.members.len();
            // First see who has stopped, then read their children: in that order, a
            // child forked just before the stop is in the list.
            let mut ready: Vec<(usize, u32, bool)> = Vec::new();
            let mut changed = false;
            for i in first_open..end {
                let (Some(stage), Some(member)) = (self.stages.get(i).copied(), self.members.get(i)) else {
                    break;
                };
                let (pid, start_time) = (member.pid(), member.stat.start_time);
                let now = match stage {
                    Stage::Done => continue,
                    _ => self.retry(|| pidfd::read_stat(pid)).map_err(Halt::Failed)?,
                };
                match (stage, now) {
                    (Stage::Unstoppable, Some((_, threads))) => ready.push((i, threads, false)),
                    (_, Some((s, threads))) if s.start_time == start_time || start_time == 0 => match s.state
                    {
                        b'T' | b't' => ready.push((i, threads, true)),
                        b'Z' | b'X' => self.done(i, &mut changed),
                        // Uninterruptible: it may never stop (a parent inside vfork() waits
                        // for its child), so its children are frozen meanwhile.
                        b'D' => ready.push((i, threads, false)),
                        // Not stopped yet: its children are stopped now rather than a pass
                        // later (on a busy machine each level of the tree would wait its
                        // turn); read again once it is seen stopped.
                        _ if !self.peeked.get(i).copied().unwrap_or(true) => {
                            if let Some(peeked) = self.peeked.get_mut(i) {
                                *peeked = true;
                            }
                            ready.push((i, threads, false));
                        }
                        _ => {}
                    },
                    // Gone, or its pid is someone else's now: its children went elsewhere.
                    _ => self.done(i, &mut changed),
                }
            }
            let table = if self.child_files || ready.is_empty() {
                Vec::new()
            } else {
                self.retry(proc::all).map_err(Halt::Failed)?
            };
            let mut by_parent: Vec<&ProcStat> = table.iter().collect();
            sort::sort_by_key(&mut by_parent, |p| p.ppid);
            for (i, threads, stopped) in ready {
                self.adopt_children(i, threads, &by_parent).map_err(Halt::Failed)?;
                if stopped && self.stages.get(i) == Some(&Stage::Stopping) {
                    self.done(i, &mut changed);
                }
            }
            while self.stages.get(first_open) == Some(&Stage::Done) {
                first_open += 1;
            }
            let grew = self.members.len() > end;
            let stragglers = self.stages.iter().skip(first_open).filter(|s| **s == Stage::Stopping).count();
            if stragglers == 0 {
                return Ok(pass);
            }
            if grew || changed {
                last_change = sys::now();
            } else if sys::now().saturating_sub(last_change) >= STRAGGLER_WAIT {
                warn!(
                    "{stragglers} processes did not stop within {} (uninterruptible sleep, or inside vfork); going on with {} processes",
                    crate::duration::show(STRAGGLER_WAIT),
                    self.members.len()
                );
                return Ok(pass);
            }
            // New members were just sent SIGSTOP: the next pass looks at them at once (most
            // of a large tree is stopped by then); otherwise let the stops land.
            let nap = if grew { Duration::ZERO } else { STOP_POLL };
            if let Some(sig) = interrupts.take(nap) {
                return Err(Halt::Interrupted(sig));
            }
        }
        Ok(0)
    }

    fn done(&mut self, i: usize, changed: &mut bool) {
        if let Some(stage) = self.stages.get_mut(i) {
            *stage = Stage::Done;
            *changed = true;
        }
    }

    /// Holds and stops every child of member `i` not held yet.
    fn adopt_children(&mut self, i: usize, threads: u32, by_parent: &[&ProcStat]) -> Result<(), Errno> {
        let Some(parent) = self.members.get(i).map(Held::pid) else { return Ok(()) };
        let kids: Vec<Pid> = if self.child_files {
            self.retry(|| children_of(parent, threads))?
        } else {
            proc::children(by_parent, parent).map(|p| p.pid).collect()
        };
        for kid in kids {
            if kid == self.spare || self.known.contains(kid) {
                continue;
            }
            if let Some((member, _)) = self.retry(|| Held::hold_child(kid, parent))? {
                self.add(member);
            }
        }
        Ok(())
    }

    /// Runs `read`; out of descriptors, gives back a pidfd (the newest) and tries again.
    fn retry<T>(&mut self, read: impl Fn() -> Result<T, Errno>) -> Result<T, Errno> {
        loop {
            match read() {
                Err(err @ (libc::EMFILE | libc::ENFILE)) => {
                    if !self.members.iter_mut().rev().any(Held::release_fd) {
                        return Err(err);
                    }
                }
                other => return other,
            }
        }
    }
}

/// The children of `pid`, from the children file of each of its threads.
fn children_of(pid: Pid, threads: u32) -> Result<Vec<Pid>, Errno> {
    let tids = if threads > 1 {
        let mut tids = Vec::new();
        match sys::for_each_numeric_entry(
            &sys::c_string(alloc::format!("/proc/{pid}/task").as_bytes()),
            |tid| tids.push(tid),
        ) {
            Ok(()) => tids,
            Err(libc::ENOENT | libc::ESRCH) => return Ok(Vec::new()),
            Err(err) => return Err(err),
        }
    } else {
        alloc::vec![pid]
    };
    let mut kids = Vec::new();
    let mut text = Vec::with_capacity(64);
    for tid in tids {
        let path = sys::c_string(alloc::format!("/proc/{pid}/task/{tid}/children").as_bytes());
        loop {
            match sys::read_file_into(&path, &mut text, false) {
                Ok(()) => {}
                Err(libc::ENOENT | libc::ESRCH) => break,
                Err(err) => return Err(err),
            }
            let before = kids.len();
            kids.extend(text.split(|&c| c == b' ').filter_map(text::parse_decimal));
            if text.len() < LONG_LIST {
                break;
            }
            sort::sort_by_key(&mut kids, |&pid| pid);
            kids.dedup();
            if kids.len() == before {
                break;
            }
        }
    }
    sort::sort_by_key(&mut kids, |&pid| pid);
    kids.dedup();
    Ok(kids)
}
