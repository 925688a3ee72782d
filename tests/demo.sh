#!/usr/bin/env bash
# Quick start, command 1: builds the static initbox binary, then shows the problem it
# solves. The same app (a parent and three workers that need 2 s to finish their work
# after SIGTERM) runs twice as PID 1 of a fresh PID namespace and gets SIGTERM, as
# `docker stop` would send it:
#   1. under a naive PID 1 that passes SIGTERM on and exits;
#   2. under `initbox init`.
# Needs root (for unshare --pid).
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target list --installed 2>/dev/null | grep -q x86_64-unknown-linux-musl ||
    rustup target add x86_64-unknown-linux-musl >/dev/null
cargo build --release --quiet
bin=$PWD/target/x86_64-unknown-linux-musl/release/initbox
echo "built $bin: $(stat -c %s "$bin") bytes, $(file -b "$bin" | grep -o 'static[^,]*' || echo static)"

if ! unshare --pid --fork --mount-proc true 2>/dev/null; then
    echo "this demo needs root and unshare --pid (PID namespaces); skipping it" >&2
    exit 1
fi

app=$PWD/tests/apps/workers.sh
naive='trap "kill -TERM -1; exit 143" TERM; sh "$0" & wait'

# run_as_pid1 TITLE COMMAND...: runs COMMAND as PID 1 of a new PID namespace, sends it
# SIGTERM once the workers run, and reports what became of each worker.
run_as_pid1() {
    local title=$1; shift
    local state; state=$(mktemp -d)
    echo
    echo "== $title =="
    local start=$SECONDS
    STATE_DIR=$state unshare --pid --fork --mount-proc --kill-child "$@" 2> "$state/log" | sed 's/^/   app: /' &
    local unshare_pid
    unshare_pid=$(jobs -p | tail -1)
    for _ in $(seq 500); do
        [ -f "$state/worker-1" ] && [ -f "$state/worker-2" ] && [ -f "$state/worker-3" ] && break
        sleep 0.01
    done
    local pid1
    pid1=$(pgrep -P "$unshare_pid" | head -1)
    echo "   sending SIGTERM to PID 1 (as docker stop would)"
    kill -TERM "$pid1"
    local status=0
    wait "$unshare_pid" || status=$?
    sed 's/^/   log: /' "$state/log"
    echo "   PID 1 exited with status $status after $((SECONDS - start))s in all"
    for n in 1 2 3; do
        local what
        case "$(tr '\n' ' ' < "$state/worker-$n")" in
            "started saving finished ") what="got SIGTERM, finished its work, exited cleanly" ;;
            "started saving ") what="got SIGTERM, began finishing its work... and was SIGKILLed by the kernel mid-work: its work is lost" ;;
            *) what="never got SIGTERM: SIGKILLed by the kernel without warning" ;;
        esac
        local detached=""; [ "$n" = 3 ] && detached=" (detached with setsid)"
        echo "   worker $n$detached: $what"
    done
    rm -rf "$state"
}

run_as_pid1 "1. A naive PID 1 (a shell that passes SIGTERM on, then exits)" sh -c "$naive" "$app"
run_as_pid1 "2. initbox init as PID 1" "$bin" init -v -- sh "$app"

cat <<'TXT'

What happened: when PID 1 of a PID namespace (a container) exits, the kernel SIGKILLs
every process left in it at once, with no grace. The naive PID 1 exited right after
passing SIGTERM on, so the workers died in the middle of their work. initbox init
passed SIGTERM on, sent it also to the detached worker once the parent had exited,
waited until every worker had finished, and only then exited, with the parent's status.
TXT
