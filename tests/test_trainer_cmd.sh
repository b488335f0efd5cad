#!/usr/bin/env bash
# cmd_train_smoke: `tms-sweep train` trains 5 features in 2 dims, prints the per-feature table, writes an HDF5
# file with the documented datasets; --help lists every registry flag; a bad flag value exits 2 naming the flag.
set -u
fail() { echo "cmd_train_smoke: FAILED: $*" >&2; exit 1; }
[ -n "${TMS_SWEEP:-}" ] || fail "TMS_SWEEP is not set"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$TMS_SWEEP" train --n-features 5 --n-hidden 2 --density 0.05 --steps 2000 --seed 7 --out "$dir/X.h5" \
  >"$dir/out.txt" 2>"$dir/err.txt"
rc=$?
[ $rc -eq 0 ] || { cat "$dir/err.txt" >&2; fail "train exited $rc, want 0"; }
cat "$dir/out.txt"
grep -q '^final loss' "$dir/out.txt" || fail "no 'final loss' line"
grep -q 'importance.*density.*||W_i||.*s_i.*D_i.*b_i.*class.*geometry' "$dir/out.txt" || fail "no table header"
rows=$(grep -cE '^ +[0-4] ' "$dir/out.txt")
[ "$rows" -eq 5 ] || fail "table has $rows feature rows, want 5"
grep -q '^D\* = ' "$dir/out.txt" || fail "no D* line"
[ -s "$dir/X.h5" ] || fail "--out file not written"
if command -v h5ls >/dev/null; then
  listing=$(h5ls "$dir/X.h5") || fail "h5ls cannot read the file"
  for ds in W b loss_curve loss_curve_step final_loss norm interference dimensionality dstar; do
    echo "$listing" | grep -qE "^$ds +Dataset" || fail "dataset $ds missing from the file: $listing"
  done
  echo "$listing" | grep -qE '^W +Dataset \{5, 2\}' || fail "W is not 5 x 2: $listing"
  echo "$listing" | grep -qE '^loss_curve +Dataset \{21\}' || fail "loss_curve is not 21 long: $listing"
  attrs=$(h5dump -A "$dir/X.h5") || fail "h5dump cannot read attributes"
  for a in variant n_features density lr steps seed schema; do
    echo "$attrs" | grep -q "ATTRIBUTE \"$a\"" || fail "attribute $a missing"
  done
fi

# --help: every registry parameter as a flag, plus --seed, --out, --quiet
"$TMS_SWEEP" train --help >"$dir/help.txt" || fail "--help exited non-zero"
for f in variant n-features n-hidden density sparsity importance-decay last-importance last-density correlation \
  correlation-density correlated-sets set-size correlation-strength optimizer lr weight-decay beta1 beta2 eps \
  schedule init steps batch-size log-every eval-batch seed out quiet; do
  grep -q -- "--$f\b" "$dir/help.txt" || fail "--help does not list --$f"
done
grep -q 'default: 1e-3' "$dir/help.txt" || fail "--help does not show defaults"

# bad values: exit 2 and the message names the flag
check_bad() {
  local flag=$1; shift
  "$TMS_SWEEP" train "$@" >"$dir/bad.out" 2>"$dir/bad.err"
  local rc=$?
  [ $rc -eq 2 ] || fail "'$*' exited $rc, want 2"
  grep -q -- "$flag" "$dir/bad.err" || fail "'$*': message does not name $flag: $(cat "$dir/bad.err")"
}
check_bad --density --n-features 5 --n-hidden 2 --density 1.5
check_bad --n-hidden --n-features 5 --n-hidden two --density 0.1
check_bad --variant --n-features 5 --n-hidden 2 --density 0.1 --variant relu_middle
check_bad --bogus --n-features 5 --n-hidden 2 --density 0.1 --bogus 1
check_bad --n-features --n-hidden 2 --density 0.1
echo "cmd_train_smoke: passed"
