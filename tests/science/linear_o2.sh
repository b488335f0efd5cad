#!/usr/bin/env bash
# science_linear_o2: oracle O2 end to end. tms-sweep run (linear_o2.yaml) -> check_linear: loss at the
# Eckart-Young optimum within 1%, G = W W^T within 0.02 of the top-m projection, b within 0.02 of (0, p/2).
# Usage: linear_o2.sh PATH/TO/check_linear   (calibration: tests/science/README.md)
NAME=science_linear_o2
CHECK=${1:?usage: $0 PATH/TO/check_linear}
. "$(dirname "$0")/common.sh"
sweep "$SCI/linear_o2.yaml" "$WORK/r.h5"
"$CHECK" "$WORK/r.h5" 0.01 0.02 0.02 || fail "linear model is not at the O2 optimum (table above)"
