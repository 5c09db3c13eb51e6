#!/usr/bin/env bash
# Generates Gauntlet's test PKI with the OpenSSL 3 CLI (and Python's standard
# library only to flip one signature byte and to write manifest.json), then
# cross-checks every chain with `openssl verify` at the reference time T.
#
# Run from the repository root:  vectors/pki/gen.sh [--force]
# Without --force an existing PKI is left untouched and only re-checked, so the
# script is idempotent (RSA keys and PSS salts are random: regenerating changes
# bytes, never meaning). The chains and their expectations are the table below;
# see vectors/pki/README.md.
set -euo pipefail

OUT=vectors/pki
[ -f "$OUT/gen.sh" ] || { echo "run from the repository root" >&2; exit 1; }
FORCE=0
[ "${1:-}" = --force ] && FORCE=1

# Reference validation time T = 2027-01-01T00:00:00Z.
T=1798761600

# name | leaf | intermediates (comma) | trust anchor | crls (comma) | host (- = none)
#      | purpose | revocation | our expected result | what `openssl verify` says
CHAINS='
good-dns|leaf|int|root||localhost|serverAuth|checkIfPresent|ok|OK
good-dns-uppercase|leaf|int|root||LOCALHOST|serverAuth|checkIfPresent|ok|OK
good-ip|leaf|int|root||127.0.0.1|serverAuth|checkIfPresent|ok|OK
good-with-crls|leaf|int|root|root-crl,int-crl|localhost|serverAuth|checkIfPresent|ok|OK
good-require-crl|leaf|int|root|root-crl,int-crl|localhost|serverAuth|requireCrl|ok|OK
good-client-auth|leaf|int|root||-|clientAuth|checkIfPresent|ok|OK
pss-sha256|leaf-pss|int|root||localhost|serverAuth|checkIfPresent|ok|OK
pss-sha384|leaf-pss384|int|root||localhost|serverAuth|checkIfPresent|ok|OK
pkcs1-sha512|leaf-sha512|int|root||localhost|serverAuth|checkIfPresent|ok|OK
wildcard-one-label|leaf-wildcard|int|root||a.example.test|serverAuth|checkIfPresent|ok|OK
wildcard-two-labels|leaf-wildcard|int|root||a.b.example.test|serverAuth|checkIfPresent|NotValidForName|hostname mismatch
wildcard-bare-domain|leaf-wildcard|int|root||example.test|serverAuth|checkIfPresent|NotValidForName|hostname mismatch
wrong-name|leaf|int|root||wrong.example.test|serverAuth|checkIfPresent|NotValidForName|hostname mismatch
wrong-ip|leaf|int|root||127.0.0.2|serverAuth|checkIfPresent|NotValidForName|IP address mismatch
no-san-cn-only|leaf-nosan|int|root||localhost|serverAuth|checkIfPresent|NotValidForName|OK
expired-leaf|leaf-expired|int|root||localhost|serverAuth|checkIfPresent|Expired|certificate has expired
not-yet-valid-leaf|leaf-notyet|int|root||localhost|serverAuth|checkIfPresent|NotYetValid|certificate is not yet valid
expired-intermediate|leaf-under-expired-int|int-expired|root||localhost|serverAuth|checkIfPresent|Expired|certificate has expired
unknown-root|leaf-untrusted|int-untrusted|root||localhost|serverAuth|checkIfPresent|UnknownIssuer|unable to get local issuer certificate
unknown-root-sent|leaf-untrusted|int-untrusted,root-untrusted|root||localhost|serverAuth|checkIfPresent|UnknownIssuer|self-signed certificate in certificate chain
cross-signed-detour|leaf|int-cross,root-untrusted,int|root||localhost|serverAuth|checkIfPresent|ok|self-signed certificate in certificate chain
impostor-root-same-name|leaf-impostor|int-impostor|root||localhost|serverAuth|checkIfPresent|UnknownIssuer|unable to get local issuer certificate
self-signed-leaf|leaf-selfsigned||root||localhost|serverAuth|checkIfPresent|UnknownIssuer|self-signed certificate
self-signed-leaf-pinned|leaf-selfsigned||leaf-selfsigned||localhost|serverAuth|checkIfPresent|ok|OK
bad-signature|leaf-badsig|int|root||localhost|serverAuth|checkIfPresent|BadSignature|certificate signature failure
intermediate-not-ca|leaf-under-notca|int-notca|root||localhost|serverAuth|checkIfPresent|NotCa|invalid CA certificate
intermediate-without-keycertsign|leaf-under-nokcs|int-nokcs|root||localhost|serverAuth|checkIfPresent|BadKeyUsage|invalid CA certificate
pathlen-exceeded|leaf-under-sub|int-sub,int-pathlen0|root||localhost|serverAuth|checkIfPresent|PathLenExceeded|path length constraint exceeded
pathlen-zero-direct-leaf|leaf-under-pathlen0|int-pathlen0|root||localhost|serverAuth|checkIfPresent|ok|OK
wrong-eku|leaf-clientonly|int|root||localhost|serverAuth|checkIfPresent|BadExtendedKeyUsage|unsuitable certificate purpose
client-eku-as-client|leaf-clientonly|int|root||-|clientAuth|checkIfPresent|ok|OK
server-without-keyencipherment|leaf-ku-sign-only|int|root||localhost|serverAuth|checkIfPresent|BadKeyUsage|OK
unknown-critical-extension|leaf-critical-ext|int|root||localhost|serverAuth|checkIfPresent|UnhandledCriticalExtension|unhandled critical extension
revoked-leaf|leaf-revoked|int|root|root-crl,int-crl|localhost|serverAuth|checkIfPresent|Revoked|certificate revoked
revoked-intermediate|leaf-under-revoked-int|int-revoked|root|root-crl,int-revoked-crl|localhost|serverAuth|checkIfPresent|Revoked|certificate revoked
stale-crl|leaf|int|root|root-crl,int-stale-crl|localhost|serverAuth|checkIfPresent|CrlExpired|CRL has expired
future-crl|leaf|int|root|root-crl,int-future-crl|localhost|serverAuth|checkIfPresent|CrlExpired|CRL is not yet valid
crl-wrong-key|leaf|int|root|root-crl,int-wrongkey-crl|localhost|serverAuth|checkIfPresent|CrlBadSignature|CRL signature failure
require-crl-missing|leaf|int|root|root-crl|localhost|serverAuth|requireCrl|RevocationStatusUnknown|unable to get certificate CRL
'

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

