#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
//! Ordinary limits and faults (issue 20): a stalled log pipe, no /proc, a memory limit, a
//! debugger, scripts without `#!`, few descriptors, huge command lines.

mod common;
use common::*;
use std::time::Duration;

/// Runs `script` under init (PID 1) with $INIT, $REAP and $APPS set.
fn in_namespace(script: &str, ceiling: u64) -> Output {
    applet("init")
        .env("INIT", applet_path("init").to_str().unwrap())
        .env("REAP", applet_path("reap").to_str().unwrap())
        .env("APPS", apps().to_str().unwrap())
        .ceiling(Duration::from_secs(ceiling))
        .sh(script)
        .run()
}

#[test]
fn a_stderr_pipe_nobody_reads_never_stops_the_reaper() {
    require_namespaces!();
    // A nested init and reap log a line per reaped orphan (-vv) into a FIFO that is held
    // open but never read: thousands of lines, far past the pipe's 64 KiB.
    for applet in ["$INIT", "$REAP"] {
        let out = in_namespace(
            &format!(
                r#"f=$(mktemp -u) && mkfifo $f && exec 3<>$f && rm $f
                {applet} -vv -- sh -c 'for i in $(seq 2500); do (true &); done; exit 7' 2>&3
                echo "status $?"
                # Drain it: the next line says how many were dropped.
                timeout 2 cat <&3 | grep -c "log lines dropped" >/dev/null; exit 0"#
            ),
            90,
        );
        out.code(0).stdout_has("status 7");
    }
}

#[test]
fn without_a_usable_proc_init_says_what_it_does_and_never_hangs() {
    require_namespaces!();
    // Not PID 1, /proc gone: the command's group gets SIGTERM, a setsid'd leftover is
    // left to the parent, and init exits with the command's status.
    let out = in_namespace(
        r#"unshare --mount sh -c 'umount -l /proc && exec "$INIT" -- sh -c "sleep 300 & setsid sleep 300 & exit 3"'
        echo "status $?""#,
        30,
    );
    out.code(0).stdout_has("status 3").stderr_has("no usable /proc").stderr_lacks("SIGKILL to every");
}

#[test]
fn a_memory_limit_at_its_size_does_not_stop_a_shutdown_with_many_processes() {
    require_namespaces!();
    // 2,000 TERM-ignoring leftovers in sessions of their own; then init's address space is
    // capped at what it uses, and it is stopped with a grace that runs out: nothing on
    // that path (the sweep, 2,000 SIGKILLs and their log lines) may need more memory.
    let script = r#"
        trap 'exit 42' TERM
        for i in $(seq 2000); do setsid sh -c 'trap "" TERM; exec sleep 300' & done
        echo ready
        while :; do sleep 1; done"#;
    let mut run = applet("init").args(["--grace", "3s"]).ceiling(Duration::from_secs(100)).sh(script).start();
    run.expect_line("ready");
    let pid = run.initbox_pid();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let vm_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmSize:"))
        .and_then(|v| v.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    let limit = (vm_kib * 1024).to_string();
    let ok = std::process::Command::new("prlimit")
        .args(["--pid", &pid.to_string(), &format!("--as={limit}:{limit}")])
        .status()
        .unwrap();
    assert!(ok.success());
    run.signal(libc::SIGTERM);
    run.wait().code(42).stderr_has("grace period (3s) over: SIGKILL to pid");
}

#[test]
fn a_verbosity_level_is_not_believed() {
    applet("init").env("INITBOX_VERBOSE", "999999999").args(["--", "true"]).run().code(0);
}

#[test]
fn the_grace_deadline_is_absolute_while_a_debugger_keeps_attaching() {
    require_namespaces!();
    if std::process::Command::new("strace").arg("-V").output().is_err() {
        panic!("strace is needed (apt-get install strace)");
    }
    // A TERM-ignoring command and --grace 2s; strace attaches to init every half second.
    // Were the wait restarted at each interruption, the grace would never run out.
    let mut run = applet("init")
        .args(["--grace", "2s", "--", "sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"])
        .ceiling(Duration::from_secs(40))
        .start();
    run.expect_line("ready");
    let pid = run.initbox_pid();
    run.signal(libc::SIGTERM);
    let attacher = std::thread::spawn(move || {
        // Until init exits (the ceiling ends a run whose grace never runs out).
        for _ in 0..200 {
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                return;
            }
            let mut strace = std::process::Command::new("strace")
                .args(["-qq", "-o", "/dev/null", "-p", &pid.to_string()])
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(500));
            let _ = strace.kill();
            let _ = strace.wait();
        }
    });
    run.wait().code(137).stderr_has("grace period (2s) over");
    attacher.join().unwrap();
}

#[test]
fn a_script_without_a_shebang_runs_with_bin_sh() {
    require_namespaces!();
    let dir = temp_dir("noshebang");
    let script = dir.join("job");
    std::fs::write(&script, "echo \"ran with $# args: $*\"\nexit 4\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    for name in ["init", "tini", "dumb-init", "catatonit"] {
        applet(name)
            .args(["--", script.to_str().unwrap(), "a", "b"])
            .run()
            .code(4)
            .stdout_has("ran with 2 args: a b");
    }
}

#[test]
fn with_one_free_descriptor_the_command_still_starts() {
    require_namespaces!();
    let out = in_namespace(
        r#"sh -c 'ulimit -n 4; exec "$INIT" -- sh -c "exit 5"'; echo "status $?"
        sh -c 'ulimit -n 4; exec "$INIT" -- /nonexistent/command'; echo "status $?""#,
        30,
    );
    out.code(0).stdout_has("status 5").stdout_has("status 127").stderr_has("command not found");
}

/// 100,000 arguments for the command (`sh -c 'sleep 300' x a a a ...`).
fn many_arguments() -> Vec<String> {
    let mut args: Vec<String> =
        ["--", "sh", "-c", "echo ready; exec sleep 300", "x"].map(String::from).to_vec();
    args.extend((0..100_000).map(|i| format!("a{i}")));
    args
}

#[test]
fn a_huge_command_line_is_not_kept_for_life() {
    require_namespaces!();
    let mut run = applet("init").args(many_arguments()).start();
    run.expect_line("ready");
    let pid = run.initbox_pid();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let rss_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    // The kernel's copy of the arguments (about 1.5 MB with their pointers) is all an
    // init needs; a copy of its own would double it.
    assert!(rss_kib < 3 * 1024, "VmRSS {rss_kib} KiB with 100,000 arguments");
    run.signal(libc::SIGTERM);
    run.wait().code(143);
}
