#!/usr/bin/env bash
# with-request.sh CMD [ARGS...]
#
# Runs a TLS client that sends what it reads on standard input (openssl
# s_client, gnutls-cli) with interop/request.http (`GET / HTTP/1.0` and a
# blank line) on its stdin, and keeps that stdin open until the client exits:
# gnutls-cli sends close_notify as soon as its stdin ends, which could come
# before the server's answer. The client's output is passed through; the exit
# status is the client's. The whole run is bounded by GAUNTLET_PEER_TIMEOUT
# seconds (default 20; 124 on expiry). `timeout --foreground` keeps the
# client in our process group, so whoever kills the group kills it too.
set -u
[ $# -gt 0 ] || { echo "usage: with-request.sh CMD [ARGS...]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
t=${GAUNTLET_PEER_TIMEOUT:-20}
coproc PEER { exec timeout --foreground -k 2 "$t" "$@"; }
# Bash forgets PEER_PID once the coprocess ends: keep it.
pid=$PEER_PID
cat "$here/request.http" >&"${PEER[1]}"
# Copy the client's output until it exits (its stdout then closes).
cat <&"${PEER[0]}"
wait "$pid"
