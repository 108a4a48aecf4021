#!/bin/sh
# Make sure a Docker Compose that can validate docker-compose.yml is installed; print how to
# call it ("docker compose" or the path of docker-compose).
#
# Why: tests/deploy/test_compose.py runs `config -q` on docker-compose.yml, which needs no
# Docker engine. The compose plugin of Docker is used when present; otherwise Debian's
# `docker-compose` package (Compose 1.29, which validates the Compose Specification the file
# uses) is installed. That package starts no service.
#
# Usage: scripts/ensure_compose.sh   (as root when neither is installed; idempotent)
set -eu

if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    echo "docker compose"
    exit 0
fi
if command -v docker-compose >/dev/null 2>&1; then
    command -v docker-compose
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "ensure_compose.sh: no docker compose plugin and no docker-compose; run this script" \
         "as root" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
LOG="$(mktemp)"
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends docker-compose; } \
        >"$LOG" 2>&1; then
    cat "$LOG" >&2
    rm -f "$LOG"
    echo "ensure_compose.sh: installing Debian's docker-compose package failed" >&2
    exit 1
fi
rm -f "$LOG"
command -v docker-compose
