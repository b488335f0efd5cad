#!/usr/bin/env bash
# science_dstar: E3 end to end. tms-sweep run (dstar.yaml: n=100, m=10, uniform importance) -> tms-post ->
# check_dstar: D* ~ 1 dense, a sticky plateau at 1/2, falling with sparsity; tms-post's /summary/dstar_mean must
# equal the results' D* per level.
# Usage: dstar.sh PATH/TO/check_dstar   (calibration: tests/science/README.md)
NAME=science_dstar
CHECK=${1:?usage: $0 PATH/TO/check_dstar}
. "$(dirname "$0")/common.sh"
sweep "$SCI/dstar.yaml" "$WORK/r.h5"
"$TMS_POST" "$WORK/r.h5" -o "$WORK/p.h5" --no-vulnerability >"$WORK/post.log" 2>&1 ||
  { cat "$WORK/post.log"; fail "tms-post exited"; }
"$CHECK" "$WORK/r.h5" 0.05 0.05 2 0.15 "$WORK/p.h5" || fail "D*(density) does not show the E3 claims (table above)"
