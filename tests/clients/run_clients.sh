#!/usr/bin/env bash
# Drives the official npm clients — `openai` (responses.create), `@anthropic-ai/sdk`
# (messages.create) and `ollama` — against `autoswarm start` in front of the fake upstream:
# each tests/clients/<protocol>.mjs script checks stream and not and one tool-call round trip,
# and the proxy must have logged exchanges of that protocol (the record's "protocol"). Twice:
# with an upstream that speaks chat completions only (the proxy translates) and with one that
# serves every protocol itself (the proxy passes requests through). The packages are installed
# with npm into a cache directory (AUTOSWARM_NPM_DIR, default <build>/npm-clients) the first time.
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
failed=0
# One round: a fake upstream started with the given flags, the proxy in front of it, every
# client script, and every protocol's exchanges in the log (a stopped proxy has flushed it).
run_round() {  # label, upstream paths the chats must reach, fake_llm flags...
  local label=$1 chat_paths=$2; shift 2
  local dir=$TMP/$label
  mkdir -p "$dir/home"
  "$FAKE_BIN" "$@" --port 0 --script "$TMP/script.yaml" --record "$dir/upstream.jsonl" >"$dir/fake.out" 2>&1 &
  local fake_pid=$!
  PIDS+=("$fake_pid")
  local fake_url
  fake_url=$(wait_for_line "$dir/fake.out" 'http://127\.0\.0\.1:[0-9]+' 100) || {
    note "fake_llm did not start:"; cat "$dir/fake.out" >&2; exit 1; }
  local port
  port=$(free_port)
  "$AUTOSWARM" --home "$dir/home" start --upstream "$fake_url" --model fake-model --port "$port" \
    >"$dir/proxy.out" 2>&1 &
  local proxy_pid=$!
  PIDS+=("$proxy_pid")
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  local round_failed=0 script name protocol
  for script in "$ROOT"/tests/clients/*.mjs; do
    name=$(basename "$script")
    # Run from the npm directory so that `import … from '<package>'` resolves there.
    cp "$script" "$NPM_DIR/$name"
    if (cd "$NPM_DIR" && AUTOSWARM_URL="http://127.0.0.1:$port" timeout 120 node "$name"); then
      echo "PASS $label $name"
    else
      echo "FAIL $label $name"
      round_failed=1
    fi
  done
  if [[ $round_failed != 0 ]]; then
    note "the proxy's output ($label):"; tail -20 "$dir/proxy.out" >&2
  fi
  kill -TERM "$proxy_pid"
  wait "$proxy_pid" || true
  for script in "$ROOT"/tests/clients/*.mjs; do
    protocol=$(basename "$script" .mjs)
    if ! grep -lqs "\"protocol\":\"$protocol\"" "$dir/home/conversations"/*; then
      echo "FAIL $label: no conversation record with protocol $protocol in $dir/home/conversations"
      round_failed=1
    fi
  done
  local path
  for path in $chat_paths; do
    if ! grep -qs "\"path\":\"$path\"" "$dir/upstream.jsonl"; then
      echo "FAIL $label: the upstream got no POST $path"
      round_failed=1
    fi
  done
  kill -TERM "$fake_pid" 2>/dev/null || true
  [[ $round_failed == 0 ]] || failed=1
}

# Translated: an upstream with chat completions only. Passed through: one that serves
# /v1/responses, /v1/messages and Ollama's /api/chat and /api/generate itself.
run_round translated "/v1/chat/completions" --flavor openai
run_round passthrough "/v1/responses /v1/messages /api/chat /api/generate" --flavor ollama --native-apis
[[ $failed == 0 ]] || exit 1
echo "all client scripts passed, translated and passed through, and their exchanges were logged"
