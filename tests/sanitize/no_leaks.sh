#!/usr/bin/env bash
# no_leaks.sh LEAK_CANARY: issue 11 item 6 in the sanitizer build. A full multi-rank `tms-sweep run` (3 ranks: a
# root and two workers), a `--resume` of the finished file, and `tms-post` with CSV, each under ASan's leak
# checker (the CTest environment: detect_leaks=1, suppressions for Open MPI only). Every process must exit 0 with
# no LeakSanitizer report; first the canary must be caught, so the checker is known to be on.
# Env (from tms_script_test): TMS_SWEEP, TMS_POST, TMS_TEST_DIR, MPIEXEC.
set -uo pipefail
CANARY=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0

"$CANARY" >"$T/canary.out" 2>"$T/canary.err"; rc=$?
if [ "$rc" -eq 0 ] || ! grep -q 'ERROR: LeakSanitizer: detected memory leaks' "$T/canary.err"; then
  echo "FAIL: the leak checker did not catch the canary's 4096-byte leak (exit $rc); ASAN_OPTIONS=${ASAN_OPTIONS:-}"
  cat "$T/canary.err"
  exit 1
fi
echo "ok: the canary's leak is reported ($(grep -c 'Direct leak' "$T/canary.err") direct leak, exit $rc)"

check() {  # check NAME COMMAND...: exit 0 and no sanitizer report
  local name=$1; shift
  "$@" >"$T/$name.out" 2>"$T/$name.err"; local rc=$?
  if [ "$rc" -ne 0 ] || grep -qE 'ERROR: (LeakSanitizer|AddressSanitizer)|runtime error:' "$T/$name.err"; then
    echo "FAIL: $name exited $rc; its sanitizer report:"
    grep -E -A25 'ERROR: (LeakSanitizer|AddressSanitizer)|runtime error:' "$T/$name.err" | head -80
    [ -s "$T/$name.err" ] && tail -5 "$T/$name.err"
    fail=1
  else
    echo "ok: $name exits 0 with no leak"
  fi
}
check run "$MPIEXEC" -np 3 --oversubscribe "$TMS_SWEEP" run "$TMS_TEST_DIR/orchestrator/tiny.yaml" -o "$T/r.h5" --quiet
check resume "$MPIEXEC" -np 2 --oversubscribe "$TMS_SWEEP" run "$TMS_TEST_DIR/orchestrator/tiny.yaml" -o "$T/r.h5" \
  --resume --quiet
check alone "$TMS_SWEEP" run "$TMS_TEST_DIR/orchestrator/tiny.yaml" -o "$T/alone.h5" --quiet
check post "$TMS_POST" "$T/r.h5" -o "$T/p.h5" --csv "$T/csv"
check train "$TMS_SWEEP" train --variant relu_out --n-features 5 --n-hidden 2 --density 0.1 --steps 100
[ "$fail" -eq 0 ] && echo "no_leaks: tms-sweep run (3 ranks, resume, alone), train and tms-post leak nothing"
exit "$fail"
