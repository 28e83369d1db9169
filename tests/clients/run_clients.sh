#!/usr/bin/env bash
# Drives the official npm clients — `openai` (responses.create), `@anthropic-ai/sdk`
# (messages.create) and `ollama` — against `autoswarm start` in front of the fake upstream:
# each tests/clients/<protocol>.mjs script checks stream and not and one tool-call round trip,
# and the proxy must have logged exchanges of that protocol (the record's "protocol"). The packages are installed with npm into a cache
# directory (AUTOSWARM_NPM_DIR, default <build>/npm-clients) the first time.
#
# Usage: tests/clients/run_clients.sh [BUILD_DIR]
# Exit 0 when every script passed, 1 when one failed; when node/npm is missing or the npm
# registry cannot be reached it prints AUTOSWARM-CLIENTS-SKIPPED with the reason and exits 0
# (CTest reports the test as skipped).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${1:-${BUILD_DIR:-$ROOT/build}}
FAKE_BIN=$BUILD_DIR/tests/fake_llm
AUTOSWARM=$BUILD_DIR/src/autoswarm
NPM_DIR=${AUTOSWARM_NPM_DIR:-$BUILD_DIR/npm-clients}
PACKAGES=(openai @anthropic-ai/sdk ollama)

skip() { echo "AUTOSWARM-CLIENTS-SKIPPED: $*"; exit 0; }
note() { echo "clients: $*" >&2; }

for b in "$FAKE_BIN" "$AUTOSWARM"; do
  [[ -x $b ]] || { note "$b is missing; build first (scripts/build)"; exit 1; }
done
command -v node >/dev/null || skip "node is not installed (apt-get install nodejs npm)"
command -v npm >/dev/null || skip "npm is not installed (apt-get install npm)"

mkdir -p "$NPM_DIR"
if [[ ! -f $NPM_DIR/.installed ]] || [[ $(cat "$NPM_DIR/.installed") != "${PACKAGES[*]}" ]]; then
  note "installing ${PACKAGES[*]} into $NPM_DIR"
  [[ -f $NPM_DIR/package.json ]] || echo '{"private": true, "type": "module"}' >"$NPM_DIR/package.json"
  if ! timeout 300 npm install --prefix "$NPM_DIR" --no-audit --no-fund --loglevel=error "${PACKAGES[@]}" >"$NPM_DIR/npm.log" 2>&1; then
    tail -5 "$NPM_DIR/npm.log" >&2
    skip "npm could not install ${PACKAGES[*]} (is the npm registry reachable?)"
  fi
  echo "${PACKAGES[*]}" >"$NPM_DIR/.installed"
fi

TMP=$(mktemp -d /tmp/autoswarm-clients.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

wait_for_line() {  # file, regex, tenths of a second
  for _ in $(seq "$3"); do
    if grep -Eo "$2" "$1" 2>/dev/null | head -1 | grep .; then return 0; fi
    sleep 0.1
  done
  return 1
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A weather question is answered with a get_weather tool call, the tool's result with a
# sentence that quotes it; anything else is echoed ("echo: <last user message>").
cat >"$TMP/script.yaml" <<'YAML'
rules:
  - match: {role: tool}
    reply: {content: "The tool said: sunny"}
  - match: {content: "weather"}
    reply:
      tool_calls:
        - name: get_weather
          arguments: {city: "Paris"}
          id: call_weather_1
YAML
"$FAKE_BIN" --flavor openai --port 0 --script "$TMP/script.yaml" >"$TMP/fake.out" 2>&1 &
PIDS+=($!)
FAKE_URL=$(wait_for_line "$TMP/fake.out" 'http://127\.0\.0\.1:[0-9]+' 100) || {
  note "fake_llm did not start:"; cat "$TMP/fake.out" >&2; exit 1; }

PORT=$(free_port)
mkdir -p "$TMP/home"
"$AUTOSWARM" --home "$TMP/home" start --upstream "$FAKE_URL" --model fake-model --port "$PORT" \
  >"$TMP/proxy.out" 2>&1 &
PROXY_PID=$!
PIDS+=("$PROXY_PID")
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done

failed=0
for script in "$ROOT"/tests/clients/*.mjs; do
  name=$(basename "$script")
  # Run from the npm directory so that `import … from '<package>'` resolves there.
  cp "$script" "$NPM_DIR/$name"
  if (cd "$NPM_DIR" && AUTOSWARM_URL="http://127.0.0.1:$PORT" timeout 120 node "$name"); then
    echo "PASS $name"
  else
    echo "FAIL $name"
    failed=1
  fi
done
if [[ $failed != 0 ]]; then
  note "the proxy's output:"; tail -20 "$TMP/proxy.out" >&2
  exit 1
fi
# Every protocol's exchanges are in the log (a stopped proxy has flushed it).
kill -TERM "$PROXY_PID"
wait "$PROXY_PID" || true
for script in "$ROOT"/tests/clients/*.mjs; do
  protocol=$(basename "$script" .mjs)
  if ! grep -lqs "\"protocol\":\"$protocol\"" "$TMP/home/conversations"/*; then
    echo "FAIL no conversation record with protocol $protocol in $TMP/home/conversations"
    failed=1
  fi
done
[[ $failed == 0 ]] || exit 1
echo "all client scripts passed, and their exchanges were logged"
