# Bulkhead — the two commands of the README are `make run` and `make test`.
# Both install what is missing first (scripts/setup.sh) and make sure a Docker engine answers
# (scripts/ensure-docker.sh starts a private dockerd when none does).

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
CARGO ?= cargo
APP := target/debug/bulkhead
E2E_APP := target/e2e/bulkhead

.PHONY: run test bench fuzz ui app icons bindings rules-doc check-core-free-of-tauri lint fmt package clean-test-objects setup-run setup-test docker

# The app copes without an engine (it says why and reconnects), so a failure to start one is
# reported but does not stop the window from opening.
run: setup-run app
	-@scripts/ensure-docker.sh
	./$(APP)

test: setup-test docker
	mkdir -p target
	cd ui && npm run lint && npm run check && set -o pipefail && npm test 2>&1 | tee ../target/vitest.log && npm run build
	$(MAKE) --no-print-directory check-core-free-of-tauri
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings
	@# The app the end-to-end tests drive is built alone, so that it does not carry the tauri
	@# `test` feature the IPC tests turn on; it embeds ui/dist (no devUrl is configured).
	$(CARGO) build -p bulkhead
	mkdir -p $(dir $(E2E_APP)) && cp $(APP) $(E2E_APP)
	@# The .deb a user installs (a release build): tests/package checks it and runs what it holds.
	scripts/package.sh > target/package-path.txt
	rm -f target/skipped-tests.txt
	set -o pipefail; BULKHEAD_DEB=$(CURDIR)/$$(cat target/package-path.txt) BULKHEAD_SKIPPED=$(CURDIR)/target/skipped-tests.txt BULKHEAD_APP=$(CURDIR)/$(E2E_APP) $(CARGO) test --workspace --all-features 2>&1 | tee target/cargo-test.log
	@BULKHEAD_SKIPPED=$(CURDIR)/target/skipped-tests.txt scripts/test-summary.sh target/vitest.log target/cargo-test.log

bench: setup-test docker app
	@# What a user downloads: the release binary and the .deb (a release build when stale).
	scripts/bench-size.sh
	$(CARGO) bench -p bulkhead-core --bench lists --bench containers --bench storage --bench files
	@# Remote engines: a second dockerd over SSH and TLS against the docker CLI with contexts.
	$(CARGO) bench -p bulkhead-tests --bench engines
	@# Compose: project actions through the API vs docker-compose; the review of a 50-service file.
	$(CARGO) bench -p bulkhead-tests --bench compose
	@# The real window (ignored e2e tests that print their own bench lines): into xterm.js, engine
	@# switches, events; memory against an empty Tauri window (tests/fixtures/empty-window, a
	@# release build like the app's above) and under 30 minutes of churn (BULKHEAD_CHURN_SECS);
	@# cold start and idle engine CPU against oxker (scripts/bench-tools.sh installs it); the
	@# list at 10,000 containers.
	$(CARGO) build --release -p bulkhead-empty-window --features custom-protocol
	mkdir -p $(dir $(E2E_APP)) && cp $(APP) $(E2E_APP)
	scripts/bench-tools.sh > target/bench-tools.txt
	set -o pipefail; BULKHEAD_APP=$(CURDIR)/$(E2E_APP) BULKHEAD_RELEASE_APP=$(CURDIR)/target/release/bulkhead \
	  BULKHEAD_EMPTY_WINDOW=$(CURDIR)/target/release/bulkhead-empty-window BULKHEAD_OXKER=$$(cat target/bench-tools.txt) \
	  $(CARGO) test -p bulkhead-tests --test e2e bench_ -- --ignored --nocapture --test-threads 1 2>&1 | grep -E '^(bench |\()'

# Every fuzz target (fuzz/) for FUZZ_SECONDS each (default 60); installs cargo-fuzz if missing.
fuzz:
	scripts/fuzz.sh

setup-run:
	@scripts/setup.sh run

setup-test:
	@scripts/setup.sh test

docker:
	@scripts/ensure-docker.sh

ui:
	cd ui && npm run build

app: ui
	$(CARGO) build -p bulkhead

# Rewrites ui/src/lib/api/bindings from the Rust types (the test suite fails when they are stale).
bindings:
	UPDATE_BINDINGS=1 $(CARGO) test -p bulkhead-core --features ts --test bindings

# Rewrites docs/rules.md from the rule catalogue (the test suite fails when it is stale).
rules-doc:
	UPDATE_RULES_DOC=1 $(CARGO) test -p bulkhead-tests --test rules the_rules_document_is_fresh

check-core-free-of-tauri:
	@if $(CARGO) tree -p bulkhead-core -e normal --prefix none | grep -qiE '^tauri'; then \
	  echo "bulkhead-core depends on Tauri; it must not"; exit 1; \
	else echo "bulkhead-core is free of Tauri"; fi

lint:
	cd ui && npm run lint && npm run check
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings

fmt:
	$(CARGO) fmt --all

# Regenerates the icon set from its one source, icons/icon.svg (desktop sizes only).
icons: setup-run
	ui/node_modules/.bin/tauri icon icons/icon.svg -o icons
	rm -rf icons/android icons/ios icons/Square*Logo.png icons/StoreLogo.png
	@# The .deb's hicolor 256x256 (the bundler files 128x128@2x.png under a "256x256@2" folder).
	cp icons/128x128@2x.png icons/256x256.png

# A release build and the .deb (target/release/bundle/deb/). Offline: no AppImage, whose build
# downloads its tools.
package: setup-run ui
	scripts/package.sh

# Removes every object the tests labelled, including the shared fixture image.
clean-test-objects:
	-docker ps -aq --filter label=dev.bulkhead.test | xargs -r docker rm -f
	-docker images -q --filter label=dev.bulkhead.test | sort -u | xargs -r docker rmi -f
