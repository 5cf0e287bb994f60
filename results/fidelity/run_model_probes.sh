#!/usr/bin/env bash
# World-model probes on C-LAP (Oracle) (seed 0, walker-walk medium-replay, small): each trains its own model for
# 10k steps with one model setting changed, then 4000 policy steps evaluated every 2000 (compare p0-defaults at 4k).
# Usage: run_model_probes.sh NAME [--set field=value ...]; runs one probe, one thread.
set -u
cd "$(dirname "$0")/../.."
name=$1; shift
mkdir -p /work/runs/probes
OMP_NUM_THREADS=1 .venv/bin/lawm train clap --oracle --dataset /work/data/wmr.h5 --preset small \
  --run /work/runs/probes/$name --seed 0 --no-progress --set model_steps=10000 --set policy_steps=4000 "$@" \
  > /work/runs/probes/$name.log 2>&1
