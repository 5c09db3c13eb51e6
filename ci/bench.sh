#!/usr/bin/env bash
# Crypto and handshake benchmarks of both crypto providers (rustcrypto,
# aws-lc) against OpenSSL on the same machine, in one run.
#
#   ci/bench.sh [SECONDS] [--native] [--crypto-only | --handshake-only]
#
# SECONDS (default 3) bounds each measurement: criterion's measurement time
# per benchmark, `openssl speed -seconds` and `openssl s_time -time`.
#
# Build flags: the default is a plain `cargo bench` build, i.e. what the
# engine ships as. `--native` measures a `-C target-cpu=native` build in its
# own target directory.
#
# Crypto (`cargo bench -p gauntlet-engine --features aws-lc --bench crypto`):
# AES-GCM seal/open of one 16 KiB record through the record layer, and the
# RSA-2048 premaster decryption with RFC 5246 §7.4.7.1's countermeasure, each
# provider, against `openssl speed -evp` and `openssl speed rsa2048` private-key
# operations (the same CRT exponentiation a PKCS#1 v1.5 decryption performs).
# OpenSSL has no timing mode for the TLS 1.2 PRF, so PRF rows have none.
#
# Handshakes, like with like:
# - loopback: the same client, `openssl s_time` (TLS 1.2, AES128-GCM-SHA256,
#   `-new` full handshakes, `-reuse` session-ID resumption), against
#   `gauntlet serve --provider P` and against `openssl s_server`, one after
#   the other on free loopback ports. Rate: connections per wall-clock second
#   of the s_time run. Server CPU per handshake: the server process's user +
#   system time (/proc/PID/stat) over the run, divided by its connections.
# - in memory: `cargo bench -p gauntlet-harness --bench handshake`, one thread
#   running both sides (so it pays the client's work too), against the same
#   `s_time -new` rate. `cpu_split` gives, in thread CPU time, how much of our
#   full handshake is the server's RSA step, measured the way the handshake
#   does it (the server config's key, through `decrypt_premaster`).
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=3
NATIVE=0
CRYPTO=1
HANDSHAKE=1
for arg in "$@"; do
  case "$arg" in
    --native) NATIVE=1 ;;
    --crypto-only) HANDSHAKE=0 ;;
    --handshake-only) CRYPTO=0 ;;
    ''|*[!0-9]*) echo "usage: ci/bench.sh [SECONDS] [--native] [--crypto-only | --handshake-only]" >&2; exit 2 ;;
    *) SECS="$arg" ;;
  esac
done

for tool in cargo openssl jq awk; do
  command -v "$tool" >/dev/null || { echo "bench.sh: $tool not found" >&2; exit 1; }
done

TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
if [[ $NATIVE == 1 ]]; then
  export RUSTFLAGS="${RUSTFLAGS:-} -C target-cpu=native"
  TARGET="$TARGET-native"
  FLAVOUR="target-cpu=native"
else
  FLAVOUR="default build"
fi
export CARGO_TARGET_DIR="$TARGET"

LOG=$(mktemp)
SLOG=$(mktemp)
S_SERVER_PID=
cleanup() {
  if [[ -n $S_SERVER_PID ]]; then
    kill "$S_SERVER_PID" 2>/dev/null || true
    wait "$S_SERVER_PID" 2>/dev/null || true
  fi
  rm -f "$LOG" "$SLOG"
}
trap cleanup EXIT

# Median time per iteration in ns for one criterion benchmark.
ours_ns() {
  jq -r '.median.point_estimate' "$CARGO_TARGET_DIR/criterion/$1/new/estimates.json"
}

row3() { # label rustcrypto aws-lc openssl (empty: no figure); ratio aws-lc / openssl
  awk -v l="$1" -v r="$2" -v a="$3" -v s="$4" 'function f(x) { return x == "" ? sprintf("%12s", "-") : sprintf("%12.2f", x) }
  BEGIN {
    ratio = (a != "" && s != "" && s > 0) ? sprintf("%7.2fx", a / s) : sprintf("%8s", "-");
    printf "%-36s %s %s %s %s\n", l, f(r), f(a), f(s), ratio;
  }'
}
row3i() { # as row3, lower is better: ratio openssl / aws-lc
  awk -v l="$1" -v r="$2" -v a="$3" -v s="$4" 'BEGIN {
    printf "%-36s %12.1f %12.1f %12.1f %7.2fx\n", l, r, a, s, s / a;
  }'
}
gbps() { awk -v ns="$1" 'BEGIN { printf "%.4f", 16384 / ns }'; } # bytes/ns = GB/s
per_s() { awk -v ns="$1" 'BEGIN { printf "%.2f", 1e9 / ns }'; }
us() { awk -v ns="$1" 'BEGIN { printf "%.4f", ns / 1000 }'; }
to_gb() { awk -v b="$1" 'BEGIN { printf "%.4f", b / 1e9 }'; }

