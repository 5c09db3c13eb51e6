#!/usr/bin/env bash
# Nightly fuzzing: HOURS (default 1) of wall time shared by all targets, each
# run on every core (libFuzzer -fork), then:
#   - the corpus is merged and minimized back into fuzz/corpus/<target>/
#     (seed-* files from fuzz/make-corpus.sh are kept as they are);
#   - each crash is minimized (cargo fuzz tmin) and saved as
#     vectors/regressions/<target>/<kind>-<sha1>, which
#     harness/tests/fuzz_corpus.rs replays (it fails until the bug is fixed);
#   - a line-coverage summary of engine/src per target (cargo fuzz coverage +
#     llvm-cov from rustup's llvm-tools-preview).
# Exits non-zero if any crash was found.
#   ci/fuzz-nightly.sh [HOURS]
set -euo pipefail
hours=${1:-1}
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"

rustup toolchain list | grep -q '^nightly' || { echo "needs nightly" >&2; exit 1; }
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup +nightly component list --installed | grep -q '^llvm-tools' ||
  rustup +nightly component add llvm-tools-preview
triple="$(rustc +nightly -vV | sed -n 's/^host: //p')"
llvm_bin="$(rustc +nightly --print sysroot)/lib/rustlib/$triple/bin"

targets=$(cargo +nightly fuzz list)
n=$(echo "$targets" | wc -w)
# NIGHTLY_SECONDS overrides the total (for trying the script out).
per=$(( ${NIGHTLY_SECONDS:-$(( hours * 3600 ))} / n ))
jobs=$(nproc)
cargo +nightly fuzz build
crashes=0
report="corpus-work/nightly-report.txt"
mkdir -p corpus-work
: >"$report"

for t in $targets; do
  work="corpus-work/$t"
  mkdir -p "$work" "corpus/$t" "artifacts/$t"
  echo "== $t: ${per}s on $jobs cores"
  cargo +nightly fuzz run "$t" "$work" "corpus/$t" -- \
    -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$per" -dict=tls.dict -timeout=10 -rss_limit_mb=2048 \
    >"$work.log" 2>&1 || true

  # Merge and minimize: the smallest set of inputs with the same coverage.
  merged="$work-merged"
  rm -rf "$merged" && mkdir -p "$merged"
  cargo +nightly fuzz run "$t" "$merged" "corpus/$t" "$work" -- -merge=1 \
    >"$work-merge.log" 2>&1 || true
  seeds=$(mktemp)
  { sha1sum corpus/"$t"/seed-* 2>/dev/null || true; } | cut -d' ' -f1 >"$seeds"
  find "corpus/$t" -type f ! -name 'seed-*' -delete
  for f in "$merged"/*; do
    [ -f "$f" ] || continue
    h=$(sha1sum "$f" | cut -d' ' -f1)
    grep -qx "$h" "$seeds" || cp "$f" "corpus/$t/$h"
  done
  rm -f "$seeds"

  # Crashes: minimize each and keep it as a replayable regression case.
  for f in artifacts/"$t"/crash-* artifacts/"$t"/oom-* artifacts/"$t"/timeout-*; do
    [ -f "$f" ] || continue
    crashes=$((crashes + 1))
    kind=$(basename "$f" | cut -d- -f1)
    cargo +nightly fuzz tmin "$t" "$f" -- -runs=2000 >"$work-tmin.log" 2>&1 || true
    min=$(ls -t artifacts/"$t"/minimized-from-* 2>/dev/null | head -1 || true)
    [ -n "$min" ] || min="$f"
    mkdir -p "$root/vectors/regressions/$t"
    cp "$min" "$root/vectors/regressions/$t/$kind-$(sha1sum "$min" | cut -d' ' -f1)"
    echo "$t: $kind saved to vectors/regressions/$t/" | tee -a "$report"
  done

  # Coverage of the engine by this target's corpus.
  cargo +nightly fuzz coverage --target-dir target-cov "$t" "corpus/$t" >"$work-cov.log" 2>&1 || true
  bin="target-cov/$triple/release/$t"
  prof="coverage/$t/coverage.profdata"
  if [ -f "$bin" ] && [ -f "$prof" ]; then
    # engine/src only: the target logic (harness/src/fuzzing) is not counted.
    "$llvm_bin/llvm-cov" report "$bin" -instr-profile="$prof" "$root/engine/src" \
      >"$work-cov.txt" 2>&1 || true
    awk -v t="$t" 'NF >= 10 && $1 != "Filename" && $1 != "TOTAL" \
      { lines += $8; missed += $9 } END { if (lines) printf "%s: engine lines %d/%d (%.1f%%)\n", \
      t, lines - missed, lines, 100 * (lines - missed) / lines }' "$work-cov.txt" | tee -a "$report"
  else
    echo "$t: coverage not available (see $work-cov.log)" | tee -a "$report"
  fi
  echo "$t: corpus $(ls "corpus/$t" | wc -l) files, $(du -sh "corpus/$t" | cut -f1)" | tee -a "$report"
done

total=$(cat corpus/*/* | wc -c)
echo "corpus total: $total bytes" | tee -a "$report"
# The committed corpus is meant to stay under 2 MB: trim the largest inputs
# of the biggest target (or lower -max_len) before committing past that.
[ "$total" -le $((2 << 20)) ] || echo "WARNING: corpus over 2 MB" | tee -a "$report"
echo "== summary"; cat "$report"
[ "$crashes" -eq 0 ] || { echo "fuzz-nightly: $crashes crash(es), see vectors/regressions/" >&2; exit 1; }
