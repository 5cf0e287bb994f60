#!/usr/bin/env bash
# Issue 4's first evidence: LAWM vs C-LAP vs C-LAP (oracle) on walker-walk medium-replay (2000 episodes,
# 5 % labeled, seed 0), `small` preset, seed 0, one torch thread each. Rerunning resumes every run.
# Usage: scripts/first_evidence.sh DATA_DIR RUNS_DIR
set -euo pipefail
data=${1:?data folder}
runs=${2:?runs folder}
dataset="$data/walker-walk-medium-replay.h5"
[ -f "$dataset" ] || lawm data make walker-walk medium-replay --out "$dataset"
export OMP_NUM_THREADS=1
lawm train lawm --dataset "$dataset" --preset small --run "$runs/lawm-s0" --no-progress &
lawm train clap --dataset "$dataset" --preset small --run "$runs/clap-s0" --no-progress &
lawm train clap --oracle --dataset "$dataset" --preset small --run "$runs/clap-oracle-s0" --no-progress &
wait
