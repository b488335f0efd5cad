#!/usr/bin/env bash
# The full-resolution E2 figure on one machine (issue 7 item 6): sweeps/e2_phase_n2m1_64.yaml (n=2 m=1, 64 x 64
# cells x 10 seeds x 10,000 steps = 4.1e8 model-steps) through `mpirun -np NP` (default: one trainer per core
# plus the root), then tms-post and the phase diagram. Writes analysis/gallery/e2_phase_64.png and
# analysis/gallery/e2_phase_64_run.txt (wall time, CPU, load, commit: what the README gallery quotes) and
# analysis/gallery/e2_phase_64_check.txt (tms-post check). Results go to out/gallery/.
# Usage: bash analysis/e2_full64.sh            (TMS_NP=3 to choose the ranks; TMS_BUILD_DIR=build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${TMS_BUILD_DIR:-build}
NP=${TMS_NP:-$(( $(nproc) + 1 ))}
RUNS=out/gallery FIGS=analysis/gallery
res=$RUNS/e2_phase_n2m1_64.h5 post=$RUNS/e2_phase_n2m1_64.post.h5
export OPENBLAS_NUM_THREADS=1
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$RUNS" "$FIGS"
load0=$(cut -d' ' -f1 /proc/loadavg)
start=$(date +%s.%N)
# `time` of the whole mpirun: wall, and the user+sys CPU of every rank
{ TIMEFORMAT='%R %U %S'; time mpirun -np "$NP" --oversubscribe "$BUILD/tms-sweep" run sweeps/e2_phase_n2m1_64.yaml \
    -o "$res" --force --quiet; } 2>"$RUNS/e2_64.time"
wall=$(tail -1 "$RUNS/e2_64.time" | cut -d' ' -f1); cpu=$(tail -1 "$RUNS/e2_64.time" | awk '{print $2 + $3}')
load1=$(cut -d' ' -f1 /proc/loadavg)
"$BUILD/tms-post" "$res" -o "$post" --force --drop-worst
"$BUILD/tms-post" check "$res" > "$FIGS/e2_phase_64_check.txt" || echo "e2_full64: some check FAILED"
/usr/bin/python3 analysis/phase_diagram.py "$res" --post "$post" -o "$FIGS/e2_phase_64.png" \
  --title "E2, n=2 m=1: 64 x 64 cells x 10 seeds x 10,000 steps (${wall%.*} s on $NP ranks, $(nproc) cores)"
printf 'sweep: sweeps/e2_phase_n2m1_64.yaml (40,960 points, 4.1e8 model-steps)\nranks: %s on %s cores (%s)\nwall_s: %s\ncpu_s: %s\nload_average: %s at the start, %s at the end\nbinary: %s\ndate: %s\n' \
  "$NP" "$(nproc)" "$(lscpu | sed -n 's/^Model name: *//p')" "$wall" "$cpu" "$load0" "$load1" \
  "$("$BUILD/tms-sweep" --version)" "$(date -u +%Y-%m-%dT%H:%MZ)" > "$FIGS/e2_phase_64_run.txt"
cat "$FIGS/e2_phase_64_run.txt"
