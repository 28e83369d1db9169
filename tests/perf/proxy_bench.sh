#!/usr/bin/env bash
# The proxy performance benchmark (docs/performance.md).
#
# In one run, against the fake upstream (build/tests/fake_llm) at a fixed latency, measures
#   direct     load generator -> fake_llm
#   autoswarm  load generator -> `autoswarm start` (logging on, a few skills injected) -> fake_llm
#   nginx      load generator -> nginx as a plain reverse proxy -> fake_llm   (when installable)
#   nolog      load generator -> `autoswarm start --no-log` (else the same) -> fake_llm: what the
#              conversation log costs, measured beside it
# non-streaming latency and time to first streamed byte at 1 client, requests/s at 1 and 64
# clients, and the proxy's idle RSS; then prints the added latency, the ratios and the targets.
#
# Builds nothing: expects `make -C build proxy_loadgen fake_llm autoswarm` done (BUILD_DIR
# overrides build/). Only loopback addresses are used. Every process it starts is stopped on
# exit, Ctrl-C included. Every phase is bounded by a request count and by --max-seconds.
#
#   tests/perf/proxy_bench.sh [--no-nginx | --with-nginx] [--latency-ms 2] [--clients 64]
#                             [--requests-1 2000] [--requests-n 20000] [--max-seconds 10]
#                             [--json FILE] [--keep]
#   what-if switches (not how users run it; for finding out what costs what):
#                             [--proxy-arg ARG]... (e.g. --no-log)  [--header "Name: value"]...
#                             (e.g. "X-Autoswarm-Skills: off", sent on every path)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
LATENCY_MS=2
CLIENTS=64
REQUESTS_1=2000
REQUESTS_N=20000
MAX_SECONDS=10
NGINX_MODE=auto          # auto: install with apt-get when missing, skip with a note if that fails
JSON_OUT=""
KEEP=0
PROXY_ARGS=()            # extra `autoswarm start` arguments, e.g. --no-log (what-if)
HEADERS=()               # extra request headers for every target, e.g. "X-Autoswarm-Skills: off"

usage() { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --with-nginx) NGINX_MODE=required ;;
    --no-nginx) NGINX_MODE=off ;;
    --latency-ms) LATENCY_MS=$2; shift ;;
    --clients) CLIENTS=$2; shift ;;
    --requests-1) REQUESTS_1=$2; shift ;;
    --requests-n) REQUESTS_N=$2; shift ;;
    --max-seconds) MAX_SECONDS=$2; shift ;;
    --proxy-arg) PROXY_ARGS+=("$2"); shift ;;
    --header) HEADERS+=(-H "$2"); shift ;;
    --json) JSON_OUT=$2; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "proxy_bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

FAKE_BIN=$BUILD_DIR/tests/fake_llm
LOADGEN=$BUILD_DIR/tests/proxy_loadgen
AUTOSWARM=$BUILD_DIR/src/autoswarm
for b in "$FAKE_BIN" "$LOADGEN" "$AUTOSWARM"; do
  if [[ ! -x $b ]]; then
    echo "proxy_bench: $b is missing; build first:" >&2
    echo "  cmake -S $ROOT -B $BUILD_DIR && make -C $BUILD_DIR -j2 proxy_loadgen fake_llm autoswarm" >&2
    exit 2
  fi
done
command -v python3 >/dev/null || { echo "proxy_bench: python3 is needed for the report" >&2; exit 2; }

# --- processes and cleanup ---------------------------------------------------------------------

TMP=$(mktemp -d /tmp/autoswarm-bench.XXXXXX)
chmod 755 "$TMP"   # nginx workers run as an unprivileged user and need to reach their files
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do            # up to 5 s for everything to stop by itself
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ $KEEP == 1 ]]; then echo "proxy_bench: kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

note() { echo "proxy_bench: $*" >&2; }

