# common.sh: helpers of the science script tests (sourced). Env from tms_script_test: TMS_SWEEP, TMS_POST,
# TMS_TEST_DIR, MPIEXEC. Sweeps run under MPI with 3 ranks (the root mostly sleeps, 2 train) when mpiexec exists,
# else as an MPI singleton; results do not depend on the rank count (orchestrator contract).
set -u
NAME=${NAME:-science}
fail() { echo "$NAME: FAILED: $*" >&2; exit 1; }
[ -x "${TMS_SWEEP:-}" ] && [ -x "${TMS_POST:-}" ] || { echo "$NAME: binaries missing, skipped"; exit 77; }
SCI="$TMS_TEST_DIR/science"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tms-science.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export OPENBLAS_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# sweep YAML OUT.h5: tms-sweep run, log kept in $WORK and shown on failure; prints the wall time.
sweep() {
  local t0=$SECONDS rc
  if [ -n "${MPIEXEC:-}" ] && [ -x "${MPIEXEC:-}" ]; then
    "$MPIEXEC" -n 3 --oversubscribe "$TMS_SWEEP" run "$1" -o "$2" --quiet >"$WORK/sweep.log" 2>&1
  else
    "$TMS_SWEEP" run "$1" -o "$2" --quiet >"$WORK/sweep.log" 2>&1
  fi
  rc=$?
  [ $rc -eq 0 ] || { cat "$WORK/sweep.log" >&2; fail "tms-sweep run $1 exited $rc"; }
  echo "$NAME: tms-sweep run $(basename "$1"): $((SECONDS - t0)) s"
}
