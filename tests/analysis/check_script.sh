#!/bin/sh
# check_script: one CTest case for one analysis script, run on the synthetic fixture of make_fixture.py.
# Checks: --help works; the script writes a non-empty PNG (checked by its 8-byte signature); with DATASET
# removed from the fixture it exits non-zero and names DATASET on stderr. Exit 77 (skip) when /usr/bin/python3
# with h5py, numpy and matplotlib is not available.
# usage: check_script.sh ANALYSIS_DIR SCRIPT PRESET DATASET [script args...]
# (SCRIPT make_figures.py is called as: make_figures.py PRESET RESULTS --post POST -o OUTDIR)
set -u
adir=$1; script=$2; preset=$3; missing=$4; shift 4
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
if [ ! -x "$py" ] || ! "$py" -c 'import h5py, numpy, matplotlib' 2>/dev/null; then
  echo "skip: $py with h5py, numpy and matplotlib is needed (Debian: python3-h5py python3-matplotlib)"
  exit 77
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/tms-analysis.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
export MPLBACKEND=Agg MPLCONFIGDIR="$dir/mpl"
fail() { echo "FAIL: $*"; exit 1; }

"$py" "$adir/$script" --help > "$dir/help.txt" 2>&1 || fail "$script --help exited non-zero: $(cat "$dir/help.txt")"
grep -q "usage" "$dir/help.txt" || fail "$script --help printed no usage line"

"$py" "$here/make_fixture.py" "$preset" "$dir/r.h5" "$dir/p.h5"; rc=$?
[ "$rc" = 77 ] && exit 77  # no tms-post to write the post file
[ "$rc" = 0 ] || fail "fixture generator failed (exit $rc)"
if [ "$script" = make_figures.py ]; then
  "$py" "$adir/$script" "$preset" "$dir/r.h5" --post "$dir/p.h5" -o "$dir/figs" "$@" > "$dir/out.txt" 2>&1 \
    || fail "make_figures exited non-zero: $(cat "$dir/out.txt")"
  count=0
  for f in "$dir"/figs/*.png; do
    [ -s "$f" ] || fail "empty or missing figure $f"
    count=$((count + 1))
  done
  [ "$count" -ge 1 ] || fail "make_figures wrote no PNG"
  echo "ok: make_figures wrote $count PNG files"
else
  "$py" "$adir/$script" "$dir/r.h5" --post "$dir/p.h5" -o "$dir/out.png" "$@" > "$dir/out.txt" 2>&1 \
    || fail "$script exited non-zero: $(cat "$dir/out.txt")"
  [ -s "$dir/out.png" ] || fail "$script wrote no PNG (or an empty one)"
  sig=$(od -An -tx1 -N8 "$dir/out.png" | tr -d ' \n')
  [ "$sig" = "89504e470d0a1a0a" ] || fail "$dir/out.png is not a PNG (first bytes $sig)"
  echo "ok: $script wrote a PNG of $(wc -c < "$dir/out.png") bytes"
fi

# the same with one dataset missing: a clear error naming it
"$py" "$here/make_fixture.py" "$preset" "$dir/r2.h5" "$dir/p2.h5" --drop "$missing" || fail "fixture generator failed"
if [ "$script" = make_figures.py ]; then
  "$py" "$adir/$script" "$preset" "$dir/r2.h5" --post "$dir/p2.h5" -o "$dir/figs2" "$@" > "$dir/err.txt" 2>&1
else
  "$py" "$adir/$script" "$dir/r2.h5" --post "$dir/p2.h5" -o "$dir/out2.png" "$@" > "$dir/err.txt" 2>&1
fi
rc=$?
[ "$rc" -ne 0 ] || fail "$script exited 0 although $missing is missing"
grep -q -- "$missing" "$dir/err.txt" || fail "$script exited $rc but did not name $missing: $(cat "$dir/err.txt")"
grep -q "Traceback" "$dir/err.txt" \
  && fail "$script crashed with a traceback instead of a clear error: $(cat "$dir/err.txt")"
echo "ok: without $missing: exit $rc, message: $(grep -- "$missing" "$dir/err.txt" | head -1)"
exit 0
