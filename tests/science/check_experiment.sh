#!/usr/bin/env bash
# check_experiment.sh NAME SWEEP.yaml EXPERIMENT: runs the sweep, then `tms-post check --experiment EXPERIMENT`
# (the experiment's must-show items, src/3_files/post/check_*.c); fails if any item fails, showing every line.
NAME=${1:?usage: $0 NAME SWEEP.yaml EXPERIMENT}
YAML=${2:?}
EXP=${3:?}
. "$(dirname "$0")/common.sh"
sweep "$YAML" "$WORK/r.h5"
"$TMS_POST" check "$WORK/r.h5" --experiment "$EXP"
rc=$?
[ $rc -eq 0 ] || fail "tms-post check --experiment $EXP exited $rc (lines above)"
