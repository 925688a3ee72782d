//! Signal names and numbers, the blocked mask, and the FROM:TO rewrite table.

use alloc::format;
use alloc::string::String;

use crate::sys::{self, Errno, SigBits};
use crate::text::{self, lossy};

const NAMES: [&str; 32] = [
    "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
    "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
    "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

/// The real-time range as `kill -l` shows it on glibc systems, which is what the shell
/// scripts and programs initbox runs use (musl would say 35; the kernel says 32).
pub const RTMIN: i32 = 34;
pub const RTMAX: i32 = 64;

pub const HUP: i32 = 1;
pub const INT: i32 = 2;
pub const QUIT: i32 = 3;
pub const KILL: i32 = 9;
pub const PIPE: i32 = 13;
pub const TERM: i32 = 15;
pub const CHLD: i32 = 17;
pub const CONT: i32 = 18;
pub const STOP: i32 = 19;
pub const TSTP: i32 = 20;
pub const TTIN: i32 = 21;
pub const TTOU: i32 = 22;

/// Parses `TERM`, `SIGTERM`, `term`, `15`, `RTMIN+3`, `SIGRTMAX-1`.
pub fn parse(text: &[u8]) -> Option<i32> {
    if let Some(n) = text::parse_decimal(text) {
        return (1..=64).contains(&n).then_some(n);
    }
    let upper: alloc::vec::Vec<u8> = text.iter().map(u8::to_ascii_uppercase).collect();
    let name = upper.strip_prefix(b"SIG").unwrap_or(&upper);
    if let Some(i) = NAMES.iter().position(|n| !n.is_empty() && n.as_bytes() == name) {
        return Some(i as i32);
    }
    let aliases: [(&[u8], i32); 4] = [(b"IOT", 6), (b"CLD", 17), (b"POLL", 29), (b"UNUSED", 31)];
    if let Some((_, sig)) = aliases.iter().find(|(alias, _)| *alias == name) {
        return Some(*sig);
    }
    let realtime = |base: &[u8], start: i32| -> Option<i32> {
        let rest = name.strip_prefix(base)?;
        let sig = match rest.split_first() {
            None => start,
            Some((b'+', n)) => start + text::parse_decimal(n)?,
            Some((b'-', n)) => start - text::parse_decimal(n)?,
            Some(_) => return None,
        };
        (RTMIN..=RTMAX).contains(&sig).then_some(sig)
    };
    realtime(b"RTMIN", RTMIN).or_else(|| realtime(b"RTMAX", RTMAX))
}

/// `SIGTERM`, `SIGRTMIN+3`, or `signal 33`, written without allocating.
pub fn name(sig: i32) -> SigName {
    SigName(sig)
}

pub struct SigName(i32);

impl core::fmt::Display for SigName {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        let sig = self.0;
        match NAMES.get(sig as usize) {
            Some(n) if sig > 0 && !n.is_empty() => write!(f, "SIG{n}"),
            _ if sig == RTMIN => f.write_str("SIGRTMIN"),
            _ if sig > RTMIN && sig <= RTMAX => write!(f, "SIGRTMIN+{}", sig - RTMIN),
            _ => write!(f, "signal {sig}"),
        }
    }
}

/// Every signal a supervisor takes synchronously: all but KILL and STOP. The fault
/// signals too: one sent by another process (`kill -SEGV`) is forwarded like any other,
/// while a genuine fault of initbox's own is forced through by the kernel and still ends it.
pub fn supervised() -> SigBits {
    SigBits(u64::MAX).without(KILL).without(STOP)
}

static START_MASK: sys::Global<SigBits> = sys::Global::new(SigBits(0));

/// Blocks every signal a supervisor takes, first thing at start-up, in one call: a stop
/// signal that arrives while the arguments are read waits in the pending set.
pub fn block_at_start() {
    if let Ok(old) = sys::block_signals(supervised()) {
        START_MASK.set(old);
    }
}

/// For applets that do not supervise (killtree, `waitall -p`): the mask initbox was
/// started with, so Ctrl-C and TERM act on them as on any tool.
pub fn restore_start_mask() {
    let _ = sys::set_signal_mask(START_MASK.get());
}

/// Blocks `set` in one atomic call, returning the mask before.
pub fn block(set: SigBits) -> Result<SigBits, Errno> {
    // One SIG_BLOCK call: no window in which a signal could take its default action.
    sys::block_signals(set)
}

/// Whether SIGPIPE and SIGCHLD were ignored when initbox started, for a personality whose
/// original hands its command the signal state it was started with.
static PIPE_WAS_IGNORED: sys::Global<bool> = sys::Global::new(false);
static CHLD_WAS_IGNORED: sys::Global<bool> = sys::Global::new(false);

