//! The supervisor loop shared by every applet that runs a command: block the signals, start
//! the command, then one loop — reap everything that exited, act on deadlines, and sleep
//! in `rt_sigtimedwait` until the next signal (with no timeout unless a deadline runs, so an
//! idle supervisor makes no system calls). Each applet picks which duties it adds.

use alloc::vec::Vec;
use core::time::Duration;

use crate::error::{CANNOT_START, Error, Result};
use crate::hooks::Hooks;
use crate::proc::{self, ProcStat};
use crate::signals::{self, SignalMap, lossy};
use crate::spawn::Command;
use crate::sys::{self, Pid, Status};
use crate::{debug, info, warn};
use crate::{duration, pidfd};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Forward {
    /// The command only.
    Child,
    /// The command's process group.
    Group,
    /// The command and every descendant, found by parentage in /proc.
    Tree,
}

impl Forward {
    /// `--to child|group|tree` (tree only where `tree_allowed`); group when not given.
    pub fn parse(text: Option<&[u8]>, tree_allowed: bool) -> Result<Forward> {
        match text {
            None | Some(b"group") => Ok(Forward::Group),
            Some(b"child") => Ok(Forward::Child),
            Some(b"tree") if tree_allowed => Ok(Forward::Tree),
            Some(other) => {
                let choices = if tree_allowed { "child, group or tree" } else { "child or group" };
                Err(Error::usage(alloc::format!("bad --to '{}': use {choices}", lossy(other))))
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AfterCommand {
    /// Exit with the command's status as soon as it exits.
    Leave,
    /// Wait for every descendant. `term_after`: how long after the command's exit the rest
    /// get SIGTERM (None: wait for them however long it takes).
    WaitAll { term_after: Option<Duration> },
}

pub struct Supervisor {
    pub forward: Forward,
    pub map: SignalMap,
    /// Adopt orphaned descendants when not PID 1.
    pub subreaper: bool,
    pub after: AfterCommand,
    /// TERM and INT start a shutdown: the grace period runs from then (init).
    pub stop_signals_shut_down: bool,
    /// From SIGTERM of the rest (or a stop signal) to SIGKILL of everything left.
    pub grace: Duration,
    pub pdeathsig: Option<i32>,
    /// Log every reaped orphan as a warning (tini -w).
    pub warn_on_reap: bool,
    /// After forwarding TSTP, TTIN or TTOU, stop itself too, as a shell job would (dumb-init).
    pub stop_with_tty_signals: bool,
    /// A personality's lines and quirks (applets/compat.rs).
    pub hooks: Option<&'static dyn Hooks>,
    /// SIGCONT after the SIGTERM to what is left, for stopped processes to act on it
    /// (not for the personalities: the originals send none).
    pub continue_after_term: bool,
}

impl Default for Supervisor {
    fn default() -> Self {
        Supervisor {
            forward: Forward::Group,
            map: SignalMap::default(),
            subreaper: true,
            after: AfterCommand::Leave,
            stop_signals_shut_down: false,
            grace: Duration::ZERO,
            pdeathsig: None,
            warn_on_reap: false,
            stop_with_tty_signals: false,
            hooks: None,
            continue_after_term: true,
        }
    }
}

/// Where a run stands.
struct State {
    command: Option<Pid>,
    status: Option<Status>,
    /// When to SIGTERM whatever is left after the command exited.
    term_at: Option<Duration>,
    /// When the grace period ends and everything left gets SIGKILL.
    kill_at: Option<Duration>,
    killing: bool,
}

impl State {
    fn shutting_down(&self) -> bool {
        self.kill_at.is_some() || self.killing
    }
}

impl Supervisor {
    /// Runs `command` (None: a pause process that only reaps) and returns its status.
    pub fn run(&self, command: Option<Command>) -> Result<Status> {
        let supervised = signals::supervised();
        let start_mask = signals::block(supervised).map_err(|e| setup_error("cannot block signals", e))?;
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
        let command = command.map(|cmd| cmd.spawn(start_mask)).transpose()?;
        if let Some(pid) = command {
            debug!("started command, pid {pid}");
            if let Some(hooks) = self.hooks {
                hooks.spawned(pid);
            }
        }
        let mut run = Run {
            sup: self,
            own_pid,
            as_pid1,
            proc_is_ours: core::cell::OnceCell::new(),
            state: State { command, status: None, term_at: None, kill_at: None, killing: false },
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
    state: State,
}

impl Run<'_> {
    fn main_loop(&mut self, supervised: sys::SigBits) -> Result<Status> {
        loop {
            // Reap first, also before the first wait: the command may already have exited.
            let children_left = self.reap_all();
            if let Some(status) = self.state.status {
                match self.sup.after {
                    AfterCommand::Leave => return Ok(status),
                    AfterCommand::WaitAll { .. } if !children_left => return Ok(status),
                    AfterCommand::WaitAll { .. } => {}
                }
            }
            let now = sys::now();
            if self.state.term_at.is_some_and(|t| now >= t) {
                self.state.term_at = None;
                self.terminate_rest();
                self.state.kill_at.get_or_insert(now + self.sup.grace);
            }
            if self.state.killing {
                self.kill_everything(false); // catch what was forked since the last sweep
            } else if self.state.kill_at.is_some_and(|t| now >= t) {
                self.state.killing = true;
                self.kill_everything(true);
            }
            let deadline = [self.state.term_at, self.state.kill_at.filter(|_| !self.state.killing)]
                .into_iter()
                .flatten()
                .min();
            let timeout = deadline.map(|d| d.saturating_sub(now));
            let received = sys::wait_signal(supervised, timeout)
                .map_err(|e| setup_error("cannot wait for signals", e))?;
            if let Some(status) = received.and_then(|signal| self.on_signal(signal)) {
                return Ok(status);
            }
        }
    }

    /// Reaps every child that has exited; returns whether any child is left.
    fn reap_all(&mut self) -> bool {
        let mut command_exit = None;
        let children_left = loop {
            let reaped = sys::reap_one();
            if let (Some(hooks), Ok(Some((pid, status)))) = (self.sup.hooks, reaped) {
                hooks.reaped(pid, status, Some(pid) == self.state.command);
            }
            match reaped {
                Ok(Some((pid, status))) if Some(pid) == self.state.command => {
                    command_exit = Some((pid, status))
                }
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
        self.state.status = Some(status);
        self.state.command = None;
        let what = describe(status);
        let AfterCommand::WaitAll { term_after } = self.sup.after else {
            debug!("command (pid {pid}) {what}");
            return;
        };
        if !children_left {
            info!("command (pid {pid}) {what}");
            return;
        }
        let now = sys::now();
        self.state.term_at = term_after.map(|d| now + d);
        if self.state.shutting_down() {
            info!("command (pid {pid}) {what}; ending the processes left");
            return;
        }
        let next = match term_after {
            Some(d) if d.is_zero() => {
                alloc::format!("sending them SIGTERM, SIGKILL after {}", duration::show(self.sup.grace))
            }
            Some(d) => alloc::format!("waiting up to {} for them", duration::show(d)),
            None => alloc::string::String::from("waiting for them"),
        };
        warn!("command (pid {pid}) {what} while other processes still run; {next}");
    }

    fn orphan_exited(&self, pid: Pid, status: Status) {
        match status {
            Status::Signaled(sig) if !self.state.shutting_down() && sig != signals::TERM => {
                warn!("pid {pid} was killed by {}", signals::name(sig))
            }
            _ if self.sup.warn_on_reap => warn!("reaped zombie pid {pid}: {}", describe(status)),
            _ => debug!("reaped pid {pid}: {}", describe(status)),
        }
    }

    /// Returns a status when the signal ends the run (a pause process told to stop).
    fn on_signal(&mut self, signal: sys::Received) -> Option<Status> {
        let sig = signal.signo;
        // CHLD only wakes the reaper. A signal from ourselves is the kernel's answer to our
        // own doing (SIGPIPE for a log line into a closed pipe): never the command's business.
        // A personality sees every signal, also those the kernel sends on our behalf (the
        // SIGHUP and SIGCONT of giving up a terminal come "from" us).
        if self.sup.hooks.is_some_and(|hooks| !hooks.received(sig)) {
            return None;
        }
        if sig == signals::CHLD || signal.sender == self.own_pid {
            return None;
        }
        let is_stop = sig == signals::TERM || sig == signals::INT;
        if self.state.command.is_none() && self.state.status.is_none() {
            // A pause process: nothing to forward to.
            if is_stop {
                info!("{} received: exiting", signals::name(sig));
                return Some(Status::Exited(0));
            }
            debug!("{} received: nothing to forward it to", signals::name(sig));
            return None;
        }
        let to = self.sup.map.get(sig);
        if to.is_none() {
            debug!("{} received: dropped (--map)", signals::name(sig));
            if let Some(hooks) = self.sup.hooks {
                hooks.forwarded(sig, None, Ok(()));
            }
        }
        if let Some(to) = to {
            self.shut_down_or_forward(sig, to, is_stop, signal.sender);
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

    fn shut_down_or_forward(&mut self, sig: i32, to: i32, is_stop: bool, sender: Pid) {
        if is_stop && self.sup.stop_signals_shut_down && !self.state.shutting_down() {
            info!(
                "{} received: shutting down, {} grace before SIGKILL",
                signals::name(sig),
                duration::show(self.sup.grace)
            );
            self.state.kill_at = Some(sys::now() + self.sup.grace);
        }
        let result = self.forward(to, sender);
        if let Some(hooks) = self.sup.hooks {
            hooks.forwarded(sig, Some(to), result);
        }
    }

    fn forward(&self, sig: i32, sender: Pid) -> core::result::Result<(), sys::Errno> {
        let Some(command) = self.state.command else {
            // The command is gone but others are still waited for: they get it instead.
            debug!("forwarding {} to the processes left", signals::name(sig));
            self.signal_rest(sig);
            return Ok(());
        };
        debug!("forwarding {} (from pid {sender})", signals::name(sig));
        let result = match self.sup.forward {
            Forward::Child => sys::kill(command, sig),
            Forward::Group => sys::kill(-command, sig),
            // The command is one of the descendants; without /proc it is the only one known.
            Forward::Tree => match self.descendants() {
                tree if tree.is_empty() => sys::kill(command, sig),
                tree => {
                    self.signal_each(&tree, sig);
                    Ok(())
                }
            },
        };
        if let Err(err) = result {
            debug!("forwarding {} failed: {}", signals::name(sig), sys::strerror(err));
        }
        result
    }

    /// Every process this run is responsible for besides itself: the whole namespace as
    /// PID 1, otherwise its descendants. None when /proc cannot tell.
    fn others(&self) -> Option<Vec<ProcStat>> {
        if !*self.proc_is_ours.get_or_init(proc::is_ours) {
            return None;
        }
        let table = proc::all().ok()?;
        if self.as_pid1 {
            return Some(table.into_iter().filter(|p| p.pid != self.own_pid).collect());
        }
        Some(proc::descendants(&table, &[self.own_pid]))
    }

    fn descendants(&self) -> Vec<ProcStat> {
        self.others().unwrap_or_default()
    }

    fn signal_each(&self, targets: &[ProcStat], sig: i32) {
        for target in targets {
            let _ = pidfd::signal_seen(target, sig);
        }
    }

    /// Signals everything left. As PID 1 one kill(-1) reaches the whole namespace, also
    /// what was forked after any listing could be taken.
    fn signal_rest(&self, sig: i32) {
        if self.as_pid1 {
            let _ = sys::kill(-1, sig);
        } else {
            self.signal_each(&self.descendants(), sig);
        }
    }

    fn terminate_rest(&self) {
        self.signal_rest(signals::TERM);
        // Stopped processes could not act on the TERM otherwise.
        if self.sup.continue_after_term {
            self.signal_rest(signals::CONT);
        }
    }

    fn kill_everything(&self, announce: bool) {
        if announce {
            match self.others() {
                Some(left) => {
                    for p in &left {
                        warn!(
                            "grace period ({}) over: SIGKILL to pid {} ({})",
                            duration::show(self.sup.grace),
                            p.pid,
                            lossy(&p.name)
                        );
                        let _ = pidfd::signal_seen(p, signals::KILL);
                    }
                }
                None => warn!(
                    "grace period ({}) over: SIGKILL to every process left",
                    duration::show(self.sup.grace)
                ),
            }
        }
        if let Some(command) = self.state.command {
            let _ = sys::kill(-command, signals::KILL);
            let _ = sys::kill(command, signals::KILL);
        }
        self.signal_rest(signals::KILL);
    }
}

fn describe(status: Status) -> alloc::string::String {
    match status {
        Status::Exited(code) => alloc::format!("exited with status {code}"),
        Status::Signaled(sig) => alloc::format!("was killed by {}", signals::name(sig)),
    }
}
