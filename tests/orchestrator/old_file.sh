#!/usr/bin/env bash
# /points/eval_s (the final evaluation's seconds, part of wall_s) in a new file, and files made before it existed:
# every done point of a run has 0 < eval_s <= wall_s and every other point NaN; a file without the dataset (made
# by deleting it from a run's file, scales detached first, and marking 8 done points pending, as a kill would
# leave them) is resumed (bitwise the results of the uninterrupted run, and still without eval_s), read by
# tms-post, and reused by --reuse (the reused points get NaN eval_s, the rest their own times).
source "$(dirname "$0")/common.sh"
PY=/usr/bin/python3
"$PY" -c "import h5py, numpy" 2>/dev/null || { echo "SKIP: python3-h5py missing"; exit 77; }
Y="$SWEEPS/tiny.yaml"
run 1 run "$Y" -o "$WORK/full.h5" --quiet || fail "run: exit $?"
complete "$WORK/full.h5" >/dev/null
"$PY" - "$WORK/full.h5" <<'PYEOF' || fail "eval_s of a new file (see above)"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    st, ev, wall = (f[k][()].ravel() for k in ("points/status", "points/eval_s", "points/wall_s"))
done = st == 1
assert done.sum() == 20, f"{done.sum()} done points, want 20"
assert (ev[done] > 0).all() and (ev[done] <= wall[done]).all(), f"eval_s {ev[done]} not in (0, wall_s {wall[done]}]"
assert np.isnan(ev[~done]).all(), f"eval_s of points not done: {ev[~done]} (want NaN)"
print(f"  new file: eval_s {ev[done].min():.2e} .. {ev[done].max():.2e} s of wall_s {wall[done].min():.2e} .. "
      f"{wall[done].max():.2e} s")
PYEOF
cp "$WORK/full.h5" "$WORK/old.h5"
"$PY" - "$WORK/old.h5" <<'PYEOF' || fail "making the old file (see above)"
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    d = f["points/eval_s"]
    for dim in d.dims:
        for scale in list(dim.values()):
            dim.detach_scale(scale)
    del f["points/eval_s"]
    st = f["points/status"]
    s = st[()].ravel()
    pend = [i for i in range(s.size) if s[i] == 1][:8]
    s[pend] = 0
    st[...] = s.reshape(st.shape)
PYEOF
"$TMS_POST" "$WORK/old.h5" -o "$WORK/old_post.h5" >"$WORK/post.txt" 2>&1 || { cat "$WORK/post.txt"; fail "tms-post of a file without eval_s: exit $?"; }
run 1 run "$Y" -o "$WORK/old.h5" --resume --quiet 2>"$WORK/resume.txt" || { cat "$WORK/resume.txt"; fail "--resume of a file without eval_s: exit $?"; }
complete "$WORK/old.h5" >/dev/null
same "$WORK/full.h5" "$WORK/old.h5"
"$PY" -c "import sys, h5py; sys.exit('points/eval_s' in h5py.File(sys.argv[1], 'r'))" "$WORK/old.h5" ||
  fail "the resumed old file gained /points/eval_s (a resume writes raw data only)"
echo "  old file: tms-post reads it; --resume trained the 8 pending points, results equal to the full run"
run 1 run "$SWEEPS/reuse_refined.yaml" -o "$WORK/new.h5" --reuse "$WORK/old.h5" --quiet 2>"$WORK/reuse.txt" ||
  { cat "$WORK/reuse.txt"; fail "--reuse of a file without eval_s: exit $?"; }
complete "$WORK/new.h5" >/dev/null
"$PY" - "$WORK/new.h5" <<'PYEOF' || fail "eval_s after --reuse of an old file (see above)"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    st, ev, att = (f[k][()].ravel() for k in ("points/status", "points/eval_s", "points/attempts"))
done = st == 1
reused = done & np.isnan(ev)
trained = done & ~np.isnan(ev)
assert reused.sum() == 20 and trained.sum() == 64, f"{reused.sum()} done with NaN eval_s (want the 20 reused), " \
    f"{trained.sum()} with a time (want the 64 trained)"
assert (ev[trained] > 0).all(), f"trained points' eval_s {ev[trained]}"
print(f"  --reuse of the old file: 20 reused points with NaN eval_s, 64 trained with their own")
PYEOF
echo "PASS: eval_s recorded; files without it are read, resumed and reused"
