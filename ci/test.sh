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
# The workspace build above already has every feature on (the harness
# enables the engine's only one, `aws-lc`), so `--all-features` would repeat
# it. What it does not cover is the engine as a dependency alone, without
# AWS-LC: lint and test that too.
echo "== cargo clippy -p gauntlet-engine (without aws-lc)"
cargo clippy -p gauntlet-engine --all-targets --locked -- -D warnings
echo "== cargo test -p gauntlet-engine (without aws-lc)"
cargo test -p gauntlet-engine --locked
