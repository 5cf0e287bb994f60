"""The same dataset on every CPU: the first episodes of every recipe hash to the committed values.

``recipe_hashes.json`` holds the content hash of ``make_dataset(task, kind, episodes=2, seed=0)`` for the 12
recipes of the paper's tasks; the behaviour snapshots act in float64, so no CPU kernel or thread count may
change them. After a deliberate change to the recipes or snapshots, rewrite the file with
``python tests/test_recipe_hashes.py``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from lawm.data.recipes import KINDS, POLICIES, SnapshotPolicy, make_dataset, read_manifest
from lawm.envs import MAIN_TASKS, Env

HASHES = Path(__file__).with_name("recipe_hashes.json")
EPISODES, SEED = 2, 0


def first_episodes_hash(task: str, kind: str) -> str:
    return make_dataset(task, kind, EPISODES, SEED, progress=False).content_hash()


@pytest.mark.parametrize("task", MAIN_TASKS)
def test_first_episodes_of_every_recipe_hash_to_the_committed_values(task):
    expected = json.loads(HASHES.read_text())
    assert {kind: first_episodes_hash(task, kind) for kind in KINDS} == {kind: expected[f"{task}/{kind}"]
                                                                         for kind in KINDS}


@pytest.mark.parametrize("task", MAIN_TASKS)
def test_snapshot_outputs_do_not_depend_on_the_matmul_kernel(task):
    """A batch goes through matrix-matrix kernels, a single row through matrix-vector ones: in float32 most
    outputs differ in their last bits between the two (on the AVX2 AMD EPYC about 90 %), rounded from float64
    none may."""
    folder = POLICIES / task / "sac"
    manifest, snapshots = read_manifest(folder)
    env = Env(task)
    actor = SnapshotPolicy(folder / snapshots[-1].file, env.observation_dim, env.action_dim,
                           manifest["trained_with"]).actor
    observations = torch.from_numpy(np.random.default_rng(0).normal(0, 3, (64, env.observation_dim))).double()
    with torch.no_grad():
        batch = torch.cat(actor(observations), -1).float()
        rows = torch.cat([torch.cat(actor(row[None]), -1) for row in observations]).float()
    assert torch.equal(batch, rows)


if __name__ == "__main__":
    HASHES.write_text(json.dumps({f"{task}/{kind}": first_episodes_hash(task, kind) for task in MAIN_TASKS
                                  for kind in KINDS}, indent=2) + "\n")
    print(HASHES.read_text())
