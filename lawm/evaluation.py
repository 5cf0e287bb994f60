"""Evaluation in the real environment (Table 1): deterministic episodes until each ends (a time-out or a
termination), the raw return and a normalized score: return / 10 for DMC tasks (returns lie in [0, 1000]),
the D4RL normalization 100 * (return - ref_min) / (ref_max - ref_min) where the dataset carries reference
scores (Minari's ``ref_min_score`` and ``ref_max_score``), and none otherwise."""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Protocol

import numpy as np

from lawm.common.run import saved_config
from lawm.envs import VectorEnv, can_terminate, episode_seeds
from lawm.errors import LawmError
from lawm.video import Video

EVAL_SEED_OFFSET = 1_000_003  # evaluation episodes never reuse the initial states of dataset episodes

# config["algorithm"] of a run folder -> "module:function" that rebuilds its policy from the folder
POLICY_LOADERS = {
    "lawm": "lawm.latent_policy.agent:load_policy",
    "clap": "lawm.latent_policy.agent:load_policy",
    "td3bc": "lawm.baselines.td3bc:load_policy",
    "idm-td3bc": "lawm.baselines.td3bc:load_policy",
}


class Policy(Protocol):
    def reset(self, num_envs: int) -> None:
        """Start new episodes in ``num_envs`` environments (stateful policies clear their state)."""

    def act(self, observations: np.ndarray) -> np.ndarray:
        """Deterministic actions [N, A] for observations [N, D]."""


def normalized_score(task: str, mean_return: float, reference: tuple[float, float] | None = None) -> float | None:
    """The score of Table 1 (DMC: return / 10), or the D4RL-normalized one given reference scores (min, max)."""
    if reference is not None:
        low, high = reference
        return 100 * (mean_return - low) / (high - low)
    return None if can_terminate(task) else mean_return / 10


def evaluate(policy: Policy, task: str, episodes: int = 10, seed: int = 0, num_envs: int = 10,
             reference: tuple[float, float] | None = None, video: Video | None = None) -> dict:
    """Run ``episodes`` episodes of the policy's mode and summarise their returns; with ``video``, film the
    first ``video.episodes`` of them."""
    if episodes < 1:
        raise LawmError(f"evaluation needs at least one episode, got {episodes}")
    seeds = episode_seeds(EVAL_SEED_OFFSET + seed, episodes)
    returns, lengths = [], []
    for first in range(0, episodes, num_envs):
        batch = seeds[first:first + num_envs]
        filmed = min(video.episodes, len(batch)) if video is not None and first == 0 else 0
        env = VectorEnv(task, len(batch), render_size=video.size if filmed else None)
        obs, _ = env.reset(batch)
        policy.reset(len(batch))
        total, steps = np.zeros(len(batch)), np.zeros(len(batch), int)
        while env.running.any():
            if env.running[:filmed].any():
                video.add(int(steps[:filmed].max()), lambda: env.render(filmed))
            steps += env.running
            obs, reward, _, _, _ = env.step(policy.act(obs))
            total += reward
        env.close()
        returns += total.tolist()
        lengths += steps.tolist()
    returns = np.array(returns)
    score = normalized_score(task, float(returns.mean()), reference)
    return dict(task=task, episodes=episodes, seed=seed, returns=returns.tolist(), lengths=lengths,
                mean_return=float(returns.mean()), std_return=float(returns.std()), normalized_score=score,
                reference_scores=None if reference is None else list(reference))


def describe(run_dir: str | Path, result: dict) -> str:
    """One line on an evaluation result, as the commands print it."""
    score = result["normalized_score"]
    normalized = "no reference scores to normalize by" if score is None else f"normalized score {score:.1f}"
    return f"{run_dir}: {result['task']} mean return {result['mean_return']:.1f} ({normalized}) over " \
           f"{result['episodes']} episodes"


def load_policy(run_dir: str | Path) -> tuple[Policy, dict]:
    """The final policy of a finished run folder, and the folder's config."""
    config = saved_config(run_dir)
    algorithm = config.get("algorithm")
    if algorithm not in POLICY_LOADERS:
        raise LawmError(f"{Path(run_dir) / 'config.json'} names algorithm {algorithm!r}, which lawm cannot evaluate; known: "
                        f"{', '.join(POLICY_LOADERS)}")
    module, function = POLICY_LOADERS[algorithm].split(":")
    return getattr(importlib.import_module(module), function)(Path(run_dir), config), config
