#!/usr/bin/env bash
# Third-party TLS 1.2 validation: OpenSSL, GnuTLS, NSS, Java JSSE and mbedTLS
# (and Go crypto/tls in the ECDHE cells) against Gauntlet's reference engine, over loopback only, in both roles and
# with both suites (TLS_RSA_WITH_AES_128_GCM_SHA256 0x009c,
# TLS_RSA_WITH_AES_256_GCM_SHA384 0x009d). See interop/README.md.
#
#   ci/interop.sh [--full] [--ecdhe|--ecdhe-only] [--stage smoke|matrix|all] [--only IMPL]... [--out DIR]
#
# Stage 1 "smoke": every peer x role x suite does one handshake and one
#   request/answer with `gauntlet serve` / `gauntlet connect`; a matrix with
#   pass/fail, extended_master_secret and the time is printed.
# Stage 2 "matrix": the conformance cases with `gauntlet test-server` /
#   `gauntlet test-client` against each peer, reports in DIR/matrix/. Quick
#   by default (suite 009c, every stack, both roles); --full adds 009d.
#   --ecdhe adds the `ecdhe` cells: the peers offer the three ECDHE_RSA
#   suites (interop/peers.sh) and run the Ecdhe- families, with
#   expectations in interop/expectations/IMPL-ROLE-ecdhe.txt; --ecdhe-only
#   runs those cells alone.
#   Skipped with a note while the binary has no `test-server`.
#
# Needs the peers (ci/interop-install.sh, as root) and a gauntlet binary:
# $GAUNTLET, else `cargo build -p gauntlet-harness` (CARGO_TARGET_DIR honoured).
# Exits non-zero if any cell fails. Every process it starts runs in a process
# group of its own that the exit trap kills; every wait is bounded.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO" || exit 1
full=0 ecdhe=0 stage=all out="" only=()
while [ $# -gt 0 ]; do
  case $1 in
    --full) full=1 ;;
    --ecdhe) ecdhe=1 ;;
    --ecdhe-only) ecdhe=2 ;;
    --stage) stage=${2:?--stage smoke|matrix|all}; shift ;;
    --only) only+=("${2:?--only IMPL}"); shift ;;
    --out) out=${2:?--out DIR}; shift ;;
    -h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "interop.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
case $stage in smoke | matrix | all) ;; *) echo "interop.sh: --stage smoke|matrix|all" >&2; exit 2 ;; esac

out=${out:-$REPO/target/interop/run}
PEERDIR=$REPO/target/interop
# Only what this script writes: --out may name a directory holding more.
rm -rf "$out/smoke" "$out/matrix" "$out/tmp"
mkdir -p "$out/tmp"
# confine.sh's bridge sockets go here, so the trap's rm takes them too.
export TMPDIR=$out/tmp
# shellcheck source-path=SCRIPTDIR/.. source=interop/peers.sh
source "$REPO/interop/peers.sh"
impls=("${PEER_IMPLS[@]}")
[ $ecdhe != 0 ] && impls+=("${ECDHE_ONLY_IMPLS[@]}")
[ ${#only[@]} -gt 0 ] && impls=("${only[@]}")
# runs IMPL SUITE: true if IMPL has cells for SUITE (interop/peers.sh peer_suites).
runs() { case " $(peer_suites "$1") " in *" $2 "*) return 0 ;; *) return 1 ;; esac; }
suites=(009c)
[ $full = 1 ] && suites=(009c 009d)
[ $ecdhe = 1 ] && suites+=(ecdhe)
[ $ecdhe = 2 ] && suites=(ecdhe)

