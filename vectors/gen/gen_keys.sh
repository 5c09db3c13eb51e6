#!/usr/bin/env bash
# The test server key and its self-signed certificate (CN=localhost), made by the
# OpenSSL CLI. Kept if present, so reruns do not invalidate recorded handshakes;
# pass --new to replace them (then regenerate everything: bash vectors/gen/all.sh --new-keys).
set -euo pipefail
cd "$(dirname "$0")/../keys"
if [ "${1:-}" = "--new" ]; then rm -f rsa2048.key rsa2048.crt; fi
if [ ! -f rsa2048.key ]; then
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.key 2>/dev/null
  rm -f rsa2048.crt
fi
if [ ! -f rsa2048.crt ]; then
  openssl req -x509 -new -key rsa2048.key -sha256 -days 3650 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out rsa2048.crt
fi
# The key must be PKCS#8 and match the certificate.
head -1 rsa2048.key | grep -q -- "-----BEGIN PRIVATE KEY-----"
[ "$(openssl pkey -in rsa2048.key -pubout)" = "$(openssl x509 -in rsa2048.crt -noout -pubkey)" ]
echo "keys: vectors/keys/rsa2048.key, vectors/keys/rsa2048.crt"
