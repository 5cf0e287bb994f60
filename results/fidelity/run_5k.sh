#!/usr/bin/env bash
# Equal-cost probe: the world model after 5k steps, then a 10k-step policy phase, against the grid cell's
# 10k model steps + 6k policy steps (same seed). Each starts when its grid cell has finished (one core each).
cd /work/runs/probes
L=/work/main/.venv/bin/lawm
R=/work/bench/reduced-%s/runs/walker-walk/medium-replay/lf0.05/%s/seed%s
wait_for() { while [ ! -f "$1/eval.json" ]; do sleep 20; done; }
( wait_for $(printf $R a clap-oracle 1)
  OMP_NUM_THREADS=1 $L train clap --oracle --dataset /work/bench/reduced-a/datasets/walker-walk-medium-replay-2000ep-seed0-lf0.05.h5 --preset small --no-progress \
    --run clap-oracle-s1-m5k-p10k --seed 1 --set model_from=/work/runs/probes/clap-oracle-s1-model5k \
    --set model_steps=5000 --set policy_steps=10000 > clap-oracle-s1-m5k-p10k.log 2>&1 ) &
( wait_for $(printf $R b lawm 0)
  OMP_NUM_THREADS=1 $L train lawm --dataset /work/bench/reduced-b/datasets/walker-walk-medium-replay-2000ep-seed0-lf0.05.h5 --preset small --no-progress \
    --run lawm-s0-m5k-p10k --seed 0 --set model_from=/work/runs/probes/lawm-s0-model5k \
    --set model_steps=5000 --set policy_steps=10000 > lawm-s0-m5k-p10k.log 2>&1 ) &
wait
