#!/usr/bin/env bash
# ECDHE against OpenSSL and GnuTLS, both roles, every suite (issue 13's
# "must show"), and ECDHE handshakes per second next to OpenSSL's.
#
#   ci/ecdhe.sh [SECONDS]
#
# (a) `gauntlet serve --mode http` (RSA leaf, or the P-256 leaf) with `openssl
#     s_client -tls1_2 -cipher S -groups G` for the six ECDHE suites x x25519,
#     P-256, P-384: a handshake verified against the test PKI, and a request
#     answered (an ECDSA suite with only x25519 or P-384 offered must be
#     refused with handshake_failure: RFC 8422 §4, the leaf is P-256);
# (b) `gauntlet connect --suites S` against `openssl s_server` and
#     `gnutls-serv` for each suite (the server holds the matching leaf);
# (c) `openssl s_time -new` (the same client, SECONDS each) against
#     `gauntlet serve` and against `openssl s_server`, both on the same RSA
#     or P-256 chain, ECDHE over x25519: full handshakes per wall-clock
#     second, and ours / OpenSSL's.
# Loopback only; ports from binding port 0; everything started is stopped
# on exit; every client is bounded by `timeout`. Exits 1 if a cell fails.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS="${1:-5}"
case "$SECS" in '' | *[!0-9]* | 0) echo "usage: ci/ecdhe.sh [SECONDS]" >&2; exit 2 ;; esac
for tool in cargo openssl gnutls-serv python3 timeout; do
  command -v "$tool" >/dev/null || { echo "ecdhe.sh: $tool not found (ci/interop-install.sh)" >&2; exit 2; }
done

cargo build --release --locked -q -p gauntlet-harness --bin gauntlet
BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/gauntlet"
PKI=vectors/pki
TMP="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
cat "$PKI/leaf.pem" "$PKI/int.pem" >"$TMP/rsa-chain.pem"
cat "$PKI/leaf-ec256.pem" "$PKI/int.pem" >"$TMP/ec-chain.pem"

SUITES="ECDHE-RSA-AES128-GCM-SHA256 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-RSA-CHACHA20-POLY1305
ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305"
# Not GROUPS: bash keeps its own array of that name.
CURVES="X25519 P-256 P-384"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  local i
  for ((i = 0; i < 100; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "ecdhe.sh: nothing listens on port $1" >&2
  return 1
}
# chain_of/leaf_of/key_of SUITE: the chain, leaf and key that serve it.
chain_of() { case $1 in *ECDSA*) echo "$TMP/ec-chain.pem" ;; *) echo "$TMP/rsa-chain.pem" ;; esac; }
leaf_of() { case $1 in *ECDSA*) echo "$PKI/leaf-ec256.pem" ;; *) echo "$PKI/leaf.pem" ;; esac; }
key_of() { case $1 in *ECDSA*) echo "$PKI/leaf-ec256.key" ;; *) echo "$PKI/leaf.key" ;; esac; }
# start CMD...: runs a server in the background, sets SERVER_PID.
start() {
  "$@" </dev/null >"$TMP/server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
}
stop() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

failed=0
cell() { # LABEL OK?
  printf '  %-58s %s\n' "$1" "$2"
  [ "$2" = ok ] || failed=1
}

echo "== (a) gauntlet serve <- openssl s_client ($(openssl version | cut -d' ' -f1-2))"
for suite in $SUITES; do
  port=$(free_port)
  start "$BIN" serve --listen "127.0.0.1:$port" --cert "$(chain_of "$suite")" --key "$(key_of "$suite")" \
    --mode http
  wait_port "$port"
  for group in $CURVES; do
    out=$(printf 'GET / HTTP/1.0\r\n\r\n' | timeout 20 openssl s_client -connect "127.0.0.1:$port" -tls1_2 \
      -cipher "$suite" -groups "$group" -CAfile "$PKI/root.pem" -verify_return_error \
      -servername localhost -ign_eof 2>&1 || true)
    if [[ $suite == *ECDSA* && $group != P-256 ]]; then
      # RFC 8422 §4: the client's supported_groups lacks the P-256 leaf's
      # curve, so no ECC suite may be negotiated: handshake_failure.
      if grep -q "alert handshake failure" <<<"$out"; then r=ok; else r=FAILED; fi
      cell "$suite $group (P-256 leaf: refused)" "$r"
      continue
    fi
    if grep -q "Cipher is $suite" <<<"$out" && grep -q 'HTTP/1' <<<"$out"; then r=ok; else r=FAILED; fi
    cell "$suite $group" "$r"
  done
  stop