# --- process groups we started, killed on exit --------------------------------
groups=()
stop_group() {
  local g=$1
  kill -TERM -- "-$g" 2>/dev/null || return 0
  for _ in $(seq 1 20); do
    kill -0 -- "-$g" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$g" 2>/dev/null
  return 0
}
cleanup() {
  local g
  for g in "${groups[@]}"; do stop_group "$g"; done
  rm -rf "$out/tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_group LOG CMD...: CMD in a new process group (setsid: our background
# children are not group leaders, so it execs in place and $! is the group).
start_group() {
  local log=$1
  shift
  setsid "$@" >"$log" 2>&1 </dev/null &
  START_PID=$!
  groups+=("$START_PID")
}

# wait_for FILE TEXT PID SECS: until FILE contains TEXT; fails if PID exits or
# SECS pass.
wait_for() {
  local file=$1 text=$2 pid=$3 secs=$4 i
  for ((i = 0; i < secs * 20; i++)); do
    grep -qF -- "$text" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# A loopback port nobody listens on, below the ephemeral range.
pick_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 12000))
    ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
  done
  return 1
}

# words_of CMD-STRING PORT: fills WORDS with the command's words, {port} replaced.
words_of() {
  local line=${1//\{port\}/$2}
  eval "WORDS=($line)"
}

# --- prerequisites ----------------------------------------------------------------
for impl in "${impls[@]}"; do
  case " ${PEER_IMPLS[*]} ${ECDHE_ONLY_IMPLS[*]} " in *" $impl "*) ;; *) echo "interop.sh: unknown implementation $impl" >&2; exit 2 ;; esac
done
echo "== setup (interop/setup.sh $PEERDIR)"
if ! "$REPO/interop/setup.sh" "$PEERDIR"; then
  echo "interop.sh: interop/setup.sh failed (peers installed? ci/interop-install.sh)" >&2
  exit 1
fi
peer_require interop.sh "${impls[@]}" || exit 1

if [ -z "${GAUNTLET:-}" ]; then
  echo "== cargo build -p gauntlet-harness"
  cargo build -q -p gauntlet-harness --bin gauntlet || exit 1
  GAUNTLET=${CARGO_TARGET_DIR:-$REPO/target}/debug/gauntlet
fi
[ -x "$GAUNTLET" ] || { echo "interop.sh: no gauntlet binary at $GAUNTLET" >&2; exit 1; }

echo "== versions"
peer_versions | sed 's/^/  /'
echo "  gauntlet: $("$GAUNTLET" --version 2>&1)"

failures=0

# --- stage 1: smoke -------------------------------------------------------------------
# One row per cell: impl role suite result ems(ours/peer) ms note.
rows=()
row() { rows+=("$(printf '%-8s %-7s %-5s %-5s %-9s %7s  %s' "$@")"); }

# The peer's own word on extended_master_secret, where it prints one.
peer_ems() {
  local f=$1
  if grep -qiE 'Extended master secret: yes|Options: extended master secret|extended_master_secret=yes|Extended Master Secret: Yes' "$f"; then
    echo yes
  elif grep -qiE 'Extended master secret: no|extended_master_secret=no' "$f"; then
    echo no
  else
    echo -
  fi
}

# smoke_name SUITE: the negotiated suite the smoke cells require (a regex):
# the one suite, or for `ecdhe` any ECDHE_RSA one (our server picks).
smoke_name() { if [ "$1" = ecdhe ]; then echo 'TLS_ECDHE_RSA_WITH_[A-Z0-9_]+'; else suite_name "$1"; fi; }
# connect_suite SUITE: what `gauntlet connect --suite` offers in the cell.
connect_suite() { if [ "$1" = ecdhe ]; then echo c02f,c030,cca8; else echo "$1"; fi; }

