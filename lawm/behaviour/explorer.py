"""The exploration agent: SAC on an intrinsic reward alone, Plan2Explore's idea without a world model.

An ensemble of forward models predicts the change of observation from (observation, action); the intrinsic
reward of a transition is the ensemble's disagreement, the variance of its predictions averaged over state
dimensions. Rewards are recomputed for every sampled batch, so they follow the ensemble as it learns.
"""
from __future__ import annotations

import torch
from torch import nn

from lawm.common.nets import EnsembleMLP


class Disagreement(nn.Module):
    """An ensemble of ``members`` forward models and the disagreement reward they define."""

    def __init__(self, obs_dim: int, action_dim: int, members: int, hidden: int, lr: float):
        super().__init__()
        self.models = EnsembleMLP(members, obs_dim + action_dim, hidden, obs_dim, layer_norm=True)
        self.optimizer = torch.optim.Adam(self.models.parameters(), lr=lr, fused=True)

    def reward(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.models(torch.cat([obs, action], -1)).var(0).mean(-1)

    def update(self, obs, action, next_obs) -> dict[str, torch.Tensor]:
        loss = (self.models(torch.cat([obs, action], -1)) - (next_obs - obs)).pow(2).mean(-1).mean(-1).sum()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return dict(model_loss=loss.detach())
