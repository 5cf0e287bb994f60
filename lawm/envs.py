"""DeepMind Control Suite tasks as seeded environments with flat state observations (design section 2).

An agent step repeats the action for ``ACTION_REPEAT`` physics-control steps and sums their rewards, so an
episode of 1000 control steps is ``EPISODE_STEPS`` = 500 agent steps and its return lies in [0, 1000].
The full state is flattened to one float32 vector with the observation keys in sorted order.
"""
from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "disable")  # physics only: no OpenGL context is ever needed

import functools

import numpy as np

from lawm.errors import LawmError

ACTION_REPEAT = 2
EPISODE_STEPS = 500
MAIN_TASKS = ("cheetah-run", "walker-walk", "hopper-stand")



@functools.cache
def _suite():
    """dm_control's suite, imported on first use: code that only trains on files needs no simulator."""
    from absl import logging as absl_logging
    from dm_control import suite

    absl_logging.set_verbosity(absl_logging.ERROR)  # MuJoCo's model deprecation notices are not the user's concern
    return suite


def task_names() -> list[str]:
    """Every dm_control suite task as ``domain-task``."""
    return sorted(f"{domain}-{task}" for domain, task in _suite().ALL_TASKS)


def _domain_and_task(name: str) -> tuple[str, str]:
    if name not in task_names():
        raise LawmError(f"unknown task '{name}'; known tasks are: {', '.join(task_names())}")
    domain, task = name.split("-", 1)
    return domain, task


def episode_seeds(seed: int | list[int], count: int) -> list[int]:
    """``count`` independent 32-bit seeds derived from a seed or a list of them (same seed, same list)."""
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(count)]


class Env:
    """One task with a Gymnasium-style interface: ``reset(seed=)`` and ``step(action)``."""

    def __init__(self, name: str, seed: int | None = None):
        domain, task = _domain_and_task(name)
        self.name = name
        self._env = _suite().load(domain, task, task_kwargs={"random": seed})
        self._keys = sorted(self._env.observation_spec())
        spec = self._env.action_spec()
        self.action_low = spec.minimum.astype(np.float32)
        self.action_high = spec.maximum.astype(np.float32)
        self.action_dim = int(spec.shape[0])
        self.observation_dim = int(sum(np.prod(s.shape, dtype=int) for s in self._env.observation_spec().values()))
        self._steps = 0

    def _flatten(self, observation) -> np.ndarray:
        return np.concatenate([np.asarray(observation[k], np.float32).ravel() for k in self._keys])

    def reset(self, seed: int | None = None) -> tuple[np.ndarray, dict]:
        """Start an episode; a seed makes its initial state reproducible."""
        if seed is not None:
            self._env.task._random = np.random.RandomState(seed)  # noqa: SLF001 (dm_control keeps the task RNG here)
        self._steps = 0
        return self._flatten(self._env.reset().observation), {}

    def step(self, action) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Apply ``action`` for ``ACTION_REPEAT`` control steps; DMC tasks never terminate, they time out."""
        if self._steps >= EPISODE_STEPS:
            raise LawmError(f"the {self.name} episode is over after {EPISODE_STEPS} steps; call reset() first")
        action = np.clip(np.asarray(action, np.float64), self.action_low, self.action_high)
        reward = 0.0
        for _ in range(ACTION_REPEAT):
            step = self._env.step(action)
            reward += step.reward or 0.0
        self._steps += 1
        return self._flatten(step.observation), float(reward), False, self._steps >= EPISODE_STEPS, {}


class VectorEnv:
    """``num_envs`` copies of one task stepped in lockstep: arrays in, arrays out, for batched policies."""

    def __init__(self, name: str, num_envs: int):
        if num_envs < 1:
            raise LawmError(f"num_envs must be at least 1, got {num_envs}")
        self.envs = [Env(name) for _ in range(num_envs)]
        first = self.envs[0]
        self.name, self.num_envs = name, num_envs
        self.observation_dim, self.action_dim = first.observation_dim, first.action_dim
        self.action_low, self.action_high = first.action_low, first.action_high

    def reset(self, seeds: int | list[int]) -> tuple[np.ndarray, dict]:
        """Reset every copy; an int is expanded with ``episode_seeds``, a list gives one seed per copy."""
        seeds = episode_seeds(seeds, self.num_envs) if isinstance(seeds, (int, np.integer)) else list(seeds)
        if len(seeds) != self.num_envs:
            raise LawmError(f"reset got {len(seeds)} seeds for {self.num_envs} environments")
        return np.stack([env.reset(seed)[0] for env, seed in zip(self.envs, seeds)]), {}

    def step(self, actions) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
        """Step every copy with its row of ``actions`` [num_envs, action_dim]."""
        results = [env.step(a) for env, a in zip(self.envs, np.asarray(actions))]
        obs, rewards, terminated, truncated, _ = zip(*results)
        return (np.stack(obs), np.asarray(rewards, np.float32), np.asarray(terminated),
                np.asarray(truncated), {})
