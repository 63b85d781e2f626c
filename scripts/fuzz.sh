#!/usr/bin/env bash
# `make fuzz`: every cargo-fuzz target (fuzz/fuzz_targets), or those named as arguments, for
# FUZZ_SECONDS each (default 60),
# one after the other, with libFuzzer and AddressSanitizer. The machine's toolchain is stable:
# RUSTC_BOOTSTRAP=1 lets it take the -Z flags cargo-fuzz passes. New inputs go to
# target/fuzz-corpus/<target> (the committed fuzz/corpus is read, never written); a crash is
# saved under fuzz/artifacts/<target>/ and fails the run. Once fixed, copy the crash into
# fuzz/corpus/<target>/: `make test` replays that corpus (core/tests/fuzz_corpus.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
seconds="${FUZZ_SECONDS:-60}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "Installing cargo-fuzz from crates.io…"
  cargo install --locked cargo-fuzz --version 0.13.2
fi
export RUSTC_BOOTSTRAP=1
# Targets named on the command line, else all of them.
targets="${*:-$(cd fuzz/fuzz_targets && ls ./*.rs | sed 's|^\./||; s|\.rs$||')}"
(cd fuzz && cargo fuzz build -O)
failed=()
for t in $targets; do
  work="target/fuzz-corpus/$t"
  mkdir -p "$work"
  before=$(find "$work" -type f | wc -l)
  log="target/fuzz-$t.log"
  echo "fuzz $t: ${seconds}s …"
  if (cd fuzz && cargo fuzz run -O "$t" "../$work" "corpus/$t" -- -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1) >"$log" 2>&1; then
    runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
    after=$(find "$work" -type f | wc -l)
    echo "fuzz $t: ${runs:-?} runs in ${seconds}s, coverage ${cov:-?} edges, $((after - before)) new inputs, no crash"
  else
    echo "fuzz $t: FAILED — see $log and fuzz/artifacts/$t/"
    grep -E 'panicked at|ERROR: libFuzzer|SUMMARY' "$log" | head -5 || true
    failed+=("$t")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]}"
  exit 1
fi
