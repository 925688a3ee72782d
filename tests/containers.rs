#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
//! initbox as PID 1 of real containers: images built with podman from the Containerfile
//! (FROM scratch: no shell inside), run by podman and by runc from a raw OCI bundle.
//! Skipped, saying so, where podman or runc is missing or not root.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const IMAGE: &str = "localhost/initbox-test";
const APP_IMAGE: &str = "localhost/initbox-test-app";
const BARE_APP_IMAGE: &str = "localhost/initbox-test-bare-app";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn work() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("containers")
}

fn available(tool: &str) -> bool {
    let ok = unsafe { libc::geteuid() } == 0
        && Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIP: {tool} is not installed or this is not root (.ci/run installs it)");
    }
    ok
}

/// podman with the settings this kind of machine needs, and storage of the tests' own.
fn podman() -> Command {
    let w = work();
    let mut c = Command::new("podman");
    // podman refuses a runroot path longer than 50 characters.
    c.arg("--root").arg(w.join("storage")).arg("--runroot").arg("/tmp/initbox-tests-podman");
    c.args([
        "--storage-driver",
        "vfs",
        "--cgroup-manager=cgroupfs",
        "--events-backend=file",
        "--runtime",
        "runc",
    ]);
    c
}

const RUN_FLAGS: [&str; 6] =
    ["--network=none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--pull=never"];

fn ok(cmd: &mut Command) -> Output {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The release binary and the static test app, and (once per test process, one process at
/// a time: nextest runs each test in a process of its own) the three images.
fn images() -> &'static PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        std::fs::create_dir_all(work()).unwrap();
        let lock = std::fs::File::create(work().join("build.lock")).unwrap();
        assert_eq!(unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) }, 0);
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        ok(Command::new(cargo).args(["build", "--release", "--quiet"]).current_dir(root()));
        let context = work().join("app-context");
        std::fs::create_dir_all(&context).unwrap();
        let app = context.join("app");
        ok(Command::new("gcc").args(["-static", "-O2", "-o"]).arg(&app).arg(root().join("tests/apps/app.c")));
        ok(podman()
            .args(["build", "--quiet", "--target", "local", "-t", IMAGE, "-f", "Containerfile", "."])
            .current_dir(root()));
        ok(podman()
            .args([
                "build",
                "--quiet",
                "--build-arg",
                &format!("INITBOX_IMAGE={IMAGE}"),
                "-t",
                APP_IMAGE,
                "-f",
            ])
            .arg(root().join("tests/containers/app.Containerfile"))
            .arg(&context));
        std::fs::write(context.join("Bare.Containerfile"), "FROM scratch\nCOPY app /app\n").unwrap();
        ok(podman()
            .args(["build", "--quiet", "-t", BARE_APP_IMAGE, "-f", "Bare.Containerfile", "."])
            .current_dir(&context));
        app
    })
}

/// A detached container, removed (killed if need be) when dropped.
struct Container(String);

