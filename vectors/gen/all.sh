#!/usr/bin/env bash
# Regenerate every vector file under vectors/ from independent tools (OpenSSL CLI,
# GnuTLS CLI, Python `cryptography`). Never needed by the tests: the output is
# committed. Safe to rerun; random inputs change, the server key is kept unless
# --new-keys is given.
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v openssl >/dev/null || need_apt+=(openssl)
command -v gnutls-cli >/dev/null || need_apt+=(gnutls-bin)
command -v python3 >/dev/null || need_apt+=(python3 python3-pip)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "all.sh: missing ${need_apt[*]} (run as root or install them)" >&2
    exit 1
  fi
fi
python3 -c 'import cryptography' 2>/dev/null || python3 -m pip install -q cryptography

if [ "${1:-}" = "--new-keys" ]; then bash gen_keys.sh --new; else bash gen_keys.sh; fi
python3 gen_prf.py
python3 gen_gcm.py
python3 gen_rsa_premaster.py
python3 record_handshake.py
python3 record_ecdhe.py
python3 gen_ocsp.py

echo "== case counts"
python3 - <<'PY'
import glob, json, os
for path in sorted(glob.glob("../*.json")):
    with open(path) as f:
        doc = json.load(f)
    print(f"{os.path.basename(path):30} {doc['kind']:24} {len(doc['cases']):4} cases")
PY
