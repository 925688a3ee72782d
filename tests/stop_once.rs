#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
//! A graceful stop (issue 18, 15.3 and 19): every process gets the stop signal once (the
//! mapped one), its handler runs to the end unless a deadline of ours says otherwise, a
//! stop can be held for a load balancer, and the command starts with clean signals.

mod common;
use common::*;
use std::time::Duration;

fn counter(label: &str, work: &str, extra: &str) -> String {
    format!("python3 {} {label} {work} {extra}", app("count_stops.py"))
}

#[test]
fn a_worker_in_the_commands_group_gets_the_stop_signal_once() {
    require_namespaces!();
    let script = format!("{} & trap 'exit 0' TERM; wait", counter("worker", "1", ""));
    let mut run = applet("init").args(["--", "sh", "-c", &script]).start();
    run.expect_line("worker ready");
    run.signal(libc::SIGTERM);
    run.expect_line("worker: TERM=1 INT=0 QUIT=0 HUP=0");
    run.wait().code(0);
}

#[test]
fn the_sweep_sends_the_mapped_stop_signal_and_only_to_those_without_it() {
    require_namespaces!();
    // The shell dies of the forwarded QUIT; its worker had QUIT and gets nothing more; a
    // detached worker, outside the group, gets QUIT (not TERM) from the sweep.
    let script = format!("{} & {} & wait", counter("worker", "1", ""), counter("detached", "1", "--setsid"));
    let mut run = applet("init").args(["--map", "TERM:QUIT", "--", "sh", "-c", &script]).start();
    run.expect_line("worker ready");
    run.expect_line("detached ready");
    run.signal(libc::SIGTERM);
    run.expect_line("worker: TERM=0 INT=0 QUIT=1 HUP=0");
    run.expect_line("detached: TERM=0 INT=0 QUIT=1 HUP=0");
    run.wait();
}

#[test]
fn a_stop_from_outside_during_the_shutdown_is_not_sent_again() {
    require_namespaces!();
    // The command exits by itself; the detached worker gets SIGTERM from the sweep and is
    // in its cleanup when a stop arrives from outside.
    let script = format!(
        "ready=$(mktemp -u); {} & until [ -e $ready ]; do sleep 0.05; done; rm $ready; echo leaving; exit 0",
        counter("worker", "2", "--setsid --ready $ready")
    );
    let mut run = applet("init").args(["--", "sh", "-c", &script]).start();
    run.expect_line("worker ready");
    run.expect_line("leaving");
    std::thread::sleep(Duration::from_millis(500));
    run.signal(libc::SIGTERM);
    run.expect_line("worker: TERM=1 INT=0 QUIT=0 HUP=0");
    run.wait().code(0);
}

#[test]
fn stopped_from_outside_init_waits_without_a_deadline_of_its_own_and_names_who_it_waits_for() {
    require_namespaces!();
    // A cleanup longer than any default grace would allow (9 s; it was 8 s): no SIGKILL of
    // ours, and a line 5 s in that names the worker.
    let script = format!("{} & trap 'exit 0' TERM; wait", counter("worker", "9", ""));
    let mut run = applet("init").args(["--", "sh", "-c", &script]).start();
    run.expect_line("worker ready");
    run.signal(libc::SIGTERM);
    run.expect_line("worker: TERM=1 INT=0 QUIT=0 HUP=0");
    run.wait()
        .code(0)
        .stderr_has("still waiting for 1 processes: ")
        .stderr_has("(python3)")
        .stderr_lacks("SIGKILL");
}

#[test]
fn a_stop_delay_holds_the_stop_signal_but_not_the_others() {
    require_namespaces!();
    let mut run =
        applet("init").args(["--stop-delay", "1s", "--", "python3", &app("catch.py"), "child", "15"]).start();
    run.expect_line("child ready");
    run.signal(libc::SIGTERM);
    run.signal(libc::SIGUSR1);
    run.expect_line("child got 15");
    let seen = run.seen().to_vec();
    let usr1 = seen.iter().position(|l| l == "child got 10").expect("USR1 went through during the delay");
    let term = seen.iter().position(|l| l == "child got 15").unwrap();
    assert!(usr1 < term, "{seen:?}");
    run.wait().code(0).stderr_has("holding it 1s");
}

