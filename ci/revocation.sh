#!/usr/bin/env bash
# The Revocation-Client family (issue 12) against the third-party clients:
#
#   ci/revocation.sh [OUT]      (default OUT: target/interop/revocation)
#
# Each client runs with its status checks on (interop/peers.sh
# peer_client_revocation) and is judged under the policy those flags give
# (peer_revocation_policy); its deviations are listed, each with a reason,
# in interop/expectations/IMPL-client-revocation.txt. The cases' CA is the
# harness's own loopback responder (OCSP and CRLs, URLs in the reissued
# chain), so nothing but loopback is used; a client is started per case and
# bounded by the case timeout (25 s: a silent responder holds a fetch 20 s).
# Prints one line per stack; exits 1 if a stack has a case not as expected.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$REPO/target/interop/revocation}
PEERDIR=$REPO/target/interop
cd "$REPO"
command -v cargo >/dev/null || { echo "revocation.sh: cargo not found" >&2; exit 2; }
cargo build --release --locked -q -p gauntlet-harness --bin gauntlet || exit 2
GAUNTLET=${CARGO_TARGET_DIR:-$REPO/target}/release/gauntlet
bash interop/setup.sh "$PEERDIR" >/dev/null || { echo "revocation.sh: interop/setup.sh failed" >&2; exit 2; }
# shellcheck source-path=SCRIPTDIR/.. source=interop/peers.sh
source "$REPO/interop/peers.sh"
rm -rf "$out"
mkdir -p "$out"

# COUNT from IMPL's report summary ("pass": N, "expected_failure": N, ...,
# one per line).
count() { sed -n "s/^ *\"$2\": \([0-9]*\),*$/\1/p" "$out/$1.json" | head -1; }

peer_require revocation.sh "${PEER_IMPLS[@]}" || exit 2

failures=0
for impl in "${PEER_IMPLS[@]}"; do
  policy=$(peer_revocation_policy "$impl")
  line=$(peer_client_revocation "$impl")
  eval "WORDS=($line)"
  echo "$line" >"$out/$impl.cmd"
  exp=$REPO/interop/expectations/$impl-client-revocation.txt
  args=(--listen 127.0.0.1:0 --revocation "$policy" --filter 'Revocation-*' --timeout 25
    --format json --out "$out/$impl")
  [ -f "$exp" ] && args+=(--expectations "$exp")
  t0=$(date +%s)
  timeout 3600 "$GAUNTLET" test-client "${args[@]}" -- "${WORDS[@]}" \
    >"$out/$impl.json" 2>"$out/$impl.log"
  rc=$?
  summary="$(count "$impl" pass) pass, $(count "$impl" expected_failure) listed deviations, $(count "$impl" fail) fail, $(count "$impl" unexpected_pass) unexpected pass, $(count "$impl" harness_error) harness errors"
  [ $rc = 0 ] || summary="$summary ($(tail -1 "$out/$impl.log"))"
  echo "revocation: $impl (policy $policy): rc $rc, $summary, $(($(date +%s) - t0)) s"
  [ $rc = 0 ] || failures=$((failures + 1))
done
if [ $failures != 0 ]; then
  echo "revocation: $failures stack(s) not as expected (reports in $out)"
  exit 1
fi
echo "revocation: every stack as expected"
