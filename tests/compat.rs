#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
//! The personalities: initbox linked as tini, docker-init, dumb-init, catatonit and
//! podman-init, each flag tested by its effect on real processes.

mod common;
use common::*;

fn catch() -> String {
    apps().join("catch.py").display().to_string()
}

#[test]
fn tini_forwards_to_the_child_unless_told_group() {
    require_namespaces!();
    assert!(!usr1_reaches_group_member(applet("tini").arg("--")));
    assert!(usr1_reaches_group_member(applet("tini").args(["-g", "--"])));
    assert!(usr1_reaches_group_member(applet("tini").env("TINI_KILL_PROCESS_GROUP", "1").arg("--")));
    assert!(!usr1_reaches_group_member(applet("docker-init").arg("--")));
}

#[test]
fn tini_remaps_exit_codes_and_ends_options() {
    require_namespaces!();
    applet("tini").args(["-e", "3", "-e", "4", "--", "sh", "-c", "exit 4"]).run().code(0);
    applet("tini").args(["-e", "3", "sh", "-c", "exit 5"]).run().code(5);
    applet("tini").args(["sh", "-c", "exit 6", "-e", "6"]).run().code(6); // -e here is sh's
    applet("tini").args(["-e", "300", "true"]).run().code(1).one_error_line("bad exit status '300'");
}

#[test]
fn tini_verbosity_and_reap_warnings() {
    require_namespaces!();
    let orphan = "(sh -c 'exit 7' &); sleep 0.3";
    applet("tini").args(["-w", "--", "sh", "-c", orphan]).run().code(0).stderr_has("reaped zombie pid");
    applet("tini").args(["--", "sh", "-c", orphan]).run().code(0).stderr_lacks("reaped zombie");
    applet("tini").args(["-vvv", "--", "true"]).run().code(0).stderr_has("initbox tini[1]: started command");
    applet("tini").args(["--", "true"]).run().code(0).stderr_lacks("started command");
    applet("tini").env("TINI_VERBOSITY", "3").args(["--", "true"]).run().stderr_has("started command");
    // Verbosity 0 hides warnings, such as the command leaving others behind.
    let leaves = "sleep 0.2 & exit 0";
    applet("tini").args(["--", "sh", "-c", leaves]).run().stderr_has("while other processes still run");
    applet("tini")
        .env("TINI_VERBOSITY", "0")
        .args(["--", "sh", "-c", leaves])
        .run()
        .code(0)
        .stderr_lacks("warning");
}

#[test]
fn tini_parent_death_signal_and_subreaper_when_not_pid1() {
    require_namespaces!();
    // tini -s -p TERM under a shell that is killed: tini gets TERM, its command gets it too.
    let script = format!(
        r#"sh -c '"$0" -s -p SIGTERM -- python3 {c} child 15' "$TINI" & parent=$!
        sleep 1; kill -KILL $parent; wait"#,
        c = catch()
    );
    let mut run = applet("init")
        .env("TINI", applet_path("tini").to_str().unwrap())
        .args(["--", "sh", "-c", &script])
        .start();
    run.expect_line("child ready");
    run.expect_line("child got 15");
    run.wait().code(0);
}

#[test]
fn tini_info_and_bad_input() {
    initbox().args(["tini", "--version"]).run().code(0).stdout_has("tini version 0.19.0 - git.");
    initbox().args(["docker-init", "--version"]).run().code(0).stdout_has("tini version 0.19.0 - git.");
    initbox()
        .args(["tini", "-h"])
        .run()
        .code(0)
        .stdout_has("Usage: tini [OPTIONS]")
        .stdout_has("INITBOX_GRACE");
    initbox().args(["tini", "-l"]).run().code(0).stdout_has("license");
    initbox().args(["tini", "-x"]).run().code(1).one_error_line("unknown option '-x'");
    initbox().args(["tini"]).run().code(1).one_error_line("no command given");
    initbox().args(["tini", "-p", "NOPE", "true"]).run().code(1).one_error_line("bad signal 'NOPE'");
    applet("tini").args(["--", "/nonexistent"]).run().code(127);
    let not_executable = temp_dir("tini-noexec").join("data");
    std::fs::write(&not_executable, "data\n").unwrap();
    applet("tini").args(["--", not_executable.to_str().unwrap()]).run().code(126);
}

