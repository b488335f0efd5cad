#!/usr/bin/env bash
# science_phase_n2m1: E2a end to end. tms-sweep run (phase_n2m1.yaml) -> tms-post --drop-worst -> check_phase,
# which compares the empirical phase diagram with the closed form O4 (see check_phase.c for the rule).
# Usage: phase_n2m1.sh PATH/TO/check_phase   (thresholds: calibration in tests/science/README.md)
NAME=science_phase_n2m1
CHECK=${1:?usage: $0 PATH/TO/check_phase}
. "$(dirname "$0")/common.sh"
sweep "$SCI/phase_n2m1.yaml" "$WORK/r.h5"
"$TMS_POST" "$WORK/r.h5" -o "$WORK/p.h5" --drop-worst --no-vulnerability || fail "tms-post exited $?"
"$CHECK" "$WORK/r.h5" "$WORK/p.h5" 0.85 0.85 || fail "phase diagram does not match O4 (table above)"
