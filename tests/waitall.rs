#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
//! waitall: waiting for every descendant, the timeout and grace, and -p PID.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn keeps_running_until_a_detached_grandchild_exits() {
    require_namespaces!();
    let out = applet("waitall")
        .sh("setsid sh -c 'sleep 1; echo grandchild done' & echo command done; exit 4")
        .not_pid1()
        .run();
    out.code(4);
    let done = out.stdout.find("grandchild done").expect("waited for the grandchild");
    assert!(out.stdout.find("command done").unwrap() < done);
}

#[test]
fn timeout_terminates_then_kills_the_rest_and_logs_it() {
    require_namespaces!();
    let out = applet("waitall")
        .args(["--timeout", "300ms", "--grace", "300ms"])
        .sh("setsid sh -c 'trap \"\" TERM; exec sleep 300' & setsid sh -c 'exec sleep 300' & until [ \"$(pgrep -xc sleep)\" = 2 ]; do sleep 0.01; done; exit 0")
        .not_pid1()
        .ceiling(Duration::from_secs(20))
        .run();
    out.code(0).stderr_has("grace period (300ms) over: SIGKILL to pid").stderr_has("(sleep)");
    // Only the TERM-ignoring sleeper lived to be killed.
    assert_eq!(out.stderr.matches("SIGKILL to pid").count(), 1, "{}", out.stderr);
}

#[test]
fn signals_pass_through_and_status_comes_back_through_three_wrappers() {
    require_namespaces!();
    let script = "trap 'echo got USR1' USR1; trap 'exit 3' TERM; echo ready; while :; do sleep 0.05; done";
    let mut run = applet("sigfwd")
        .arg("--")
        .arg(applet_path("waitall"))
        .arg("--")
        .arg(applet_path("reap"))
        .args(["--", "sh", "-c", script])
        .not_pid1()
        .start();
    run.expect_line("ready");
    run.signal(libc::SIGUSR1);
    run.expect_line("got USR1");
    run.signal(libc::SIGTERM);
    run.wait().code(3);
}

fn waitall_p(args: &[&str]) -> Output {
    initbox().arg("waitall").args(args).run()
}

#[test]
fn with_pids_the_grace_is_not_read() {
    // INITBOX_GRACE is init's variable too: a value for init must not fail waitall -p.
    waitall_p(&["-p", "--grace", "bogus", "99999999"])
        .code(1)
        .one_error_line("pid 99999999: no such process");
    initbox()
        .env("INITBOX_GRACE", "bogus")
        .args(["waitall", "-p", "99999999"])
        .run()
        .code(1)
        .one_error_line("pid 99999999: no such process");
    initbox()
        .env("INITBOX_PIDS", "00")
        .args(["waitall", "--timeout", "x", "true"])
        .run()
        .code(125)
        .one_error_line("bad duration 'x'");
}

#[test]
fn pids_that_exit_give_0() {
    let mut a = Command::new("sleep").arg("0.2").spawn().unwrap();
    let mut b = Command::new("sleep").arg("0.4").spawn().unwrap();
    waitall_p(&["-p", &a.id().to_string(), &b.id().to_string()]).code(0);
    a.wait().unwrap();
    b.wait().unwrap();
}

#[test]
fn pids_still_running_at_the_timeout_give_124() {
    let mut sleeper = Command::new("sleep").arg("300").stdout(Stdio::null()).spawn().unwrap();
    let out = waitall_p(&["--timeout", "200ms", "-p", &sleeper.id().to_string()]);
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    out.code(124);
}

#[test]
fn a_pid_that_never_existed_is_an_error_naming_it() {
    waitall_p(&["-p", "99999999"]).code(1).one_error_line("pid 99999999: no such process");
}

#[test]
fn p_waits_for_every_pid_beyond_the_descriptor_limit() {
    require_namespaces!();
    // Twenty children of a parent that never reaps: once killed, they stay zombies, so
    // their pids stay theirs whenever waitall gets to them.
    let out = applet("init")
        .env("WAITALL", applet_path("waitall").to_str().unwrap())
        .sh(r#"
            sh -c 'for i in $(seq 20); do sleep 300 & done; exec sleep 300' & parent=$!
            until [ "$(wc -w < /proc/$parent/task/$parent/children)" = 20 ]; do sleep 0.01; done
            pids=$(cat /proc/$parent/task/$parent/children)
            (ulimit -n 10; exec "$WAITALL" -p $pids) & w=$!
            last=$(echo $pids | awk '{print $NF}')
            for p in $pids; do [ $p = $last ] || kill $p; done
            sleep 0.3
            kill -0 $w && echo "still waiting for the last"
            kill $last; wait $w; echo "waitall status $?"
            kill $parent"#)
        .run();
    out.code(0).stdout_has("still waiting for the last").stdout_has("waitall status 0");
    out.stderr_lacks("Too many open files");
}

#[test]
fn bad_input() {
    waitall_p(&["-p"]).code(2).one_error_line("-p needs at least one pid");
    waitall_p(&["-p", "abc"]).code(2).one_error_line("bad pid 'abc'");
    waitall_p(&["--timeout", "soon", "-p", "1"]).code(2).one_error_line("bad duration 'soon'");
    waitall_p(&["--timeout", "soon", "true"]).code(125).one_error_line("bad duration 'soon'");
    waitall_p(&[]).code(125).one_error_line("no command given");
}

/// issue 15: durations as people and other tools write them (`sleep 0.5`, Go's `1m30s`).
#[test]
fn durations_take_fractions_and_compound_units() {
    waitall_p(&["--timeout", "0.2s", "-p", "1"]).code(124);
    waitall_p(&["--timeout", "0m0.25", "-p", "1"])
        .code(2)
        .one_error_line("bad duration '0m0.25': the last number has no unit");
    waitall_p(&["--timeout", "0m0.25s", "-p", "1"]).code(124);
    waitall_p(&["--timeout", "1.2.3s", "-p", "1"])
        .code(2)
        .one_error_line("bad duration '1.2.3s': unexpected '.'");
    waitall_p(&["--timeout", "0.0001s", "-p", "1"])
        .code(2)
        .one_error_line("'0.0001s': finer than a millisecond");
}
