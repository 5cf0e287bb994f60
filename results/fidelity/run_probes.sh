#!/usr/bin/env bash
# Policy-phase probes on C-LAP (Oracle)'s world model after 10k steps (seed 0, walker-walk medium-replay, small).
# Each probe changes one setting against p0 (the defaults); 6000 policy steps, evaluated every 2000.
set -u
cd /work/main
MODEL=/work/runs/clap-oracle-s0-model10k
while [ ! -f $MODEL/checkpoint.pt ]; do sleep 20; done
probe() {
  name=$1; shift
  OMP_NUM_THREADS=1 .venv/bin/lawm train clap --oracle --dataset /work/data/wmr.h5 --preset small \
    --run /work/runs/probes/$name --seed 0 --no-progress --set model_from=$MODEL --set model_steps=10000 \
    --set policy_steps=6000 "$@" > /work/runs/probes/$name.log 2>&1
}
mkdir -p /work/runs/probes
probe p0-defaults
probe p1-support2 --set support=2.0
probe p2-logprob0.001 --set logprob_scale=0.001
probe p3-support0.5 --set support=0.5
# then the two policy settings that helped, together
probe p4-support2-logprob0.001 --set support=2.0 --set logprob_scale=0.001
