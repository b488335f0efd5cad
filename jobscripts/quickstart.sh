#!/usr/bin/env bash
# quickstart: the README's main job on a fresh Debian/Ubuntu machine, in one command:
#   install deps (jobscripts/install-deps.sh) -> configure + build (build/) -> the default sweep on every core
#   (out/default.h5) -> tms-post (out/default.post.h5, CSV in out/csv/) -> figures (out/figures/*.png).
# Re-running it continues an interrupted sweep (--resume) and redraws; a complete file is not retrained.
# Not here: any training or analysis logic (that lives in the binaries and analysis/).
# Environment (all optional): TMS_SWEEP_FILE (sweeps/default.yaml), TMS_OUT (out/default.h5),
#   TMS_EXPERIMENT (default: which figure set), TMS_NP (ranks; nproc + 1 because rank 0 only dispatches),
#   TMS_SKIP_DEPS=1 (do not call apt-get), TMS_BUILD_DIR (build), TMS_POST_ARGS (extra tms-post flags, e.g.
#   "--drop-worst" for E2).
set -euo pipefail
cd "$(dirname "$0")/.."

SWEEP=${TMS_SWEEP_FILE:-sweeps/default.yaml}
OUT=${TMS_OUT:-out/default.h5}
EXPERIMENT=${TMS_EXPERIMENT:-default}
BUILD=${TMS_BUILD_DIR:-build}
POST=${OUT%.h5}.post.h5
OUTDIR=$(dirname "$OUT")

if [ "${TMS_SKIP_DEPS:-0}" != 1 ]; then
  bash jobscripts/install-deps.sh
fi
NP=${TMS_NP:-$(( $(nproc) + 1 ))}

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD" -j "$(nproc)" --target tms-sweep tms-post

# One rank per core, one thread per rank; rank 0 dispatches, so one rank more than cores (--oversubscribe).
export OPENBLAS_NUM_THREADS=1
if [ "$(id -u)" -eq 0 ]; then  # Open MPI refuses root without these (containers, fresh VMs)
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
mkdir -p "$OUTDIR"
resume=()
if [ -f "$OUT" ]; then
  echo "quickstart: $OUT exists: resuming (only points not done are trained)"
  resume=(--resume)
fi
set +e
mpirun -np "$NP" --oversubscribe "$BUILD/tms-sweep" run "$SWEEP" -o "$OUT" "${resume[@]}"
rc=$?
set -e
case $rc in
  0) ;;
  1) echo "quickstart: some points failed after all attempts (listed above); post-processing the rest" ;;
  75) echo "quickstart: interrupted; run this script again to resume $OUT"; exit 75 ;;
  *) echo "quickstart: tms-sweep failed with exit code $rc"; exit "$rc" ;;
esac

# shellcheck disable=SC2086  # TMS_POST_ARGS is a list of flags on purpose
"$BUILD/tms-post" "$OUT" -o "$POST" --force --csv "$OUTDIR/csv" ${TMS_POST_ARGS:-}
/usr/bin/python3 analysis/make_figures.py "$EXPERIMENT" "$OUT" --post "$POST" -o "$OUTDIR/figures"
echo "quickstart: results $OUT, post $POST, CSV $OUTDIR/csv/, figures $OUTDIR/figures/"
