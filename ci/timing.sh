#!/usr/bin/env bash
# Timing-oracle runs (gauntlet timing-test) side by side: the leaky
# self-test server at several delays (what the test can detect), our
# server (`gauntlet serve`) with each crypto provider, openssl s_server, and with --stacks the JSSE,
# mbedTLS, GnuTLS and NSS servers of interop/peers.sh (the last two bind
# every address, so they run confined: interop/confine.sh), each with
# PROBES probes (default 9000) and at most MAX seconds each (default 300).
# Outputs per target: OUT/NAME.txt (summary), .csv (raw times), .svg (ECDF).
# Usage: ci/timing.sh [--stacks] [PROBES] [MAX] [OUT]  (OUT: target/timing)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
stacks=0
if [ "${1:-}" = --stacks ]; then stacks=1; shift; fi
PROBES=${1:-9000}
MAX=${2:-300}
OUT=${3:-$REPO/target/timing}
GAUNTLET=${GAUNTLET:-$REPO/target/release/gauntlet}
PKI=$REPO/vectors/pki
[ -x "$GAUNTLET" ] || { echo "timing.sh: no $GAUNTLET (cargo build --release -p gauntlet-harness)" >&2; exit 2; }
mkdir -p "$OUT"
pids=()
# Entries are PIDs, or -PGID for the stacks' servers (setsid: their children too).
trap 'for p in "${pids[@]}"; do kill -- "$p" 2>/dev/null || true; done' EXIT
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

for provider in rustcrypto aws-lc; do
  port=$(free_port)
  "$GAUNTLET" serve --listen "127.0.0.1:$port" --provider "$provider" >"$OUT/serve-$provider.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  sleep 1
  run "gauntlet-serve-$provider" "127.0.0.1:$port"
  kill "$pid" 2>/dev/null || true
done

port=$(free_port)
openssl s_server -accept "127.0.0.1:$port" -cert "$PKI/leaf.pem" -cert_chain "$PKI/int.pem" \
  -key "$PKI/leaf.key" -tls1_2 -cipher AES128-GCM-SHA256 -quiet </dev/null >"$OUT/openssl.log" 2>&1 &
pids+=($!)
sleep 1
run openssl-s_server "127.0.0.1:$port"

[ $stacks = 1 ] || exit 0
PEERDIR=$REPO/target/interop
# shellcheck source-path=SCRIPTDIR/.. source=interop/peers.sh
source "$REPO/interop/peers.sh"
"$REPO/interop/setup.sh" "$PEERDIR" >/dev/null
# wait_listen PORT: until 127.0.0.1:PORT accepts (20 s at most).
wait_listen() {
  local i
  for ((i = 0; i < 200; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timing.sh: nothing listens on 127.0.0.1:$1" >&2
  return 1
}
for impl in java mbedtls gnutls nss; do
  port=$(free_port)
  cmd=$(peer_server "$impl" 009c)
  cmd=${cmd//\{port\}/$port}
  if [ "$(peer_confined "$impl")" = yes ]; then
    setsid bash -c "exec $REPO/interop/confine.sh $port $cmd" >"$OUT/$impl.log" 2>&1 &
  else
    setsid bash -c "exec $cmd" >"$OUT/$impl.log" 2>&1 &
  fi
  pid=$!
  pids+=("-$pid")
  if wait_listen "$port"; then
    run "$impl-server" "127.0.0.1:$port"
  else
    echo "$impl-server: did not start (see $OUT/$impl.log)"
  fi
  kill -- "-$pid" 2>/dev/null || true
done
