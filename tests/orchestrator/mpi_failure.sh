#!/usr/bin/env bash
# Issue 10 item 3: an MPI call of tms-sweep fails for real and the binary exits 3, as the README documents.
# `mpirun -np 2 tms-sweep run mpi_failure.yaml : -np 1 foreign_worker mpi_failure_foreign.yaml`: rank 2 speaks the
# start-up protocol and runs the real worker on points with 4 features instead of 2, so the root's MPI_Recv of its
# results fails with MPI_ERR_TRUNCATE (without MPI_ERRORS_RETURN that would abort the job). Must hold: mpirun exits
# 3, tms-sweep prints one line naming the call and MPI's error, every rank leaves (the foreign rank saw code 3
# broadcast), the file is consistent (orch_check) and `--resume` completes it, bitwise equal to a direct run.
source "$(dirname "$0")/common.sh"
FOREIGN=${2:?usage: $0 orch_check foreign_worker}
YAML="$SWEEPS/mpi_failure.yaml"
run 2 run "$YAML" -o "$WORK/ref.h5" --quiet || fail "the direct run: exit $?"
out="$WORK/f.h5"
rc=0
timeout 120 "$MPIEXEC" --oversubscribe -np 2 "$TMS_SWEEP" run "$YAML" -o "$out" --quiet : \
  -np 1 "$FOREIGN" "$SWEEPS/mpi_failure_foreign.yaml" >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
cat "$WORK/out.txt"
[ $rc = 124 ] && { cat "$WORK/err.txt" >&2; fail "the run with a foreign rank hung (killed after 120 s)"; }
[ $rc = 3 ] || { cat "$WORK/err.txt" >&2; fail "mpirun exited $rc after an MPI failure, expected 3 (runtime error)"; }
line=$(grep -E '^tms-sweep run: error: ' "$WORK/err.txt")
echo "tms-sweep said: $line"
echo "$line" | grep -q "MPI_Recv of results" || fail "the message does not name the failed call: '$line'"
echo "$line" | grep -qi "truncat" || fail "the message does not give MPI's error (MPI_ERR_TRUNCATE): '$line'"
grep -q "root's exit code: 3$" "$WORK/out.txt" || fail "the foreign rank did not see exit code 3 broadcast"
counts=$(complete "$out"); echo "after the failure: $counts"
case "$counts" in *"pending=0 "*) fail "no point left pending: the failure did not stop the run ($counts)";; esac
run 2 run "$YAML" -o "$out" --resume --quiet || fail "resume after the MPI failure: exit $?"
[ "$(complete "$out")" = "done=32 failed=0 pending=0 skipped=0" ] || fail "after the resume: $(complete "$out")"
same "$WORK/ref.h5" "$out"
echo "PASS: a failed MPI call (MPI_ERR_TRUNCATE at the root) gives exit 3 and one line; --resume completes the file"
