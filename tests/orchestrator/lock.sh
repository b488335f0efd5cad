#!/usr/bin/env bash
# One writer per results file (store/lock.h): a second run on a file being written is refused (exit 2) naming the
# holder; a lock left by a killed run is stale and does not block the resume; a lock of another host is never
# broken; a requeued Slurm job takes over the lock of its earlier incarnation; of two runs racing for a new file
# exactly one writes it.
source "$(dirname "$0")/common.sh"
host=$(hostname)
out="$WORK/s.h5"
wait_for() { for _ in $(seq 1 200); do [ -e "$1" ] && return 0; sleep 0.05; done; fail "$1 never appeared"; }

# 1. A live holder: refused with exit 2, the message names host, pid and start time; the file is untouched.
"$TMS_SWEEP" run "$SWEEPS/slow.yaml" -o "$out" --quiet 2>/dev/null &
holder=$!
wait_for "$out.lock"
wait_for "$out"
grep -q "^pid=$holder$" "$out.lock" || { cat "$out.lock"; fail "the lock does not name pid $holder"; }
sum_before=$(md5sum <"$out")
for args in --resume --force; do
  "$TMS_SWEEP" run "$SWEEPS/slow.yaml" -o "$out" $args --quiet 2>"$WORK/err.txt"
  rc=$?
  [ $rc = 2 ] || { cat "$WORK/err.txt"; fail "second run ($args) on a file being written: exit $rc, expected 2"; }
  grep -q "host $host, pid $holder, started 20" "$WORK/err.txt" || { cat "$WORK/err.txt"; fail "message does not name the holder"; }
  [ "$(wc -l <"$WORK/err.txt")" = 1 ] || { cat "$WORK/err.txt"; fail "more than one line"; }
done
echo "live holder: refused with exit 2: $(cat "$WORK/err.txt")"

# 2. The holder is killed (SIGKILL leaves its lock): the resume takes the stale lock over and finishes the run.
kill -KILL $holder; wait $holder 2>/dev/null
[ -e "$out.lock" ] || fail "SIGKILL should leave the lock behind"
run 1 run "$SWEEPS/slow.yaml" -o "$out" --resume --quiet 2>"$WORK/err.txt" || { cat "$WORK/err.txt"; fail "resume after a kill: exit $?"; }
grep -q "replaced the stale lock" "$WORK/err.txt" || { cat "$WORK/err.txt"; fail "resume did not say it replaced a stale lock"; }
[ ! -e "$out.lock" ] || fail "the lock is still there after the run ended"
[ "$(complete "$out")" = "done=2 failed=0 pending=0 skipped=0" ] || fail "after resume: $(complete "$out")"
echo "killed holder: lock recognised as stale, resumed to the end, lock removed"

# Hand-made locks on a finished small file (the run then has nothing to train, or very little).
t="$WORK/t.h5"
run 1 run "$SWEEPS/tiny.yaml" -o "$t" --quiet || fail "tiny run: exit $?"
lock() { printf 'tms-lock/1\nhost=%s\npid=%s\nstart=2026-01-01T00:00:00Z\nboot_id=%s\nproc_start=%s\nslurm_job=%s\nslurm_restart=%s\n' \
  "$1" "$2" "$(cat /proc/sys/kernel/random/boot_id)" "$3" "$4" "$5" >"$t.lock"; }
expect() { # expect RC WHAT [env...]: resume $t and check the exit code
  local want=$1 what=$2; shift 2
  env "$@" "$TMS_SWEEP" run "$SWEEPS/tiny.yaml" -o "$t" --resume --quiet 2>"$WORK/err.txt"
  local rc=$?
  [ $rc = "$want" ] || { cat "$WORK/err.txt"; fail "$what: exit $rc, expected $want"; }
  echo "$what: exit $rc"
}
sleep 0 & dead=$!; wait $dead
lock "$host" $dead 0 "" -1
expect 0 "lock of a dead pid on this host"
[ ! -e "$t.lock" ] || fail "stale lock not removed"
me_start=$(awk '{ sub(/.*\) /, ""); print $20 }' /proc/$$/stat)
lock "$host" $$ "$me_start" "" -1
expect 2 "lock of a live process on this host"
lock "$host" $$ 1 "" -1
expect 0 "lock of a pid now used by another process (start time differs)"
bash -c 'sleep 0 & echo $! >"$1"; exec sleep 5' zombie "$WORK/zpid" & parent=$! # its child is never reaped
for _ in $(seq 1 100); do [ -s "$WORK/zpid" ] && grep -q '^[0-9]* ([^)]*) Z' /proc/$(cat "$WORK/zpid")/stat 2>/dev/null && break; sleep 0.05; done
lock "$host" "$(cat "$WORK/zpid")" 0 "" -1
expect 0 "lock of a killed process not yet reaped (zombie)"
kill $parent 2>/dev/null; wait $parent 2>/dev/null
lock "elsewhere.example" $dead 0 "" -1
expect 2 "lock from another host (cannot be checked: never broken)"
grep -q "host elsewhere.example" "$WORK/err.txt" || fail "the other host is not named"
expect 2 "  ... also under another Slurm job" SLURM_JOB_ID=9 SLURM_RESTART_COUNT=1
lock "elsewhere.example" $dead 0 42 0
expect 2 "lock of this Slurm job's own incarnation on another host" SLURM_JOB_ID=42 SLURM_RESTART_COUNT=0
expect 0 "lock of an earlier incarnation of this Slurm job (requeued)" SLURM_JOB_ID=42 SLURM_RESTART_COUNT=1
echo "garbage" >"$t.lock"
expect 2 "a lock file that is not ours"
rm -f "$t.lock"

# 3. Two runs race for one new file: exactly one writes it, the other is refused (locked, or the file exists).
for i in 1 2 3; do
  r="$WORK/race$i.h5"
  "$TMS_SWEEP" run "$SWEEPS/tiny.yaml" -o "$r" --quiet 2>"$WORK/a.txt" & a=$!
  "$TMS_SWEEP" run "$SWEEPS/tiny.yaml" -o "$r" --quiet 2>"$WORK/b.txt" & b=$!
  wait $a; ra=$?; wait $b; rb=$?
  [ "$(printf '%s\n' $ra $rb | sort | tr '\n' ' ')" = "0 2 " ] || { cat "$WORK/a.txt" "$WORK/b.txt"; fail "race $i: exits $ra and $rb, expected 0 and 2"; }
  [ "$(complete "$r")" = "done=20 failed=0 pending=0 skipped=4" ] || fail "race $i: $(complete "$r")"
done
echo "PASS: one writer per results file"
