#!/usr/bin/env bash
# The long run: initbox init as PID 1 reaps N orphans (default a million), left one at a
# time by a helper; init's resident memory and open descriptors are read before and after.
#   sudo bash benches/soak.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
cargo build --release --quiet
bin=$PWD/target/x86_64-unknown-linux-musl/release/initbox
helper=$(mktemp -d)/soak-helper
gcc -O2 -Wno-infinite-recursion -o "$helper" benches/helper.c
unshare --pid --fork --mount-proc --kill-child "$bin" init -- sh -c "sleep 1; $helper churn $n; sleep 3" &
job=$!
sleep 0.5
init=$(pgrep -P "$job" | head -1)
measure() { echo "$(awk '/VmRSS/ {print $2}' "/proc/$init/status") KB resident, $(ls "/proc/$init/fd" | wc -l) descriptors"; }
echo "before: $(measure)"
start=$SECONDS
# (by name: init's own command line mentions the helper too)
until pgrep -x soak-helper >/dev/null; do sleep 0.1; done
while pgrep -x soak-helper >/dev/null; do sleep 0.5; done
echo "after $n orphans reaped in $((SECONDS - start)) s: $(measure)"
wait "$job"
