#!/usr/bin/env bash
# isa_run.sh ISA PROGRAM [ARGS...]: runs a test program with TMS_ISA=ISA (and OpenBLAS on the matching core), so a
# CTest case checks that instruction-set path; exits 77 (skipped) if this CPU lacks ISA, so nothing is claimed
# for a path that did not run.
set -euo pipefail
isa=$1; shift
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has() { [[ " $flags " == *" $1 "* ]]; }
case $isa in
  avx512) for f in avx512f avx512bw avx512dq avx512vl avx512cd avx2 fma bmi2; do has $f || exit 77; done
          core=SkylakeX ;;
  avx2)   for f in avx2 fma bmi2; do has $f || exit 77; done
          core=Haswell ;;
  generic) core=Prescott ;;
  *) echo "isa_run.sh: unknown ISA '$isa'" >&2; exit 2 ;;
esac
export TMS_ISA=$isa OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-$core}
exec "$@"
