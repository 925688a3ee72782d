//! killtree — the terminate, join, kill pattern for a whole process tree, race-free.

use core::time::Duration;

use crate::pidfd::{self, Held};
use crate::prelude::*;
use crate::proc;
use crate::tree;

pub const APPLET: Applet =
    Applet { name: "killtree", summary: "signal a process and all its descendants, race-free", main };

const USAGE: Usage = Usage {
    synopsis: "\
Usage: killtree [OPTIONS] PID...

Signals each PID and all its descendants, found by parentage (so processes
that called setsid or setpgid are included). The tree is frozen first
(SIGSTOP, top-down, each member's children read once it is stopped), then
each member, children before parents, is signalled and continued so it can
handle the signal. Every member is held by a pidfd (past the descriptor
limit, or without pidfds: by pid and start time) from the moment it is
found: a recycled pid is never signalled. killtree never signals itself.
Interrupted (INT, TERM, HUP, QUIT) while freezing, it continues the tree
and exits 128+N.
",
    notes: "\
Exit status: 0 done, 1 a PID did not exist (the others are still
signalled) or /proc could not be read, 2 usage error.
Shell pattern (terminate, join(60), kill):  killtree --grace 60s $pid
",
};

#[derive(Default)]
pub(crate) struct Options {
    signal: Option<i32>,
    grace: Option<Duration>,
    children_only: bool,
    list: bool,
}

pub(crate) const OPTIONS: [Opt<Options>; 4] = [
    Opt { short: b's', ..Opt::signal("signal", |o| &mut o.signal, "the signal to send (default TERM)") },
    Opt::duration(
        "grace",
        |o| &mut o.grace,
        "wait up to DUR for the whole tree to exit, then SIGKILL\n\
         the survivors and wait for them",
    ),
    Opt::flag(
        "children-only",
        |o| &mut o.children_only,
        "spare each PID itself (it is stopped and continued)",
    ),
    Opt::flag("list", |o| &mut o.list, "print the tree (pid, ppid, name); signal nothing"),
];

const USAGE_ERROR: i32 = 2;
const FAILED: i32 = 1;

fn main(args: Args, env: &Env) -> Result<i32> {
    // Not a supervisor: Ctrl-C and TERM act on killtree as on any tool (but while frozen).
    signals::restore_start_mask();
    let Request::Run(parsed) = cli::start("killtree", &USAGE, &OPTIONS, args, env, USAGE_ERROR)? else {
        return Ok(0);
    };
    let Options { signal, grace, children_only, list: listing } = parsed.options;
    let sig = signal.unwrap_or(signals::TERM);
    if parsed.operands.is_empty() {
        return Err(Error::new(USAGE_ERROR, "no PID given (see --help)"));
    }
    if listing {
        // Checked first: once descriptors are opened, one of them would take number 1.
        sys::fd_open(1).map_err(write_error)?;
    }
    pidfd::use_all_descriptors();
    check_proc()?;
    let own_pid = sys::getpid();
    let (roots, failed) = pidfd::hold_operands(parsed.operands.iter(), own_pid, USAGE_ERROR)?;
    if listing {
        list(&roots)?;
    } else if !roots.is_empty() {
        let root_pids: Vec<Pid> = roots.iter().map(Held::pid).collect();
        let is_target = |m: &Held| !(children_only && root_pids.contains(&m.pid()));
        let interrupts = tree::Interrupts::block();
        let frozen = tree::freeze(roots, own_pid, &interrupts).map_err(halt_error)?;
        // Children before their parents, each signalled then continued (see continue_all).
        for member in frozen.iter().rev() {
            if is_target(member) {
                let _ = member.signal(sig);
            }
            let _ = member.signal(signals::CONT);
        }
        drop(interrupts);
        match grace {
            Some(grace) => {
                let targets: Vec<Held> = frozen.into_iter().filter(|m| is_target(m)).collect();
                end_survivors(targets, grace, own_pid, &root_pids, children_only)?;
            }
            // killtree exits now: its pidfds close with it, without a system call each.
            None => core::mem::forget(frozen),
        }
    }
    Ok(if failed { FAILED } else { 0 })
}