if [[ $CRYPTO == 1 ]]; then
echo "== cargo bench -p gauntlet-engine --features aws-lc --bench crypto ($FLAVOUR, ${SECS}s per benchmark)"
# Fail on a failed bench run rather than read stale estimates below.
if ! cargo bench -p gauntlet-engine --features aws-lc --bench crypto -- \
  --warm-up-time 1 --measurement-time "$SECS" --noplot >"$LOG" 2>&1; then
  cat "$LOG" >&2
  exit 1
fi
grep -E '^[a-z]|time:|thrpt:' "$LOG" || true

# `openssl speed -mr` prints "+F:<n>:<name>:<bytes/s>" for ciphers and
# "+F2:<n>:<bits>:<sign/s>:<verify/s>" for RSA.
ossl_gcm() { # cipher [-decrypt]
  openssl speed ${2:-} -evp "$1" -bytes 16384 -seconds "$SECS" -mr 2>/dev/null |
    awk -F: '/^\+F:/ { print $4 }'
}
echo "== openssl speed ($(openssl version | cut -d' ' -f1-2), ${SECS}s each)"
O128E=$(ossl_gcm aes-128-gcm)
O128D=$(ossl_gcm aes-128-gcm -decrypt)
O256E=$(ossl_gcm aes-256-gcm)
O256D=$(ossl_gcm aes-256-gcm -decrypt)
ORSA=$(openssl speed -seconds "$SECS" -mr rsa2048 2>/dev/null | awk -F: '/^\+F2:/ { print $4 }')

echo
echo "== gauntlet-engine ($FLAVOUR) vs OpenSSL; ratio = aws-lc / OpenSSL (higher is better)"
printf '%-36s %12s %12s %12s %8s\n' "benchmark" "rustcrypto" "aws-lc" "openssl" "ratio"
row3 "PRF ms+key block SHA-256, µs" "$(us "$(ours_ns prf/ms+keyblock_sha256)")" "" ""
row3 "PRF ms+key block SHA-384, µs" "$(us "$(ours_ns prf/ms+keyblock_sha384)")" "" ""
for k in 128 256; do
  for op in seal open; do
    case $k$op in
      128seal) O=$O128E ;; 128open) O=$O128D ;; 256seal) O=$O256E ;; 256open) O=$O256D ;;
    esac
    row3 "AES-$k-GCM $op 16 KiB record, GB/s" \
      "$(gbps "$(ours_ns "gcm/${op}16k_aes${k}_rustcrypto")")" \
      "$(gbps "$(ours_ns "gcm/${op}16k_aes${k}_aws-lc")")" "$(to_gb "$O")"
  done
done
row3 "RSA-2048 premaster decryption, op/s" \
  "$(per_s "$(ours_ns rsa/decrypt_premaster_2048_rustcrypto)")" \
  "$(per_s "$(ours_ns rsa/decrypt_premaster_2048_aws-lc)")" "$ORSA"
fi

if [[ $HANDSHAKE == 1 ]]; then
echo
echo "== cargo bench -p gauntlet-harness --bench handshake ($FLAVOUR, ${SECS}s per benchmark)"
if ! cargo bench -p gauntlet-harness --bench handshake -- \
  --warm-up-time 1 --measurement-time "$SECS" --noplot >"$LOG" 2>&1; then
  cat "$LOG" >&2
  exit 1
fi
grep -E '^handshake/|time:|^cpu_split|^idle_connection_memory' "$LOG" || true
MEM=$(awk '/^idle_connection_memory:/ { print $2 }' "$LOG")
cargo build --release -p gauntlet-harness --bin gauntlet >/dev/null 2>&1 ||
  { echo "bench.sh: cargo build --release failed" >&2; exit 1; }
GAUNTLET="$TARGET/release/gauntlet"

PKI=vectors/pki
# openssl s_server on a free loopback port: it prints ACCEPT once it holds
# the port and exits at once if the port is taken (then we try another).
start_s_server() {
  local attempt
  for attempt in 1 2 3 4 5; do
    PORT=$((20000 + RANDOM % 12000)) # below the usual ephemeral range
    openssl s_server -accept "127.0.0.1:$PORT" -tls1_2 -cipher AES128-GCM-SHA256 \
      -cert "$PKI/leaf.pem" -key "$PKI/leaf.key" -cert_chain "$PKI/int.pem" -www \
      </dev/null >"$SLOG" 2>&1 &
    S_SERVER_PID=$!
    for _ in $(seq 200); do
      grep -q '^ACCEPT' "$SLOG" && return 0
      kill -0 "$S_SERVER_PID" 2>/dev/null || break
      sleep 0.05
    done
    stop_server
  done
  echo "bench.sh: openssl s_server did not start:" >&2
  cat "$SLOG" >&2
  return 1
}

