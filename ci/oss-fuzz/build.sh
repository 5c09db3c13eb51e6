#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build: every cargo-fuzz target of fuzz/ with the
# sanitizer and flags the base image sets, plus its seed corpus and the TLS
# dictionary. The `server`/`client` targets run with the harness's no-security
# crypto provider (fuzz/README.md); the engine has no fuzzing feature.
cd "$SRC/gauntlet/fuzz"
cargo fuzz build -O --debug-assertions
release_dir=target/x86_64-unknown-linux-gnu/release
for t in $(cargo fuzz list); do
  cp "$release_dir/$t" "$OUT/"
  if [ -d "corpus/$t" ] && [ -n "$(ls -A "corpus/$t")" ]; then
    (cd "corpus/$t" && zip -q "$OUT/${t}_seed_corpus.zip" ./*)
  fi
  cp tls.dict "$OUT/$t.dict"
done
