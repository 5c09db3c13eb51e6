# The third-party TLS 1.2 peers: one place for their command lines, sourced by
# ci/interop.sh (and readable on its own: interop/README.md lists the same
# lines). Each function prints ONE command line, words quoted for a POSIX
# shell (what `gauntlet test-server --spawn` splits), with `{port}` where the
# port goes. Needs REPO (repository root) and PEERDIR (output of
# interop/setup.sh) set by the caller.
#
#   peer_server IMPL SUITE   server listening on 127.0.0.1:{port} (or on every
#                            address of a private netns: see peer_confined)
#   peer_client IMPL SUITE   client connecting to 127.0.0.1:{port}, verifying
#                            the chain to vectors/pki/root.pem and the name
#                            `localhost`, sending GET / HTTP/1.0, reading to close
#   peer_confined IMPL       "yes" if the server binds every address
#   peer_ready IMPL          text its stdout shows once it listens ("" = none)
#
# IMPL: openssl gnutls nss java mbedtls, and rustls go wolfssl (ECDHE only). SUITE: 009c or 009d, or ecdhe:
# the three ECDHE_RSA suites (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305:
# c02f, c030, cca8) at once, over each stack's default groups (x25519,
# secp256r1 and secp384r1 in all five), as the Ecdhe- cases need.

# shellcheck shell=bash disable=SC2034
PEER_IMPLS=(openssl gnutls nss java mbedtls)
# Stacks run only in the ECDHE cells (ci/interop.sh --ecdhe): Go's
# crypto/tls disables RSA key exchange by default since Go 1.22, rustls
# never had it, and Debian's libwolfssl enables no RSA key exchange suite.
ECDHE_ONLY_IMPLS=(rustls go wolfssl)

# peer_does_ems IMPL: "yes" if IMPL implements extended_master_secret
# (RFC 7627); Go's crypto/tls has it only from Go 1.21, Debian 12 ships 1.19.
peer_does_ems() { case $1 in go) echo no ;; *) echo yes ;; esac; }

# peer_suites IMPL: the suite codes IMPL runs.
peer_suites() { case $1 in rustls | go | wolfssl) echo ecdhe ;; *) echo 009c 009d ecdhe ;; esac; }

# Seconds every client may take in all (its own watchdog or `timeout`).
PEER_TIMEOUT=${PEER_TIMEOUT:-20}

# IANA name of a suite code.
suite_name() {
  case $1 in
    009c) echo TLS_RSA_WITH_AES_128_GCM_SHA256 ;;
    009d) echo TLS_RSA_WITH_AES_256_GCM_SHA384 ;;
    ecdhe) echo TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 ;;
    *) return 1 ;;
  esac
}

# Each stack's spelling of the suite.
_openssl_suite() {
  case $1 in
    009c) echo AES128-GCM-SHA256 ;;
    009d) echo AES256-GCM-SHA384 ;;
    ecdhe) echo ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305 ;;
  esac
}
_gnutls_prio() {
  case $1 in
    009c) echo "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA:-CIPHER-ALL:+AES-128-GCM" ;;
    009d) echo "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA:-CIPHER-ALL:+AES-256-GCM" ;;
    ecdhe) echo "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-RSA:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305" ;;
  esac
}
# What the Java and mbedTLS peers take for --suite: the code, or the list.
_peer_suite() { if [ "$1" = ecdhe ]; then suite_name ecdhe; else echo "$1"; fi; }
_nss_suite() { case $1 in 009c) echo :009C ;; 009d) echo :009D ;; ecdhe) echo :C02F:C030:CCA8 ;; esac; }

# Quotes words for a POSIX shell, leaving `{port}` readable: plain words as
# they are, others in single quotes.
_q() {
  local w quoted=()
  for w in "$@"; do
    if [[ $w =~ ^[A-Za-z0-9_./:=+,@%{}-]+$ ]]; then
      quoted+=("$w")
    else
      quoted+=("'${w//\'/\'\\\'\'}'")
    fi
  done
  printf '%s' "${quoted[*]}"
}