/// A supervisor writing logs into a closed pipe must get EPIPE, not die of SIGPIPE.
pub fn ignore_sigpipe() {
    PIPE_WAS_IGNORED.set(sys::set_ignored(PIPE, true));
}

/// With SIGCHLD ignored the kernel reaps children itself and sends no SIGCHLD: a
/// supervisor would wait forever.
pub fn default_sigchld() {
    CHLD_WAS_IGNORED.set(sys::set_default_action(CHLD));
}

/// In the child before exec, for tini and catatonit: the mask and the ignored signals
/// initbox was started with (`mask`: the start mask, as the personality adjusts it).
pub fn inherited_start(mask: SigBits) {
    sys::set_ignored(PIPE, PIPE_WAS_IGNORED.get());
    if CHLD_WAS_IGNORED.get() {
        sys::set_ignored(CHLD, true);
    }
    let _ = sys::set_signal_mask(mask);
}

/// The mask initbox was started with.
pub fn start_mask() -> SigBits {
    START_MASK.get()
}

/// In the child before exec: every signal at its default action and nothing blocked,
/// whatever initbox inherited (a shell's `&` ignores INT and QUIT), so a forwarded or
/// mapped signal is never ignored by the command.
pub fn clean_start() {
    for sig in 1..=RTMAX {
        if sig != KILL && sig != STOP {
            sys::set_default_action(sig);
        }
    }
    let _ = sys::set_signal_mask(SigBits(0));
}

/// `--map` in the help of init, reap and sigfwd.
pub const MAP_HELP: &str = "forward signal FROM as TO; TO=none drops it (repeatable)";

/// `--map FROM:TO` entries; `TO` = `none` drops the signal.
#[derive(Clone, Debug)]
pub struct SignalMap {
    to: [u8; 65],
}

impl Default for SignalMap {
    fn default() -> Self {
        let mut to = [0u8; 65];
        for (sig, slot) in to.iter_mut().enumerate() {
            *slot = sig as u8;
        }
        SignalMap { to }
    }
}

impl SignalMap {
    /// Adds one `FROM:TO` pair; the error text names what is wrong.
    pub fn add(&mut self, pair: &[u8]) -> Result<(), String> {
        let bad =
            || format!("bad signal mapping '{}': use FROM:TO, e.g. TERM:QUIT or USR1:none", lossy(pair));
        let colon = memchr::memchr(b':', pair).ok_or_else(bad)?;
        let (from, to) = (pair.get(..colon).unwrap_or_default(), pair.get(colon + 1..).unwrap_or_default());
        let from = parse(from).ok_or_else(|| bad_signal(from))?;
        let to =
            if to.eq_ignore_ascii_case(b"none") { 0 } else { parse(to).ok_or_else(|| bad_signal(to))? };
        if let Some(slot) = self.to.get_mut(from as usize) {
            *slot = to as u8;
        }
        Ok(())
    }

    /// What to send for `sig`; None when mapped to `none`.
    pub fn get(&self, sig: i32) -> Option<i32> {
        match self.to.get(sig as usize) {
            Some(0) => None,
            Some(&to) => Some(i32::from(to)),
            None => Some(sig),
        }
    }
}

pub fn bad_signal(text: &[u8]) -> String {
    format!("bad signal '{}': use a name like TERM, SIGUSR1, RTMIN+2 or a number 1-64", lossy(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        for text in ["TERM", "SIGTERM", "term", "15", "sigTerm"] {
            assert_eq!(parse(text.as_bytes()), Some(15), "{text}");
        }
        assert_eq!(parse(b"RTMIN+3"), Some(37));
        assert_eq!(parse(b"SIGRTMAX-1"), Some(63));
        assert_eq!(parse(b"RTMIN"), Some(34));
        for bad in ["", "0", "65", "TERMS", "RTMIN+40", "RTMIN3", "-1", "+15"] {
            assert_eq!(parse(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(name(15).to_string(), "SIGTERM");
        assert_eq!(name(37).to_string(), "SIGRTMIN+3");
        assert_eq!(name(33).to_string(), "signal 33");
    }

    #[test]
    fn map_rewrites_and_drops() {
        let mut map = SignalMap::default();
        map.add(b"TERM:QUIT").unwrap();
        map.add(b"usr1:none").unwrap();
        assert_eq!(map.get(15), Some(3));
        assert_eq!(map.get(10), None);
        assert_eq!(map.get(2), Some(2));
        assert!(map.add(b"TERM").is_err());
        assert!(map.add(b"TERM:BOGUS").is_err());
    }

    #[test]
    fn supervised_set_spares_faults_and_unblockables() {
        let set = supervised();
        assert!(set.contains(TERM) && set.contains(CHLD) && set.contains(64) && set.contains(32));
        assert!(!set.contains(KILL) && !set.contains(STOP) && set.contains(11));
    }
}
