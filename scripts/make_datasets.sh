#!/usr/bin/env bash
# The commands that made results/datasets/ (the paper's Table 4 layout and a Figure 3-like histogram grid):
# every recipe of every task given, 2000 episodes, 5 % labeled, seed 0. Existing files are kept.
# Usage: scripts/make_datasets.sh DATA_DIR TASK [TASK ...]
set -euo pipefail
data=${1:?data folder}
shift
files=()
for task in "$@"; do
  for kind in expert medium medium-replay explore; do
    file="$data/$task-$kind.h5"
    [ -f "$file" ] || /usr/bin/time -f "$task $kind: %e s" lawm data make "$task" "$kind" --out "$file"
    files+=("$file")
  done
done
mkdir -p results/datasets
lawm data table "${files[@]}" --markdown results/datasets/table4.md --plot results/datasets/figure3.png
