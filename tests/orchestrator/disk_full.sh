#!/usr/bin/env bash
# A full disk (store/space.h) on a real, small file system: a tmpfs of 2 MB mounted by the test (root only; skips
# with 77 where mounting is impossible). Never a crash: one line from tms-sweep and exit 3, nothing half-made left,
# and what was committed stays.
#  1. the file does not fit: refused before it is created (the free-space check);
#  2. the check skipped (TMS_NO_SPACE_CHECK=1): creation itself runs out of space;
#  3. the disk fills up while the run trains: the file was allocated in full when created, so the run finishes;
#     a resume on the full disk cannot take its lock and stops with exit 3; after freeing space it succeeds.
source "$(dirname "$0")/common.sh"
mnt="$WORK/mnt"
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=2m tmpfs "$mnt" 2>"$WORK/mount.txt"; then
  echo "SKIP: cannot mount a small tmpfs for the disk-full test (needs root and mount rights): $(cat "$WORK/mount.txt")"
  exit 77
fi
trap 'umount "$mnt" 2>/dev/null; rm -rf "$WORK"' EXIT

one_line_exit3() { # one_line_exit3 WHAT RC ERRFILE PATTERN
  local what=$1 rc=$2 errf=$3 pattern=$4
  [ "$rc" = 3 ] || { cat "$errf"; fail "$what: exit $rc, expected 3"; }
  grep -qiE "segmentation|signal|backtrace" "$errf" && { cat "$errf"; fail "$what: crashed"; }
  [ "$(grep -c '^tms-sweep' "$errf")" = 1 ] || { cat "$errf"; fail "$what: not exactly one line from tms-sweep"; }
  grep -q "$pattern" "$errf" || { cat "$errf"; fail "$what: the message does not say '$pattern'"; }
  echo "$what: exit 3: $(grep '^tms-sweep' "$errf")"
}
nothing_left() { [ -z "$(ls -A "$mnt")" ] || { ls -la "$mnt"; fail "$1: files left behind"; }; }

"$TMS_SWEEP" run "$SWEEPS/diskfull.yaml" -o "$mnt/a.h5" --quiet 2>"$WORK/err.txt"
one_line_exit3 "file larger than the free space" $? "$WORK/err.txt" "needs about"
nothing_left "refused before creating"

TMS_NO_SPACE_CHECK=1 "$TMS_SWEEP" run "$SWEEPS/diskfull.yaml" -o "$mnt/a.h5" --quiet 2>"$WORK/err.txt"
one_line_exit3 "creation runs out of space" $? "$WORK/err.txt" "no space left"
nothing_left "failed creation"

out="$mnt/f.h5"
"$TMS_SWEEP" run "$SWEEPS/fill.yaml" -o "$out" --quiet 2>"$WORK/run.txt" &
pid=$!
for _ in $(seq 1 200); do [ -e "$out" ] && break; sleep 0.02; done
[ -e "$out" ] || fail "the run never published $out"
dd if=/dev/zero of="$mnt/ballast" bs=64k 2>/dev/null # until the disk is full
avail=$(df -B1 --output=avail "$mnt" | tail -1)
wait $pid
rc=$?
grep -qiE "segmentation|signal" "$WORK/run.txt" && { cat "$WORK/run.txt"; fail "the run on a disk filled meanwhile crashed"; }
kill -0 $pid 2>/dev/null && fail "run still alive"
[ $rc = 0 ] || { cat "$WORK/run.txt"; fail "run on a disk filled while it trained: exit $rc (space was allocated at creation)"; }
[ "$(complete "$out")" = "done=40 failed=0 pending=0 skipped=0" ] || fail "after the disk filled: $(complete "$out")"
echo "disk filled during the run (${avail} bytes left): exit 0, every point done"
dd if=/dev/zero of="$mnt/ballast2" bs=4k 2>/dev/null # the space the run's lock and progress files gave back
"$TMS_SWEEP" run "$SWEEPS/fill.yaml" -o "$out" --resume --quiet 2>"$WORK/err.txt"
one_line_exit3 "resume on the full disk" $? "$WORK/err.txt" "no space\|No space"
[ "$(complete "$out")" = "done=40 failed=0 pending=0 skipped=0" ] || fail "the full disk cost points: $(complete "$out")"
rm -f "$mnt/ballast" "$mnt/ballast2"
"$TMS_SWEEP" run "$SWEEPS/fill.yaml" -o "$out" --resume --quiet || fail "resume after freeing space: exit $?"
echo "PASS: a full disk gives one line and exit 3, never a crash; what was committed stays"
