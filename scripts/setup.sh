#!/usr/bin/env bash
# Installs whatever is missing on a Debian/Ubuntu machine, and nothing that is already there.
#   scripts/setup.sh run    what building and running the app needs
#   scripts/setup.sh test   that, plus what the whole test suite needs
set -euo pipefail
mode=${1:-run}
here=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "setup: $*" >&2; }
sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"

# --- Debian packages ------------------------------------------------------------------------
# libdbus-1-dev: desktop notifications (notify-rust over libdbus).
pkgs=(build-essential pkg-config curl file libwebkit2gtk-4.1-dev libssl-dev librsvg2-dev libayatana-appindicator3-dev libdbus-1-dev)
if [ "$mode" = test ]; then
  # xvfb: a display for the window; webkit2gtk-driver: WebKitWebDriver; busybox-static: the
  # fixture images; docker-registry: the local registry for pull/push tests; xdotool and
  # x11-utils (xwininfo): to see and answer the app's native file choosers under Xvfb.
  # openssh-server: a real sshd on 127.0.0.1 for the SSH-engine tests (the client comes with it);
  # iproute2: the bridge of the tests' second dockerd; podman: its Docker-compatible API, and
  # uidmap (newuidmap) for a rootless one; docker-compose: Compose v1 (1.29.2, the only Compose
  # Debian 12 packages) for up/down/pull/build and the differential interpolation test.
  # lintian and desktop-file-utils: Debian's checks of the .deb and its menu entry.
  # dbus-daemon: a private session bus where a stand-in notification server sees the alerts.
  pkgs+=(xvfb webkit2gtk-driver busybox-static docker-registry xdotool x11-utils openssh-server iproute2 podman uidmap docker-compose lintian desktop-file-utils dbus-daemon)
fi
if ! command -v dockerd >/dev/null 2>&1 && ! timeout 5 docker version >/dev/null 2>&1; then
  pkgs+=(docker.io)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- Rust -------------------------------------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1; then
  [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null 2>&1 || { say "Rust is missing: install it with rustup (https://rustup.rs), then run this again"; exit 1; }

# --- Node.js (Vite 8 needs 20.19 or newer) ---------------------------------------------------
node_ok() { command -v node >/dev/null 2>&1 && node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; }
if ! node_ok; then
  say "installing Node.js from Debian"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q nodejs npm
  node_ok || { say "Node.js $(node --version 2>/dev/null) is too old: Bulkhead's UI needs 20.19+ (e.g. from NodeSource)"; exit 1; }
fi
if [ ! -d "$here/ui/node_modules" ] || [ "$here/ui/package-lock.json" -nt "$here/ui/node_modules/.package-lock.json" ]; then
  say "installing the UI's Node packages"
  (cd "$here/ui" && npm ci --no-audit --no-fund --loglevel=error)
fi

# --- Test tools -------------------------------------------------------------------------------
if [ "$mode" = test ]; then
  if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
    say "installing tauri-driver"
    cargo install tauri-driver --locked --version '^2'
  fi
fi
