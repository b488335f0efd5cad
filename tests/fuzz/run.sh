#!/usr/bin/env bash
# run.sh: builds the libFuzzer harnesses with clang in a side build directory and runs one of them.
#   run.sh build                     configure + build tests/fuzz into $TMS_FUZZ_BUILD (default build-fuzz)
#   run.sh run NAME SECONDS [ARGS]   fuzz NAME (sweep | results | results_raw) for SECONDS, on a fresh copy of its
#                                    seeds; exit 0 when nothing was found, 1 with the reproducer's path otherwise
# Exits 77 (skipped) when clang or its fuzzer runtime (Debian: clang, libclang-rt-14-dev) is missing.
# Seeds: sweep = every sweep file under tests/ and sweeps/; results_raw = results files tms-sweep makes
# ($TMS_SWEEP, tiny.yaml and post/e2e_tiny.yaml, untrained: a --resume of a fresh file); results = none (edit lists).
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${TMS_FUZZ_BUILD:-$SRC/build-fuzz}
CC_FUZZ=${TMS_FUZZ_CC:-$(command -v clang-14 || command -v clang || true)}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
# Open MPI must not take libFuzzer's crash signals, and keeps its plugins loaded so leak reports symbolise.
export OMPI_MCA_opal_signal="" OMPI_MCA_mca_base_component_disable_dlclose=1 PMIX_MCA_mca_base_component_disable_dlclose=1

have_fuzzer() {
  [ -n "$CC_FUZZ" ] || { echo "SKIP: no clang found (Debian: apt-get install clang libclang-rt-14-dev)"; return 1; }
  local t; t=$(mktemp -d)
  printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$t/f.c"
  if ! "$CC_FUZZ" -fsanitize=fuzzer,address,undefined "$t/f.c" -o "$t/f" >"$t/log" 2>&1; then
    echo "SKIP: $CC_FUZZ cannot link -fsanitize=fuzzer (Debian: apt-get install libclang-rt-14-dev):"; head -3 "$t/log"
    rm -rf "$t"; return 1
  fi
  rm -rf "$t"
}

build() {
  have_fuzzer || exit 77
  CC="$CC_FUZZ" cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTMS_FUZZ=ON -DBUILD_TESTING=OFF \
    -DTMS_WERROR=ON >"$BUILD.configure.log" 2>&1 || { cat "$BUILD.configure.log"; echo "FAIL: configure"; exit 1; }
  cmake --build "$BUILD" -j "$(nproc)" --target fuzz_sweep fuzz_results fuzz_results_raw || { echo "FAIL: build"; exit 1; }
  echo "fuzzers built in $BUILD/fuzz"
}

seeds() { # NAME DIR
  case $1 in
    sweep) # all but e2_phase_full.yaml: its 1.3 million points take 20 s per parse under ASan (e2 quick has its syntax)
      cp "$SRC"/tests/sweeps/good/*.yaml "$SRC"/tests/sweeps/bad/*.yaml "$SRC"/sweeps/*.yaml \
        "$SRC"/tests/orchestrator/*.yaml "$SRC"/tests/post/*.yaml "$2"/
      rm -f "$2/e2_phase_full.yaml" ;;
    results) head -c 64 /dev/zero >"$2/zeros" ;;
    results_raw)
      local y
      for y in orchestrator/tiny.yaml post/e2e_tiny.yaml; do
        "${TMS_SWEEP:?TMS_SWEEP must name a tms-sweep binary}" run "$SRC/tests/$y" -o "$2/$(basename "$y" .yaml).h5" \
          --quiet >/dev/null 2>&1 || { echo "FAIL: cannot make the seed from $y"; exit 1; }
        rm -f "$2/$(basename "$y" .yaml).h5.progress"
      done ;;
  esac
}

run() {
  local name=$1 secs=$2; shift 2
  have_fuzzer || exit 77
  local bin="$BUILD/fuzz/fuzz_$name"
  [ -x "$bin" ] || build >/dev/null || exit $?
  local work="$BUILD/work-$name"
  rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
  seeds "$name" "$work/corpus"
  # A slow input (> 20 s: -timeout) is reported as SLOW, not failed: a sweep of ~1e5+ points is validated point by
  # point (a known cost, not a crash), and the fuzzer finds such grids. Crashes, leaks and OOMs fail.
  local opts=(-max_total_time="$secs" -timeout=20 -timeout_exitcode=0 -report_slow_units=1000 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$work/artifacts/")
  if [ "$name" = sweep ]; then
    export ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$SRC/tests/fuzz/lsan.supp:print_suppressions=0
    opts+=(-max_len=8192)
  else
    # HDF5 asks malloc for whatever a damaged header says (tens of GB): emulate a real malloc's NULL, not an abort.
    # Leaks: off here (Open MPI's and HDF5's own allocations swamp the report); the sanitizer build checks ours.
    export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=0
    opts+=(-malloc_limit_mb=1000000)
    [ "$name" = results ] && opts+=(-max_len=512 -len_control=0)
  fi
  echo "fuzzing $name for ${secs}s (seeds: $(ls "$work/corpus" | wc -l) files)"
  nice -n 10 "$bin" "${opts[@]}" "$@" "$work/corpus" >"$work/log" 2>&1
  local rc=$?
  grep -E "^(stat::|Done )" "$work/log"
  if ls "$work/artifacts" | grep -qE '^timeout-'; then
    echo "SLOW: fuzz_$name found an input over 20 s (not a crash): $(ls "$work/artifacts"/timeout-* | tr '\n' ' ')"
  fi
  if [ $rc -ne 0 ] || ls "$work/artifacts" | grep -qE '^(crash|leak|oom)-'; then
    grep -v '^\[' "$work/log" | tail -40
    echo "FAIL: fuzz_$name found a problem (exit $rc): $(ls "$work/artifacts"/* 2>/dev/null | tr '\n' ' ')"
    echo "      reproduce: $bin FILE; once fixed, keep FILE in tests/fuzz/regress/$name/"
    exit 1
  fi
  echo "PASS: fuzz_$name ran ${secs}s and found nothing"
}

case ${1:-} in
  build) build ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 build | run NAME SECONDS [libFuzzer args]" >&2; exit 2 ;;
esac
