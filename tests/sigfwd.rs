#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
//! sigfwd: every catchable signal, under each --to mode and --map.

mod common;
use common::*;

const CATCHABLE: [i32; 11] = [1, 2, 3, 10, 12, 14, 15, 18, 23, 28, 37];

fn catch() -> String {
    apps().join("catch.py").display().to_string()
}

#[test]
fn every_catchable_signal_under_each_mode() {
    require_namespaces!();
    for mode in ["child", "group", "tree"] {
        let mut run =
            applet("sigfwd").args(["--to", mode, "--", "python3", &catch(), "child", "9"]).not_pid1().start();
        run.expect_line("child ready");
        for sig in CATCHABLE {
            run.signal(sig);
            run.expect_line(&format!("child got {sig}"));
        }
        run.signal(libc::SIGKILL); // sigfwd itself: the namespace ends with the run
    }
}

/// A command with a grandchild that left the process group and session (setsid).
fn detached_grandchild(mode: &str) -> Vec<String> {
    let script = format!("setsid python3 {c} grandchild & exec python3 {c} child 15", c = catch());
    let mut run = applet("sigfwd").args(["--to", mode, "--", "sh", "-c", &script]).not_pid1().start();
    run.expect_line("grandchild ready");
    run.expect_line("child ready");
    run.signal(libc::SIGUSR1);
    run.expect_line("child got 10");
    std::thread::sleep(std::time::Duration::from_millis(300));
    run.signal(libc::SIGUSR2);
    run.expect_line("child got 12");
    run.seen().to_vec()
}

#[test]
fn tree_mode_reaches_a_setsid_grandchild_and_group_mode_does_not() {
    require_namespaces!();
    let tree = detached_grandchild("tree");
    assert!(tree.iter().any(|l| l == "grandchild got 10"), "{tree:?}");
    assert_eq!(tree.iter().filter(|l| *l == "child got 10").count(), 1, "once each: {tree:?}");
    let group = detached_grandchild("group");
    assert!(!group.iter().any(|l| l.starts_with("grandchild got")), "{group:?}");
}

#[test]
fn map_rewrites_and_drops() {
    require_namespaces!();
    assert_map_rewrites_and_drops(applet("sigfwd"));
}

#[test]
fn exits_with_the_command_status() {
    require_namespaces!();
    applet("sigfwd").sh("exit 7").not_pid1().run().code(7);
    applet("sigfwd").sh("kill -USR1 $$").not_pid1().run().code(138);
}

#[test]
fn bad_input() {
    require_namespaces!();
    applet("sigfwd").args(["--to", "everyone", "true"]).run().code(125).one_error_line("bad --to 'everyone'");
    applet("sigfwd").run().code(125).one_error_line("no command given");
}
