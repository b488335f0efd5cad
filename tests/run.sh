#!/usr/bin/env bash
# The test command (CI's too, via .ci/run): configure, build (warnings are errors), run every CTest case; then the
# suite again in a side build with AddressSanitizer + UndefinedBehaviorSanitizer (-DTMS_SANITIZE=ON: UBSan halts on
# the first error, ASan's leak checker is on, LSan suppressions for Open MPI and one HDF5 error path only:
# tests/sanitize/lsan.supp; the options are in tests/CMakeLists.txt).
# The sanitizer pass runs every case except two labels, for CI's time (2 cores, 90 min, aim < 30 min in all):
#  - science, but for 4 cases labelled sanitize too (tests/sanitize.cmake): eval_e0_precision, science_e0_intro,
#    science_e4_perturb, science_e9_exact, the whole pipeline (sweep, tms-post, tms-post check) in ~4 min of CPU under
#    ASan. The other 8 train the same kernels, data laws and metrics (each also run by unit/mpi cases in this pass)
#    at paper sizes: about 10x slower under ASan, science_dstar alone ~27 min of CPU, e5/e8 ~3-4 min each.
#  - fuzz: the libFuzzer harnesses are built with ASan + UBSan by clang already (fuzz_build) and ran in the first
#    pass; the regression replays fuzz_regress_* (label unit) do run here.
# Usage: bash tests/run.sh [extra ctest args, e.g. -L unit]
# Env: TMS_BUILD_DIR (default build), TMS_SANITIZE_BUILD_DIR (default <build>-sanitize),
#      TMS_SANITIZE_SUITE=0 skips the sanitizer pass (on by default and in CI).

set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${TMS_BUILD_DIR:-build}
SAN=${TMS_SANITIZE_BUILD_DIR:-$BUILD-sanitize}
JOBS=$(nproc)
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DTMS_WERROR=ON
cmake --build "$BUILD" -j "$JOBS"
ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS" "$@"

if [ "${TMS_SANITIZE_SUITE:-1}" != 0 ]; then
  echo "== the suite under ASan + UBSan + LSan ($SAN), but for the science and fuzz labels (see above)"
  t0=$(date +%s)
  cmake -S . -B "$SAN" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTMS_WERROR=ON -DTMS_SANITIZE=ON
  cmake --build "$SAN" -j "$JOBS"
  ctest --test-dir "$SAN" --output-on-failure -j "$JOBS" -LE 'science|fuzz|sanitize' "$@"
  ctest --test-dir "$SAN" --output-on-failure -j "$JOBS" -L sanitize "$@"
  echo "== sanitizer pass: build and suite in $(( $(date +%s) - t0 )) s"
fi
