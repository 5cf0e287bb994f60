#!/usr/bin/env bash
# The commands that trained the committed behaviour snapshots (lawm/assets/policies). Each run resumes
# from its last checkpoint when rerun, so this script can be restarted after an interruption.
# Usage: scripts/train_behaviour.sh RUNS_DIR {cheetah|others}   (two lanes, one CPU core each)
#        scripts/train_behaviour.sh RUNS_DIR replay SEED...      (walker-walk's medium-replay runs: seeds 1, 3, 5
#                                                                 on one core, 2, 4 on the other)
set -euo pipefail
runs=${1:?runs folder}
lane=${2:?lane}
case "$lane" in
  cheetah)
    lawm behaviour sac cheetah-run --run "$runs/cheetah-run-sac" --set steps=750000 ;;
  others)
    lawm behaviour sac walker-walk --run "$runs/walker-walk-sac" --set steps=150000
    lawm behaviour explore walker-walk --run "$runs/walker-walk-explore" --set steps=100000
    # hopper began as a 300k-step run and was cut to 180k once past expert level (922 at 170k)
    lawm behaviour sac hopper-stand --run "$runs/hopper-stand-sac" --set steps=180000
    for task in hopper-stand cheetah-run; do
      lawm behaviour explore "$task" --run "$runs/$task-explore" --set steps=100000
    done ;;
  replay)
    # Export keeps each run up to its first snapshot at the medium level (544 on walker-walk), so the runs
    # were stopped there (within 10 s of that snapshot); running on to 50k steps exports the same snapshots.
    for seed in "${@:3}"; do
      lawm behaviour sac walker-walk --run "$runs/walker-walk-sac-s$seed" --seed "$seed" \
        --set steps=50000 --set snapshot_every=2000
      lawm behaviour export "$runs/walker-walk-sac-s$seed" --out lawm/assets/policies/walker-walk/replay --replay
    done ;;
  *) echo "lane must be cheetah, others or replay" >&2; exit 2 ;;
esac
