#!/usr/bin/env bash
# Crypto benchmarks against OpenSSL on the same machine, in one run.
#
#   ci/bench.sh [SECONDS] [--native]
#
# SECONDS (default 3) bounds each measurement: criterion's measurement time
# per benchmark and `openssl speed -seconds`. Total run time is roughly
# 8 × (SECONDS + 1) s for ours plus 5 × SECONDS for OpenSSL, after the build.
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
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=3
NATIVE=0
for arg in "$@"; do
  case "$arg" in
    --native) NATIVE=1 ;;
    ''|*[!0-9]*) echo "usage: ci/bench.sh [SECONDS] [--native]" >&2; exit 2 ;;
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

echo "== cargo bench -p gauntlet-engine --bench crypto ($FLAVOUR, ${SECS}s per benchmark)"
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
# Fail on a failed bench run rather than read stale estimates below.
if ! cargo bench -p gauntlet-engine --bench crypto -- \
  --warm-up-time 1 --measurement-time "$SECS" --noplot >"$LOG" 2>&1; then
  cat "$LOG" >&2
  exit 1
fi
grep -E '^[a-z]|time:|thrpt:' "$LOG" || true

# Median time per iteration in ns for one criterion benchmark.
ours_ns() {
  jq -r '.median.point_estimate' "$CARGO_TARGET_DIR/criterion/$1/new/estimates.json"
}

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
