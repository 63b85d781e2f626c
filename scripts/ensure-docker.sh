#!/usr/bin/env bash
# Makes sure a Docker engine answers on the default socket (or $DOCKER_HOST).
# When none does, installs Debian's docker.io if it is missing and starts dockerd in the
# background, logging to target/dockerd.log. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

engine_answers() { timeout 5 docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1; }

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
if [ -f /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  for _ in $(seq 1 60); do
    engine_answers && exit 0
    kill -0 "$(cat /var/run/docker.pid 2>/dev/null)" 2>/dev/null || break
    sleep 0.5
  done
fi
# A stale pid file from a killed daemon stops a new one from starting.
if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then rm -f /var/run/docker.pid; fi
nohup setsid dockerd >>"$here/target/dockerd.log" 2>&1 < /dev/null &
for _ in $(seq 1 60); do
  engine_answers && { echo "ensure-docker: engine up (API $(docker version --format '{{.Server.APIVersion}}'))" >&2; exit 0; }
  sleep 0.5
done
echo "ensure-docker: dockerd did not answer within 30 s; last log lines:" >&2
tail -n 20 "$here/target/dockerd.log" >&2
exit 1
