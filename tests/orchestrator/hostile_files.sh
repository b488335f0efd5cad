#!/usr/bin/env bash
# Hostile results files given to `tms-sweep run --resume`, to `--reuse` and to `tms-post`: truncated, random bytes,
# empty, another sweep's file, datasets of the wrong shape or type, attributes missing, out-of-range values
# (hostile_make.py), a read-only file, a read-only directory, a missing directory (and for --reuse: a missing or
# unreadable file, a directory, the output file itself). --reuse of a refused file must also leave the output as it
# was: not created by a fresh run, unchanged by a resume; another sweep's file, or garbage /params values, are
# not refused: their points just match nothing (exit 0, 0 reused). For each: the documented exit code (2: bad input;
# tms-post 3 only for a file locked by a run), exactly one line on stderr naming the path, no crash, and the file's
# checksum unchanged. A case a tool does not read (resume ignores /params values, which it rewrites from the
# sweep on --force-resume only; tms-post reads any sweep's file) must then succeed, also leaving the file as it was.
source "$(dirname "$0")/common.sh"
YAML="$SWEEPS/tiny.yaml"
"$TMS_SWEEP" run "$YAML" -o "$WORK/good.h5" --quiet || fail "making the good file: exit $?"
rm -f "$WORK/good.h5.progress"
mkdir -p "$WORK/bad"
/usr/bin/python3 "$SWEEPS/hostile_make.py" "$WORK/good.h5" "$WORK/bad" || fail "hostile_make.py"
sed -e 's/^name: orch-tiny/name: orch-other/' -e 's/^seed: 7/seed: 8/' "$YAML" >"$WORK/other.yaml"
"$TMS_SWEEP" run "$WORK/other.yaml" -o "$WORK/bad/other_sweep.h5" --quiet || fail "making another sweep's file"
rm -f "$WORK/bad/other_sweep.h5.progress"
cases=0
# A resumable output with one point pending, for --resume --reuse: a refused old file must leave it unchanged.
cp "$WORK/good.h5" "$WORK/part.h5"
/usr/bin/python3 -c "import h5py,sys; f=h5py.File(sys.argv[1],'r+'); s=f['/points/status']; a=s[...]; a.flat[0]=0; s[...]=a" "$WORK/part.h5"

# expect TOOL WANT FILE CMD...: run CMD on a copy of FILE; exit code WANT, one stderr line naming the path (unless
# WANT is 0), no crash, file unchanged.
expect() {
  local tool=$1 want=$2 file=$3; shift 3
  local sum; sum=$(sha256sum <"$file")
  local rc=0
  "$@" >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
  local lines; lines=$(grep -c . "$WORK/err.txt")
  grep -qiE "sanitizer|segmentation|core dumped|backtrace" "$WORK/err.txt" && { cat "$WORK/err.txt"; fail "$tool on $(basename "$file"): crashed"; }
  [ "$rc" = "$want" ] || { cat "$WORK/err.txt"; fail "$tool on $(basename "$file"): exit $rc, expected $want"; }
  if [ "$want" != 0 ]; then
    [ "$lines" = 1 ] || { cat "$WORK/err.txt"; fail "$tool on $(basename "$file"): $lines lines on stderr, expected 1"; }
    grep -qF "$file" "$WORK/err.txt" || { cat "$WORK/err.txt"; fail "$tool on $(basename "$file"): message does not name $file"; }
  fi
  [ "$(sha256sum <"$file")" = "$sum" ] || fail "$tool on $(basename "$file"): the file was modified"
  printf '  %-7s %-28s exit %s  %s\n' "$tool" "${LABEL:-$(basename "$file")}" "$rc" "$(head -c 150 "$WORK/err.txt")"
  cases=$((cases + 1))
}

# expect_reuse WANT OLD: a fresh run with --reuse OLD (exit WANT; refused: no output created; accepted: nothing
# reused, since every point of a damaged or foreign file differs), then, when WANT is 2, --resume --reuse OLD
# on part.h5 (refused, part.h5 unchanged).
expect_reuse() {
  local want=$1 old=$2
  rm -f "$WORK/n.h5" "$WORK/n.h5.progress"
  expect reuse "$want" "$old" "$TMS_SWEEP" run "$YAML" -o "$WORK/n.h5" --reuse "$old"
  if [ "$want" = 0 ]; then
    grep -q "reused 0 point(s) from $old" "$WORK/err.txt" || { cat "$WORK/err.txt"; fail "reuse of $old: points reused"; }
  else
    [ ! -e "$WORK/n.h5" ] && [ ! -e "$WORK/n.h5.creating" ] || fail "reuse of a refused $old created the output"
    local part; part=$(sha256sum <"$WORK/part.h5")
    LABEL="${LABEL:-$(basename "$old")} +resume"
    expect reuse 2 "$old" "$TMS_SWEEP" run "$YAML" -o "$WORK/part.h5" --resume --reuse "$old" --quiet
    LABEL=${LABEL% +resume}
    [ "$(sha256sum <"$WORK/part.h5")" = "$part" ] || fail "--resume --reuse of a refused $old changed the output"
  fi
  rm -f "$WORK/n.h5" "$WORK/n.h5.progress" "$WORK/part.h5.progress"
}

