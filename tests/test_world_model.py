"""The latent-action world model, C-LAP's latent-action policy and their commands, at the tiny preset."""
import contextlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import random_dataset, run_lawm

from lawm.bench.report import plot_run
from lawm.common.config import build
from lawm.common.run import RunFolder, read_checkpoint
from lawm.data import Dataset, WindowSampler
from lawm.errors import LawmError
from lawm.evaluation import load_policy
from lawm.latent_policy import CLAP, LAWM
from lawm.latent_policy.agent import Training
from lawm.world_model import PRESETS, Config, WorldModel
from lawm.world_model.deferred import deferred_weight_grads
from lawm.world_model.rssm import Normal


def tiny(**changes) -> Config:
    return build(Config, PRESETS, "tiny", [f"{k}={v}" for k, v in changes.items()])


@pytest.fixture(scope="module")
def dataset_path(tmp_path_factory):
    """Four uniform-random cheetah-run episodes of 500 steps (the fastest task to simulate), two labeled."""
    path = tmp_path_factory.mktemp("data") / "cheetah.h5"
    random_dataset("cheetah-run").save(path)
    return path


@pytest.fixture(scope="module")
def dataset(dataset_path):
    return Dataset.load(dataset_path)


@pytest.fixture(scope="module")
def lawm_run(dataset, tmp_path_factory):
    """A finished tiny LAWM run folder."""
    run = tmp_path_factory.mktemp("runs") / "lawm"
    LAWM(tiny(model_steps=100, log_every=20, diagnostics_every=50)).fit(dataset, run, progress=False)
    return run


def model_and_batch(dataset, learned_prior=False, batch_size=4):
    torch.manual_seed(0)
    sampler = WindowSampler(dataset, 8, seed=0)
    obs = sampler.observations
    model = WorldModel(tiny(), dataset.observation_dim, dataset.action_low, dataset.action_high, obs.mean(0),
                       obs.std(0), learned_prior)
    return model, sampler.sample(batch_size)


def gradient_norms(loss, module) -> float:
    grads = torch.autograd.grad(loss, list(module.parameters()), retain_graph=True, allow_unused=True)
    return sum(float(g.abs().sum()) for g in grads if g is not None)


def test_tiny_training_loss_falls_and_diagnostics_are_logged(lawm_run):
    metrics = [json.loads(line) for line in (lawm_run / "metrics.jsonl").read_text().splitlines()]
    losses = [row["model/loss"] for row in metrics if "model/loss" in row]
    assert losses[-1] < losses[0]
    logged = set().union(*metrics)
    assert {"model/action_error", "model/open_loop_mse_5", "model/open_loop_mse_50",
            "policy/actor_loss", "policy/critic_loss"} <= logged
    result = json.loads((lawm_run / "eval.json").read_text())
    assert result["task"] == "cheetah-run" and np.isfinite(result["normalized_score"])


def test_action_free_gradient_reaches_the_idm_through_the_dynamics(dataset):
    model, batch = model_and_batch(dataset)
    batch["labeled"][:] = False
    terms, _ = model.loss_terms(batch)
    # the observation term alone: o_{t+1} -> IDM -> decoded action -> transition -> later states -> decoder
    assert gradient_norms(terms["observation_nll"].sum(), model.idm) > 0
    assert gradient_norms(terms["observation_nll"].sum(), model.action_decoder) > 0


