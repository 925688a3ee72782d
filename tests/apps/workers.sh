#!/bin/sh
# A small multi-process app: a parent with workers whose SIGTERM handler needs
# WORK_SECONDS (default 2) to finish its work. Worker 3 detaches with setsid, as daemons
# do, so it is not in the parent's process group.
# Each worker records what happens to it in $STATE_DIR/worker-N:
#   started / saving (got SIGTERM, finishing its work) / finished.
# The parent exits 143 as soon as it gets SIGTERM, without waiting for its workers.
state=${STATE_DIR:?set STATE_DIR}
work=${WORK_SECONDS:-2}
worker='
    n=$1 state=$2 work=$3
    echo started > "$state/worker-$n"
    trap "trap \"\" TERM; echo saving >> \"$state/worker-$n\"; sleep $work; echo finished >> \"$state/worker-$n\"; exit 0" TERM
    while :; do sleep 1 & wait $!; done
'
for n in 1 2 3; do
    if [ "$n" = 3 ]; then
        setsid sh -c "$worker" worker "$n" "$state" "$work" 2>/dev/null &
    else
        sh -c "$worker" worker "$n" "$state" "$work" 2>/dev/null &
    fi
done
trap 'echo "parent: got SIGTERM, exiting now"; exit 143' TERM
echo "parent: 3 workers running"
while :; do sleep 1 & wait $!; done
