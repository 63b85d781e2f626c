#!/usr/bin/env bash
# Builds the release binary and the .deb (no AppImage: its tools are downloaded from the
# internet at build time). Prints the package's path.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
# Files the package carries compressed, as Debian's policy wants them (gzip -9n: no name or
# time stamp inside, so the same input gives the same bytes).
mkdir -p target/packaging
gzip -9n -c packaging/changelog > target/packaging/changelog.gz
gzip -9n -c packaging/bulkhead.1 > target/packaging/bulkhead.1.gz
(cd src-tauri && ../ui/node_modules/.bin/tauri build --ci --bundles deb) >&2
deb=$(ls -t target/release/bundle/deb/*.deb | head -1)
echo "$deb"
