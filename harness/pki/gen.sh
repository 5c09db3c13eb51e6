#!/usr/bin/env bash
# Generates Gauntlet's test PKI with the OpenSSL 3 CLI (and Python's standard
# library only to flip one signature byte, to splice four serial numbers that
# `openssl dgst` then re-signs, and to write manifest.json), then cross-checks
# every chain with `openssl verify` at the reference time T.
#
# Run from the repository root:  vectors/pki/gen.sh [--force]
# Without --force an existing PKI is left untouched and only re-checked (a
# missing group, such as the strict group of issue 12, is added), so the
# script is idempotent (RSA keys and PSS salts are random: regenerating changes
# bytes, never meaning). manifest.json is rewritten from the table every run.
# The chains and their expectations are the table below; see
# vectors/pki/README.md.
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
rsa1024-intermediate|leaf-under-rsa1024|int-rsa1024|root||localhost|serverAuth|checkIfPresent|RsaModulusTooSmall|OK
rsa1024-anchor|leaf-under-rsa1024-root|int-under-rsa1024-root|root-rsa1024||localhost|serverAuth|checkIfPresent|RsaModulusTooSmall|OK
rsa1024-leaf|leaf-rsa1024|int|root||localhost|serverAuth|checkIfPresent|RsaModulusTooSmall|OK
rsa2047-leaf|leaf-rsa2047|int|root||localhost|serverAuth|checkIfPresent|RsaModulusNotWholeBytes|OK
dsa-leaf|leaf-dsa|int|root||localhost|serverAuth|checkIfPresent|UnsupportedPublicKey|OK
p192-leaf|leaf-p192|int|root||localhost|serverAuth|checkIfPresent|UnsupportedPublicKey|OK
ca-leaf|leaf-ca|int|root||localhost|serverAuth|checkIfPresent|LeafIsCa|OK
leaf-without-aki|leaf-noaki|int|root||localhost|serverAuth|checkIfPresent|MissingAuthorityKeyIdentifier|OK
leaf-critical-aki|leaf-akicrit|int|root||localhost|serverAuth|checkIfPresent|CriticalKeyIdentifier|unhandled critical extension
intermediate-without-ski|leaf-under-noski|int-noski|root||localhost|serverAuth|checkIfPresent|MissingSubjectKeyIdentifier|OK
intermediate-critical-ski|leaf-under-skicrit|int-skicrit|root||localhost|serverAuth|checkIfPresent|CriticalKeyIdentifier|unhandled critical extension
serial-zero|leaf-serial-zero|int|root||localhost|serverAuth|checkIfPresent|BadSerialNumber|OK
serial-negative|leaf-serial-negative|int|root||localhost|serverAuth|checkIfPresent|BadSerialNumber|OK
serial-21-octets|leaf-serial-21|int|root||localhost|serverAuth|checkIfPresent|BadSerialNumber|OK
serial-20-octets-top-bit|leaf-serial-20|int|root||localhost|serverAuth|checkIfPresent|ok|OK
empty-subject-noncritical-san|leaf-emptysubj|int|root||localhost|serverAuth|checkIfPresent|EmptySubjectWithoutCriticalSan|OK
empty-subject-critical-san|leaf-emptysubj-critsan|int|root||localhost|serverAuth|checkIfPresent|ok|OK
underscore-in-san|leaf-underscore|int|root||localhost|serverAuth|checkIfPresent|MalformedSanDnsName|OK
critical-eku-leaf|leaf-ekucrit|int|root||localhost|serverAuth|checkIfPresent|CriticalExtendedKeyUsage|OK
any-eku-only-leaf|leaf-anyeku|int|root||localhost|serverAuth|checkIfPresent|LeafAnyExtendedKeyUsage|unsuitable certificate purpose
any-eku-with-server-auth|leaf-anyeku-server|int|root||localhost|serverAuth|checkIfPresent|LeafAnyExtendedKeyUsage|OK
nc-permitted-names|leaf-nc-in|int-nc-permit|root||a.example.test|serverAuth|checkIfPresent|ok|OK
nc-permitted-ip|leaf-nc-in|int-nc-permit|root||127.0.0.1|serverAuth|checkIfPresent|ok|OK
nc-dns-outside-permitted|leaf-nc-dns-out|int-nc-permit|root||a.example.test|serverAuth|checkIfPresent|NameConstraintViolation|permitted subtree violation
nc-ip-outside-permitted|leaf-nc-ip-out|int-nc-permit|root||a.example.test|serverAuth|checkIfPresent|NameConstraintViolation|permitted subtree violation
nc-cn-inside-permitted-no-san|leaf-nc-cn-in|int-nc-permit|root||-|clientAuth|checkIfPresent|ok|OK
nc-cn-outside-permitted-no-san|leaf-nc-cn-out|int-nc-permit|root||-|clientAuth|checkIfPresent|NameConstraintViolation|permitted subtree violation
nc-anchor-permitted-two-below|leaf-under-nc-root-in|int-under-nc-root|root-nc||a.example.test|serverAuth|checkIfPresent|ok|OK
nc-anchor-violation-two-below|leaf-under-nc-root-out|int-under-nc-root|root-nc||a.example.test|serverAuth|checkIfPresent|NameConstraintViolation|permitted subtree violation
nc-not-excluded|leaf-nc-good|int-nc-exclude|root||good.example.test|serverAuth|checkIfPresent|ok|OK
nc-dns-excluded|leaf-nc-excl-dns|int-nc-exclude|root||good.example.test|serverAuth|checkIfPresent|NameConstraintViolation|excluded subtree violation
nc-ip-excluded|leaf-nc-excl-ip|int-nc-exclude|root||good.example.test|serverAuth|checkIfPresent|NameConstraintViolation|excluded subtree violation
nc-wildcard-covers-excluded|leaf-nc-wild|int-nc-exclude|root||good.example.test|serverAuth|checkIfPresent|NameConstraintViolation|OK
nc-uri-constraint-uri-san|leaf-nc-uri|int-nc-uri|root||a.example.test|serverAuth|checkIfPresent|UnsupportedNameConstraint|permitted subtree violation
nc-uri-constraint-no-uri|leaf-nc-no-uri|int-nc-uri|root||a.example.test|serverAuth|checkIfPresent|ok|OK
nc-dirname-inside|leaf-nc-dir-in|int-nc-dirname|root||a.example.test|serverAuth|checkIfPresent|ok|OK
nc-dirname-outside|leaf-nc-dir-out|int-nc-dirname|root||a.example.test|serverAuth|checkIfPresent|NameConstraintViolation|permitted subtree violation
nc-email-inside|leaf-nc-email-in|int-nc-email|root||a.example.test|serverAuth|checkIfPresent|ok|OK
nc-email-outside|leaf-nc-email-out|int-nc-email|root||a.example.test|serverAuth|checkIfPresent|NameConstraintViolation|permitted subtree violation
crl-without-number|leaf|int|root|root-crl,int-nonumber-crl|localhost|serverAuth|checkIfPresent|CrlMissingNumber|OK
crl-critical-number|leaf|int|root|root-crl,int-critnumber-crl|localhost|serverAuth|checkIfPresent|CrlNumberCritical|unhandled critical CRL extension
ecdsa-p256-intermediate|leaf-under-ec256|int-ec256|root||localhost|serverAuth|checkIfPresent|ok|OK
ecdsa-p384-intermediate|leaf-under-ec384|int-ec384|root||localhost|serverAuth|checkIfPresent|ok|OK
ecdsa-bad-signature|leaf-under-ec256-badsig|int-ec256|root||localhost|serverAuth|checkIfPresent|BadSignature|certificate signature failure
expired-anchor|leaf-under-expired-root|int-under-expired-root|root-expired||localhost|serverAuth|checkIfPresent|TrustAnchorExpired|certificate has expired
anchor-without-basic-constraints|leaf-under-nobc-root|int-under-nobc-root|root-nobc||localhost|serverAuth|checkIfPresent|TrustAnchorNotCa|OK
'

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# setup: the `openssl ca` configuration and the helpers every group uses.
setup() {
  work=$WORK
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

  # Sections for the strict group (issue 12: RFC 5280 / CA/B Forum structure,
  # key sizes, name constraints, anchors, CRL numbers).
  cat >>"$work/ca.cnf" <<'EOF'

# Like ca_default, but without a crlnumber file: CRLs without a CRL number.
[ ca_nonum ]
dir            = $ENV::CADIR
database       = $dir/index.txt
new_certs_dir  = $dir/newcerts
serial         = $dir/serial
default_md     = sha256
policy         = policy_any
unique_subject = no
email_in_dn    = no
copy_extensions = none

[ policy_none ]
commonName       = optional
organizationName = optional

# A CRL number marked critical (RFC 5280 §5.2.3: MUST be non-critical).
[ crl_critnum_ext ]
2.5.29.20 = critical, ASN1:INTEGER:7

# OpenSSL 3 adds SKI and AKI unless told `none`.
[ leaf_noaki_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = none

[ leaf_akicrit_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = critical, keyid:always

[ ca_noski_ext ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = none
authorityKeyIdentifier = keyid:always

[ ca_skicrit_ext ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = critical, hash
authorityKeyIdentifier = keyid:always

# A self-signed v3 root without basicConstraints.
[ root_nobc_ext ]
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

# A server certificate that claims to be a CA.
[ leaf_ca_ext ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, digitalSignature, keyEncipherment, keyCertSign
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_critsan_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = critical, DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_underscore_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:localhost, DNS:a_b.example.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_ekucrit_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = critical, serverAuth, clientAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_anyeku_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = anyExtendedKeyUsage
subjectAltName         = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_anyeku_server_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, anyExtendedKeyUsage
subjectAltName         = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

# Name-constrained intermediates.
[ ca_nc_permit_ext ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
nameConstraints        = critical, permitted;DNS:example.test, permitted;IP:127.0.0.0/255.0.0.0

[ ca_nc_exclude_ext ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
nameConstraints        = excluded;DNS:bad.example.test, excluded;IP:127.0.0.2/255.255.255.255

[ ca_nc_uri_ext ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
nameConstraints        = critical, permitted;URI:.example.test

[ ca_nc_dirname_ext ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
nameConstraints        = critical, permitted;dirName:nc_dir

[ nc_dir ]
O = Gauntlet Test PKI

[ ca_nc_email_ext ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
nameConstraints        = critical, permitted;email:example.test

[ leaf_nc_in_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:a.example.test, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_nc_dns_out_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:a.example.test, DNS:other.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_nc_ip_out_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:a.example.test, IP:10.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_nc_good_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:good.example.test, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_nc_excl_dns_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:good.example.test, DNS:bad.example.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_nc_excl_ip_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:good.example.test, IP:127.0.0.2
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_nc_wild_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:*.example.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_nc_uri_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:a.example.test, URI:https://other.test/
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_nc_email_in_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:a.example.test, email:x@example.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ leaf_nc_email_out_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth, clientAuth
subjectAltName         = DNS:a.example.test, email:x@other.test
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF
  cnf="$work/ca.cnf"

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
  # reserial NAME ISSUER HEX: NAME's certificate with its serial INTEGER's
  # content octets replaced by HEX, re-signed (sha256WithRSAEncryption) by
  # ISSUER's key with `openssl dgst`. Python's standard library only splices
  # the DER.
  reserial() {
    python3 - "$OUT/$1.der" "$OUT/$2.key" "$3" <<'EOF'
import subprocess, sys
path, key, serial = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
der = open(path, "rb").read()
def tlv(b, i):
    n, j = b[i + 1], i + 2
    if n & 0x80:
        k = n & 0x7f
        n, j = int.from_bytes(b[j:j + k], "big"), j + k
    return j, j + n  # content start, end
def enc(tag, content):
    n = len(content)
    head = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + head + content
c0, _ = tlv(der, 0)
tc, te = tlv(der, c0)           # TBSCertificate
_, ve = tlv(der, tc)            # [0] version
_, se = tlv(der, ve)            # serialNumber
tbs = enc(0x30, der[tc:ve] + enc(0x02, serial) + der[se:te])
_, ae = tlv(der, te)
alg = der[te:ae]
sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=tbs,
                     capture_output=True, check=True).stdout
open(path, "wb").write(enc(0x30, tbs + alg + enc(0x03, b"\0" + sig)))
EOF
    openssl x509 -inform DER -in "$OUT/$1.der" -out "$OUT/$1.pem"
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
}

# The original test PKI (everything but the strict group below).
generate_base() {
  find "$OUT" -maxdepth 1 \( -name '*.pem' -o -name '*.der' -o -name '*.key' \
    -o -name 'manifest.json' \) -delete

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
}

# The strict group (issue 12): one defect per chain, each next to a control.
# Serials: new CA databases start in ranges the base group never reaches
# (hex 1900.. under root, 2900.. under int), so no serial is issued twice by
# one CA and the base CRLs revoke nothing here.
STRICT_LAST=leaf-under-nobc-root
generate_strict() {
  local O='/O=Gauntlet Test PKI'
  local S=20260101000000Z E=20280101000000Z IS=20250601000000Z IE=20320101000000Z
  newca root-s 1900
  newca int-s 2900

  # Weak RSA moduli: a 1024-bit intermediate, a 1024-bit and a 2047-bit leaf.
  # genkey NAME ARGS...: a key made once (a rerun of the group is byte-identical:
  # openssl ca's RSA PKCS#1 v1.5 signatures are deterministic).
  genkey() {
    local name=$1
    shift
    [ -f "$OUT/$name.key" ] || openssl genpkey "$@" -out "$OUT/$name.key" 2>/dev/null
  }
  genkey int-rsa1024 -algorithm RSA -pkeyopt rsa_keygen_bits:1024
  issue root-s root int-rsa1024 "$O/CN=Gauntlet RSA-1024 Intermediate CA" ca_ext $IS $IE
  newca int-rsa1024 3100
  issue int-rsa1024 int-rsa1024 leaf-under-rsa1024 "$O/CN=localhost" leaf_ext $S $E
  genkey leaf-rsa1024 -algorithm RSA -pkeyopt rsa_keygen_bits:1024
  issue int-s int leaf-rsa1024 "$O/CN=localhost" leaf_ext $S $E
  genkey leaf-rsa2047 -algorithm RSA -pkeyopt rsa_keygen_bits:2047
  issue int-s int leaf-rsa2047 "$O/CN=localhost" leaf_ext $S $E
  # Leaf keys that are not RSA: DSA-2048 and ECDSA P-192.
  if [ ! -f "$OUT/leaf-dsa.key" ]; then
    openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out "$WORK/dsa.param" 2>/dev/null
    genkey leaf-dsa -paramfile "$WORK/dsa.param"
  fi
  issue int-s int leaf-dsa "$O/CN=localhost" leaf_ext $S $E
  genkey leaf-p192 -algorithm EC -pkeyopt ec_paramgen_curve:P-192
  issue int-s int leaf-p192 "$O/CN=localhost" leaf_ext $S $E

  # basicConstraints CA:TRUE on a server certificate.
  issue int-s int leaf-ca "$O/CN=localhost" leaf_ca_ext $S $E

  # Key identifiers.
  issue int-s int leaf-noaki "$O/CN=localhost" leaf_noaki_ext $S $E
  issue int-s int leaf-akicrit "$O/CN=localhost" leaf_akicrit_ext $S $E
  issue root-s root int-noski "$O/CN=Gauntlet No-SKI Intermediate CA" ca_noski_ext $IS $IE
  # OpenSSL will not write keyid:always under an issuer without SKI: the leaf
  # is signed through a twin with the same name and key that has one, so its
  # AKI holds the key's identifier; the chain presents only int-noski.
  cp "$OUT/int-noski.key" "$OUT/int-noski-twin.key"
  issue root-s root int-noski-twin "$O/CN=Gauntlet No-SKI Intermediate CA" ca_ext $IS $IE
  newca int-noski 3200
  issue int-noski int-noski-twin leaf-under-noski "$O/CN=localhost" leaf_ext $S $E
  issue root-s root int-skicrit "$O/CN=Gauntlet Critical-SKI Intermediate CA" ca_skicrit_ext $IS $IE
  newca int-skicrit 3300
  issue int-skicrit int-skicrit leaf-under-skicrit "$O/CN=localhost" leaf_ext $S $E

  # Serial numbers (RFC 5280 §4.1.2.2): openssl ca issues, then the serial is
  # replaced and the TBSCertificate re-signed with `openssl dgst -sign`.
  issue int-s int leaf-serial-zero "$O/CN=localhost" leaf_ext $S $E
  reserial leaf-serial-zero int 00
  issue int-s int leaf-serial-negative "$O/CN=localhost" leaf_ext $S $E
  reserial leaf-serial-negative int fb
  issue int-s int leaf-serial-21 "$O/CN=localhost" leaf_ext $S $E
  reserial leaf-serial-21 int 0102030405060708090a0b0c0d0e0f101112131415
  # 20 octets of value with the top bit set: 21 content octets with the sign byte.
  issue int-s int leaf-serial-20 "$O/CN=localhost" leaf_ext $S $E
  reserial leaf-serial-20 int 00810203040506070809101112131415161718191a

  # An empty subject: with a non-critical SAN (forbidden) and a critical one.
  issue int-s int leaf-emptysubj / leaf_ext $S $E -policy policy_none
  issue int-s int leaf-emptysubj-critsan / leaf_critsan_ext $S $E -policy policy_none
  # SAN and EKU defects.
  issue int-s int leaf-underscore "$O/CN=localhost" leaf_underscore_ext $S $E
  issue int-s int leaf-ekucrit "$O/CN=localhost" leaf_ekucrit_ext $S $E
  issue int-s int leaf-anyeku "$O/CN=localhost" leaf_anyeku_ext $S $E
  issue int-s int leaf-anyeku-server "$O/CN=localhost" leaf_anyeku_server_ext $S $E

  # Name constraints (RFC 5280 §4.2.1.10).
  issue root-s root int-nc-permit "$O/CN=Gauntlet Name-Constrained CA" ca_nc_permit_ext $IS $IE
  newca int-nc-permit 3400
  issue int-nc-permit int-nc-permit leaf-nc-in "$O/CN=a.example.test" leaf_nc_in_ext $S $E
  issue int-nc-permit int-nc-permit leaf-nc-dns-out "$O/CN=a.example.test" leaf_nc_dns_out_ext $S $E
  issue int-nc-permit int-nc-permit leaf-nc-ip-out "$O/CN=a.example.test" leaf_nc_ip_out_ext $S $E
  issue int-nc-permit int-nc-permit leaf-nc-cn-in "$O/CN=a.example.test" nosan_ext $S $E
  issue int-nc-permit int-nc-permit leaf-nc-cn-out "$O/CN=other.test" nosan_ext $S $E
  issue root-s root int-nc-exclude "$O/CN=Gauntlet Name-Excluding CA" ca_nc_exclude_ext $IS $IE
  newca int-nc-exclude 3500
  issue int-nc-exclude int-nc-exclude leaf-nc-good "$O/CN=good.example.test" leaf_nc_good_ext $S $E
  issue int-nc-exclude int-nc-exclude leaf-nc-excl-dns "$O/CN=good.example.test" leaf_nc_excl_dns_ext $S $E
  issue int-nc-exclude int-nc-exclude leaf-nc-excl-ip "$O/CN=good.example.test" leaf_nc_excl_ip_ext $S $E
  issue int-nc-exclude int-nc-exclude leaf-nc-wild "$O/CN=good.example.test" leaf_nc_wild_ext $S $E
  issue root-s root int-nc-uri "$O/CN=Gauntlet URI-Constrained CA" ca_nc_uri_ext $IS $IE
  newca int-nc-uri 3600
  issue int-nc-uri int-nc-uri leaf-nc-uri "$O/CN=a.example.test" leaf_nc_uri_ext $S $E
  issue int-nc-uri int-nc-uri leaf-nc-no-uri "$O/CN=a.example.test" leaf_nc_in_ext $S $E
  issue root-s root int-nc-dirname "$O/CN=Gauntlet DirName-Constrained CA" ca_nc_dirname_ext $IS $IE
  newca int-nc-dirname 3700
  issue int-nc-dirname int-nc-dirname leaf-nc-dir-in "$O/CN=a.example.test" leaf_nc_in_ext $S $E
  issue int-nc-dirname int-nc-dirname leaf-nc-dir-out "/O=Other Org/CN=a.example.test" leaf_nc_in_ext $S $E
  issue root-s root int-nc-email "$O/CN=Gauntlet Email-Constrained CA" ca_nc_email_ext $IS $IE
  newca int-nc-email 3800
  issue int-nc-email int-nc-email leaf-nc-email-in "$O/CN=a.example.test" leaf_nc_email_in_ext $S $E
  issue int-nc-email int-nc-email leaf-nc-email-out "$O/CN=a.example.test" leaf_nc_email_out_ext $S $E

  # CRLs from the good intermediate: no CRL number, and a critical one.
  local CL=20261201000000Z CN=20270201000000Z
  newca int-crl-s 2f00
  CADIR="$work/int-crl-s" openssl ca -config "$cnf" -name ca_nonum -batch -gencrl \
    -cert "$OUT/int.pem" -keyfile "$OUT/int.key" -out "$OUT/int-nonumber-crl.pem" \
    -crl_lastupdate $CL -crl_nextupdate $CN 2>/dev/null
  openssl crl -in "$OUT/int-nonumber-crl.pem" -outform DER -out "$OUT/int-nonumber-crl.der"
  CADIR="$work/int-crl-s" openssl ca -config "$cnf" -name ca_nonum -batch -gencrl \
    -crlexts crl_critnum_ext \
    -cert "$OUT/int.pem" -keyfile "$OUT/int.key" -out "$OUT/int-critnumber-crl.pem" \
    -crl_lastupdate $CL -crl_nextupdate $CN 2>/dev/null
  openssl crl -in "$OUT/int-critnumber-crl.pem" -outform DER -out "$OUT/int-critnumber-crl.der"

  # Trust anchors: an expired root, and a v3 root without basicConstraints,
  # each with an intermediate and a leaf that are otherwise fine.
  newca root-expired 1a00
  issue root-expired - root-expired "$O/CN=Gauntlet Expired Root CA" ca_ext 20200101000000Z 20260601000000Z
  issue root-expired root-expired int-under-expired-root "$O/CN=Gauntlet Intermediate Under Expired Root" ca_ext $IS $IE
  newca int-under-expired-root 3900
  issue int-under-expired-root int-under-expired-root leaf-under-expired-root "$O/CN=localhost" leaf_ext $S $E
  # An RSA-1024 trust anchor: its signature on the intermediate is weak too.
  genkey root-rsa1024 -algorithm RSA -pkeyopt rsa_keygen_bits:1024
  newca root-rsa1024 1c00
  issue root-rsa1024 - root-rsa1024 "$O/CN=Gauntlet RSA-1024 Root CA" ca_ext 20250101000000Z 20350101000000Z
  issue root-rsa1024 root-rsa1024 int-under-rsa1024-root "$O/CN=Gauntlet Intermediate Under RSA-1024 Root" ca_ext $IS $IE
  newca int-under-rsa1024-root 3b00
  issue int-under-rsa1024-root int-under-rsa1024-root leaf-under-rsa1024-root "$O/CN=localhost" leaf_ext $S $E
  # Name constraints on the trust anchor bind two levels down.
  newca root-nc 1d00
  issue root-nc - root-nc "$O/CN=Gauntlet Name-Constrained Root CA" ca_nc_permit_ext 20250101000000Z 20350101000000Z
  issue root-nc root-nc int-under-nc-root "$O/CN=Gauntlet Intermediate Under Constrained Root" ca_ext $IS $IE
  newca int-under-nc-root 3c00
  issue int-under-nc-root int-under-nc-root leaf-under-nc-root-in "$O/CN=a.example.test" leaf_nc_in_ext $S $E
  issue int-under-nc-root int-under-nc-root leaf-under-nc-root-out "$O/CN=a.example.test" leaf_nc_dns_out_ext $S $E
  newca root-nobc 1b00
  issue root-nobc - root-nobc "$O/CN=Gauntlet Root Without BasicConstraints" root_nobc_ext 20250101000000Z 20350101000000Z
  issue root-nobc root-nobc int-under-nobc-root "$O/CN=Gauntlet Intermediate Under No-BC Root" ca_ext $IS $IE
  newca int-under-nobc-root 3a00
  # Made last: its presence says the group is complete (STRICT_LAST).
  issue int-under-nobc-root int-under-nobc-root leaf-under-nobc-root "$O/CN=localhost" leaf_ext $S $E
}

write_manifest() {
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

# ECDSA intermediates (issue 12 item 4): RSA leaves signed with
# ecdsa-with-SHA256 by a P-256 CA and ecdsa-with-SHA384 by a P-384 CA, both
# under the RSA root, and the P-256 one's leaf with its signature's last byte
# flipped. Made when missing (or with --force); their rows are in CHAINS.
generate_ecint() {
  local O='/O=Gauntlet Test PKI'
  local S=20260101000000Z E=20280101000000Z IS=20250601000000Z IE=20320101000000Z
  if [ $FORCE = 0 ] && [ -f "$OUT/leaf-under-ec256-badsig.der" ]; then return; fi
  echo "generating the ECDSA intermediates"
  newca root-ec 1d00
  for entry in int-ec256:P-256:sha256:3c00 int-ec384:P-384:sha384:3d00; do
    IFS=: read -r name curve md serial <<<"$entry"
    [ -f "$OUT/$name.key" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"$curve" \
      -pkeyopt ec_param_enc:named_curve -out "$OUT/$name.key" 2>/dev/null
    issue root-ec root "$name" "$O/CN=Gauntlet ECDSA $curve Intermediate CA" ca_ext $IS $IE
    newca "$name" "$serial"
    issue "$name" "$name" "leaf-under-${name#int-}" "$O/CN=localhost" leaf_ext $S $E -md "$md"
  done
  python3 - "$OUT/leaf-under-ec256.der" "$OUT/leaf-under-ec256-badsig.der" <<'EOF'
import sys
der = bytearray(open(sys.argv[1], "rb").read())
der[-1] ^= 0x01  # the last octet of the ECDSA signature's s
open(sys.argv[2], "wb").write(bytes(der))
EOF
  openssl x509 -inform DER -in "$OUT/leaf-under-ec256-badsig.der" -out "$OUT/leaf-under-ec256-badsig.pem"
  cp "$OUT/leaf-under-ec256.key" "$OUT/leaf-under-ec256-badsig.key"
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

setup
if [ $FORCE = 1 ] || [ ! -f "$OUT/manifest.json" ]; then
  echo "generating the test PKI in $OUT"
  generate_base
  generate_strict
elif [ ! -f "$OUT/$STRICT_LAST.der" ]; then
  # A PKI made before the strict group existed: add the group, keep the rest.
  echo "adding the strict group to the test PKI in $OUT"
  generate_strict
fi
generate_ec
generate_ecint
# The manifest is the table above, rewritten every run (same table, same bytes).
write_manifest
echo "openssl verify at T=$T ($(date -u -d @$T +%FT%TZ)):"
check
check_ec
