#!/usr/bin/env bash
# science_e1_superposition_grows: E1a end to end. tms-sweep run (e1_superposition.yaml: relu_out n=20, m=5,
# I = 0.7^i) -> check_e1: m orthogonal features when dense, more than m when sparse, entering in importance order,
# and superposition starting with the less important ones.
# Usage: e1_superposition.sh PATH/TO/check_e1
NAME=science_e1_superposition_grows
CHECK=${1:?usage: $0 PATH/TO/check_e1}
. "$(dirname "$0")/common.sh"
sweep "$SCI/e1_superposition.yaml" "$WORK/r.h5"
"$CHECK" "$WORK/r.h5" || fail "superposition does not grow with sparsity as in E1 (table above)"
