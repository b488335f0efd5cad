#!/usr/bin/env bash
# Progress when the root trains alone (no mpirun): reports come from inside a unit (every 64 steps when due),
# with the in-flight fraction of the running points, also for a bundle; results equal those of 2 ranks, where a
# worker trains the same bundle as one tms_train_bundle call. The first line names the kernels path and the core.
source "$(dirname "$0")/common.sh"
rc=0; run 1 run "$SWEEPS/progress.yaml" -o "$WORK/p1.h5" 2>"$WORK/err.txt" || rc=$?
[ $rc = 0 ] || { cat "$WORK/err.txt" >&2; fail "run alone: exit $rc"; }
single=$(grep -c "running 1 ([0-9]*%)" "$WORK/err.txt")
bundle=$(grep -c "running 3 ([0-9]*%)" "$WORK/err.txt")
# 640 steps = ticks at steps 0, 64, ..., 576: the single point reports at least 9 times with a fraction > 0,
# the bundle of three 3 * 10 - 1 times (the very first tick of the unit has trained nothing yet).
[ "$single" -ge 9 ] || { cat "$WORK/err.txt" >&2; fail "single point: $single in-flight lines, expected >= 9"; }
[ "$bundle" -ge 29 ] || { cat "$WORK/err.txt" >&2; fail "bundle: $bundle in-flight lines, expected >= 29"; }
grep -q "running 3 (9[0-9]%)" "$WORK/err.txt" || fail "the bundle never reached 90% in flight"
# The fraction never goes backwards within a unit, and a rate and an ETA are known before any point is done.
grep -m1 "done 0/4.*running 1 (" "$WORK/err.txt" | grep -q "ETA [0-9]" || fail "no ETA before the first point finished"
awk -F'[(%]' '/running 3 \(/ { v = $2 + 0; if (v < last) bad = 1; last = v } END { exit bad }' "$WORK/err.txt" \
  || fail "the in-flight fraction of the bundle went backwards"
grep -qx "final=1" "$WORK/p1.h5.progress" && grep -qx "inflight=0.0000" "$WORK/p1.h5.progress" \
  || fail "final progress file: $(cat "$WORK/p1.h5.progress")"
[ "$(complete "$WORK/p1.h5")" = "done=4 failed=0 pending=0 skipped=2" ] || fail "alone: $(complete "$WORK/p1.h5")"
# The first line names the kernels path and OpenBLAS core (and who chose them); the path is the one the file records.
first=$(head -1 "$WORK/err.txt")
isa=$(h5dump -a /kernels_isa "$WORK/p1.h5" | grep -oE '"[a-z0-9]+"' | tr -d '"')
echo "$first" | grep -qE "^tms-sweep run: kernels $isa \(.+\), OpenBLAS core \S+ \(.+\)\$" ||
  fail "the first line does not name the kernels path the file records ($isa) and the OpenBLAS core: '$first'"
run 2 run "$SWEEPS/progress.yaml" -o "$WORK/p2.h5" --quiet || fail "run at 2 ranks: exit $?"
same "$WORK/p1.h5" "$WORK/p2.h5"
echo "PASS: in-flight progress alone ($single single-point and $bundle bundle lines), same results as 2 ranks"
