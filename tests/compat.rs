#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
//! The personalities: initbox linked as tini, docker-init, dumb-init, catatonit and
//! podman-init, each flag tested by its effect on real processes.

mod common;
use common::*;

fn catch() -> String {
    apps().join("catch.py").display().to_string()
}

/// `text` with the pids the originals print replaced by N (under qemu-user the command is
/// not pid 2: the emulator has a thread of its own).
fn no_pids(text: &str) -> String {
    let mut out = text.to_string();
    for marker in ["PID ", "pid '", "pid: '", "tini (", "catatonit:", "pid="] {
        let mut from = 0;
        while let Some(at) = out[from..].find(marker).map(|i| from + i + marker.len()) {
            let digits = out[at..].chars().take_while(char::is_ascii_digit).count();
            out.replace_range(at..at + digits, if digits > 0 { "N" } else { "" });
            from = at;
        }
    }
    out
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
fn tini_remaps_exit_codes_and_parses_options_as_glibc_getopt() {
    require_namespaces!();
    applet("tini").args(["-e", "3", "-e", "4", "--", "sh", "-c", "exit 4"]).run().code(0);
    applet("tini")
        .args(["-e", "3", "sh", "-c", "exit 5", "-e", "3"])
        .env("POSIXLY_CORRECT", "1")
        .run()
        .code(5);
    // Without POSIXLY_CORRECT glibc's getopt reads options after the program too, as
    // tini's own tests say (they pass POSIXLY_CORRECT or `--`): sh's -c is tini's error.
    let out = applet("tini").args(["-e", "3", "sh", "-c", "exit 5"]).run();
    out.code(1).stderr_has("tini: invalid option -- 'c'\ntini (tini version 0.19.0");
    let out = applet("tini").args(["sleep", "0", "-e", "3"]).run();
    out.code(0);
    applet("tini").args(["-e", "300", "true"]).run().code(1).stderr_has("] Not a valid option for -e: 300\n");
}

#[test]
fn tini_verbosity_and_reap_warnings() {
    require_namespaces!();
    let orphan = "(sh -c 'exit 7' &); sleep 0.3";
    let out = applet("tini").args(["-w", "--", "sh", "-c", orphan]).run();
    out.code(0).stderr_has("[WARN  tini (1)] Reaped zombie process with pid=");
    applet("tini").args(["--", "sh", "-c", orphan]).run().code(0).stderr_lacks("Reaped zombie");
    // tini's INFO and DEBUG lines go to stdout, as tini's do.
    let out = applet("tini").args(["-vvv", "--", "true"]).run();
    out.code(0);
    assert!(
        no_pids(&out.stdout).contains(
            "[INFO  tini (N)] Spawned child process 'true' with pid 'N'\n\
             [DEBUG tini (N)] Received SIGCHLD\n\
             [DEBUG tini (N)] Reaped child with pid: 'N'\n\
             [INFO  tini (N)] Main child exited normally (with status '0')\n"
        ),
        "{}",
        out.stdout
    );
    assert!(!applet("tini").args(["--", "true"]).run().stdout.contains("Spawned"));
    applet("tini").env("TINI_VERBOSITY", "3").args(["--", "true"]).run().stdout_has("Spawned child process");
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
    let out = initbox().args(["tini", "-h"]).run();
    out.code(0).stdout_has("tini (tini version 0.19.0 - git.initbox-").stdout_has(
        "Usage: tini [OPTIONS] PROGRAM -- [ARGS] | --version\n\n\
         Execute a program under the supervision of a valid init process (tini)\n",
    );
    initbox().args(["tini", "-l"]).run().code(0).stdout_has("The MIT License (MIT)\n");
    let out = initbox().args(["tini", "-x"]).run();
    out.code(1).stderr_has("tini: invalid option -- 'x'\ntini (tini version");
    assert!(out.stdout.is_empty());
    initbox().args(["tini"]).run().code(1).stderr_has("Usage: tini [OPTIONS]");
    let out = initbox().args(["tini", "-p", "NOPE", "true"]).run();
    out.code(1).stderr_has("] Not a valid option for -p: NOPE\n");
    let out = applet("tini").args(["--", "/nonexistent"]).run();
    out.code(127).one_error_line("] exec /nonexistent failed: No such file or directory");
    assert!(no_pids(&out.stderr).starts_with("[FATAL tini (N)] exec"), "{}", out.stderr);
    applet("tini").args(["--", "/etc"]).run().code(126).stderr_has("exec /etc failed: Permission denied");
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
    applet("dumb-init").args(["-v", "true"]).run().code(0).stderr_has("[dumb-init] Child spawned with PID ");
    let out = applet("dumb-init").env("DUMB_INIT_DEBUG", "1").args(["true"]).run();
    out.stderr_has("[dumb-init] Running in debug mode.\n").stderr_has("[dumb-init] Child spawned");
    applet("dumb-init").args(["sh", "-c", "exit 3", "-v"]).run().code(3).stderr_lacks("Child spawned");
    initbox().args(["dumb-init", "--help"]).run().code(0).stderr_has("--single-child");
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
    let out = applet("catatonit").args(["--", "/nonexistent"]).run();
    out.code(1).one_error_line("): failed to exec pid1: No such file or directory");
    assert!(no_pids(&out.stderr).starts_with("ERROR (catatonit:N): failed"), "{}", out.stderr);
    applet("podman-init").args(["--", "sh", "-c", "exit 9"]).run().code(9);
    let out = initbox().args(["catatonit", "-x"]).run();
    out.code(1).stderr_has("catatonit: invalid option -- 'x'\nusage: catatonit [-ghLPV]");
    // "tini version": what `docker info` parses, as catatonit answers.
    initbox().args(["catatonit", "-V"]).run().code(0).stdout_has("tini version 0.1.7_catatonit\n");
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

/// A worker left by the command, as the command of a personality not PID 1 (below init):
/// it reports every TERM and CONT, and ends when told to, after the personality has exited.
fn dumb_init_leaves(mode: &[&str]) -> Output {
    leaves("dumb-init", mode)
}

fn leaves(personality: &str, mode: &[&str]) -> Output {
    let dir = temp_dir("leftover");
    let worker = r#"trap 'echo worker got TERM' TERM
trap 'echo worker got CONT' CONT
: > "$1/ready"
while [ ! -e "$1/go" ]; do sleep 0.01; done
echo worker survived
: > "$1/done"
"#;
    std::fs::write(dir.join("worker.sh"), worker).unwrap();
    let script = format!(
        r#""$DI" {mode} sh -c 'sh "$0/worker.sh" "$0" & while [ ! -e "$0/ready" ]; do sleep 0.01; done' "{d}"
        echo "{personality} exited $?"
        : > "{d}/go"
        i=0; while [ ! -e "{d}/done" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done"#,
        mode = mode.join(" "),
        d = dir.display()
    );
    applet("init").env("DI", applet_path(personality).to_str().unwrap()).sh(&script).run()
}

#[test]
fn tini_and_catatonit_not_pid1_exit_with_the_command_and_leave_the_rest_alone() {
    require_namespaces!();
    for (personality, args) in [("tini", &["--"][..]), ("tini", &["-g", "--"]), ("catatonit", &["-g", "--"])]
    {
        let out = leaves(personality, args);
        out.code(0).stdout_has(&format!("{personality} exited 0\nworker survived\n"));
        assert!(!out.stdout.contains("got"), "{personality}: the worker got signals: {}", out.stdout);
    }
}

#[test]
fn not_pid1_a_personality_does_not_read_inits_grace() {
    require_namespaces!();
    // Not PID 1 a personality has no grace period: INITBOX_GRACE, set for init elsewhere
    // in the environment, is not read (a bad one does not stop the command).
    for (personality, args) in [("tini", &["-s", "--"][..]), ("dumb-init", &["-c"]), ("catatonit", &["--"])] {
        applet(personality)
            .env("INITBOX_GRACE", "soon")
            .env("INITBOX_STOP_DELAY", "later")
            .args(args)
            .args(["sh", "-c", "exit 3"])
            .not_pid1()
            .run()
            .code(3);
    }
    // As PID 1 it is read, and a bad one is named.
    applet("tini")
        .env("INITBOX_GRACE", "soon")
        .args(["--", "true"])
        .run()
        .code(1)
        .stderr_has("INITBOX_GRACE");
}

#[test]
fn dumb_init_not_pid1_leaves_what_is_left_alone() {
    require_namespaces!();
    // Single-child mode: nothing for the worker, which lives on.
    for mode in [&["-c"][..], &["--single-child"]] {
        let out = dumb_init_leaves(mode);
        out.code(0).stdout_has("dumb-init exited 0\nworker survived\n");
        assert!(!out.stdout.contains("got"), "single child: the worker got signals: {}", out.stdout);
    }
    // Session mode: dumb-init's SIGTERM to the command's group as it exits, once, and no
    // SIGCONT; the worker handles it and lives on.
    let out = dumb_init_leaves(&[]);
    out.code(0).stdout_has("worker survived\n");
    assert_eq!(out.stdout.matches("worker got TERM").count(), 1, "{}", out.stdout);
    assert!(!out.stdout.contains("CONT"), "{}", out.stdout);
}

#[test]
fn dumb_init_debug_lines_are_dumb_inits() {
    require_namespaces!();
    let out = applet("dumb-init").args(["-v", "-c", "true"]).run();
    out.code(0);
    assert_eq!(
        no_pids(&out.stderr),
        "[dumb-init] Child spawned with PID N.\n\
         [dumb-init] Received signal 17.\n\
         [dumb-init] A child with PID N exited with exit status 0.\n\
         [dumb-init] Forwarded signal 15 to children.\n\
         [dumb-init] Child exited with status 0. Goodbye.\n"
    );
    let out = applet("dumb-init")
        .args(["-v", "-r", "15:0", "sh", "-c", "trap '' USR1; kill -USR1 1; sleep 0.2; exit 3"])
        .run();
    out.code(3)
        .stderr_has("[dumb-init] Received signal 10.\n[dumb-init] Forwarded signal 10 to children.\n")
        .stderr_has("[dumb-init] setsid complete.\n")
        .stderr_has("[dumb-init] Translating signal 15 to 0.\n[dumb-init] Not forwarding signal 0 to children (ignored).\n")
        .stderr_has("[dumb-init] Child exited with status 3. Goodbye.\n");
}

#[test]
fn dumb_init_texts_are_dumb_inits() {
    let exact = |args: &[&str], code: i32, stderr: &str| {
        let out = initbox().arg("dumb-init").args(args).run();
        out.code(code);
        assert_eq!(out.stderr, stderr, "dumb-init {args:?}");
        assert!(out.stdout.is_empty(), "dumb-init {args:?}: {}", out.stdout);
    };
    exact(&["-V"], 0, "dumb-init v1.2.5\n");
    exact(&["--version"], 0, "dumb-init v1.2.5\n");
    exact(&[], 1, "Usage: dumb-init [option] program [args]\nTry dumb-init --help for full usage.\n");
    exact(&["--yolo", "true"], 1, "dumb-init: unrecognized option '--yolo'\n");
    exact(&["-x", "true"], 1, "dumb-init: invalid option -- 'x'\n");
    let rewrite = "Usage: -r option takes <signum>:<signum>, where <signum> is between 1 and 31.\n\
                   This option can be specified multiple times.\nUse --help for full usage.\n";
    for bad in ["", "herp", "15", "15::12", "15:derp", "0", "1:32"] {
        exact(&["-r", bad, "true"], 1, rewrite);
    }
    let out = initbox().args(["dumb-init", "-h"]).run();
    out.code(0);
    assert!(out.stderr.starts_with("dumb-init v1.2.5\nUsage: dumb-init [option] command [[arg] ...]\n\n"));
    assert!(out.stderr.ends_with("\nFull help is available online at https://github.com/Yelp/dumb-init\n"));
    require_namespaces!();
    for mode in [&["-c"][..], &[]] {
        let out = applet("dumb-init").args(mode).arg("/doesnotexist").run();
        out.code(2).one_error_line("[dumb-init] /doesnotexist: No such file or directory");
    }
}

#[test]
fn dumb_init_gives_the_command_its_terminal() {
    // Under a terminal, the command leads a session of its own with the terminal as its
    // controlling terminal (job control works); the SIGHUP and SIGCONT the kernel sends
    // dumb-init as it hands the terminal over are not passed on.
    let di = applet_path("dumb-init");
    let inner =
        format!("exec {} -v sh -c 'ps -o tty= -p $$; echo sid $(ps -o sid= -p $$) pid $$'", di.display());
    let out = std::process::Command::new("timeout")
        .args(["-k", "5", "60", "script", "-qec", &inner, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(out.status.success(), "{text}");
    let tty = text.lines().find(|l| l.trim().starts_with("pts/")).unwrap_or_else(|| panic!("no tty: {text}"));
    assert!(!tty.contains('?'), "{text}");
    let ids = text.lines().find(|l| l.starts_with("sid ")).unwrap();
    let words: Vec<&str> = ids.split_whitespace().collect();
    assert_eq!(words[1], words[3], "the command leads its session: {text}");
    assert!(text.contains("[dumb-init] Ignoring tty hand-off signal 1.\n"), "{text}");
    assert!(text.contains("[dumb-init] Ignoring tty hand-off signal 18.\n"), "{text}");
    assert!(!text.contains("Forwarded signal 1 to"), "{text}");
}

#[test]
fn personalities_start_the_command_with_the_originals_signal_state() {
    require_namespaces!();
    if emulated().is_some() {
        eprintln!("SKIP: qemu-user gives its guest no inherited ignored signals");
        return;
    }
    // Started with INT ignored: dumb-init's command starts clean, tini's keeps what tini
    // found (tini's own suite checks it).
    let script = r#"trap '' INT
        "$DI" -c sh -c 'grep SigIgn /proc/$$/status | sed s/^/dumb-init:/'
        "$TINI" -- sh -c 'grep SigIgn /proc/$$/status | sed s/^/tini:/'"#;
    let out = applet("init")
        .env("DI", applet_path("dumb-init").to_str().unwrap())
        .env("TINI", applet_path("tini").to_str().unwrap())
        .sh(script)
        .run();
    out.code(0);
    let ignored = |who: &str| {
        let line = out.stdout.lines().find(|l| l.starts_with(who)).unwrap();
        u64::from_str_radix(line.rsplit('\t').next().unwrap().trim(), 16).unwrap()
    };
    assert_eq!(ignored("dumb-init:") & 2, 0, "{}", out.stdout);
    assert_eq!(ignored("tini:") & 2, 2, "{}", out.stdout);
}

#[test]
fn dumb_init_not_pid1_forwards_fault_signals_other_processes_send() {
    require_namespaces!();
    let mut run = applet("dumb-init")
        .not_pid1()
        .ceiling(std::time::Duration::from_secs(30))
        .args(["python3", &catch(), "child", "15"])
        .start();
    run.expect_line("child ready");
    for sig in [libc::SIGSEGV, libc::SIGILL, libc::SIGSYS, libc::SIGBUS] {
        run.signal(sig);
        run.expect_line(&format!("child got {sig}"));
    }
    run.signal(libc::SIGTERM);
    run.wait().code(0);
}

#[test]
fn catatonit_rewrites_listen_pid_and_closes_inherited_descriptors() {
    require_namespaces!();
    // Socket activation: LISTEN_PID set to catatonit's pid now names the command.
    let show = ["--", "sh", "-c", r#"echo "listen $LISTEN_PID pid $$""#];
    let out = applet("catatonit").env("LISTEN_PID", "1").args(show).run();
    let words: Vec<&str> = out.stdout.split_whitespace().collect();
    assert!(words.len() == 4 && words[1] == words[3] && words[1] != "1", "{}", out.stdout);
    let out = applet("podman-init").env("LISTEN_PID", "77").args(show).run();
    out.code(0).stdout_has("listen 77 pid ");
    // The command starts with TSTP, TTIN and TTOU blocked, as under catatonit.
    let out = applet("catatonit").args(["--", "grep", "SigBlk", "/proc/self/status"]).run();
    let blocked = u64::from_str_radix(out.stdout.rsplit('\t').next().unwrap().trim(), 16).unwrap();
    assert_eq!(blocked & 0x38_0000, 0x38_0000, "{}", out.stdout);
    // The command keeps the descriptors catatonit was given; catatonit keeps none.
    let script = r#"exec 7</dev/null
        "$CT" -- sh -c 'i=0; while [ -e /proc/$PPID/fd/7 ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done
            [ -e /proc/$PPID/fd/7 ] && echo "catatonit keeps 7" || echo "catatonit closed 7"
            [ -e /proc/$$/fd/7 ] && echo "command has 7"'"#;
    let out = applet("init").env("CT", applet_path("catatonit").to_str().unwrap()).sh(script).run();
    out.code(0).stdout_has("catatonit closed 7\ncommand has 7\n");
}

#[test]
fn dumb_init_not_pid1_adopts_no_orphans() {
    require_namespaces!();
    // The command's orphan goes to init (PID 1 here), not to dumb-init, which is no
    // child subreaper (tini and catatonit are).
    let dir = temp_dir("orphan");
    let orphan = r#"ppid() { cut -d' ' -f4 /proc/$$/stat; }
while [ "$(cat /proc/$(ppid)/comm)" = sh ]; do sleep 0.01; done
echo "orphan parent $(ppid)"; : > "$1/said""#;
    std::fs::write(dir.join("orphan.sh"), orphan).unwrap();
    let script = format!(
        r#""$DI" -c sh -c '(sh "$0/orphan.sh" "$0" &); while [ ! -e "$0/said" ]; do sleep 0.01; done' "{d}""#,
        d = dir.display()
    );
    let out = applet("init").env("DI", applet_path("dumb-init").to_str().unwrap()).sh(&script).run();
    out.code(0).stdout_has("orphan parent 1\n");
}

#[test]
fn personalities_run_a_script_without_shebang_through_sh() {
    require_namespaces!();
    // glibc's execvp, which the originals use: what the kernel cannot exec runs as a
    // /bin/sh script.
    let script = temp_dir("noshebang").join("entrypoint");
    std::fs::write(&script, "echo script ran \"$@\"\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let script = script.to_str().unwrap();
    for (personality, args) in [("tini", &["--"][..]), ("dumb-init", &[]), ("catatonit", &["--"])] {
        let out = applet(personality).args(args).args([script, "a", "b"]).run();
        out.code(0).stdout_has("script ran a b\n");
    }
}

#[test]
fn personalities_as_pid1_send_what_is_left_sigterm_and_no_sigcont() {
    require_namespaces!();
    // initbox's one addition as PID 1: SIGTERM to what is left when the command exits,
    // where the original's exit would have the kernel SIGKILL it; no SIGCONT, which the
    // originals never send.
    let worker = r#"trap 'echo worker got CONT' CONT
trap 'echo worker got TERM; term=1' TERM
: > "$1/ready"; while [ -z "$term" ]; do sleep 0.05; done
"#;
    for (personality, args) in [("tini", &["--"][..]), ("dumb-init", &["-c"]), ("catatonit", &["--"])] {
        let dir = temp_dir("term-only");
        std::fs::write(dir.join("worker.sh"), worker).unwrap();
        let script = format!(
            r#"sh "{d}/worker.sh" "{d}" & while [ ! -e "{d}/ready" ]; do sleep 0.01; done"#,
            d = dir.display()
        );
        let out = applet(personality).args(args).args(["sh", "-c", &script]).run();
        out.code(0).stdout_has("worker got TERM\n");
        assert!(!out.stdout.contains("CONT"), "{personality}: {}", out.stdout);
    }
}
