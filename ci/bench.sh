#!/usr/bin/env bash
# Crypto and handshake benchmarks against OpenSSL on the same machine, in one run.
#
#   ci/bench.sh [SECONDS] [--native] [--crypto-only | --handshake-only]
#
# SECONDS (default 3) bounds each measurement: criterion's measurement time
# per benchmark, `openssl speed -seconds` and `openssl s_time -time`. Total
# run time is roughly 8 × (SECONDS + 1) s for our crypto plus 5 × SECONDS for
# OpenSSL's, then 4 × (SECONDS + 1) + 5 s for our handshakes plus
# 2 × SECONDS for OpenSSL's, after the build.
#
# Build flags: the default is a plain `cargo bench` build, i.e. what the
# engine ships as. aes 0.9 and polyval 0.7 pick AES-NI/VAES and CLMUL at run
# time (cpufeatures), so the default build already takes the hardware path;
# `-C target-cpu=native` only adds inlining across the target-feature
# boundary. `--native` measures that build too, in its own target directory
# (RUSTFLAGS changes would otherwise invalidate the shared build cache).
#
# OpenSSL has no timing mode for the TLS 1.2 PRF (`openssl speed` covers
# ciphers, digests and public-key operations only), so PRF rows have no
# comparison. OpenSSL's RSA figure is `speed rsa2048` private-key operations
# (signing: the same CRT exponentiation a PKCS#1 v1.5 decryption performs).
#
# Handshakes: `cargo bench -p gauntlet-harness --bench handshake` against
# `openssl s_time` (TLS 1.2, AES128-GCM-SHA256) driving `openssl s_server` on
# a free loopback port: `-new` for full handshakes, `-reuse` for session-ID
# resumption. OpenSSL's rate is connections per wall-clock second of the
# s_time run (its "connections/user sec" counts only the client's CPU, not
# the server's RSA decryption). Ours in memory is one thread running both
# sides; over loopback our client and our server thread share the machine
# as s_time and s_server do. The split shows how much of our full handshake
# is everything but the server's RSA-2048 private-key operation, from the
# criterion medians and from thread CPU time (the bench's `cpu_split` line,
# which other load on the machine does not skew). The bench also prints the
# RSS growth per established idle connection (`idle_connection_memory`).
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

row() { # label ours unit openssl
  awk -v l="$1" -v o="$2" -v u="$3" -v s="${4:-}" 'BEGIN {
    if (s == "") printf "%-38s %12.2f %-6s %12s %-6s %7s\n", l, o, u, "-", "", "-";
    else printf "%-38s %12.2f %-6s %12.2f %-6s %6.2fx\n", l, o, u, s, u, o / s;
  }'
}
gbps() { awk -v ns="$1" 'BEGIN { printf "%.4f", 16384 / ns }'; } # bytes/ns = GB/s
per_s() { awk -v ns="$1" 'BEGIN { printf "%.2f", 1e9 / ns }'; }
us() { awk -v ns="$1" 'BEGIN { printf "%.4f", ns / 1000 }'; }
to_gb() { awk -v b="$1" 'BEGIN { printf "%.4f", b / 1e9 }'; }

if [[ $CRYPTO == 1 ]]; then
echo "== cargo bench -p gauntlet-engine --bench crypto ($FLAVOUR, ${SECS}s per benchmark)"
# Fail on a failed bench run rather than read stale estimates below.
if ! cargo bench -p gauntlet-engine --bench crypto -- \
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
echo "== gauntlet-engine ($FLAVOUR) vs OpenSSL; ratio = ours / OpenSSL (higher is better)"
printf '%-38s %19s %19s %8s\n' "benchmark" "ours" "openssl" "ratio"
row "PRF ms+key block SHA-256 (µs)" "$(us "$(ours_ns prf/ms+keyblock_sha256)")" "µs"
row "PRF ms+key block SHA-384 (µs)" "$(us "$(ours_ns prf/ms+keyblock_sha384)")" "µs"
row "AES-128-GCM seal 16 KiB record" "$(gbps "$(ours_ns gcm/seal16k_aes128)")" "GB/s" "$(to_gb "$O128E")"
row "AES-128-GCM open 16 KiB record" "$(gbps "$(ours_ns gcm/open16k_aes128)")" "GB/s" "$(to_gb "$O128D")"
row "AES-256-GCM seal 16 KiB record" "$(gbps "$(ours_ns gcm/seal16k_aes256)")" "GB/s" "$(to_gb "$O256E")"
row "AES-256-GCM open 16 KiB record" "$(gbps "$(ours_ns gcm/open16k_aes256)")" "GB/s" "$(to_gb "$O256D")"
row "RSA-2048 premaster decrypt (ops/s)" "$(per_s "$(ours_ns rsa/decrypt_premaster_2048)")" "op/s" "$ORSA"
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

