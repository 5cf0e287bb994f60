"""Gymnasium tasks that terminate: the environment, the dataset file, the world model's continuation targets,
the imagined lambda-returns, TD3+BC's targets and the D4RL-normalized score."""
import json

import h5py
import numpy as np
import pytest
import torch
from conftest import random_dataset

from lawm.baselines import td3bc
from lawm.common.config import build
from lawm.common.nets import Normalizer
from lawm.data import Dataset, WindowSampler
from lawm.envs import Env, VectorEnv
from lawm.errors import LawmError
from lawm.evaluation import normalized_score
from lawm.latent_policy import LAWM
from lawm.latent_policy.policy import lambda_returns
from lawm.world_model import PRESETS, Config, WorldModel

TASK = "gym:Hopper-v5"


@pytest.fixture(scope="module")
def hopper():
    """Eight uniform-random Hopper-v5 episodes (a random hopper falls within about a hundred steps), half labeled."""
    return random_dataset(TASK, episodes=8)


def test_gym_env_terminates_and_a_vector_env_stops_stepping_ended_copies():
    env = Env(TASK)
    assert (env.observation_dim, env.action_dim, env.max_steps) == (11, 3, 1000)
    vec = VectorEnv(TASK, 2)
    vec.reset([0, 1])
    rng = np.random.default_rng(0)
    while vec.running[0] or vec.running[1]:
        before = vec.running.copy()
        obs, reward, terminated, truncated, _ = vec.step(rng.uniform(-1, 1, (2, 3)))
        for i in np.flatnonzero(~before):  # an ended copy stands still and earns nothing
            assert reward[i] == 0 and terminated[i] and np.array_equal(obs[i], final[i])
        final = obs.copy()
    assert terminated.all() and not truncated.any()


def test_unknown_or_unsuitable_gym_tasks_are_refused():
    with pytest.raises(LawmError, match="unknown task 'gym:Hopper-v99'"):
        Env("gym:Hopper-v99")
    with pytest.raises(LawmError, match="needs Box observation and action spaces"):
        Env("gym:CartPole-v1")


def test_dataset_file_keeps_terminations_and_dmc_files_carry_none(hopper, walker_file, tmp_path):
    assert hopper.terminated_mask.all() and hopper.episodes[0].length < 1000
    path = tmp_path / "hopper.h5"
    hopper.save(path)
    loaded = Dataset.load(path)
    np.testing.assert_array_equal(loaded.terminated_mask, hopper.terminated_mask)
    with h5py.File(path) as f:
        np.testing.assert_array_equal(f.attrs["terminated_episodes"], np.arange(8))
    with h5py.File(walker_file) as f:
        assert "terminated_episodes" not in f.attrs and "source" not in f.attrs
    assert not Dataset.load(walker_file).terminated_mask.any()
    bad = tmp_path / "walker.h5"
    bad.write_bytes(walker_file.read_bytes())
    with h5py.File(bad, "r+") as f:
        f.attrs["terminated_episodes"] = [0]
    with pytest.raises(LawmError, match="lists episodes, but walker-walk episodes never terminate"):
        Dataset.load(bad)


def test_windows_mark_the_terminal_step(hopper):
    sampler = WindowSampler(hopper, 4, seed=0)
    batch = sampler.sample(256)
    last_obs = [e.observations[-1] for e in hopper.episodes]
    for obs, terminals in zip(batch["observations"].numpy(), batch["terminals"].numpy()):
        ends_episode = any(np.array_equal(obs[-1], o) for o in last_obs)
        np.testing.assert_array_equal(terminals, [0, 0, 0, float(ends_episode)])
    assert batch["terminals"].sum() > 0


def test_world_model_continuation_target_is_zero_at_the_terminal_state(hopper):
    """The Bernoulli likelihood of going on: a terminal o_{t+1} turns the target of s_{t+1} from 1 to 0, which
    changes that window's term by exactly the logit / L (BCE(l, 0) - BCE(l, 1) = l), and nothing else."""
    config = build(Config, PRESETS, "tiny", [])
    model = WorldModel(config, hopper.observation_dim, hopper.action_low, hopper.action_high, continuation=True)
    batch = WindowSampler(hopper, 6, seed=0).sample(4)
    batch["terminals"] = torch.zeros_like(batch["terminals"])
    ended = dict(batch, terminals=batch["terminals"].clone())
    ended["terminals"][0, -1] = 1.0
    terms = {}
    for name, data in (("going on", batch), ("ended", ended)):
        torch.manual_seed(0)
        terms[name] = model.loss_terms(data)[0]
    torch.manual_seed(0)  # the same posterior states as inside loss_terms
    out = model.filter(model.embed(batch["observations"]), batch["actions"], batch["labeled"])
    logit = model.continuation_logits(out["states"].feature[0, -1])
    delta = terms["ended"]["continuation_nll"] - terms["going on"]["continuation_nll"]
    torch.testing.assert_close(delta, torch.stack([logit / 6, *torch.zeros(3)]).detach(), atol=1e-5, rtol=1e-4)
    for name in terms["ended"]:
        if name != "continuation_nll":
            torch.testing.assert_close(terms["ended"][name], terms["going on"][name])


