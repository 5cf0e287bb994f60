"""A compact recurrent state-space model: s_t = (h_t, z_t) with h_t a LayerNorm GRU state and z_t Gaussian.

Transition prior p(s_t | s_{t-1}, a_{t-1}) and posterior q(s_t | s_{t-1}, a_{t-1}, o_t) of Eq. (2)-(3);
the GRU and all gates run in float32 even under bfloat16 autocast, only the matmuls drop precision.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from lawm.common.nets import mlp


def net(inputs: int, units: int, outputs: int, layers: int) -> nn.Sequential:
    """The model's MLP: Swish activations and LayerNorm (Table 2)."""
    return mlp(inputs, units, outputs, layers, activation=nn.SiLU, layer_norm=True)


class Normal(NamedTuple):
    """A diagonal Gaussian; ``log_prob``/``kl`` sum over the last dimension."""

    mean: torch.Tensor
    std: torch.Tensor

    @classmethod
    def of(cls, output: torch.Tensor, min_std: float) -> Normal:
        """Split a layer's output into a mean and a standard deviation of at least ``min_std``."""
        mean, raw = output.float().chunk(2, -1)
        return cls(mean, F.softplus(raw) + min_std)

    def sample(self) -> torch.Tensor:
        return self.mean + self.std * torch.randn_like(self.std)

    def nll(self, x: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood without the constant 0.5 log(2 pi) per dimension."""
        return (0.5 * ((x - self.mean) / self.std) ** 2 + self.std.log()).sum(-1)

    def kl(self, other: Normal) -> torch.Tensor:
        ratio = (self.std / other.std) ** 2
        return 0.5 * (ratio + ((self.mean - other.mean) / other.std) ** 2 - 1 - ratio.log()).sum(-1)

    def kl_balanced(self, other: Normal, balance: float, free_nats: float) -> torch.Tensor:
        """KL(self || other), at least ``free_nats``; with ``balance`` alpha > 0 its gradient is split by stop-
        gradients, alpha KL(sg(self) || other) + (1 - alpha) KL(self || sg(other)) (DreamerV2's KL balancing):
        the same value, but the prior moves towards the posterior faster than the posterior towards the prior."""
        if not balance:
            return self.kl(other).clamp_min(free_nats)
        return (balance * self.detach().kl(other).clamp_min(free_nats)
                + (1 - balance) * self.kl(other.detach()).clamp_min(free_nats))

    def detach(self) -> Normal:
        return Normal(self.mean.detach(), self.std.detach())

    def __getitem__(self, index) -> Normal:
        return Normal(self.mean[index], self.std[index])


class State(NamedTuple):
    deter: torch.Tensor  # h_t [..., deter]
    stoch: torch.Tensor  # z_t [..., stoch]

    @property
    def feature(self) -> torch.Tensor:
        return torch.cat([self.deter, self.stoch], -1)


class GRUCell(nn.Module):
    """A GRU whose gates come from one LayerNorm'd linear map of [input, state] (as in DreamerV2)."""

    def __init__(self, inputs: int, size: int):
        super().__init__()
        self.linear = nn.Linear(inputs + size, 3 * size, bias=False)
        self.norm = nn.LayerNorm(3 * size)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        reset, candidate, update = self.norm(self.linear(torch.cat([x, h], -1)).float()).chunk(3, -1)
        candidate = torch.tanh(torch.sigmoid(reset) * candidate)
        update = torch.sigmoid(update - 1)
        return update * candidate + (1 - update) * h


class RSSM(nn.Module):
    def __init__(self, action_dim: int, embed: int, deter: int, stoch: int, hidden: int, min_std: float):
        super().__init__()
        self.deter, self.stoch, self.action_dim, self.min_std = deter, stoch, action_dim, min_std
        self.inputs = nn.Sequential(nn.Linear(stoch + action_dim, hidden), nn.LayerNorm(hidden), nn.SiLU())
        self.gru = GRUCell(hidden, deter)
        self.prior_head = net(deter, hidden, 2 * stoch, 1)
        self.posterior_head = net(deter + embed, hidden, 2 * stoch, 1)

    def initial(self, batch: int) -> tuple[State, torch.Tensor]:
        """The zero state and zero previous action that start every filter (training windows and episodes)."""
        zeros = self.gru.linear.weight.new_zeros
        return State(zeros(batch, self.deter), zeros(batch, self.stoch)), zeros(batch, self.action_dim)

    def prior(self, deter: torch.Tensor) -> Normal:
        """p(z_t | h_t): the stochastic part of the transition prior."""
        return Normal.of(self.prior_head(deter), self.min_std)

    def recur(self, state: State, action: torch.Tensor) -> torch.Tensor:
        """h_t = GRU(h_{t-1}, [z_{t-1}, a_{t-1}])."""
        return self.gru(self.inputs(torch.cat([state.stoch, action], -1)), state.deter)

    def observe(self, state: State, action: torch.Tensor, embed: torch.Tensor,
                sample: bool = True) -> tuple[State, Normal]:
        """One posterior step q(s_t | s_{t-1}, a_{t-1}, o_t); ``sample=False`` takes the mean."""
        deter = self.recur(state, action)
        posterior = Normal.of(self.posterior_head(torch.cat([deter, embed], -1)), self.min_std)
        return State(deter, posterior.sample() if sample else posterior.mean), posterior

    def imagine(self, state: State, action: torch.Tensor, sample: bool = True) -> State:
        """One prior step p(s_t | s_{t-1}, a_{t-1}); ``sample=False`` takes the mean."""
        deter = self.recur(state, action)
        prior = self.prior(deter)
        return State(deter, prior.sample() if sample else prior.mean)
