#!/usr/bin/env bash
# --reuse: a refined sweep (reuse_refined.yaml: new density values between tiny.yaml's, a third replicate, a
# larger shape) given tiny.yaml's file copies exactly the 20 points they share, trains only the other 64, and
# writes bitwise what a run from scratch writes (at 1 and 3 ranks; wall_s and provenance aside). Also: the other
# direction (smaller extents), a point that differs only in lr or steps is not reused, a failed old point is not
# reused, several files (the first that has a point wins), --resume with --reuse, and the old files unchanged.
source "$(dirname "$0")/common.sh"
OLD_YAML="$SWEEPS/tiny.yaml"
NEW_YAML="$SWEEPS/reuse_refined.yaml"
run 1 run "$OLD_YAML" -o "$WORK/old.h5" --quiet || fail "old run: exit $?"
run 1 run "$NEW_YAML" -o "$WORK/scratch.h5" --quiet || fail "scratch run: exit $?"
old_sum=$(sha256sum <"$WORK/old.h5")

# reused_of LOG: the number of the "reused N point(s) from" line; trained_of FILE: done_this_run of its progress.
reused_of() { sed -n 's/.*: reused \([0-9]*\) point(s) from .*/\1/p' "$1" | awk '{s += $1} END {print s + 0}'; }
trained_of() { sed -n 's/^done_this_run=//p' "$1.progress"; }
# check NAME FILE LOG REUSED TRAINED REFERENCE
check() {
  local r t
  r=$(reused_of "$3"); t=$(trained_of "$2")
  [ "$r" = "$4" ] || { cat "$3"; fail "$1: reused $r points, expected $4"; }
  [ "$t" = "$5" ] || { cat "$3"; fail "$1: trained $t points, expected $5"; }
  grep -q "done ($4 reused)" "$3" || { cat "$3"; fail "$1: the summary does not say $4 reused"; }
  complete "$2" >/dev/null
  same "$6" "$2"
  echo "  $1: reused $r, trained $t, equal to a run from scratch"
}

for np in 1 3; do
  run $np run "$NEW_YAML" -o "$WORK/new$np.h5" --reuse "$WORK/old.h5" 2>"$WORK/log$np.txt" || fail "np $np: exit $?"
  check "refined, $np rank(s)" "$WORK/new$np.h5" "$WORK/log$np.txt" 20 64 "$WORK/scratch.h5"
done
grep -q "20 point(s) reused in all, 64 to train" "$WORK/log1.txt" || { cat "$WORK/log1.txt"; fail "no total line"; }

# The other direction: the refined file holds every point of tiny.yaml (its rows re-padded to smaller extents).
run 1 run "$OLD_YAML" -o "$WORK/back.h5" --reuse "$WORK/scratch.h5" 2>"$WORK/log.txt" || fail "back: exit $?"
check "smaller extents" "$WORK/back.h5" "$WORK/log.txt" 20 0 "$WORK/old.h5"

# Training settings are part of a point: lr as an axis (0.001 is the default, so those 20 points are tiny.yaml's;
# 0.002 is new) reuses 20; other steps reuse nothing.
sed -e 's/^name: orch-tiny/name: orch-tiny-lr/' -e 's/^  variant:/  lr: {values: [0.001, 0.002]}\n  variant:/' \
  "$OLD_YAML" >"$WORK/lr.yaml"
run 1 run "$WORK/lr.yaml" -o "$WORK/lr_scratch.h5" --quiet || fail "lr scratch: exit $?"
run 1 run "$WORK/lr.yaml" -o "$WORK/lr.h5" --reuse "$WORK/old.h5" 2>"$WORK/log.txt" || fail "lr: exit $?"
check "lr axis" "$WORK/lr.h5" "$WORK/log.txt" 20 20 "$WORK/lr_scratch.h5"
sed 's/steps: 200,/steps: 201,/' "$OLD_YAML" >"$WORK/steps.yaml"
run 1 run "$WORK/steps.yaml" -o "$WORK/steps_scratch.h5" --quiet || fail "steps scratch: exit $?"
run 1 run "$WORK/steps.yaml" -o "$WORK/steps.h5" --reuse "$WORK/old.h5" 2>"$WORK/log.txt" || fail "steps: exit $?"
check "other steps" "$WORK/steps.h5" "$WORK/log.txt" 0 20 "$WORK/steps_scratch.h5"

# A failed old point is trained, not copied; several files: the first that has a point wins, the second fills in.
cp "$WORK/old.h5" "$WORK/failed.h5"
/usr/bin/python3 - "$WORK/failed.h5" <<'PY' || fail "marking a point failed"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    s = f["/points/status"][...]
    i = np.flatnonzero(s.ravel() == 1)[0]
    s.flat[i] = 2
    f["/points/status"][...] = s
PY
run 1 run "$NEW_YAML" -o "$WORK/two.h5" --reuse "$WORK/failed.h5" --reuse "$WORK/old.h5" 2>"$WORK/log.txt" ||
  fail "two files: exit $?"
grep -q "reused 19 point(s) from $WORK/failed.h5" "$WORK/log.txt" &&
  grep -q "reused 1 point(s) from $WORK/old.h5" "$WORK/log.txt" || { cat "$WORK/log.txt"; fail "two files: counts"; }
check "failed point, two files" "$WORK/two.h5" "$WORK/log.txt" 20 64 "$WORK/scratch.h5"
run 1 run "$NEW_YAML" -o "$WORK/one_failed.h5" --reuse "$WORK/failed.h5" 2>"$WORK/log.txt" || fail "exit $?"
check "failed point" "$WORK/one_failed.h5" "$WORK/log.txt" 19 65 "$WORK/scratch.h5"

# --resume with --reuse: the points the file has done stay (not rewritten), the old file fills the pending ones.
cp "$WORK/scratch.h5" "$WORK/half.h5"
/usr/bin/python3 - "$WORK/half.h5" "$WORK/old.h5" <<'PY' >"$WORK/expect.txt" || fail "making a half-done file"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f, h5py.File(sys.argv[2], "r") as o:
    s = f["/points/status"][...]
    flat = s.reshape(-1)
    flat[::2] = np.where(flat[::2] == 1, 0, flat[::2])  # every other point pending again
    f["/points/status"][...] = s
    old = {int(x) for x in o["/points/seed"][...].ravel()[o["/points/status"][...].ravel() == 1]}
    seeds = f["/points/seed"][...].ravel()
    pend = flat == 0
    shared = sum(int(x) in old for x in seeds[pend])
    print(shared, int(pend.sum()) - shared)
PY
read -r want_reused want_trained <"$WORK/expect.txt"
run 1 run "$NEW_YAML" -o "$WORK/half.h5" --resume --reuse "$WORK/old.h5" 2>"$WORK/log.txt" || fail "resume: exit $?"
check "--resume --reuse" "$WORK/half.h5" "$WORK/log.txt" "$want_reused" "$want_trained" "$WORK/scratch.h5"

[ "$(sha256sum <"$WORK/old.h5")" = "$old_sum" ] || fail "the old file was modified"
# Negative control: the comparison sees a changed result.
cp "$WORK/new1.h5" "$WORK/bad.h5"
/usr/bin/python3 -c "import sys,h5py; f=h5py.File(sys.argv[1],'r+'); w=f['/results/W']; a=w[...]; a.flat[0]+=1e-6; w[...]=a" "$WORK/bad.h5"
if (same "$WORK/scratch.h5" "$WORK/bad.h5") 2>/dev/null; then fail "a changed W went unnoticed"; fi
echo "PASS: --reuse copies exactly the shared points, bitwise equal to runs from scratch"
