#!/usr/bin/env bash
# install_consumer.sh BUILD_DIR: `cmake --install` the build into BUILD_DIR/install-test/prefix, checks what the
# prefix holds (programs, umbrella + module headers, libtms.a, the CMake package), then configures, builds and runs
# the separate project tests/install/consumer against that prefix with find_package(tms) + tms::tms.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$BUILD/install-test
PREFIX=$WORK/prefix
rm -rf "$WORK"
mkdir -p "$WORK"
cmake --install "$BUILD" --prefix "$PREFIX" > "$WORK/install.log"

fail=0
for f in bin/tms-sweep bin/tms-post include/tms/tms.h include/tms/core/spec.h include/tms/core/version.h \
         include/tms/config/grid.h include/tms/trainer/trainer.h include/tms/metrics/metrics.h; do
  [ -e "$PREFIX/$f" ] || { echo "FAIL: $f not installed under $PREFIX"; fail=1; }
done
lib=$(find "$PREFIX" -name libtms.a | head -1)
cfg=$(find "$PREFIX" -name tmsConfig.cmake | head -1)
[ -n "$lib" ] || { echo "FAIL: no libtms.a under $PREFIX"; fail=1; }
[ -n "$cfg" ] || { echo "FAIL: no tmsConfig.cmake under $PREFIX"; fail=1; }
# Internal headers stay internal; MPI/HDF5 headers are not part of the installed API.
for f in config/config_internal.h kernels/kernels_path.h rng/mix.h; do
  [ ! -e "$PREFIX/include/tms/$f" ] || { echo "FAIL: internal header $f was installed"; fail=1; }
done
if grep -rlE '#include <(mpi|hdf5)' "$PREFIX/include" >/dev/null; then
  echo "FAIL: an installed header includes MPI or HDF5:"; grep -rnE '#include <(mpi|hdf5)' "$PREFIX/include"; fail=1
fi
"$PREFIX/bin/tms-sweep" --version || { echo "FAIL: installed tms-sweep --version"; fail=1; }
[ "$fail" -eq 0 ] || exit 1

cmake -S "$HERE/consumer" -B "$WORK/consumer" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_BUILD_TYPE=Release \
      > "$WORK/consumer-configure.log" || { cat "$WORK/consumer-configure.log"; exit 1; }
cmake --build "$WORK/consumer" > "$WORK/consumer-build.log" || { cat "$WORK/consumer-build.log"; exit 1; }
"$WORK/consumer/consumer"
