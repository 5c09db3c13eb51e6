#!/usr/bin/env bash
# Regenerates the independent known-answer data the crypto unit tests use.
# Nothing here runs our own code: OpenSSL CLI and Python `cryptography` only.
#
#   engine/src/crypto/testdata/gen.sh            # prints PRF/GCM vectors (deterministic)
#   engine/src/crypto/testdata/gen.sh --rsa      # also rewrites the RSA key and ciphertexts
#
# The printed hex is pasted into the tests (crypto/prf.rs, crypto/keys.rs,
# record/protection.rs); the RSA files are read with include_bytes!.
set -euo pipefail
cd "$(dirname "$0")"

hexl() { printf '%s' "$1" | xxd -p | tr -d '\n'; }
kdf() { # keylen digest hexsecret hexseed
  openssl kdf -keylen "$1" -kdfopt "digest:$2" -kdfopt "hexsecret:$3" -kdfopt "hexseed:$4" TLS1-PRF |
    tr -d ':\n' | tr 'A-F' 'a-f'
  echo
}
seq_hex() { python3 -c "print(bytes(range($1, $2)).hex())"; }

echo "## RFC 5246 PRF, published IETF vectors (label 'test label')"
echo "prf_sha256_100: $(kdf 100 SHA256 9bbe436ba940f017b17652849a71db35 "$(hexl 'test label')a0ba9f936cda311827a6f796ffd5198c")"
echo "prf_sha384_148: $(kdf 148 SHA384 b80b733d6ceefcdc71566ea48e5567df "$(hexl 'test label')cd665cf6a8447dd6ff8b27555edb7465")"

PM=0303$(seq_hex 0x10 0x3e) # version 3,3 then 46 bytes 0x10..0x3d
CR=$(seq_hex 0x00 0x20)     # client_random
SR=$(seq_hex 0x80 0xa0)     # server_random
SH=$(seq_hex 0x40 0x60)     # 32-byte handshake/session hash
SH384=$(seq_hex 0x40 0x70)  # 48-byte handshake/session hash
MS=$(kdf 48 SHA256 "$PM" "$(hexl 'master secret')$CR$SR")
MS384=$(kdf 48 SHA384 "$PM" "$(hexl 'master secret')$CR$SR")
echo "## Key schedule (premaster $PM, client_random $CR, server_random $SR)"
echo "master_secret_sha256: $MS"
echo "master_secret_sha384: $MS384"
echo "key_block_sha256_40 (seed server_random+client_random): $(kdf 40 SHA256 "$MS" "$(hexl 'key expansion')$SR$CR")"
echo "key_block_sha384_72 (seed server_random+client_random): $(kdf 72 SHA384 "$MS384" "$(hexl 'key expansion')$SR$CR")"
echo "ems_sha256 (session_hash $SH): $(kdf 48 SHA256 "$PM" "$(hexl 'extended master secret')$SH")"
echo "ems_sha384 (session_hash $SH384): $(kdf 48 SHA384 "$PM" "$(hexl 'extended master secret')$SH384")"
echo "client_finished_sha256 (hash $SH): $(kdf 12 SHA256 "$MS" "$(hexl 'client finished')$SH")"
echo "server_finished_sha384 (hash $SH384): $(kdf 12 SHA384 "$MS384" "$(hexl 'server finished')$SH384")"

echo "## RFC 5288 GCM records (Python cryptography AESGCM)"
python3 - <<'PY'
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
import struct
def record(key, salt, explicit, seq, typ, ver, pt):
    aad = struct.pack(">QBHH", seq, typ, ver, len(pt))
    return explicit + AESGCM(key).encrypt(salt + explicit, pt, aad)
cases = [
    ("gcm128_appdata", bytes(range(16)), bytes.fromhex("a0a1a2a3"), bytes.fromhex("0000000000000001"), 1, 0x17, 0x0303, b"hello, gauntlet"),
    ("gcm256_handshake", bytes(range(0x20, 0x40)), bytes.fromhex("b0b1b2b3"), bytes.fromhex("1122334455667788"), 0, 0x16, 0x0303, bytes(range(40))),
    ("gcm128_empty", bytes(range(16)), bytes.fromhex("a0a1a2a3"), bytes.fromhex("0000000000000007"), 7, 0x15, 0x0303, b""),
]
for name, key, salt, explicit, seq, typ, ver, pt in cases:
    print(f"{name}: key={key.hex()} salt={salt.hex()} explicit={explicit.hex()} seq={seq} type={typ:#04x} "
          f"version={ver:#06x} pt={pt.hex()} fragment={record(key, salt, explicit, seq, typ, ver, pt).hex()}")
PY

if [[ "${1:-}" == "--rsa" ]]; then
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.pem 2>/dev/null
  openssl rsa -in rsa2048.pem -traditional -out rsa2048-pkcs1.pem 2>/dev/null
  openssl pkcs8 -topk8 -nocrypt -in rsa2048.pem -outform DER -out rsa2048.der
  openssl pkey -in rsa2048.pem -pubout -outform DER -out rsa2048-pub.der
  # A TLS 1.2 premaster (version 3,3 then 46 bytes), the same with version 3,1,
  # and a 47-byte message: all validly PKCS#1 v1.5 padded.
  echo "$PM" | xxd -r -p > premaster.bin
  echo "0301${PM:4}" | xxd -r -p > premaster-v0301.bin
  echo "${PM:0:94}" | xxd -r -p > premaster-47.bin
  for f in premaster premaster-v0301 premaster-47; do
    openssl pkeyutl -encrypt -pubin -inkey rsa2048-pub.der -keyform DER \
      -pkeyopt rsa_padding_mode:pkcs1 -in "$f.bin" -out "$f.ct"
  done
  rm -f premaster.bin premaster-v0301.bin premaster-47.bin
fi
