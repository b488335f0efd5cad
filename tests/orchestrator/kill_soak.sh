#!/usr/bin/env bash
# Kill soak: N SIGKILLs at random moments of NP-rank runs of kill.yaml, cycling through three kinds: mpirun's whole
# process group, the root (rank 0) alone, one worker alone. After each kill: the launcher must end within 60 s (no
# hang), no rank may outlive it, the file (if already published) must open with every done point complete; the next
# run is a --resume. A run that finishes before its kill lands closes a round: its file must be bitwise equal
# (h5diff of the result datasets) to an uninterrupted run, and the next round starts a fresh file.
# Usage: kill_soak.sh ORCH_CHECK [N=12] [NP=3]; prints the kills by kind, exit codes seen, rounds, and the outcome.
source "$(dirname "$0")/common.sh"
N=${2:-12}
NP=${3:-3}
YAML="$SWEEPS/kill.yaml"
t0=$(date +%s.%N)
"$MPIEXEC" -np "$NP" --oversubscribe "$TMS_SWEEP" run "$YAML" -o "$WORK/ref.h5" --quiet || fail "uninterrupted run: exit $?"
T=$(awk -v a=$t0 -v b=$(date +%s.%N) 'BEGIN { printf "%.2f", b - a }')
echo "uninterrupted run ($NP ranks): ${T}s; $N kills land at random moments within that"

out="$WORK/soak.h5"
kinds=(group root worker)
declare -A landed=() codes=()
kills=0 rounds=0 runs=0 before_publish=0

close_round() {
  complete "$out" >/dev/null
  [ "$("$CHECK" "$out")" = "done=16 failed=0 pending=0 skipped=0" ] || fail "round $rounds ended with $("$CHECK" "$out")"
  same "$WORK/ref.h5" "$out"
  rounds=$((rounds + 1))
  rm -f "$out" "$out.progress"
}

while [ $kills -lt "$N" ]; do
  kind=${kinds[$((kills % 3))]}
  args=--force
  [ -e "$out" ] && args=--resume
  delay=$(awk -v r=$RANDOM -v T=$T 'BEGIN { printf "%.2f", T * (0.05 + 0.9 * (r % 1000) / 1000) }')
  setsid "$MPIEXEC" -np "$NP" --oversubscribe "$TMS_SWEEP" run "$YAML" -o "$out" $args --quiet 2>"$WORK/err.txt" \
    >/dev/null &
  launcher=$!
  runs=$((runs + 1))
  sleep "$delay"
  ranks=$(pgrep -P $launcher | tr '\n' ' ')
  target=""
  case $kind in
    group) kill -0 $launcher 2>/dev/null && target="-$launcher" ;;
    root) target=$(rank_pid $launcher 0) ;;
    worker) target=$(rank_pid $launcher $((1 + RANDOM % (NP - 1)))) ;;
  esac
  if [ -n "$target" ] && kill -KILL -- $target 2>/dev/null; then
    kills=$((kills + 1))
    landed[$kind]=$((${landed[$kind]:-0} + 1))
  fi
  # The launcher must end by itself (Open MPI aborts the job when a rank dies); 60 s means a hang.
  for _ in $(seq 600); do kill -0 $launcher 2>/dev/null || break; sleep 0.1; done
  if kill -0 $launcher 2>/dev/null; then
    kill -KILL -- -$launcher 2>/dev/null
    fail "after killing $kind ($target), mpirun still ran 60 s later: a hang"
  fi
  rc=0
  wait $launcher || rc=$?
  [ -n "$target" ] && codes["$kind:$rc"]=$((${codes["$kind:$rc"]:-0} + 1))
  # Ranks get 10 s to go after their mpirun (a SIGKILLed one is reaped by init); one still there is an orphan.
  for p in $ranks; do
    for _ in $(seq 100); do alive "$p" || break; sleep 0.1; done
    if alive "$p"; then
      kill -KILL "$p" 2>/dev/null
      fail "rank pid $p outlived its mpirun by 10 s after killing $kind"
    fi
  done
  if [ -z "$target" ]; then # the kill came too late: that run finished
    [ $rc = 0 ] || { cat "$WORK/err.txt" >&2; fail "run without a kill exited $rc"; }
    close_round
    continue
  fi
  if [ -e "$out" ]; then
    complete "$out" >/dev/null
  else
    before_publish=$((before_publish + 1))
  fi
done
# Finish the last round by resuming without kills.
if [ -e "$out" ]; then
  "$MPIEXEC" -np "$NP" --oversubscribe "$TMS_SWEEP" run "$YAML" -o "$out" --resume --quiet || fail "final resume: exit $?"
  runs=$((runs + 1))
  close_round
fi
summary=""
for k in "${kinds[@]}"; do summary+="$k=${landed[$k]:-0} "; done
exits=""
for key in $(printf '%s\n' "${!codes[@]}" | sort); do exits+="$key x${codes[$key]} "; done
echo "kills: $kills ($summary) in $runs runs; killed before the file was published: $before_publish"
echo "exit codes after a kill (kind:code x count): $exits"
echo "PASS: $kills SIGKILLs, $rounds rounds each bitwise equal to the uninterrupted run, no hang, no orphan rank"