def test_labeled_window_uses_eq7_and_unlabeled_window_eq8(dataset):
    model, batch = model_and_batch(dataset, batch_size=2)
    batch["labeled"] = torch.tensor([True, False])
    batch["actions"][1] = 0.0  # what the sampler gives an unlabeled window

    def terms(b):
        torch.manual_seed(1)
        return model.loss_terms(b)[0]

    base = terms(batch)
    labeled_loss, unlabeled_loss = (sum(base.values())[i] for i in (0, 1))
    assert base["action_nll"][0] != 0 and base["action_nll"][1] == 0  # action reconstruction only in Eq. (7)
    # Eq. (7): the action-conditioned posterior q(u | s, a), never the IDM
    assert gradient_norms(labeled_loss, model.action_posterior) > 0
    assert gradient_norms(labeled_loss, model.idm) == 0
    # Eq. (8): the IDM q(u | s, o_{t+1}), never the action-conditioned posterior
    assert gradient_norms(unlabeled_loss, model.idm) > 0
    assert gradient_norms(unlabeled_loss, model.action_posterior) == 0
    # an unlabeled window's loss ignores the actions field; a labeled one's depends on it
    changed = {k: v.clone() for k, v in batch.items()}
    changed["actions"] = torch.rand_like(batch["actions"]) * 2 - 1
    after = terms(changed)
    assert all(torch.equal(after[k][1], base[k][1]) for k in base)
    assert not torch.equal(sum(after.values())[0], labeled_loss)


def test_idm_supervision_trains_the_idm_on_labeled_windows_only(dataset):
    model, batch = model_and_batch(dataset, batch_size=2)
    batch["labeled"] = torch.tensor([True, False])
    torch.manual_seed(1)
    paper = model.loss_terms(batch)[0]
    model.config = tiny(idm_supervision=0.5)
    torch.manual_seed(1)
    supervised = model.loss_terms(batch)[0]
    assert "idm_action_nll" not in paper
    assert all(torch.equal(supervised[k], paper[k]) for k in paper)  # the paper's terms are untouched
    extra = supervised["idm_action_nll"]
    assert extra[0] != 0 and extra[1] == 0
    # the labeled window's IDM decodes its actions: the gradient reaches the IDM and the action decoder
    assert gradient_norms(extra[0], model.idm) > 0 and gradient_norms(extra[0], model.action_decoder) > 0
    assert gradient_norms(extra[0], model.action_posterior) == 0


@pytest.mark.parametrize("learned_prior", [False, True])
def test_lawm_takes_a_learned_prior_only_when_asked(dataset, learned_prior):
    agent = LAWM(tiny(learned_prior=learned_prior))
    agent.build(dataset.observation_dim, dataset.action_low, dataset.action_high)
    model = agent.model
    assert (model.action_prior is not None) == learned_prior
    if learned_prior:  # the IDM's KL (Eq. 8) reaches the prior on action-free windows
        torch.manual_seed(0)
        batch = WindowSampler(dataset, 8, seed=0).sample(2, labeled=False)
        assert gradient_norms(model.loss_terms(batch)[0]["action_kl"].sum(), model.action_prior) > 0


@pytest.mark.parametrize("agent_cls", [LAWM, CLAP])
def test_latent_actions_never_leave_the_support(dataset, agent_cls):
    config = tiny(support=0.7)
    agent = agent_cls(config)
    agent.build(dataset.observation_dim, dataset.action_low, dataset.action_high)
    with torch.no_grad():
        agent.policy.actor[-1].weight.mul_(1000.0)  # push the tanh-Gaussian to its extremes
    feature = torch.randn(4096, config.deter + config.stoch) * 5
    latent, _ = agent.policy.latent(agent.model, feature)
    prior = agent.model.latent_prior(feature)
    bound = config.support * prior.std + 1e-6
    assert ((latent - prior.mean).abs() <= bound).all()
    assert (latent - prior.mean).abs().max() > 0.9 * config.support * prior.std.min()  # the extremes are reached
    actions = agent.model.decode_action(feature, latent)
    low, high = torch.as_tensor(dataset.action_low), torch.as_tensor(dataset.action_high)
    assert ((actions >= low) & (actions <= high)).all()


def test_bad_config_values_are_refused():
    with pytest.raises(LawmError, match="'horizon' must be at least 1"):
        tiny(horizon=0)
    with pytest.raises(LawmError, match="'free_nats' must be at least 0"):
        tiny(free_nats=-1)
    with pytest.raises(LawmError, match="'kl_balance' must lie in"):
        tiny(kl_balance=1.0)


