"""LAWM's training and acting on a CUDA GPU, at the tiny preset (skipped where torch sees no GPU)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lawm.common.config import build
from lawm.common.run import RunFolder
from lawm.data import Dataset
from lawm.latent_policy import CLAP
from lawm.latent_policy.agent import Training
from lawm.world_model import PRESETS, Config

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def noise_dataset(episodes: int = 4, steps: int = 50) -> Dataset:
    """Random walker-walk-shaped episodes, half of them labeled: shapes are all this test needs (no simulator)."""
    rng = np.random.default_rng(0)
    bound = np.ones(6, np.float32)
    return Dataset.from_rollouts("walker-walk", [rng.standard_normal((steps + 1, 24), np.float32) for _ in range(episodes)],
                                 [rng.random(steps, np.float32) for _ in range(episodes)],
                                 [rng.uniform(-1, 1, (steps, 6)).astype(np.float32) for _ in range(episodes)],
                                 label_fraction=0.5, label_seed=0, action_low=-bound, action_high=bound)


def test_both_phases_train_on_the_gpu_and_the_checkpoint_resumes_on_the_cpu(tmp_path):
    config = build(Config, PRESETS, "tiny", [])
    agent = CLAP(config, device="cuda")
    training = Training(agent, noise_dataset())
    devices = {p.device.type for module in (agent.model, agent.policy) for p in module.parameters()}
    assert devices == {"cuda"}
    model = [training.update(step) for step in range(config.model_steps)]
    policy = [training.update(config.model_steps + step) for step in range(3)]
    for metrics in (model[-1], policy[-1]):
        assert all(torch.isfinite(torch.as_tensor(value)).all() for value in metrics.values())
    assert np.mean([float(m["model/loss"]) for m in model[-5:]]) < np.mean([float(m["model/loss"]) for m in model[:5]])
    agent.reset(2)
    actions = agent.act(np.zeros((2, 24), np.float32))
    assert isinstance(actions, np.ndarray) and actions.shape == (2, 6) and np.all(np.abs(actions) <= 1)

    run = RunFolder(tmp_path, dict(algorithm="clap"))
    run.save_checkpoint(training.state_dict())
    on_cpu = Training(CLAP(config), noise_dataset())
    on_cpu.load_state_dict(run.load_checkpoint())
    for name, value in on_cpu.agent.model.state_dict().items():
        assert value.device.type == "cpu" and torch.equal(value, agent.model.state_dict()[name].cpu()), name
