#!/bin/sh
# A bounded fork storm: each member starts FANOUT members below it, down to DEPTH levels
# (at most 1 + 3 + 9 + 27 + 81 = 121 members for 4 and 3), then forks short-lived
# children as fast as it can, forever. Usage: storm.sh DEPTH FANOUT
member() {
    depth=$1
    if [ "$depth" -gt 0 ]; then
        i=0
        while [ $i -lt "$FANOUT" ]; do
            member $((depth - 1)) &
            i=$((i + 1))
        done
    fi
    while :; do (:); done
}
FANOUT=$2
member "$1"
