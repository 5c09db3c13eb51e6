#!/usr/bin/env bash
# Builds the NSS certificate database that `selfserv` and `tstclnt` use in
# Gauntlet's interop runs, from the test PKI in vectors/pki/:
#   - the server identity "gauntlet-server": leaf.pem + leaf.key, with int.pem
#     so selfserv sends the whole chain (imported from a PKCS#12 made by
#     `openssl pkcs12 -export`);
#   - the trust anchor "gauntlet-root": root.pem, trusted for TLS servers and
#     clients (certutil -t "CT,C,C");
#   - int.pem is in the DB as an untrusted intermediate.
# The DB has an empty password. Usage: interop/nss/make-db.sh DBDIR [PKIDIR]
# Idempotent: an existing DBDIR is removed and made anew.
set -euo pipefail
db=${1:?usage: make-db.sh DBDIR [PKIDIR]}
here=$(cd "$(dirname "$0")" && pwd)
pki=${2:-$here/../../vectors/pki}
for tool in certutil pk12util openssl; do
  command -v "$tool" >/dev/null || { echo "make-db.sh: $tool not found (ci/interop-install.sh)" >&2; exit 1; }
done
rm -rf "$db"
mkdir -p "$db"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# NSS 3.87 reads OpenSSL 3's default PKCS#12 (PBES2, AES-256-CBC, PBKDF2).
openssl pkcs12 -export -in "$pki/leaf.pem" -inkey "$pki/leaf.key" -certfile "$pki/int.pem" \
  -name gauntlet-server -out "$tmp/server.p12" -passout pass:gauntlet
certutil -N -d "sql:$db" --empty-password
pk12util -i "$tmp/server.p12" -d "sql:$db" -W gauntlet -K "" >/dev/null
certutil -A -d "sql:$db" -n gauntlet-root -t "CT,C,C" -i "$pki/root.pem"
# Show what is there (and fail if the server key did not arrive).
certutil -L -d "sql:$db"
certutil -K -d "sql:$db" | grep -q gauntlet-server || { echo "make-db.sh: server key missing" >&2; exit 1; }