for f in "$WORK"/bad/*.h5; do
  name=$(basename "$f" .h5)
  case $name in n_features_garbage) want_resume=0 ;; *) want_resume=2 ;; esac
  case $name in other_sweep) want_post=0 ;; *) want_post=2 ;; esac
  cp "$f" "$WORK/t.h5"
  LABEL=$name
  if [ $want_resume = 0 ]; then # resumable: every point is done, so nothing is written
    expect resume 0 "$WORK/t.h5" "$TMS_SWEEP" run "$YAML" -o "$WORK/t.h5" --resume --quiet
  else
    expect resume 2 "$WORK/t.h5" "$TMS_SWEEP" run "$YAML" -o "$WORK/t.h5" --resume --quiet
  fi
  rm -f "$WORK/t.h5.progress" "$WORK/p.h5"
  expect post $want_post "$WORK/t.h5" "$TMS_POST" "$WORK/t.h5" -o "$WORK/p.h5" --no-vulnerability
  rm -f "$WORK/p.h5"
  case $name in n_features_garbage | other_sweep) want_reuse=0 ;; *) want_reuse=2 ;; esac
  expect_reuse $want_reuse "$WORK/t.h5"
done

LABEL=""
# A missing directory.
rc=0
"$TMS_SWEEP" run "$YAML" -o "$WORK/nodir/x.h5" --resume --quiet 2>"$WORK/err.txt" || rc=$?
[ $rc = 2 ] && grep -qF "$WORK/nodir/x.h5" "$WORK/err.txt" || { cat "$WORK/err.txt"; fail "resume into a missing directory: exit $rc"; }
echo "  resume  missing directory            exit $rc  $(head -c 150 "$WORK/err.txt")"
rc=0
"$TMS_POST" "$WORK/nodir/x.h5" -o "$WORK/p.h5" 2>"$WORK/err.txt" || rc=$?
[ $rc = 3 ] || [ $rc = 2 ] && grep -qF "$WORK/nodir/x.h5" "$WORK/err.txt" || { cat "$WORK/err.txt"; fail "post of a missing directory: exit $rc"; }
echo "  post    missing directory            exit $rc  $(head -c 150 "$WORK/err.txt")"
cases=$((cases + 2))

# --reuse of a missing file, of a missing directory, of a directory, of the output itself; none creates the output.
LABEL="missing file"; expect_reuse 2 "$WORK/absent.h5"
LABEL="missing directory"; expect_reuse 2 "$WORK/nodir/x.h5"
LABEL="a directory"; expect_reuse 2 "$WORK/bad"
LABEL="the output itself"
cp "$WORK/part.h5" "$WORK/self.h5"
expect reuse 2 "$WORK/self.h5" "$TMS_SWEEP" run "$YAML" -o "$WORK/self.h5" --resume --reuse "$WORK/self.h5" --quiet
LABEL=""

# Read-only file and directory: root ignores permissions, so these run as nobody (setpriv) when we are root.
as_user() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; else "$@"; fi; }
if [ "$(id -u)" != 0 ] || command -v setpriv >/dev/null; then
  ro="$WORK/ro"
  mkdir -p "$ro/dir"
  chmod 755 "$WORK" && chmod 777 "$ro" # nobody may create OUT.h5.lock beside the read-only file
  # a half-done file, so a resume has work to do and must write
  cp "$WORK/good.h5" "$ro/half.h5"
  /usr/bin/python3 -c "import h5py,sys; f=h5py.File(sys.argv[1],'r+'); s=f['/points/status']; a=s[...]; a.flat[0]=0; s[...]=a" "$ro/half.h5"
  cp "$ro/half.h5" "$ro/dir/half.h5"
  chmod 444 "$ro/half.h5"
  [ "$(id -u)" = 0 ] && chown -R 65534 "$ro/dir"
  chmod 555 "$ro/dir" && chmod 644 "$ro/dir/half.h5"
  expect resume 2 "$ro/half.h5" as_user "$TMS_SWEEP" run "$YAML" -o "$ro/half.h5" --resume --quiet
  # A read-only directory: a fresh run cannot create its file (nor OUT.h5.lock) there: exit 3, I/O; a resume of a
  # writable file in it is refused (exit 2) since it cannot take the lock, and leaves the file as it was.
  rc=0
  as_user "$TMS_SWEEP" run "$YAML" -o "$ro/dir/new.h5" --quiet 2>"$WORK/err.txt" || rc=$?
  [ $rc = 3 ] && [ "$(grep -c . "$WORK/err.txt")" = 1 ] && grep -qF "$ro/dir/new.h5" "$WORK/err.txt" ||
    { cat "$WORK/err.txt"; fail "fresh run into a read-only directory: exit $rc, expected 3 with one line"; }
  echo "  run     read-only directory          exit $rc  $(head -c 150 "$WORK/err.txt")"
  cases=$((cases + 1))
  LABEL="writable file, read-only dir"
  expect resume 2 "$ro/dir/half.h5" as_user "$TMS_SWEEP" run "$YAML" -o "$ro/dir/half.h5" --resume --quiet
  LABEL=""
  mkdir -p "$ro/out" && chmod 777 "$ro/out"
  expect post 0 "$ro/half.h5" as_user "$TMS_POST" "$ro/half.h5" -o "$ro/out/p.h5" --no-vulnerability
  # --reuse only reads: a read-only old file is fine; one this user cannot read is refused, the output not created.
  expect reuse 0 "$ro/half.h5" as_user "$TMS_SWEEP" run "$YAML" -o "$ro/out/r.h5" --reuse "$ro/half.h5" --quiet
  cp "$WORK/good.h5" "$ro/secret.h5" && chmod 600 "$ro/secret.h5"
  expect reuse 2 "$ro/secret.h5" as_user "$TMS_SWEEP" run "$YAML" -o "$ro/out/s.h5" --reuse "$ro/secret.h5" --quiet
  [ ! -e "$ro/out/s.h5" ] || fail "reuse of an unreadable file created the output"
  chmod -R u+w "$ro"
else
  echo "  (read-only cases skipped: root without setpriv)"
fi
echo "PASS: $cases hostile cases: documented exit codes, one-line messages naming the file, no crash, files unchanged"
