#!/usr/bin/env bash
# The reflect performance benchmark (docs/performance.md, "reflect").
#
# 1. `autoswarm reflect` over N logged conversations (default 1,000, ~2 KB each, shaped like
#    the proxy's logs) against the fake upstream (build/tests/fake_llm) answering every call
#    after a fixed --latency-ms. Reports the wall time, the sum of the LLM latencies, and the
#    difference per conversation: the tool's own overhead (target: under 2 ms). As a reference
#    measured in the same run, proxy_loadgen sends the same lesson request straight to the fake
#    N times; the wall time minus that many median round trips is what autoswarm itself adds
#    (loopback HTTP and the fake's own work excluded).
# 2. How the skillbook scales: `autoswarm skills list` (table and --json) and skills_bench
#    (parse skills.yaml, injection selection with skills::choose_skills, the novelty check)
#    at --skills sizes (default 100, 1000 and 10000).
#
# Builds nothing: expects `make -C build autoswarm fake_llm proxy_loadgen skills_bench` done
# (BUILD_DIR overrides build/). Loopback only; every process it starts is stopped on exit.
#
#   tests/perf/reflect_bench.sh [--conversations 1000] [--latency-ms 5] [--skills "100 1000 10000"] [--keep]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
CONVERSATIONS=1000
LATENCY_MS=5
SKILL_SIZES="100 1000 10000"
KEEP=0

usage() { sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --conversations) CONVERSATIONS=$2; shift ;;
    --latency-ms) LATENCY_MS=$2; shift ;;
    --skills) SKILL_SIZES=$2; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

AUTOSWARM=$BUILD_DIR/src/autoswarm
FAKE_BIN=$BUILD_DIR/tests/fake_llm
LOADGEN=$BUILD_DIR/tests/proxy_loadgen
SKILLS_BENCH=$BUILD_DIR/tests/skills_bench
for bin in "$AUTOSWARM" "$FAKE_BIN" "$LOADGEN" "$SKILLS_BENCH"; do
  [[ -x $bin ]] || { echo "missing $bin: run make -C $BUILD_DIR autoswarm fake_llm proxy_loadgen skills_bench" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/reflect-bench.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ $KEEP == 1 ]]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ns() { date +%s%N; }
ms_since() { echo $(( ($(now_ns) - $1) / 1000000 )); }

# The fake answers in several writes; without TCP_NODELAY on its sockets a client's delayed
# ACK stalls each answer ~40 ms (see "The fake's Nagle stall" in docs/performance.md). Real
# servers do not, so the fake runs with TCP_NODELAY forced on, as in proxy_bench.sh.
SHIM=""
cat > "$TMP/nodelay.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
static void nodelay(int fd) { int one = 1; if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); }
int accept(int s, struct sockaddr *a, socklen_t *l) {
  static int (*real)(int, struct sockaddr *, socklen_t *);
  if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
  int fd = real(s, a, l); nodelay(fd); return fd;
}
int accept4(int s, struct sockaddr *a, socklen_t *l, int flags) {
  static int (*real)(int, struct sockaddr *, socklen_t *, int);
  if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
  int fd = real(s, a, l, flags); nodelay(fd); return fd;
}
C
if cc -O2 -shared -fPIC -o "$TMP/nodelay.so" "$TMP/nodelay.c" -ldl 2>/dev/null; then SHIM=$TMP/nodelay.so
else echo "note: could not build the TCP_NODELAY shim; fake answers may stall ~40 ms" >&2; fi

# --- conversations -------------------------------------------------------------------------
HOME_DIR=$TMP/home
mkdir -p "$HOME_DIR/conversations"
ANSWER="Use \`tar -cpzf backup.tgz dir/\`: -c creates, -p keeps permissions, -z compresses with gzip and -f names the archive. To restore, run \`tar -xpzf backup.tgz\` as the same user (or root, to keep the owners). Add -v to see each file as it goes. For large trees, consider --exclude to skip caches such as node_modules or .git, and check the result with \`tar -tzf backup.tgz | head\`."
for i in $(seq 1 "$CONVERSATIONS"); do
  id=$(printf '20260101T%02d%02d%02d.000Z-b%05d' $((i / 3600 % 24)) $((i / 60 % 60)) $((i % 60)) "$i")
  printf '{"id":"%s","started_at":"2026-01-01T00:00:00.000Z","ended_at":"2026-01-01T00:00:02.000Z","upstream":"http://127.0.0.1:1234/v1","model":"qwen2.5-7b-instruct","stream":true,"messages":[{"role":"system","content":"You are a helpful assistant for shell questions. Keep answers short."},{"role":"user","content":"topic-%d: how do I make a compressed backup of a directory with tar so that permissions survive? I tried zip but it lost the executable bits on my scripts, and I need to restore it on another machine later."}],"tools":null,"params":{"temperature":0.7},"injected_skills":[],"reply":{"content":"%s","tool_calls":[],"finish_reason":"stop"},"usage":{"prompt_tokens":120,"completion_tokens":110,"total_tokens":230},"latency_ms":1800.0,"status":200,"error":null,"client_disconnected":false}\n' \
    "$id" "$i" "$ANSWER"
