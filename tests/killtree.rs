#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
//! killtree on real trees inside PID namespaces (init as PID 1 reaps what dies).

mod common;
use common::*;

/// Shell helpers: `watch PID...` holds the pids (waitall -p in the background, so their
/// exit is seen even once init has reaped them; it returns once waitall holds a pidfd for
/// each); `watched` prints "all gone: STATUS".
const HELPERS: &str = r#"
    watch() {
        "$WAITALL" --timeout 10s -p "$@" & watcher=$!
        until [ "$(ls -l /proc/$watcher/fd 2>/dev/null | grep -c pidfd)" -ge $# ]; do sleep 0.01; done
    }
    watched() { wait $watcher; echo "all gone: $?"; }
"#;

/// Runs `script` under init in a fresh namespace, with $KILLTREE, $WAITALL, $APPS and
/// $TREEKIT (tests/apps/treekit.c, built) set.
fn in_namespace(script: &str) -> Output {
    in_namespace_for(script, CEILING)
}

fn in_namespace_for(script: &str, ceiling: std::time::Duration) -> Output {
    let script = format!("{HELPERS}{script}");
    applet("init")
        .ceiling(ceiling)
        .env("KILLTREE", applet_path("killtree").to_str().unwrap())
        .env("WAITALL", applet_path("waitall").to_str().unwrap())
        .env("APPS", apps().to_str().unwrap())
        .env("TREEKIT", treekit().to_str().unwrap())
        .sh(&script)
        .run()
}

/// tests/apps/treekit.c, compiled once per test binary.
fn treekit() -> std::path::PathBuf {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("treekit");
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let tmp = out.with_extension(format!("{}", std::process::id()));
        let status = std::process::Command::new("gcc")
            .args(["-O2", "-Wno-infinite-recursion", "-o"])
            .arg(&tmp)
            .arg(apps().join("treekit.c"))
            .status()
            .unwrap();
        assert!(status.success(), "gcc tests/apps/treekit.c");
        std::fs::rename(&tmp, &out).unwrap();
    });
    out
}

/// Shell: the processes of session $1 not yet exited (a tree from `treekit tree` leads one).
const LEFT: &str = r#"
    left() { awk -v sid=$1 '$6 == sid && $3 != "Z"' /proc/[0-9]*/stat 2>/dev/null | wc -l; }
    stopped() { awk -v sid=$1 '$6 == sid && $3 == "T"' /proc/[0-9]*/stat 2>/dev/null | wc -l; }
"#;

/// Shell: start a 3-level tree (root sh; a setsid'd child with a child; a child that moved
/// to its own process group with a child), print "tree ROOT", and list its members in $members.
/// The root outlives its children (for --children-only).
const TREE: &str = r#"
    sh -c '
        setsid sh -c "sleep 300 & wait" &
        python3 -c "import os; os.setpgid(0, 0); os.execvp(\"sh\", [\"sh\", \"-c\", \"sleep 300 & wait\"])" &
        wait; exec sleep 300' &
    root=$!
    until [ "$("$KILLTREE" --list $root | grep -c sleep)" = 2 ]; do sleep 0.02; done
    members=$("$KILLTREE" --list $root | awk 'NR > 1 {print $1}')
    echo "tree $root: $(echo $members | wc -w) members"
    sessions=$(for m in $members; do cut -d' ' -f6 /proc/$m/stat; done | sort -u | wc -l)
    groups=$(for m in $members; do cut -d' ' -f5 /proc/$m/stat; done | sort -u | wc -l)
    echo "in $sessions sessions and $groups groups"
"#;

#[test]
fn a_three_level_tree_across_sessions_and_groups_is_all_signalled() {
    require_namespaces!();
    let out = in_namespace(&format!(
        r#"{TREE}
        watch $members
        "$KILLTREE" $root; echo "killtree status $?"
        watched"#
    ));
    out.code(0).stdout_has("5 members").stdout_has("in 2 sessions and 3 groups");
    out.stdout_has("killtree status 0").stdout_has("all gone: 0");
}

#[test]
fn children_only_spares_the_root() {
    require_namespaces!();
    let out = in_namespace(&format!(
        r#"{TREE}
        children=$(echo $members | cut -d' ' -f2-)
        watch $children
        "$KILLTREE" --children-only $root; echo "killtree status $?"
        watched
        grep -q '^State:.*[SR]' /proc/$root/status && echo "root alive and running"
        kill $root"#
    ));
    out.code(0)
        .stdout_has("killtree status 0")
        .stdout_has("all gone: 0")
        .stdout_has("root alive and running");
}

