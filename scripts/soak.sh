#!/usr/bin/env bash
# Soak the stream integration tests: run them N times in a row while a CPU hog keeps every
# core busy, and print how many runs passed and failed. A single failure is a defect to
# root-cause (each run's output is kept in var/soak/), never a flake to retry.
#
#   scripts/soak.sh 20                      # the stream tests, 20 times, cores loaded
#   SOAK_TESTS="tests/integration/test_stream_wall_clock.py" scripts/soak.sh 5
#   SOAK_HOGS=0 scripts/soak.sh 3           # without the CPU hog
set -uo pipefail
cd "$(dirname "$0")/.."

runs=${1:-}
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/soak.sh N   (N: how many times to run the stream integration tests)" >&2
  exit 2
fi
tests=${SOAK_TESTS:-tests/integration/test_stream_crash.py tests/integration/test_stream_oracle.py tests/integration/test_stream_wall_clock.py}
hogs=${SOAK_HOGS:-$(nproc)}
python=.venv/bin/python
[ -x "$python" ] || make .venv/.installed >/dev/null || exit 2

outdir=var/soak/$(date +%Y%m%d-%H%M%S)
mkdir -p "$outdir"
pids=()
stop_hogs() { [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; }
trap stop_hogs EXIT
trap 'exit 130' INT TERM
for _ in $(seq 1 "$hogs"); do
  "$python" -c 'while True: pass' &
  pids+=($!)
done

echo "soak: $runs runs of: $tests"
echo "soak: $hogs CPU hogs, load $(cut -d' ' -f1-3 /proc/loadavg), logs in $outdir"
passed=0
failed=0
for n in $(seq 1 "$runs"); do
  started=$(date +%s)
  # shellcheck disable=SC2086 # $tests is a list of paths
  if .venv/bin/pytest -q -p no:cacheprovider $tests >"$outdir/run-$n.log" 2>&1; then
    passed=$((passed + 1)); verdict=passed
  else
    failed=$((failed + 1)); verdict=FAILED
  fi
  echo "run $n/$runs: $verdict in $(( $(date +%s) - started )) s: $(tail -n 1 "$outdir/run-$n.log")"
done
echo "soak: $passed passed, $failed failed of $runs (load at the end $(cut -d' ' -f1-3 /proc/loadavg))"
[ "$failed" -eq 0 ]