def test_kl_balancing_keeps_the_value_and_splits_the_gradient():
    torch.manual_seed(0)
    q_mean, p_mean = torch.randn(3, 5, requires_grad=True), torch.randn(3, 5, requires_grad=True)
    q, p = Normal(q_mean, torch.rand(3, 5) + 0.5), Normal(p_mean, torch.rand(3, 5) + 0.5)
    plain, balanced = q.kl_balanced(p, 0.0, 0.0), q.kl_balanced(p, 0.8, 0.0)
    assert torch.allclose(plain, q.kl(p)) and torch.allclose(balanced, plain)
    grads = {name: torch.autograd.grad(kl.sum(), [q_mean, p_mean]) for name, kl in (("plain", plain),
                                                                                   ("balanced", balanced))}
    assert torch.allclose(grads["balanced"][0], 0.2 * grads["plain"][0])  # the posterior: 1 - alpha
    assert torch.allclose(grads["balanced"][1], 0.8 * grads["plain"][1])  # the prior: alpha
    assert (q.kl_balanced(p, 0.8, 100.0) == 100.0).all()  # free nats bound both halves


def test_unit_likelihoods_are_squared_errors_for_observations_and_rewards(dataset):
    model, _ = model_and_batch(dataset)
    model.config = tiny(unit_likelihoods=True)
    for name, size in (("observation", dataset.observation_dim), ("reward", 1), ("action", dataset.action_dim)):
        mean, target = torch.randn(4, size), torch.randn(4, size)
        squared_error = torch.allclose(model.likelihood(name, mean).nll(target), 0.5 * ((mean - target) ** 2).sum(-1))
        assert squared_error == (name != "action")  # the action likelihood keeps its learned std


def test_training_data_per_method(dataset):
    assert len(CLAP().training_data(dataset).episodes) == int(dataset.label_mask.sum())
    oracle = CLAP(oracle=True).training_data(dataset)
    assert len(oracle.episodes) == len(dataset.episodes) and oracle.label_mask.all()
    assert LAWM().training_data(dataset) is dataset
    with pytest.raises(LawmError, match="labeled trajectory"):
        LAWM().training_data(dataset.relabel(0.0, 0))


def test_resume_after_an_interruption_matches_an_uninterrupted_run(dataset, tmp_path, monkeypatch):
    config = tiny(model_steps=20, policy_steps=20, checkpoint_every=10, log_every=5, diagnostics_every=10)
    whole = LAWM(config).fit(dataset, tmp_path / "whole", progress=False)

    update = Training.update

    def interrupted(self, step):
        if step == 26:  # in the policy phase, after checkpoints in both phases
            raise KeyboardInterrupt
        return update(self, step)

    monkeypatch.setattr(Training, "update", interrupted)
    with pytest.raises(KeyboardInterrupt):
        LAWM(config).fit(dataset, tmp_path / "resumed", progress=False)
    assert not (tmp_path / "resumed" / "eval.json").exists()
    with pytest.raises(LawmError, match="is not finished"):
        load_policy(tmp_path / "resumed")
    monkeypatch.setattr(Training, "update", update)
    resumed = LAWM(config).fit(dataset, tmp_path / "resumed", progress=False)

    for name, value in whole.state_dict()["policy"].items():
        assert torch.equal(value, resumed.state_dict()["policy"][name]), name
    lines = [(tmp_path / run / "metrics.jsonl").read_text() for run in ("whole", "resumed")]
    assert lines[0] == lines[1]


def test_load_policy_acts_through_the_filter(lawm_run, dataset):
    policy, config = load_policy(lawm_run)
    assert config["algorithm"] == "lawm" and config["task"] == "cheetah-run"
    policy.reset(3)
    observations = np.stack([dataset.episodes[0].observations[0]] * 3)
    first, second = policy.act(observations), policy.act(observations)
    assert first.shape == (3, dataset.action_dim) and np.all(np.abs(first) <= 1)
    assert not np.array_equal(first, second)  # the filter carries state from step to step


