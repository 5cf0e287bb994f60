"""Rolling policies out in batched environments, in parallel worker processes, to make datasets.

Episodes are cut into chunks of ``CHUNK`` episodes; each chunk runs in one ``VectorEnv`` with its own
environment seeds and its own torch seed for the policy's sampling, so a dataset is the same for any number
of workers.
"""
from __future__ import annotations

import multiprocessing
from typing import Callable

import numpy as np
import torch
from tqdm.auto import tqdm

from lawm.envs import VectorEnv, episode_seeds

Policy = Callable[[np.ndarray], np.ndarray]  # observations [N, D] -> actions [N, A], sampling with torch's RNG
CHUNK = 16


class UniformPolicy:
    """Actions drawn uniformly from the action box."""

    def __init__(self, low: np.ndarray, high: np.ndarray):
        self.low, self.high = torch.as_tensor(low), torch.as_tensor(high)

    def __call__(self, observations: np.ndarray) -> np.ndarray:
        u = torch.rand(len(observations), len(self.low))
        return (self.low + u * (self.high - self.low)).numpy()


def _rollout(task: str, policy: Policy, seeds: list[int], torch_seed: int) -> tuple[list, ...]:
    """Per episode of one chunk: observations [T+1, D], rewards [T], actions [T, A] and whether it terminated."""
    torch.set_num_threads(1)
    torch.manual_seed(torch_seed)
    env = VectorEnv(task, len(seeds))
    obs, _ = env.reset(seeds)
    observations, rewards, actions, lengths = [obs], [], [], np.zeros(len(seeds), int)
    with torch.inference_mode():
        while env.running.any():
            lengths += env.running
            action = np.clip(policy(obs), env.action_low, env.action_high).astype(np.float32)
            obs, reward, terminated, _, _ = env.step(action)
            observations.append(obs)
            rewards.append(reward)
            actions.append(action)
    env.close()
    observations, rewards, actions = np.stack(observations, 1), np.stack(rewards, 1), np.stack(actions, 1)
    return ([o[:n + 1] for o, n in zip(observations, lengths)], [r[:n] for r, n in zip(rewards, lengths)],
            [a[:n] for a, n in zip(actions, lengths)], terminated.tolist())


def _run_chunk(job):
    return _rollout(*job)


def _chunks(task: str, policy: Policy, episodes: int, seed: int) -> list[tuple]:
    """One policy's rollout jobs: ``CHUNK`` episodes each, with the environment and torch seeds ``seed`` gives."""
    seeds = episode_seeds(seed, episodes)
    torch_seeds = episode_seeds(seed + 1, -(-episodes // CHUNK))
    return [(task, policy, seeds[i:i + CHUNK], torch_seeds[i // CHUNK]) for i in range(0, episodes, CHUNK)]


def collect_parts(task: str, parts: list[tuple[Policy, int, int]], workers: int = 1, progress: bool = True,
                  description: str = "") -> tuple[list, list, list, list]:
    """Roll out each (policy, episodes, seed) part in turn, all parts' chunks in one pool of ``workers``
    processes; returns the episodes as ``collect`` does, part after part. Each part's episodes are those
    ``collect`` gives it alone, so a dataset does not depend on how its parts are scheduled."""
    jobs = [job for policy, episodes, seed in parts for job in _chunks(task, policy, episodes, seed)]
    observations, rewards, actions, terminated = [], [], [], []
    total = sum(episodes for _, episodes, _ in parts)
    with tqdm(total=total, desc=description or f"collect {task}", unit="episode", disable=not progress) as bar:
        pool = multiprocessing.get_context("fork").Pool(workers) if workers > 1 else None
        try:
            for o, r, a, t in (pool.imap(_run_chunk, jobs) if pool else map(_run_chunk, jobs)):
                observations += o
                rewards += r
                actions += a
                terminated += t
                bar.update(len(r))
        finally:
            if pool:
                pool.terminate()
    return observations, rewards, actions, terminated


def collect(task: str, policy: Policy, episodes: int, seed: int, workers: int = 1, progress: bool = True,
            description: str = "") -> tuple[list, list, list, list]:
    """Roll ``policy`` out for ``episodes`` episodes; returns per-episode lists of observations [T+1, D],
    rewards [T] and actions [T, A] (float32) and whether each terminated, in a deterministic order given
    ``seed``."""
    return collect_parts(task, [(policy, episodes, seed)], workers, progress, description)
