# common.sh: helpers for the orchestrator's script tests (sourced, not run).
# Needs TMS_SWEEP, MPIEXEC, TMS_TEST_DIR from CTest (tests/CMakeLists.txt) and CHECK = path of orch_check ($1).
set -u
CHECK=${1:?usage: $0 PATH/TO/orch_check}
SWEEPS="$TMS_TEST_DIR/orchestrator"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tms-orch.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export OPENBLAS_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
command -v h5diff >/dev/null || { echo "SKIP: h5diff (hdf5-tools) not installed"; exit 77; }

fail() { echo "FAIL: $*" >&2; exit 1; }

# run NP ARGS...: tms-sweep alone when NP is 1 (an MPI singleton), else under $MPIEXEC.
run() {
  local np=$1; shift
  if [ "$np" = 1 ]; then "$TMS_SWEEP" "$@"
  else "$MPIEXEC" -np "$np" --oversubscribe "$TMS_SWEEP" "$@"; fi
}

# same A B: the result datasets of two files are bitwise equal (wall_s, eval_s and provenance excluded).
same() {
  local g d ex=()
  # the netCDF dimension scales linked into each group hold object references, which differ between files
  for d in $(h5dump -a /dim_names "$1" | grep -oE '"[^"]+"' | tr -d '"' | grep -v '^/dim_names$') \
    feature hidden curve snapshot eval; do ex+=(--exclude-path "/$d"); done
  for g in /results /metrics /params /points/status /points/seed; do
    h5diff "${ex[@]}" "$1" "$2" "$g" "$g" >"$WORK/diff.txt" 2>&1 || { head -30 "$WORK/diff.txt" >&2; fail "$g differs between $1 and $2"; }
  done
}

# complete FILE: opens, every done point complete; prints the counts line.
complete() { "$CHECK" "$1" || fail "$1 is not consistent (see above)"; }

# rank_pid LAUNCHER RANK: the pid of that MPI rank among the launcher's children (from OMPI_COMM_WORLD_RANK).
rank_pid() {
  local p
  for p in $(pgrep -P "$1"); do
    { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && { echo "$p"; return; }
  done
}

# alive PID: a live (not zombie) MPI rank.
alive() {
  [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ] &&
    { tr '\0' '\n' <"/proc/$1/environ"; } 2>/dev/null | grep -q "^OMPI_COMM_WORLD_RANK="
}
