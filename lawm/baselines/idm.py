"""IDM-TD3+BC (Section 4): an inverse dynamics model trained on the labeled trajectories labels the action-free
ones, and TD3+BC trains on the union.

The IDM is the paper's Table 3: an MLP of 3 x 1024 units with swish, LayerNorm and dropout 0.1 that sees a
window of 5 observations o_{t-2} .. o_{t+2} (indices clamped at the episode's ends) and predicts a_t, the
action between o_t and o_{t+1}, squashed into the action box; mean squared error, batch 1024. A share of the
labeled trajectories is held out to measure its action error; its error on the action-free trajectories is
measured against the file's diagnostics copy of their true actions, which nothing else reads.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lawm.baselines import td3bc
from lawm.common.config import build, check_minimums
from lawm.common.hardware import matmul_precision, resolve_precision
from lawm.common.loop import train
from lawm.common.nets import Normalizer, mlp
from lawm.common.run import RunFolder, seed_everything
from lawm.data import Dataset, Episode
from lawm.errors import LawmError


@dataclass
class IDMTD3BCConfig(td3bc.TD3BCConfig):
    idm_hidden: int = 1024  # width of the IDM's hidden layers (Table 3)
    idm_layers: int = 3  # hidden layers of the IDM (Table 3)
    idm_dropout: float = 0.1  # dropout after each hidden layer of the IDM (Table 3)
    idm_window: int = 5  # observations the IDM sees per action, o_{t-2} .. o_{t+2} for 5 (Table 3)
    idm_batch_size: int = 1024  # windows per IDM gradient step (Table 3)
    idm_lr: float = 3e-4  # Adam learning rate of the IDM (Table 3)
    idm_steps: int = 100_000  # IDM gradient steps (Table 3)
    idm_holdout: float = 0.1  # share of the labeled trajectories held out to measure the IDM's action error
    idm_label_batch: int = 8192  # windows per forward pass when labeling

    def __post_init__(self):
        super().__post_init__()
        if self.oracle:
            raise LawmError("idm-td3bc labels the action-free trajectories with its IDM, so it takes no oracle=true")
        check_minimums(self, dict(idm_hidden=1, idm_layers=1, idm_window=2, idm_batch_size=1, idm_steps=1,
                                  idm_label_batch=1))


PRESETS = {
    "tiny": {**td3bc.PRESETS["tiny"], **dict(idm_hidden=32, idm_batch_size=64, idm_steps=50)},
    "small": {**td3bc.PRESETS["small"], **dict(idm_hidden=512, idm_batch_size=256, idm_steps=10_000)},
    "paper": {**td3bc.PRESETS["paper"]},
}


def make_config(preset: str = "small", overrides: list[str] = (), **fields) -> IDMTD3BCConfig:
    """The config of ``preset`` with ``--set`` overrides, then ``fields`` (dataset, seed), applied."""
    return dataclasses.replace(build(IDMTD3BCConfig, PRESETS, preset, overrides), **fields)


class IDM(nn.Module):
    """a_t from the observations o_{t+k} for k in ``offsets``, in [-1, 1] inside and the task's box outside."""

    def __init__(self, config: IDMTD3BCConfig, normalizer: Normalizer, action_low, action_high):
        super().__init__()
        self.normalizer = normalizer
        self.precision = resolve_precision(config.precision, torch.device("cpu"))
        self.offsets = torch.arange(config.idm_window) - (config.idm_window - 1) // 2
        self.net = mlp(config.idm_window * len(normalizer.mean), config.idm_hidden, len(action_low),
                       config.idm_layers, nn.SiLU, layer_norm=True, dropout=config.idm_dropout)
        low, high = torch.as_tensor(action_low), torch.as_tensor(action_high)
        self.register_buffer("action_center", (high + low) / 2)
        self.register_buffer("action_scale", (high - low) / 2)

    def windows(self, observations: np.ndarray) -> torch.Tensor:
        """The windows [T, W, D] around every transition of one episode's observations [T+1, D]."""
        steps = len(observations) - 1
        index = (torch.arange(steps)[:, None] + self.offsets).clamp(0, steps)
        return torch.from_numpy(observations)[index]

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        """Actions in [-1, 1] for raw observation windows [B, W, D]."""
        return torch.tanh(self.net(self.normalizer(windows).flatten(1)))

    @torch.no_grad()
    def label(self, observations: np.ndarray, batch: int) -> np.ndarray:
        """The predicted actions [T, A] of one episode, in the task's action box."""
        windows = self.windows(observations)
        with matmul_precision(self.precision):
            actions = torch.cat([self(windows[i:i + batch]) for i in range(0, len(windows), batch)])
        return (self.action_center + self.action_scale * actions).numpy()


