#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
//! Hostile conditions (issue 12): how initbox is started, what other processes send it.

mod common;
use common::*;
use std::time::Duration;

const COMMAND_APPLETS: [&str; 4] = ["init", "reap", "sigfwd", "waitall"];

#[test]
fn started_with_sigchld_ignored_every_command_applet_still_sees_its_command_exit() {
    require_namespaces!();
    for name in COMMAND_APPLETS {
        let cmd = applet(name).args(["--", "sh", "-c", "exit 3"]).ceiling(Duration::from_secs(20));
        wrapped(cmd, &["python3", &app("hostile_start.py"), "--chld"]).run().code(3);
        let cmd = applet(name).args(["--", "sh", "-c", "exit 3"]).not_pid1().ceiling(Duration::from_secs(20));
        wrapped(cmd, &["python3", &app("hostile_start.py"), "--chld"]).run().code(3);
    }
}

#[test]
fn a_signal_pending_at_start_does_not_kill_it() {
    // Blocked and pending across exec: the old mask-then-block order let it through.
    let script = format!(
        "import os, signal; signal.pthread_sigmask(signal.SIG_BLOCK, {{signal.SIGUSR1}}); \
         os.kill(os.getpid(), signal.SIGUSR1); os.execv({bin:?}, ['sigfwd', '--', 'sh', '-c', 'exit 4'])",
        bin = applet_path("sigfwd").to_str().unwrap()
    );
    initbox().args(["sigfwd", "--", "python3", "-c", &script]).run().code(4);
}

#[test]
fn personalities_keep_initbox_variables_from_the_command() {
    require_namespaces!();
    for name in ["tini", "dumb-init", "catatonit"] {
        let out = applet(name)
            .env("INITBOX_GRACE", "1s")
            .env("INITBOX_STOP_DELAY", "1s")
            .env("KEPT", "yes")
            .args(["--", "env"])
            .run();
        out.code(0).stdout_has("KEPT=yes");
        let leaked: Vec<&str> = out
            .stdout
            .lines()
            .filter(|l| l.starts_with("INITBOX_GRACE") || l.starts_with("INITBOX_STOP_DELAY"))
            .collect();
        assert!(leaked.is_empty(), "{name} leaked: {leaked:?}");
    }
}

#[test]
fn waitall_usage_error_status_does_not_read_the_command_words() {
    applet("waitall")
        .args(["--timeout", "ten", "ps", "-p", "1"])
        .run()
        .code(125)
        .one_error_line("bad duration 'ten'");
    applet("waitall")
        .args(["--timeout", "ten", "-p", "1"])
        .run()
        .code(2)
        .one_error_line("bad duration 'ten'");
}

#[test]
fn in_the_background_of_an_interactive_shell_init_leaves_the_terminal_alone() {
    require_namespaces!();
    // bash -i under a pty: job control on; init runs as a background job. The terminal's
    // foreground group must stay the shell's.
    // The command itself reports the terminal's foreground group; the shell only waits
    // (a foreground job of its own would take the terminal back).
    let job = temp_dir("background").join("job.sh");
    std::fs::write(
        &job,
        format!(
            "echo \"shell=$$\"\n{init} -- sh -c 'sleep 0.5; echo \"fg=$(ps -o tpgid= -p $$ | tr -d \" \")\"' &\nwait\n",
            init = applet_path("init").to_str().unwrap()
        ),
    )
    .unwrap();
    let out = applet("init")
        .args(["--", "script", "-qec", &format!("bash --norc -i {}", job.display()), "/dev/null"])
        .ceiling(Duration::from_secs(30))
        .run();
    let value = |key: &str| {
        let line = out.stdout.lines().find(|l| l.starts_with(key)).unwrap_or_else(|| panic!("{out:?}"));
        line.trim_start_matches(key).trim().to_string()
    };
    assert_eq!(value("fg="), value("shell="), "the terminal was taken: {}", out.stdout);
}

#[test]
fn sigkill_is_logged_only_for_processes_it_reached() {
    require_namespaces!();
    // A zombie whose parent never waits, beside a TERM-ignoring process: at the end of the
    // grace only the live one is named.
    let script = r#"
        sh -c 'trap "" TERM; sleep 0 & echo "zombie $!"; exec sleep 300' &
        sh -c 'trap "" TERM; exec sleep 300' &
        sleep 1; exit 0"#;
    let out = applet("init").args(["--grace", "1s", "--", "sh", "-c", script]).run();
    out.code(0).stderr_has("SIGKILL to pid");
    let zombie = out.stdout.lines().find_map(|l| l.strip_prefix("zombie ")).unwrap();
    out.stderr_lacks(&format!("SIGKILL to pid {zombie} "));
}

#[test]
fn fault_signals_sent_by_another_process_are_forwarded() {
    require_namespaces!();
    for cmd in [applet("init"), applet("init").not_pid1()] {
        let mut run = cmd.args(["--", "python3", &app("catch.py"), "child", "15"]).start();
        run.expect_line("child ready");
        for sig in [
            libc::SIGABRT,
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGFPE,
            libc::SIGILL,
            libc::SIGTRAP,
            libc::SIGSYS,
        ] {
            run.signal(sig);
            run.expect_line(&format!("child got {sig}"));
        }
        run.signal(libc::SIGTERM);
        run.expect_line("child got 15");
        run.wait().code(0);
    }
}
