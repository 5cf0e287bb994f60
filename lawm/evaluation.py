"""Evaluation in the real environment (Table 1): deterministic episodes, normalized score = return / 10."""
from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Protocol

import numpy as np

from lawm.envs import EPISODE_STEPS, VectorEnv, episode_seeds
from lawm.errors import LawmError

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


def evaluate(policy: Policy, task: str, episodes: int = 10, seed: int = 0, num_envs: int = 10) -> dict:
    """Run ``episodes`` episodes of the policy's mode and summarise their returns."""
    if episodes < 1:
        raise LawmError(f"evaluation needs at least one episode, got {episodes}")
    seeds = episode_seeds(EVAL_SEED_OFFSET + seed, episodes)
    returns = []
    for first in range(0, episodes, num_envs):
        batch = seeds[first:first + num_envs]
        env = VectorEnv(task, len(batch))
        obs, _ = env.reset(batch)
        policy.reset(len(batch))
        total = np.zeros(len(batch))
        for _ in range(EPISODE_STEPS):
            obs, reward, _, _, _ = env.step(policy.act(obs))
            total += reward
        returns += total.tolist()
    returns = np.array(returns)
    return dict(task=task, episodes=episodes, seed=seed, returns=returns.tolist(),
                mean_return=float(returns.mean()), std_return=float(returns.std()),
                normalized_score=float(returns.mean() / 10))


def describe(run_dir: str | Path, result: dict) -> str:
    """One line on an evaluation result, as the commands print it."""
    return (f"{run_dir}: {result['task']} mean return {result['mean_return']:.1f} (normalized score "
            f"{result['normalized_score']:.1f}) over {result['episodes']} episodes")


def load_policy(run_dir: str | Path) -> tuple[Policy, dict]:
    """The final policy of a finished run folder, and the folder's config."""
    config_path = Path(run_dir) / "config.json"
    if not config_path.exists():
        raise LawmError(f"{run_dir} is not a run folder (it has no config.json)")
    config = json.loads(config_path.read_text())
    algorithm = config.get("algorithm")
    if algorithm not in POLICY_LOADERS:
        raise LawmError(f"{config_path} names algorithm {algorithm!r}, which lawm cannot evaluate; known: "
                        f"{', '.join(POLICY_LOADERS)}")
    module, function = POLICY_LOADERS[algorithm].split(":")
    return getattr(importlib.import_module(module), function)(Path(run_dir), config), config
