#!/usr/bin/env bash
# Replays the benchmark-mode attacks against a real `autoswarm bench run` (docker, loopback
# only, each bounded in time) and checks what must hold: no link or FIFO reaches the job
# directory, a 200 MB tool output keeps the host process under 64 MB, a 300 KB command runs,
# a FIFO in a task does not hang the run, and a SIGKILLed run's container is swept by the next.
#   tests/attack/bench_attacks.sh [AUTOSWARM_BINARY [FAKE_LLM_BINARY]]
# Exit 0 when every case holds; one line per case either way. Every run is killed after at most
# 5 minutes (`timeout -k`: a run that ignores SIGTERM is killed all the same).
# Measured on the 2-core VM: before the fixes every case failed (peak RSS 401,872 KiB, the 300 KB
# command an EnvironmentError "install docker", the FIFO run hung past two SIGTERMs); after,
# all pass with a peak RSS of 19,336 KiB.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
autoswarm=${1:-$root/build/src/autoswarm}
fake_llm=${2:-$root/build/tests/fake_llm}
rss_ceiling_kib=$((64 * 1024))
work=$(mktemp -d)
fake_pid=
cleanup() {
  [[ -n $fake_pid ]] && kill "$fake_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }

task() {  # task DIR SOLVE_SH [TEST_SH]
  mkdir -p "$1/environment" "$1/tests" "$1/solution"
  echo "Do the thing." > "$1/instruction.md"
  printf '[agent]\ntimeout_sec = 60.0\n[verifier]\ntimeout_sec = 60.0\n' > "$1/task.toml"
  printf 'FROM autoswarm-base\nWORKDIR /app\n' > "$1/environment/Dockerfile"
  printf '%s\n' "${3:-echo 1 > /logs/verifier/reward.txt}" > "$1/tests/test.sh"
  printf '%s\n' "$2" > "$1/solution/solve.sh"
}

bench() { timeout -k 5 300 "$autoswarm" bench run -o "$work/jobs" "$@"; }

# 1. An agent plants links and a FIFO in /logs/agent.
task "$work/t1/planter" 'ln -sf /etc/shadow /logs/agent/instruction.md; ln -s / /logs/agent/root; mkfifo /logs/agent/pipe'
bench --tasks "$work/t1" --agent oracle --job-name planted >/dev/null 2>&1
agent=$work/jobs/planted/planter/agent
if [[ -f $agent/instruction.md && ! -L $agent/instruction.md && ! -e $agent/root && ! -e $agent/pipe ]]; then
  pass "links and FIFOs from /logs/agent stay in the container"
else
  fail "links and FIFOs from /logs/agent stay in the container: $(ls -la "$agent" 2>&1 | tr '\n' ' ')"
fi

# 2. A model floods a tool with 200 MB, then sends a 300 KB command.
python3 - "$work/script.json" <<'PY'
import json, sys
big = "y" * 300000
flood = {"name": "run_shell", "arguments": {"command": "head -c 200000000 /dev/zero | tr '\\000' x; echo; echo flood-done"}}
large = {"name": "run_shell", "arguments": {"command": "x='%s'; echo big-ok ${#x} > /app/out.txt" % big}}
json.dump({"rules": [
    {"match": {"role": "tool", "content": "flood-done"}, "reply": {"tool_calls": [large]}},
    {"match": {"role": "tool"}, "reply": {"content": "Done."}},
    {"match": {"role": "user"}, "reply": {"tool_calls": [flood]}}]}, open(sys.argv[1], "w"))
PY
printf 'pipeline:\n  max_total_turns: 8\n  stages:\n    - id: solve\n      system_prompt: "SOLVER."\n      tools: [run_shell]\n      max_turns: 6\n' > "$work/spec.yaml"
task "$work/t2/flood" 'true' "grep -qx 'big-ok 300000' /app/out.txt && echo 1 > /logs/verifier/reward.txt || echo 0 > /logs/verifier/reward.txt"
coproc FAKE { exec "$fake_llm" --models fake-coder --script "$work/script.json"; }
fake_pid=$FAKE_PID
read -r -t 10 line <&"${FAKE[0]}"
url=${line##* }
"$autoswarm" bench run -o "$work/jobs" --tasks "$work/t2" --spec "$work/spec.yaml" --upstream "$url" \
  --model fake-coder --job-name flood > "$work/flood.out" 2>&1 &
run=$!
peak=0
for _ in $(seq 3000); do  # at most 300 s
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$run/status" 2>/dev/null)
  [[ -z $hwm ]] && break
  (( hwm > peak )) && peak=$hwm
  grep -q ') Z ' "/proc/$run/stat" 2>/dev/null && break
  sleep 0.1
done
kill -KILL "$run" 2>/dev/null  # still running after 300 s: a failure below
wait "$run"; status=$?
echo "      peak RSS with a 200 MB tool output: $peak KiB (ceiling $rss_ceiling_kib KiB)"
if (( peak <= rss_ceiling_kib )); then pass "a 200 MB tool output stays out of the host's memory"
else fail "a 200 MB tool output stays out of the host's memory ($peak KiB)"; fi
if [[ $status -eq 0 ]] && grep -q 'passed=1/1 ' "$work/flood.out"; then pass "a 300 KB command runs"
else fail "a 300 KB command runs: $(grep -E 'ERROR|error' "$work/flood.out" | head -3)"; fi
kill "$fake_pid" 2>/dev/null; fake_pid=

# 3. A FIFO in a task's environment/ and tests/.
task "$work/t3/fifo" 'true'
mkfifo "$work/t3/fifo/environment/pipe" "$work/t3/fifo/tests/pipe"
if timeout -k 5 120 "$autoswarm" bench run -o "$work/jobs" --tasks "$work/t3" --agent oracle --job-name fifo 2>&1 | grep -q 'passed=1/1 '; then
  pass "a FIFO in a task does not hang the run"
else
  fail "a FIFO in a task does not hang the run"
fi

# 4. A SIGKILLed run's container is removed by the next run.
task "$work/t4/slow" 'sleep 300'
"$autoswarm" bench run -o "$work/jobs" --tasks "$work/t4" --agent oracle --job-name killed >/dev/null 2>&1 &
run=$!
for _ in $(seq 300); do  # at most 60 s
  [[ -n $(docker ps -aq --filter label=autoswarm.job=killed) ]] && break
  sleep 0.2
done
kill -KILL "$run"; wait "$run" 2>/dev/null
left=$(docker ps -aq --filter label=autoswarm.job=killed | wc -l)
task "$work/t5/quick" 'true'
bench --tasks "$work/t5" --agent oracle --job-name sweeper > "$work/sweep.out" 2>&1
after=$(docker ps -aq --filter label=autoswarm.job=killed | wc -l)
if [[ $left -ge 1 && $after -eq 0 ]] && grep -q 'left by bench runs that are gone' "$work/sweep.out"; then
  pass "a SIGKILLed run's container is swept by the next run"
else
  fail "a SIGKILLed run's container is swept by the next run (left $left, after $after)"
  docker ps -aq --filter label=autoswarm.job=killed | xargs -r docker rm -f >/dev/null
fi

exit $((failures > 0))
