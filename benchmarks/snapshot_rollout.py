"""What the float64 forward pass of the behaviour snapshots costs: a policy call and a dataset rollout.

The recipes roll out ``SnapshotPolicy``, which computes in float64 and rounds its actions to float32 (so that
every CPU makes the same file). Against it: the same snapshot computing in float32, as before. Times a policy
call on a batch of 16 observations (one rollout chunk) and ``collect`` of ``--episodes`` episodes of each
task's last SAC snapshot, alternating the two, one thread: the median of ``--repeats`` calls of 1000, and the
fastest of ``--repeats`` rollouts (the physics dominates them, and other jobs' noise only adds time).
Run: python benchmarks/snapshot_rollout.py [--episodes 16] [--repeats 3]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from lawm.data.collect import collect
from lawm.data.recipes import POLICIES, SnapshotPolicy, read_manifest
from lawm.envs import MAIN_TASKS, Env


class Float32Snapshot(SnapshotPolicy):
    """The same snapshot computing in float32."""

    def __init__(self, *args):
        super().__init__(*args)
        self.actor.float()

    @torch.no_grad()
    def __call__(self, observations: np.ndarray) -> np.ndarray:
        return self.actor.sample(torch.as_tensor(observations, dtype=torch.float32))[0].numpy()


def median_seconds(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for task in MAIN_TASKS:
        folder = POLICIES / task / "sac"
        manifest, snapshots = read_manifest(folder)
        env = Env(task)
        build = (folder / snapshots[-1].file, env.observation_dim, env.action_dim, manifest["trained_with"])
        policies = dict(float32=Float32Snapshot(*build), float64=SnapshotPolicy(*build))
        observations = np.random.default_rng(0).normal(size=(16, env.observation_dim)).astype(np.float32)
        call, rollout = {}, {}
        for name, policy in policies.items():
            call[name] = median_seconds(lambda: [policy(observations) for _ in range(1000)], args.repeats) / 1000
        for _ in range(args.repeats):
            for name, policy in policies.items():
                start = time.perf_counter()
                collect(task, policy, args.episodes, 0, progress=False)
                rollout[name] = min(rollout.get(name, float("inf")), time.perf_counter() - start)
        print(f"{task}: policy call (16 observations) float32 {call['float32'] * 1e6:.0f} us, float64 "
              f"{call['float64'] * 1e6:.0f} us ({call['float64'] / call['float32']:.2f}x); rollout of "
              f"{args.episodes} episodes float32 {rollout['float32']:.2f} s, float64 {rollout['float64']:.2f} s "
              f"({rollout['float64'] / rollout['float32']:.3f}x)")


if __name__ == "__main__":
    main()