def latent_action_rows(run, dataset_path) -> list[list[str]]:
    """The table cells after the run's name that scripts/latent_actions.py prints for ``run`` on 8 windows."""
    script = Path(__file__).parents[1] / "scripts" / "latent_actions.py"
    done = subprocess.run([sys.executable, script, run, "--dataset", dataset_path, "--windows", "8"],
                          capture_output=True, text=True, check=True)
    return [line.split("|")[2:-1] for line in done.stdout.splitlines()[2:]]


def test_the_latent_action_diagnostics_read_a_finished_run(lawm_run, dataset_path):
    rows = latent_action_rows(lawm_run, dataset_path)
    assert [row[0].strip() for row in rows] == ["labeled", "action-free"]
    for row in rows:  # two KLs, four mean absolute errors of actions in [-1, 1] and two open-loop errors
        kls, errors, open_loop = [float(v) for v in row[1:3]], [float(v) for v in row[3:7]], row[7:9]
        assert all(kl >= 0 for kl in kls) and all(0 <= error <= 2 for error in errors)
        assert len(open_loop) == 2 and all(float(mse) > 0 for mse in open_loop)
        inside, clipped, prior_std = map(float, row[9:])  # the policy's box: LAWM's is N(0, I)'s +-2
        assert 0 <= inside <= 1 and 0 <= clipped <= 2 and prior_std == 1.0


IMAGINED_VALUES = Path(__file__).parents[1] / "scripts" / "imagined_values.py"


def test_the_imagined_values_are_the_runs_last_policy_logs_beside_its_score(lawm_run):
    done = subprocess.run([sys.executable, IMAGINED_VALUES, lawm_run, "--last", "2"], capture_output=True, text=True,
                          check=True)
    reward, value, score = map(float, done.stdout.splitlines()[2].split("|")[2:-1])
    logs = [m for m in map(json.loads, (lawm_run / "metrics.jsonl").read_text().splitlines()) if "policy/value" in m]
    assert reward == pytest.approx(np.mean([m["policy/imagined_reward"] for m in logs[-2:]]), abs=1e-3)
    assert value == pytest.approx(np.mean([m["policy/value"] for m in logs[-2:]]), abs=1e-3)
    assert score == pytest.approx(json.loads((lawm_run / "eval.json").read_text())["normalized_score"], abs=0.05)


def test_the_imagined_values_refuse_a_folder_without_policy_logs(tmp_path):
    (tmp_path / "metrics.jsonl").write_text(json.dumps({"step": 1, "model/loss": 1.0}) + "\n")
    done = subprocess.run([sys.executable, IMAGINED_VALUES, tmp_path], capture_output=True, text=True)
    assert done.returncode != 0 and "logs no policy training" in done.stderr


def test_the_diagnostics_leave_out_an_idm_that_never_trained(dataset, dataset_path, tmp_path):
    """A LAWM run on all-labeled trajectories, read on the mixed file: its IDM columns stay empty."""
    labeled_path, run = tmp_path / "labeled.h5", tmp_path / "lawm"
    dataset.relabel(1.0, 0).save(labeled_path)
    LAWM(tiny(model_steps=10, policy_steps=10)).fit(Dataset.load(labeled_path), run, labeled_path, progress=False)
    rows = latent_action_rows(run, dataset_path)
    assert [row[0].strip() for row in rows] == ["labeled", "action-free"]
    assert all(row[2].strip() == row[4].strip() == "" for row in rows)  # KL and error of the IDM


