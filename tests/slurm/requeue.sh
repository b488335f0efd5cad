#!/usr/bin/env bash
# slurm_requeue: a real single-node Slurm (munged, slurmctld, slurmd from Debian's slurm-wlm and munge, every
# file under a temp dir) runs jobscripts/sweep.sbatch with a time limit too short to finish. Checks that Slurm's
# time-limit signal stopped the sweep (exit 75) and the job requeued itself, that the requeued job resumed the file
# (--resume) and finished with every point done, bitwise equal to a direct run (h5diff of the result datasets),
# and that the dependent post job (jobscripts/post.sbatch, afterok) ran and wrote its post file. The daemons are
# stopped on every exit. Skips (77) only where Slurm's programs are missing or cannot be started as root.
# Usage: requeue.sh ORCH_CHECK   (CTest passes TMS_SWEEP, TMS_POST, TMS_TEST_DIR, MPIEXEC in the environment;
# TMS_POST, the binary here, is post.sbatch's output file there, so the post job is given its own)
set -u
CHECK=${1:?usage: $0 PATH/TO/orch_check}
REPO=$(cd "$TMS_TEST_DIR/.." && pwd)
BIN=$(dirname "$TMS_SWEEP")
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; dump; exit 1; }
for p in munged slurmctld slurmd sbatch scontrol sinfo h5diff; do
  command -v "$p" >/dev/null || [ -x "/usr/sbin/$p" ] || skip "$p not found: install slurm-wlm munge hdf5-tools (jobscripts/install-deps.sh)"
