"""Environment steps per second: a batched random rollout through ``lawm.envs`` against raw dm_control.

Both count control steps (an agent step of lawm is two). The raw loop is the floor any wrapper pays: one
``dm_control`` environment stepped with random actions, no flattening, no batching.
Run: python benchmarks/envs.py [--seconds S] [--num-envs N]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from lawm.envs import ACTION_REPEAT, MAIN_TASKS, VectorEnv

from dm_control import suite  # noqa: E402 (lawm.envs first: it disables OpenGL)


def raw_steps_per_second(task: str, seconds: float) -> float:
    domain, name = task.split("-", 1)
    env = suite.load(domain, name, task_kwargs={"random": 0})
    spec, rng = env.action_spec(), np.random.default_rng(0)
    env.reset()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        if env.step(rng.uniform(spec.minimum, spec.maximum)).last():
            env.reset()
        steps += 1
    return steps / (time.perf_counter() - start)


def lawm_steps_per_second(task: str, seconds: float, num_envs: int) -> float:
    env = VectorEnv(task, num_envs)
    rng = np.random.default_rng(0)
    env.reset(0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        _, _, _, truncated, _ = env.step(rng.uniform(env.action_low, env.action_high, (num_envs, env.action_dim)))
        if truncated[0]:
            env.reset(steps)
        steps += num_envs * ACTION_REPEAT
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--num-envs", type=int, default=16)
    args = parser.parse_args()
    for task in MAIN_TASKS:
        raw = raw_steps_per_second(task, args.seconds)
        ours = lawm_steps_per_second(task, args.seconds, args.num_envs)
        print(f"{task:14s} raw dm_control {raw:8.0f} env steps/s | lawm VectorEnv x{args.num_envs} {ours:8.0f} "
              f"env steps/s | ratio {ours / raw:.2f}x")


if __name__ == "__main__":
    main()