# gauntlet serve on port 0: it prints the address it bound.
start_gauntlet() { # provider
  "$GAUNTLET" serve --listen 127.0.0.1:0 --provider "$1" </dev/null >/dev/null 2>"$SLOG" &
  S_SERVER_PID=$!
  for _ in $(seq 200); do
    PORT=$(sed -n 's/^gauntlet: serving TLS 1.2 on 127.0.0.1:\([0-9]*\)$/\1/p' "$SLOG")
    [[ -n $PORT ]] && return 0
    kill -0 "$S_SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench.sh: gauntlet serve did not start:" >&2
  cat "$SLOG" >&2
  return 1
}

stop_server() {
  if [[ -n $S_SERVER_PID ]]; then
    kill "$S_SERVER_PID" 2>/dev/null || true
    wait "$S_SERVER_PID" 2>/dev/null || true
  fi
  S_SERVER_PID=
}

# The server's user + system CPU time so far, in µs.
server_cpu_us() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", ($14 + $15) * 1e6 / hz }' "/proc/$S_SERVER_PID/stat"
}

# One `s_time` run against $PORT: sets RATE (connections per wall-clock
# second) and CPU (server µs per connection).
s_time_run() { # -new | -reuse
  local t0 t1 c0 c1 out n
  c0=$(server_cpu_us)
  t0=$(date +%s.%N)
  out=$(openssl s_time -connect "127.0.0.1:$PORT" -tls1_2 -cipher AES128-GCM-SHA256 \
    "$1" -time "$SECS" 2>&1)
  t1=$(date +%s.%N)
  c1=$(server_cpu_us)
  n=$(awk '/connections in .* real seconds/ { print $1; exit }' <<<"$out")
  if [[ -z $n || $n == 0 ]]; then
    echo "bench.sh: openssl s_time $1 failed:" >&2
    echo "$out" >&2
    return 1
  fi
  # -reuse prints 'r' per resumed connection and '*' per full one.
  if [[ $1 == -reuse ]] && grep -q '\*' <<<"$out"; then
    echo "bench.sh: warning: the server did not resume every s_time -reuse connection" >&2
  fi
  RATE=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", n / (b - a) }')
  CPU=$(awk -v n="$n" -v a="$c0" -v b="$c1" 'BEGIN { printf "%.1f", (b - a) / n }')
}

declare -A NEW REUSE NEWCPU
for server in openssl rustcrypto aws-lc; do
  if [[ $server == openssl ]]; then start_s_server; else start_gauntlet "$server"; fi
  echo "== openssl s_time against $server server on 127.0.0.1:$PORT (TLS 1.2 AES128-GCM-SHA256, ${SECS}s each)"
  s_time_run -new
  NEW[$server]=$RATE
  NEWCPU[$server]=$CPU
  s_time_run -reuse
  REUSE[$server]=$RATE
  stop_server
  echo "full ${NEW[$server]} hs/s (${NEWCPU[$server]} µs server CPU each), resumed ${REUSE[$server]} hs/s"
done

echo
echo "== handshakes: gauntlet ($FLAVOUR) vs OpenSSL ($(openssl version | cut -d' ' -f1-2)); ratio = aws-lc / OpenSSL"
printf '%-36s %12s %12s %12s %8s\n' "benchmark" "rustcrypto" "aws-lc" "openssl" "ratio"
row3 "full hs/s, loopback, s_time -new" "${NEW[rustcrypto]}" "${NEW[aws-lc]}" "${NEW[openssl]}"
row3 "resumed hs/s, loopback, s_time -reuse" "${REUSE[rustcrypto]}" "${REUSE[aws-lc]}" "${REUSE[openssl]}"
row3i "server CPU per full handshake, µs" "${NEWCPU[rustcrypto]}" "${NEWCPU[aws-lc]}" "${NEWCPU[openssl]}"
row3 "full hs/s, in memory (both sides)" \
  "$(per_s "$(ours_ns handshake/full_in_memory_rustcrypto)")" \
  "$(per_s "$(ours_ns handshake/full_in_memory_aws-lc)")" "${NEW[openssl]}"
row3 "resumed hs/s, in memory (both sides)" \
  "$(per_s "$(ours_ns handshake/resumed_in_memory_rustcrypto)")" \
  "$(per_s "$(ours_ns handshake/resumed_in_memory_aws-lc)")" "${REUSE[openssl]}"
row3 "full hs/s, our client, loopback" \
  "$(per_s "$(ours_ns handshake/full_loopback_rustcrypto)")" \
  "$(per_s "$(ours_ns handshake/full_loopback_aws-lc)")" ""
echo "(in memory: one thread runs client and server; s_time's rate has the client in another process)"
echo
echo "== where a full handshake's CPU goes (thread CPU time, in memory, both sides)"
grep '^cpu_split' "$LOG" || true
if [[ -n $MEM ]]; then
  awk -v m="$MEM" 'BEGIN {
    printf "memory per established idle connection: %.1f KiB (RSS growth; target <= 64 KiB)\n", m / 1024;
  }'
fi
fi
