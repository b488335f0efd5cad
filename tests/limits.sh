#!/usr/bin/env bash
# limits: `plan` and `run` refuse a 1e10-point sweep and a 3e8-point sweep of 3 TB at once, exit 2, naming the size
# and the limit, and `run` creates no file. The limits come from the axes alone (grid_limits.c): before that,
# validation visited every point and `plan` spun for minutes. "At once": under 1 s of CPU (user + system, children
# included) and under 10 s of wall time even on a loaded machine, beyond what the same command spends refusing a
# one-line error (bad_variant.yaml, the baseline measured first): what a refusal costs before it can look at the
# axes at all (the MPI singleton start of `run`: ~0.1 s in the Release build, seconds under ASan) is not counted.
set -u
: "${TMS_SWEEP:?TMS_SWEEP must point at the tms-sweep binary}"
: "${TMS_TEST_DIR:?TMS_TEST_DIR must point at tests/}"
fail=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
TIMEFORMAT='%R %U %S'
# timed CMD...: runs it; sets rc, err (its stderr), wall and cpu (user + system, children included).
timed() {
  local t
  t=$( { time "$@" >/dev/null 2>"$work/err"; echo "rc=$?" >"$work/rc"; } 2>&1 )
  rc=$(sed 's/rc=//' "$work/rc")
  err=$(cat "$work/err")
  local user sys
  read -r wall user sys <<<"$t"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
}
# check NAME WANT CMD...: exit 2 quickly (beyond the baseline base_cpu, base_wall), stderr containing WANT.
check() {
  local name=$1 want=$2; shift 2
  timed "$@"
  [ "$rc" = 2 ] || { echo "FAILED: $name exited $rc, want 2: $err"; fail=1; }
  case "$err" in *"$want"*) ;; *) echo "FAILED: $name: want '$want' on stderr, got: $err"; fail=1 ;; esac
  if awk -v c="$cpu" -v b="$base_cpu" 'BEGIN { exit !(c - b > 1.0) }'; then
    echo "FAILED: $name took $cpu s of CPU, $base_cpu s for a one-line error: want under 1 s more"; fail=1
  fi
  if awk -v w="$wall" -v b="$base_wall" 'BEGIN { exit !(w - b > 10.0) }'; then
    echo "FAILED: $name took $wall s, $base_wall s for a one-line error: want under 10 s more"; fail=1
  fi
  echo "$name: exit $rc in $wall s, $cpu s CPU (one-line error: $base_wall s, $base_cpu s): $err"
}
points="the grid has 1e+10 points (a results file of about 3.25e+03 GB), more than the limit of 1e+09 points"
size="the results file would be about 2.96e+03 GB (3e+08 points), above the limit of 50 GB"
for cmd in plan run; do
  o=(); [ $cmd = run ] && o=(-o "$work/out.h5")
  timed "$TMS_SWEEP" $cmd "$TMS_TEST_DIR/sweeps/bad/bad_variant.yaml" "${o[@]}"
  [ "$rc" = 2 ] || { echo "FAILED: $cmd bad_variant (the baseline) exited $rc, want 2: $err"; fail=1; }
  base_cpu=$cpu base_wall=$wall
  check "$cmd huge_points" "$points" "$TMS_SWEEP" $cmd "$TMS_TEST_DIR/sweeps/bad/huge_points.yaml" "${o[@]}"
  check "$cmd huge_size" "$size" "$TMS_SWEEP" $cmd "$TMS_TEST_DIR/sweeps/bad/huge_size.yaml" "${o[@]}"
done
[ -e "$work/out.h5" ] && { echo "FAILED: a refused run created $work/out.h5"; fail=1; }
exit $fail
