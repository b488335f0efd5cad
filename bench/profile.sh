#!/bin/sh
# profile.sh: where the time of a tms training step goes, for bench/README.md's "what limits it" section.
#   bench/profile.sh [BUILD_DIR] [N M DENSITY] [CORE]     e.g. bench/profile.sh build-bench 400 30 1 1
# 1. builds bench/breakdown.c against BUILD_DIR's static libraries (BUILD_DIR must have built tms-sweep), runs it
#    pinned to one core: native best-of-N time of data / forward / loss / backward / AdamW, of the four sgemm calls
#    of a step, and of a 512^3 sgemm (the core's attainable sgemm rate);
# 2. runs `tms-sweep train` under callgrind (20 steps) and prints the inclusive instruction shares of the top
#    functions. Caveat: valgrind does not emulate AVX-512, so under callgrind OpenBLAS picks its Haswell (AVX2)
#    kernels and tms its x86-64-v3 clones; the instruction shares are indicative, the native timings are the truth.
# Not a test; needs valgrind for part 2 (skipped if absent). Writes only under $TMPDIR (default /tmp).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build="$root/$build" ;; esac
n=${2:-400} m=${3:-30} p=${4:-1} core=${5:-0}
out=$(mktemp -d "${TMPDIR:-/tmp}/tms-profile.XXXXXX")
export OPENBLAS_NUM_THREADS=1

cc -O2 -std=c17 -Wall -Wextra -I"$root/include" -I"$root/src/1_model" "$here/breakdown.c" -o "$out/breakdown" \
  "$build/libtms_trainer.a" "$build/libtms_kernels.a" "$build/libtms_data.a" "$build/libtms_rng.a" \
  "$build/libtms_isa.a" "$build/libtms_core.a" -lopenblas -lm
taskset -c "$core" "$out/breakdown" "$n" "$m" "$p"

if command -v valgrind >/dev/null 2>&1; then
  echo
  echo "callgrind: tms-sweep train n=$n m=$m density=$p, 20 steps (instructions per function, self, whole run;"
  echo "includes start-up and the once-per-run eval and metrics; takes minutes: valgrind runs ~50x slower)"
  taskset -c "$core" valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" "$build/tms-sweep" train \
    --n-features "$n" --n-hidden "$m" --density "$p" --steps 20 --log-every 20 --eval-batch 1024 --quiet \
    >/dev/null 2>"$out/valgrind.log"
  callgrind_annotate "$out/cg.out" 2>/dev/null | grep -A16 'PROGRAM TOTALS' | grep -v '^--\|^$\|file:function' |
    sed 's/\[.*\]$//' | cut -c1-120
  echo "(callgrind output kept in $out/cg.out)"
fi
