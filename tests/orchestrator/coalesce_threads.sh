#!/usr/bin/env bash
# Coalesced commits (store/commit.c) write exactly what point-by-point commits write, and tms-post's threaded
# attack gives the same products on any number of threads. Uses tms-store-bench (synthetic records, out of order
# as from 5 workers in units of 37 points): batches of 1 record (every run one point: the point-by-point path)
# against batches of 700 (runs crossing grid rows); then tms-post on 1 and 3 threads.
source "$(dirname "$0")/common.sh"
BENCH=${TMS_STORE_BENCH:?}
Y="$TMS_TEST_DIR/../bench/store_n2m1.yaml"
"$BENCH" "$Y" "$WORK/one.h5" -n 3000 -b 1 -u 37 -w 5 >"$WORK/one.txt" || { cat "$WORK/one.txt"; fail "bench -b 1"; }
"$BENCH" "$Y" "$WORK/run.h5" -n 3000 -b 700 -u 37 -w 5 >"$WORK/run.txt" || { cat "$WORK/run.txt"; fail "bench -b 700"; }
for g in /results /metrics /points; do
  h5diff "$WORK/one.h5" "$WORK/run.h5" $g $g >"$WORK/diff.txt" 2>&1 || { head -20 "$WORK/diff.txt"; fail "$g: batches of 700 differ from batches of 1"; }
done
echo "coalesced: $(grep -o '[0-9]* records/s' "$WORK/run.txt") in batches of 700 vs $(grep -o '[0-9]* records/s' "$WORK/one.txt") one by one, files equal"
for t in 1 3; do
  "$TMS_POST" "$WORK/run.h5" -o "$WORK/p$t.h5" --attack-batch 512 --threads $t >/dev/null 2>"$WORK/post.txt" || { cat "$WORK/post.txt"; fail "tms-post --threads $t"; }
done
for g in /vulnerability /phase /summary /features /neurons /dynamics /axes; do
  h5diff "$WORK/p1.h5" "$WORK/p3.h5" $g $g >"$WORK/diff.txt" 2>&1 || { head -20 "$WORK/diff.txt"; fail "$g differs between 1 and 3 threads"; }
done
n=$(/usr/bin/python3 -c "import h5py, numpy; print(int(numpy.isfinite(h5py.File('$WORK/p3.h5')['/vulnerability/value'][...]).sum()))" 2>/dev/null || echo "?")
echo "PASS: commits coalesce to the same bytes; tms-post products equal on 1 and 3 threads ($n attacked points)"