done
[ "$(id -u)" = 0 ] || skip "bringing up slurmctld and slurmd here needs root"
PATH=$PATH:/usr/sbin
T=$(mktemp -d /tmp/tms-slurm.XXXXXX)
chmod 755 "$T"
dump() { for f in "$T"/slurmctld.log "$T"/slurmd.log "$T"/work/*.out; do [ -f "$f" ] && { echo "== $f"; tail -25 "$f"; }; done >&2; }
cleanup() {
  for d in slurmd slurmctld munged; do
    [ -f "$T/$d.pid" ] && kill "$(cat "$T/$d.pid")" 2>/dev/null
  done
  sleep 1
  for d in slurmd slurmctld munged; do
    [ -f "$T/$d.pid" ] && kill -9 "$(cat "$T/$d.pid")" 2>/dev/null
  done
  rm -rf "$T"
}
trap cleanup EXIT
export SLURM_CONF=$T/slurm.conf
host=$(hostname -s)
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("",0)); print(s.getsockname()[1])'; }

# munge: our own key and socket, so a system munged (if any) is neither needed nor disturbed.
dd if=/dev/urandom of="$T/munge.key" bs=1024 count=1 2>/dev/null && chmod 400 "$T/munge.key"
munged --force --socket="$T/munge.socket" --key-file="$T/munge.key" --pid-file="$T/munged.pid" \
  --log-file="$T/munged.log" --seed-file="$T/munge.seed" || skip "munged does not start here"
mkdir -p "$T/state" "$T/spool" "$T/work"
cat > "$SLURM_CONF" <<EOF
ClusterName=tmstest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$T/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=2
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
JobRequeue=1
KillWait=10
MinJobAge=600
InactiveLimit=0
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -i || skip "slurmctld does not start here (see $T/slurmctld.log)"
slurmd || skip "slurmd does not start here"
for _ in $(seq 1 30); do
  sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed)' && break
  sleep 1
done
sinfo -h -o %T | grep -qE '^(idle|mixed)' || fail "the node never became idle: $(sinfo 2>&1)"

# The sweep is sized on this machine, so that it outlasts a run on any machine: a 12-point calibration sweep is
# timed first, then the replicates are set for ~120 s of training on the one worker. Slurm sends the time-limit
# signal (--signal @30 of a one-minute limit) at its next periodic check, 30-60 s into a run, so the first run is
# always cut short and a requeued run (or two) finishes.
sweep_file() {  # sweep_file REPLICATES STEPS
  cat <<EOF
schema: tms-sweep/1
name: slurm-requeue
seed: 11
fixed: {n_features: 5, n_hidden: 2, steps: $2, batch_size: 1024, eval_batch: 4096}
axes:
  density: {logspace: {start: 0, stop: -1.5, num: 12}}
replicates: $1
run: {stop_grace_s: 2, progress_every_s: 5}
EOF
}
sweep_file 1 20000 > "$T/work/calib.yaml"
c0=$(date +%s.%N)
OPENBLAS_NUM_THREADS=1 "$TMS_SWEEP" run "$T/work/calib.yaml" -o "$T/work/calib.h5" --quiet || fail "calibration run"
per_rep=$(/usr/bin/python3 -c "import sys; print(max(0.05, float(sys.argv[2]) - float(sys.argv[1])))" "$c0" "$(date +%s.%N)")
reps=$(/usr/bin/python3 -c "import sys, math; print(min(2000, max(4, math.ceil(120 / float(sys.argv[1])))))" "$per_rep")
sweep_file "$reps" 20000 > "$T/work/sweep.yaml"
total=$((12 * reps))
echo "calibration: 12 points in $per_rep s -> $reps replicates ($total points, ~120 s of training)"
cd "$T/work" || fail "no work dir"
export TMS_SWEEP_FILE=$T/work/sweep.yaml TMS_OUT=$T/work/out.h5 TMS_BIN=$BIN TMS_LAUNCHER=mpirun
jid=$(cd "$REPO" && sbatch --parsable --ntasks=2 --time=1 --signal=B:USR1@30 -o "$T/work/sweep-%j.out" \
        jobscripts/sweep.sbatch) || fail "sbatch of sweep.sbatch"
pid=$(cd "$REPO" && TMS_EXPERIMENT=default TMS_POST_ARGS="" TMS_POST="$T/work/out.post.h5" sbatch --parsable --dependency=afterok:$jid \
        -o "$T/work/post-%j.out" jobscripts/post.sbatch) || fail "sbatch of post.sbatch"
echo "sweep job $jid, post job $pid"

# Wait for the end; a requeued job is held ~2 min (BeginTime): release it early so the test stays short, but not
# in the second of the requeue. slurmd revokes the old run's credential with a one-second timestamp, and a new
# credential issued in that same second counts as revoked ("Job credential revoked": the job ends FAILED, seen in
# CI when the release came 0.7 s after the requeue). Five seconds of pending is well past it.
state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
t0=$(date +%s)
held_since=
while :; do
  s=$(state "$jid")
  [ "$s" = COMPLETED ] && break
  case $s in FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) fail "sweep job ended $s";; esac
  if [ "$s" = PENDING ] && scontrol show job "$jid" | grep -q 'Reason=BeginTime'; then
    [ -n "$held_since" ] || held_since=$(date +%s)
    [ $(( $(date +%s) - held_since )) -ge 5 ] && scontrol update JobId="$jid" StartTime=now >/dev/null 2>&1
  else
    held_since=
  fi
  [ $(( $(date +%s) - t0 )) -lt 500 ] || fail "sweep job still $s after 500 s"
  sleep 2
done
restarts=$(scontrol show job "$jid" | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p')
log=$T/work/sweep-$jid.out
echo "sweep job completed after $restarts restart(s), $(( $(date +%s) - t0 )) s"
[ "${restarts:-0}" -ge 1 ] || fail "the job was never requeued (Restarts=$restarts): the time limit did not interrupt it"
grep -q "tms-sweep exited 75" "$log" || fail "no exit 75 in the job log"
grep -q "requeueing job $jid" "$log" || fail "the job did not requeue itself"
grep -q -- "--resume" "$log" || fail "the requeued job did not resume the file"
grep -q "tms-sweep exited 0" "$log" || fail "the last run did not finish with exit 0"

counts=$("$CHECK" "$TMS_OUT") || fail "$TMS_OUT is not consistent"
[ "$counts" = "done=$total failed=0 pending=0 skipped=0" ] || fail "counts after the requeues: $counts"

# The post job ran after the sweep (afterok) and wrote its file.
for _ in $(seq 1 120); do
  s=$(state "$pid"); [ "$s" = COMPLETED ] && break
  case $s in FAILED|CANCELLED|TIMEOUT) fail "post job ended $s";; esac
  sleep 1
done
[ "$(state "$pid")" = COMPLETED ] || fail "post job not completed: $(state "$pid")"
[ -s "$T/work/out.post.h5" ] || fail "the post job wrote no $T/work/out.post.h5"
ls "$T/work/figures/"*.png >/dev/null 2>&1 || fail "the post job drew no figures in $T/work/figures"

# Bitwise equal to a direct run of the same sweep.
OPENBLAS_NUM_THREADS=1 "$MPIEXEC" -np 2 --oversubscribe "$TMS_SWEEP" run "$TMS_SWEEP_FILE" -o "$T/work/direct.h5" --quiet \
  || fail "direct run"
# the netCDF dimension scales linked into each group hold object references, which may differ between files
ex=()
for d in $(h5dump -a /dim_names "$TMS_OUT" | grep -oE '"[^"]+"' | tr -d '"' | grep -v '^/dim_names$') \
  feature hidden curve snapshot eval; do ex+=(--exclude-path "/$d"); done
for g in /results /metrics /params /points/status /points/seed; do
  h5diff "${ex[@]}" "$TMS_OUT" "$T/work/direct.h5" "$g" "$g" > "$T/diff.txt" 2>&1 || { head -20 "$T/diff.txt" >&2; fail "$g differs from a direct run"; }
done
echo "PASS: time limit -> exit 75 -> requeue ($restarts restart(s)) -> resume -> $total done, equal to a direct run; post job ran"
