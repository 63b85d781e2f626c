#!/usr/bin/env bash
# Makes sure a Docker engine answers on the default socket (or $DOCKER_HOST).
# When none does, installs Debian's docker.io if it is missing and starts dockerd in the
# background, logging to target/dockerd.log. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

engine_answers() { timeout 5 docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1; }
# Alive, and not a zombie (killed processes reparented to PID 1 may stay <defunct> here).
alive() { [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] && ! awk '{ exit ($3 == "Z") ? 0 : 1 }' "/proc/$1/stat"; }

if command -v docker >/dev/null 2>&1 && engine_answers; then
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "ensure-docker: installing docker.io" >&2
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q docker.io
fi

if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST#unix://}" = "$DOCKER_HOST" ]; then
  echo "ensure-docker: DOCKER_HOST=$DOCKER_HOST does not answer and is not a local socket; start that engine yourself" >&2
  exit 1
fi

# With systemd, ask it first.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd systemctl start docker.socket docker.service 2>/dev/null || true
  for _ in $(seq 1 30); do engine_answers && exit 0; sleep 0.5; done
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-docker: no engine answers and starting dockerd needs root: run 'sudo dockerd &' or add yourself to the docker group" >&2
  exit 1
fi

mkdir -p "$here/target"
echo "ensure-docker: starting dockerd (log: target/dockerd.log)" >&2
# A daemon that is still starting or shutting down holds the pid file: wait for it to answer or go.
if [ -f /var/run/docker.pid ] && alive "$(cat /var/run/docker.pid)"; then
  for _ in $(seq 1 60); do
    engine_answers && exit 0
    alive "$(cat /var/run/docker.pid 2>/dev/null)" || break
    sleep 0.5
  done
fi
# Stale pid files from a killed daemon stop a new one from starting: dockerd's own, and that of
# the containerd it manages (dockerd would wait for a socket the dead containerd never serves).
clean_stale() {
  if [ -f /var/run/docker.pid ] && ! alive "$(cat /var/run/docker.pid)"; then rm -f /var/run/docker.pid; fi
  local c=/var/run/docker/containerd
  if [ -f "$c/containerd.pid" ] && ! alive "$(cat "$c/containerd.pid")"; then
    rm -f "$c/containerd.pid" "$c/containerd.sock" "$c/containerd.sock.ttrpc" "$c/containerd-debug.sock"
  fi
}
clean_stale
for attempt in 1 2; do
  nohup setsid dockerd >>"$here/target/dockerd.log" 2>&1 < /dev/null &
  daemon=$!
  for _ in $(seq 1 60); do
    engine_answers && { echo "ensure-docker: engine up (API $(docker version --format '{{.Server.APIVersion}}'))" >&2; exit 0; }
    alive "$daemon" || break # it gave up (e.g. on a stale containerd): clean up and try again
    sleep 0.5
  done
  [ "$attempt" = 1 ] && { echo "ensure-docker: dockerd did not come up; cleaning up and trying once more" >&2; kill "$daemon" 2>/dev/null; sleep 1; clean_stale; }
done
echo "ensure-docker: dockerd did not answer within 30 s; last log lines:" >&2
tail -n 20 "$here/target/dockerd.log" >&2
exit 1
