//! The supervisor loop shared by every applet that runs a command: block the signals, start
//! the command, then one loop — reap everything that exited, act on the phase's deadline,
//! and sleep in `rt_sigtimedwait` until the next signal (with no timeout unless a deadline
//! runs, so an idle supervisor makes no system calls). Each applet picks which duties it adds.
//!
//! The shutdown is a sequence of phases (see `Phase`). Its rule: every process gets the
//! stop signal once. Who had it is remembered (pid and start time), so neither the sweep
//! after the command's exit nor a second stop signal from outside sends it again.
//! Nothing on the shutdown path allocates in proportion to the processes: /proc is walked
//! with buffers on the stack, and the memory for who had the stop signal is set aside at start.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use crate::error::{CANNOT_START, Error, Result};
use crate::hooks::Hooks;
use crate::proc::{self, ProcStat};
use crate::signals::{self, SignalMap};
use crate::spawn::Command;
use crate::sys::{self, Pid, Status};
use crate::text::{lossy, shown};
use crate::{debug, info, warn};
use crate::{duration, pidfd};

#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Forward {
    /// The command only.
    Child,
    /// The command's process group.
    #[default]
    Group,
    /// The command and every descendant, found by parentage in /proc.
    Tree,
}

impl Forward {
    /// `--to child|group|tree` (tree only where `tree_allowed`).
    pub fn parse(text: &[u8], tree_allowed: bool) -> core::result::Result<Forward, String> {
        match text {
            b"group" => Ok(Forward::Group),
            b"child" => Ok(Forward::Child),
            b"tree" if tree_allowed => Ok(Forward::Tree),
            other => {
                let choices = if tree_allowed { "child, group or tree" } else { "child or group" };
                Err(alloc::format!("bad --to '{}': use {choices}", lossy(other)))
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AfterCommand {
    /// Exit with the command's status as soon as it exits.
    Leave,
    /// Wait for every descendant. `stop_after`: how long after the command's exit the rest
    /// get the stop signal (None: wait for them however long it takes).
    WaitAll { stop_after: Option<Duration> },
}

pub struct Supervisor {
    pub forward: Forward,
    pub map: SignalMap,
    /// Adopt orphaned descendants when not PID 1.
    pub subreaper: bool,
    pub after: AfterCommand,
    /// TERM and INT start a shutdown (init).
    pub stop_signals_shut_down: bool,
    /// init's own deadline for a stop asked from outside (`--grace`): None leaves the
    /// deadline to whoever asked (the engine's timeout), with no SIGKILL of ours.
    pub stop_grace: Option<Duration>,
    /// From the stop signal to the rest (the command exited by itself, or waitall's
    /// timeout ran out) to SIGKILL of everything left; None: no deadline (`--grace 0`).
    pub grace: Option<Duration>,
    /// How long a stop signal is held before it is forwarded (`--stop-delay`).
    pub stop_delay: Duration,
    pub pdeathsig: Option<i32>,
    /// Log every reaped orphan as a warning (tini -w).
    pub warn_on_reap: bool,
    /// After forwarding TSTP, TTIN or TTOU, stop itself too, as a shell job would (dumb-init).
    pub stop_with_tty_signals: bool,
    /// A personality's lines and quirks (applets/compat.rs).
    pub hooks: Option<&'static dyn Hooks>,
}

impl Default for Supervisor {
    fn default() -> Self {
        Supervisor {
            forward: Forward::Group,
            map: SignalMap::default(),
            subreaper: true,
            after: AfterCommand::Leave,
            stop_signals_shut_down: false,
            stop_grace: None,
            grace: None,
            stop_delay: Duration::ZERO,
            pdeathsig: None,
            warn_on_reap: false,
            stop_with_tty_signals: false,
            hooks: None,
        }
    }
}

/// When a stop without a deadline of ours first names who it waits for, and how often after.
const FIRST_REPORT: Duration = Duration::from_secs(5);
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// How many processes the "had the stop signal" record holds (set aside at start, 16
/// bytes each). Past it, a process may get the stop signal a second time: never none.
const STOPPED_CAPACITY: usize = 8192;

/// Where the run stands.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Phase {
    /// Nothing asked to stop yet.
    Running,
    /// A stop signal (`signal`, already mapped) is held by --stop-delay until `until`.
    Delaying { signal: i32, until: Duration },
    /// The command exited while others still run; they get the stop signal at `stop_at`
    /// (waitall --timeout), or are waited for however long it takes (None).
    Waiting { stop_at: Option<Duration> },
    /// `signal` went out: waiting for everything to exit. At `kill`, if there is a
    /// deadline of ours, SIGKILL; at `report_at`, if not, a line naming who is waited for.
    Stopping { signal: i32, kill: Option<Deadline>, report_at: Option<Duration> },
    /// The grace period ran out: everything left got SIGKILL; reaping what dies.
    Killing,
}

#[derive(Clone, Copy, PartialEq, Debug)]
struct Deadline {
    at: Duration,
    /// The grace period it ends, for the log.
    grace: Duration,
}

impl Supervisor {
    /// Runs `command` (None: a pause process that only reaps) and returns its status.
    pub fn run(&self, command: Option<Command>) -> Result<Status> {
        let supervised = signals::supervised();
        signals::block(supervised).map_err(|e| setup_error("cannot block signals", e))?;
        signals::default_sigchld();
        let own_pid = sys::getpid();
        let as_pid1 = own_pid == 1;
        let mut parent_already_died = None;
        if let Some(sig) = self.pdeathsig.filter(|_| !as_pid1) {
            let parent = sys::getppid();
            sys::set_parent_death_signal(sig)
                .map_err(|e| setup_error("cannot set the parent-death signal", e))?;
            if sys::getppid() != parent {
                // The parent died before the request took hold: act as if the signal came.
                parent_already_died = Some(sys::Received { signo: sig, sender: 0 });
            }
        }
        if self.subreaper
            && !as_pid1
            && let Err(err) = sys::set_child_subreaper()
        {
            warn!(
                "cannot become a child subreaper ({}): orphans will not be reaped here",
                sys::strerror(err)
            );
        }
        if let Some(hooks) = self.hooks {
            hooks.before_spawn();
        }
        let command = command.map(|cmd| cmd.spawn()).transpose()?;
        if let Some(pid) = command {
            debug!("started command, pid {pid}");
            if let Some(hooks) = self.hooks {
                hooks.spawned(pid);
            }
        }
        let mut stopped = Vec::new();
        if matches!(self.after, AfterCommand::WaitAll { .. }) {
            // Set aside now, so the shutdown does not have to ask for memory.
            let _ = stopped.try_reserve_exact(STOPPED_CAPACITY);
        }
        let mut run = Run {
            sup: self,
            own_pid,
            as_pid1,
            proc_is_ours: core::cell::OnceCell::new(),
            command,
            command_group: command,
            status: None,
            phase: Phase::Running,
            stopped,
            batch: 0,
            stop_forwarded: None,
        };
        if let Some(status) = parent_already_died.and_then(|signal| run.on_signal(signal)) {
            return Ok(status);
        }
        run.main_loop(supervised)
    }
}

fn setup_error(what: &str, err: sys::Errno) -> Error {
    Error::new(CANNOT_START, alloc::format!("{what}: {}", sys::strerror(err)))
}

struct Run<'a> {
    sup: &'a Supervisor,
    own_pid: Pid,
    as_pid1: bool,
    /// Whether /proc shows our PID namespace: read when first needed, not at start-up.
    proc_is_ours: core::cell::OnceCell<bool>,
    command: Option<Pid>,
    /// The command's process group (its pid), which outlives the command itself.
    command_group: Option<Pid>,
    status: Option<Status>,
    phase: Phase,
    /// Who had the stop signal, sorted by pid and start time.
    stopped: Vec<Stopped>,
    /// Which forward of a stop signal the newest entries in `stopped` came from.
    batch: u32,
    /// A stop signal forwarded to the running command by an applet that does not shut
    /// down on it (waitall): once the command exits, those left get it too.
    stop_forwarded: Option<i32>,
}

impl Run<'_> {
    fn main_loop(&mut self, supervised: sys::SigBits) -> Result<Status> {
        loop {
            // Reap first, also before the first wait: the command may already have exited.
            let children_left = self.reap_all();
            if let Some(status) = self.status {
                match self.sup.after {
                    AfterCommand::Leave => return Ok(status),
                    AfterCommand::WaitAll { .. } if !children_left => return Ok(status),
                    AfterCommand::WaitAll { .. } if !self.as_pid1 && !self.can_see_others() => {
                        return Ok(status);
                    }
                    AfterCommand::WaitAll { .. } => {}
                }
            }
            if self.phase == Phase::Killing {
                self.kill_newcomers();
            }
            self.on_deadline(sys::now());
            let received = sys::wait_signal(supervised, self.next_deadline())
                .map_err(|e| setup_error("cannot wait for signals", e))?;
            if let Some(status) = received.and_then(|signal| self.on_signal(signal)) {
                return Ok(status);
            }
        }
    }

    fn next_deadline(&self) -> Option<Duration> {
        match self.phase {
            Phase::Running | Phase::Killing => None,
            Phase::Delaying { until, .. } => Some(until),
            Phase::Waiting { stop_at } => stop_at,
            Phase::Stopping { kill, report_at, .. } => match (kill.map(|k| k.at), report_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }

    fn on_deadline(&mut self, now: Duration) {
        match self.phase {
            Phase::Delaying { signal, until } if now >= until => {
                info!("stop delay over: forwarding {}", signals::name(signal));
                self.begin_stop(signal, self.sup.stop_grace);
            }
            Phase::Waiting { stop_at: Some(at) } if now >= at => {
                let signal = self.sup.map.get(signals::TERM).unwrap_or(signals::TERM);
                self.begin_stop(signal, self.sup.grace);
            }
            Phase::Stopping { kill: Some(kill), .. } if now >= kill.at => {
                self.phase = Phase::Killing;
                self.end_grace(kill.grace);
            }
            Phase::Stopping { signal, kill, report_at: Some(at) } if now >= at => {
                self.report_waiting();
                self.phase = Phase::Stopping { signal, kill, report_at: Some(now + REPORT_EVERY) };
            }
            _ => {}
        }
    }

    /// Reaps every child that has exited; returns whether any child is left.
    fn reap_all(&mut self) -> bool {
        let mut command_exit = None;
        let children_left = loop {
            let reaped = sys::reap_one();
            if let (Some(hooks), Ok(Some((pid, status)))) = (self.sup.hooks, reaped) {
                hooks.reaped(pid, status, Some(pid) == self.command);
            }
            match reaped {
                Ok(Some((pid, status))) if Some(pid) == self.command => command_exit = Some((pid, status)),
                Ok(Some((pid, status))) => self.orphan_exited(pid, status),
                Ok(None) => break true,
                Err(_) => break false,
            }
        };
        if let Some(hooks) = self.sup.hooks {
            hooks.reaped_all(children_left);
        }
        if let Some((pid, status)) = command_exit {
            self.command_exited(pid, status, children_left);
        }
        children_left
    }

    fn command_exited(&mut self, pid: Pid, status: Status, children_left: bool) {
        if let Some(hooks) = self.sup.hooks {
            hooks.command_exited(pid, status);
        }
        self.status = Some(status);
        self.command = None;
        let what = Describe(status);
        let AfterCommand::WaitAll { stop_after } = self.sup.after else {
            debug!("command (pid {pid}) {what}");
            return;
        };
        if !children_left {
            info!("command (pid {pid}) {what}");
            return;
        }
        if !self.as_pid1 && !self.can_see_others() {
            // What it can reach without /proc: the command's group. The rest is left to
            // the parent rather than waited for blindly.
            if matches!(self.phase, Phase::Stopping { .. } | Phase::Killing) {
                // Its group had the stop signal already.
                warn!(
                    "command (pid {pid}) {what} while other processes still run; no usable /proc to find them: the rest left to the parent"
                );
                return;
            }
            let signal = self.sup.map.get(signals::TERM).unwrap_or(signals::TERM);
            warn!(
                "command (pid {pid}) {what} while other processes still run; no usable /proc to find them: {} to its process group, the rest left to the parent",
                signals::name(signal)
            );
            self.stop_rest(signal);
            return;
        }
        match self.phase {
            Phase::Stopping { signal, .. } => {
                info!(
                    "command (pid {pid}) {what}; {} to the processes left that did not have it",
                    signals::name(signal)
                );
                self.stop_rest(signal);
            }
            Phase::Killing => info!("command (pid {pid}) {what}; ending the processes left"),
            Phase::Delaying { signal, .. } => {
                // The held stop signal goes out now, and the stop is still the one asked
                // from outside: no deadline of ours unless --grace.
                info!(
                    "command (pid {pid}) {what} during the stop delay; {} to the processes left",
                    signals::name(signal)
                );
                self.begin_stop(signal, self.sup.stop_grace);
            }
            Phase::Running | Phase::Waiting { .. } if self.stop_forwarded.is_some() => {
                // waitall stopped from outside: those left get the stop signal once, and
                // whoever asked for the stop owns the deadline.
                let signal = self.stop_forwarded.unwrap_or(signals::TERM);
                info!(
                    "command (pid {pid}) {what}; {} to the processes left that did not have it",
                    signals::name(signal)
                );
                self.begin_stop(signal, self.sup.stop_grace);
            }
            Phase::Running | Phase::Waiting { .. } => {
                let signal = self.sup.map.get(signals::TERM).unwrap_or(signals::TERM);
                match stop_after {
                    Some(d) if d.is_zero() => {
                        match self.sup.grace {
                            Some(grace) => warn!(
                                "command (pid {pid}) {what} while other processes still run; sending them {}, SIGKILL after {}",
                                signals::name(signal),
                                duration::show(grace)
                            ),
                            None => warn!(
                                "command (pid {pid}) {what} while other processes still run; sending them {}",
                                signals::name(signal)
                            ),
                        }
                        self.begin_stop(signal, self.sup.grace);
                    }
                    Some(d) => {
                        warn!(
                            "command (pid {pid}) {what} while other processes still run; waiting up to {} for them",
                            duration::show(d)
                        );
                        self.phase = Phase::Waiting { stop_at: Some(sys::now() + d) };
                    }
                    None => {
                        warn!("command (pid {pid}) {what} while other processes still run; waiting for them");
                        self.phase = Phase::Waiting { stop_at: None };
                    }
                }
            }
        }
    }

    fn orphan_exited(&self, pid: Pid, status: Status) {
        let stopping = matches!(self.phase, Phase::Stopping { .. } | Phase::Killing);
        match status {
            Status::Signaled(sig) if !stopping && sig != signals::TERM => {
                warn!("pid {pid} was killed by {}", signals::name(sig))
            }
            _ if self.sup.warn_on_reap => warn!("reaped zombie pid {pid}: {}", Describe(status)),
            _ => debug!("reaped pid {pid}: {}", Describe(status)),
        }
    }

    /// Returns a status when the signal ends the run (a pause process told to stop).
    fn on_signal(&mut self, signal: sys::Received) -> Option<Status> {
        let sig = signal.signo;
        // A personality sees every signal, also those the kernel sends on our behalf (the
        // SIGHUP and SIGCONT of giving up a terminal come "from" us).
        if self.sup.hooks.is_some_and(|hooks| !hooks.received(sig)) {
            return None;
        }
        // CHLD only wakes the reaper. A signal from ourselves is the kernel's answer to our
        // own doing (SIGPIPE for a log line into a closed pipe): never the command's business.
        if sig == signals::CHLD || signal.sender == self.own_pid {
            return None;
        }
        let is_stop = sig == signals::TERM || sig == signals::INT;
        if self.command.is_none() && self.status.is_none() {
            // A pause process: nothing to forward to.
            if is_stop {
                info!("{} received: exiting", signals::name(sig));
                return Some(Status::Exited(0));
            }
            debug!("{} received: nothing to forward it to", signals::name(sig));
            return None;
        }
        let to = self.sup.map.get(sig);
        let result = match to {
            None => {
                debug!("{} received: dropped (--map)", signals::name(sig));
                Ok(())
            }
            Some(to) if is_stop && self.sup.stop_signals_shut_down => {
                self.stop_asked(sig, to);
                Ok(())
            }
            Some(to) if is_stop && self.command.is_none() && self.records_stops() => {
                // waitall, after the command: those left get it once.
                self.stop_rest(to);
                Ok(())
            }
            Some(to) => self.forward(to, signal.sender, is_stop),
        };
        if let Some(hooks) = self.sup.hooks {
            hooks.forwarded(sig, to, result);
        }
        // A shell job stops when told to, also when the signal was not passed on.
        if self.sup.stop_with_tty_signals
            && matches!(sig, signals::TSTP | signals::TTIN | signals::TTOU)
            && !self.as_pid1
        {
            let _ = sys::kill(self.own_pid, signals::STOP);
        }
        None
    }

    /// A stop signal from outside (init): `received` as it came, `signal` after --map.
    fn stop_asked(&mut self, received: i32, signal: i32) {
        match self.phase {
            Phase::Running if !self.sup.stop_delay.is_zero() => {
                // Said at the default level: an operator waiting on a stop wants to know why.
                warn!(
                    "{} received: holding it {} (--stop-delay) before forwarding it",
                    signals::name(received),
                    duration::show(self.sup.stop_delay)
                );
                self.phase = Phase::Delaying { signal, until: sys::now() + self.sup.stop_delay };
            }
            Phase::Running | Phase::Waiting { .. } => {
                match self.sup.stop_grace {
                    Some(grace) => info!(
                        "{} received: shutting down, {} grace before SIGKILL",
                        signals::name(received),
                        duration::show(grace)
                    ),
                    None => info!("{} received: shutting down", signals::name(received)),
                }
                self.begin_stop(signal, self.sup.stop_grace);
            }
            Phase::Delaying { .. } => {
                info!("{} received again: forwarding it now", signals::name(received));
                self.begin_stop(signal, self.sup.stop_grace);
            }
            Phase::Stopping { signal: current, .. } if signal != current => {
                // Another stop signal than the one that went out: passed on like any other.
                let _ = self.forward(signal, 0, false);
            }
            Phase::Stopping { .. } if self.command.is_some() => {
                // The command's group had it; only members that did not (forked since) get it.
                debug!(
                    "{} received during the shutdown: to those that did not have it",
                    signals::name(received)
                );
                self.stop_group_rest(signal);
            }
            Phase::Stopping { .. } => {
                // Only processes that have not had the stop signal get it.
                debug!(
                    "{} received during the shutdown: to those that did not have it",
                    signals::name(received)
                );
                self.stop_command_and_rest(signal);
            }
            Phase::Killing => {}
        }
    }

    /// The stop signal goes out now; `kill_at_after`: our deadline, if any.
    fn begin_stop(&mut self, signal: i32, kill_after: Option<Duration>) {
        self.phase = Phase::Stopping { signal, kill: None, report_at: None };
        self.stop_command_and_rest(signal);
        // The grace starts once the signal is out (listing a large /proc takes a while).
        let now = sys::now();
        let report_at = if kill_after.is_none() { Some(now + FIRST_REPORT) } else { None };
        let kill = kill_after.map(|grace| Deadline { at: now + grace, grace });
        self.phase = Phase::Stopping { signal, kill, report_at };
    }

    fn stop_command_and_rest(&mut self, signal: i32) {
        if self.command.is_some() {
            let _ = self.forward(signal, 0, true);
        } else {
            self.stop_rest(signal);
        }
    }

    fn records_stops(&self) -> bool {
        matches!(self.sup.after, AfterCommand::WaitAll { .. })
    }

    fn forward(&mut self, sig: i32, sender: Pid, is_stop: bool) -> core::result::Result<(), sys::Errno> {
        let Some(command) = self.command else {
            // The command is gone but others are still waited for: they get it instead.
            debug!("forwarding {} to the processes left", signals::name(sig));
            self.signal_rest(sig);
            return Ok(());
        };
        debug!("forwarding {} (from pid {sender})", signals::name(sig));
        let recording = is_stop && self.records_stops();
        if recording {
            self.record_command_targets(command);
            self.stop_forwarded = Some(sig);
        }
        let result = match self.sup.forward {
            Forward::Child => sys::kill(command, sig),
            Forward::Group => sys::kill(-command, sig),
            // The command is one of the descendants; without /proc it is the only one known.
            Forward::Tree => {
                let mut reached = 0;
                if self.can_see_others() {
                    let own_pid = self.own_pid;
                    let _ = proc::for_each(|p| {
                        if p.state != b'Z' && proc::descends_from(p, own_pid) {
                            reached += 1;
                            let _ = pidfd::signal_seen(p, sig);
                        }
                    });
                }
                if reached == 0 { sys::kill(command, sig) } else { Ok(()) }
            }
        };
        if let Err(err) = result {
            debug!("forwarding {} failed: {}", signals::name(sig), sys::strerror(err));
        }
        if recording {
            self.after_stop_forward(command);
        }
        result
    }

    /// Before a stop signal goes to the command (or its group): note who gets it.
    fn record_command_targets(&mut self, command: Pid) {
        if !self.can_see_others() {
            return;
        }
        self.batch = self.batch.wrapping_add(1);
        let (group, batch) = (self.sup.forward == Forward::Group, self.batch);
        let mut stopped = core::mem::take(&mut self.stopped);
        let _ = proc::for_each(|p| {
            if p.pid == command || (group && p.pgrp == command) {
                note(&mut stopped, p, batch);
            }
        });
        self.stopped = stopped;
    }

    /// After the kill: who was in the group before it but is not now (a `setsid` midway)
    /// may have missed it, so it is not counted as having had it; who had it but is
    /// stopped is continued, to act on it.
    fn after_stop_forward(&mut self, command: Pid) {
        if !self.can_see_others() {
            return;
        }
        let (batch, group) = (self.batch, self.sup.forward == Forward::Group);
        let mut stopped = core::mem::take(&mut self.stopped);
        let _ = proc::for_each(|p| {
            let Ok(at) = stopped.binary_search_by_key(&(p.pid, p.start_time), Stopped::key) else { return };
            if stopped.get(at).is_none_or(|e| e.batch != batch) {
                return;
            }
            if group && p.pid != command && p.pgrp != command {
                stopped.remove(at);
            } else if p.state == b'T' {
                let _ = pidfd::signal_seen(p, signals::CONT);
            }
        });
        self.stopped = stopped;
    }

    /// A second stop while the command runs: only its group's members that did not have
    /// the first (forked since).
    fn stop_group_rest(&mut self, signal: i32) {
        let Some(group) = self.command_group else { return };
        if !self.can_see_others() {
            return;
        }
        let mut stopped = core::mem::take(&mut self.stopped);
        let _ = proc::for_each(|p| {
            if p.state != b'Z'
                && (p.pid == group || p.pgrp == group)
                && !had_it(&stopped, p)
                && pidfd::signal_seen(p, signal).is_ok()
            {
                note(&mut stopped, p, 0);
            }
        });
        self.stopped = stopped;
    }

    /// The stop signal to every process left that has not had it; stopped ones are also
    /// continued, so they can act on it.
    fn stop_rest(&mut self, signal: i32) {
        if !self.can_see_others() {
            // All a PID 1 can do without /proc: everyone, again or not.
            match self.command_group {
                _ if self.as_pid1 => {
                    let _ = sys::kill(-1, signal);
                    let _ = sys::kill(-1, signals::CONT);
                }
                Some(group) => {
                    let _ = sys::kill(-group, signal);
                }
                None => {}
            }
            return;
        }
        let mut stopped = core::mem::take(&mut self.stopped);
        let (own_pid, as_pid1) = (self.own_pid, self.as_pid1);
        let mut failed = 0usize;
        let _ = proc::for_each(|p| {
            if p.pid == own_pid || p.state == b'Z' {
                return;
            }
            if !as_pid1 && !proc::descends_from(p, own_pid) {
                return;
            }
            let had = had_it(&stopped, p);
            if !had {
                match pidfd::signal_seen(p, signal) {
                    Ok(()) => {
                        debug!("{} to pid {} ({})", signals::name(signal), p.pid, shown(&p.name));
                        note(&mut stopped, p, 0);
                    }
                    // Gone since it was listed.
                    Err(libc::ESRCH) => {}
                    Err(_) => failed += 1,
                }
            }
            if p.state == b'T' {
                let _ = pidfd::signal_seen(p, signals::CONT);
            }
        });
        if failed > 0 {
            warn!("could not send {} to {failed} processes (out of descriptors?)", signals::name(signal));
        }
        self.stopped = stopped;
    }

    /// Whether /proc can list the processes this run is responsible for.
    fn can_see_others(&self) -> bool {
        *self.proc_is_ours.get_or_init(proc::is_ours)
    }

    /// Calls `each` for every process this run is responsible for besides itself: the
    /// whole namespace as PID 1, otherwise its descendants. False when /proc cannot tell.
    fn for_each_other(&self, mut each: impl FnMut(&ProcStat)) -> bool {
        if !self.can_see_others() {
            return false;
        }
        let (own_pid, as_pid1) = (self.own_pid, self.as_pid1);
        proc::for_each(|p| {
            if p.pid != own_pid && p.state != b'Z' && (as_pid1 || proc::descends_from(p, own_pid)) {
                each(p);
            }
        })
        .is_ok()
    }

    /// A signal other than the stop signal to everything left.
    fn signal_rest(&self, sig: i32) {
        if self.as_pid1 {
            // One kill(-1) reaches the whole namespace, also what was forked after any
            // listing could be taken.
            let _ = sys::kill(-1, sig);
        } else if !self.for_each_other(|p| {
            let _ = pidfd::signal_seen(p, sig);
        }) && let Some(group) = self.command_group
        {
            let _ = sys::kill(-group, sig);
        }
    }

    /// One line naming the processes the stop is waiting for.
    fn report_waiting(&self) {
        let mut names = crate::log::Line::new();
        let mut count = 0usize;
        let listed = self.for_each_other(|p| {
            count += 1;
            let _ = fmt::Write::write_fmt(&mut names, format_args!(", {} ({})", p.pid, shown(&p.name)));
        });
        let text = core::str::from_utf8(names.finish()).unwrap_or_default().trim_end();
        match listed {
            true if count > 0 => {
                warn!("stopping: still waiting for {count} processes: {}", text.trim_start_matches(", "))
            }
            true => {}
            false => warn!("stopping: still waiting for processes to exit (no /proc to name them)"),
        }
    }

    /// The grace period ran out: SIGKILL to everything left, the command included, with
    /// a line naming each process it reached.
    fn end_grace(&self, grace: Duration) {
        let listed = self.for_each_other(|p| {
            if pidfd::signal_seen(p, signals::KILL).is_ok() {
                warn!(
                    "grace period ({}) over: SIGKILL to pid {} ({})",
                    duration::show(grace),
                    p.pid,
                    shown(&p.name)
                );
            }
        });
        if !listed {
            warn!("grace period ({}) over: SIGKILL to every process left", duration::show(grace));
        }
        self.kill_unlisted(listed);
    }

    /// After the grace: SIGKILL to what was forked since the last sweep, each time the
    /// loop wakes. As PID 1, kill(-1) reaches every one of them without a walk of /proc.
    fn kill_newcomers(&self) {
        let listed = !self.as_pid1
            && self.for_each_other(|p| {
                let _ = pidfd::signal_seen(p, signals::KILL);
            });
        self.kill_unlisted(listed);
    }

    /// SIGKILL to what a walk of /proc may not have covered: the command and its group,
    /// the group it started in when no walk covered it (`listed` false: no /proc, or as
    /// PID 1, where kill(-1) stands for the walk), and as PID 1 everything.
    fn kill_unlisted(&self, listed: bool) {
        if let Some(command) = self.command {
            let _ = sys::kill(command, signals::KILL);
            let _ = sys::kill(-command, signals::KILL);
        }
        // With /proc the walk covered the group (an emptied group's id may belong to
        // someone else by now).
        if let Some(group) = self.command_group.filter(|_| !listed) {
            let _ = sys::kill(-group, signals::KILL);
        }
        if self.as_pid1 {
            let _ = sys::kill(-1, signals::KILL);
        }
    }
}

/// A process that had the stop signal: pid and start time name it across pid reuse.
#[derive(Clone, Copy)]
struct Stopped {
    pid: Pid,
    start_time: u64,
    batch: u32,
}

impl Stopped {
    fn key(&self) -> (Pid, u64) {
        (self.pid, self.start_time)
    }
}

/// Whether `p` (this very process: pid and start time) had the stop signal.
fn had_it(stopped: &[Stopped], p: &ProcStat) -> bool {
    stopped.binary_search_by_key(&(p.pid, p.start_time), Stopped::key).is_ok()
}

/// Notes that `p` had the stop signal, within the memory set aside for it.
fn note(stopped: &mut Vec<Stopped>, p: &ProcStat, batch: u32) {
    if let Err(at) = stopped.binary_search_by_key(&(p.pid, p.start_time), Stopped::key)
        && stopped.len() < stopped.capacity()
    {
        stopped.insert(at, Stopped { pid: p.pid, start_time: p.start_time, batch });
    }
}

/// "exited with status N" or "was killed by SIGX", without allocating.
struct Describe(Status);

impl fmt::Display for Describe {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.0 {
            Status::Exited(code) => write!(f, "exited with status {code}"),
            Status::Signaled(sig) => write!(f, "was killed by {}", signals::name(sig)),
        }
    }
}
