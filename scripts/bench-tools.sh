#!/usr/bin/env bash
# The peer tools `make bench` measures Bulkhead against, installed under target/bench-tools
# when missing: oxker (a terminal UI for Docker) from crates.io, at a fixed version.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
root="$here/target/bench-tools"
oxker_version=0.13.4
if ! "$root/bin/oxker" --version 2>/dev/null | grep -q "$oxker_version"; then
  echo "bench-tools: installing oxker $oxker_version from crates.io" >&2
  cargo install oxker --locked --version "$oxker_version" --root "$root" >&2
fi
echo "$root/bin/oxker"