#[test]
fn grace_ends_a_term_ignoring_tree_with_kill() {
    require_namespaces!();
    let out = in_namespace(
        r#"
        sh -c 'trap "" TERM; sh -c "sleep 300 & wait" & wait' &
        root=$!
        until [ "$("$KILLTREE" --list $root | grep -c sleep)" = 1 ]; do sleep 0.02; done
        watch $("$KILLTREE" --list $root | awk 'NR > 1 {print $1}')
        "$KILLTREE" --grace 300ms $root; echo "killtree status $?"
        watched"#,
    );
    out.code(0).stdout_has("killtree status 0").stdout_has("all gone: 0");
    assert_eq!(out.stderr.matches("grace period (300ms) over: SIGKILL to pid").count(), 3, "{}", out.stderr);
}

#[test]
fn list_signals_nothing() {
    require_namespaces!();
    let out = in_namespace(&format!(
        r#"{TREE}
        "$KILLTREE" --list $root
        "$WAITALL" --timeout 300ms -p $members; echo "after list: $?"
        for m in $members; do grep '^State' /proc/$m/status; done | sort | uniq -c"#
    ));
    out.code(0).stdout_has("after list: 124").stdout_has("PID\tPPID\tNAME").stdout_has("\t    sleep\n");
    assert!(!out.stdout.contains("stopped"), "--list must not even stop the tree: {}", out.stdout);
}

#[test]
fn a_missing_pid_is_an_error_naming_it_and_the_others_are_still_signalled() {
    require_namespaces!();
    let out =
        in_namespace(r#"sleep 300 & p=$!; watch $p; "$KILLTREE" 99999999 $p; echo "status $?"; watched"#);
    out.code(0).stdout_has("status 1").stdout_has("all gone: 0").stderr_has("pid 99999999: no such process");
}

#[test]
fn a_name_with_parens_and_spaces_is_handled() {
    require_namespaces!();
    let dir = temp_dir("oddname");
    let odd = dir.join("x) (y z");
    std::fs::copy("/bin/sleep", &odd).unwrap();
    let out = in_namespace(&format!(
        r#"sh -c '"$0" 300 & wait' "{odd}" & root=$!
        until "$KILLTREE" --list $root | grep -q "x) (y z"; do sleep 0.02; done
        "$KILLTREE" --list $root
        watch $("$KILLTREE" --list $root | awk -F'\t' 'NR > 1 {{print $1}}')
        "$KILLTREE" $root; watched"#,
        odd = odd.display()
    ));
    out.code(0).stdout_has("\t  x) (y z\n").stdout_has("all gone: 0");
}

#[test]
fn a_fork_storm_is_gone_after_every_one_of_100_runs() {
    require_namespaces!();
    // 100 runs of the native binary, as SPEC's target says; under qemu-user each run is
    // several times slower, and 25 show the same.
    let runs = if emulated().is_some() { 25 } else { 100 };
    let out = in_namespace_for(
        &format!(
            r#"
        for run in $(seq {runs}); do
            setsid sh "$APPS/storm.sh" 4 3 & root=$!
            sleep 0.3
            "$KILLTREE" --grace 1s $root; status=$?
            left=$(awk -v sid=$root '$6 == sid && $3 != "Z"' /proc/[0-9]*/stat 2>/dev/null | wc -l)
            echo "run $run: status $status, survivors $left"
            [ "$left" = 0 ] || "$KILLTREE" -s KILL $(awk -v sid=$root '$6 == sid {{print $1}}' /proc/[0-9]*/stat 2>/dev/null)
        done"#
        ),
        std::time::Duration::from_secs(300),
    );
    out.code(0);
    let lines: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("run ")).collect();
    assert_eq!(lines.len(), runs, "{}", out.stdout);
    for run in lines {
        assert!(run.ends_with("status 0, survivors 0"), "{run}\n{}", out.stderr);
    }
}

