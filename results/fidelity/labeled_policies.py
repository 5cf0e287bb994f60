"""Which behaviour policies a medium-replay file's episodes, and its labeled ones, come from: per policy (in the
order of the file's ``behaviour`` metadata), the episodes, their mean return, the labeled episodes and theirs.

    python labeled_policies.py wmr-v2.h5
"""
import sys

import numpy as np

from lawm.data import Dataset
from recipe_rules import per_policy_returns

if __name__ == "__main__":
    dataset = Dataset.load(sys.argv[1])
    policies = dataset.behaviour["policies"]
    labeled = np.split(np.array([e.labeled for e in dataset.episodes]), np.cumsum([p["episodes"] for p in policies])[:-1])
    print("| policy | episodes | mean return | labeled | their mean return |\n| --- | ---: | ---: | ---: | ---: |")
    for policy, returns, mask in zip(policies, per_policy_returns(dataset), labeled):
        print(f"| {policy['policy']} | {len(returns)} | {returns.mean():.1f} | {mask.sum()} | {returns[mask].mean():.1f} |")
