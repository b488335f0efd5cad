#!/usr/bin/env bash
# Regenerates the README gallery: runs each experiment's quick sweep, post-processes it and draws its figures
# into analysis/gallery/, with the output of `tms-post check` (the experiment's must-show items) beside them as
# analysis/gallery/<sweep>_check.txt, and the sweep's wall time, CPU (user+sys of every rank), load and binary as
# analysis/gallery/<sweep>_run.txt (what sweeps/README.md's quick-run table quotes). Needs a build (cmake -S . -B build && cmake --build build). Results go to out/gallery/.
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

# an experiment may have several quick sweeps (E5: the m=2 pairs, and the larger local-bases model)
declare -A SWEEP=([e0]=e0_intro [e1]=e1_basic [e2]=e2_phase [e3]=e3_uniform [e4]=e4_perturb
                  [e5]="e5_correlated e5_local" [e6]=e6_dynamics [e7]=e7_adversarial [e8]=e8_neurons [e9]=e9_abs)
exps=("$@")
[ ${#exps[@]} -gt 0 ] || exps=(e0 e1 e2 e3 e4 e5 e6 e7 e8 e9)
for e in "${exps[@]}"; do
  [ -n "${SWEEP[$e]:-}" ] || { echo "gallery: unknown experiment $e" >&2; exit 2; }
  for name in ${SWEEP[$e]}; do
    res="$RUNS/$name.h5"
    post="$RUNS/$name.post.h5"
    start=$(date +%s)
    load0=$(cut -d' ' -f1 /proc/loadavg)
    run=("$BUILD/tms-sweep" run "sweeps/${name}_quick.yaml" -o "$res" --force --quiet)
    np=1
    if [ -n "${TMS_NP:-}" ]; then run=(mpirun -np "$TMS_NP" --oversubscribe "${run[@]}"); np=$TMS_NP; fi
    # `time` of the whole run: wall, and the user+sys CPU of every rank
    { TIMEFORMAT='%R %U %S'; time "${run[@]}"; } 2>"$RUNS/$name.time"
    t=$(tail -1 "$RUNS/$name.time")
    printf 'sweep: sweeps/%s_quick.yaml\nranks: %s on %s cores (%s)\nwall_s: %s\ncpu_s: %s\nload_average: %s at the start, %s at the end\nbinary: %s\ndate: %s\n' \
      "$name" "$np" "$(nproc)" "$(lscpu | sed -n 's/^Model name: *//p')" "$(echo "$t" | cut -d' ' -f1)" \
      "$(echo "$t" | awk '{printf "%.0f", $2 + $3}')" "$load0" "$(cut -d' ' -f1 /proc/loadavg)" \
      "$("$BUILD/tms-sweep" --version)" "$(date -u +%Y-%m-%dT%H:%MZ)" > "$FIGS/${name}_run.txt"
    extra=()
    [ "$e" != e7 ] || extra=(--attack-budget 0.1) # E7's absolute budget beside the relative one (what check uses)
    "$BUILD/tms-post" "$res" -o "$post" --force --drop-worst "${extra[@]}"
    # the experiment's must-show items; the README shows these lines beside the figure (a FAIL is kept, not hidden)
    "$BUILD/tms-post" check "$res" > "$FIGS/${name}_check.txt" || echo "gallery: $e: some check FAILED (see $FIGS/${name}_check.txt)"
    cat "$FIGS/${name}_check.txt" "$FIGS/${name}_run.txt"
    /usr/bin/python3 analysis/make_figures.py "$e" "$res" --post "$post" -o "$FIGS"
    echo "gallery: $e ($name) done in $(( $(date +%s) - start )) s"
  done
done
