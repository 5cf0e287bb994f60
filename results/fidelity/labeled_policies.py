"""Which behaviour policies a medium-replay file's episodes, and its labeled ones, come from: per policy (in the
order of the file's ``behaviour`` metadata), the episodes, their mean return, the labeled episodes and theirs;
then how many policies the labeled episodes come from.

    python labeled_policies.py wmr-v2.h5
"""
import sys

import numpy as np

from lawm.data import Dataset
from recipe_rules import per_policy

if __name__ == "__main__":
    dataset = Dataset.load(sys.argv[1])
    returns = per_policy(dataset, dataset.returns)
    labeled = per_policy(dataset, np.array([e.labeled for e in dataset.episodes]))
    print("| policy | episodes | mean return | labeled | their mean return |\n| --- | ---: | ---: | ---: | ---: |")
    for policy, own, mask in zip(dataset.behaviour["policies"], returns, labeled):
        theirs = f"{own[mask].mean():.1f}" if mask.any() else "-"
        print(f"| {policy['policy']} | {len(own)} | {own.mean():.1f} | {mask.sum()} | {theirs} |")
    print(f"\n{sum(mask.any() for mask in labeled)} of {len(labeled)} policies act in the labeled episodes; "
          f"their mean return {dataset.returns[np.concatenate(labeled)].mean():.1f}, the file's {dataset.returns.mean():.1f}")
