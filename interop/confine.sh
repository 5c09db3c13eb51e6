#!/usr/bin/env bash
# confine.sh PORT CMD [ARGS...]
#
# Runs CMD, a TLS server that listens on PORT on *every* address
# (gnutls-serv, selfserv), inside a private network namespace that holds only
# `lo`, and makes it reachable at 127.0.0.1:PORT on the host:
#
#   client -TCP-> 127.0.0.1:PORT (socat, host) -UNIX-> $TMPDIR/confine-*.sock
#          (socat, in the namespace) -TCP-> 127.0.0.1:PORT (CMD, in the namespace)
#
# UNIX sockets are not network-namespaced, so the socket file joins the two.
# This is the shell twin of the harness's PeerCommand::confined()
# (harness/src/process.rs). Prints "gauntlet-confine: ready on 127.0.0.1:PORT"
# once CMD accepts connections; exits with CMD's status. Run it in its own
# process group (setsid) and kill the group to stop everything. Needs root or
# unprivileged user namespaces, unshare (util-linux), ip (iproute2), socat.
set -euo pipefail
port=${1:?usage: confine.sh PORT CMD [ARGS...]}
shift
[ $# -gt 0 ] || { echo "usage: confine.sh PORT CMD [ARGS...]" >&2; exit 2; }
for tool in unshare ip socat; do
  command -v "$tool" >/dev/null || { echo "confine.sh: $tool not found" >&2; exit 127; }
done
sock=$(mktemp -u "${TMPDIR:-/tmp}/confine-XXXXXX.sock")
map=()
[ "$(id -u)" -eq 0 ] || map=(--map-root-user)

# shellcheck disable=SC2016 # expanded by the inner shell
# Inside: loopback up; the bridge starts once CMD accepts a connection, so the
# socket file appearing means "ready".
inner='
ip link set lo up || { echo "confine.sh: cannot bring up lo" >&2; exit 126; }
sock=$1 port=$2; shift 2
srv=$$
( until socat -u OPEN:/dev/null TCP:127.0.0.1:"$port" 2>/dev/null; do
    kill -0 "$srv" 2>/dev/null || exit 0
    sleep 0.05
  done
  exec socat -t 5 UNIX-LISTEN:"$sock",fork,unlink-early TCP:127.0.0.1:"$port" ) </dev/null &
exec "$@"
'
unshare "${map[@]}" --net -- sh -c "$inner" sh "$sock" "$port" "$@" &
server=$!
relay=
cleanup() {
  [ -n "$relay" ] && kill "$relay" 2>/dev/null
  kill "$server" 2>/dev/null
  rm -f "$sock"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# Bounded wait for the bridge (the server's readiness).
for _ in $(seq 1 300); do
  [ -S "$sock" ] && break
  kill -0 "$server" 2>/dev/null || { wait "$server"; exit $?; }
  sleep 0.05
done
[ -S "$sock" ] || { echo "confine.sh: server not ready after 15 s" >&2; exit 1; }
socat -t 5 TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:"$sock" </dev/null &
relay=$!
# Wait until the relay is listening before saying "ready".
for _ in $(seq 1 100); do
  ss -Hltn "sport = :$port" 2>/dev/null | grep -q 127.0.0.1 && break
  sleep 0.05
done
echo "gauntlet-confine: ready on 127.0.0.1:$port"
wait "$server"
