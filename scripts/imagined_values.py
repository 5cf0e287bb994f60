"""What the latent-action policies of finished LAWM / C-LAP run folders find inside their own world model,
beside what they score in the environment.

For each run it prints the mean, over the last ``--last`` policy log lines of ``metrics.jsonl``, of the reward the
model predicts along the policy's imagined rollouts and of the critics' value of those states (both per agent
step, the value in reward units: ``lawm.latent_policy.policy`` scales returns by 1 - gamma), and the final
normalized score of ``eval.json``. A policy that fools its model shows a high value beside a low score; one that
finds little in its model, a low value beside a low score. The rollouts start from the dataset's states, so the
value sits below what the policy earns from the environment's own start states.

Usage: python scripts/imagined_values.py RUN_DIR... [--last 10]
"""
import argparse
import json
from pathlib import Path

import numpy as np

from lawm.common.run import final_evaluation


def imagined(run: Path, last: int) -> dict[str, float]:
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    policy = [m for m in lines if "policy/value" in m][-last:]
    if not policy:
        raise SystemExit(f"{run} logs no policy training (policy/value) in metrics.jsonl: not a LAWM or C-LAP run")
    return dict(reward=float(np.mean([m["policy/imagined_reward"] for m in policy])),
                value=float(np.mean([m["policy/value"] for m in policy])),
                score=final_evaluation(run)["normalized_score"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="finished LAWM or C-LAP run folders")
    parser.add_argument("--last", type=int, default=10, help="policy log lines to average (default 10)")
    args = parser.parse_args()
    print("| run | imagined reward a step | value | final score |")
    print("| --- | ---: | ---: | ---: |")
    for run in args.runs:
        r = imagined(run, args.last)
        print(f"| {run} | {r['reward']:.3f} | {r['value']:.3f} | {r['score']:.1f} |")


if __name__ == "__main__":
    main()
