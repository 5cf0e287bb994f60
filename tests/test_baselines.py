"""TD3+BC, its oracle and IDM-TD3+BC at tiny sizes: the command lines end to end, and the pieces that learn."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from conftest import random_dataset, run_lawm

from lawm.baselines import idm, td3bc
from lawm.common.nets import Normalizer
from lawm.common.run import RunFolder
from lawm.data import Dataset
from lawm.errors import LawmError

TASK = "walker-walk"


@pytest.fixture(scope="module")
def dataset_path(tmp_path_factory):
    """Six random walker-walk episodes of 500 steps, three of them labeled."""
    path = tmp_path_factory.mktemp("data") / "walker.h5"
    random_dataset(TASK, episodes=6).save(path)
    return path


def read(path) -> dict:
    return json.loads(path.read_text())


def test_td3bc_trains_on_labeled_episodes_and_evaluates(dataset_path, tmp_path):
    run = tmp_path / "td3bc"
    done = run_lawm("train", "td3bc", "--dataset", dataset_path, "--run", run, "--preset", "tiny", "--seed", "3")
    assert "normalized score" in done.stdout
    config, result = read(run / "config.json"), read(run / "eval.json")
    assert (config["algorithm"], config["task"], config["seed"], config["oracle"]) == ("td3bc", TASK, 3, False)
    assert config["dataset"] == str(dataset_path)
    assert result["transitions"] == 3 * 500  # the three labeled episodes only
    assert len(result["returns"]) == 2 and result["normalized_score"] == pytest.approx(result["mean_return"] / 10)
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in metrics] == [50, 100, 150, 200]
    curve = [row["eval_score"] for row in metrics if "eval_score" in row]  # eval_every=100 in the tiny preset
    assert len(curve) == 2 and curve[-1] == pytest.approx(result["normalized_score"])

    run_lawm("eval", run)  # by default with the run's own seed and evaluation episodes
    assert read(run / "eval_seed3_episodes2.json")["returns"] == result["returns"]  # it rebuilds the same policy


def test_td3bc_oracle_trains_on_every_episode(dataset_path, tmp_path):
    run = tmp_path / "oracle"
    run_lawm("train", "td3bc", "--dataset", dataset_path, "--run", run, "--preset", "tiny", "--oracle",
             "--set", "steps=20", "--set", "eval_episodes=1", "--set", "seed=5")
    assert (read(run / "config.json")["oracle"], read(run / "config.json")["seed"]) == (True, 5)
    assert read(run / "eval.json")["transitions"] == 6 * 500


def test_td3bc_with_layer_norm_critics_trains_and_reloads(dataset_path, tmp_path):
    run = tmp_path / "layer-norm"
    run_lawm("train", "td3bc", "--dataset", dataset_path, "--run", run, "--preset", "tiny",
             "--set", "critic_layer_norm=true", "--set", "steps=20", "--set", "eval_episodes=1")
    assert read(run / "config.json")["critic_layer_norm"] is True
    run_lawm("eval", run)  # loading the saved critics fails unless the rebuilt ones have their norms
    assert read(run / "eval_seed0_episodes1.json")["returns"] == read(run / "eval.json")["returns"]


def test_td3bc_without_q_term_is_behaviour_cloning(dataset_path):
    """With alpha = 0 the actor's loss is the BC term alone, so it must learn actions that are a function of o_t."""
    torch.manual_seed(0)
    config = td3bc.make_config("tiny", alpha=0.0, hidden=64, batch_size=256)
    data = Dataset.load(dataset_path).labeled_only()
    data.episodes = [dataclasses.replace(e, actions=np.tanh(e.observations[:-1, :data.action_dim] * 2))
                     for e in data.episodes]
    observations = np.concatenate([e.observations[:-1] for e in data.episodes])
    agent = td3bc.TD3BC(config, Normalizer.of(observations), data.action_low, data.action_high)
    trainer = td3bc.Trainer(config, agent, td3bc.transitions(data, agent))
    actions = np.concatenate([e.actions for e in data.episodes])

    def bc_error():
        return float(np.square(agent.act(observations) - actions).mean())

    before = bc_error()
    for step in range(300):
        trainer.update(step)
    assert bc_error() < 0.2 * before


def test_idm_windows_are_centred_on_each_transition():
    config = idm.make_config("tiny")
    model = idm.IDM(config, Normalizer(np.zeros(1), np.ones(1)), np.array([-1.0]), np.array([1.0]))
    observations = np.arange(5, dtype=np.float32)[:, None]  # o_0 .. o_4, four transitions
    windows = model.windows(observations)[..., 0].numpy()
    assert windows.tolist() == [[0, 0, 0, 1, 2], [0, 0, 1, 2, 3], [0, 1, 2, 3, 4], [1, 2, 3, 4, 4]]


def test_idm_learns_the_labeled_actions(dataset_path, tmp_path):
    config = idm.make_config("tiny", ["idm_steps=300", "idm_hidden=128", "idm_dropout=0"], dataset=str(dataset_path))
    dataset = Dataset.load(dataset_path)
    model, heldout = idm.train_idm(config, dataset, RunFolder(tmp_path / "idm", {}), progress=False)
    assert len(heldout) == 1
    train_episodes = [e for e in dataset.episodes if e.labeled and not any(e is h for h in heldout)]
    errors = idm.predict_errors(model, train_episodes, 4096, labeled=True)[1]
    assert errors["r2"] > 0.5 and errors["transitions"] == 2 * 500


def test_idm_td3bc_labels_the_action_free_episodes(dataset_path, tmp_path):
    run = tmp_path / "idm-td3bc"
    run_lawm("train", "idm-td3bc", "--dataset", dataset_path, "--run", run, "--preset", "tiny")
    assert read(run / "config.json")["algorithm"] == "idm-td3bc"
    errors = read(run / "idm.json")
    assert (errors["heldout_episodes"], errors["labeled_by_idm"]) == (1, 3)
    assert errors["heldout_labeled"]["transitions"] == 500 and errors["unlabeled"]["transitions"] == 3 * 500
    assert read(run / "eval.json")["transitions"] == 6 * 500  # TD3+BC on the union
    first = json.loads((run / "metrics.jsonl").read_text().splitlines()[0])
    assert first["step"] == 0 and first["idm_unlabeled_mse"] == errors["unlabeled"]["mse"]
    assert (run / "idm" / "checkpoint.pt").exists()


@pytest.mark.parametrize("make_config, override, message", [
    (idm.make_config, "oracle=true", "takes no oracle=true"),
    (idm.make_config, "idm_window=1", "'idm_window' must be at least 2, got 1"),
    (idm.make_config, "log_every=0", "'log_every' must be at least 1, got 0"),
    (td3bc.make_config, "policy_delay=0", "'policy_delay' must be at least 1, got 0"),
])
def test_bad_settings_get_one_sentence(make_config, override, message):
    with pytest.raises(LawmError, match=message):
        make_config("tiny", [override])
