#!/usr/bin/env bash
# Size of what a user downloads and installs: the release binary (stripped by the release
# profile) and the .deb, as `make package` built them. Smaller is better.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
deb=$(scripts/package.sh)
bin=target/release/bulkhead
mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1000000 }'; }
bin_bytes=$(stat -c %s "$bin")
deb_bytes=$(stat -c %s "$deb")
stripped=$(file -b "$bin" | grep -q 'not stripped' && echo "not stripped" || echo "stripped")
echo "bench release-binary-size: $(mb "$bin_bytes") ($stripped; target <= 12 MB; smaller is better)"
echo "bench deb-size: $(mb "$deb_bytes") ($(basename "$deb"); target <= 8 MB; smaller is better)"
