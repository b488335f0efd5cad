#!/bin/sh
# plan_smoke: `tms-sweep plan` on a good file exits 0 and prints the right point count; on a bad file it exits 2
# with file:line:col: key on stderr; --help works; nothing is written to the working directory.
set -u
: "${TMS_SWEEP:?TMS_SWEEP must point at the tms-sweep binary}"
: "${TMS_TEST_DIR:?TMS_TEST_DIR must point at tests/}"
fail=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

out=$("$TMS_SWEEP" plan "$TMS_TEST_DIR/sweeps/good/design_example.yaml" 2>"$work/err.txt"); rc=$?
rm -f "$work/err.txt"
if [ $rc -ne 0 ]; then echo "FAILED: plan of the design example exited $rc, want 0"; fail=1; fi
if ! printf '%s\n' "$out" | grep -q '^points: *40960 (64 x 64 x 10)$'; then
  echo "FAILED: want a line 'points: 40960 (64 x 64 x 10)', got:"; printf '%s\n' "$out" | grep '^points' ; fail=1
fi
if ! printf '%s\n' "$out" | grep -q '^excluded: *10$'; then
  echo "FAILED: want 'excluded: 10', got:"; printf '%s\n' "$out" | grep '^excluded'; fail=1
fi
if ! printf '%s\n' "$out" | grep -Eq '^config hash: *[0-9a-f]{16}$'; then
  echo "FAILED: want a 16-hex-digit config hash line"; fail=1
fi

err=$("$TMS_SWEEP" plan "$TMS_TEST_DIR/sweeps/bad/bad_density.yaml" 2>&1 >/dev/null); rc=$?
if [ $rc -ne 2 ]; then echo "FAILED: plan of a bad file exited $rc, want 2"; fail=1; fi
case "$err" in
  *"bad_density.yaml:5:46: density:"*) ;;
  *) echo "FAILED: want 'bad_density.yaml:5:46: density:' on stderr, got: $err"; fail=1 ;;
esac

"$TMS_SWEEP" plan "$work/no_such.yaml" >/dev/null 2>&1; rc=$?
if [ $rc -ne 2 ]; then echo "FAILED: plan of a missing file exited $rc, want 2"; fail=1; fi

"$TMS_SWEEP" plan --help | grep -q 'usage: tms-sweep plan' || { echo "FAILED: plan --help"; fail=1; }

if [ -n "$(ls -A "$work")" ]; then echo "FAILED: plan wrote files: $(ls -A "$work")"; fail=1; fi
[ $fail -eq 0 ] && echo "plan_smoke: ok"
exit $fail