/// /proc must show our own PID namespace, and a descriptor must be free to read it.
fn check_proc() -> Result<()> {
    if let Err(libc::EMFILE | libc::ENFILE) = sys::read_file(c"/proc/self/stat") {
        return Err(Error::new(FAILED, "cannot read /proc: no file descriptor free (ulimit -n is too low)"));
    }
    if !proc::is_ours() {
        // A /proc of another PID namespace would name other processes than ours.
        return Err(Error::new(
            FAILED,
            "cannot use /proc: it is not mounted or shows another PID namespace (mount -t proc proc /proc)",
        ));
    }
    Ok(())
}

fn halt_error(halt: tree::Halt) -> Error {
    match halt {
        tree::Halt::Interrupted(sig) => Error::new(
            128 + sig,
            format!(
                "interrupted by {} while freezing the tree: continued it, signalled nothing",
                signals::name(sig)
            ),
        ),
        tree::Halt::Failed(err) => proc_error(err),
    }
}

fn write_error(err: sys::Errno) -> Error {
    Error::new(FAILED, format!("cannot write: {}", sys::strerror(err)))
}

/// After the signal: wait up to `grace` for the tree, then SIGKILL what is left, including
/// what its members forked in the meantime, and wait for that.
fn end_survivors(
    targets: Vec<Held>,
    grace: Duration,
    own_pid: Pid,
    roots: &[Pid],
    children_only: bool,
) -> Result<()> {
    let wait_error = |err| Error::new(FAILED, format!("cannot wait for the tree: {}", sys::strerror(err)));
    if pidfd::wait_exited(&targets, Some(grace)).map_err(wait_error)? {
        return Ok(());
    }
    // Freeze again from every member still held: that also catches their new children.
    let interrupts = tree::Interrupts::block();
    let survivors = tree::freeze(targets, own_pid, &interrupts).map_err(halt_error)?;
    let mut killed = Vec::new();
    let mut spared = Vec::new();
    for member in survivors {
        let spare = children_only && roots.contains(&member.pid());
        if !spare && member.signal(signals::KILL).is_ok() {
            warn!(
                "grace period ({}) over: SIGKILL to pid {} ({})",
                duration::show(grace),
                member.pid(),
                lossy(&member.stat.name)
            );
            killed.push(member);
        } else {
            spared.push(member);
        }
    }
    tree::continue_all(&spared);
    drop(interrupts);
    pidfd::wait_exited(&killed, None).map_err(wait_error)?;
    Ok(())
}

fn list(roots: &[Held]) -> Result<()> {
    let table = proc::all().map_err(proc_error)?;
    let mut by_parent: Vec<&proc::ProcStat> = table.iter().collect();
    crate::sort::sort_by_key(&mut by_parent, |p| p.ppid);
    let mut out = String::from("PID\tPPID\tNAME\n");
    // Against a parentage cycle in a torn read of /proc: each process once.
    let mut printed: Vec<Pid> = Vec::new();
    for root in roots {
        // Depth-first, so each process is printed under its parent, indented one level.
        let mut stack: Vec<(&proc::ProcStat, usize)> = alloc::vec![(&root.stat, 0)];
        while let Some((stat, depth)) = stack.pop() {
            match printed.binary_search(&stat.pid) {
                Ok(_) => continue,
                Err(at) => printed.insert(at, stat.pid),
            }
            out.push_str(&format!(
                "{}\t{}\t{:indent$}{}\n",
                stat.pid,
                stat.ppid,
                "",
                lossy(&stat.name),
                indent = depth * 2
            ));
            let mut kids: Vec<_> = proc::children(&by_parent, stat.pid).map(|c| (c, depth + 1)).collect();
            kids.reverse();
            stack.extend(kids);
        }
    }
    sys::write_all(1, out.as_bytes()).map_err(write_error)
}

fn proc_error(err: sys::Errno) -> Error {
    let hint = if matches!(err, libc::EMFILE | libc::ENFILE) {
        " (no file descriptor free: raise ulimit -n)"
    } else {
        ""
    };
    Error::new(FAILED, format!("cannot read the process table in /proc: {}{hint}", sys::strerror(err)))
}
