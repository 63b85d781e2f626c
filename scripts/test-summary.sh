#!/usr/bin/env bash
# Adds up the counts of every test runner's log given and prints one closing line:
#   total: N passed, N failed, N skipped
# Tests that could not run here return early (the harness counts them as passed) after writing a
# line to $BULKHEAD_SKIPPED (tests/support's `skip`): those count as skipped, and are named.
# Exits non-zero when anything failed or when no test ran at all.
set -euo pipefail
passed=0; failed=0; skipped=0
for log in "$@"; do
  [ -f "$log" ] || continue
  # cargo test: "test result: ok. 9 passed; 0 failed; 1 ignored; ..."
  while read -r p f i; do
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + i))
  done < <(sed -E 's/\x1b\[[0-9;]*m//g' "$log" | sed -nE 's/^test result: [a-zA-Z]+\. ([0-9]+) passed; ([0-9]+) failed; ([0-9]+) ignored.*/\1 \2 \3/p')
  # vitest: "      Tests  13 passed (13)" or "Tests  1 failed | 12 passed (13)"
  line=$(sed -E 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^\s*Tests\s+' | tail -n 1 || true)
  if [ -n "$line" ]; then
    p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
    f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
    s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || echo 0)
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  fi
done
skips=${BULKHEAD_SKIPPED:-target/skipped-tests.txt}
if [ -s "$skips" ]; then
  n=$(wc -l < "$skips")
  passed=$((passed - n)); skipped=$((skipped + n))
  sed 's/^/skipped: /' "$skips"
fi
echo "total: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
