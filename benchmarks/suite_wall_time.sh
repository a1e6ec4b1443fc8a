#!/usr/bin/env bash
# The README's test command timed as CI runs it, on a loaded machine (issue 24, item 13):
# a fresh clone of this checkout at COMMIT, one core kept busy by a Python loop, then
# `CI=true bash .ci/run` (fresh venv, ruff, mypy, the full suite).  One line per run goes
# to $OUT/summary.txt.
#   usage: benchmarks/suite_wall_time.sh LABEL [COMMIT] [OUT]
set -u
label=$1; commit=${2:-HEAD}; out=${3:-/tmp/perfbench-suite-time}
repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
mkdir -p "$out"; clone="$out/clone-$label"; rm -rf "$clone"
git clone -q "$repo" "$clone" && git -C "$clone" checkout -q "$commit"
python3 -c 'while True: pass' & busy=$!
trap 'kill $busy 2>/dev/null' EXIT
start=$(date +%s)
(cd "$clone" && CI=true bash .ci/run) > "$out/$label.log" 2>&1; rc=$?
end=$(date +%s)
echo "$label: rc=$rc wall=$((end - start))s $(tail -1 "$out/$label.log")" | tee -a "$out/summary.txt"
