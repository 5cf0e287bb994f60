"""Which behaviour policies a medium-replay file's episodes, and its labeled ones, come from: per policy (in the
order of the file's ``behaviour`` metadata), the episodes, their mean return, the labeled episodes and theirs.

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
        print(f"| {policy['policy']} | {len(own)} | {own.mean():.1f} | {mask.sum()} | {own[mask].mean():.1f} |")
