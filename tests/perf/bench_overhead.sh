#!/usr/bin/env bash
# The `bench run` overhead benchmark (docs/performance.md, "bench run").
#
# Generates N trivial Harbor tasks (an empty solve.sh, a test.sh that writes reward 1) and runs
# them with `autoswarm bench run --agent oracle` at -n 1 and at -n C, after one warm-up run that
# builds the images. Every docker command autoswarm runs goes through a logging wrapper
# (AUTOSWARM_DOCKER), so the run's wall time splits into
#   docker     time covered by at least one docker command (the union of their intervals)
#   autoswarm  everything else: start-up, loading tasks, threads, writing the job directory
# Prints, per run, wall time per trial, autoswarm's time per trial beyond the docker commands
# and its share of the trial (target <= 5 %), and the speed-up of -n C over -n 1.
#
# Builds nothing: expects `make -C build autoswarm` done (BUILD_DIR overrides build/) and a
# docker engine with the autoswarm-base image (scripts/setup-docker). Every container is labelled
# and removed by autoswarm itself; the temp directory and the image tags are removed on exit.
#
#   tests/perf/bench_overhead.sh [--tasks 8] [--concurrency 4] [--keep]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
AUTOSWARM=$BUILD_DIR/src/autoswarm
N_TASKS=8
CONCURRENCY=4
KEEP=0

usage() { sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --tasks) N_TASKS=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench_overhead.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ -x $AUTOSWARM ]] || { echo "missing $AUTOSWARM: run make -C build autoswarm" >&2; exit 1; }
REAL_DOCKER=$(command -v docker) || { echo "no docker client: run scripts/setup-docker" >&2; exit 1; }
docker image inspect autoswarm-base >/dev/null 2>&1 \
  || { echo "no autoswarm-base image: run scripts/setup-docker" >&2; exit 1; }

WORK=$(mktemp -d /tmp/autoswarm-bench-overhead.XXXXXX)
cleanup() {
  if [[ $KEEP -eq 1 ]]; then echo "kept $WORK" >&2; return; fi
  rm -rf "$WORK"
  # The trivial tasks' image tags (one image, shared with any task of the same Dockerfile).
  docker image ls --format '{{.Repository}}:{{.Tag}}' --filter 'reference=autoswarm-task-trivial-*' \
    | xargs -r docker rmi >/dev/null 2>&1 || true
}
trap cleanup EXIT

# The wrapper: bash's $EPOCHREALTIME (no fork) around the real client; one line per call.
write_wrapper() {  # PATH CLIENT
  cat >"$1" <<EOF
#!/usr/bin/env bash
start=\$EPOCHREALTIME
"$2" "\$@"
rc=\$?
echo "\$start \$EPOCHREALTIME \$1" >>"\$DOCKER_CALL_LOG"
exit \$rc
EOF
  chmod +x "$1"
}
write_wrapper "$WORK/docker" "$REAL_DOCKER"

# What the wrapper itself costs per call (starting bash, logging), measured around a wrapper of
# /bin/true: that time would not exist without the wrapper, so it is not autoswarm's.
write_wrapper "$WORK/true-wrapper" "$(command -v true)"
calibrate() {
  local log=$WORK/calibration.calls k=200 s e
  : >"$log"
  s=$EPOCHREALTIME
  for ((i = 0; i < k; ++i)); do DOCKER_CALL_LOG=$log "$WORK/true-wrapper" x; done
  e=$EPOCHREALTIME
  awk -v s="$s" -v e="$e" -v k="$k" '{ inner += $2 - $1 } END { printf "%.6f\n", (e - s - inner) / k }' "$log"
}
WRAPPER_S=$(calibrate)

for ((i = 1; i <= N_TASKS; ++i)); do
  t=$WORK/tasks/trivial-$i
  mkdir -p "$t/environment" "$t/tests" "$t/solution"
  echo "Nothing to do." >"$t/instruction.md"
  printf '[verifier]\ntimeout_sec = 60.0\n[agent]\ntimeout_sec = 60.0\n' >"$t/task.toml"
  printf 'FROM autoswarm-base\nWORKDIR /app\n' >"$t/environment/Dockerfile"
  printf 'echo 1 > /logs/verifier/reward.txt\n' >"$t/tests/test.sh"
  printf 'true\n' >"$t/solution/solve.sh"
done

# run NAME CONCURRENCY: one bench run; prints "wall_s docker_s calls".
run() {
  local name=$1 n=$2 log=$WORK/$1.calls
  : >"$log"
  local start end
  start=$EPOCHREALTIME
  AUTOSWARM_DOCKER=$WORK/docker DOCKER_CALL_LOG=$log \
    "$AUTOSWARM" bench run --tasks "$WORK/tasks" --agent oracle -n "$n" \
    -o "$WORK/jobs" --job-name "$name" >"$WORK/$name.out" 2>"$WORK/$name.err" \
    || { cat "$WORK/$name.err" >&2; echo "bench run $name failed" >&2; exit 1; }
  end=$EPOCHREALTIME
  grep -q "^passed=$N_TASKS/$N_TASKS " "$WORK/$name.out" \
    || { cat "$WORK/$name.out" >&2; echo "bench run $name: not every trivial task passed" >&2; exit 1; }
  # Union of the docker calls' intervals.
  sort -n "$log" | awk -v start="$start" -v end="$end" '
    { s = $1; e = $2; calls++
      if (calls == 1 || s > cur_e) { if (calls > 1) busy += cur_e - cur_s; cur_s = s; cur_e = e }
      else if (e > cur_e) cur_e = e }
    END { if (calls > 0) busy += cur_e - cur_s; printf "%.3f %.3f %d\n", end - start, busy, calls }'
}

echo "bench run overhead: $N_TASKS trivial tasks, --agent oracle, docker $(docker version --format '{{.Server.Version}}'), $(nproc) cores"
run warmup "$CONCURRENCY" >/dev/null
read -r wall1 docker1 calls1 < <(run serial 1)
read -r walln dockern callsn < <(run "concurrent" "$CONCURRENCY")

awk -v n="$N_TASKS" -v c="$CONCURRENCY" -v ws="$WRAPPER_S" \
    -v w1="$wall1" -v d1="$docker1" -v k1="$calls1" -v wn="$walln" -v dn="$dockern" -v kn="$callsn" '
  # At -n 1 the wrapper runs serially with the calls it wraps: its cost comes off the wall time.
  function row(label, w, d, k) {
    printf "  %-6s wall %6.2f s  %5.3f s/trial  docker %6.2f s (%d calls, %.1f/trial)  " \
           "autoswarm beyond docker %5.3f s/trial = %4.1f %% of a trial\n",
           label, w, w / n, d, k, k / n, (w - d) / n, 100 * (w - d) / w
  }
  BEGIN {
    printf "  logging wrapper around each docker call: %.1f ms (taken off the -n 1 wall time)\n", ws * 1000
    w1 -= k1 * ws
    row("-n 1", w1, d1, k1)
    row("-n " c, wn, dn, kn)
    printf "  speed-up of -n %d over -n 1: %.2fx\n", c, w1 / wn
    printf "  target: autoswarm <= 5 %% of a trial (-n 1): %s\n", (100 * (w1 - d1) / w1 <= 5 ? "met" : "NOT met")
  }'
