#!/usr/bin/env bash
# includes_selftest.sh: shows includes.sh failing. It copies src/ and include/ to a temp dir, plants one violation
# of each kind (an upward include, MPI in the model layer, HDF5 in the sweep layer, libyaml in the model layer) and
# checks that includes.sh exits 1 naming each file, line, include and the two layers; the clean copy must pass.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cp -r "$ROOT/src" "$ROOT/include" "$TMP/"
bash "$HERE/includes.sh" "$TMP" >/dev/null || { echo "FAIL: the clean copy does not pass"; bash "$HERE/includes.sh" "$TMP"; exit 1; }

plant() { printf '/* planted by includes_selftest.sh */\n%s\n' "$2" > "$TMP/$1"; }  # the include is on line 2
plant src/1_model/metrics/planted_up.c '#include "store/store.h"'
plant src/1_model/core/planted_mpi.h '#include <mpi.h>'
plant src/2_sweep/config/planted_hdf5.c '#include <hdf5.h>'
plant src/1_model/rng/planted_yaml.c '#  include <yaml.h>'
plant src/3_files/post/planted_up.c '#include "scheduler/scheduler.h"'
printf '#include "post/post.h"\n' >> "$TMP/include/tms/tms.h"

set +e
out=$(bash "$HERE/includes.sh" "$TMP" 2>&1); rc=$?
set -e
echo "$out"
fail=0
[ "$rc" -eq 1 ] || { echo "FAIL: exit code $rc, want 1"; fail=1; }
want() {  # want FILE INCLUDE TEXT: one reported line names all three
  local line=2; [ "$1" = include/tms/tms.h ] && line=$(wc -l < "$TMP/$1")
  if ! grep -F "$1:$line: #include $2" <<<"$out" | grep -qF "$3"; then
    echo "FAIL: no report '$1:$line: #include $2 ... $3'"; fail=1
  fi
}
want src/1_model/metrics/planted_up.c '"store/store.h"' 'layer 1_model (metrics) includes higher layer 3_files (store)'
want src/1_model/core/planted_mpi.h '<mpi.h>' 'layer 1_model (core) must not use MPI'
want src/2_sweep/config/planted_hdf5.c '<hdf5.h>' 'layer 2_sweep (config) must not use HDF5'
want src/1_model/rng/planted_yaml.c '<yaml.h>' 'layer 1_model (rng) must not use libyaml'
want src/3_files/post/planted_up.c '"scheduler/scheduler.h"' 'layer 3_files (post) includes higher layer 4_orchestration (scheduler)'
want include/tms/tms.h '"post/post.h"' 'layer 2_sweep (umbrella) includes higher layer 3_files (post)'
n=$(grep -c '^' <<<"$out")
[ "$n" -eq 7 ] || { echo "FAIL: $n lines reported, want 6 violations + 1 summary"; fail=1; }
[ "$fail" -eq 0 ] && echo "includes_selftest: every planted violation was reported"
exit "$fail"
