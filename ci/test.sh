#!/usr/bin/env bash
# The project's test command (README, .ci/run): installs what the tests need on
# a fresh Debian machine, then runs formatting, lints and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v openssl >/dev/null || need_apt+=(openssl)
command -v gnutls-cli >/dev/null || need_apt+=(gnutls-bin)
command -v socat >/dev/null || need_apt+=(socat)
command -v ip >/dev/null || [ -x /usr/sbin/ip ] || need_apt+=(iproute2)
command -v python3 >/dev/null || need_apt+=(python3 python3-pip)
# harness/tests/cli.rs decrypts a reproducer bundle's capture with tshark.
command -v tshark >/dev/null || need_apt+=(tshark)
# harness/tests/matrix.rs loads the HTML report in headless Chromium.
command -v chromium >/dev/null || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "ci/test.sh: missing ${need_apt[*]} (run as root or install them)" >&2
    exit 1
  fi
fi

rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
# With every feature too, if a workspace crate declares any (none does today:
# the engine's old `fuzzing` feature is gone), so no feature goes unlinted or
# untested.
if cargo metadata --no-deps --format-version 1 --locked |
  python3 -c 'import json, sys; sys.exit(not any(p["features"] for p in json.load(sys.stdin)["packages"]))'; then
  echo "== cargo clippy --all-features"
  cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
  echo "== cargo test --all-features"
  cargo test --workspace --all-features --locked
else
  echo "== no workspace crate has features: the default runs above cover them all"
fi
