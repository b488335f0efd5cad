#!/usr/bin/env bash
# Issue 11 item 5: one worker rank dies mid-run (SIGKILL, as the OOM killer or a node failure would). Under mpirun
# the launcher then aborts the whole job and exits 128 + 9 = 137 (the README's documented code for a rank killed by
# a signal); no rank may outlive it; the file opens, every point committed before the end is complete (orch_check)
# and bitwise equal to the same point of an uninterrupted run; `--resume` finishes the sweep, bitwise equal to that
# run. The kill is made on evidence of progress (the progress file counts committed points), not after a fixed
# sleep, and the sweep (tests/orchestrator/worker_kill.yaml, 64 points) is long enough that most of it is still to
# do then, even on a much faster machine; a kill that came too late fails the test rather than passing it.
source "$(dirname "$0")/common.sh"
YAML="$SWEEPS/worker_kill.yaml"
NP=3
"$MPIEXEC" -np $NP --oversubscribe "$TMS_SWEEP" run "$YAML" -o "$WORK/ref.h5" --quiet || fail "uninterrupted run: exit $?"
out="$WORK/w.h5"
"$MPIEXEC" -np $NP --oversubscribe "$TMS_SWEEP" run "$YAML" -o "$out" --quiet 2>"$WORK/err.txt" & launcher=$!
# Evidence of progress: some points committed (the root rewrites OUT.h5.progress every 0.1 s).
until grep -qE '^done=[1-9]' "$out.progress" 2>/dev/null; do
  kill -0 $launcher 2>/dev/null || { cat "$WORK/err.txt" >&2; fail "the run ended before committing a point"; }
  sleep 0.02
done
ranks=$(pgrep -P $launcher | tr '\n' ' ')
worker=$(rank_pid $launcher 1)
[ -n "$worker" ] || fail "no rank 1 among the launcher's children ($ranks)"
at_kill=$(grep -E '^(done|pending)=' "$out.progress" | tr '\n' ' ')
kill -KILL "$worker" || fail "could not SIGKILL rank 1 (pid $worker)"
for _ in $(seq 600); do kill -0 $launcher 2>/dev/null || break; sleep 0.1; done
if kill -0 $launcher 2>/dev/null; then
  kill -KILL $launcher $ranks 2>/dev/null
  fail "mpirun still ran 60 s after its worker rank 1 was killed: a hang"
fi
rc=0; wait $launcher || rc=$?
echo "killed rank 1 (pid $worker) at progress: $at_kill; mpirun exited $rc"
[ $rc = 137 ] || { cat "$WORK/err.txt" >&2; fail "mpirun exited $rc after a worker was SIGKILLed, expected 137 (128 + SIGKILL)"; }
for p in $ranks; do
  for _ in $(seq 100); do alive "$p" || break; sleep 0.1; done
  alive "$p" && { kill -KILL "$p"; fail "rank pid $p outlived mpirun by 10 s"; }
done
counts=$(complete "$out"); echo "after the kill: $counts"
case "$counts" in
  *"pending=0 "*) fail "the kill landed after the last point (the sweep is too short for this machine): $counts";;
  "done=0 "*) fail "nothing committed after the kill: $counts";;
esac
# Every committed point equals the uninterrupted run's, bit for bit (results, metrics, seed).
/usr/bin/python3 - "$WORK/ref.h5" "$out" <<'PY' || fail "a point committed before the kill differs from the uninterrupted run"
import sys, h5py, numpy as np
ref, got = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
done = got["/points/status"][...] == 1  # TMS_POINT_DONE
names = []
for g in ("/results", "/metrics"):
    got[g].visititems(lambda n, o: names.append(g + "/" + n)
                      if isinstance(o, h5py.Dataset) and o.shape[:done.ndim] == done.shape else None)
names.append("/points/seed")
bad = 0
for n in names:
    a, b = ref[n][...][done], got[n][...][done]
    same = np.array_equal(a.view(np.uint8), b.view(np.uint8)) if a.dtype.kind == "f" else np.array_equal(a, b)
    if not same:
        bad += 1
        print(f"{n}: the {int(done.sum())} committed points differ from the uninterrupted run "
              f"(max |diff| {np.nanmax(np.abs(a.astype(float) - b.astype(float)))})")
print(f"{int(done.sum())} committed points, {len(names)} datasets: {'all bitwise equal' if not bad else f'{bad} differ'}")
sys.exit(1 if bad else 0)
PY
[ -e "$out.lock" ] && echo "the killed run's lock is left behind: $(tr '\n' ' ' <"$out.lock")"
"$MPIEXEC" -np $NP --oversubscribe "$TMS_SWEEP" run "$YAML" -o "$out" --resume --quiet || fail "resume: exit $?"
[ "$(complete "$out")" = "done=64 failed=0 pending=0 skipped=0" ] || fail "after the resume: $(complete "$out")"
same "$WORK/ref.h5" "$out"
echo "PASS: a SIGKILLed worker ends the run with exit 137, committed points intact, --resume identical to an uninterrupted run"