#[test]
fn bad_input_is_status_2() {
    initbox().args(["killtree"]).run().code(2).one_error_line("no PID given");
    initbox().args(["killtree", "-s", "NOPE", "1"]).run().code(2).one_error_line("bad signal 'NOPE'");
    initbox().args(["killtree", "--grace", "x", "1"]).run().code(2).one_error_line("bad duration 'x'");
    initbox().args(["killtree", "12ab"]).run().code(2).one_error_line("bad pid '12ab'");
    initbox().args(["killtree", "--bogus", "1"]).run().code(2).one_error_line("unknown option '--bogus'");
    // An empty variable is one not set (`docker run -e INITBOX_GRACE=`, an unset compose
    // variable), as for flags; the last -s wins and the earlier one is not checked.
    initbox()
        .env("INITBOX_GRACE", "")
        .env("INITBOX_SIGNAL", "")
        .args(["killtree", "99999999"])
        .run()
        .code(1)
        .one_error_line("pid 99999999: no such process");
    initbox()
        .args(["killtree", "-s", "FOO", "-s", "TERM", "99999999"])
        .run()
        .code(1)
        .one_error_line("pid 99999999: no such process");
}

#[test]
fn pidfds_refused_by_seccomp_fall_back_to_kill_after_a_start_time_check() {
    require_namespaces!();
    let out = in_namespace(&format!(
        r#"{LEFT}
        root=$("$TREEKIT" tree 30)
        "$TREEKIT" deny-pidfd "$KILLTREE" -v --grace 2s $root; echo "killtree status $?"
        echo "left $(left $root)""#
    ));
    out.code(0).stdout_has("killtree status 0").stdout_has("left 0");
    assert_eq!(out.stderr.matches("pidfds refused").count(), 1, "said once: {}", out.stderr);
}

/// Runs `script` with `sh` as PID 1 of a fresh namespace (it ignores signals it has no
/// handler for, SIGSTOP included, when sent from inside); returns (status, stdout, stderr).
fn sh_as_pid1(script: &str) -> (i32, String, String) {
    use std::io::Read;
    let mut child = std::process::Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "--kill-child", "sh", "-c", script])
        .env("KILLTREE", applet_path("killtree"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = std::time::Instant::now() + CEILING;
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sh as PID 1 still running at the ceiling");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    (status.code().unwrap_or(-1), out.join().unwrap(), err.join().unwrap())
}

#[test]
fn killtree_1_in_a_namespace_settles_and_ends_everything_else() {
    require_namespaces!();
    for sig in ["TERM", "KILL"] {
        let (code, stdout, stderr) = sh_as_pid1(&format!(
            r#"sleep 300 & a=$!; setsid sleep 300 & b=$!; sh -c 'sleep 300 & wait' & c=$!
            until [ "$(cat /proc/$c/task/$c/children)" ]; do sleep 0.01; done
            "$KILLTREE" -s {sig} 1; echo "killtree status $?"
            wait
            # The orphaned grandchild is not waited for: under load it may still be on its
            # way out (signalled, not yet scheduled) for a moment after killtree returns.
            for i in $(seq 500); do
                n=$(awk '$3 != "Z"' /proc/[0-9]*/stat 2>/dev/null | grep -c '(sleep)')
                [ "$n" = 0 ] && break; sleep 0.02
            done
            echo "left: $n""#
        ));
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(
            stdout.contains("killtree status 0") && stdout.contains("left: 0"),
            "{sig}: {stdout}{stderr}"
        );
        assert!(!stderr.contains("did not settle"), "{sig}: {stderr}");
    }
}

#[test]
fn an_interrupted_freeze_leaves_no_member_stopped() {
    require_namespaces!();
    // A parent in vfork() cannot stop until its child execs or exits: the freeze waits for
    // it (up to 2 s), and SIGTERM reaches killtree mid-freeze, with the child already
    // stopped. Under a loaded machine the shell may notice the stopped child only after
    // killtree gave up waiting and finished: that run proves nothing and is tried again.
    let script = r#"
        "$TREEKIT" vfork & v=$!
        until [ "$(cat /proc/$v/task/$v/children)" ]; do sleep 0.01; done
        child=$(echo $(cat /proc/$v/task/$v/children))
        "$KILLTREE" $v & k=$!
        until grep -q '^State:.*T' /proc/$child/status 2>/dev/null || ! kill -0 $k 2>/dev/null; do
            sleep 0.01
        done
        kill -TERM $k; wait $k; echo "killtree status $?"
        echo "child: $(grep '^State' /proc/$child/status)"
        kill -KILL $child
        while grep -q '^State:.*D' /proc/$v/status; do sleep 0.01; done
        echo "parent: $(grep '^State' /proc/$v/status)"
        kill -KILL $v"#;
    let mut out = in_namespace(script);
    for _ in 0..4 {
        if !out.stderr.contains("did not stop within") {
            break;
        }
        out = in_namespace(script);
    }
    out.code(0).stdout_has("killtree status 143").stdout_has("parent: State:\tS");
    // Continued: sleeping, or (seen under qemu-user) running at the moment it is looked at;
    // never stopped (T) or traced (t).
    let child = out.stdout.lines().find_map(|l| l.strip_prefix("child: State:\t")).unwrap_or_default();
    assert!(child.starts_with('S') || child.starts_with('R'), "child left as {child:?}: {}", out.stdout);
    out.stderr_has("interrupted by SIGTERM");
}

#[test]
fn job_control_children_handle_term_in_each_of_20_runs() {
    require_namespaces!();
    let dir = temp_dir("jobs");
    let tree = dir.join("tree");
    std::fs::write(
        &tree,
        r#"set -m
bash -c 'trap "sleep 0.3; echo handled >> $0; exit 0" TERM; echo > $1; while :; do sleep 0.1; done' "$1" "$2" &
wait
"#,
    )
    .unwrap();
    let out = in_namespace(&format!(
        r#"
        for run in $(seq 20); do
            rm -f {d}/h {d}/ready
            setsid bash {tree} {d}/h {d}/ready & root=$!
            until [ -e {d}/ready ]; do sleep 0.01; done
            "$KILLTREE" --grace 5s $root
            echo "run $run: $(cat {d}/h 2>/dev/null)"
        done"#,
        d = dir.display(),
        tree = tree.display()
    ));
    out.code(0);
    let runs: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("run ")).collect();
    assert_eq!(runs.len(), 20, "{}", out.stdout);
    let handled = runs.iter().filter(|r| r.ends_with(": handled")).count();
    assert_eq!(handled, 20, "{}\n{}", out.stdout, out.stderr);
}

