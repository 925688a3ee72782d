//! The test helper: runs the real initbox binary, as PID 1 of a fresh PID namespace
//! (`unshare --pid --fork --mount-proc`) or as a plain child of a shell that is PID 1 there.
//! Every run has a ceiling on how long it may take, and dropping it SIGKILLs the namespace,
//! so no test leaves a process behind.
#![allow(dead_code)] // each test file uses its part

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_initbox");
/// How long any one run may take before the test fails and the run is killed.
pub const CEILING: Duration = Duration::from_secs(120);

pub fn apps() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apps")
}

/// The aarch64 binary to test under qemu-user instead of the native one (`.ci/run` sets
/// it for the emulated slice), with the emulator.
pub fn emulated() -> Option<(PathBuf, PathBuf)> {
    let bin = std::env::var_os("INITBOX_TEST_AARCH64")?;
    let qemu = std::env::var_os("INITBOX_TEST_QEMU").unwrap_or_else(|| "/usr/bin/qemu-aarch64-static".into());
    Some((std::fs::canonicalize(bin).unwrap(), PathBuf::from(qemu)))
}

/// A link named after the applet, so the tests exercise dispatch by argv[0]. Under
/// emulation, a script of that name that runs the aarch64 binary with argv[0] set to it.
pub fn applet_path(applet: &str) -> PathBuf {
    if let Some((bin, qemu)) = emulated() {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("aarch64-applets");
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join(applet);
        let tmp = dir.join(format!(".{applet}.{}", std::process::id()));
        let text = format!("#!/bin/sh\nexec {} -0 \"$0\" {} \"$@\"\n", qemu.display(), bin.display());
        std::fs::write(&tmp, text).unwrap();
        std::fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        std::fs::rename(&tmp, &script).unwrap();
        return script;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("applets");
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join(applet);
    if std::fs::read_link(&link).ok().as_deref() != Some(Path::new(BIN)) {
        let tmp = dir.join(format!(".{applet}.{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(BIN, &tmp).unwrap();
        std::fs::rename(&tmp, &link).unwrap();
    }
    link
}

/// Whether PID namespaces can be made here; tests that need them say so and skip if not.
pub fn namespaces_available() -> bool {
    static CHECK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CHECK.get_or_init(|| {
        let ok = Command::new("unshare")
            .args(["--pid", "--fork", "--mount-proc", "true"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("SKIP: cannot create PID namespaces (needs root and unshare): test skipped");
        }
        ok
    })
}

#[macro_export]
macro_rules! require_namespaces {
    () => {
        if !common::namespaces_available() {
            return;
        }
    };
}

pub struct Cmd {
    args: Vec<std::ffi::OsString>,
    env: Vec<(String, String)>,
    /// Inside a PID namespace of its own (always, but for `initbox()` runs).
    namespace: bool,
    ceiling: Duration,
}

/// An applet run as PID 1 of a new namespace: `applet("init").sh("exit 3").run().code(3)`.
pub fn applet(name: &str) -> Cmd {
    Cmd { args: vec![applet_path(name).into_os_string()], env: Vec::new(), namespace: true, ceiling: CEILING }
}

/// The binary under its own name: `initbox ARGS` (run directly, no namespace).
pub fn initbox() -> Cmd {
    let args = match emulated() {
        Some((bin, qemu)) => vec![qemu.into_os_string(), bin.into_os_string()],
        None => vec![BIN.into()],
    };
    Cmd { args, env: Vec::new(), namespace: false, ceiling: CEILING }
}

/// Whether `pid` runs initbox (natively, or the emulator running it).
/// The kernel drops a signal sent to a namespace's PID 1 that it neither blocks nor
/// catches: sent between exec and the first lines of initbox's main (where it blocks
/// them), it would be lost, as under any init. Waits (up to 10 s) until `pid` blocks or
/// catches `sig` (qemu-user catches them all for its guest), or waits for signals in
/// rt_sigtimedwait (which unblocks them in SigBlk while it waits); other processes at once.
fn wait_until_it_takes(pid: i32, sig: i32) {
    let until = Instant::now() + Duration::from_secs(10);
    let bit = 1u64 << (sig - 1);
    while Instant::now() < until && sig != libc::SIGKILL {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let field = |name: &str| status.lines().find_map(|l| l.strip_prefix(name)).map(str::trim);
        let mask = |name: &str| field(name).and_then(|v| u64::from_str_radix(v, 16).ok()).unwrap_or(0);
        let ns_init = field("NSpid:").and_then(|v| v.split_whitespace().last()) == Some("1");
        let waiting =
            std::fs::read_to_string(format!("/proc/{pid}/wchan")).is_ok_and(|w| w.contains("sigtimedwait"));
        if !ns_init || waiting || (mask("SigBlk:") | mask("SigCgt:")) & bit != 0 {
            return;
        }
        thread::sleep(Duration::from_millis(2));
    }
}

fn runs_initbox(pid: i32) -> bool {
    let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe")) else { return false };
    match emulated() {
        Some((_, qemu)) => exe == qemu,
        None => exe == Path::new(BIN),
    }
}

impl Cmd {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Self {
        for a in args {
            self.args.push(a.as_ref().to_owned());
        }
        self
    }
    /// `sh -c SCRIPT` as the command (after `--`).
    pub fn sh(self, script: &str) -> Self {
        self.args(["--", "sh", "-c", script])
    }
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
    /// Runs initbox as a child of a plain shell that is PID 1 of the namespace, so it is
    /// not PID 1 itself (the namespace still ends every process when the run is dropped).
    pub fn not_pid1(mut self) -> Self {
        let shell = ["sh", "-c", r#""$0" "$@""#].map(std::ffi::OsString::from);
        self.args.splice(0..0, shell);
        self
    }
    pub fn ceiling(mut self, ceiling: Duration) -> Self {
        self.ceiling = ceiling;
        self
    }

    pub fn start(self) -> Running {
        let mut command = if self.namespace {
            let mut c = Command::new("unshare");
            c.args(["--pid", "--fork", "--mount-proc", "--kill-child"]);
            c.args(&self.args);
            c
        } else {
            let mut c = Command::new(&self.args[0]);
            c.args(&self.args[1..]);
            c
        };
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("start the command");
        let (tx, lines) = channel();
        let stdout = child.stdout.take().unwrap();
        let out_copy = Arc::new(Mutex::new(String::new()));
        let out_sink = out_copy.clone();
        let out_thread = thread::spawn(move || {
            for line in BufReader::new(stdout).split(b'\n') {
                let Ok(line) = line else { break };
                let line = String::from_utf8_lossy(&line).into_owned();
                out_sink.lock().unwrap().push_str(&format!("{line}\n"));
                let _ = tx.send(line);
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let err_copy = Arc::new(Mutex::new(Vec::new()));
        let err_sink = err_copy.clone();
        let err_thread = thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                err_sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
            matched: Vec::new(),
            out: out_copy,
            err: err_copy,
            threads: vec![out_thread, err_thread],
            deadline: Instant::now() + self.ceiling,
        }
    }

    pub fn run(self) -> Output {
        self.start().wait()
    }
}

pub struct Running {
    /// initbox itself, or `unshare --kill-child` around it: killing unshare kills the
    /// namespace's PID 1 (its parent-death signal), and with it every process inside.
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    matched: Vec<usize>,
    out: Arc<Mutex<String>>,
    err: Arc<Mutex<Vec<u8>>>,
    threads: Vec<thread::JoinHandle<()>>,
    deadline: Instant,
}

impl Running {
    /// The host pid of the process running initbox (waits until it has exec'd).
    pub fn initbox_pid(&self) -> i32 {
        let root = self.child.id() as i32;
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            let mut queue = vec![root];
            while let Some(pid) = queue.pop() {
                if runs_initbox(pid) {
                    return pid;
                }
                let children =
                    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
                queue.extend(children.split_whitespace().filter_map(|p| p.parse::<i32>().ok()));
            }
            thread::sleep(Duration::from_millis(5));
        }
        panic!("initbox never started");
    }

    /// The host pid of a process below initbox that its namespace numbers `ns_pid`.
    pub fn host_pid(&self, ns_pid: i32) -> i32 {
        let mut queue = vec![self.initbox_pid()];
        while let Some(pid) = queue.pop() {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let nspid = status.lines().find(|l| l.starts_with("NSpid:")).unwrap_or_default();
            if nspid.split_whitespace().last() == Some(&ns_pid.to_string()) {
                return pid;
            }
            let children =
                std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
            queue.extend(children.split_whitespace().filter_map(|p| p.parse::<i32>().ok()));
        }
        panic!("no process {ns_pid} below initbox");
    }

    pub fn signal(&self, sig: i32) {
        let pid = self.initbox_pid();
        wait_until_it_takes(pid, sig);
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill({pid}, {sig})");
    }

    /// Waits for a stdout line containing `text` that no earlier call matched (lines may
    /// come in any order); returns it. Fails the test at the ceiling.
    pub fn expect_line(&mut self, text: &str) -> String {
        if let Some(i) =
            (0..self.seen.len()).find(|&i| !self.matched.contains(&i) && self.seen[i].contains(text))
        {
            self.matched.push(i);
            return self.seen[i].clone();
        }
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        self.matched.push(self.seen.len() - 1);
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "no line with {text:?} before the ceiling; saw {:?}; stderr {}",
                    self.seen,
                    self.stderr()
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "output ended without a line with {text:?}; saw {:?}; stderr {}",
                    self.seen,
                    self.stderr()
                ),
            }
        }
    }

    /// Lines read so far by expect_line.
    pub fn seen(&self) -> &[String] {
        &self.seen
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().unwrap()).into_owned()
    }

    /// Whether the run has ended.
    pub fn exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    pub fn wait(mut self) -> Output {
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > self.deadline {
                panic!("still running at the ceiling; stderr so far: {}", self.stderr());
            }
            thread::sleep(Duration::from_millis(5));
        };
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        use std::os::unix::process::ExitStatusExt;
        let code = status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        Output { code, stdout: self.out.lock().unwrap().clone(), stderr: self.stderr() }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit status; stdout: {} stderr: {}", self.stdout, self.stderr);
        self
    }
    pub fn stdout_has(&self, text: &str) -> &Self {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }
    pub fn stderr_has(&self, text: &str) -> &Self {
        assert!(self.stderr.contains(text), "stderr lacks {text:?}: {}", self.stderr);
        self
    }
    pub fn stderr_lacks(&self, text: &str) -> &Self {
        assert!(!self.stderr.contains(text), "stderr has {text:?}: {}", self.stderr);
        self
    }
    /// The error path: exactly one line on stderr, naming the problem.
    pub fn one_error_line(&self, text: &str) -> &Self {
        assert_eq!(self.stderr.lines().count(), 1, "one line expected: {:?}", self.stderr);
        self.stderr_has(text)
    }
}

/// The command (exits on TERM) with a second process in its group; returns whether USR1
/// sent to PID 1 reached the second one.
pub fn usr1_reaches_group_member(cmd: Cmd) -> bool {
    let script =
        format!("python3 {c} member 15 & exec python3 {c} child 15", c = apps().join("catch.py").display());
    let mut run = cmd.args(["sh", "-c", &script]).start();
    let member: i32 = run.expect_line("member ready").rsplit(' ').next().unwrap().parse().unwrap();
    run.expect_line("child ready");
    run.signal(libc::SIGUSR1);
    run.expect_line("child got 10");
    // Through the group, USR1 was queued to the member in the same kill() as to the child.
    // A USR2 sent to the member directly now is handled after it (lower numbers first):
    // once the member reports USR2, it has reported USR1 if it ever will.
    unsafe { libc::kill(run.host_pid(member), libc::SIGUSR2) };
    run.expect_line("member got 12");
    if emulated().is_some() {
        // qemu-user delivers queued signals in an order of its own: give a USR1 that was
        // sent time to be handled, and look at everything the run printed.
        thread::sleep(Duration::from_millis(500));
    }
    let seen_before = run.seen().iter().any(|l| l == "member got 10");
    run.signal(libc::SIGTERM);
    let out = run.wait();
    out.code(0);
    seen_before || (emulated().is_some() && out.stdout.lines().any(|l| l == "member got 10"))
}

/// `--map TERM:QUIT --map USR1:none` on `cmd` (an applet, options to come): USR1 is
/// dropped (USR2 after it arrives alone), TERM arrives as QUIT.
pub fn assert_map_rewrites_and_drops(cmd: Cmd) {
    let catch = apps().join("catch.py");
    let mut run = cmd
        .args([
            "--map",
            "TERM:QUIT",
            "--map",
            "USR1:none",
            "--",
            "python3",
            catch.to_str().unwrap(),
            "child",
            "3",
        ])
        .start();
    run.expect_line("child ready");
    run.signal(libc::SIGUSR1);
    run.signal(libc::SIGUSR2);
    run.expect_line("child got 12");
    run.signal(libc::SIGTERM);
    run.expect_line("child got 3");
    assert!(!run.seen().iter().any(|l| l.contains("got 10") || l.contains("got 15")), "{:?}", run.seen());
    run.wait().code(0);
}

pub fn temp_dir(name: &str) -> PathBuf {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn bytes_arg(bytes: &[u8]) -> std::ffi::OsString {
    OsStr::from_bytes(bytes).to_owned()
}

/// Runs the applet through `wrapper` (a program that execs its arguments), e.g. one that
/// starts it with signals ignored or blocked, or under a resource limit.
pub fn wrapped(mut cmd: Cmd, wrapper: &[&str]) -> Cmd {
    let at = cmd.args.iter().position(|a| {
        Path::new(a).file_name().is_some_and(|n| {
            let n = n.to_string_lossy();
            n == "initbox" || APPLET_NAMES.contains(&n.as_ref())
        }) || a.to_string_lossy().contains("qemu")
    });
    let at = at.unwrap_or(0);
    for (i, w) in wrapper.iter().enumerate() {
        cmd.args.insert(at + i, (*w).into());
    }
    cmd
}

const APPLET_NAMES: &[&str] = &[
    "init",
    "reap",
    "sigfwd",
    "killtree",
    "waitall",
    "tini",
    "docker-init",
    "dumb-init",
    "catatonit",
    "podman-init",
];

/// `python3 tests/apps/NAME ARGS...` as words for a shell script.
pub fn app(name: &str) -> String {
    apps().join(name).to_str().unwrap().to_string()
}
