#!/usr/bin/env bash
# Fuzz smoke test: every target for SECONDS (default 30) with AddressSanitizer,
# on the committed corpus plus the dictionary. New inputs go to
# fuzz/corpus-work/ (ignored), never into the committed corpus. Exits non-zero
# if any target crashes (a panic is an invariant violation); the input is in
# fuzz/artifacts/<target>/.
#   ci/fuzz-smoke.sh [SECONDS]
set -euo pipefail
secs=${1:-30}
cd "$(dirname "$0")/../fuzz"

rustup toolchain list | grep -q '^nightly' || {
  echo "fuzz-smoke: needs the nightly toolchain (cargo +nightly)" >&2
  exit 1
}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

cargo +nightly fuzz build
failed=()
for t in $(cargo +nightly fuzz list); do
  mkdir -p "corpus-work/$t" "corpus/$t"
  echo "== fuzz $t for ${secs}s"
  if ! cargo +nightly fuzz run "$t" "corpus-work/$t" "corpus/$t" -- \
      -max_total_time="$secs" -dict=tls.dict -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 2>"corpus-work/$t.log"; then
    failed+=("$t")
    tail -40 "corpus-work/$t.log" >&2
  else
    grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec' "corpus-work/$t.log" || true
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz-smoke: crashes in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz-smoke: all targets ran ${secs}s without a crash"
