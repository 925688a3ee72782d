#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
//! Stress and faults: bursts of orphans, signal storms, many short-lived children, broken
//! stderr, no /proc, no processes left to spawn, stopped descendants, and what the command
//! inherits. Every loop has a count and a ceiling, and runs inside a PID namespace that is
//! killed when the run is dropped.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn status_field(pid: i32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn children_of(pid: i32) -> usize {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap().split_whitespace().count()
}

fn helper() -> std::path::PathBuf {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-helper");
    if !out.exists() {
        let tmp = out.with_extension(format!("{}", std::process::id()));
        let status = Command::new("gcc")
            .args(["-O2", "-Wno-infinite-recursion", "-o"])
            .arg(&tmp)
            .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/helper.c"))
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::rename(&tmp, &out).unwrap();
    }
    out
}

#[test]
fn bursts_of_10000_orphans_leave_no_zombie_and_no_growth() {
    require_namespaces!();
    let helper = helper();
    let script = format!(
        "echo ready; sleep 0.5; for i in 1 2 3; do {} orphans 10000; done; echo done; sleep 600",
        helper.display()
    );
    let mut run = applet("init").sh(&script).start();
    run.expect_line("ready");
    let init = run.initbox_pid();
    let rss_before = status_field(init, "VmRSS");
    run.expect_line("done");
    assert_eq!(children_of(init), 1, "only the command is left: every orphan reaped");
    let rss_after = status_field(init, "VmRSS");
    eprintln!("init VmRSS before {rss_before} KB, after 30,000 orphans {rss_after} KB");
    assert!(rss_after <= rss_before + 64, "memory grew: {rss_before} KB -> {rss_after} KB");
}

#[test]
fn a_storm_of_100000_signals_is_survived_and_shutdown_still_completes() {
    require_namespaces!();
    let catch = apps().join("catch.py");
    let mut run = applet("init").args(["--", "python3", catch.to_str().unwrap(), "child", "15"]).start();
    run.expect_line("child ready");
    let init = run.initbox_pid();
    let kinds = [libc::SIGUSR1, libc::SIGUSR2, libc::SIGHUP, libc::SIGWINCH, libc::SIGALRM, 40, 50];
    let start = Instant::now();
    for i in 0..100_000 {
        assert_eq!(unsafe { libc::kill(init, kinds[i % kinds.len()]) }, 0);
    }
    eprintln!("100,000 signals sent in {:?}", start.elapsed());
    // Still responsive: a marker signal comes through, then each kind was seen at least once.
    for sig in kinds {
        run.expect_line(&format!("child got {sig}"));
    }
    run.signal(libc::SIGTERM);
    run.wait().code(0);
}

#[test]
fn many_short_lived_children_leave_memory_and_descriptors_as_they_were() {
    require_namespaces!();
    // 20,000 here; the long run (a million) is `benches/soak.sh`. "ready" comes a moment
    // after the exec, by when init has closed the pipe that reported it.
    let mut run = applet("init").sh("sleep 0.3; echo ready; sleep 0.5; i=0; while [ $i -lt 20000 ]; do /bin/true & i=$((i+1)); done; wait; echo done; sleep 600").start();
    run.expect_line("ready");
    let init = run.initbox_pid();
    let fds = || std::fs::read_dir(format!("/proc/{init}/fd")).unwrap().count();
    let (rss_before, fds_before) = (status_field(init, "VmRSS"), fds());
    run.expect_line("done");
    let (rss_after, fds_after) = (status_field(init, "VmRSS"), fds());
    eprintln!("after 20,000 children: VmRSS {rss_before} -> {rss_after} KB, fds {fds_before} -> {fds_after}");
    assert_eq!(fds_after, fds_before);
    assert!(rss_after <= rss_before + 64, "memory grew: {rss_before} KB -> {rss_after} KB");
}

#[test]
fn logging_into_a_closed_pipe_does_not_kill_init() {
    require_namespaces!();
    let link = applet_path("init");
    let mut child = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "--kill-child"])
        .arg(&link)
        .args(["-vv", "--", "sh", "-c", "sleep 0.3; (sh -c 'kill -SEGV $$' &); sleep 0.3; exit 3"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take()); // the read end is gone: every log line hits EPIPE
    let until = Instant::now() + CEILING;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < until, "init hung");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(3), "init died instead of passing the status on: {status:?}");
}

#[test]
fn stdin_stdout_and_stderr_closed() {
    require_namespaces!();
    let link = applet_path("init");
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"unshare --pid --fork --mount-proc "$0" -v -- sh -c 'exit 4' <&- >&- 2>&-; echo "status $?""#)
        .arg(&link)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "status 4\n");
}

