#!/usr/bin/env bash
# Bad input never starts a run and touches no file; an existing file is kept unless --force; --help is true.
source "$(dirname "$0")/common.sh"
out="$WORK/out.h5"
nofile() { for f in "$out" "$out.creating" "$out.progress"; do [ ! -e "$f" ] || fail "$1 left $f behind"; done; }

printf 'schema: tms-sweep/1\nname: bad\nseed: 1\nfixed: {n_features: 3, n_hidden: 2, density: 0.5, stepz: 10}\n' > "$WORK/bad.yaml"
for np in 1 2; do
  rc=0; run $np run "$WORK/bad.yaml" -o "$out" 2>"$WORK/err.txt" || rc=$?
  [ $rc = 2 ] || fail "bad sweep at $np ranks: exit $rc, expected 2"
  grep -q "stepz" "$WORK/err.txt" || fail "the error does not name the bad key: $(cat "$WORK/err.txt")"
  nofile "a bad sweep"
done
rc=0; run 1 run "$WORK/missing.yaml" -o "$out" 2>/dev/null || rc=$?
[ $rc = 2 ] || fail "missing sweep file: exit $rc"; nofile "a missing sweep file"
rc=0; run 1 run "$SWEEPS/tiny.yaml" 2>/dev/null || rc=$?
[ $rc = 2 ] || fail "missing -o: exit $rc"
rc=0; run 1 run "$SWEEPS/tiny.yaml" -o "$out" --resume 2>/dev/null || rc=$?
[ $rc = 2 ] || fail "--resume of a missing file: exit $rc"; nofile "--resume of a missing file"
rc=0; run 1 run "$SWEEPS/tiny.yaml" -o "$out" --resume --force 2>/dev/null || rc=$?
[ $rc = 2 ] || fail "--resume --force: exit $rc"; nofile "--resume --force"
rc=0; run 1 run "$SWEEPS/tiny.yaml" -o "$out" --bogus 2>/dev/null || rc=$?
[ $rc = 2 ] || fail "unknown flag: exit $rc"; nofile "an unknown flag"

# An existing file is never overwritten without --force.
echo "precious" > "$out"
for np in 1 2; do
  rc=0; run $np run "$SWEEPS/tiny.yaml" -o "$out" 2>"$WORK/err.txt" || rc=$?
  [ $rc = 2 ] || fail "existing output at $np ranks: exit $rc, expected 2"
  [ "$(cat "$out")" = "precious" ] || fail "existing output was modified without --force"
  grep -q -- "--force" "$WORK/err.txt" || fail "the refusal does not mention --force"
done
run 1 run "$SWEEPS/tiny.yaml" -o "$out" --force --quiet || fail "--force: exit $?"
complete "$out" >/dev/null

# A finished file resumes to a no-op; a changed sweep is refused unless --force-resume.
cp "$out" "$WORK/before.h5"
run 2 run "$SWEEPS/tiny.yaml" -o "$out" --resume --quiet || fail "resume of a finished run: exit $?"
same "$WORK/before.h5" "$out"
sed 's/^seed: 7$/seed: 8/' "$SWEEPS/tiny.yaml" > "$WORK/changed.yaml"
rc=0; run 1 run "$WORK/changed.yaml" -o "$out" --resume 2>"$WORK/err.txt" || rc=$?
[ $rc = 2 ] || fail "resume with a changed sweep: exit $rc, expected 2"
grep -q "config hash" "$WORK/err.txt" || fail "the refusal does not explain: $(cat "$WORK/err.txt")"
same "$WORK/before.h5" "$out"
# --force-resume with another master seed: every point has another seed, so every finished point is trained again
# (said even with --quiet) and the file equals a fresh run of the changed sweep.
run 1 run "$WORK/changed.yaml" -o "$out" --force-resume --quiet 2>"$WORK/err.txt" || fail "--force-resume: exit $?"
grep -q "force-resume: 20 finished points .* trained again" "$WORK/err.txt" ||
  fail "--force-resume did not say that the 20 finished points are retrained: $(cat "$WORK/err.txt")"
run 1 run "$WORK/changed.yaml" -o "$WORK/changed.h5" --quiet || fail "fresh run of the changed sweep: exit $?"
same "$WORK/changed.h5" "$out"
# Only the exclusion changed: the finished points keep their results (nothing said), the newly included cells are
# trained, and the file again equals a fresh run.
grep -v '^exclude:' "$WORK/changed.yaml" > "$WORK/unexcluded.yaml"
run 1 run "$WORK/unexcluded.yaml" -o "$out" --force-resume --quiet 2>"$WORK/err.txt" || fail "--force-resume: exit $?"
grep -q "trained again" "$WORK/err.txt" && fail "--force-resume retrained unchanged points: $(cat "$WORK/err.txt")"
[ "$(complete "$out")" = "done=24 failed=0 pending=0 skipped=0" ] || fail "after --force-resume: $(complete "$out")"
run 1 run "$WORK/unexcluded.yaml" -o "$WORK/unexcluded.h5" --quiet || fail "fresh run without the exclusion: exit $?"
same "$WORK/unexcluded.h5" "$out"

# --help tells the truth: every flag and the exit codes.
run 1 run --help > "$WORK/help.txt" || fail "--help exit $?"
for w in -o --output= --resume --force --force-resume --quiet -q --help 75 "exit codes" SIGUSR1 "exits 1"; do
  grep -q -- "$w" "$WORK/help.txt" || fail "run --help does not mention $w"
done
"$TMS_SWEEP" --help > "$WORK/main_help.txt" || fail "tms-sweep --help exit $?"
for w in train plan run -o --output= --resume --force-resume --force --quiet --version "exit codes" \
         "  0 " "  1 " "  2 " "  3 " "  75 " SIGUSR1 "exits 1"; do
  grep -q -- "$w" "$WORK/main_help.txt" || fail "tms-sweep --help does not mention '$w'"
done
rc=0; "$TMS_SWEEP" run "$SWEEPS/tiny.yaml" -o "$WORK/x.h5" --force-resume --force 2>/dev/null || rc=$?
[ $rc = 2 ] || fail "--force-resume with --force: exit $rc, expected 2"
[ ! -e "$WORK/x.h5" ] || fail "--force-resume with --force wrote a file"
echo "PASS: bad input, existing output, --force, --resume checks, --help"
