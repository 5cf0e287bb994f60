#!/usr/bin/env bash
# The commands that trained the committed behaviour snapshots (lawm/assets/policies). Each run resumes
# from its last checkpoint when rerun, so this script can be restarted after an interruption.
# Usage: scripts/train_behaviour.sh RUNS_DIR {cheetah|others}   (two lanes, one CPU core each)
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
  *) echo "lane must be cheetah or others" >&2; exit 2 ;;
esac