done

echo "== (b) gauntlet connect -> openssl s_server and gnutls-serv ($(gnutls-serv --version | head -1))"
gnutls_prio() {
  local kx cipher
  case $1 in *ECDSA*) kx=+ECDHE-ECDSA ;; *) kx=+ECDHE-RSA ;; esac
  case $1 in *AES128*) cipher=+AES-128-GCM ;; *AES256*) cipher=+AES-256-GCM ;; *) cipher=+CHACHA20-POLY1305 ;; esac
  echo "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:$kx:-CIPHER-ALL:$cipher"
}
for suite in $SUITES; do
  for server in openssl gnutls; do
    port=$(free_port)
    if [ "$server" = openssl ]; then
      start openssl s_server -accept "127.0.0.1:$port" -tls1_2 -cipher "$suite" \
        -cert "$(leaf_of "$suite")" -cert_chain "$PKI/int.pem" -key "$(key_of "$suite")" -www
    else
      # gnutls-serv binds every address; the client connects to 127.0.0.1.
      start gnutls-serv --http --port "$port" --x509certfile "$(chain_of "$suite")" \
        --x509keyfile "$(key_of "$suite")" --priority "$(gnutls_prio "$suite")" --disable-client-cert
    fi
    wait_port "$port"
    if printf 'GET / HTTP/1.0\r\n\r\n' | timeout 20 "$BIN" connect "127.0.0.1:$port" \
        --servername localhost --suites "$suite" --timeout 10 >"$TMP/connect.out" 2>"$TMP/connect.err" &&
        grep -q "HTTP/1" "$TMP/connect.out"; then r=ok; else r="FAILED: $(head -1 "$TMP/connect.err")"; fi
    cell "$suite -> $server" "$r"
    stop
  done
done

echo "== (c) full handshakes per second, openssl s_time -new, ${SECS}s each, x25519"
rate() { # prints connections per wall-clock second of one s_time -new run on $port
  local out n
  out=$(timeout $((SECS + 30)) openssl s_time -connect "127.0.0.1:$1" -tls1_2 -cipher "$2" -new \
    -time "$SECS" 2>&1 || true)
  n=$(sed -n 's/^\([0-9][0-9]*\) connections in [0-9.]*s.*/\1/p' <<<"$out" | head -1)
  [ -n "$n" ] || { echo "ecdhe.sh: s_time failed: $(tail -2 <<<"$out" | tr '\n' ' ')" >&2; echo 0; return; }
  awk -v n="$n" -v s="$SECS" 'BEGIN { printf "%.0f", n / s }'
}
printf '  %-32s %12s %12s %8s\n' suite "gauntlet/s" "openssl/s" ratio
for suite in ECDHE-RSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES128-GCM-SHA256; do
  port=$(free_port)
  start "$BIN" serve --listen "127.0.0.1:$port" --cert "$(chain_of "$suite")" --key "$(key_of "$suite")" \
    --suites "$suite" --timeout 60 --handshake-timeout 60
  wait_port "$port"
  ours=$(rate "$port" "$suite")
  stop
  port=$(free_port)
  start openssl s_server -accept "127.0.0.1:$port" -tls1_2 -cipher "$suite" -groups X25519 \
    -cert "$(leaf_of "$suite")" -cert_chain "$PKI/int.pem" -key "$(key_of "$suite")" -quiet
  wait_port "$port"
  theirs=$(rate "$port" "$suite")
  stop
  awk -v s="$suite" -v a="$ours" -v b="$theirs" \
    'BEGIN { printf "  %-32s %12d %12d %7.2fx\n", s, a, b, (b > 0 ? a / b : 0) }'
done
exit "$failed"
