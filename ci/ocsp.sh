#!/usr/bin/env bash
# OCSP stapling (RFC 6066 §8) with OpenSSL and GnuTLS, both roles (issue 12's
# "must show", the stapling part):
#
#   ci/ocsp.sh
#
# The responses are made here, now, by OpenSSL itself: `openssl ocsp` as an
# index.txt responder for the test PKI's intermediate (good for leaf,
# revoked for leaf-revoked), answering requests built by `openssl ocsp`.
#
# (a) our client: `gauntlet connect --revocation soft|hard` against `openssl
#     s_server -status_file` with the good response (completes; hard-fail
#     also needs the root's CRL for the intermediate) and, for
#     leaf-revoked, the revoked one (refused: certificate_revoked);
#     --revocation off completes against the revoked one (nothing checked);
# (b) our client fetching: `connect --revocation soft|hard --ocsp-url` to a
#     loopback responder (ci/ocsp-responder.py) answering with `openssl ocsp
#     -index`, POST and GET: the good leaf passes, the revoked one is
#     refused; with the responder down soft-fail passes and hard-fail
#     refuses;
# (c) our server: `gauntlet serve --ocsp-response` to `openssl s_client
#     -status` (which prints the staple: "Cert Status: good") and to
#     `gnutls-cli --ocsp` (which verifies the staple and completes), and the
#     revoked staple refused by gnutls-cli.
# Loopback only; ports from binding port 0; everything started is stopped on
# exit; every client is bounded by `timeout`. Exits 1 if a cell fails.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in cargo openssl gnutls-cli python3 timeout; do
  command -v "$tool" >/dev/null || { echo "ocsp.sh: $tool not found (ci/interop-install.sh)" >&2; exit 2; }
done

