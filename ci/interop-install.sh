#!/usr/bin/env bash
# Installs what ci/interop.sh needs on Debian/Ubuntu (apt), as root:
#   openssl          OpenSSL 3: s_server / s_client
#   gnutls-bin       GnuTLS: gnutls-serv / gnutls-cli
#   libnss3-tools    NSS: selfserv / tstclnt, certutil / pk12util for the cert DB
#   default-jdk-headless  Java 17+ JSSE: javac and java for interop/java/GauntletPeer.java
#   libmbedtls-dev   mbedTLS 2.28 headers and libraries for interop/mbedtls/peer.c
#   gcc              to build that peer
#   golang-go        Go 1.19 crypto/tls for interop/go/main.go (ECDHE only)
#   libwolfssl-dev   wolfSSL 5.5 for interop/wolfssl/peer.c (ECDHE only)
#   socat, util-linux (unshare), iproute2 (ip)  confinement of servers that
#                    listen on every address (interop/confine.sh, gauntlet --confine)
# Idempotent: installs only what is missing, so a second run does nothing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# package  command-or-file that shows it is there
wanted=(
  "openssl openssl"
  "gnutls-bin gnutls-serv"
  "libnss3-tools selfserv"
  "default-jdk-headless javac"
  "libmbedtls-dev /usr/include/mbedtls/ssl.h"
  "gcc gcc"
  "golang-go go"
  "libwolfssl-dev /usr/include/wolfssl/ssl.h"
  "socat socat"
  "util-linux unshare"
  "iproute2 ip"
)

present() {
  case $1 in
    /*) [ -e "$1" ] ;;
    ip) command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

missing=()
for w in "${wanted[@]}"; do
  read -r pkg probe <<<"$w"
  present "$probe" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "interop-install: every peer is installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "interop-install: missing ${missing[*]}: run as root" >&2
  exit 1
fi
echo "interop-install: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "interop-install: done"