impl Container {
    fn run(name: &str, args: &[&str]) -> Container {
        let _ = podman().args(["rm", "-f", name]).output();
        ok(podman().args(["run", "-d", "--name", name]).args(RUN_FLAGS).args(args));
        Container(name.to_string())
    }
    fn logs(&self) -> String {
        text(&ok(podman().args(["logs", &self.0])))
    }
    fn wait_for_log(&self, line: &str) {
        let until = Instant::now() + Duration::from_secs(30);
        while !self.logs().contains(line) {
            assert!(Instant::now() < until, "no {line:?} in the logs: {}", self.logs());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    fn exit_code(&self) -> i32 {
        let out = ok(podman().args(["inspect", "--format", "{{.State.ExitCode}}", &self.0]));
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = podman().args(["rm", "-f", "-t", "0", &self.0]).output();
    }
}

fn podman_run(args: &[&str]) -> Output {
    podman().args(["run", "--rm"]).args(RUN_FLAGS).args(args).stdin(Stdio::null()).output().unwrap()
}

#[test]
fn podman_stop_ends_a_multi_process_app_gracefully() {
    if !available("podman") {
        return;
    }
    images();
    let app = Container::run("initbox-graceful", &[APP_IMAGE]);
    app.wait_for_log("app: 3 workers running");
    ok(podman().args(["stop", "-t", "10", &app.0]));
    let logs = app.logs();
    for i in 1..=3 {
        assert!(logs.contains(&format!("worker {i}: finished")), "worker {i} did not finish: {logs}");
        // Each worker, in the app's group or detached, counts the stop signal once.
        assert!(logs.contains(&format!("worker {i}: finished, stop signals: 1")), "worker {i}: {logs}");
    }
    assert!(!logs.contains("SIGKILL"), "{logs}");
    assert_eq!(app.exit_code(), 143, "the app's own status");
}

#[test]
fn init_kills_a_term_ignoring_worker_within_its_grace_and_says_so() {
    if !available("podman") {
        return;
    }
    images();
    let app = Container::run(
        "initbox-stubborn",
        &["-e", "INITBOX_GRACE=3s", APP_IMAGE, "/app", "workers", "2", "stubborn"],
    );
    app.wait_for_log("app: 2 workers running");
    ok(podman().args(["stop", "-t", "10", &app.0]));
    let logs = app.logs();
    // The line comes from init: had podman's own SIGKILL (at 10 s) come first, init would
    // have died with everything else, unable to say anything.
    assert!(logs.contains("initbox init[1]: warning: grace period (3s) over: SIGKILL to pid"), "{logs}");
    assert!(logs.contains("(app)"), "{logs}");
    assert!(logs.contains("worker 1: finished") && logs.contains("worker 2: finished"), "{logs}");
    assert_eq!(app.exit_code(), 143);
}

#[test]
fn exit_statuses_pass_through_podman_run() {
    if !available("podman") {
        return;
    }
    images();
    for (args, code) in
        [(vec!["/app", "exit", "0"], 0), (vec!["/app", "exit", "3"], 3), (vec!["/app", "selfterm"], 143)]
    {
        let out = podman_run(&[&[APP_IMAGE][..], &args].concat());
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", text(&out));
    }
}

#[test]
fn podman_init_path_runs_initbox_as_podman_init() {
    if !available("podman") {
        return;
    }
    images();
    let bin = root().join("target/x86_64-unknown-linux-musl/release/initbox");
    let init_path = bin.to_str().unwrap();
    // Podman mounts it at /run/podman-init and runs `/run/podman-init -- CMD`.
    let out = podman_run(&["--init", "--init-path", init_path, BARE_APP_IMAGE, "/app", "exit", "3"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let out = podman_run(&["--init", "--init-path", init_path, BARE_APP_IMAGE, "/app", "selfterm"]);
    assert_eq!(out.status.code(), Some(143), "{}", text(&out));
}

#[test]
fn the_image_is_scratch_with_no_shell() {
    if !available("podman") {
        return;
    }
    images();
    let out = podman_run(&["--entrypoint", "/bin/sh", IMAGE, "-c", "true"]);
    assert!(!out.status.success(), "a shell was found in the image");
    let out = podman_run(&[IMAGE, "/initbox", "--list"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "init\nreap\nsigfwd\nkilltree\nwaitall\n");
    let out = podman_run(&[IMAGE, "/sbin/waitall", "--timeout", "1s", "-p", "1"]);
    assert_eq!(out.status.code(), Some(124), "/sbin links work, PID 1 is init: {}", text(&out));
}

/// An OCI bundle whose rootfs holds only initbox and the static app.
fn bundle(name: &str, args: &[&str]) -> PathBuf {
    let app = images();
    let dir = work().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let rootfs = dir.join("rootfs");
    std::fs::create_dir_all(&rootfs).unwrap();
    std::fs::copy(root().join("target/x86_64-unknown-linux-musl/release/initbox"), rootfs.join("initbox"))
        .unwrap();
    std::fs::copy(app, rootfs.join("app")).unwrap();
    write_config(&dir, args);
    dir
}

/// `runc spec`'s config.json in `dir`, running `args` without a terminal.
fn write_config(dir: &Path, args: &[&str]) {
    ok(Command::new("runc").arg("spec").current_dir(dir));
    let config = std::fs::read_to_string(dir.join("config.json")).unwrap();
    let args_json = args.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ");
    let config = config.replace("\"terminal\": true", "\"terminal\": false").replace("\"sh\"", &args_json);
    assert!(config.contains(&args_json), "runc spec changed its template: {config}");
    std::fs::write(dir.join("config.json"), config).unwrap();
}

struct RuncContainer(String);

impl Drop for RuncContainer {
    fn drop(&mut self) {
        let _ = Command::new("runc")
            .args(["--root"])
            .arg(work().join("runc"))
            .args(["delete", "-f", &self.0])
            .output();
    }
}

fn runc() -> Command {
    let mut c = Command::new("runc");
    c.arg("--root").arg(work().join("runc"));
    c
}

#[test]
fn runc_runs_a_bundle_with_initbox_as_pid1() {
    if !available("runc") || !available("podman") {
        return;
    }
    let dir = bundle("bundle-exit", &["/initbox", "init", "--", "/app", "exit", "3"]);
    let _guard = RuncContainer("initbox-test-exit".into());
    let out =
        runc().args(["run", "-b"]).arg(&dir).arg("initbox-test-exit").stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
}

#[test]
fn runc_detached_kill_and_delete() {
    if !available("runc") || !available("podman") {
        return;
    }
    let dir = bundle("bundle-detached", &["/initbox", "init", "--", "/app", "workers", "2"]);
    let id = "initbox-test-detached";
    let _guard = RuncContainer(id.into());
    let log = dir.join("output");
    let file = std::fs::File::create(&log).unwrap();
    ok(runc().args(["run", "-d", "-b"]).arg(&dir).arg(id).stdout(file.try_clone().unwrap()).stderr(file));
    let until = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&log).unwrap().contains("2 workers running") {
        assert!(Instant::now() < until, "the app did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    ok(runc().args(["kill", id, "TERM"]));
    loop {
        let state = runc().args(["state", id]).output().unwrap();
        if String::from_utf8_lossy(&state.stdout).contains("\"stopped\"") {
            break;
        }
        assert!(Instant::now() < until, "still running");
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = std::fs::read_to_string(&log).unwrap();
    assert!(output.contains("worker 1: finished") && output.contains("worker 2: finished"), "{output}");
    ok(runc().args(["delete", id]));
}

/// issue 15: a root staged on the host (`$ROOT/sbin/initbox --install $ROOT/sbin`), then
/// moved to another path, runs under runc by its links: /sbin/init as PID 1, /sbin/waitall
/// under it.
#[test]
fn runc_runs_a_root_staged_on_the_host_and_moved() {
    if !available("runc") {
        return;
    }
    let dir = work().join("bundle-staged");
    let _ = std::fs::remove_dir_all(&dir);
    let staged = dir.join("staged-elsewhere");
    std::fs::create_dir_all(staged.join("sbin")).unwrap();
    let bin = staged.join("sbin/initbox");
    std::fs::copy(env!("CARGO_BIN_EXE_initbox"), &bin).unwrap();
    ok(Command::new(&bin).arg("--install").arg(staged.join("sbin")));
    std::fs::rename(&staged, dir.join("rootfs")).unwrap();
    write_config(&dir, &["/sbin/init", "--", "/sbin/waitall", "--timeout", "10ms", "-p", "1"]);
    let id = "initbox-test-staged";
    let _guard = RuncContainer(id.into());
    let out = runc().args(["run", "-b"]).arg(&dir).arg(id).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(124), "waitall timed out, its status passed by init: {}", text(&out));
}