@pytest.fixture
def one_thread_subprocesses(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # two threads on two busy cores are far slower than one


def test_lawm_eval_evaluates_again_beside_the_runs_own_result(lawm_run, one_thread_subprocesses):
    trained = (lawm_run / "eval.json").read_text()
    done = run_lawm("eval", lawm_run, "--episodes", 1, "--seed", 4)
    again = json.loads((lawm_run / "eval_seed4_episodes1.json").read_text())
    assert (again["episodes"], again["seed"]) == (1, 4) and "eval_seed4_episodes1.json" in done.stdout
    assert (lawm_run / "eval.json").read_text() == trained  # the training's final score stays as it was


def test_train_commands_end_to_end(dataset_path, tmp_path, one_thread_subprocesses):
    steps = ["--set", "model_steps=10", "--set", "policy_steps=10", "--set", "checkpoint_every=5"]
    for method, extra in (("lawm", []), ("clap", ["--oracle"])):
        run = tmp_path / method
        done = run_lawm("train", method, "--dataset", dataset_path, "--preset", "tiny", "--run", run,
                        "--seed", 3, "--no-progress", *steps, *extra)
        config = json.loads((run / "config.json").read_text())
        assert (config["algorithm"], config["task"], config["seed"]) == (method, "cheetah-run", 3)
        assert config["dataset"] == str(dataset_path)
        assert json.loads((run / "eval.json").read_text())["episodes"] == 1
        assert "normalized score" in done.stdout
        policy, _ = load_policy(run)
        assert type(policy) is {"lawm": LAWM, "clap": CLAP}[method]
        assert (policy.model.action_prior is not None) == (method == "clap")  # C-LAP's learned prior


def test_deferred_weight_gradients_equal_the_plain_ones():
    torch.manual_seed(0)
    cell, head = torch.nn.Linear(8, 8), torch.nn.Sequential(torch.nn.Linear(8, 4, bias=False), torch.nn.Tanh())
    inputs = torch.randn(6, 3, 8)

    def grads(deferred: bool):
        cell.zero_grad(), head.zero_grad()
        with deferred_weight_grads([cell, head], steps=6) if deferred else contextlib.nullcontext():
            h, total = torch.zeros(3, 8), 0
            for x in inputs[:5]:  # fewer calls than steps is allowed
                h = torch.tanh(cell(x + h))
                total = total + head(h).square().sum()
        total.backward()
        return [p.grad.clone() for p in (*cell.parameters(), *head.parameters())], total.detach()

    (deferred, value), (plain, plain_value) = grads(True), grads(False)
    assert torch.allclose(value, plain_value)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(deferred, plain))
    assert "forward" not in vars(cell)  # the layers are restored


def test_the_policy_phase_filters_every_trajectory_once_and_starts_from_that_cache(dataset, monkeypatch):
    torch.manual_seed(0)  # float32, to compare with a float32 filter on CPUs where auto picks bf16 autocast
    training = Training(LAWM(tiny(model_steps=2, policy_steps=3, precision="fp32")), dataset)
    for step in range(2):
        training.update(step)
    filter_calls = []
    monkeypatch.setattr(WorldModel, "filter", lambda self, *a, **k: filter_calls.append(1) or plain_filter(self, *a, **k))
    training.update(2)
    assert len(filter_calls) == 1  # one chunk holds the four episodes, filtered whole
    starts = training.starts
    assert len(starts.deter) == sum(e.length + 1 for e in dataset.episodes)
    first, model = dataset.episodes[0], training.agent.model
    with torch.no_grad():
        alone = plain_filter(model, model.embed(torch.as_tensor(first.observations)[None]),
                             torch.as_tensor(first.actions)[None], torch.tensor([True]), sample=False)["states"]
    assert torch.allclose(starts.deter[:first.length + 1], alone.deter[0], atol=1e-5)
    training.update(3)
    training.update(4)
    assert len(filter_calls) == 1  # later policy steps draw from the cache


plain_filter = WorldModel.filter