done > "$HOME_DIR/conversations/2026-01-01.jsonl"   # one day's segment, a line per record, as the proxy writes

# Every 10th conversation yields the same lesson: the first is added, the rest are duplicates.
cat > "$TMP/script.yaml" <<'EOF'
default_reply: '{"lesson": null, "known_as": null, "reason": "nothing new"}'
rules:
  - match: {system: "You curate a skillbook"}
    reply: {content: '{"remove": []}'}
  - match: {content: "topic-[0-9]*0\\b"}
    reply: {content: '{"lesson": "When the user asks for tar backups, include -p so permissions survive.", "known_as": null}'}
EOF

fake_env=()
[[ -n $SHIM ]] && fake_env=(env "LD_PRELOAD=$SHIM")
"${fake_env[@]}" "$FAKE_BIN" --latency-ms "$LATENCY_MS" --script "$TMP/script.yaml" --record "$TMP/requests.jsonl" \
  >"$TMP/fake.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q 'listening on' "$TMP/fake.out" 2>/dev/null && break; sleep 0.05; done
FAKE_URL=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' "$TMP/fake.out" | head -1)
[[ -n $FAKE_URL ]] || { echo "fake_llm did not start:" >&2; cat "$TMP/fake.out" >&2; exit 1; }

# --- reflect over the conversations ----------------------------------------------------------
start=$(now_ns)
summary=$("$AUTOSWARM" --home "$HOME_DIR" --log-level warn reflect --upstream "$FAKE_URL")
wall_ms=$(ms_since "$start")
calls=$(grep -c '"/v1/chat/completions"' "$TMP/requests.jsonl")

# The reference: the same lesson request (a typical one, recorded above) sent straight to the
# fake by one keep-alive client, as many times as reflect called it.
python3 - "$TMP/requests.jsonl" "$TMP/body.json" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["path"] == "/v1/chat/completions" and "review one conversation" in r["body"]["messages"][0]["content"]:
        json.dump(r["body"], open(sys.argv[2], "w")); break
PY
"$LOADGEN" --url "$FAKE_URL" --clients 1 --requests "$calls" --warmup 5 --mode chat --max-seconds 600 \
  --body-file "$TMP/body.json" > "$TMP/direct.json"

echo "reflect: $summary"
python3 - "$wall_ms" "$calls" "$LATENCY_MS" "$CONVERSATIONS" "$TMP/direct.json" "$(stat -c %s "$TMP/body.json")" <<'PY'
import json, sys
wall, calls, latency, n = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
direct = json.load(open(sys.argv[5]))["chat"]
direct_p50 = direct["latency_ms"]["p50"]
print(f"  {n} conversations, {calls} LLM calls (lesson request ~{int(sys.argv[6])} bytes), fake latency {latency:g} ms")
print(f"  wall time                         {wall:9.0f} ms")
print(f"  sum of LLM latencies              {calls * latency:9.0f} ms")
over = (wall - calls * latency) / n
print(f"  overhead per conversation         {over:9.2f} ms   (wall - latencies; target < 2 ms)")
print(f"  reference: one direct call        {direct_p50:9.2f} ms median (mean {direct['latency_ms']['mean']:.2f}, p99 {direct['latency_ms']['p99']:.2f})")
own = (wall - calls * direct_p50) / n
print(f"  autoswarm's own per conversation  {own:9.2f} ms   (wall - median direct round trips)")
PY

# --- the skillbook at scale ------------------------------------------------------------------
echo "skills:"
printf '  %8s  %12s  %12s  %10s  %10s  %12s  %12s\n' skills "list (ms)" "list --json" "parse (ms)" "index (ms)" "choose (ms)" "novelty (ms)"
for n in $SKILL_SIZES; do
  BOOK=$TMP/book-$n
  mkdir -p "$BOOK"
  "$SKILLS_BENCH" --skills "$n" --write "$BOOK/skills.yaml" > "$TMP/skills-$n.json"
  start=$(now_ns); "$AUTOSWARM" --home "$BOOK" skills list > /dev/null; list_ms=$(ms_since "$start")
  start=$(now_ns); "$AUTOSWARM" --home "$BOOK" skills list --json > /dev/null; json_ms=$(ms_since "$start")
  python3 - "$n" "$list_ms" "$json_ms" "$TMP/skills-$n.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[4]))
print(f"  {int(sys.argv[1]):8d}  {float(sys.argv[2]):12.0f}  {float(sys.argv[3]):12.0f}  {r['parse_ms']:10.1f}  {r['index_ms']:10.1f}  {r['choose_ms']:12.2f}  {r['novelty_ms']:12.2f}")
PY
done
echo "  (list: whole command incl. process start; index: built once per (re)load of skills.yaml;"
echo "   choose: skills::choose_skills per request against that index with the proxy's default"
echo "   800-token budget, mean of 50; novelty: one lesson checked against the book)"
