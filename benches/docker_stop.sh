#!/usr/bin/env bash
# `docker stop` of the seed app, side by side: Docker's own docker-init (tini, with
# `docker run --init`), initbox as docker-init (same, with dockerd --init-path), and initbox
# as the image's ENTRYPOINT (PID 1). The app (tests/apps/app.c, `workers 3 stubborn
# detach`): 3 workers whose SIGTERM handler takes 2 s of work, worker 3 detached with
# setsid, one more process that ignores SIGTERM. `docker stop` sends SIGTERM and SIGKILLs
# at 10 s.
#
# Per setup and run: how many workers finished their work, the most SIGTERMs one worker
# got, the wall time of `docker stop`, the container's exit status, and who ended the
# SIGTERM-ignorer. Prints a markdown table (median time, min-max in brackets).
#
# Usage (root, Debian's docker.io installed): bash benches/docker_stop.sh [RUNS]
# It starts dockerds of its own (in a temporary directory and a PID namespace, as the
# tests do) and stops them by pid; no other daemon is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
docker=/usr/bin/docker # Debian's client: BuildKit built in

cargo build --release --quiet
initbox=$PWD/target/x86_64-unknown-linux-musl/release/initbox
tini=$(readlink -f "$(command -v docker-init)")
case "$("$tini" --version)" in
    "tini version"*) ;;
    *) echo "docker-init on PATH ($tini) is not Docker's tini" >&2; exit 1 ;;
esac

work=$(mktemp -d /tmp/initbox-bench-docker-XXXXXX)
gcc -static -O2 -o "$work/app" tests/apps/app.c
printf 'FROM scratch\nCOPY app /app\n' >"$work/Bare.Containerfile"
mkdir "$work/bin"
cp "$initbox" "$work/bin/docker-init"

unshare_pid=""
stop_daemon() {
    [ -n "$unshare_pid" ] || return 0
    local ids
    ids=$(dk ps -aq 2>/dev/null || true)
    [ -z "$ids" ] || dk rm -f $ids >/dev/null 2>&1 || true
    local dockerd
    dockerd=$(cat "/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null || true)
    [ -z "$dockerd" ] || kill -TERM $dockerd 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$unshare_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$unshare_pid" 2>/dev/null || true
    wait "$unshare_pid" 2>/dev/null || true
    unshare_pid=""
}
trap 'stop_daemon; rm -rf "$work"' EXIT

dk() { DOCKER_BUILDKIT=1 DOCKER_CONFIG="$work/config" "$docker" -H "unix://$work/d/docker.sock" "$@"; }

start_daemon() { # INIT_PATH
    rm -rf "$work/d"
    mkdir -p "$work/d" "$work/config"
    echo '{}' >"$work/d/daemon.json"
    unshare --pid --fork --mount-proc --kill-child dockerd --iptables=false --ip6tables=false \
        --bridge=none --storage-driver=vfs --config-file "$work/d/daemon.json" \
        --data-root "$work/d/root" --exec-root "$work/d/exec" -H "unix://$work/d/docker.sock" \
        --pidfile "$work/d/pid" --init-path "$1" >"$work/d/log" 2>&1 &
    unshare_pid=$!
    for _ in $(seq 300); do dk version >/dev/null 2>&1 && break; sleep 0.1; done
    dk version >/dev/null
    build() { dk build -q --network=none "$@" >/dev/null; }
    build --target local -t initbox-bench -f Containerfile .
    build --build-arg INITBOX_IMAGE=initbox-bench -t initbox-bench-app \
        -f tests/containers/app.Containerfile "$work"
    build -t initbox-bench-bare -f "$work/Bare.Containerfile" "$work"
}

rows=()
measure() { # LABEL DOCKER-RUN-ARGS...
    local label=$1
    shift
    local times=() finished=() terms=() statuses=() killers=()
    for run in $(seq "$runs"); do
        local name="bench-$run-$RANDOM"
        dk run -d --network=none --name "$name" "$@" /app workers 3 stubborn detach >/dev/null
        for _ in $(seq 300); do dk logs "$name" 2>&1 | grep -q "workers running" && break; sleep 0.05; done
        local t0 t1
        t0=$(date +%s.%N)
        dk stop "$name" >/dev/null
        t1=$(date +%s.%N)
        local logs status
        logs=$(dk logs "$name" 2>&1)
        status=$(dk inspect --format '{{.State.ExitCode}}' "$name")
        dk rm "$name" >/dev/null
        times+=("$(awk "BEGIN { print $t1 - $t0 }")")
        finished+=("$(grep -c '^worker .: finished' <<<"$logs" || true)")
        local most
        most=$(grep -o "stop signals: [0-9]*" <<<"$logs" | awk '{print $3}' | sort -n | tail -1 || true)
        terms+=("${most:--}")
        statuses+=("$status")
        if grep -q 'SIGKILL to pid' <<<"$logs"; then
            killers+=("init, logged")
        elif [ "$status" = 137 ] && grep -q 'still waiting for' <<<"$logs"; then
            killers+=("Docker's SIGKILL, named in init's log")
        elif [ "$status" = 137 ]; then
            killers+=("Docker's SIGKILL")
        else
            killers+=("kernel, at init's exit")
        fi
    done
    local sorted median
    sorted=$(printf '%s\n' "${times[@]}" | sort -n)
    median=$(sed -n "$(((runs + 1) / 2))p" <<<"$sorted")
    uniq_join() { printf '%s\n' "$@" | sort -u | paste -sd/ -; }
    rows+=("| $label | $(uniq_join "${finished[@]}")/3 | $(uniq_join "${terms[@]}") | $(printf '%.2f' "$median") s [$(printf '%.2f' "$(head -1 <<<"$sorted")")-$(printf '%.2f' "$(tail -1 <<<"$sorted")")] | $(uniq_join "${statuses[@]}") | $(uniq_join "${killers[@]}") |")
}

start_daemon "$tini"
measure "tini 0.19.0 (Debian's docker-init), \`docker run --init\`" --init initbox-bench-bare
stop_daemon

start_daemon "$work/bin/docker-init"
measure "initbox as docker-init, \`docker run --init\`" --init initbox-bench-bare
measure "initbox as docker-init, \`--init -e INITBOX_GRACE=3s\`" --init -e INITBOX_GRACE=3s initbox-bench-bare
measure "initbox as PID 1 (ENTRYPOINT)" initbox-bench-app
measure "initbox as PID 1, \`-e INITBOX_GRACE=3s\`" -e INITBOX_GRACE=3s initbox-bench-app
stop_daemon

echo "docker stop of the seed app (3 workers with a 2 s SIGTERM handler, one of them setsid'd, one"
echo "process ignoring SIGTERM), Docker $("$docker" --version | awk '{print $3}' | tr -d ,), $runs runs each:"
echo
echo "| setup | workers that finished their work | SIGTERMs per worker (most) | docker stop took | exit status | TERM-ignorer ended by |"
echo "| --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
