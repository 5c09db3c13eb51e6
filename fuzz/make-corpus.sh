#!/usr/bin/env bash
# Regenerates the seed corpus fuzz/corpus/<target>/seed-* from third-party
# recordings (vectors/handshakes.json), the test PKI, hand-built records and
# our engine's own flights (see harness/tests/fuzz_corpus.rs, `seeds`).
# Corpus files the fuzzers found (not named seed-*) are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f fuzz/corpus/*/seed-*
cargo test -p gauntlet-harness --test fuzz_corpus --locked -- --ignored write_seed_corpus
du -sh fuzz/corpus
for d in fuzz/corpus/*/; do echo "$(ls "$d" | wc -l) $d"; done