peer_server() {
  local impl=$1 suite=$2 pki=$REPO/vectors/pki
  suite_name "$suite" >/dev/null || { echo "peer_server: bad suite $suite" >&2; return 1; }
  case $impl in
    openssl)
      # -www: answers GET with a status page and closes (close_notify).
      _q openssl s_server -accept '127.0.0.1:{port}' -cert "$pki/leaf.pem" -cert_chain "$pki/int.pem" \
        -key "$pki/leaf.key" -tls1_2 -cipher "$(_openssl_suite "$suite")" -www ;;
    gnutls)
      # Listens on every address: confined. HTTP mode by default. It asks for
      # a client certificate unless told not to (-a).
      _q gnutls-serv --port '{port}' --x509certfile "$PEERDIR/chain.pem" --x509keyfile "$pki/leaf.key" \
        --priority "$(_gnutls_prio "$suite")" --disable-client-cert ;;
    nss)
      # Listens on every address: confined. -G: extended_master_secret.
      _q selfserv -d "sql:$PEERDIR/nssdb" -n gauntlet-server -p '{port}' -V tls1.2:tls1.2 \
        -c "$(_nss_suite "$suite")" -G ;;
    java)
      _q java -cp "$PEERDIR/java" GauntletPeer server --port '{port}' --cert "$pki/leaf.pem" \
        --chain "$pki/int.pem" --key "$pki/leaf.key" --suite "$(_peer_suite "$suite")" --timeout 10 ;;
    mbedtls)
      _q "$PEERDIR/mbedtls-peer" server --port '{port}' --cert "$pki/leaf.pem" --chain "$pki/int.pem" \
        --key "$pki/leaf.key" --suite "$(_peer_suite "$suite")" --timeout 10 ;;
    rustls)
      _q "$PEERDIR/rustls-peer" server --port '{port}' --cert "$pki/leaf.pem" --chain "$pki/int.pem" \
        --key "$pki/leaf.key" --suite "$(_peer_suite "$suite")" --timeout 10 ;;
    wolfssl)
      _q "$PEERDIR/wolfssl-peer" server --port '{port}' --cert "$pki/leaf.pem" --chain "$pki/int.pem" \
        --key "$pki/leaf.key" --suite "$(_peer_suite "$suite")" --timeout 10 ;;
    go)
      _q "$PEERDIR/go-peer" server --port '{port}' --cert "$pki/leaf.pem" --chain "$pki/int.pem" \
        --key "$pki/leaf.key" --suite "$(_peer_suite "$suite")" --timeout 10 ;;
    *) echo "peer_server: unknown implementation $impl" >&2; return 1 ;;
  esac
  echo
}

peer_client() {
  local impl=$1 suite=$2 pki=$REPO/vectors/pki wr=$REPO/interop/with-request.sh
  suite_name "$suite" >/dev/null || { echo "peer_client: bad suite $suite" >&2; return 1; }
  case $impl in
    openssl)
      _q "$wr" openssl s_client -connect '127.0.0.1:{port}' -tls1_2 -cipher "$(_openssl_suite "$suite")" \
        -CAfile "$pki/root.pem" -servername localhost -verify_hostname localhost -verify_return_error ;;
    gnutls)
      _q "$wr" gnutls-cli --port '{port}' --x509cafile "$pki/root.pem" --priority "$(_gnutls_prio "$suite")" \
        --sni-hostname localhost --verify-hostname localhost 127.0.0.1 ;;
    nss)
      # -h localhost -4: connect to 127.0.0.1, verify the name `localhost`.
      # -A: the request from a file (tstclnt spins on a closed stdin).
      _q timeout --foreground -k 2 "$PEER_TIMEOUT" tstclnt -h localhost -4 -p '{port}' -d "sql:$PEERDIR/nssdb" \
        -V tls1.2:tls1.2 -c "$(_nss_suite "$suite")" -G -A "$REPO/interop/request.http" ;;
    java)
      _q java -cp "$PEERDIR/java" GauntletPeer client --port '{port}' --ca "$pki/root.pem" --suite "$(_peer_suite "$suite")" \
        --servername localhost --timeout 10 ;;
    mbedtls)
      _q "$PEERDIR/mbedtls-peer" client --port '{port}' --ca "$pki/root.pem" --suite "$(_peer_suite "$suite")" \
        --servername localhost --timeout 10 ;;
    rustls)
      _q "$PEERDIR/rustls-peer" client --port '{port}' --ca "$pki/root.pem" --suite "$(_peer_suite "$suite")" \
        --servername localhost --timeout 10 ;;
    wolfssl)
      _q "$PEERDIR/wolfssl-peer" client --port '{port}' --ca "$pki/root.pem" --suite "$(_peer_suite "$suite")" \
        --servername localhost --timeout 10 ;;
    go)
      _q "$PEERDIR/go-peer" client --port '{port}' --ca "$pki/root.pem" --suite "$(_peer_suite "$suite")" \
        --servername localhost --timeout 10 ;;
    *) echo "peer_client: unknown implementation $impl" >&2; return 1 ;;
  esac
  echo
}

peer_confined() {
  case $1 in gnutls | nss) echo yes ;; *) echo no ;; esac
}

peer_ready() {
  case $1 in
    openssl) echo ACCEPT ;;
    java | mbedtls | go | wolfssl | rustls) echo "listening on 127.0.0.1:" ;;
    *) echo "" ;;
  esac
}

