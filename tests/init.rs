#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
//! init as PID 1 of a PID namespace (and as a subreaper when not PID 1), with real
//! processes and signals.

mod common;
use common::*;
use std::time::Duration;

fn catch() -> String {
    apps().join("catch.py").display().to_string()
}

#[test]
fn exit_status_passes_through() {
    require_namespaces!();
    for code in [0, 3, 255] {
        applet("init").sh(&format!("exit {code}")).run().code(code);
    }
    applet("init").sh("kill -TERM $$").run().code(143);
    applet("init").sh("kill -KILL $$").run().code(137);
}

#[test]
fn every_catchable_signal_reaches_the_command() {
    require_namespaces!();
    let mut run = applet("init").args(["--grace", "60s", "--", "python3", &catch(), "child", "15"]).start();
    run.expect_line("child ready");
    // TERM last: it starts the shutdown, and the command exits on it.
    for (name, sig) in [
        ("HUP", 1),
        ("INT", 2),
        ("QUIT", 3),
        ("USR1", 10),
        ("USR2", 12),
        ("ALRM", 14),
        ("CONT", 18),
        ("WINCH", 28),
        ("URG", 23),
        ("RTMIN+3", 37),
        ("TERM", 15),
    ] {
        run.signal(sig);
        run.expect_line(&format!("child got {sig}"));
        eprintln!("{name} arrived");
    }
    run.wait().code(0).stderr_lacks("SIGKILL to");
}

#[test]
fn map_rewrites_and_drops_signals() {
    require_namespaces!();
    assert_map_rewrites_and_drops(applet("init"));
}

#[test]
fn map_from_the_environment() {
    require_namespaces!();
    let mut run = applet("init")
        .env("INITBOX_MAP", "USR1:USR2")
        .args(["--", "python3", &catch(), "child", "15"])
        .start();
    run.expect_line("child ready");
    run.signal(libc::SIGUSR1);
    run.expect_line("child got 12");
    run.signal(libc::SIGTERM);
    run.wait().code(0);
}

#[test]
fn to_child_spares_the_rest_of_the_group() {
    require_namespaces!();
    assert!(!usr1_reaches_group_member(applet("init").args(["--to", "child", "--"])));
    assert!(usr1_reaches_group_member(applet("init").args(["--to", "group", "--"])));
    assert!(usr1_reaches_group_member(applet("init").arg("--")), "group is the default");
}