cargo build --release --locked -q -p gauntlet-harness --bin gauntlet
BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/gauntlet"
PKI=vectors/pki
TMP="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  local i
  for ((i = 0; i < 100; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "ocsp.sh: nothing listens on port $1" >&2
  return 1
}
stop_last() {
  local p="${PIDS[-1]}"
  kill "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  unset 'PIDS[-1]'
}

FAILS=0
cell() { # NAME VERDICT DETAIL
  printf '%-58s %s\n' "$1" "$2"
  if [ "$2" != pass ]; then
    FAILS=$((FAILS + 1))
    printf '    %s\n' "$3" | head -c 2000
  fi
}

# ---- responses from `openssl ocsp -index`
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
subject() { openssl x509 -in "$1" -noout -subject -nameopt compat | sed 's/^subject=//'; }
printf 'V\t280101000000Z\t\t%s\tunknown\t%s\n' "$(serial $PKI/leaf.pem)" "$(subject $PKI/leaf.pem)" >"$TMP/index.txt"
printf 'R\t280101000000Z\t260601000000Z,keyCompromise\t%s\tunknown\t%s\n' \
  "$(serial $PKI/leaf-revoked.pem)" "$(subject $PKI/leaf-revoked.pem)" >>"$TMP/index.txt"
respond() { # LEAF OUT
  openssl ocsp -issuer "$PKI/int.pem" -cert "$PKI/$1.pem" -no_nonce -reqout "$TMP/$1.req" 2>/dev/null
  openssl ocsp -index "$TMP/index.txt" -CA "$PKI/int.pem" -rsigner "$PKI/int.pem" -rkey "$PKI/int.key" \
    -reqin "$TMP/$1.req" -respout "$2" -ndays 1 2>/dev/null
}
respond leaf "$TMP/good.der"
respond leaf-revoked "$TMP/revoked.der"
cat "$PKI/root.pem" >"$TMP/ca.pem"

# ---- (a) our client against openssl s_server -status_file
s_server() { # LEAF STAPLE PORT
  openssl s_server -accept "127.0.0.1:$3" -cert "$PKI/$1.pem" -key "$PKI/$1.key" \
    -cert_chain "$PKI/int.pem" -status_file "$2" -tls1_2 -cipher AES128-GCM-SHA256 -www -quiet \
    >"$TMP/s_server.log" 2>&1 &
  PIDS+=($!)
  wait_port "$3"
}
client_cell() { # NAME LEAF STAPLE POLICY WANT(ok|PATTERN) [CRL]
  local port out rc crl=()
  [ -n "${6:-}" ] && crl=(--crl "$6")
  port=$(free_port)
  s_server "$2" "$3" "$port"
  set +e
  out=$(printf 'GET / HTTP/1.0\r\n\r\n' | timeout 20 "$BIN" connect "127.0.0.1:$port" --servername localhost \
    --revocation "$4" "${crl[@]}" --timeout 5 --linger 0.5 2>&1 >/dev/null)
  rc=$?
  set -e
  stop_last
  if [ "$5" = ok ]; then
    if [ $rc -eq 0 ]; then cell "$1" pass ""; else cell "$1" FAIL "rc=$rc: $out"; fi
  elif [ $rc -ne 0 ] && grep -qi -- "$5" <<<"$out"; then
    cell "$1" pass ""
  else
    cell "$1" FAIL "rc=$rc, want '$5': $out"
  fi
}
client_cell "connect --revocation soft <- s_server -status_file good" leaf "$TMP/good.der" soft ok
# Hard-fail needs a status for the intermediate too: the root's CRL.
client_cell "connect --revocation hard <- s_server -status_file good" leaf "$TMP/good.der" hard "RevocationStatusUnknown"
client_cell "connect --revocation hard --crl root-crl <- ... good" leaf "$TMP/good.der" hard ok "$PKI/root-crl.pem"
client_cell "connect --revocation soft <- s_server -status_file revoked" leaf-revoked "$TMP/revoked.der" soft "Revoked"
client_cell "connect --revocation hard <- s_server -status_file revoked" leaf-revoked "$TMP/revoked.der" hard "Revoked"
client_cell "connect --revocation off <- s_server -status_file revoked" leaf-revoked "$TMP/revoked.der" off ok
client_cell "connect --revocation soft <- s_server, staple of another leaf" leaf "$TMP/revoked.der" soft "NoMatchingResponse"

# ---- (b) our client fetching from an OCSP responder whose answers `openssl
# ocsp -index` makes (ci/ocsp-responder.py carries them over HTTP on loopback)
# (the test PKI's leaves carry no AIA, so --ocsp-url names it; the
# intermediate's status is the root's CRL where hard-fail needs it).
responder() { # PORT
  python3 ci/ocsp-responder.py "$1" "$TMP/index.txt" "$PKI/int.pem" "$PKI/int.pem" "$PKI/int.key" \
    >"$TMP/responder.log" 2>&1 &
  PIDS+=($!)
  wait_port "$1"
}
fetch_cell() { # NAME LEAF POLICY OCSP_URL WANT [EXTRA...]
  local name=$1 leaf=$2 policy=$3 url=$4 want=$5 port out rc
  shift 5
  port=$(free_port)
  openssl s_server -accept "127.0.0.1:$port" -cert "$PKI/$leaf.pem" -key "$PKI/$leaf.key" \
    -cert_chain "$PKI/int.pem" -tls1_2 -cipher AES128-GCM-SHA256 -www -quiet >"$TMP/s_server.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port"
  set +e
  out=$(printf 'GET / HTTP/1.0\r\n\r\n' | timeout 30 "$BIN" connect "127.0.0.1:$port" --servername localhost \
    --revocation "$policy" --ocsp-url "$url" --fetch-timeout 2 --timeout 10 --linger 0.5 "$@" 2>&1 >/dev/null)
  rc=$?
  set -e
  stop_last
  if [ "$want" = ok ]; then
    if [ $rc -eq 0 ]; then cell "$name" pass ""; else cell "$name" FAIL "rc=$rc: $out"; fi
  elif [ $rc -ne 0 ] && grep -qi -- "$want" <<<"$out"; then
    cell "$name" pass ""
  else
    cell "$name" FAIL "rc=$rc, want '$want': $out"
  fi
}
rport=$(free_port)
responder "$rport"
R="http://127.0.0.1:$rport"
fetch_cell "connect --revocation soft, OCSP POST: good leaf" leaf soft "$R" ok
fetch_cell "connect --revocation hard, OCSP POST: good leaf" leaf hard "$R" ok --crl "$PKI/root-crl.pem"
fetch_cell "connect --revocation hard, OCSP GET: good leaf" leaf hard "$R" ok --crl "$PKI/root-crl.pem" --ocsp-method get
fetch_cell "connect --revocation soft, OCSP: revoked leaf refused" leaf-revoked soft "$R" "Revoked"
fetch_cell "connect --revocation hard, OCSP: revoked leaf refused" leaf-revoked hard "$R" "Revoked" --crl "$PKI/root-crl.pem"
stop_last
down="http://127.0.0.1:$(free_port)"
fetch_cell "connect --revocation soft, responder down: passes" leaf soft "$down" ok
fetch_cell "connect --revocation hard, responder down: refused" leaf hard "$down" "RevocationStatusUnknown" --crl "$PKI/root-crl.pem"

# ---- (c) our server stapling to openssl s_client -status and gnutls-cli --ocsp
serve() { # LEAF STAPLE PORT
  cat "$PKI/$1.pem" "$PKI/int.pem" >"$TMP/chain.pem"
  "$BIN" serve --listen "127.0.0.1:$3" --cert "$TMP/chain.pem" --key "$PKI/$1.key" \
    --ocsp-response "$2" --mode http >"$TMP/serve.log" 2>&1 &
  PIDS+=($!)
  wait_port "$3"
}
port=$(free_port)
serve leaf "$TMP/good.der" "$port"
out=$(timeout 20 openssl s_client -connect "127.0.0.1:$port" -servername localhost -status -tls1_2 \
  -CAfile "$TMP/ca.pem" </dev/null 2>&1 || true)
if grep -q "OCSP Response Status: successful" <<<"$out" && grep -q "Cert Status: good" <<<"$out"; then
  cell "openssl s_client -status <- serve --ocsp-response good" pass ""
else
  cell "openssl s_client -status <- serve --ocsp-response good" FAIL "$(grep -i -A3 ocsp <<<"$out")"
fi
out=$(timeout 20 openssl s_client -connect "127.0.0.1:$port" -servername localhost -tls1_2 \
  -CAfile "$TMP/ca.pem" </dev/null 2>&1 || true)
if grep -q "OCSP response: no response sent" <<<"$out" || ! grep -q "OCSP Response Status" <<<"$out"; then
  cell "openssl s_client (no -status) <- serve: no staple sent" pass ""
else
  cell "openssl s_client (no -status) <- serve: no staple sent" FAIL "$(grep -i -A3 ocsp <<<"$out")"
fi
gnutls_ocsp() { # PORT: gnutls-cli --ocsp, which verifies the staple; sets out and rc
  set +e
  out=$(timeout 20 gnutls-cli --ocsp --x509cafile "$TMP/ca.pem" -p "$1" 127.0.0.1 --sni-hostname localhost \
    --verify-hostname localhost --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2' </dev/null 2>&1)
  rc=$?
  set -e
}
gnutls_ocsp "$port"
if [ $rc -eq 0 ] && grep -qi "Handshake was completed" <<<"$out"; then
  cell "gnutls-cli --ocsp <- serve --ocsp-response good" pass ""
else
  cell "gnutls-cli --ocsp <- serve --ocsp-response good" FAIL "rc=$rc: $(tail -5 <<<"$out")"
fi
stop_last

port=$(free_port)
serve leaf-revoked "$TMP/revoked.der" "$port"
gnutls_ocsp "$port"
if [ $rc -ne 0 ] && grep -qi "revoked" <<<"$out"; then
  cell "gnutls-cli --ocsp <- serve --ocsp-response revoked: refused" pass ""
else
  cell "gnutls-cli --ocsp <- serve --ocsp-response revoked: refused" FAIL "rc=$rc: $(tail -5 <<<"$out")"
fi
stop_last

if [ "$FAILS" -gt 0 ]; then
  echo "ocsp.sh: $FAILS cell(s) failed" >&2
  exit 1
fi
echo "ocsp.sh: all cells pass"
