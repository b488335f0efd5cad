#!/bin/sh
# limits: `plan` and `run` refuse a 1e10-point sweep and a 3e8-point sweep of 3 TB within a second, exit 2, naming
# the size and the limit, and `run` creates no file. The limits come from the axes alone (grid_limits.c): before
# that, validation visited every point and `plan` spun for minutes.
set -u
: "${TMS_SWEEP:?TMS_SWEEP must point at the tms-sweep binary}"
: "${TMS_TEST_DIR:?TMS_TEST_DIR must point at tests/}"
fail=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
# check NAME WANT CMD...: exit 2 within 1 s, stderr containing WANT.
check() {
  name=$1 want=$2; shift 2
  t0=$(now)
  err=$("$@" 2>&1 >/dev/null); rc=$?
  dt=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')
  [ "$rc" = 2 ] || { echo "FAILED: $name exited $rc, want 2: $err"; fail=1; }
  case "$err" in *"$want"*) ;; *) echo "FAILED: $name: want '$want' on stderr, got: $err"; fail=1 ;; esac
  if awk -v d="$dt" 'BEGIN { exit !(d > 1.0) }'; then echo "FAILED: $name took $dt s, want under 1 s"; fail=1; fi
  echo "$name: exit $rc in $dt s: $err"
}
points="the grid has 1e+10 points (a results file of about 3.17e+03 GB), more than the limit of 1e+09 points"
size="the results file would be about 2.96e+03 GB (3e+08 points), above the limit of 50 GB"
for cmd in plan run; do
  o=""; [ $cmd = run ] && o="-o $work/out.h5"
  check "$cmd huge_points" "$points" "$TMS_SWEEP" $cmd "$TMS_TEST_DIR/sweeps/bad/huge_points.yaml" $o
  check "$cmd huge_size" "$size" "$TMS_SWEEP" $cmd "$TMS_TEST_DIR/sweeps/bad/huge_size.yaml" $o
done
[ -e "$work/out.h5" ] && { echo "FAILED: a refused run created $work/out.h5"; fail=1; }
exit $fail
