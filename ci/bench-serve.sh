#!/usr/bin/env bash
# `gauntlet serve` under load, next to `openssl s_server` on the same machine
# and with the same certificate chain and key (vectors/pki: leaf + int).
#
#   ci/bench-serve.sh [SECONDS]
#
# SECONDS (default 5) bounds each rate measurement. Loopback only; every
# server started here is killed on exit. Prints:
#  (a) the wall time of one real `openssl s_client` handshake while 500 idle
#      TCP connections are held open to the server (bounded at 20 s);
#  (b) connections per second rejected, each a malformed ClientHello (a
#      6-byte body: decode_error), 500 × SECONDS connections one after the
#      other;
#  (c) serve's full handshakes per second with 1, 100 and 1,000 concurrent
#      clients (our engine client, one thread each, for SECONDS; handshakes
#      complete within SECONDS over SECONDS, and the slowest one: the listen
#      backlog is std's 128, so with 1,000 clients connecting some SYNs are
#      dropped and resent a second or more later);
#  (d) serve's peak RSS (VmHWM) after start-up, after 1,000,000 warning
#      alerts sent on one connection before any ClientHello, and after
#      300 MB echoed through one connection.
# The load generator is harness/examples/serve_load.rs; both it and
# gauntlet are release builds.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS="${1:-5}"
case "$SECS" in ''|*[!0-9]*|0) echo "usage: ci/bench-serve.sh [SECONDS]" >&2; exit 2 ;; esac
for tool in cargo openssl python3 timeout; do
  command -v "$tool" >/dev/null || { echo "bench-serve.sh: $tool not found" >&2; exit 1; }
done
# 1,000 clients and 1,000 server sockets in (c), 500 + 500 in (a).
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cargo build --release --locked -q -p gauntlet-harness --bin gauntlet --example serve_load
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
BIN="$TARGET/release/gauntlet"
LOAD="$TARGET/release/examples/serve_load"
PKI=vectors/pki
TMP="$(mktemp -d)"
cat "$PKI/leaf.pem" "$PKI/int.pem" > "$TMP/chain.pem"

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits (bounded: 10 s) until something accepts on 127.0.0.1:$1.
wait_port() {
  for _ in $(seq 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "bench-serve.sh: nothing listens on port $1" >&2
  exit 1
}

# start_server serve|openssl: sets PORT and SERVER_PID.
start_server() {
  PORT="$(free_port)"
  case "$1" in
    serve)
      "$BIN" serve --listen "127.0.0.1:$PORT" --cert "$TMP/chain.pem" --key "$PKI/leaf.key" \
        --timeout 60 --handshake-timeout 60 2>/dev/null &
      ;;
    openssl)
      openssl s_server -accept "127.0.0.1:$PORT" -tls1_2 -cipher AES128-GCM-SHA256 \
        -cert "$PKI/leaf.pem" -cert_chain "$PKI/int.pem" -key "$PKI/leaf.key" -quiet \
        </dev/null >/dev/null 2>&1 &
      ;;
  esac
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_port "$PORT"
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# One s_client run against 127.0.0.1:$PORT; prints its wall time.
s_client_ms() {
  local t0
  t0=$(date +%s%N)
  if timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 -CAfile "$PKI/root.pem" \
      -servername localhost </dev/null >/dev/null 2>&1; then
    echo "$(ms_since "$t0") ms"
  else
    echo "not complete within 20 s"
  fi
}

echo "== (a) one openssl s_client handshake (process start included), alone and while 500 idle connections are held"
for server in serve openssl; do
  start_server "$server"
  printf '%-8s handshake, nothing else open: %s\n' "$server" "$(s_client_ms)"
  "$LOAD" "127.0.0.1:$PORT" idle 500 30 > "$TMP/idle.out" &
  IDLE_PID=$!
  PIDS+=("$IDLE_PID")
  for _ in $(seq 200); do grep -q held= "$TMP/idle.out" 2>/dev/null && break; sleep 0.05; done
  printf '%-8s handshake, 500 idle held:     %s\n' "$server" "$(s_client_ms)"
  kill "$IDLE_PID" 2>/dev/null || true
  wait "$IDLE_PID" 2>/dev/null || true
  stop_server
done

echo "== (b) connections rejected per second (malformed ClientHello each, one after another)"
for server in serve openssl; do
  start_server "$server"
  printf '%-8s ' "$server"
  timeout $((SECS * 20 + 30)) "$LOAD" "127.0.0.1:$PORT" malformed $((500 * SECS))
  stop_server
done

echo "== (c) serve full handshakes per second (RSA-2048, AES128-GCM), concurrent clients"
start_server serve
for clients in 1 100 1000; do
  timeout $((SECS + 60)) "$LOAD" "127.0.0.1:$PORT" handshakes "$clients" "$SECS"
done
stop_server

echo "== (d) serve peak RSS (VmHWM)"
hwm() { awk '/VmHWM/ {print $2, $3}' "/proc/$1/status"; }
start_server serve
echo "after start-up:                    $(hwm "$SERVER_PID")"
timeout 120 "$LOAD" "127.0.0.1:$PORT" alerts 1000000
sleep 0.2
echo "after 1,000,000 warning alerts:    $(hwm "$SERVER_PID")"
stop_server
start_server serve
timeout 300 "$LOAD" "127.0.0.1:$PORT" echo 300
echo "after 300 MB echoed:               $(hwm "$SERVER_PID")"
stop_server
