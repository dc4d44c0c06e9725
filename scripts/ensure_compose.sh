#!/usr/bin/env bash
# Make sure a compose implementation can parse docker-compose.yml (tests/unit/test_compose.py
# runs `docker-compose config`; no Docker daemon is needed for that).
set -eu
if command -v docker-compose >/dev/null 2>&1; then
  exit 0
fi
if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing docker-compose (Debian package, for the compose file test)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
  exit 0
fi
echo "error: the compose test needs docker-compose: install Debian's 'docker-compose' package (sudo apt-get install docker-compose) or the compose plugin" >&2
exit 1
