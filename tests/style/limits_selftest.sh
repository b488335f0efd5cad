#!/usr/bin/env bash
# limits_selftest.sh: limits.py must fail on a planted 601-line file and an 81-line function (counted from the
# line of its return type to its closing brace), pass 80-line functions and a 600-line file, and flag an owed file
# that is compliant.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/src/1_model/x" "$T/tests/style"
fn() {  # fn NAME LINES: a function of exactly LINES lines, with a brace in a string and a comment
  printf 'static int\n%s(void) { /* { */\n' "$1"
  for ((i = 0; i < $2 - 4; i++)); do printf '  x += 1; /* "}" */\n'; done
  printf '  return "}"[0];\n}\n'
}
{ echo 'static int x;'; fn ok80 80; fn long81 81; } > "$T/src/1_model/x/a.c"
{ for ((i = 0; i < 601; i++)); do echo "/* line $i */"; done; } > "$T/src/1_model/x/big.c"
{ for ((i = 0; i < 600; i++)); do echo "/* line $i */"; done; } > "$T/src/1_model/x/full.c"
echo 'src/1_model/x/full.c  someone' > "$T/tests/style/limits_owed.txt"
set +e
out=$(/usr/bin/python3 "$HERE/limits.py" "$T"); rc=$?
set -e
echo "$out"
fail=0
[ "$rc" -eq 1 ] || { echo "FAIL: exit $rc, want 1"; fail=1; }
grep -qF 'src/1_model/x/a.c:82: function long81 is 81 lines, 82-162 (limit 80)' <<<"$out" || { echo "FAIL: long81 not reported"; fail=1; }
grep -qF 'src/1_model/x/big.c: 601 lines (limit 600)' <<<"$out" || { echo "FAIL: big.c not reported"; fail=1; }
grep -qF 'full.c: within the limits now: delete its line' <<<"$out" || { echo "FAIL: compliant owed file not flagged"; fail=1; }
! grep -q 'ok80' <<<"$out" || { echo "FAIL: an 80-line function was reported"; fail=1; }
[ "$fail" -eq 0 ] && echo "limits_selftest: every planted violation was reported, nothing else"
exit "$fail"
