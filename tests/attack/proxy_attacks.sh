#!/usr/bin/env bash
# Replays the online-mode memory and input attacks against a real `autoswarm start` in front of
# the fake upstream (loopback only, each bounded in time) and checks what must hold: the proxy's
# peak RSS stays under 64 MB while an upstream streams 196 MB, while it sends a 100 MB
# non-streaming body (a 502, read no further) and while a slow client reads a fast stream; the
# conversation record of the 196 MB stream stays about --max-log-reply; JSON nested 70,000 deep
# is a 400; a cross-site text/plain POST is refused; the proxy is alive after every case.
#   tests/attack/proxy_attacks.sh [AUTOSWARM_BINARY [FAKE_LLM_BINARY]]
# Exit 0 when every case holds; one line per case either way, with the peak RSS measured.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
autoswarm=${1:-$root/build/src/autoswarm}
fake_llm=${2:-$root/build/tests/fake_llm}
rss_ceiling_kib=$((64 * 1024))
work=$(mktemp -d)
fake_pid= proxy_pid=
cleanup() {
  [[ -n $proxy_pid ]] && kill "$proxy_pid" 2>/dev/null
  [[ -n $fake_pid ]] && kill "$fake_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }

cat > "$work/script.yaml" <<'YAML'
rules:
  - match: {content: "stream-huge"}
    fault: {huge_content_bytes: 196000000}
  - match: {content: "whole-huge"}
    fault: {huge_content_bytes: 100000000}
YAML
coproc FAKE { exec "$fake_llm" --models fake-model --script "$work/script.yaml"; }
fake_pid=$FAKE_PID
read -r -t 10 line <&"${FAKE[0]}"
upstream=${line##* }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
proxy=http://127.0.0.1:$port
"$autoswarm" --home "$work/home" start --port "$port" --upstream "$upstream" --model fake-model \
  > "$work/proxy.out" 2>&1 &
proxy_pid=$!
for _ in $(seq 100); do curl -sf "$proxy/health" >/dev/null && break; sleep 0.1; done

alive() { kill -0 "$proxy_pid" 2>/dev/null && curl -sf -m 5 "$proxy/health" >/dev/null; }
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$proxy_pid/status"; }
chat() {  # chat CONTENT STREAM -> body on stdout
  curl -s -m 120 -H 'Content-Type: application/json' \
    -d "{\"stream\":$2,\"messages\":[{\"role\":\"user\",\"content\":\"$1\"}]}" "$proxy/v1/chat/completions"
}

# 1. 196 MB streamed: the client gets it all, the proxy's memory stays flat.
bytes=$(chat stream-huge true | wc -c)
peak=$(hwm)
echo "      peak RSS after a 196 MB stream: $peak KiB (ceiling $rss_ceiling_kib KiB); client got $bytes bytes"
if alive && (( peak <= rss_ceiling_kib && bytes > 196000000 )); then pass "a 196 MB stream is relayed whole in bounded memory"
else fail "a 196 MB stream is relayed whole in bounded memory"; fi
sleep 0.5  # the log writer batches within 200 ms
record=$(ls -S "$work"/home/conversations/* 2>/dev/null | head -1)
size=$(stat -c %s "$record" 2>/dev/null || echo 0)
if (( size > 1000000 && size < 1200000 )) && grep -q '"cut_bytes":' "$record"; then
  pass "the stream's conversation record keeps 1 MiB and counts the cut ($size bytes)"
else fail "the stream's conversation record keeps 1 MiB and counts the cut ($size bytes)"; fi

# 2. A 100 MB non-streaming body: a 502 read no further.
reply=$(chat whole-huge false)
peak=$(hwm)
echo "      peak RSS after a 100 MB non-streaming body: $peak KiB"
if alive && (( peak <= rss_ceiling_kib )) && [[ $reply == *upstream_reply_too_large* ]]; then
  pass "a 100 MB non-streaming body is a 502 upstream_reply_too_large in bounded memory"
else fail "a 100 MB non-streaming body is a 502 upstream_reply_too_large in bounded memory: ${reply:0:200}"; fi

# 3. A client that reads a fast 196 MB stream slowly (64 KiB every 20 ms for 10 s), then leaves.
timeout -k 2 30 python3 - "$port" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
body = b'{"stream":true,"messages":[{"role":"user","content":"stream-huge"}]}'
s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
end = time.time() + 10
while time.time() < end:
    s.recv(65536)
    time.sleep(0.02)
s.close()
PY
peak=$(hwm)
echo "      peak RSS with a slow reader behind a fast stream: $peak KiB"
if alive && (( peak <= rss_ceiling_kib )); then pass "a slow reader behind a fast upstream holds the proxy's memory flat"
else fail "a slow reader behind a fast upstream holds the proxy's memory flat"; fi

# 4. JSON nested 70,000 deep.
status=$(python3 -c "n=70000;print('{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},'+'['*n+']'*n+']}')" |
  curl -s -o /dev/null -w '%{http_code}' -m 10 -H 'Content-Type: application/json' --data-binary @- "$proxy/v1/chat/completions")
if alive && [[ $status == 400 ]]; then pass "JSON nested 70,000 deep is a 400"; else fail "JSON nested 70,000 deep is a 400 (got $status)"; fi

# 5. A web page's cross-site text/plain POST.
status=$(curl -s -o /dev/null -w '%{http_code}' -m 10 -H 'Content-Type: text/plain' -H 'Origin: http://evil.example' \
  -d '{"messages":[{"role":"user","content":"plant"}]}' "$proxy/v1/chat/completions")
if alive && [[ $status == 403 || $status == 415 ]]; then pass "a cross-site text/plain POST is refused ($status)"
else fail "a cross-site text/plain POST is refused (got $status)"; fi

echo "$failures failed"
(( failures == 0 ))