generate() {
  local work=$WORK
  find "$OUT" -maxdepth 1 \( -name '*.pem' -o -name '*.der' -o -name '*.key' \
    -o -name 'manifest.json' \) -delete

  cat >"$work/ca.cnf" <<'EOF'
# Minimal `openssl ca` configuration: one database per CA directory ($CADIR).
[ ca ]
default_ca = ca_default

[ ca_default ]
dir            = $ENV::CADIR
database       = $dir/index.txt
new_certs_dir  = $dir/newcerts
serial         = $dir/serial
crlnumber      = $dir/crlnumber
default_md     = sha256
policy         = policy_any
unique_subject = no
email_in_dn    = no
copy_extensions = none

[ policy_any ]
commonName       = supplied
organizationName = optional

[ req ]
distinguished_name = req_dn
string_mask        = utf8only
prompt             = no

[ req_dn ]
CN = unused

[ ca_ext ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ ca_pathlen0_ext ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

# Signs like a CA, but basicConstraints says it is not one.
[ notca_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

# A CA whose keyUsage lacks keyCertSign.
[ nokcs_ext ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, digitalSignature, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ wildcard_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:*.example.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ nosan_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ clientonly_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = clientAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ signonly_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

# A private-arc extension marked critical that no verifier knows.
[ critical_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
1.3.6.1.4.1.55555.1    = critical, ASN1:NULL
EOF
  local cnf="$work/ca.cnf"

  # newca DIR FIRST_SERIAL: an empty CA database.
  newca() {
    mkdir -p "$work/$1/newcerts"
    : >"$work/$1/index.txt"
    echo "$2" >"$work/$1/serial"
    echo 01 >"$work/$1/crlnumber"
  }
  key() { # reuses an existing key (a cross-certificate shares one)
    [ -f "$OUT/$1.key" ] && return
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$OUT/$1.key" 2>/dev/null
  }
  der() {
    openssl x509 -in "$OUT/$1.pem" -outform DER -out "$OUT/$1.der"
  }
  # issue CADIR ISSUER NAME SUBJECT EXT START END [openssl ca options...]
  # ISSUER "-" self-signs.
  issue() {
    local cadir=$1 issuer=$2 name=$3 subj=$4 ext=$5 start=$6 end=$7
    shift 7
    key "$name"
    CADIR="$work" openssl req -new -config "$cnf" -key "$OUT/$name.key" -subj "$subj" -out "$work/$name.csr"
    local signer=(-cert "$OUT/$issuer.pem" -keyfile "$OUT/$issuer.key")
    [ "$issuer" = - ] && signer=(-selfsign -keyfile "$OUT/$name.key")
    CADIR="$work/$cadir" openssl ca -config "$cnf" -batch -notext -preserveDN \
      "${signer[@]}" -in "$work/$name.csr" -out "$OUT/$name.pem" \
      -extensions "$ext" -startdate "$start" -enddate "$end" "$@" 2>/dev/null
    der "$name"
  }
  # crl CADIR ISSUER NAME LASTUPDATE NEXTUPDATE
  crl() {
    CADIR="$work/$1" openssl ca -config "$cnf" -batch -gencrl \
      -cert "$OUT/$2.pem" -keyfile "$OUT/$2.key" -out "$OUT/$3.pem" \
      -crl_lastupdate "$4" -crl_nextupdate "$5" 2>/dev/null
    openssl crl -in "$OUT/$3.pem" -outform DER -out "$OUT/$3.der"
  }
  # revoke CADIR ISSUER CERT: mark revoked with a fixed revocation date.
  revoke() {
    CADIR="$work/$1" openssl ca -config "$cnf" -batch -revoke "$OUT/$3.pem" \
      -cert "$OUT/$2.pem" -keyfile "$OUT/$2.key" -crl_reason keyCompromise 2>/dev/null
    # `openssl ca -revoke` stamps the wall clock; pin it so CRLs are reproducible.
    sed -i -E 's/^(R\t[0-9]+Z\t)[0-9]+Z/\1261115000000Z/' "$work/$1/index.txt"
  }

  local O='/O=Gauntlet Test PKI'
  # Roots and intermediates: valid 2025 .. 2035 / 2032 (T is inside).
  newca root 1000
  issue root - root "$O/CN=Gauntlet Test Root CA" ca_ext 20250101000000Z 20350101000000Z
  newca int 2000
  issue root root int "$O/CN=Gauntlet Test Intermediate CA" ca_ext 20250601000000Z 20320101000000Z

  # Leaves under the intermediate: valid 2026-01-01 .. 2028-01-01 unless broken on purpose.
  local S=20260101000000Z E=20280101000000Z
  issue int int leaf "$O/CN=localhost" leaf_ext $S $E
  issue int int leaf-pss "$O/CN=localhost" leaf_ext $S $E -md sha256 \
    -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256
  issue int int leaf-pss384 "$O/CN=localhost" leaf_ext $S $E -md sha384 \
    -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48 -sigopt rsa_mgf1_md:sha384
  issue int int leaf-sha512 "$O/CN=localhost" leaf_ext $S $E -md sha512
  issue int int leaf-wildcard "$O/CN=*.example.test" wildcard_ext $S $E
  issue int int leaf-nosan "$O/CN=localhost" nosan_ext $S $E
  issue int int leaf-expired "$O/CN=localhost" leaf_ext 20250101000000Z 20260601000000Z
  issue int int leaf-notyet "$O/CN=localhost" leaf_ext 20270601000000Z 20290101000000Z
  issue int int leaf-clientonly "$O/CN=localhost" clientonly_ext $S $E
  issue int int leaf-ku-sign-only "$O/CN=localhost" signonly_ext $S $E
  issue int int leaf-critical-ext "$O/CN=localhost" critical_ext $S $E
  issue int int leaf-revoked "$O/CN=localhost" leaf_ext $S $E

  # The same leaf DER with the last byte of its signature flipped.
  python3 - "$OUT/leaf.der" "$OUT/leaf-badsig.der" <<'EOF'
import sys
der = bytearray(open(sys.argv[1], "rb").read())
der[-1] ^= 0x01  # the signature BIT STRING ends the Certificate
open(sys.argv[2], "wb").write(bytes(der))
EOF
  openssl x509 -inform DER -in "$OUT/leaf-badsig.der" -out "$OUT/leaf-badsig.pem"
  cp "$OUT/leaf.key" "$OUT/leaf-badsig.key"

  # Broken intermediates, each with one leaf.
  newca int-expired 3000
  issue root root int-expired "$O/CN=Gauntlet Expired Intermediate CA" ca_ext 20250101000000Z 20260601000000Z
  issue int-expired int-expired leaf-under-expired-int "$O/CN=localhost" leaf_ext 20250201000000Z $E
  newca int-notca 4000
  issue root root int-notca "$O/CN=Gauntlet Not-A-CA Intermediate" notca_ext 20250601000000Z 20320101000000Z
  issue int-notca int-notca leaf-under-notca "$O/CN=localhost" leaf_ext $S $E
  newca int-nokcs 4500
  issue root root int-nokcs "$O/CN=Gauntlet No-KeyCertSign Intermediate" nokcs_ext 20250601000000Z 20320101000000Z
  issue int-nokcs int-nokcs leaf-under-nokcs "$O/CN=localhost" leaf_ext $S $E
  newca int-pathlen0 5000
  issue root root int-pathlen0 "$O/CN=Gauntlet Pathlen-0 Intermediate CA" ca_pathlen0_ext 20250601000000Z 20320101000000Z
  issue int-pathlen0 int-pathlen0 leaf-under-pathlen0 "$O/CN=localhost" leaf_ext $S $E
  newca int-sub 5500
  issue int-pathlen0 int-pathlen0 int-sub "$O/CN=Gauntlet Sub Intermediate CA" ca_ext 20250601000000Z 20320101000000Z
  issue int-sub int-sub leaf-under-sub "$O/CN=localhost" leaf_ext $S $E
  newca int-revoked 6000
  issue root root int-revoked "$O/CN=Gauntlet Revoked Intermediate CA" ca_ext 20250601000000Z 20320101000000Z
  issue int-revoked int-revoked leaf-under-revoked-int "$O/CN=localhost" leaf_ext $S $E

  # A hierarchy the trust store does not hold.
  newca root-untrusted 7000
  issue root-untrusted - root-untrusted "$O/CN=Gauntlet Untrusted Root CA" ca_ext 20250101000000Z 20350101000000Z
  newca int-untrusted 7500
  issue root-untrusted root-untrusted int-untrusted "$O/CN=Gauntlet Untrusted Intermediate CA" ca_ext 20250601000000Z 20320101000000Z
  issue int-untrusted int-untrusted leaf-untrusted "$O/CN=localhost" leaf_ext $S $E
  # A cross-certificate: the good intermediate's name and key, issued by the
  # untrusted root. Offered first, it is a dead end path building must leave.
  cp "$OUT/int.key" "$OUT/int-cross.key"
  issue root-untrusted root-untrusted int-cross "$O/CN=Gauntlet Test Intermediate CA" ca_ext 20250601000000Z 20320101000000Z

  # An impostor root: the trusted root's exact name, another key.
  newca root-impostor 8000
  issue root-impostor - root-impostor "$O/CN=Gauntlet Test Root CA" ca_ext 20250101000000Z 20350101000000Z
  newca int-impostor 8500
  issue root-impostor root-impostor int-impostor "$O/CN=Gauntlet Test Intermediate CA" ca_ext 20250601000000Z 20320101000000Z
  issue int-impostor int-impostor leaf-impostor "$O/CN=localhost" leaf_ext $S $E

  # A self-signed server certificate.
  newca selfsigned 9000
  issue selfsigned - leaf-selfsigned "$O/CN=localhost" leaf_ext $S $E

  # CRLs. Current ones: lastUpdate 2026-12-01, nextUpdate 2027-02-01.
  local CL=20261201000000Z CN=20270201000000Z
  revoke root root int-revoked
  crl root root root-crl $CL $CN
  revoke int int leaf-revoked
  crl int int int-crl $CL $CN
  crl int-revoked int-revoked int-revoked-crl $CL $CN
  # Stale (nextUpdate 2026-12-01 < T) and future (lastUpdate 2027-03-01 > T).
  crl int int int-stale-crl 20261001000000Z 20261201000000Z
  crl int int int-future-crl 20270301000000Z 20270401000000Z
  # The intermediate's exact name, signed by another key (a self-signed twin).
  newca int-wrongkey 9500
  issue int-wrongkey - int-wrongkey "$O/CN=Gauntlet Test Intermediate CA" ca_ext 20250601000000Z 20320101000000Z
  crl int-wrongkey int-wrongkey int-wrongkey-crl $CL $CN

  python3 - "$OUT/manifest.json" "$T" <<EOF
import json, sys
rows = [l.split("|") for l in """$CHAINS""".strip().splitlines()]
def files(s, ext):
    return [f"{x}.{ext}" for x in s.split(",") if x]
chains = []
for name, leaf, ints, root, crls, host, purpose, revocation, expect, _ in rows:
    chains.append({
        "name": name,
        "leaf": f"{leaf}.der",
        "intermediates": files(ints, "der"),
        "root": f"{root}.der",
        "crls": files(crls, "der"),
        "host": None if host == "-" else host,
        "purpose": purpose,
        "revocation": revocation,
        "time": int(sys.argv[2]),
        "expect": expect,
    })
doc = {
    "source": "vectors/pki/gen.sh (OpenSSL 3 CLI); see vectors/pki/README.md",
    "time": int(sys.argv[2]),
    "chains": chains,
}
with open(sys.argv[1], "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
EOF
}

# Cross-check: what OpenSSL's own verifier says about each chain at T.
check() {
  local tmp=$WORK fails=0
  while IFS='|' read -r name leaf ints root crls host purpose revocation expect ossl; do
    [ -n "$name" ] || continue
    local args=(-attime "$T" -CAfile "$OUT/$root.pem")
    if [ -n "$ints" ]; then
      : >"$tmp/untrusted.pem"
      for i in ${ints//,/ }; do cat "$OUT/$i.pem" >>"$tmp/untrusted.pem"; done
      args+=(-untrusted "$tmp/untrusted.pem")
    fi
    if [ -n "$crls" ]; then
      for c in ${crls//,/ }; do args+=(-CRLfile "$OUT/$c.pem"); done
      args+=(-crl_check_all)
    fi
    case $purpose in
      serverAuth) args+=(-purpose sslserver) ;;
      clientAuth) args+=(-purpose sslclient) ;;
    esac
    if [ "$host" != - ]; then
      if [[ $host =~ ^[0-9.]+$ ]]; then args+=(-verify_ip "$host"); else args+=(-verify_hostname "$host"); fi
    fi
    local got
    got=$(openssl verify "${args[@]}" "$OUT/$leaf.pem" 2>&1 || true)
    local ok=1
    if [ "$ossl" = OK ]; then
      [[ $got == *": OK" ]] || ok=0
    else
      [[ $got == *"$ossl"* ]] || ok=0
    fi
    if [ $ok = 1 ]; then
      printf '  %-34s ours=%-26s openssl=%s\n' "$name" "$expect" "$ossl"
    else
      printf 'MISMATCH %s: expected openssl "%s", got:\n%s\n' "$name" "$ossl" "$got"
      fails=$((fails + 1))
    fi
  done <<<"$CHAINS"
  [ $fails = 0 ] || { echo "$fails chain(s) disagree with openssl" >&2; return 1; }
}

# ECDSA server leaves for the ECDHE_ECDSA suites, issued by the RSA
# intermediate: leaf-ec256 (P-256) and leaf-ec384 (P-384), PKCS#8 keys. They
# carry no keyUsage (RFC 5280 §4.2.1.3: absent means any use; our pki's
# server-leaf rule asks for keyEncipherment when keyUsage is present, which an
# ECDSA key does not do) and stay out of manifest.json and its chain table:
# made when missing (or with --force), checked below on their own.
EC_LEAVES="leaf-ec256:P-256 leaf-ec384:P-384"
generate_ec() {
  local serial=7000
  for entry in $EC_LEAVES; do
    local name=${entry%%:*} curve=${entry#*:}
    serial=$((serial + 1))
    if [ $FORCE = 0 ] && [ -f "$OUT/$name.pem" ] && [ -f "$OUT/$name.key" ]; then continue; fi
    echo "generating $name ($curve)"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"$curve" \
      -pkeyopt ec_param_enc:named_curve -out "$OUT/$name.key" 2>/dev/null
    openssl req -new -key "$OUT/$name.key" -subj "/O=Gauntlet Test PKI/CN=localhost" \
      -out "$WORK/$name.csr"
    # A throwaway CA database, so `openssl ca` can set explicit dates.
    rm -rf "$WORK/ec-ca"
    mkdir -p "$WORK/ec-ca/newcerts"
    : >"$WORK/ec-ca/index.txt"
    echo "$serial" >"$WORK/ec-ca/serial"
    printf '%s\n' \
      '[ ca ]' 'default_ca = d' '[ d ]' "dir = $WORK/ec-ca" \
      'database = $dir/index.txt' 'new_certs_dir = $dir/newcerts' 'serial = $dir/serial' \
      'default_md = sha256' 'policy = p' 'unique_subject = no' 'email_in_dn = no' \
      '[ p ]' 'commonName = supplied' 'organizationName = optional' \
      '[ ec_leaf_ext ]' 'basicConstraints = critical, CA:FALSE' \
      'extendedKeyUsage = serverAuth, clientAuth' \
      'subjectAltName = DNS:localhost, IP:127.0.0.1' \
      'subjectKeyIdentifier = hash' 'authorityKeyIdentifier = keyid:always' \
      >"$WORK/ec-ca.cnf"
    openssl ca -config "$WORK/ec-ca.cnf" -batch -notext -preserveDN \
      -cert "$OUT/int.pem" -keyfile "$OUT/int.key" -in "$WORK/$name.csr" \
      -out "$OUT/$name.pem" -extensions ec_leaf_ext \
      -startdate 20260101000000Z -enddate 20280101000000Z 2>/dev/null
    openssl x509 -in "$OUT/$name.pem" -outform DER -out "$OUT/$name.der"
  done
}

check_ec() {
  local fails=0
  for entry in $EC_LEAVES; do
    local name=${entry%%:*} curve=${entry#*:}
    local got kind
    got=$(openssl verify -attime "$T" -CAfile "$OUT/root.pem" -untrusted "$OUT/int.pem" \
      -purpose sslserver -verify_hostname localhost "$OUT/$name.pem" 2>&1 || true)
    kind=$(openssl pkey -in "$OUT/$name.key" -noout -text 2>/dev/null | grep -o "NIST CURVE: $curve" || true)
    if [[ $got == *": OK" ]] && [ -n "$kind" ]; then
      printf '  %-34s ours=%-26s openssl=%s (%s)\n' "$name" ok OK "$curve"
    else
      printf 'MISMATCH %s: expected OK on %s, got:\n%s\n' "$name" "$curve" "$got"
      fails=$((fails + 1))
    fi
  done
  [ $fails = 0 ] || { echo "$fails EC leaf/leaves disagree with openssl" >&2; return 1; }
}

if [ $FORCE = 1 ] || [ ! -f "$OUT/manifest.json" ]; then
  echo "generating the test PKI in $OUT"
  generate
fi
generate_ec
echo "openssl verify at T=$T ($(date -u -d @$T +%FT%TZ)):"
check
check_ec
