#!/bin/sh
# Make sure the `prometheus`, `promtool` and `amtool` binaries are installed, then print their
# paths.
#
# Why: tests/deploy checks the alert/recording rules with promtool, runs the real Prometheus
# server against the metrics the workers expose, and checks the Alertmanager configuration and
# its routing with amtool. They come from Debian's `prometheus` and `prometheus-alertmanager`
# packages, which a fresh machine does not have.
#
# The package's maintainer scripts would start the service (systemd or invoke-rc.d). We only
# want the binaries, and a container has no init system: a temporary /usr/sbin/policy-rc.d that
# answers 101 ("action forbidden") stops invoke-rc.d from starting anything, and
# deb-systemd-invoke is a no-op without a running systemd. Afterwards nothing may keep running.
#
# Usage: scripts/ensure_prometheus.sh   (as root when the package is missing; idempotent)
set -eu

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 \
        && command -v amtool >/dev/null 2>&1; then
    command -v prometheus
    command -v promtool
    command -v amtool
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "ensure_prometheus.sh: prometheus/promtool/amtool missing; run this script as root" >&2
    exit 1
fi

POLICY=/usr/sbin/policy-rc.d
SAVED=""
if [ -e "$POLICY" ]; then
    SAVED="$(mktemp)"
    cp -p "$POLICY" "$SAVED"
fi

restore_policy() {
    if [ -n "$SAVED" ]; then
        mv "$SAVED" "$POLICY"
    else
        rm -f "$POLICY"
    fi
}
trap restore_policy EXIT

printf '#!/bin/sh\n# installed by scripts/ensure_prometheus.sh: start no service\nexit 101\n' \
    > "$POLICY"
chmod 755 "$POLICY"

export DEBIAN_FRONTEND=noninteractive
LOG="$(mktemp)"
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus \
        prometheus-alertmanager; } \
        >"$LOG" 2>&1; then
    cat "$LOG" >&2
    rm -f "$LOG"
    echo "ensure_prometheus.sh: installing Debian's prometheus packages failed" >&2
    exit 1
fi
rm -f "$LOG"

# Belt and braces: if a maintainer script started the packaged daemon anyway, stop exactly
# that one (its init script writes this pid file); nothing else is touched.
for pid_file in /run/prometheus/prometheus.pid /run/prometheus/prometheus-alertmanager.pid; do
    if [ -f "$pid_file" ]; then
        kill "$(cat "$pid_file")" 2>/dev/null || true
    fi
done

command -v prometheus
command -v promtool
command -v amtool