# openssl s_server on a free loopback port: it prints ACCEPT once it holds
# the port and exits at once if the port is taken (then we try another).
PKI=vectors/pki
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
    kill "$S_SERVER_PID" 2>/dev/null || true
    wait "$S_SERVER_PID" 2>/dev/null || true
    S_SERVER_PID=
  done
  echo "bench.sh: openssl s_server did not start:" >&2
  cat "$SLOG" >&2
  return 1
}

# Connections per wall-clock second of one `s_time` run.
s_time_rate() { # -new | -reuse
  local t0 t1 out n
  t0=$(date +%s.%N)
  out=$(openssl s_time -connect "127.0.0.1:$PORT" -tls1_2 -cipher AES128-GCM-SHA256 \
    "$1" -time "$SECS" 2>&1)
  t1=$(date +%s.%N)
  n=$(awk '/connections in .* real seconds/ { print $1; exit }' <<<"$out")
  if [[ -z $n ]]; then
    echo "bench.sh: openssl s_time $1 failed:" >&2
    echo "$out" >&2
    return 1
  fi
  # -reuse prints 'r' per resumed connection and '*' per full one.
  if [[ $1 == -reuse ]] && grep -q '\*' <<<"$out"; then
    echo "bench.sh: warning: s_server did not resume every s_time -reuse connection" >&2
  fi
  awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", n / (b - a) }'
}

echo "== openssl s_time against openssl s_server ($(openssl version | cut -d' ' -f1-2), TLS 1.2 AES128-GCM-SHA256, ${SECS}s each)"
start_s_server
echo "openssl s_server on 127.0.0.1:$PORT (pid $S_SERVER_PID)"
ONEW=$(s_time_rate -new)
OREUSE=$(s_time_rate -reuse)
kill "$S_SERVER_PID" 2>/dev/null || true
wait "$S_SERVER_PID" 2>/dev/null || true
S_SERVER_PID=

FULL=$(ours_ns handshake/full_in_memory)
RESUMED=$(ours_ns handshake/resumed_in_memory)
LOOP=$(ours_ns handshake/full_loopback)
RSA=$(ours_ns handshake/server_rsa_decrypt)

echo
echo "== handshakes per second: gauntlet ($FLAVOUR) vs OpenSSL s_time; ratio = ours / OpenSSL"
printf '%-38s %19s %19s %8s\n' "benchmark" "ours" "openssl" "ratio"
row "full handshake, in memory" "$(per_s "$FULL")" "hs/s" "$ONEW"
row "full handshake, loopback TCP" "$(per_s "$LOOP")" "hs/s" "$ONEW"
row "resumed handshake, in memory" "$(per_s "$RESUMED")" "hs/s" "$OREUSE"
echo
echo "== where a full handshake's time goes (in memory, both sides)"
awk -v f="$FULL" -v r="$RSA" 'BEGIN {
  printf "wall clock (criterion medians): full %.1f µs, server RSA-2048 decryption %.1f µs, everything but RSA %.1f%%\n",
    f / 1000, r / 1000, 100 * (f - r) / f;
}'
# Thread CPU time, measured by the bench itself: unlike wall-clock medians
# it is not stretched by other load on the machine.
SPLIT=$(grep '^cpu_split:' "$LOG" || true)
if [[ -n $SPLIT ]]; then
  echo "CPU time: ${SPLIT#cpu_split: } (target < 10%)"
fi
awk -v r="$RESUMED" -v o="$OREUSE" 'BEGIN {
  printf "resumed in memory vs s_time -reuse: %.2fx (target >= 5x)\n", (1e9 / r) / o;
}'
if [[ -n $MEM ]]; then
  awk -v m="$MEM" 'BEGIN {
    printf "memory per established idle connection: %.1f KiB (RSS growth; target <= 64 KiB)\n", m / 1024;
  }'
fi
fi
