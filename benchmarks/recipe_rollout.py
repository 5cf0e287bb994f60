"""What one worker pool for all of a recipe's policies saves against a pool for each policy.

``make_dataset`` rolls out every (policy, episodes, seed) part of a recipe in one pool (``collect_parts``).
Against it: one ``collect`` call per part, each forking its own pool, as before. walker-walk's medium-replay
rolls out 79 policies, about 25 episodes each in a 2000-episode file. Makes the same ``--episodes`` file both
ways, alternating, prints the fastest of ``--repeats`` wall times each, their ratio, and whether the two files'
content hashes agree (they must).
Run: python benchmarks/recipe_rollout.py [--task walker-walk] [--kind medium-replay] [--episodes 100]
"""
from __future__ import annotations

import argparse
import time
from unittest import mock

from lawm.data import collect
from lawm.data import recipes


def pool_per_policy(task, parts, workers=1, progress=True, description=""):
    """The parts rolled out one ``collect`` call (and one pool) after another, concatenated."""
    rollouts = ([], [], [], [])
    for policy, episodes, seed in parts:
        for whole, piece in zip(rollouts, collect(task, policy, episodes, seed, workers, progress=False)):
            whole += piece
    return rollouts


def timed(args) -> tuple[float, str]:
    start = time.perf_counter()
    dataset = recipes.make_dataset(args.task, args.kind, args.episodes, workers=args.workers, progress=False)
    return time.perf_counter() - start, dataset.content_hash()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="walker-walk")
    parser.add_argument("--kind", default="medium-replay")
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    times = {"one pool": [], "a pool per policy": []}
    hashes = {}
    for _ in range(args.repeats):
        for name in times:
            if name == "one pool":
                seconds, hashes[name] = timed(args)
            else:
                with mock.patch.object(recipes, "collect_parts", pool_per_policy):
                    seconds, hashes[name] = timed(args)
            times[name].append(seconds)
    parts = len(recipes._recipe_policies(args.task, args.kind)[2])
    print(f"{args.task} {args.kind}, {args.episodes} episodes from up to {parts} policies, {args.workers} workers")
    for name, seconds in times.items():
        print(f"  {name:>18}: {min(seconds):7.1f} s (fastest of {args.repeats})")
    print(f"  ratio: {min(times['a pool per policy']) / min(times['one pool']):.2f}x; "
          f"same file: {hashes['one pool'] == hashes['a pool per policy']}")


if __name__ == "__main__":
    main()
