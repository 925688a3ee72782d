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

/// Runs `script` under init in a fresh namespace, with $KILLTREE and $APPS set.
fn in_namespace(script: &str) -> Output {
    let script = format!("{HELPERS}{script}");
    applet("init")
        .env("KILLTREE", applet_path("killtree").to_str().unwrap())
        .env("WAITALL", applet_path("waitall").to_str().unwrap())
        .env("APPS", apps().to_str().unwrap())
        .sh(&script)
        .run()
}

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
    let out = in_namespace(
        r#"
        for run in $(seq 100); do
            setsid sh "$APPS/storm.sh" 4 3 & root=$!
            sleep 0.3
            "$KILLTREE" --grace 1s $root; status=$?
            left=$(awk -v sid=$root '$6 == sid && $3 != "Z"' /proc/[0-9]*/stat 2>/dev/null | wc -l)
            echo "run $run: status $status, survivors $left"
            [ "$left" = 0 ] || "$KILLTREE" -s KILL $(awk -v sid=$root '$6 == sid {print $1}' /proc/[0-9]*/stat 2>/dev/null)
        done"#,
    );
    out.code(0);
    let runs: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("run ")).collect();
    assert_eq!(runs.len(), 100, "{}", out.stdout);
    for run in runs {
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
}
