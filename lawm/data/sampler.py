"""Windows of consecutive transitions that never cross an episode boundary, labeled per trajectory (Eq. 10)."""
from __future__ import annotations

import numpy as np
import torch

from lawm.data.dataset import Dataset
from lawm.errors import LawmError


class WindowSampler:
    """Samples batches of ``length``-step windows uniformly over all valid window starts.

    A batch holds ``observations`` [B, L+1, D] (o_t .. o_{t+L}), ``rewards`` [B, L], ``actions`` [B, L, A],
    ``terminals`` [B, L] (1.0 where o_{t+1} is a terminal state: the last one of a terminated episode) and
    ``labeled`` [B]. A window is labeled exactly when its episode is; the actions of unlabeled windows
    are zeros that no loss may read. With ``true_actions=True`` the batch also carries the diagnostics copy
    of the actions (NaN where the file has none), for diagnostics only.
    """

    def __init__(self, dataset: Dataset, length: int, seed: int = 0, true_actions: bool = False,
                 device: str | torch.device = "cpu"):
        lengths = np.array([e.length for e in dataset.episodes])
        if length < 1 or length > lengths.max():
            raise LawmError(f"window length {length} must lie between 1 and the longest episode ({lengths.max()})")
        self.length, self.device, self.with_true_actions = length, device, true_actions
        self.rng = np.random.default_rng(seed)
        self.labeled_mask = dataset.label_mask
        self.windows = np.maximum(lengths - length + 1, 0)  # valid starts per episode
        self.obs_start = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])
        self.step_start = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        zeros = np.zeros((1, dataset.action_dim), np.float32)
        nans = np.full_like(zeros, np.nan)

        def flat(arrays):
            return torch.from_numpy(np.concatenate(arrays)).to(device)

        self.observations = flat([e.observations for e in dataset.episodes])
        self.rewards = flat([e.rewards for e in dataset.episodes])
        self.terminals = flat([e.terminals for e in dataset.episodes])
        self.actions = flat([e.actions if e.labeled else zeros.repeat(e.length, 0) for e in dataset.episodes])
        if true_actions:
            self.true_actions = flat([e.known_actions if e.known_actions is not None else nans.repeat(e.length, 0)
                                      for e in dataset.episodes])
        self.env_id = dataset.env_id

    def sample(self, batch_size: int, labeled: bool | None = None) -> dict[str, torch.Tensor]:
        """A batch of windows from every episode (``labeled=None``), or only labeled / only unlabeled ones."""
        weights = self.windows.astype(np.float64)
        if labeled is not None:
            weights = np.where(self.labeled_mask == labeled, weights, 0.0)
            if weights.sum() == 0:
                kind = "labeled" if labeled else "unlabeled"
                raise LawmError(f"the {self.env_id} dataset has no {kind} episodes of at least {self.length} "
                                f"steps, so {kind} windows cannot be sampled")
        episodes = self.rng.choice(len(weights), size=batch_size, p=weights / weights.sum())
        starts = (self.rng.random(batch_size) * self.windows[episodes]).astype(np.int64)
        steps = torch.arange(self.length)
        obs_index = torch.from_numpy(self.obs_start[episodes] + starts)[:, None] + torch.arange(self.length + 1)
        step_index = torch.from_numpy(self.step_start[episodes] + starts)[:, None] + steps
        obs_index, step_index = obs_index.to(self.device), step_index.to(self.device)
        batch = dict(observations=self.observations[obs_index], rewards=self.rewards[step_index],
                     terminals=self.terminals[step_index],
                     actions=self.actions[step_index],
                     labeled=torch.from_numpy(self.labeled_mask[episodes]).to(self.device))
        if self.with_true_actions:
            batch["true_actions"] = self.true_actions[step_index]
        return batch

    def sample_mixed(self, batch_size: int, labeled_share: float) -> dict[str, torch.Tensor]:
        """A batch of which ``round(labeled_share * batch_size)`` windows are labeled and the rest unlabeled
        (two data sources mixed in fixed shares, as in AIME-NoB); uniform over all windows where the share is 0
        or the dataset has only one kind of episode."""
        labeled = round(labeled_share * batch_size)
        if not labeled or self.labeled_mask.all() or not self.labeled_mask.any():
            return self.sample(batch_size)
        parts = self.sample(labeled, labeled=True), self.sample(batch_size - labeled, labeled=False)
        return {name: torch.cat([part[name] for part in parts]) for name in parts[0]}