def test_dmc_world_model_has_no_continuation_head(walker_dataset):
    config = build(Config, PRESETS, "tiny", [])
    model = WorldModel(config, walker_dataset.observation_dim, walker_dataset.action_low, walker_dataset.action_high)
    batch = WindowSampler(walker_dataset, 4, seed=0).sample(2)
    assert "continuation_nll" not in model.loss_terms(batch)[0]
    assert torch.equal(model.continuation(torch.zeros(3, config.deter + config.stoch)), torch.ones(3))


def test_lambda_returns_stop_at_a_predicted_termination():
    rewards = torch.tensor([[1.0], [2.0], [3.0]])
    values = torch.tensor([[10.0], [20.0], [30.0], [40.0]])
    discounts = torch.tensor([[0.9], [0.0], [0.9]])  # s_2 is terminal
    returns = lambda_returns(rewards, values, discounts, lam=0.5)
    assert returns[1].item() == 2.0  # nothing after the termination counts
    assert returns[0].item() == pytest.approx(1 + 0.9 * (0.5 * 20 + 0.5 * 2))
    changed = lambda_returns(rewards, values * torch.tensor([[1.0], [1.0], [7.0], [7.0]]), discounts, lam=0.5)
    torch.testing.assert_close(changed[:2], returns[:2])


def td3bc_agent(dataset: Dataset) -> td3bc.TD3BC:
    observations = np.concatenate([e.observations for e in dataset.episodes])
    return td3bc.TD3BC(td3bc.make_config("tiny"), Normalizer.of(observations), dataset.action_low,
                       dataset.action_high)


def test_td3bc_does_not_bootstrap_past_a_terminal(hopper):
    agent = td3bc_agent(hopper)
    data = hopper.oracle()
    table = td3bc.transitions(data, agent)
    ends = np.cumsum([e.length for e in data.episodes]) - 1
    expected = np.ones(data.num_transitions, np.float32)
    expected[ends] = 0.0  # every random hopper episode ends in a fall
    np.testing.assert_array_equal(table["continues"].numpy(), expected)
    trainer = td3bc.Trainer(td3bc.make_config("tiny"), agent, table)
    reward, next_obs = table["rewards"][:4], table["next_obs"][:4]
    terminal = trainer.target(reward, torch.zeros(4), next_obs)
    going_on = trainer.target(reward, torch.ones(4), next_obs)
    torch.testing.assert_close(terminal, reward)
    assert not torch.allclose(going_on, reward)


def test_td3bc_bootstraps_through_time_outs(walker_dataset):
    table = td3bc.transitions(walker_dataset.oracle(), td3bc_agent(walker_dataset))
    assert table["continues"].eq(1).all()  # DMC episodes time out


def test_normalized_scores():
    assert normalized_score("walker-walk", 500.0) == 50.0
    assert normalized_score(TASK, 500.0) is None
    assert normalized_score(TASK, 1010.0, (-20.0, 2040.0)) == pytest.approx(50.0)


def test_tiny_lawm_on_a_terminating_task_learns_continuation_and_reports_d4rl_scores(hopper, tmp_path):
    data = hopper._with(hopper.episodes, source=dict(ref_min_score=-20.0, ref_max_score=3234.3))
    run = tmp_path / "lawm"
    LAWM(build(Config, PRESETS, "tiny", ["model_steps=40", "policy_steps=10"])).fit(data, run, progress=False)
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert any("model/continuation_nll" in m for m in metrics)
    result = json.loads((run / "eval.json").read_text())
    assert result["reference_scores"] == [-20.0, 3234.3]
    assert result["normalized_score"] == pytest.approx(100 * (result["mean_return"] + 20) / 3254.3)
    assert 1 <= result["lengths"][0] <= 1000