# Their server, our client (`gauntlet connect`).
smoke_server() {
  local impl=$1 suite=$2 name port log ready cmd t0 ms rc ours peer note=
  name=$(smoke_name "$suite")
  log=$out/smoke/$impl-server-$suite
  port=$(pick_port) || { row "$impl" server "$suite" FAIL - - "no free port"; return 1; }
  cmd=$(peer_server "$impl" "$suite")
  words_of "$cmd" "$port"
  ready=$(peer_ready "$impl")
  if [ "$(peer_confined "$impl")" = yes ]; then
    WORDS=("$REPO/interop/confine.sh" "$port" "${WORDS[@]}")
    ready="gauntlet-confine: ready"
  fi
  echo "$cmd" >"$log.cmd"
  t0=$(now_ms)
  start_group "$log.server.log" "${WORDS[@]}"
  local pid=$START_PID
  if ! wait_for "$log.server.log" "$ready" "$pid" 30; then
    stop_group "$pid"
    row "$impl" server "$suite" FAIL - - "server not ready in 30 s: $(head -c 200 "$log.server.log" | tr '\n' ' ')"
    return 1
  fi
  local startup=$(($(now_ms) - t0))
  t0=$(now_ms)
  timeout 30 "$GAUNTLET" connect "127.0.0.1:$port" --servername localhost --suite "$(connect_suite "$suite")" --timeout 10 \
      <"$REPO/interop/request.http" >"$log.out" 2>"$log.err"
  rc=$?
  ms=$(($(now_ms) - t0))
  stop_group "$pid"
  ours=$(grep -q "extended_master_secret=true" "$log.err" && echo yes || echo no)
  peer=$(peer_ems "$log.server.log")
  if [ $rc != 0 ]; then
    note="gauntlet connect exit $rc: $(tail -1 "$log.err")"
  elif ! grep -q "HTTP/1.0 200" "$log.out"; then
    note="no HTTP/1.0 200 answer"
  elif ! grep -qE "negotiated TLSv1_2 $name " "$log.err"; then
    note="not $name: $(tail -1 "$log.err")"
  elif [ "$ours" != yes ] && [ "$(peer_does_ems "$impl")" = yes ]; then
    note="extended_master_secret not negotiated"
  fi
  if [ -n "$note" ]; then
    row "$impl" server "$suite" FAIL "$ours/$peer" "$ms" "$note"
    return 1
  fi
  row "$impl" server "$suite" PASS "$ours/$peer" "$ms" "server startup ${startup} ms"
}

# Their client, our server (`gauntlet serve`, started once).
smoke_client() {
  local impl=$1 suite=$2 port=$3 name log cmd t0 ms rc before ours peer note=
  name=$(smoke_name "$suite")
  log=$out/smoke/$impl-client-$suite
  cmd=$(peer_client "$impl" "$suite")
  words_of "$cmd" "$port"
  echo "$cmd" >"$log.cmd"
  before=$(wc -l <"$out/smoke/gauntlet-serve.log")
  t0=$(now_ms)
  timeout 40 "${WORDS[@]}" </dev/null >"$log.out" 2>"$log.err"
  rc=$?
  ms=$(($(now_ms) - t0))
  # Our server logs the connection when it ends: wait (bounded) for its line.
  for _ in $(seq 1 50); do
    [ "$(wc -l <"$out/smoke/gauntlet-serve.log")" -gt "$before" ] && break
    sleep 0.1
  done
  tail -n +"$((before + 1))" "$out/smoke/gauntlet-serve.log" >"$log.server.log"
  ours=$(grep -q "extended_master_secret=true" "$log.server.log" && echo yes || echo no)
  peer=$(peer_ems "$log.err")
  [ "$peer" = - ] && peer=$(peer_ems "$log.out")
  if [ $rc != 0 ]; then
    note="client exit $rc: $(grep -v '^\s*$' "$log.err" | tail -1 | head -c 160)"
  elif ! grep -q "HTTP/1.0 200" "$log.out"; then
    note="no HTTP/1.0 200 answer"
  elif ! grep -qE "negotiated TLSv1_2 $name " "$log.server.log"; then
    note="our server: $(head -1 "$log.server.log")"
  elif [ "$ours" != yes ] && [ "$(peer_does_ems "$impl")" = yes ]; then
    note="extended_master_secret not negotiated"
  fi
  if [ -n "$note" ]; then
    row "$impl" client "$suite" FAIL "$ours/$peer" "$ms" "$note"
    return 1
  fi
  row "$impl" client "$suite" PASS "$ours/$peer" "$ms" ""
}

