#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
//! reap: the pause process, and zombie reaping for a command that is not PID 1.

mod common;
use common::*;
use std::process::Command;

#[test]
fn pause_mode_reaps_orphans_and_exits_0_on_term() {
    require_namespaces!();
    let mut run = applet("reap").start();
    let reap = run.initbox_pid();
    // Ten orphans that exit at once, made inside reap's namespace: they fall to its PID 1.
    let status = Command::new("nsenter")
        .args(["--target", &reap.to_string(), "--pid", "--mount", "--", "sh", "-c"])
        .arg("for i in $(seq 10); do (sleep 0.2 &); done")
        .status()
        .unwrap();
    assert!(status.success());
    let children = || std::fs::read_to_string(format!("/proc/{reap}/task/{reap}/children")).unwrap();
    assert!(!children().trim().is_empty(), "the orphans were adopted");
    let until = std::time::Instant::now() + CEILING;
    while !children().trim().is_empty() && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(children().trim(), "", "every orphan reaped: no zombie left");
    assert!(!run.exited(), "a pause process keeps running");
    run.signal(libc::SIGTERM);
    run.wait().code(0);
    let run = applet("reap").start();
    run.signal(libc::SIGINT);
    run.wait().code(0);
}

#[test]
fn not_pid1_it_reaps_an_adopted_orphan_and_leaves_with_the_command() {
    require_namespaces!();
    // The command orphans a short-lived grandchild and a long-lived one, checks that reap
    // adopted the first and reaped it (no zombie among reap's children), and exits 3.
    let script = r#"
        (sh -c 'sleep 0.2; echo "orphan parent $(cut -d" " -f4 /proc/$$/stat)"' &)
        (sleep 300 &)
        sleep 0.6
        echo "reap is $PPID"
        for c in $(cat /proc/$PPID/task/$PPID/children); do echo "state $c $(cut -d" " -f3 /proc/$c/stat)"; done
        exit 3"#;
    let out = applet("reap").sh(script).not_pid1().ceiling(std::time::Duration::from_secs(20)).run();
    out.code(3);
    let reap = out.stdout.lines().find_map(|l| l.strip_prefix("reap is ")).unwrap();
    assert!(out.stdout.contains(&format!("orphan parent {reap}\n")), "{}", out.stdout);
    assert!(!out.stdout.lines().any(|l| l.starts_with("state") && l.ends_with(" Z")), "{}", out.stdout);
    // Exited with the command, not after the 300 s sleeper: the ceiling above proves it.
}

#[test]
fn signals_reach_the_command() {
    require_namespaces!();
    let catch = apps().join("catch.py");
    let mut run = applet("reap")
        .args(["--map", "HUP:USR2", "--", "python3", catch.to_str().unwrap(), "child", "15"])
        .start();
    run.expect_line("child ready");
    run.signal(libc::SIGUSR1);
    run.expect_line("child got 10");
    run.signal(libc::SIGHUP);
    run.expect_line("child got 12");
    run.signal(libc::SIGTERM);
    run.wait().code(0);
}

#[test]
fn bad_input() {
    require_namespaces!();
    applet("reap").args(["--map", "X"]).run().code(125).one_error_line("bad signal mapping 'X'");
    applet("reap").args(["--", "/nonexistent/app"]).run().code(127).one_error_line("command not found");
}