#[test]
fn a_second_stop_signal_ends_the_delay() {
    require_namespaces!();
    for cmd in [applet("init").args(["--stop-delay", "60s"]), applet("tini").env("INITBOX_STOP_DELAY", "60s")]
    {
        let mut run = cmd
            .args(["--", "python3", &app("catch.py"), "child", "15"])
            .ceiling(Duration::from_secs(30))
            .start();
        run.expect_line("child ready");
        run.signal(libc::SIGTERM);
        std::thread::sleep(Duration::from_millis(300));
        run.signal(libc::SIGTERM);
        run.expect_line("child got 15");
        assert_eq!(run.seen().iter().filter(|l| *l == "child got 15").count(), 1);
        run.wait().code(0);
    }
}

#[test]
fn the_command_exiting_during_the_delay_starts_the_shutdown_at_once() {
    require_namespaces!();
    let mut run = applet("init")
        .args(["--stop-delay", "60s", "--", "python3", &app("catch.py"), "child", "10"])
        .ceiling(Duration::from_secs(30))
        .start();
    run.expect_line("child ready");
    run.signal(libc::SIGTERM);
    run.signal(libc::SIGUSR1);
    run.expect_line("child got 10");
    run.wait().code(0);
}

#[test]
fn the_command_starts_with_every_signal_at_default_and_none_blocked() {
    require_namespaces!();
    let probe = ["--", "grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"];
    // tini and catatonit hand their command the state they were started with, as the
    // originals do and their own suites check (compat::personalities_start_the_command_
    // with_the_originals_signal_state); dumb-init, like init, starts it clean.
    for name in ["init", "reap", "sigfwd", "waitall", "dumb-init"] {
        let out = wrapped(applet(name).args(probe), &["python3", &app("hostile_start.py")]).run();
        out.code(0);
        for line in out.stdout.lines() {
            assert!(line.ends_with("0000000000000000"), "{name}: {line}");
        }
        assert_eq!(out.stdout.lines().count(), 2, "{name}: {}", out.stdout);
    }
}

#[test]
fn a_mapped_interrupt_stops_python_started_with_sigint_ignored() {
    require_namespaces!();
    let program = "import time; print('ready', flush=True); time.sleep(300)";
    let cmd = applet("init")
        .args(["--map", "TERM:INT", "--", "python3", "-c", program])
        .ceiling(Duration::from_secs(30));
    let mut run = wrapped(cmd, &["python3", &app("hostile_start.py")]).start();
    run.expect_line("ready");
    run.signal(libc::SIGTERM);
    let out = run.wait();
    assert!(out.code == 130 || out.stderr.contains("KeyboardInterrupt"), "{out:?}");
}

// Found by a hostile review of the stop-once core; each failed on it first.

#[test]
fn second_stop_while_the_command_still_runs_is_not_sent_again() {
    require_namespaces!();
    // The command takes 2 s to stop; a second TERM from outside arrives meanwhile.
    let script = format!("{} & trap 'sleep 2; exit 0' TERM; wait", counter("worker", "2", ""));
    let mut run = applet("init").args(["--", "sh", "-c", &script]).start();
    run.expect_line("worker ready");
    run.signal(libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(500));
    run.signal(libc::SIGTERM);
    run.expect_line("worker: ");
    let seen = run.seen().to_vec();
    run.wait();
    assert!(seen.iter().any(|l| l == "worker: TERM=1 INT=0 QUIT=0 HUP=0"), "{seen:?}");
}

#[test]
fn the_sweep_reaches_a_detached_process_at_a_low_descriptor_limit() {
    require_namespaces!();
    // The command exits by itself and leaves a detached shell that stops on TERM. With five
    // descriptors, init still has room for its own files; the detached shell must get the
    // TERM (not only the grace's SIGKILL).
    let script = r#"setsid sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done' & sleep 0.5; exit 0"#;
    let out = wrapped(
        applet("init").args(["-vv", "--grace", "2s", "--", "sh", "-c", script]),
        &["prlimit", "--nofile=5:5", "--"],
    )
    .run();
    out.code(0).stderr_lacks("killed by SIGKILL");
}

