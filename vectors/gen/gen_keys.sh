#!/usr/bin/env bash
# The test server keys and their self-signed certificates (CN=localhost), made
# by the OpenSSL CLI: RSA-2048 (rsa2048.*) and, for the ECDHE_ECDSA
# recordings, P-256 (ec256.*). Kept if present, so reruns do not invalidate recorded handshakes;
# pass --new to replace them (then regenerate everything: bash vectors/gen/all.sh --new-keys).
set -euo pipefail
cd "$(dirname "$0")/../keys"
if [ "${1:-}" = "--new" ]; then rm -f rsa2048.key rsa2048.crt ec256.key ec256.crt; fi
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
if [ ! -f ec256.key ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve \
    -out ec256.key 2>/dev/null
  rm -f ec256.crt
fi
if [ ! -f ec256.crt ]; then
  openssl req -x509 -new -key ec256.key -sha256 -days 3650 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out ec256.crt
fi
head -1 ec256.key | grep -q -- "-----BEGIN PRIVATE KEY-----"
[ "$(openssl pkey -in ec256.key -pubout)" = "$(openssl x509 -in ec256.crt -noout -pubkey)" ]
echo "keys: vectors/keys/rsa2048.{key,crt}, vectors/keys/ec256.{key,crt}"
