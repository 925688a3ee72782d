//! Freezing a process tree: every member held by a pidfd and stopped, top-down, so that no
//! member can fork a child the walk would miss or exit and let its children escape to
//! another parent before they are held.

use alloc::vec::Vec;

use crate::pidfd::Held;
use crate::proc;
use crate::signals;
use crate::sys::{Errno, Pid};
use crate::warn;

/// A bound on rescans, against a tree that grows faster than it can be frozen (each pass
/// stops every process it finds, so in practice two or three passes suffice).
const MAX_PASSES: usize = 1000;

/// Stops `roots` and every descendant, rescanning /proc until a full pass finds no new
/// process; returns everything held, parents before children. `spare` is never stopped
/// or held (the caller itself, when it is inside the tree).
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
        if found == 0 {
            return Ok(held);
        }
    }
    warn!("the tree kept growing through {MAX_PASSES} scans; going on with {} processes", held.len());
    Ok(held)
}
