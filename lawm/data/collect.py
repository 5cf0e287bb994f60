"""Rolling policies out in batched environments to make datasets."""
from __future__ import annotations

from typing import Callable

import numpy as np
from tqdm.auto import tqdm

from lawm.envs import EPISODE_STEPS, VectorEnv, episode_seeds

Policy = Callable[[np.ndarray], np.ndarray]  # observations [N, D] -> actions [N, A]


class UniformPolicy:
    """Actions drawn uniformly from the action box."""

    def __init__(self, low: np.ndarray, high: np.ndarray, seed: int):
        self.low, self.high, self.rng = low, high, np.random.default_rng(seed)

    def __call__(self, observations: np.ndarray) -> np.ndarray:
        return self.rng.uniform(self.low, self.high, (len(observations), len(self.low))).astype(np.float32)


def collect(task: str, policy: Policy, episodes: int, seed: int, num_envs: int = 16,
            progress: bool = True, description: str = "") -> tuple[list, list, list]:
    """Roll ``policy`` out for ``episodes`` episodes, each reset with its own seed derived from ``seed``.

    Returns per-episode lists of observations [T+1, D], rewards [T] and actions [T, A] (float32).
    """
    env = VectorEnv(task, min(num_envs, episodes))
    seeds = episode_seeds(seed, episodes)
    observations, rewards, actions = [], [], []
    with tqdm(total=episodes * EPISODE_STEPS, desc=description or f"collect {task}", unit="step",
              disable=not progress, unit_scale=True) as bar:
        for first in range(0, episodes, env.num_envs):
            count = min(env.num_envs, episodes - first)
            if count != env.num_envs:
                env = VectorEnv(task, count)
            obs, _ = env.reset(seeds[first:first + count])
            o, r, a = [obs], [], []
            for _ in range(EPISODE_STEPS):
                action = np.clip(policy(obs), env.action_low, env.action_high).astype(np.float32)
                obs, reward, _, _, _ = env.step(action)
                o.append(obs)
                r.append(reward)
                a.append(action)
                bar.update(count)
            observations += list(np.stack(o, 1))
            rewards += list(np.stack(r, 1))
            actions += list(np.stack(a, 1))
    return observations, rewards, actions