if [ "$stage" != matrix ]; then
  echo "== stage 1: smoke (every peer x role x suite: one handshake + one request)"
  mkdir -p "$out/smoke"
  start_group "$out/smoke/gauntlet-serve.log" "$GAUNTLET" serve --listen 127.0.0.1:0 --mode http --timeout 10
  serve_pid=$START_PID
  if ! wait_for "$out/smoke/gauntlet-serve.log" "serving TLS 1.2 on" "$serve_pid" 30; then
    echo "interop.sh: gauntlet serve did not start: $(cat "$out/smoke/gauntlet-serve.log")" >&2
    exit 1
  fi
  serve_port=$(sed -n 's/.*serving TLS 1.2 on 127.0.0.1:\([0-9]*\).*/\1/p' "$out/smoke/gauntlet-serve.log" | head -1)
  # Its log gets one line per connection after this header.
  smoke_suites=(009c 009d)
  [ $ecdhe = 1 ] && smoke_suites+=(ecdhe)
  [ $ecdhe = 2 ] && smoke_suites=(ecdhe)
  for impl in "${impls[@]}"; do
    for suite in "${smoke_suites[@]}"; do
      runs "$impl" "$suite" || continue
      smoke_client "$impl" "$suite" "$serve_port" || failures=$((failures + 1))
      smoke_server "$impl" "$suite" || failures=$((failures + 1))
    done
  done
  stop_group "$serve_pid"
  echo
  printf '%-8s %-7s %-5s %-5s %-9s %7s  %s\n' impl role suite res "ems o/p" ms note
  printf '%s\n' "${rows[@]}" | sort -s -k1,1 -k2,2 -k3,3
  echo "(role: the third-party peer's role; ems o/p: extended_master_secret as our side / the peer reports it, - = peer does not say; logs: $out/smoke)"
  echo
fi

# --- stage 2: the conformance matrix ---------------------------------------------------
# One run of the suite per implementation x role x suite; expectations per
# implementation and role in interop/expectations/IMPL-ROLE.txt.
matrix_rows=()
mrow() { matrix_rows+=("$(printf '%-8s %-7s %-5s %-8s %5s %5s %5s %5s  %6s  %s' "$@")"); }

# count REPORT KEY: a number from the report's "summary" object.
count() {
  tr -d ' \n' <"$1" 2>/dev/null | grep -o "\"summary\":{[^}]*}" | grep -o "\"$2\":[0-9]*" | cut -d: -f2
}

# Server-role cases that depend on the suite name it (…-AES128…, …-AES256…)
# and the scripted client offers only that one, so a server limited to one
# suite runs only its own. The others (record versions, content types,
# most ClientHello cases, RsaKx-*-NoEMS/-SeparateWrites, renegotiation…)
# use AES128 and run in the 009c cell: every server case not naming AES256.
# Client-role cases need no filter: the scripted server picks the case's
# suite if the client offers it, else the client's first one.
# suite_filters SUITE: the --filter arguments, one per line.
suite_filters() {
  case $1 in
    # The Ecdhe family needs targets configured for ECDHE: not in this matrix yet.
    009c) "$GAUNTLET" list --side server | awk '$1 !~ /AES256/ && $1 !~ /^Ecdhe-/ { print "--filter"; print $1 }' ;;
    009d) printf '%s\n' --filter '*AES256*' ;;
    ecdhe) printf '%s\n' --filter 'Ecdhe-Server-*' ;;
  esac
}