# Waits (at most $3 tenths of a second) for a line matching $2 in file $1; prints the match.
wait_for_line() {
  local file=$1 pattern=$2 tenths=$3
  for _ in $(seq "$tenths"); do
    if grep -Eo "$pattern" "$file" 2>/dev/null | head -1 | grep .; then return 0; fi
    sleep 0.1
  done
  return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
threads_of() { awk '/^Threads:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# Private copies: other builds may relink build/ while the benchmark runs.
mkdir -p "$TMP/bin"
cp "$FAKE_BIN" "$LOADGEN" "$AUTOSWARM" "$TMP/bin/"
note "binaries from $BUILD_DIR, autoswarm built $(date -r "$AUTOSWARM" '+%F %T')"
FAKE_BIN=$TMP/bin/fake_llm LOADGEN=$TMP/bin/proxy_loadgen AUTOSWARM=$TMP/bin/autoswarm

# --- the fake upstream ---------------------------------------------------------------------------

cat > "$TMP/fake_script.yaml" <<'EOF'
# A fixed reply of 195 characters, streamed 8 characters per event (25 content events).
default_reply: "Use `ls -lt | head -n 5` for the five newest entries; add -h for human-readable sizes (ls -lht). To include dot files add -a, and to list directories themselves rather than their contents add -d."
rules:
  - match: {stream: true}
    stream: {chunk_size: 8}
EOF

"$FAKE_BIN" --flavor openai --port 0 --latency-ms "$LATENCY_MS" \
  --script "$TMP/fake_script.yaml" >"$TMP/fake.out" 2>&1 &
FAKE_PID=$!
PIDS+=("$FAKE_PID")
FAKE_URL=$(wait_for_line "$TMP/fake.out" 'http://127\.0\.0\.1:[0-9]+' 100) || {
  note "fake_llm did not start:"; cat "$TMP/fake.out" >&2; exit 1; }
FAKE_PORT=${FAKE_URL##*:}

# --- the proxy -----------------------------------------------------------------------------------

mkdir -p "$TMP/home"
cat > "$TMP/home/skills.yaml" <<'EOF'
version: 1
skills:
  - id: sk-bench01
    text: "When the user asks for a shell one-liner, give the command first, then explain it in one sentence."
    created: 2026-01-01T00:00:00Z
  - id: sk-bench02
    text: "Prefer POSIX tools (ls, find, sort, head) over GNU-only flags unless the user says they are on Linux."
    created: 2026-01-01T00:00:00Z
  - id: sk-bench03
    text: "Before suggesting rm or mv on many files, show a dry run that only prints what would change."
    created: 2026-01-01T00:00:00Z
  - id: sk-bench04
    text: "Quote file names in commands so that spaces and glob characters are safe."
    created: 2026-01-01T00:00:00Z
  - id: sk-bench05
    text: "When sizes are shown, use human-readable units (-h) and say which column holds them."
    created: 2026-01-01T00:00:00Z
  - id: sk-bench06
    text: "Name the exact file and line when pointing at a bug; never invent paths that were not shown."
    created: 2026-01-01T00:00:00Z
EOF

# Starts `autoswarm --home DIR start ... ARGS` (output in $TMP/NAME.out and .err); sets
# STARTED_PID and STARTED_URL.
start_proxy() {   # name home [args...]
  local name=$1 home=$2
  shift 2
  "$AUTOSWARM" --home "$home" start --upstream "$FAKE_URL" --model fake-model --port 0 "$@" \
    "${PROXY_ARGS[@]}" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  STARTED_URL=$(wait_for_line "$TMP/$name.out" 'listening +http://127\.0\.0\.1:[0-9]+' 100) || {
    note "autoswarm start $* did not start:"; cat "$TMP/$name.out" "$TMP/$name.err" >&2; exit 1; }
  STARTED_URL=http${STARTED_URL#*http}
}
start_proxy proxy "$TMP/home"
PROXY_PID=$STARTED_PID PROXY_URL=$STARTED_URL

# The same proxy without the conversation log, in its own data directory.
mkdir -p "$TMP/home-nolog"
cp "$TMP/home/skills.yaml" "$TMP/home-nolog/"
start_proxy nolog "$TMP/home-nolog" --no-log
NOLOG_PID=$STARTED_PID NOLOG_URL=$STARTED_URL

# --- nginx -----------------------------------------------------------------------------------------

NGINX_URL=""
NGINX_NOTE=""
if [[ $NGINX_MODE != off ]]; then
  if ! command -v nginx >/dev/null && [[ -x /usr/sbin/nginx ]]; then PATH=$PATH:/usr/sbin; fi
  if ! command -v nginx >/dev/null; then
    note "nginx is missing; installing it with apt-get (nginx-light)"
    if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; } \
        >"$TMP/apt.log" 2>&1 || true
      PATH=$PATH:/usr/sbin
    fi
  fi
  if command -v nginx >/dev/null; then
    NGINX_PORT=$(free_port)
    mkdir -p "$TMP/nginx/tmp"
    # A plain reverse proxy, tuned the way one would for SSE: HTTP/1.1 and keep-alive to the
    # upstream, no response buffering. Access log on (nginx's default), like autoswarm's.
    cat > "$TMP/nginx/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log $TMP/nginx/access.log;
  client_body_temp_path $TMP/nginx/tmp/body;
  proxy_temp_path $TMP/nginx/tmp/proxy;
  fastcgi_temp_path $TMP/nginx/tmp/fastcgi;
  uwsgi_temp_path $TMP/nginx/tmp/uwsgi;
  scgi_temp_path $TMP/nginx/tmp/scgi;
  keepalive_requests 100000;
  upstream fake {
    server 127.0.0.1:$FAKE_PORT;
    keepalive 128;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 60s;
    }
  }
}
EOF
    if nginx -t -q -p "$TMP/nginx/" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" 2>"$TMP/nginx/test.err"; then
      nginx -p "$TMP/nginx/" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" >"$TMP/nginx/stdout" 2>&1 &
      PIDS+=("$!")
      for _ in $(seq 100); do port_open "$NGINX_PORT" && break; sleep 0.1; done
      if port_open "$NGINX_PORT"; then NGINX_URL=http://127.0.0.1:$NGINX_PORT; fi
    fi
    [[ -z $NGINX_URL ]] && NGINX_NOTE="nginx did not start: $(cat "$TMP/nginx/test.err" "$TMP/nginx/error.log" 2>/dev/null | head -3)"
  else
    NGINX_NOTE="nginx is not installed and could not be installed; the nginx column is skipped"
  fi
  if [[ -z $NGINX_URL ]]; then
    note "$NGINX_NOTE"
    [[ $NGINX_MODE == required ]] && exit 1
  fi
else
  NGINX_NOTE="nginx skipped (--no-nginx)"
fi

sleep 1
RSS_START=$(rss_kb "$PROXY_PID")
THREADS_START=$(threads_of "$PROXY_PID")

# --- measurements ------------------------------------------------------------------------------------

TARGETS=(direct autoswarm)
declare -A URLS=([direct]=$FAKE_URL [autoswarm]=$PROXY_URL)
if [[ -n $NGINX_URL ]]; then TARGETS+=(nginx); URLS[nginx]=$NGINX_URL; fi
TARGETS+=(nolog)
URLS[nolog]=$NOLOG_URL

LIMIT=$(( MAX_SECONDS + 60 ))   # hard cap per load generator run (one phase plus warm-up)

# CPU time (clock ticks, user + system) of a process and its children, e.g. nginx's workers.
cpu_ticks() {
  local total=0 pid f
  for pid in "$1" $(pgrep -P "$1" 2>/dev/null); do
    f=$(cut -d')' -f2 "/proc/$pid/stat" 2>/dev/null) || continue
    set -- $f
    total=$(( total + ${12} + ${13} ))   # utime, stime (fields 14, 15 of /proc/PID/stat)
  done
  echo "$total"
}
declare -A CPU_PIDS=([direct]=$FAKE_PID [autoswarm]=$PROXY_PID [nolog]=$NOLOG_PID)

run_load() {   # name clients mode requests warmup [loadgen args...]
  local name=$1 clients=$2 mode=$3 requests=$4 warmup=$5 out="$TMP/result-$1-c$2-$3.json"
  shift 5
  note "$name: $mode, $clients client(s), $requests requests (at most ${MAX_SECONDS}s)"
  local fake0 self0
  fake0=$(cpu_ticks "$FAKE_PID"); self0=$(cpu_ticks "${CPU_PIDS[$name]}")
  # In the background and waited for, so that Ctrl-C / TERM reach the trap at once.
  timeout "$LIMIT" "$LOADGEN" --url "${URLS[$name]}" --clients "$clients" --requests "$requests" \
    --warmup "$warmup" --max-seconds "$MAX_SECONDS" --mode "$mode" "${HEADERS[@]}" "$@" \
    >"$out.raw" 2>"$TMP/loadgen.err" &
  local lg=$!
  PIDS+=("$lg")
  if ! wait "$lg"; then
    note "load generator failed for $name: $(head -3 "$TMP/loadgen.err")"
    echo '{}' >"$out.raw"
  fi
  local fake1 self1
  fake1=$(cpu_ticks "$FAKE_PID"); self1=$(cpu_ticks "${CPU_PIDS[$name]}")
  # {"<mode>": {...}, "sent": n incl. warm-up, "cpu_ticks": {"fake": t, "hop": t}}
  python3 - "$out.raw" "$out" "$mode" "$clients" "$warmup" "$((fake1 - fake0))" "$((self1 - self0))" "$name" <<'PY'
import json, sys
raw, out, mode, clients, warmup, fake, hop, name = sys.argv[1:]
try:
    r = json.load(open(raw))
except ValueError:
    r = {}
m = r.get(mode, {})
sent = (m.get("ok", 0) + m.get("errors", 0) + int(clients) * int(warmup)) if m else 0
json.dump({mode: m, "sent": sent, "cpu_ticks": {"fake": int(fake), "hop": None if name == "direct" else int(hop)}},
          open(out, "w"))
PY
}

if [[ -n $NGINX_URL ]]; then CPU_PIDS[nginx]=$(cat "$TMP/nginx/nginx.pid" 2>/dev/null || echo 0); fi
LOAD_START=$(date +%s)
for c in 1 "$CLIENTS"; do
  for mode in chat stream; do
    for t in "${TARGETS[@]}"; do
      if [[ $c == 1 ]]; then run_load "$t" 1 "$mode" "$REQUESTS_1" 50; else run_load "$t" "$c" "$mode" "$REQUESTS_N" 5; fi
    done
  done
done
# The Anthropic Messages and Responses APIs at one client, translated by the proxy to the fake's
# chat completions: the same conversation in each API's shape, against direct chat completions
# (the upstream's work is the same) and the proxy's own chat completions (the translation's cost).
for proto in messages responses; do
  URLS[$proto]=$PROXY_URL
  CPU_PIDS[$proto]=$PROXY_PID
  for mode in chat stream; do run_load "$proto" 1 "$mode" "$REQUESTS_1" 50 --protocol "$proto"; done
done
LOAD_SECONDS=$(( $(date +%s) - LOAD_START ))

RSS_PEAK=$(awk '/^VmHWM:/ {print $2}' "/proc/$PROXY_PID/status" 2>/dev/null || echo 0)
THREADS_LOAD=$(threads_of "$PROXY_PID")
# The conversation log is written by one background thread; give it up to 60 s to catch up, and
# report how long that took (a backlog is memory held by the proxy).
# Records: lines of the segments (*.jsonl but the review ledger) and files of older versions (*.json).
logged() {
  if [[ -d $TMP/home/conversations ]]; then
    local lines files
    lines=$(find "$TMP/home/conversations" -name '*.jsonl' ! -name reviewed.jsonl -exec cat {} + | wc -l)
    files=$(find "$TMP/home/conversations" -name '*.json' | wc -l)
    echo $(( lines + files ))
  else
    echo 0
  fi
}
LOGGED_AT_END=$(logged)
DRAIN_START=$(date +%s.%N)
prev=-1
for _ in $(seq 600); do
  n=$(logged)
  [[ $n == "$prev" ]] && break
  prev=$n
  sleep 0.5
done
LOGGED=$(logged)
DRAIN_SECONDS=$(python3 -c "import time; print(round(time.time() - $DRAIN_START - 0.5, 1))")
sleep 2
RSS_END=$(rss_kb "$PROXY_PID")
THREADS_END=$(threads_of "$PROXY_PID")

# --- report ----------------------------------------------------------------------------------------

export TMP CLIENTS LATENCY_MS RSS_START RSS_END RSS_PEAK THREADS_START THREADS_LOAD THREADS_END \
  LOGGED LOGGED_AT_END DRAIN_SECONDS LOAD_SECONDS NGINX_NOTE JSON_OUT PROXY_ARGS_TEXT HEADERS_TEXT
export TARGET_LIST="${TARGETS[*]}"
PROXY_ARGS_TEXT="${PROXY_ARGS[*]}"
HEADERS_TEXT="${HEADERS[*]}"
python3 - <<'EOF'
import json, os
env = os.environ
tmp, n = env["TMP"], int(env["CLIENTS"])
targets = env["TARGET_LIST"].split()

def load(name, c):
    out = {}
    for mode in ("chat", "stream"):
        try:
            with open(f"{tmp}/result-{name}-c{c}-{mode}.json") as f:
                r = json.load(f)
        except (OSError, ValueError):
            continue
        out[mode] = r.get(mode, {})
        out[mode + "_cpu"] = r.get("cpu_ticks", {})
        out[mode + "_sent"] = r.get("sent", 0)
    return out

res = {t: {1: load(t, 1), n: load(t, n)} for t in targets}
protocols = ("messages", "responses")
for proto in protocols:
    res[proto] = {1: load(proto, 1)}

def get(t, c, *path):
    v = res.get(t, {}).get(c, {})
    for p in path:
        v = v.get(p) if isinstance(v, dict) else None
    return v

def fmt(v, digits=3):
    if v is None: return "-"
    if isinstance(v, str): return v
    return f"{v:.{digits}f}" if abs(v) < 100 else f"{v:.0f}"

def sub(a, b): return None if a is None or b is None else a - b
def div(a, b): return None if a is None or not b else a / b

rows = []  # label, per-target values, digits
def metric(label, c, *path, digits=3):
    rows.append((label, [get(t, c, *path) for t in targets], digits))

metric("chat latency p50 @1 (ms)", 1, "chat", "latency_ms", "p50")
metric("chat latency p90 @1 (ms)", 1, "chat", "latency_ms", "p90")
metric("chat latency p99 @1 (ms)", 1, "chat", "latency_ms", "p99")
metric("chat latency mean @1 (ms)", 1, "chat", "latency_ms", "mean")
metric("stream first byte p50 @1 (ms)", 1, "stream", "ttfb_ms", "p50")
metric("stream first byte p99 @1 (ms)", 1, "stream", "ttfb_ms", "p99")
metric("stream total p50 @1 (ms)", 1, "stream", "latency_ms", "p50")
metric("chat requests/s @1", 1, "chat", "rps", digits=1)
metric("stream requests/s @1", 1, "stream", "rps", digits=1)
metric(f"chat requests/s @{n}", n, "chat", "rps", digits=1)
metric(f"stream requests/s @{n}", n, "stream", "rps", digits=1)
metric(f"chat latency p50 @{n} (ms)", n, "chat", "latency_ms", "p50")
metric(f"chat latency p99 @{n} (ms)", n, "chat", "latency_ms", "p99")
metric(f"stream first byte p99 @{n} (ms)", n, "stream", "ttfb_ms", "p99")
HZ = os.sysconf("SC_CLK_TCK")
def cpu_us(t, c, m, who):
    ticks, sent = get(t, c, m + "_cpu", who), get(t, c, m + "_sent")
    return None if ticks is None or not sent else ticks / HZ * 1e6 / sent
for m in ("chat", "stream"):
    rows.append((f"hop CPU per {m} @{n} (us)", [cpu_us(t, n, m, "hop") for t in targets], 0))
    rows.append((f"fake CPU per {m} @{n} (us)", [cpu_us(t, n, m, "fake") for t in targets], 0))
rows.append(("samples (chat+stream @1, @%d)" % n,
             [f"{(get(t,1,'chat','ok') or 0)+(get(t,1,'stream','ok') or 0)}, "
              f"{(get(t,n,'chat','ok') or 0)+(get(t,n,'stream','ok') or 0)}" for t in targets], 0))
rows.append(("errors (all phases)",
             [sum((get(t, c, m, "errors") or 0) for c in (1, n) for m in ("chat", "stream")) for t in targets], 0))

has_nginx = "nginx" in targets
# Differences of columns, by name: (heading, minuend, subtrahend).
extra = [("as-direct", "autoswarm", "direct")]
if has_nginx: extra += [("nginx-direct", "nginx", "direct"), ("as-nginx", "autoswarm", "nginx")]
extra += [("log-nolog", "autoswarm", "nolog")]
print()
print(f"AutoSwarm proxy benchmark — fake upstream latency {env['LATENCY_MS']} ms, {n} clients for the loaded phases")
hdr = f"{'':34}" + "".join(f"{t:>12}" for t in targets) + "".join(f"{e[0]:>14}" for e in extra)
print(hdr)
print("-" * len(hdr))
for label, vals, d in rows:
    line = f"{label:34}" + "".join(f"{fmt(v, d):>12}" for v in vals)
    if "(ms)" in label:
        by = dict(zip(targets, vals))
        line += "".join(f"{fmt(sub(by.get(a), by.get(b))):>14}" for _, a, b in extra)
    print(line)

print()
print("Ratios (requests/s)")
for label, c, m in [("chat @1", 1, "chat"), ("stream @1", 1, "stream"), (f"chat @{n}", n, "chat"), (f"stream @{n}", n, "stream")]:
    d, a = get("direct", c, m, "rps"), get("autoswarm", c, m, "rps")
    parts = [f"autoswarm/direct {fmt(div(a, d), 2)}"]
    if has_nginx:
        g = get("nginx", c, m, "rps")
        parts += [f"autoswarm/nginx {fmt(div(a, g), 2)}", f"nginx/direct {fmt(div(g, d), 2)}"]
    parts.append(f"autoswarm/nolog {fmt(div(a, get('nolog', c, m, 'rps')), 2)}")
    print(f"  {label:12} " + "   ".join(parts))

rss_start, rss_end, rss_peak = int(env["RSS_START"]) / 1024, int(env["RSS_END"]) / 1024, int(env["RSS_PEAK"]) / 1024
print()
print(f"autoswarm memory: idle RSS after start {rss_start:.1f} MB, idle after load {rss_end:.1f} MB, "
      f"peak {rss_peak:.1f} MB; threads {env['THREADS_START']} idle, {env['THREADS_LOAD']} right after load, "
      f"{env['THREADS_END']} idle after")
print(f"conversation log: {env['LOGGED_AT_END']} records on disk when the load ended "
      f"({env['LOAD_SECONDS']} s of load), {env['LOGGED']} after draining ({env['DRAIN_SECONDS']} s more)")
if env.get("NGINX_NOTE"): print("note: " + env["NGINX_NOTE"])
if env.get("PROXY_ARGS_TEXT") or env.get("HEADERS_TEXT"):
    print(f"note: WHAT-IF run, not as users run it: autoswarm start {env.get('PROXY_ARGS_TEXT', '')}; "
          f"headers {env.get('HEADERS_TEXT', '')}")
d50 = get("direct", 1, "chat", "latency_ms", "p50")
if d50 is not None and d50 > float(env["LATENCY_MS"]) + 20:
    print(f"note: direct p50 is {d50:.1f} ms for a {env['LATENCY_MS']} ms fake: fake_llm looks stalled by "
          "Nagle/delayed ACK (a build without TCP_NODELAY?), see docs/performance.md")

def added(c, *path):
    return sub(get("autoswarm", c, *path), get("direct", c, *path))

def added_to(target, *path):  # one client, against direct chat completions
    return sub(get(target, 1, *path), get("direct", 1, *path))

checks = []
def check(label, value, ok, target):
    checks.append((label, value, target, "-" if ok is None else ("PASS" if ok else "MISS")))

a50 = added(1, "chat", "latency_ms", "p50")
a99 = added(1, "chat", "latency_ms", "p99")
att = added(1, "stream", "ttfb_ms", "p50")
att99 = added(1, "stream", "ttfb_ms", "p99")
check("added chat p50 @1", f"{fmt(a50)} ms", None if a50 is None else a50 <= 0.3, "<= 0.3 ms")
check("added chat p99 @1", f"{fmt(a99)} ms", None if a99 is None else a99 <= 1.0, "<= 1 ms")
check("added first byte p50 @1", f"{fmt(att)} ms", None if att is None else att <= 1.0, "<= 1 ms")
check("added first byte p99 @1", f"{fmt(att99)} ms", None if att99 is None else att99 <= 1.0, "<= 1 ms")
for m in ("chat", "stream"):
    a, g = get("autoswarm", n, m, "rps"), get("nginx", n, m, "rps") if has_nginx else None
    check(f"{m} requests/s @{n} vs nginx", f"{fmt(a, 1)} vs {fmt(g, 1)}",
          None if a is None or g is None else a >= g, ">= nginx")
# What the conversation log costs: the same proxy with logging on against --no-log.
for m in ("chat", "stream"):
    a, q = get("autoswarm", n, m, "rps"), get("nolog", n, m, "rps")
    r = div(a, q)
    check(f"{m} requests/s @{n} log/no-log", fmt(r, 2), None if r is None else r >= 0.9, ">= 0.9")
l99 = sub(get("autoswarm", 1, "chat", "latency_ms", "p99"), get("nolog", 1, "chat", "latency_ms", "p99"))
check("p99 @1 added by the log", f"{fmt(l99)} ms", None if l99 is None else l99 <= 1.0, "<= 1 ms")
for proto in protocols:
    p50, pc50 = added_to(proto, "chat", "latency_ms", "p50"), sub(get(proto, 1, "chat", "latency_ms", "p50"), get("autoswarm", 1, "chat", "latency_ms", "p50"))
    f50 = added_to(proto, "stream", "ttfb_ms", "p50")
    check(f"added {proto} p50 @1", f"{fmt(p50)} ms", None if p50 is None else p50 <= 0.4, "<= 0.4 ms")
    check(f"added {proto} p99 @1", f"{fmt(added_to(proto, 'chat', 'latency_ms', 'p99'))} ms", None, "-")
    check(f"  of it translation (vs chat)", f"{fmt(pc50)} ms", None if pc50 is None else pc50 <= 0.1, "<= 0.1 ms")
    check(f"added {proto} first byte p50", f"{fmt(f50)} ms", None if f50 is None else f50 <= 1.0, "<= 1 ms")
    check(f"added {proto} first byte p99", f"{fmt(added_to(proto, 'stream', 'ttfb_ms', 'p99'))} ms", None, "-")
check("idle RSS after start", f"{rss_start:.1f} MB", rss_start <= 20, "<= 20 MB")
check("idle RSS after load", f"{rss_end:.1f} MB", rss_end <= 20, "<= 20 MB")
errs = sum((get(t, c, m, "errors") or 0) for t in targets for c in (1, n) for m in ("chat", "stream"))
errs += sum((get(p, 1, m, "errors") or 0) for p in protocols for m in ("chat", "stream"))
check("errors", str(errs), errs == 0, "0")
print()
print("Targets")
for label, value, target, verdict in checks:
    print(f"  {label:30} {value:>20}   target {target:10} {verdict}")

if env.get("JSON_OUT"):
    with open(env["JSON_OUT"], "w") as f:
        json.dump({"results": {t: {str(c): v for c, v in r.items()} for t, r in res.items()},
                   "rss_kb": {"start": int(env["RSS_START"]), "end": int(env["RSS_END"]), "peak": int(env["RSS_PEAK"])},
                   "checks": [{"check": c[0], "value": c[1], "target": c[2], "verdict": c[3]} for c in checks]},
                  f, indent=1)
EOF
