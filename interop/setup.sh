#!/usr/bin/env bash
# setup.sh [DIR]: builds what the third-party peers need, from the sources in
# interop/ and the test PKI in vectors/pki/, into DIR (default:
# target/interop under the repository root):
#   DIR/chain.pem        leaf.pem + int.pem (gnutls-serv takes the chain in one file)
#   DIR/nssdb/           NSS cert DB for selfserv/tstclnt (interop/nss/make-db.sh)
#   DIR/java/            GauntletPeer.class (javac, Java 17)
#   DIR/mbedtls-peer     our mbedTLS peer (gcc, libmbedtls-dev)
#   DIR/go-peer          our Go crypto/tls peer (golang-go; stdlib only, offline)
#   DIR/wolfssl-peer     our wolfSSL peer (gcc, libwolfssl-dev)
#   DIR/rustls-peer      our rustls peer (cargo; interop/rustls, its own lock file)
# The last three serve only the ECDHE cells; Go and wolfSSL are skipped when
# their toolchain is missing.
# Prints one line per item; fails if any cannot be built. Rebuilds every time
# (seconds), so it never runs stale code.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$repo/target/interop}
pki=$repo/vectors/pki
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

cat "$pki/leaf.pem" "$pki/int.pem" > "$dir/chain.pem"
echo "setup: $dir/chain.pem"

"$repo/interop/nss/make-db.sh" "$dir/nssdb" "$pki" >/dev/null
echo "setup: $dir/nssdb"

rm -rf "$dir/java"
javac -d "$dir/java" "$repo/interop/java/GauntletPeer.java"
echo "setup: $dir/java/GauntletPeer.class"

gcc -O2 -Wall -Wextra -Werror -pthread -o "$dir/mbedtls-peer" "$repo/interop/mbedtls/peer.c" \
  -lmbedtls -lmbedx509 -lmbedcrypto
echo "setup: $dir/mbedtls-peer"

# Go's build cache under DIR, not in $HOME; no module downloads (stdlib
# only). Only the ECDHE cells use it, so a machine without Go skips it.
if command -v go >/dev/null 2>&1; then
  GOCACHE="$dir/gocache" GOPROXY=off GO111MODULE=off \
    go build -o "$dir/go-peer" "$repo/interop/go/main.go"
  echo "setup: $dir/go-peer"
else
  rm -f "$dir/go-peer"
  echo "setup: no go (golang-go): the Go peer is not built"
fi

if [ -e /usr/include/wolfssl/ssl.h ]; then
  gcc -O2 -Wall -Wextra -Werror -pthread -o "$dir/wolfssl-peer" "$repo/interop/wolfssl/peer.c" -lwolfssl
  echo "setup: $dir/wolfssl-peer"
else
  rm -f "$dir/wolfssl-peer"
  echo "setup: no libwolfssl-dev: the wolfSSL peer is not built"
fi

# rustls from crates.io at the versions of interop/rustls/Cargo.lock; its own
# target dir under DIR, so the main workspace's build is left alone.
cargo build -q --release --locked --manifest-path "$repo/interop/rustls/Cargo.toml" \
  --target-dir "$dir/rustls-target"
cp "$dir/rustls-target/release/rustls-peer" "$dir/rustls-peer"
echo "setup: $dir/rustls-peer"