# run_matrix IMPL ROLE SUITE: one gauntlet run; a matrix row.
run_matrix() {
  local impl=$1 role=$2 suite=$3 dir cmd exp rc t0 s args=()
  dir=$out/matrix/$impl-$role-$suite
  mkdir -p "$dir"
  exp=$REPO/interop/expectations/$impl-$role.txt
  [ "$suite" = ecdhe ] && exp=$REPO/interop/expectations/$impl-$role-ecdhe.txt
  args=(--format json --out "$dir")
  [ "$role" = server ] && mapfile -t -O ${#args[@]} args < <(suite_filters "$suite")
  # The Ecdhe client cases need clients configured for ECDHE: not in this
  # matrix yet. The Revocation cases need clients set up for OCSP and CRLs:
  # ci/revocation.sh runs them.
  if [ "$role" = client ] && [ "$suite" = ecdhe ]; then
    args+=(--filter 'Ecdhe-Client-*')
  elif [ "$role" = client ]; then
    mapfile -t -O ${#args[@]} args < <("$GAUNTLET" list --side client | awk '$1 !~ /^(Ecdhe|Revocation)-/ { print "--filter"; print $1 }')
  fi
  [ -f "$exp" ] && args+=(--expectations "$exp")
  # A fresh JVM per case needs more than the default 2 s on a loaded machine.
  case $impl in java) args+=(--timeout 15) ;; *) args+=(--timeout 5) ;; esac
  t0=$(now_ms)
  if [ "$role" = server ]; then
    cmd=$(peer_server "$impl" "$suite")
    [ "$(peer_confined "$impl")" = yes ] && args+=(--confine)
    local ready
    ready=$(peer_ready "$impl")
    [ -n "$ready" ] && args+=(--ready-line "$ready")
    echo "$cmd" >"$dir/cmd"
    timeout 1800 "$GAUNTLET" test-server --spawn "$cmd" --ready-timeout 30 "${args[@]}" \
      >"$dir/report.stdout.json" 2>"$dir/stderr.log"
    rc=$?
  else
    cmd=$(peer_client "$impl" "$suite")
    words_of "$cmd" '{port}'
    echo "$cmd" >"$dir/cmd"
    timeout 1800 "$GAUNTLET" test-client --listen 127.0.0.1:0 "${args[@]}" -- "${WORDS[@]}" \
      >"$dir/report.stdout.json" 2>"$dir/stderr.log"
    rc=$?
  fi
  local ms=$(($(now_ms) - t0))
  s=$((ms / 1000)).$(((ms % 1000) / 100))
  if [ $rc = 2 ] && grep -qE "no (server|client)-role case" "$dir/stderr.log"; then
    mrow "$impl" "$role" "$suite" "no-cases" - - - - "$s" "$(tail -1 "$dir/stderr.log")"
    return 0
  fi
  local r=$dir/report.json pass xfail fail other
  pass=$(count "$r" pass) xfail=$(count "$r" expected_failure) fail=$(count "$r" fail)
  other=$(($(count "$r" unexpected_pass || echo 0) + $(count "$r" harness_error || echo 0)))
  case $rc in
    0) mrow "$impl" "$role" "$suite" PASS "${pass:--}" "${xfail:--}" "${fail:--}" "$other" "$s" ;;
    *) mrow "$impl" "$role" "$suite" "FAIL($rc)" "${pass:--}" "${xfail:--}" "${fail:--}" "$other" "$s" \
         "$(grep -E '^(FAIL|UNEXPECTED|HARNESS)|gauntlet:' "$dir/stderr.log" | head -1 | head -c 100)"
       return 1 ;;
  esac
}

if [ "$stage" != smoke ]; then
  echo "== stage 2: conformance matrix (suites: ${suites[*]})"
  if "$GAUNTLET" test-server --help >/dev/null 2>&1 && "$GAUNTLET" test-client --help >/dev/null 2>&1; then
    mkdir -p "$out/matrix"
    for impl in "${impls[@]}"; do
      for role in server client; do
        for suite in "${suites[@]}"; do
          runs "$impl" "$suite" || continue
          run_matrix "$impl" "$role" "$suite" || failures=$((failures + 1))
        done
      done
    done
    printf '%-8s %-7s %-5s %-8s %5s %5s %5s %5s  %6s  %s\n' impl role suite result pass xfail fail other s note
    printf '%s\n' "${matrix_rows[@]}"
    echo "(xfail: expected failures listed in interop/expectations/IMPL-ROLE.txt; other: unexpected passes + harness errors; reports: $out/matrix/IMPL-ROLE-SUITE/)"
  else
    echo "stage 2 needs gauntlet test-server and test-client (not in $GAUNTLET yet): skipped"
  fi
  echo
fi

if [ $failures -gt 0 ]; then
  echo "interop: $failures failing cell(s)"
  exit 1
fi
echo "interop: all cells passed"