fn zombies_under(pid: i32) -> usize {
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    children
        .split_whitespace()
        .filter(|child| {
            std::fs::read_to_string(format!("/proc/{child}/stat"))
                .is_ok_and(|stat| stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')))
        })
        .count()
}

#[test]
fn a_hundred_orphans_exiting_at_once_leave_no_zombie() {
    require_namespaces!();
    // Each orphan waits for the same file to appear, so all 100 exit together.
    let dir = temp_dir("orphans");
    let go = dir.join("go");
    let script = format!(
        "for i in $(seq 100); do (sh -c 'while [ ! -e \"{g}\" ]; do sleep 0.05; done' &); done; echo spawned; sleep 600",
        g = go.display()
    );
    let mut run = applet("init").sh(&script).start();
    run.expect_line("spawned");
    let init = run.initbox_pid();
    let orphans = || {
        std::fs::read_to_string(format!("/proc/{init}/task/{init}/children"))
            .unwrap()
            .split_whitespace()
            .count()
    };
    assert!(orphans() >= 100, "the orphans were adopted by init: {}", orphans());
    std::fs::write(&go, "").unwrap();
    // They all exit now; wait (bounded) until init has only its command left.
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while orphans() > 1 && std::time::Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(orphans(), 1, "only the command is left");
    assert_eq!(zombies_under(init), 0);
}

#[test]
fn graceful_shutdown_waits_for_every_worker_and_not_for_the_grace() {
    require_namespaces!();
    let dir = temp_dir("workers");
    let mut run = applet("init")
        .env("STATE_DIR", dir.to_str().unwrap())
        .args(["-v", "--grace", "60s", "--", "sh", apps().join("workers.sh").to_str().unwrap()])
        .ceiling(Duration::from_secs(30)) // far below the grace: init must not wait for it
        .start();
    run.expect_line("3 workers running");
    for n in 1..=3 {
        let file = dir.join(format!("worker-{n}"));
        while !std::fs::read_to_string(&file).unwrap_or_default().contains("started") {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    run.signal(libc::SIGTERM);
    let out = run.wait();
    out.code(143).stderr_lacks("SIGKILL to");
    for n in 1..=3 {
        let log = std::fs::read_to_string(dir.join(format!("worker-{n}"))).unwrap();
        assert_eq!(log, "started\nsaving\nfinished\n", "worker {n}");
    }
}

#[test]
fn a_descendant_ignoring_term_is_killed_after_the_grace_and_named() {
    require_namespaces!();
    let out = applet("init")
        .args(["--grace", "1s"])
        // The command leaves only once the descendant ignores TERM (it has exec'd sleep).
        .sh("sh -c 'trap \"\" TERM; exec sleep 300' & until pgrep -x sleep >/dev/null; do sleep 0.01; done; exit 5")
        .run();
    out.code(5).stderr_has("grace period (1s) over: SIGKILL to pid").stderr_has("(sleep)");
}

#[test]
fn a_stop_signal_kills_a_stubborn_command_after_the_grace() {
    require_namespaces!();
    let mut run = applet("init")
        .args(["--grace", "500ms"])
        .sh("trap 'echo got TERM' TERM; echo ready; while :; do sleep 0.1; done")
        .start();
    run.expect_line("ready");
    run.signal(libc::SIGTERM);
    run.expect_line("got TERM");
    run.wait().code(137).stderr_has("SIGKILL to pid");
}

#[test]
fn success_maps_a_status_to_zero() {
    require_namespaces!();
    applet("init").args(["--success", "143"]).sh("kill -TERM $$").run().code(0);
    applet("init").env("INITBOX_SUCCESS", "3,4").sh("exit 4").run().code(0);
    applet("init").args(["--success", "3"]).sh("exit 4").run().code(4);
}

#[test]
fn not_pid1_it_adopts_and_reaps_an_orphaned_grandchild() {
    require_namespaces!();
    // The command leaves a grandchild behind and exits; the grandchild reports who its
    // parent is once orphaned. init must have adopted it and must wait for it. (It ignores
    // the SIGTERM that init sends what is left once the command has exited, and the command
    // exits only once it does.)
    let armed = temp_dir("grandchild").join("armed");
    let script = format!(
        r#"sh -c 'trap "" TERM; : > "$0"; sleep 0.5; echo "grandchild parent $(cut -d" " -f4 /proc/$$/stat)"; sleep 0.5; echo grandchild done' "{a}" &
        while [ ! -e "{a}" ]; do sleep 0.01; done; echo "init is $PPID"; exit 0"#,
        a = armed.display()
    );
    let mut run = applet("init").sh(&script).not_pid1().start();
    let init_line = run.expect_line("init is");
    let init_pid = init_line.trim_start_matches("init is ").to_string();
    assert_ne!(init_pid, "1", "init runs as a child of the namespace's shell here");
    let parent_line = run.expect_line("grandchild parent");
    assert_eq!(parent_line, format!("grandchild parent {init_pid}"), "adopted by init (subreaper)");
    run.expect_line("grandchild done");
    run.wait().code(0);
}

#[test]
fn a_command_that_exits_at_once_is_not_missed() {
    require_namespaces!();
    for _ in 0..30 {
        applet("init").args(["--", "true"]).run().code(0);
    }
}

#[test]
fn bad_input_gets_one_line_and_the_right_status() {
    require_namespaces!();
    applet("init")
        .args(["--", "no-such-command-xyz"])
        .run()
        .code(127)
        .one_error_line("no-such-command-xyz': command not found");
    let dir = temp_dir("notexec");
    let file = dir.join("script");
    std::fs::write(&file, "#!/bin/sh\n").unwrap();
    applet("init").args(["--", file.to_str().unwrap()]).run().code(126).one_error_line("Permission denied");
    applet("init").args(["--grace", "ten", "true"]).run().code(125).one_error_line("bad duration 'ten'");
    applet("init").args(["--map", "TERM:BOGUS", "true"]).run().code(125).one_error_line("bad signal 'BOGUS'");
    applet("init").args(["--pdeathsig", "NOPE", "true"]).run().code(125).one_error_line("bad signal 'NOPE'");
    applet("init").args(["--to", "everyone", "true"]).run().code(125).one_error_line("bad --to 'everyone'");
    applet("init").args(["--bogus", "true"]).run().code(125).one_error_line("unknown option '--bogus'");
    applet("init").run().code(125).one_error_line("no command given");
    applet("init")
        .env("INITBOX_GRACE", "soon")
        .args(["true"])
        .run()
        .code(125)
        .one_error_line("bad duration 'soon'");
}

#[test]
fn the_last_value_of_an_option_wins_and_a_bad_variable_is_named() {
    require_namespaces!();
    // An earlier value is replaced, not checked: "defaults first, then override" works.
    applet("init").args(["--grace", "bogus", "--grace", "1s", "true"]).run().code(0);
    applet("init").args(["--to", "bogus", "--to", "group", "true"]).run().code(0);
    applet("init").args(["--pdeathsig", "FOO", "--pdeathsig", "TERM", "true"]).run().code(0);
    applet("init")
        .env("INITBOX_STOP_DELAY", "soon")
        .args(["true"])
        .run()
        .code(125)
        .one_error_line("bad duration 'soon'")
        .stderr_has("INITBOX_STOP_DELAY");
}

#[test]
fn options_end_at_the_first_word() {
    require_namespaces!();
    applet("init").args(["sh", "-c", "exit 3", "--grace"]).run().code(3);
}

#[test]
fn arguments_arrive_byte_exact() {
    require_namespaces!();
    let arg = bytes_arg(b"\xff\xfe a\tb\n");
    applet("init")
        .args(["--", "sh", "-c", r#"printf %s "$1" | od -An -tx1"#, "sh"])
        .arg(arg)
        .run()
        .code(0)
        .stdout_has("ff fe 20 61 09 62 0a");
}

#[test]
fn used_variables_are_kept_from_the_command() {
    require_namespaces!();
    applet("init")
        .env("INITBOX_GRACE", "3s")
        .env("INITBOX_TIMEOUT", "1s")
        .sh("echo grace=${INITBOX_GRACE-unset} timeout=${INITBOX_TIMEOUT-unset}")
        .run()
        .code(0)
        .stdout_has("grace=unset timeout=1s");
}

#[test]
fn idle_init_makes_no_system_calls() {
    require_namespaces!();
    let mut run = applet("init").sh("echo ready; exec sleep 600").start();
    run.expect_line("ready");
    let init = run.initbox_pid();
    let switches = || {
        let status = std::fs::read_to_string(format!("/proc/{init}/status")).unwrap();
        let line = status.lines().find(|l| l.starts_with("voluntary_ctxt_switches")).unwrap().to_string();
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap()
    };
    // Let start-up settle, then watch: each system call that sleeps is a voluntary switch.
    std::thread::sleep(Duration::from_millis(300));
    let before = switches();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(switches(), before, "init woke up while idle");
    let syscall = std::fs::read_to_string(format!("/proc/{init}/syscall")).unwrap();
    let number: i64 = syscall.split_whitespace().next().unwrap().parse().unwrap();
    assert_eq!(number, libc::SYS_rt_sigtimedwait, "asleep in rt_sigtimedwait: {syscall}");
}
