#!/usr/bin/env bash
# Copy what a benchmark folder's results rest on into the repository (each finished cell's cell, config, sessions,
# metrics, IDM errors and evaluation; checkpoints and TensorBoard stay out), then rebuild `lawm report`'s
# table and figures in DEST from every cell there, so cells of several benchmark folders make one report.
# Usage: scripts/collect_results.sh BENCH_DIR DEST   (e.g. /work/bench/reduced results/reduced)
set -euo pipefail
bench=${1:?benchmark folder}
dest=$(realpath -m "${2:?destination folder}")
(cd "$bench" && find runs -name eval.json -printf '%h\n' | while read -r cell; do
  mkdir -p "$dest/$cell"
  for name in cell.json config.json sessions.jsonl metrics.jsonl idm.json eval.json; do
    [ -f "$cell/$name" ] && cp "$cell/$name" "$dest/$cell/"
  done
done)
lawm report "$2"
