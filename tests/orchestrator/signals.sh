#!/usr/bin/env bash
# SIGTERM / SIGUSR1: stop dispatching, finish or abandon running points within run.stop_grace_s, commit,
# close, exit 75; a resume then ends bitwise equal to an uninterrupted run.
source "$(dirname "$0")/common.sh"
run 1 run "$SWEEPS/kill.yaml" -o "$WORK/ref.h5" --quiet || fail "uninterrupted run: exit $?"
out="$WORK/s.h5"

# Alone, SIGTERM. Its points are 20x longer than kill.yaml's, so that even a fast
# machine is still mid-sweep when the signal lands (a kill.yaml point takes ~20 ms with the fused step).
sed -e 's/steps: 15000,/steps: 300000,/' "$SWEEPS/kill.yaml" > "$WORK/slow.yaml"
slow="$WORK/slow.h5"
"$TMS_SWEEP" run "$WORK/slow.yaml" -o "$slow" --quiet & pid=$!
while [ ! -e "$slow" ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
sleep 0.3; kill -TERM $pid; rc=0; wait $pid || rc=$?
[ $rc = 75 ] || fail "SIGTERM alone: exit $rc, expected 75"
counts=$(complete "$slow"); echo "after SIGTERM: $counts"
case "$counts" in *"pending=0 "*) fail "SIGTERM came too late to test anything: $counts";; esac
grep -qx "stopping=1" "$slow.progress" || fail "progress file does not say stopping: $(cat "$slow.progress")"

# Under mpirun, SIGUSR1 to the launcher (Open MPI forwards it to every rank), once the root published the file (every
# rank is then past MPI_Init; tms-sweep has its handlers from before MPI_Init, so an earlier signal would also give
# 75, but a rank still being exec'd would die of it: exit 138).
"$MPIEXEC" -np 3 --oversubscribe "$TMS_SWEEP" run "$SWEEPS/kill.yaml" -o "$out" --quiet 2>/dev/null & pid=$!
while [ ! -e "$out" ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
kill -USR1 $pid; rc=0; wait $pid || rc=$?
echo "after SIGUSR1 (3 ranks): exit $rc, $(complete "$out")"
[ $rc = 75 ] || [ $rc = 0 ] || fail "SIGUSR1 under mpirun: exit $rc, expected 75 (or 0 if it had finished)"

run 2 run "$SWEEPS/kill.yaml" -o "$out" --resume --quiet || fail "resume: exit $?"
same "$WORK/ref.h5" "$out"

# A point far longer than the grace period is abandoned, not waited for; it stays pending.
sed -e 's/steps: 15000,/steps: 50000000,/' -e 's/replicates: 4/replicates: 1/' -e 's/density: {values: \[1.0, 0.5, 0.2, 0.05\]}/density: {values: [0.5]}/' \
  "$SWEEPS/kill.yaml" > "$WORK/long.yaml"
"$TMS_SWEEP" run "$WORK/long.yaml" -o "$WORK/long.h5" --quiet & pid=$!
while [ ! -e "$WORK/long.h5" ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
kill -TERM $pid; rc=0; wait $pid || rc=$?
[ $rc = 75 ] || fail "abandoned point: exit $rc, expected 75"
[ "$(complete "$WORK/long.h5")" = "done=0 failed=0 pending=1 skipped=0" ] || fail "the abandoned point is not pending"

# Only the root gets SIGTERM (the worker never hears of it and keeps training its long point): the root waits
# run.stop_grace_s (+5 s), commits, closes the file and aborts the job with 75.
"$MPIEXEC" -np 2 --oversubscribe "$TMS_SWEEP" run "$WORK/long.yaml" -o "$WORK/long.h5" --resume --quiet 2>/dev/null & pid=$!
while [ -z "$(pgrep -P $pid)" ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
sleep 1; root=$(pgrep -P $pid | head -1); kill -TERM $root; rc=0; wait $pid || rc=$?
[ $rc = 75 ] || fail "root-only SIGTERM: exit $rc, expected 75"
[ "$(complete "$WORK/long.h5")" = "done=0 failed=0 pending=1 skipped=0" ] || fail "after root-only SIGTERM"
[ -z "$(pgrep -f -- "-o $WORK/long.h5")" ] || fail "ranks survived the abort"
echo "PASS: SIGTERM, SIGUSR1, grace period, root-only stop, resume identical"
