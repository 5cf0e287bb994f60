"""Record a small Minari dataset with Minari's own DataCollector: uniform-random episodes of a Gymnasium task,
with reference scores for the D4RL-normalized score. Needs minari[create] (the dev extra).

Usage: python scripts/record_minari.py DATASET_ID [--env Hopper-v5] [--episodes 20] [--seed 0]
           [--ref-min-score -20.3] [--ref-max-score 3234.3]
The dataset lands under MINARI_DATASETS_PATH (default ~/.minari/datasets). The default reference scores are
D4RL's for Hopper.
"""
import argparse

import gymnasium as gym
from minari import DataCollector


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset_id", help="namespace/name-v0 (a one-letter namespace is refused)")
    parser.add_argument("--env", default="Hopper-v5", help="a Gymnasium environment id (default Hopper-v5)")
    parser.add_argument("--episodes", type=int, default=20, help="episodes to record (default 20)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the actions and the first episode")
    parser.add_argument("--ref-min-score", type=float, default=-20.272305, help="return of a random policy")
    parser.add_argument("--ref-max-score", type=float, default=3234.3, help="return of an expert policy")
    args = parser.parse_args()
    env = DataCollector(gym.make(args.env))
    env.action_space.seed(args.seed)
    for episode in range(args.episodes):
        env.reset(seed=args.seed + episode)
        ended = False
        while not ended:
            *_, terminated, truncated, _ = env.step(env.action_space.sample())
            ended = terminated or truncated
    env.create_dataset(args.dataset_id, algorithm_name="uniform-random", ref_min_score=args.ref_min_score,
                       ref_max_score=args.ref_max_score)
    print(f"recorded {args.episodes} {args.env} episodes as the Minari dataset {args.dataset_id}")


if __name__ == "__main__":
    main()
