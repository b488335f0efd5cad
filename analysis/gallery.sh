#!/usr/bin/env bash
# Regenerates the README gallery: runs each experiment's quick sweep, post-processes it and draws its figures
# into analysis/gallery/, with the output of `tms-post check` (the experiment's must-show items) beside them as
# analysis/gallery/<sweep>_check.txt. Needs a build (cmake -S . -B build && cmake --build build). Results go to out/gallery/.
# Usage: bash analysis/gallery.sh [e0 e1 ...]      (default: every experiment with a quick sweep)
#        TMS_NP=3 bash analysis/gallery.sh          (run each sweep under mpirun with 3 ranks; default: 1 process)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${TMS_BUILD_DIR:-build}
RUNS=${TMS_GALLERY_RUNS:-out/gallery}
FIGS=analysis/gallery
export OPENBLAS_NUM_THREADS=1
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$RUNS" "$FIGS"

declare -A SWEEP=([e0]=e0_intro [e1]=e1_basic [e2]=e2_phase [e3]=e3_uniform [e4]=e4_perturb [e5]=e5_correlated
                  [e6]=e6_dynamics [e7]=e7_adversarial [e8]=e8_neurons [e9]=e9_abs)
exps=("$@")
[ ${#exps[@]} -gt 0 ] || exps=(e0 e1 e2 e3 e4 e5 e6 e7 e8 e9)
for e in "${exps[@]}"; do
  name=${SWEEP[$e]:?unknown experiment $e}
  res="$RUNS/$name.h5"
  post="$RUNS/$name.post.h5"
  start=$(date +%s)
  if [ -n "${TMS_NP:-}" ]; then
    mpirun -np "$TMS_NP" --oversubscribe "$BUILD/tms-sweep" run "sweeps/${name}_quick.yaml" -o "$res" --force --quiet
  else
    "$BUILD/tms-sweep" run "sweeps/${name}_quick.yaml" -o "$res" --force --quiet
  fi
  extra=()
  [ "$e" != e7 ] || extra=(--attack-budget 0.1) # E7's absolute budget beside the relative one (what check uses)
  "$BUILD/tms-post" "$res" -o "$post" --force --drop-worst "${extra[@]}"
  # the experiment's must-show items; the README shows these lines beside the figure (a FAIL is kept, not hidden)
  "$BUILD/tms-post" check "$res" > "$FIGS/${name}_check.txt" || echo "gallery: $e: some check FAILED (see $FIGS/${name}_check.txt)"
  cat "$FIGS/${name}_check.txt"
  /usr/bin/python3 analysis/make_figures.py "$e" "$res" --post "$post" -o "$FIGS"
  echo "gallery: $e ($name) done in $(( $(date +%s) - start )) s"
done
