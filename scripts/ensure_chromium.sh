#!/bin/sh
# Make sure Debian's `chromium` and its `chromedriver` are installed, then print their paths.
#
# Why: tests/api/test_status_page_browser.py drives the API's status page in headless
# Chromium through selenium. Selenium's own driver download (selenium-manager) needs the
# network and fetches Google's builds; the test uses Debian's `chromium` and
# `chromium-driver` packages instead, the same version pair, installed like Prometheus
# (scripts/ensure_prometheus.sh), with a small CJK font (fonts-wqy-microhei) so the Chinese
# page's screenshot shows characters, not boxes. Neither package starts a service.
#
# Usage: scripts/ensure_chromium.sh   (as root when a package is missing; idempotent)
set -eu

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    command -v chromium
    command -v chromedriver
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "ensure_chromium.sh: chromium/chromedriver missing; run this script as root" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
LOG="$(mktemp)"
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium \
        chromium-driver fonts-wqy-microhei; } >"$LOG" 2>&1; then
    cat "$LOG" >&2
    rm -f "$LOG"
    echo "ensure_chromium.sh: installing Debian's chromium packages failed" >&2
    exit 1
fi
rm -f "$LOG"

command -v chromium
command -v chromedriver