#[test]
fn without_proc_init_still_works_and_killtree_says_why_not() {
    require_namespaces!();
    let link = applet_path("init");
    let killtree = applet_path("killtree");
    // A namespace whose /proc is unmounted: init as PID 1 can still reap, forward and end
    // everything (kill(-1) needs no /proc); it cannot name what it kills.
    let script = format!(
        r#"while umount -l /proc 2>/dev/null; do :; done; [ ! -e /proc/self ] || exit 99
        exec "{init}" --grace 300ms -- sh -c '
            sh -c "trap \"\" TERM; : > {armed}; exec sleep 300" &
            until [ -e {armed} ]; do sleep 0.01; done
            "{killtree}" $$; echo "killtree status $?"
            exit 6'"#,
        init = link.display(),
        killtree = killtree.display(),
        // No /proc to look at: the descendant says it ignores TERM with a file.
        armed = temp_dir("noproc").join("armed").display()
    );
    let out = Command::new("unshare")
        .args(["--pid", "--fork", "--mount", "--propagation", "private", "--kill-child", "sh", "-c", &script])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stdout}{stderr}");
    assert!(stdout.contains("killtree status 1"), "{stdout}");
    assert!(stderr.contains("killtree") && stderr.contains("/proc"), "a clear error naming /proc: {stderr}");
    assert!(stderr.contains("grace period (300ms) over: SIGKILL to every process left"), "{stderr}");
}

#[test]
fn no_process_slots_left_is_a_clear_error() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIP: needs root to drop to another user");
        return;
    }
    // RLIMIT_NPROC binds only non-root users: run init as nobody with no process to spare.
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "prlimit", "--nproc=0"])
        .arg(BIN)
        .args(["init", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot start 'true': Resource temporarily unavailable"), "{stderr}");
}

#[test]
fn a_descendant_that_stopped_itself_still_gets_to_handle_term() {
    require_namespaces!();
    let out = applet("init")
        .args(["--grace", "30s"])
        // The command leaves once the descendant has its trap and has stopped itself.
        .sh("sh -c 'trap \"echo stopped one handled TERM; exit 0\" TERM; kill -STOP $$; sleep 300 & wait' & until grep -q '^State:.*T' /proc/$!/status; do sleep 0.01; done; exit 0")
        .ceiling(Duration::from_secs(20)) // well before the grace period: the SIGCONT worked
        .run();
    out.code(0).stdout_has("stopped one handled TERM").stderr_lacks("SIGKILL to");
}

#[test]
fn the_command_inherits_no_descriptor_mask_ignored_signal_or_used_variable() {
    require_namespaces!();
    // The descriptors a command started without initbox sees, in the same environment (the
    // test runner may pass some of its own): the command under init must see the same. Its
    // signals start clean whatever the runner ignores (Rust ignores SIGPIPE).
    // A glob in the shell itself: a pipeline's own pipe would show up, or not, by timing.
    let script = r#"for f in /proc/$$/fd/*; do printf '%s ' "${f##*/}"; done; echo; grep -E '^Sig(Blk|Ign)' /proc/self/status"#;
    let direct = Command::new("sh").args(["-c", script]).stdin(Stdio::null()).output().unwrap();
    let direct = String::from_utf8_lossy(&direct.stdout).into_owned();
    let out = applet("init")
        .env("INITBOX_GRACE", "5s")
        .env("INITBOX_UNRELATED", "kept")
        .sh(&format!("{script}; env | grep '^INITBOX_' | sort"))
        .run();
    out.code(0);
    let fds = |text: &str| text.lines().next().unwrap_or_default().to_string();
    assert_eq!(fds(&out.stdout), fds(&direct), "under init:\n{}\ndirectly:\n{direct}", out.stdout);
    assert!(out.stdout.contains("SigBlk:\t0000000000000000"), "{}", out.stdout);
    assert!(out.stdout.contains("SigIgn:\t0000000000000000"), "{}", out.stdout);
    assert!(
        out.stdout.contains("INITBOX_UNRELATED=kept") && !out.stdout.contains("INITBOX_GRACE"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_read_only_root_filesystem_changes_nothing() {
    require_namespaces!();
    // init writes no file: on a read-only root it reaps, forwards and shuts down as ever.
    let link = applet_path("init");
    let script = format!(
        r#"mount -o remount,bind,ro / && exec "{}" --grace 300ms -- sh -c 'touch /ro-probe 2>/dev/null && echo writable; sh -c "trap \"\" TERM; exec sleep 300" & until pgrep -x sleep >/dev/null; do sleep 0.01; done; exit 3'"#,
        link.display()
    );
    let out = Command::new("unshare")
        .args([
            "--pid",
            "--fork",
            "--mount",
            "--propagation",
            "private",
            "--mount-proc",
            "--kill-child",
            "sh",
            "-c",
            &script,
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert!(!stdout.contains("writable"), "the root was not read-only: {stdout}");
    assert!(stderr.contains("SIGKILL to pid") && stderr.contains("(sleep)"), "{stderr}");
}