class IDMTrainer:
    """Mean squared error between predicted and true actions in [-1, 1], on the training windows."""

    def __init__(self, config: IDMTD3BCConfig, idm: IDM, episodes: list[Episode]):
        self.config, self.idm = config, idm
        self.windows = torch.cat([idm.windows(e.observations) for e in episodes])
        actions = torch.from_numpy(np.concatenate([e.actions for e in episodes]))
        self.actions = ((actions - idm.action_center) / idm.action_scale).clamp(-1, 1)
        self.opt = torch.optim.Adam(idm.parameters(), lr=config.idm_lr, fused=True)

    def update(self, step: int) -> dict[str, torch.Tensor]:
        index = torch.randint(len(self.actions), (self.config.idm_batch_size,))
        with matmul_precision(self.idm.precision):
            loss = F.mse_loss(self.idm(self.windows[index]), self.actions[index])
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
        self.opt.step()
        return dict(idm_loss=loss.detach())

    def state_dict(self) -> dict:
        return dict(idm=self.idm.state_dict(), opt=self.opt.state_dict())

    def load_state_dict(self, state: dict) -> None:
        self.idm.load_state_dict(state["idm"])
        self.opt.load_state_dict(state["opt"])


def action_errors(predicted: list[np.ndarray], true: list[np.ndarray]) -> dict[str, float] | None:
    """Mean squared and absolute error of predicted actions, and the share of variance they explain (R^2)."""
    if not predicted:
        return None
    predicted, true = np.concatenate(predicted), np.concatenate(true)
    mse = float(np.square(predicted - true).mean())
    return dict(mse=mse, mae=float(np.abs(predicted - true).mean()), r2=1 - mse / float(true.var(0).mean()),
                transitions=len(true))


def split_labeled(dataset: Dataset, holdout: float, seed: int) -> tuple[list[Episode], list[Episode]]:
    """The labeled episodes to train the IDM on, and those held out (at least one, if there are two or more)."""
    labeled = [e for e in dataset.episodes if e.labeled]
    if not labeled:
        raise LawmError(f"the {dataset.env_id} dataset has no labeled episodes "
                        "to train an inverse dynamics model on")
    count = min(len(labeled) - 1, max(1, round(holdout * len(labeled)))) if holdout > 0 else 0
    held = set(np.random.default_rng(seed).permutation(len(labeled))[:count].tolist())
    return ([e for i, e in enumerate(labeled) if i not in held], [e for i, e in enumerate(labeled) if i in held])


def train_idm(config: IDMTD3BCConfig, dataset: Dataset, run: RunFolder, progress: bool = True) -> tuple[IDM, list]:
    """Train the IDM on the labeled episodes (resuming from ``run``); returns it with the held-out episodes."""
    seed_everything(config.seed)
    train_episodes, heldout = split_labeled(dataset, config.idm_holdout, config.seed)
    normalizer = Normalizer.of(np.concatenate([e.observations for e in train_episodes]))
    idm = IDM(config, normalizer, dataset.action_low, dataset.action_high)
    trainer = IDMTrainer(config, idm, train_episodes)

    def heldout_error(step: int) -> dict[str, float]:
        errors = predict_errors(idm, heldout, config.idm_label_batch, labeled=True)[1]
        idm.train()
        return {f"idm_heldout_{k}": v for k, v in (errors or {}).items() if k != "transitions"}

    train(run, trainer, config.idm_steps, log_every=config.log_every, checkpoint_every=config.checkpoint_every,
          description=f"idm {dataset.env_id}", precision=idm.precision, periodic=[(config.log_every, heldout_error)], progress=progress)
    return idm.eval(), heldout


def predict_errors(idm: IDM, episodes: list[Episode], batch: int, labeled: bool) -> tuple[list, dict | None]:
    """The IDM's actions for ``episodes`` and their error against the labels (or the diagnostics copy)."""
    idm.eval()
    predicted = [idm.label(e.observations, batch) for e in episodes]
    true = [e.actions if labeled else e.true_actions for e in episodes]
    known = [i for i, a in enumerate(true) if a is not None]
    return predicted, action_errors([predicted[i] for i in known], [true[i] for i in known])


def run(config: IDMTD3BCConfig, run_dir: str | Path, progress: bool = True) -> dict:
    """``lawm train idm-td3bc``: IDM on the labeled part, labels for the rest, TD3+BC on the union, evaluation."""
    dataset = Dataset.load(config.dataset)
    folder = RunFolder(run_dir, td3bc.run_config(config, dataset, "idm-td3bc"))
    idm, heldout = train_idm(config, dataset, RunFolder(folder.path / "idm", folder.config), progress)
    unlabeled = [e for e in dataset.episodes if not e.labeled]
    labels, unlabeled_errors = predict_errors(idm, unlabeled, config.idm_label_batch, labeled=False)
    relabeled = iter(labels)
    episodes = [e if e.labeled else dataclasses.replace(e, actions=next(relabeled)) for e in dataset.episodes]
    errors = dict(heldout_labeled=predict_errors(idm, heldout, config.idm_label_batch, labeled=True)[1],
                  unlabeled=unlabeled_errors, heldout_episodes=len(heldout), labeled_by_idm=len(unlabeled))
    if not (folder.path / "idm.json").exists():  # once: a resumed run keeps its metric line
        folder.forget_metrics_after(-1)  # the line of an attempt killed before it wrote idm.json
        folder.log(0, {f"idm_{part}_{k}": v for part in ("heldout_labeled", "unlabeled")
                       for k, v in (errors[part] or {}).items() if k != "transitions"})
        folder.write_result("idm.json", errors)
    union = Dataset(dataset.env_id, episodes, action_low=dataset.action_low, action_high=dataset.action_high,
                    source=dataset.source)
    result = td3bc.fit(config, union, folder, progress)
    return {**result, "idm": errors}
