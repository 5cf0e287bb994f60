#!/usr/bin/env bash
# Copy what a benchmark folder's results rest on into the repository: `lawm report`'s table and figures, and
# each cell's small files (cell, config, metrics, IDM errors, evaluation). Checkpoints and TensorBoard stay out.
# Usage: scripts/collect_results.sh BENCH_DIR DEST   (e.g. /work/bench/reduced results/reduced)
set -euo pipefail
bench=${1:?benchmark folder}
dest=$(realpath -m "${2:?destination folder}")
lawm report "$bench"
mkdir -p "$dest"
cp "$bench"/report.md "$bench"/*.png "$dest"/
cd "$bench"
find runs -name eval.json -printf '%h\n' | while read -r cell; do
  mkdir -p "$dest/$cell"
  for name in cell.json config.json metrics.jsonl idm.json eval.json; do
    [ -f "$cell/$name" ] && cp "$cell/$name" "$dest/$cell/"
  done
done
