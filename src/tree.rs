//! Freezing a process tree: every member held by a pidfd and stopped, top-down, so that no
//! member can fork a child the walk would miss or exit and let its children escape to
//! another parent before they are held.

use alloc::vec::Vec;

use crate::pidfd::Held;
use crate::proc;
use crate::signals;
use crate::sys::{self, Errno, Pid};
use crate::warn;
use core::time::Duration;

/// A bound on rescans, against a tree that grows faster than it can be frozen (each pass
/// stops every process it finds, so in practice two or three passes suffice).
const MAX_PASSES: usize = 1000;

/// How long to let queued SIGSTOPs take effect before looking again.
const STOP_POLL: Duration = Duration::from_millis(1);

/// Whether every held member is stopped, a zombie, or gone, as `table` shows them.
fn all_stopped(table: &[proc::ProcStat], held: &[Held]) -> bool {
    let mut states: Vec<(Pid, u8)> = table.iter().map(|p| (p.pid, p.state)).collect();
    states.sort_unstable();
    held.iter().all(|member| match states.binary_search_by_key(&member.pid(), |(pid, _)| *pid) {
        Ok(i) => matches!(states.get(i), Some((_, b'T' | b't' | b'Z' | b'X'))),
        Err(_) => true,
    })
}

/// Stops `roots` and every descendant, rescanning /proc until a pass finds no new process
/// while every member is seen stopped (or gone); returns everything held, parents before
/// children. `spare` is never stopped or held (the caller itself, when inside the tree).
///
/// "Seen stopped" matters: SIGSTOP is only queued when sent, and a member inside fork()
/// at that moment finishes it, so its child may appear after the scan that followed the
/// signal. A member in state T cannot be inside fork(), so a scan taken once all are
/// stopped shows every child they made.
pub fn freeze(roots: Vec<Held>, spare: Pid) -> Result<Vec<Held>, Errno> {
    let mut held = roots;
    for member in &held {
        let _ = member.signal(signals::STOP);
    }
    for _ in 0..MAX_PASSES {
        let table = proc::all()?;
        let mut known: Vec<Pid> = held.iter().map(Held::pid).collect();
        known.sort_unstable();
        let mut found = 0;
        // From every member, not only the roots: one whose parent died is still held.
        let tops: Vec<Pid> = held.iter().map(Held::pid).collect();
        for seen in proc::descendants(&table, &tops) {
            if seen.pid == spare || known.binary_search(&seen.pid).is_ok() {
                continue;
            }
            // Gone already, or its pid reused since the listing: nothing to hold.
            let Ok(member) = Held::hold(&seen) else { continue };
            let _ = member.signal(signals::STOP);
            if let Err(at) = known.binary_search(&seen.pid) {
                known.insert(at, seen.pid);
            }
            held.push(member);
            found += 1;
        }
        if found == 0 && all_stopped(&table, &held) {
            return Ok(held);
        }
        if found == 0 {
            sys::sleep(STOP_POLL);
        }
    }
    warn!(
        "the tree did not settle (still growing, or members not stopping) in {MAX_PASSES} scans; going on with {} processes",
        held.len()
    );
    Ok(held)
}