#[test]
fn trees_larger_than_the_descriptor_limit_are_all_ended() {
    require_namespaces!();
    let out = in_namespace(&format!(
        r#"{LEFT}
        root=$("$TREEKIT" tree 1531)
        (ulimit -n 1024; exec "$KILLTREE" --grace 2s $root); echo "1024: status $?, left $(left $root)"
        root=$("$TREEKIT" tree 2000)
        (ulimit -n 256; exec "$KILLTREE" -s KILL --grace 2s $root); echo "256: status $?, left $(left $root)"
        root=$("$TREEKIT" tree 40)
        (ulimit -n 4; exec "$KILLTREE" --grace 2s $root); echo "4: status $?, left $(left $root)""#
    ));
    out.code(0)
        .stdout_has("1024: status 0, left 0")
        .stdout_has("256: status 0, left 0")
        .stdout_has("4: status 0, left 0");
}

#[test]
fn with_no_descriptor_free_it_says_so_and_stops_nothing() {
    require_namespaces!();
    if emulated().is_some() {
        // Under qemu-user the applet is a shell script, which cannot even start at `-n 3`.
        eprintln!("SKIP: needs the native binary");
        return;
    }
    let out = in_namespace(&format!(
        r#"{LEFT}
        root=$("$TREEKIT" tree 40)
        (ulimit -n 3; exec "$KILLTREE" $root); echo "status $?, left $(left $root), stopped $(stopped $root)""#
    ));
    out.code(0).stdout_has("status 1, left 40, stopped 0");
    out.stderr_has("killtree: cannot read /proc: no file descriptor free").stderr_lacks("not mounted");
    assert_eq!(out.stderr.lines().filter(|l| l.starts_with("killtree")).count(), 1, "{}", out.stderr);
}

#[test]
fn list_to_a_closed_stdout_names_the_error() {
    require_namespaces!();
    let out = in_namespace(r#"sleep 300 & "$KILLTREE" --list $! >&-; echo "status $?""#);
    out.code(0).stdout_has("status 1").stderr_has("killtree: cannot write: Bad file descriptor");
    assert_eq!(out.stderr.lines().filter(|l| l.starts_with("killtree")).count(), 1, "{}", out.stderr);
}