#[test]
fn dumb_init_runs_the_command_in_its_own_session_and_signals_the_group() {
    require_namespaces!();
    let ids = "echo \"pid $$ sid $(cut -d' ' -f6 /proc/$$/stat)\"";
    let out = applet("dumb-init").args(["sh", "-c", ids]).run();
    let line = out.stdout.lines().next().unwrap().to_string();
    let (pid, sid) = line.trim_start_matches("pid ").split_once(" sid ").unwrap();
    assert_eq!(pid, sid, "the command leads a session of its own: {line}");
    let out = applet("dumb-init").args(["-c", "sh", "-c", ids]).run();
    assert!(out.stdout.contains(" sid 0"), "-c: stays in dumb-init's session: {}", out.stdout);
    let out = applet("dumb-init").env("DUMB_INIT_SETSID", "0").args(["sh", "-c", ids]).run();
    assert!(out.stdout.contains(" sid 0"), "DUMB_INIT_SETSID=0 as -c: {}", out.stdout);
    assert!(usr1_reaches_group_member(applet("dumb-init")));
    assert!(!usr1_reaches_group_member(applet("dumb-init").arg("--single-child")));
}

#[test]
fn dumb_init_rewrites_and_drops() {
    require_namespaces!();
    let mut run =
        applet("dumb-init").args(["-r", "10:12", "-r", "1:0", "python3", &catch(), "child", "15"]).start();
    run.expect_line("child ready");
    run.signal(libc::SIGHUP);
    run.signal(libc::SIGUSR1);
    run.expect_line("child got 12");
    assert!(!run.seen().iter().any(|l| l == "child got 1" || l == "child got 10"), "{:?}", run.seen());
    run.signal(libc::SIGTERM);
    run.wait().code(0);
}

#[test]
fn dumb_init_sends_tty_stop_signals_on_as_sigstop() {
    require_namespaces!();
    let mut run = applet("dumb-init").args(["sh", "-c", "echo ready; exec sleep 300"]).start();
    run.expect_line("ready");
    let init = run.initbox_pid();
    let child: i32 = std::fs::read_to_string(format!("/proc/{init}/task/{init}/children"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    run.signal(libc::SIGTSTP);
    let state = || {
        std::fs::read_to_string(format!("/proc/{child}/stat"))
            .unwrap()
            .rsplit(") ")
            .next()
            .unwrap()
            .chars()
            .next()
            .unwrap()
    };
    let until = std::time::Instant::now() + CEILING;
    while state() != 'T' && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(
        state(),
        'T',
        "the command was stopped by SIGTSTP (sent on as SIGSTOP; sleep ignores nothing)"
    );
    run.signal(libc::SIGCONT);
    run.signal(libc::SIGTERM);
    run.wait().code(143);
}

#[test]
fn dumb_init_verbose_options_end_and_statuses() {
    require_namespaces!();
    applet("dumb-init")
        .args(["-v", "true"])
        .run()
        .code(0)
        .stderr_has("initbox dumb-init[1]: started command");
    applet("dumb-init").env("DUMB_INIT_DEBUG", "1").args(["true"]).run().stderr_has("started command");
    applet("dumb-init").args(["sh", "-c", "exit 3", "-v"]).run().code(3).stderr_lacks("started command");
    applet("dumb-init").args(["/nonexistent"]).run().code(2).one_error_line("command not found");
    initbox().args(["dumb-init", "--bogus"]).run().code(1).one_error_line("unknown option '--bogus'");
    initbox().args(["dumb-init", "-V"]).run().code(0).stdout_has("dumb-init v1.2.5");
    initbox().args(["dumb-init", "--help"]).run().code(0).stdout_has("--single-child");
}

#[test]
fn catatonit_child_or_group_pause_and_statuses() {
    require_namespaces!();
    assert!(!usr1_reaches_group_member(applet("catatonit").arg("--")));
    assert!(usr1_reaches_group_member(applet("catatonit").args(["-g", "--"])));
    assert!(!usr1_reaches_group_member(applet("podman-init").arg("--")));
    let run = applet("catatonit").arg("-P").start();
    std::thread::sleep(std::time::Duration::from_millis(200));
    run.signal(libc::SIGTERM);
    run.wait().code(0);
    applet("catatonit").args(["--", "/nonexistent"]).run().code(1).one_error_line("command not found");
    applet("podman-init").args(["--", "sh", "-c", "exit 9"]).run().code(9);
    initbox().args(["catatonit", "-x"]).run().code(1);
    initbox().args(["catatonit", "-V"]).run().code(0).stdout_has("catatonit v0.1.7");
}

#[test]
fn every_personality_still_waits_for_all_descendants() {
    require_namespaces!();
    for (name, args) in
        [("tini", vec!["--"]), ("dumb-init", vec![]), ("catatonit", vec!["--"]), ("podman-init", vec!["--"])]
    {
        // The worker ignores the SIGTERM that comes when the command exits, and the command
        // exits only once it does.
        let armed = temp_dir("armed").join("armed");
        let script = format!(
            r#"sh -c 'trap "" TERM; : > "$0"; sleep 1; echo late worker done' "{a}" &
            while [ ! -e "{a}" ]; do sleep 0.01; done; exit 0"#,
            a = armed.display()
        );
        let out = applet(name).args(args).args(["sh", "-c", &script]).run();
        out.code(0).stdout_has("late worker done");
    }
}