# The programs each implementation needs, and the package that brings them.
peer_programs() {
  case $1 in
    openssl) echo "openssl:openssl" ;;
    gnutls) echo "gnutls-serv:gnutls-bin gnutls-cli:gnutls-bin socat:socat unshare:util-linux ip:iproute2" ;;
    nss) echo "selfserv:libnss3-tools tstclnt:libnss3-tools socat:socat unshare:util-linux ip:iproute2" ;;
    java) echo "java:default-jdk-headless" ;;
    mbedtls) echo "$PEERDIR/mbedtls-peer:libmbedtls-dev" ;;
    go) echo "$PEERDIR/go-peer:golang-go" ;;
    wolfssl) echo "$PEERDIR/wolfssl-peer:libwolfssl-dev" ;;
    rustls) echo "$PEERDIR/rustls-peer:cargo" ;;
  esac
}

# Versions, one line each.
peer_versions() {
  echo "openssl: $(openssl version 2>/dev/null || echo missing)"
  echo "gnutls:  $(gnutls-cli --version 2>/dev/null | head -1 || echo missing)"
  echo "nss:     libnss3 $(dpkg-query -W -f '${Version}' libnss3 2>/dev/null || echo '?') (tools: libnss3-tools $(dpkg-query -W -f '${Version}' libnss3-tools 2>/dev/null || echo missing))"
  echo "java:    $(java -version 2>&1 | head -1 || echo missing)"
  echo "mbedtls: $(sed -n 's/^#define MBEDTLS_VERSION_STRING *"\(.*\)"/\1/p' /usr/include/mbedtls/version.h 2>/dev/null || echo missing) (libmbedtls-dev $(dpkg-query -W -f '${Version}' libmbedtls-dev 2>/dev/null || echo missing))"
  echo "rustls:  $(sed -n '/^name = "rustls"$/{n;s/^version = "\(.*\)"/\1/p}' "$REPO/interop/rustls/Cargo.lock" 2>/dev/null) (ring provider)"
  echo "go:      $(go version 2>/dev/null || echo missing)"
  echo "wolfssl: $(sed -n 's/^#define LIBWOLFSSL_VERSION_STRING *"\(.*\)"/\1/p' /usr/include/wolfssl/version.h 2>/dev/null || echo missing)"
}

# peer_client_revocation IMPL: IMPL's client (as peer_client IMPL 009c) with
# its certificate-status checks on, as each stack documents them, and
# peer_revocation_policy IMPL: the policy those flags give (off, soft or
# hard; what `gauntlet test-client --revocation` is told). The
# Revocation-Client cases' CA puts AIA/CDP URLs in the chain it serves.
#   openssl: -status asks for a staple, which s_client prints and never
#            acts on; s_client fetches nothing (-crl_download works only
#            with -crl_check, which wants a CRL for every certificate).
#   gnutls:  --ocsp asks for a staple and verifies it; without one it asks
#            the leaf's AIA responder itself ("unknown" passes, a failed
#            fetch ends the process); no CRLs.
#   nss:     -T asks for a staple; tstclnt's certificate hook does not check
#            it (-O -F check only after the handshake, in the exit code).
#   java:    com.sun.net.ssl.checkRevocation with OCSP and CRL distribution
#            points on (java.security ocsp.enable via a properties file):
#            PKIX without SOFT_FAIL, so hard.
#   mbedtls: no status_request, no CRL fetching: off.
# openssl, gnutls and nss are judged as the soft clients their flags ask
# for; what they do instead is listed in their expectations files.
peer_revocation_policy() { case $1 in java) echo hard ;; mbedtls) echo off ;; *) echo soft ;; esac; }
peer_client_revocation() {
  local impl=$1 line
  line=$(peer_client "$impl" 009c) || return 1
  case $impl in
    openssl) echo "$line -status" ;;
    gnutls) echo "${line% 127.0.0.1} --ocsp 127.0.0.1" ;;
    nss) echo "$line -T" ;;
    java)
      printf 'ocsp.enable=true\n' >"$PEERDIR/java-revocation.security"
      echo "${line/java -cp/java -Dcom.sun.net.ssl.checkRevocation=true -Dcom.sun.security.enableCRLDP=true -Djdk.tls.client.enableStatusRequestExtension=true -Djava.security.properties=$PEERDIR/java-revocation.security -cp}" ;;
    *) echo "$line" ;;
  esac
}

# peer_require WHO IMPL...: prints "WHO: IMPL needs PROG (package PKG)" for
# every program of peer_programs that is missing; fails if one is.
peer_require() {
  local who=$1 impl pp prog pkg missing=0
  shift
  for impl in "$@"; do
    for pp in $(peer_programs "$impl"); do
      prog=${pp%%:*} pkg=${pp##*:}
      if ! command -v "$prog" >/dev/null 2>&1 && [ ! -x "$prog" ]; then
        echo "$who: $impl needs $prog (package $pkg): run ci/interop-install.sh" >&2
        missing=1
      fi
    done
  done
  return $missing
}
