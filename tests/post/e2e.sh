#!/usr/bin/env bash
# tms-post end to end: tms-sweep runs a tiny phase sweep (tests/post/e2e_tiny.yaml), tms-post derives its products
# and CSV, `tms-post theory` writes both closed-form diagrams, --help names every flag the parser accepts, and every
# subcommand's --help prints its usage and exits 0.
# Env (from tms_script_test): TMS_SWEEP, TMS_POST, TMS_TEST_DIR.
set -u
fail() { echo "post_e2e: FAILED: $*" >&2; exit 1; }
[ -x "${TMS_SWEEP:-}" ] && [ -x "${TMS_POST:-}" ] || { echo "post_e2e: binaries missing, skipped"; exit 77; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/tms_post_e2e.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1

"$TMS_SWEEP" run "$TMS_TEST_DIR/post/e2e_tiny.yaml" -o r.h5 >sweep.log 2>&1 || { cat sweep.log; fail "tms-sweep run exited $?"; }
"$TMS_POST" r.h5 -o p.h5 --csv csv --drop-worst >post.log 2>&1
rc=$?
cat post.log
[ $rc -eq 0 ] || fail "tms-post exited $rc"
grep -q "54 of 54 points done" post.log || fail "post did not report 54 of 54 points done"
grep -q "theory agreement" post.log || fail "no theory agreement reported for the n=2,m=1 / n=3,m=2 relu_out cells"
lines() { wc -l <"$1" | tr -d ' '; }
[ "$(lines csv/phase.csv)" = 19 ] || fail "phase.csv has $(lines csv/phase.csv) lines, want 1 + 18 cells"
[ "$(lines csv/summary.csv)" = 55 ] || fail "summary.csv has $(lines csv/summary.csv) lines, want 1 + 54 points"
# 27 points of n=2 and 27 of n=3: 54 + 81 feature rows
[ "$(lines csv/features.csv)" = 136 ] || fail "features.csv has $(lines csv/features.csv) lines, want 1 + 135"
head -1 csv/phase.csv | grep -q '^size,n_features,n_hidden,last_importance,density,class,' ||
  fail "phase.csv header: $(head -1 csv/phase.csv)"

# refuses to overwrite without --force (exit 2), accepts with it
"$TMS_POST" r.h5 -o p.h5 >/dev/null 2>err.txt
rc=$?
[ $rc -eq 2 ] && grep -q "TMS_ERR_EXISTS" err.txt || fail "existing output: exit $rc, $(cat err.txt)"
"$TMS_POST" r.h5 -o p.h5 --force --feature 0 --no-vulnerability >/dev/null || fail "--force --feature 0 failed"

for nm in "2 1" "3 2"; do
  set -- $nm
  "$TMS_POST" theory --n "$1" --m "$2" --importance-logspace -1 1 21 --density-logspace 0 -2 21 -o "t$1.h5" \
    --csv "tcsv$1" >/dev/null || fail "theory n=$1 m=$2 exited $?"
  [ "$(lines "tcsv$1/phase.csv")" = 442 ] || fail "theory phase.csv n=$1 has $(lines "tcsv$1/phase.csv") lines"
done
"$TMS_POST" theory --n 4 --m 2 --importance-logspace -1 1 3 --density-logspace 0 -2 3 -o t4.h5 >/dev/null 2>&1
[ $? -eq 2 ] || fail "theory n=4 m=2 must exit 2"

# the grid-rank limit is one number: a sweep of 16 one-value axes (rank 17 with replicate) runs and post-processes
{
  printf 'schema: tms-sweep/1\nname: sixteen-axes\nseed: 3\nfixed: {n_features: 2, n_hidden: 1}\naxes:\n'
  for kv in "variant: [relu_out]" "importance_decay: [1.0]" "optimizer: [adamw]" "lr: [0.001]" \
    "weight_decay: [0.0]" "beta1: [0.9]" "beta2: [0.999]" "eps: [1.0e-8]" "schedule: [constant]" \
    "init: [xavier]" "steps: [50]" "batch_size: [64]" "log_every: [10]" "eval_batch: [256]" \
    "correlation: [independent]" "density: [1.0]"; do
    printf '  %s: {values: %s}\n' "${kv%%:*}" "${kv#*: }"
  done
  printf 'replicates: 2\n'
} >sixteen.yaml
"$TMS_SWEEP" run sixteen.yaml -o s16.h5 >s16.log 2>&1 || { cat s16.log; fail "16-axis sweep exited $?"; }
"$TMS_POST" s16.h5 -o s16p.h5 >s16p.log 2>&1 || { cat s16p.log; fail "tms-post on a 16-axis sweep exited $?"; }
grep -q "2 of 2 points done" s16p.log || fail "16-axis post: $(cat s16p.log)"

# --help tells the truth: every flag the parser knows is documented
"$TMS_POST" --help >help.txt || fail "--help exited non-zero"
for flag in -o --output --csv --feature --drop-worst --attack-batch --no-vulnerability --force --n --m \
  --importance-logspace --density-logspace --version; do
  grep -q -- "$flag" help.txt || fail "--help does not mention $flag"
done
# every subcommand's --help prints its usage and exits 0 (-h too)
for sub in "" theory check layout; do
  for h in --help -h; do
    "$TMS_POST" $sub $h >sub_help.txt 2>&1 || fail "tms-post $sub $h exited $? ($(head -2 sub_help.txt))"
    grep -q "usage" sub_help.txt || fail "tms-post $sub $h printed no usage"
    [ -z "$sub" ] || grep -q "tms-post $sub" sub_help.txt || fail "tms-post $sub $h does not show its own usage"
  done
done
echo "post_e2e: ok"