#[test]
fn a_stop_held_by_the_delay_keeps_its_signal_and_no_deadline_of_ours_when_the_command_exits() {
    require_namespaces!();
    // INT held by --stop-delay; the command then exits (USR1). The detached worker must get
    // the held INT, and no SIGKILL of init's own (stopped from outside, no --grace).
    let script = format!("{} & trap 'exit 0' USR1; wait", counter("detached", "11", "--setsid"));
    let mut run = applet("init")
        .args(["--stop-delay", "60s", "--", "sh", "-c", &script])
        .ceiling(Duration::from_secs(40))
        .start();
    run.expect_line("detached ready");
    run.signal(libc::SIGINT);
    std::thread::sleep(Duration::from_millis(300));
    run.signal(libc::SIGUSR1);
    let out = run.wait();
    out.stdout_has("detached: TERM=0 INT=1").stderr_lacks("SIGKILL");
}

#[test]
fn a_stopped_member_of_the_group_is_continued_to_handle_the_stop_signal() {
    require_namespaces!();
    let script =
        format!("{} & sleep 0.5; kill -STOP $!; trap 'exit 0' TERM; wait", counter("worker", "0", ""));
    let mut run = applet("init").args(["--", "sh", "-c", &script]).ceiling(Duration::from_secs(20)).start();
    run.expect_line("worker ready");
    std::thread::sleep(Duration::from_millis(1000));
    run.signal(libc::SIGTERM);
    run.expect_line("worker: TERM=1");
    run.wait().code(0);
}

#[test]
fn waitall_stopped_from_outside_gives_those_left_the_stop_signal_once() {
    require_namespaces!();
    let script = format!("{} & trap 'exit 0' TERM; wait", counter("detached", "1", "--setsid"));
    let mut run =
        applet("waitall").args(["--", "sh", "-c", &script]).ceiling(Duration::from_secs(30)).start();
    run.expect_line("detached ready");
    run.signal(libc::SIGTERM);
    run.expect_line("detached: TERM=1 INT=0 QUIT=0 HUP=0");
    run.wait().code(0);
}

#[test]
fn a_grace_of_zero_means_no_deadline_not_an_immediate_sigkill() {
    require_namespaces!();
    let script = format!("{} & trap 'exit 0' TERM; wait", counter("worker", "1", ""));
    for cmd in [applet("init").args(["--grace", "0"]), applet("init").env("INITBOX_GRACE", "0")] {
        let mut run = cmd.args(["--", "sh", "-c", &script]).start();
        run.expect_line("worker ready");
        run.signal(libc::SIGTERM);
        run.expect_line("worker: TERM=1 INT=0 QUIT=0 HUP=0");
        run.wait().code(0).stderr_lacks("SIGKILL");
    }
}

#[test]
fn without_proc_and_not_pid1_the_mapped_stop_signal_goes_once() {
    require_namespaces!();
    let script = format!("{} & trap 'exit 0' TERM QUIT; wait", counter("worker", "1", ""));
    let cmd = applet("init").args(["--map", "TERM:QUIT", "--", "sh", "-c", &script]);
    // PID 1 is a shell that outlives init by a few seconds, so the worker can finish.
    let wrapper = [
        "sh",
        "-c",
        r#""$0" "$@"; sleep 3"#,
        "unshare",
        "--mount",
        "sh",
        "-c",
        r#"umount -l /proc && exec "$0" "$@""#,
    ];
    let mut run = wrapped(cmd, &wrapper).ceiling(Duration::from_secs(30)).start();
    run.expect_line("worker ready");
    run.signal(libc::SIGTERM);
    run.expect_line("worker: TERM=0 INT=0 QUIT=1 HUP=0");
    run.wait();
}
