#!/usr/bin/env bash
# cmd_train_smoke: `tms-sweep train` trains 5 features in 2 dims, prints the per-feature table, writes an HDF5
# results file of one point that tms-post reads; --help lists every registry flag; a bad flag value exits 2 naming the flag;
# the first line says which kernels path and OpenBLAS core run and who chose them.
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
# The first line names the kernels path and OpenBLAS core and who chose each (an inherited variable must show).
tiny() { "$@" "$TMS_SWEEP" train --n-features 2 --n-hidden 1 --density 1 --steps 1 --eval-batch 16 2>&1 | head -1; }
line=$(tiny env -u TMS_ISA -u OPENBLAS_CORETYPE)
echo "$line" | grep -qE "^tms-sweep train: kernels [a-z0-9]+ \(the CPU's widest; TMS_ISA overrides\), OpenBLAS core \S+ \((OpenBLAS's own choice|OPENBLAS_CORETYPE=\S+ set by tms)" ||
  fail "with nothing set, the first line does not say the CPU and OpenBLAS chose: '$line'"
line=$(tiny env TMS_ISA=generic OPENBLAS_CORETYPE=Prescott)
want="tms-sweep train: kernels generic (TMS_ISA=generic from the environment), OpenBLAS core Prescott (OPENBLAS_CORETYPE=Prescott from the environment)"
[ "$line" = "$want" ] || fail "with TMS_ISA=generic OPENBLAS_CORETYPE=Prescott the first line is '$line', want '$want'"
# --out is an ordinary results file of one point: the store's layout (validated by the schema through tms-post),
# W of shape (1 x 5 x 2) under a grid of one point, the trained seed, and tms-post reads it.
if command -v h5ls >/dev/null; then
  listing=$(h5ls -r "$dir/X.h5") || fail "h5ls cannot read the file"
  for ds in /points/status /results/W /results/b /results/loss_curve /results/loss /metrics/dimensionality \
    /metrics/dstar /params/n_features /axes/replicate; do
    echo "$listing" | grep -qE "^$ds +Dataset" || fail "dataset $ds missing from the file: $listing"
  done
  echo "$listing" | grep -qE '^/results/W +Dataset \{1, 5, 2\}' || fail "W is not 1 x 5 x 2: $listing"
  echo "$listing" | grep -qE '^/results/loss_curve +Dataset \{1, 21\}' || fail "loss_curve is not 1 x 21: $listing"
  attrs=$(h5dump -A "$dir/X.h5") || fail "h5dump cannot read attributes"
  h5dump -a /schema "$dir/X.h5" | grep -q '"tms-results/1"' || fail "schema is not tms-results/1"
  seed=$(h5dump -d /points/seed "$dir/X.h5" | grep -oE '\(0\): [0-9]+' | grep -oE '[0-9]+$')
  [ "$seed" = 7 ] || fail "/points/seed is '$seed', the --seed trained with is 7"
  status=$(h5dump -d /points/status "$dir/X.h5" | grep -oE '\(0\): [0-9]+' | grep -oE '[0-9]+$')
  [ "$status" = 1 ] || fail "/points/status is '$status', want 1 (done)"
fi
if [ -n "${TMS_POST:-}" ]; then
  "$TMS_POST" "$dir/X.h5" -o "$dir/P.h5" >"$dir/post.txt" 2>&1 || { cat "$dir/post.txt"; fail "tms-post refuses it"; }
  grep -q "1 of 1 points done" "$dir/post.txt" || fail "tms-post: $(cat "$dir/post.txt")"
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
