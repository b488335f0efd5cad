#!/usr/bin/env bash
# Kill-safety: SIGKILL a run at three random moments (alone and under mpirun), check after each kill that the
# file opens and every point marked done is complete, resume, and finish bitwise equal to an uninterrupted run.
source "$(dirname "$0")/common.sh"
t0=$(date +%s.%N)
run 1 run "$SWEEPS/kill.yaml" -o "$WORK/ref.h5" --quiet || fail "uninterrupted run: exit $?"
T=$(awk -v a=$t0 -v b=$(date +%s.%N) 'BEGIN { printf "%.2f", b - a }')
echo "uninterrupted run (alone): ${T}s; kills land at random moments within that"
out="$WORK/k.h5"
start_args() { if [ -e "$out" ]; then echo --resume; else echo --force; fi; }
for i in 1 2 3; do
  delay=$(awk -v r=$RANDOM -v T=$T 'BEGIN { printf "%.2f", T * (0.1 + 0.8 * (r % 1000) / 1000) }')
  args=$(start_args)
  if [ $i = 2 ]; then
    "$MPIEXEC" -np 2 --oversubscribe "$TMS_SWEEP" run "$SWEEPS/kill.yaml" -o "$out" $args --quiet 2>/dev/null &
    launcher=$!
    sleep "$delay"
    kids=$(pgrep -P $launcher || true)
    [ -n "$kids" ] && kill -KILL $kids 2>/dev/null
    kill -KILL $launcher 2>/dev/null
  else
    "$TMS_SWEEP" run "$SWEEPS/kill.yaml" -o "$out" $args --quiet 2>/dev/null &
    launcher=$!
    sleep "$delay"
    kill -KILL $launcher 2>/dev/null
  fi
  wait $launcher 2>/dev/null
  # No process of this run may survive the kill and keep writing.
  for p in $(pgrep -f -- "-o $out" || true); do kill -KILL "$p" 2>/dev/null; done
  if [ -e "$out" ]; then
    echo "kill $i after ${delay}s ($args): $(complete "$out")"
  else
    echo "kill $i after ${delay}s: killed before the file was published (no $out, as promised)"
  fi
done
args=$(start_args)
run 2 run "$SWEEPS/kill.yaml" -o "$out" $args --quiet || fail "final resume: exit $?"
[ "$(complete "$out")" = "done=16 failed=0 pending=0 skipped=0" ] || fail "final counts: $(complete "$out")"
same "$WORK/ref.h5" "$out"
echo "PASS: killed three times, resumed, identical to the uninterrupted run"
