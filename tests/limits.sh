#!/usr/bin/env bash
# limits: `plan` and `run` refuse a 1e10-point sweep and a 3e8-point sweep of 3 TB at once, exit 2, naming the size
# and the limit, and `run` creates no file. The limits come from the axes alone (grid_limits.c): before that,
# validation visited every point and `plan` spun for minutes. "At once": under 1 s of CPU (user + system, children
# included: the MPI singleton start of `run` too) and under 10 s of wall time even on a loaded machine.
set -u
: "${TMS_SWEEP:?TMS_SWEEP must point at the tms-sweep binary}"
: "${TMS_TEST_DIR:?TMS_TEST_DIR must point at tests/}"
fail=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
TIMEFORMAT='%R %U %S'
# check NAME WANT CMD...: exit 2 quickly, stderr containing WANT.
check() {
  local name=$1 want=$2 rc t; shift 2
  t=$( { time "$@" >/dev/null 2>"$work/err"; echo "rc=$?" >"$work/rc"; } 2>&1 )
  rc=$(sed 's/rc=//' "$work/rc")
  local err; err=$(cat "$work/err")
  read -r wall user sys <<<"$t"
  [ "$rc" = 2 ] || { echo "FAILED: $name exited $rc, want 2: $err"; fail=1; }
  case "$err" in *"$want"*) ;; *) echo "FAILED: $name: want '$want' on stderr, got: $err"; fail=1 ;; esac
  if awk -v u="$user" -v s="$sys" 'BEGIN { exit !(u + s > 1.0) }'; then
    echo "FAILED: $name took $user s user + $sys s system CPU, want under 1 s"; fail=1
  fi
  if awk -v w="$wall" 'BEGIN { exit !(w > 10.0) }'; then echo "FAILED: $name took $wall s, want under 10 s"; fail=1; fi
  echo "$name: exit $rc in $wall s ($user s user, $sys s system): $err"
}
points="the grid has 1e+10 points (a results file of about 3.17e+03 GB), more than the limit of 1e+09 points"
size="the results file would be about 2.96e+03 GB (3e+08 points), above the limit of 50 GB"
for cmd in plan run; do
  o=(); [ $cmd = run ] && o=(-o "$work/out.h5")
  check "$cmd huge_points" "$points" "$TMS_SWEEP" $cmd "$TMS_TEST_DIR/sweeps/bad/huge_points.yaml" "${o[@]}"
  check "$cmd huge_size" "$size" "$TMS_SWEEP" $cmd "$TMS_TEST_DIR/sweeps/bad/huge_size.yaml" "${o[@]}"
done
[ -e "$work/out.h5" ] && { echo "FAILED: a refused run created $work/out.h5"; fail=1; }
exit $fail
