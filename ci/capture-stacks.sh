#!/usr/bin/env bash
# Real captures of the five third-party stacks, checked by `gauntlet
# check-capture`. For each suite (009c, 009d): every client of
# interop/peers.sh (OpenSSL, GnuTLS, NSS, JSSE, mbedTLS) against
# `openssl s_server -www`, and the JSSE and mbedTLS servers (the ones that
# bind 127.0.0.1 only) against `openssl s_client`. dumpcap records loopback
# (pcapng, filtered to the session's port); the sessions use RSA key
# exchange, so the server key (vectors/pki/leaf.key) is the secret, with
# OpenSSL's key log beside it where OpenSSL is one end (the two must agree).
#
# Usage: ci/capture-stacks.sh [OUTDIR]   (default target/captures; the
# committed set in vectors/captures/ was made with OUTDIR=vectors/captures,
# and harness/tests/check_capture.rs checks it on every `cargo test`)
# Needs: dumpcap (tshark's package), the interop peers (ci/interop-install.sh),
# GAUNTLET (default target/release/gauntlet). Prints one line per capture;
# exits 1 if any capture does not conform. Every wait is bounded; everything
# started is stopped on exit.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$REPO/target/captures}
GAUNTLET=${GAUNTLET:-$REPO/target/release/gauntlet}
PEERDIR=$REPO/target/interop
PKI=$REPO/vectors/pki
# shellcheck source-path=SCRIPTDIR/.. source=interop/peers.sh
source "$REPO/interop/peers.sh"

command -v dumpcap >/dev/null || { echo "capture-stacks: needs dumpcap (apt-get install tshark)" >&2; exit 2; }
[ -x "$GAUNTLET" ] || { echo "capture-stacks: no $GAUNTLET (cargo build --release -p gauntlet-harness)" >&2; exit 2; }
"$REPO/interop/setup.sh" "$PEERDIR" >/dev/null
mkdir -p "$OUT"
# The key the captures need, kept beside them: vectors/pki may be regenerated.
cp "$PKI/leaf.key" "$OUT/server.key"
LOGS=$(mktemp -d)

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$LOGS"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_for FILE TEXT SECONDS: until FILE contains TEXT.
wait_for() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "capture-stacks: timed out waiting for '$2' in $1" >&2
  return 1
}

# capture NAME PORT SERVER_CMD SERVER_READY CLIENT_CMD KEYLOG
capture() {
  local name=$1 port=$2 server=$3 ready=$4 client=$5 keylog=$6 pcap=$OUT/$1.pcapng
  rm -f "$pcap" "$keylog"
  dumpcap -q -i lo -f "tcp port $port" -w "$pcap" >"$LOGS/$name.dumpcap.log" 2>&1 &
  local dc=$!
  pids+=("$dc")
  wait_for "$LOGS/$name.dumpcap.log" "Capturing on" 10
  bash -c "$server" >"$LOGS/$name.server.log" 2>&1 </dev/null &
  local sv=$!
  pids+=("$sv")
  if [ -n "$ready" ]; then wait_for "$LOGS/$name.server.log" "$ready" 20; else sleep 1; fi
  timeout -k 2 "$PEER_TIMEOUT" bash -c "$client" >"$LOGS/$name.client.log" 2>&1 </dev/null || true
  sleep 0.5
  kill "$sv" 2>/dev/null || true
  wait "$sv" 2>/dev/null || true
  sleep 0.3
  kill -INT "$dc" 2>/dev/null || true
  wait "$dc" 2>/dev/null || true
  local args=(check-capture "$pcap" --key "$OUT/server.key")
  [ -s "$keylog" ] && args+=(--keylog "$keylog")
  if "$GAUNTLET" "${args[@]}" >"$LOGS/$name.check.txt" 2>&1; then
    echo "$name: $(tail -n +2 "$LOGS/$name.check.txt" | tr '\n' ' ')"
  else
    echo "$name: NOT CONFORMING (exit $?): $(cat "$LOGS/$name.check.txt" | tr '\n' ' ')"
    failed=1
  fi
}

failed=0
for suite in 009c 009d; do
  for impl in "${PEER_IMPLS[@]}"; do
    port=$(free_port)
    kl=$OUT/$impl-client-$suite.keylog
    server="openssl s_server -accept 127.0.0.1:$port -cert $PKI/leaf.pem -cert_chain $PKI/int.pem \
      -key $PKI/leaf.key -tls1_2 -cipher $(_openssl_suite "$suite") -www -keylogfile $kl"
    client=$(peer_client "$impl" "$suite")
    capture "$impl-client-$suite" "$port" "$server" ACCEPT "${client//\{port\}/$port}" "$kl"
  done
  for impl in java mbedtls; do
    port=$(free_port)
    kl=$OUT/$impl-server-$suite.keylog
    server=$(peer_server "$impl" "$suite")
    client="printf 'GET / HTTP/1.0\r\n\r\n' | openssl s_client -connect 127.0.0.1:$port -tls1_2 \
      -cipher $(_openssl_suite "$suite") -CAfile $PKI/root.pem -servername localhost -quiet -keylogfile $kl"
    capture "$impl-server-$suite" "$port" "${server//\{port\}/$port}" "$(peer_ready "$impl")" "$client" "$kl"
  done
done
exit "$failed"