def test_the_policy_phase_logs_a_learning_curve_ending_in_the_final_score(dataset, tmp_path):
    run = tmp_path / "curve"
    LAWM(tiny(model_steps=10, policy_steps=20, eval_every=10)).fit(dataset, run, progress=False)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    curve = {row["step"]: row["eval_score"] for row in rows if "eval_score" in row}
    assert sorted(curve) == [20, 30]
    assert json.loads((run / "eval.json").read_text())["normalized_score"] == curve[30]
    run_lawm("plot", run, "--out", tmp_path / "curve.png")
    assert (tmp_path / "curve.png").read_bytes().startswith(b"\x89PNG")
    unscored = tmp_path / "unscored"
    unscored.mkdir()
    (unscored / "config.json").write_text((run / "config.json").read_text())
    with pytest.raises(LawmError, match="has logged no normalized evaluation score yet"):
        plot_run(unscored, tmp_path / "none.png")


def test_a_finished_run_trains_its_policy_on_when_rerun_with_more_policy_steps(dataset, tmp_path):
    run = tmp_path / "longer"
    LAWM(tiny(model_steps=10, policy_steps=20, eval_every=10)).fit(dataset, run, progress=False)
    first = json.loads((run / "eval.json").read_text())
    LAWM(tiny(model_steps=10, policy_steps=40, eval_every=10)).fit(dataset, run, progress=False)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    curve = {row["step"]: row["eval_score"] for row in rows if "eval_score" in row}
    assert sorted(curve) == [20, 30, 40, 50]
    assert json.loads((run / "eval.policy_steps20.json").read_text()) == first  # the earlier end, kept
    assert json.loads((run / "eval.json").read_text())["normalized_score"] == curve[50]
    assert read_checkpoint(run)["step"] == 50
    with pytest.raises(LawmError, match="was made with policy_steps=40, not 30"):
        LAWM(tiny(model_steps=10, policy_steps=30, eval_every=10)).fit(dataset, run, progress=False)
    with pytest.raises(LawmError, match="was made with model_steps=10, not 20"):
        LAWM(tiny(model_steps=20, policy_steps=40, eval_every=10)).fit(dataset, run, progress=False)


def test_the_demo_preset_builds_and_takes_a_step_of_each_phase(dataset):
    config, small = build(Config, PRESETS, "demo", []), build(Config, PRESETS, "small", [])
    assert config.model_steps + config.policy_steps < (small.model_steps + small.policy_steps) / 5
    training = Training(LAWM(config), dataset)
    for step in (0, config.model_steps):
        assert all(torch.isfinite(value) for value in training.update(step).values())


def test_a_run_can_start_its_policy_phase_from_another_runs_world_model(lawm_run, dataset, tmp_path):
    source = json.loads((lawm_run / "config.json").read_text())
    fields = {k: v for k, v in source.items() if k not in ("algorithm", "task", "dataset", "reference_scores")}
    probe = LAWM(Config(**{**fields, "support": 1.5, "model_from": str(lawm_run)}))
    holder = RunFolder(lawm_run, source)  # another process writing or branching from it holds the lock
    try:
        probe.fit(dataset, tmp_path / "probe", progress=False)
        trained, _ = load_policy(lawm_run)
    finally:
        holder.close()
    for name, value in trained.model.state_dict().items():
        assert torch.equal(value, probe.model.state_dict()[name]), name
    steps = [json.loads(line)["step"] for line in (tmp_path / "probe" / "metrics.jsonl").read_text().splitlines()]
    assert min(steps) > source["model_steps"]  # no world-model step was taken again
    other = LAWM(Config(**{**fields, "deter": 16, "model_from": str(lawm_run)}))
    with pytest.raises(LawmError, match="was made with deter=32, not 16"):
        other.fit(dataset, tmp_path / "refused", progress=False)
    old = tmp_path / "saved-before-labeled-share"  # its config lacks the field: it trained on uniform batches
    shutil.copytree(lawm_run, old, ignore=shutil.ignore_patterns(".lock"))
    (old / "config.json").write_text(json.dumps({k: v for k, v in source.items() if k != "labeled_share"}))
    with pytest.raises(LawmError, match="was made with labeled_share=0.0, not 0.5"):
        LAWM(Config(**{**fields, "model_from": str(old)})).fit(dataset, tmp_path / "refused-old", progress=False)
