#!/usr/bin/env bash
# Timing-oracle runs (gauntlet timing-test) side by side: the leaky
# self-test server at several delays (what the test can detect), our
# server (`gauntlet serve`), and openssl s_server, each with PROBES probes
# (default 9000) and at most MAX seconds each (default 300). Outputs per
# target: OUT/NAME.txt (summary), .csv (raw times), .svg (ECDF plot).
# Usage: ci/timing.sh [PROBES] [MAX] [OUT]     (OUT default target/timing)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PROBES=${1:-9000}
MAX=${2:-300}
OUT=${3:-$REPO/target/timing}
GAUNTLET=${GAUNTLET:-$REPO/target/release/gauntlet}
PKI=$REPO/vectors/pki
[ -x "$GAUNTLET" ] || { echo "timing.sh: no $GAUNTLET (cargo build --release -p gauntlet-harness)" >&2; exit 2; }
mkdir -p "$OUT"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run NAME ARGS...: one timing-test, its verdict line.
run() {
  local name=$1
  shift
  rm -f "$OUT/$name.csv"
  "$GAUNTLET" timing-test "$@" --probes "$PROBES" --max-time "$MAX" \
    --csv "$OUT/$name.csv" --plot "$OUT/$name.svg" >"$OUT/$name.txt" 2>&1 || true
  echo "$name: $(grep -E '^verdict' "$OUT/$name.txt" || tail -1 "$OUT/$name.txt")"
}

for us in 100 20 5; do
  run "leaky-${us}us" --leaky-self-test "$us"
done

port=$(free_port)
"$GAUNTLET" serve --listen "127.0.0.1:$port" >"$OUT/serve.log" 2>&1 &
pids+=($!)
sleep 1
run gauntlet-serve "127.0.0.1:$port"

port=$(free_port)
openssl s_server -accept "127.0.0.1:$port" -cert "$PKI/leaf.pem" -cert_chain "$PKI/int.pem" \
  -key "$PKI/leaf.key" -tls1_2 -cipher AES128-GCM-SHA256 -quiet </dev/null >"$OUT/openssl.log" 2>&1 &
pids+=($!)
sleep 1
run openssl-s_server "127.0.0.1:$port"
