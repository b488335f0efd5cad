#!/usr/bin/env bash
# orch_check can fail: on a complete run of tiny.yaml (W history and evaluation curve present) it passes and says it
# checked both; the same file with /results/W_history wiped to NaN, then with /results/eval_curve wiped to NaN, then
# with one done point's loss wiped, each makes it exit 1 naming what broke.
source "$(dirname "$0")/common.sh"
PY=/usr/bin/python3
"$PY" -c "import h5py, numpy" 2>/dev/null || { echo "SKIP: python3-h5py not installed"; exit 77; }
run 1 run "$SWEEPS/tiny.yaml" -o "$WORK/r.h5" --quiet || fail "run exited $?"
"$CHECK" "$WORK/r.h5" >/dev/null 2>"$WORK/ok.txt" || { cat "$WORK/ok.txt"; fail "the intact file does not pass"; }
grep -q "checked W_history eval_curve" "$WORK/ok.txt" || fail "orch_check did not check both curves: $(cat "$WORK/ok.txt")"

# wipe DATASET EXPECTED-MESSAGE: a copy with DATASET set to NaN everywhere must fail with that message.
wipe() {
  cp "$WORK/r.h5" "$WORK/bad.h5"
  "$PY" - "$WORK/bad.h5" "$1" <<'PYEOF' || fail "cannot corrupt $1"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    d = f[sys.argv[2]]
    d[...] = np.full(d.shape, np.nan, dtype=d.dtype)
PYEOF
  rc=0; "$CHECK" "$WORK/bad.h5" >/dev/null 2>"$WORK/err.txt" || rc=$?
  [ $rc -eq 1 ] || fail "$1 wiped to NaN: orch_check exited $rc, want 1 ($(cat "$WORK/err.txt"))"
  grep -q "$2" "$WORK/err.txt" || fail "$1 wiped: the complaint does not say '$2': $(cat "$WORK/err.txt")"
}
wipe /results/W_history "first W-history entry is not finite"
wipe /results/eval_curve "evaluation-curve entry within its length is not finite"
wipe /results/loss "its loss is not finite"
echo "PASS: orch_check fails on corrupted W_history, eval_curve and loss"
