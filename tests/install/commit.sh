#!/usr/bin/env bash
# commit.sh TMS_SWEEP SOURCE_DIR: the git commit a build records is taken at build time with a dirty mark.
# 1. tms-sweep --version names `git describe --always --dirty --abbrev=12` of the source tree as it is now (the
#    commit must match; the dirty mark may differ only if files were edited after the build).
# 2. cmake/git_commit.cmake, on a scratch repository: writes the commit, adds "-dirty" once a tracked file changes, and leaves its output untouched (same mtime)
#    when nothing changed, so an unchanged tree recompiles nothing.
set -euo pipefail
SWEEP=$1
SRC=$2
fail=0
want=$(git -C "$SRC" describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
got=$("$SWEEP" --version | sed -n 's/^tms-sweep [^ ]* (\(.*\))$/\1/p')
if [ "$got" != "$want" ]; then
  if [ "${got%-dirty}" = "${want%-dirty}" ]; then  # files edited (or reverted) since the build: same commit
    echo "note: built as '$got', the tree is now '$want' (tracked files changed after the build)"
  else
    echo "FAIL: tms-sweep --version says commit '$got', the tree is at '$want' (rebuild before testing?)"; fail=1
  fi
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
git -C "$TMP" init -q repo
git -C "$TMP/repo" -c user.name=t -c user.email=t@t commit -q --allow-empty -m one
echo a > "$TMP/repo/f"
git -C "$TMP/repo" add f
git -C "$TMP/repo" -c user.name=t -c user.email=t@t commit -q -m two
gen() { cmake -DSRC="$TMP/repo" -DOUT="$TMP/out.c" -DVERSION=9.9.9 -P "$SRC/cmake/git_commit.cmake"; }
head=$(git -C "$TMP/repo" rev-parse --short=12 HEAD)
gen
grep -q "return \"$head\";" "$TMP/out.c" || { echo "FAIL: clean tree: want $head in"; cat "$TMP/out.c"; fail=1; }
touch -d '2000-01-01' "$TMP/out.c"
gen
[ "$(stat -c %Y "$TMP/out.c")" = "$(date -d 2000-01-01 +%s)" ] || { echo "FAIL: unchanged tree rewrote the output"; fail=1; }
echo b > "$TMP/repo/f"
gen
grep -q "return \"$head-dirty\";" "$TMP/out.c" || { echo "FAIL: edited tree: want $head-dirty in"; cat "$TMP/out.c"; fail=1; }
grep -q 'tms_version(void) { return "9.9.9"; }' "$TMP/out.c" || { echo "FAIL: version not written"; fail=1; }
[ "$fail" -eq 0 ] && echo "commit: build records '$got'; the generator follows HEAD and the dirty mark"
exit "$fail"
