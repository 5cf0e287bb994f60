"""Return statistics (mean, p25, median, p75) that candidate walker-walk medium-replay rules would give, from the
per-policy returns of a file made by ``make_table4_mix.py`` (every policy from random to the 40k snapshot, its
episodes in the order of the file's ``behaviour`` metadata), beside the paper's Table 4.

    python recipe_rules.py wmr-t4.h5
"""
import sys

import numpy as np

from lawm.data import Dataset

RULES = {  # weights of: random, 10k, 20k, 30k, 40k snapshots
    "the recipe: random, 10k, 20k, 30k, a quarter each": [1, 1, 1, 1, 0],
    "up to the medium recipe's snapshot (40k), a fifth each": [1, 1, 1, 1, 1],
    "each training stretch as the snapshot at its end (10k-40k, a quarter each)": [0, 1, 1, 1, 1],
    "the same, halves at both ends (trapezoid over random ... 40k)": [0.5, 1, 1, 1, 0.5],
    "`wmr-t4.h5` (300 / 300 / 400 / 600 / 400 episodes)": [300, 300, 400, 600, 400],
}


def per_policy(dataset: Dataset, values: np.ndarray) -> list[np.ndarray]:
    """A per-episode array split into one part per behaviour policy, in the order of the file's metadata."""
    counts = [policy["episodes"] for policy in dataset.behaviour["policies"]]
    return np.split(values, np.cumsum(counts)[:-1])


def mixture_statistics(returns: list[np.ndarray], weights: list[float]) -> list[float]:
    """Mean and quartiles of the mixture that draws policy k with probability proportional to weights[k]."""
    values = np.concatenate(returns)
    mass = np.concatenate([np.full(len(r), w / len(r)) for r, w in zip(returns, weights)])
    order = np.argsort(values)
    values, cumulative = values[order], np.cumsum(mass[order]) / mass.sum()
    quantiles = [values[np.searchsorted(cumulative, q)] for q in (0.25, 0.5, 0.75)]
    return [float(values @ (mass[order] / mass.sum())), *quantiles]


if __name__ == "__main__":
    dataset = Dataset.load(sys.argv[1])
    returns = per_policy(dataset, dataset.returns)
    print("| medium-replay rule (walker-walk) | mean | p25 | median | p75 |\n| --- | ---: | ---: | ---: | ---: |")
    print("| the paper's Table 4 | 333.3 | 167.6 | 372.9 | 501.3 |")
    for rule, weights in RULES.items():
        mean, p25, median, p75 = mixture_statistics(returns, weights)
        print(f"| {rule} | {mean:.1f} | {p25:.1f} | {median:.1f} | {p75:.1f} |")
