#!/usr/bin/env bash
# Failed points (divergence at a huge learning rate; a point timeout) are recorded, retried up to
# run.max_attempts, the sweep goes on, a summary names them, and the exit code is 1.
source "$(dirname "$0")/common.sh"
rc=0; run 2 run "$SWEEPS/diverge.yaml" -o "$WORK/d.h5" 2>"$WORK/err.txt" || rc=$?
[ $rc = 1 ] || { cat "$WORK/err.txt"; fail "diverging sweep: exit $rc, expected 1"; }
counts=$(complete "$WORK/d.h5")
[ "$counts" = "done=3 failed=3 pending=0 skipped=0" ] || fail "counts $counts"
[ "$("$CHECK" "$WORK/d.h5" --print /points/status)" = "1 1 1 2 2 2" ] || fail "status"
[ "$("$CHECK" "$WORK/d.h5" --print /points/attempts)" = "1 1 1 2 2 2" ] || fail "attempts: $("$CHECK" "$WORK/d.h5" --print /points/attempts)"
[ "$("$CHECK" "$WORK/d.h5" --print /points/error)" = "0 0 0 6 6 6" ] || fail "error codes (6 = TMS_ERR_DIVERGED)"
grep -q "3 point(s) failed" "$WORK/err.txt" && grep -q "TMS_ERR_DIVERGED" "$WORK/err.txt" || fail "no failure summary"
# Resume retries failed points (they fail again: same seed, same divergence) and keeps counting attempts.
rc=0; run 1 run "$SWEEPS/diverge.yaml" -o "$WORK/d.h5" --resume --quiet 2>/dev/null || rc=$?
[ $rc = 1 ] || fail "resume of failed points: exit $rc"
[ "$("$CHECK" "$WORK/d.h5" --print /points/attempts)" = "1 1 1 4 4 4" ] || fail "attempts after resume"

# Timeout: every point exceeds a tiny run.point_timeout_s.
sed -e 's/^run: {/run: {point_timeout_s: 0.000001, /' -e 's/steps: 200,/steps: 100000,/' "$SWEEPS/diverge.yaml" > "$WORK/timeout.yaml"
rc=0; run 1 run "$WORK/timeout.yaml" -o "$WORK/t.h5" --quiet 2>"$WORK/err.txt" || rc=$?
[ $rc = 1 ] || { cat "$WORK/err.txt"; fail "timeout sweep: exit $rc, expected 1"; }
[ "$("$CHECK" "$WORK/t.h5" --print /points/error)" = "7 7 7 7 7 7" ] || fail "error codes (7 = TMS_ERR_TIMEOUT): $("$CHECK" "$WORK/t.h5" --print /points/error)"
echo "PASS: failures recorded, retried, summarised, exit 1"
