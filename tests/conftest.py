"""Shared fixtures: small real datasets made by rolling out the uniform-random policy."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from lawm.data import Dataset, recipes

torch.set_num_threads(1)


def random_dataset(task: str = "walker-walk", episodes: int = 4, label_fraction: float = 0.5,
                   seed: int = 0) -> Dataset:
    return recipes.random_dataset(task, episodes, seed, label_fraction, progress=False)


@pytest.fixture(scope="session")
def walker_dataset() -> Dataset:
    """Four random walker-walk episodes, two of them labeled."""
    return random_dataset()


@pytest.fixture(scope="session")
def walker_file(walker_dataset, tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "walker.h5"
    walker_dataset.save(path)
    return path


def run_lawm(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the command line in a subprocess, as a user would (one torch thread: the cores are shared)."""
    result = subprocess.run([sys.executable, "-m", "lawm", *map(str, args)], capture_output=True, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    if check and result.returncode != 0:
        raise AssertionError(f"lawm {' '.join(map(str, args))} failed:\n{result.stderr}")
    return result
