"""Network pieces shared across methods: MLPs, a batched ensemble of MLPs, observation normalization."""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def mlp(inputs: int, hidden: int, outputs: int, layers: int = 2, activation: type[nn.Module] = nn.ReLU,
        layer_norm: bool = False, dropout: float = 0.0) -> nn.Sequential:
    """``layers`` hidden layers of width ``hidden`` (each optionally LayerNorm'd, then activated and optionally
    dropped out) and a linear output."""
    modules, width = [], inputs
    for _ in range(layers):
        modules += [nn.Linear(width, hidden)] + ([nn.LayerNorm(hidden)] if layer_norm else []) + [activation()]
        modules += [nn.Dropout(dropout)] if dropout else []
        width = hidden
    return nn.Sequential(*modules, nn.Linear(width, outputs))


class EnsembleLinear(nn.Module):
    """``members`` independent linear layers applied in one batched matmul: [E, B, in] -> [E, B, out]."""

    def __init__(self, members: int, inputs: int, outputs: int):
        super().__init__()
        bound = 1 / math.sqrt(inputs)
        self.weight = nn.Parameter(torch.empty(members, inputs, outputs).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(members, 1, outputs).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)


class EnsembleMLP(nn.Module):
    """An ensemble of MLPs (e.g. twin critics) evaluated together: input [B, in] or [E, B, in] -> [E, B, out]."""

    def __init__(self, members: int, inputs: int, hidden: int, outputs: int, layers: int = 2,
                 layer_norm: bool = False):
        super().__init__()
        self.members, self.layer_norm = members, layer_norm
        widths = [inputs] + [hidden] * layers
        self.hidden = nn.ModuleList(EnsembleLinear(members, a, b) for a, b in zip(widths, widths[1:]))
        self.norms = nn.ParameterList(
            nn.Parameter(torch.ones(members, 1, hidden) if i % 2 == 0 else torch.zeros(members, 1, hidden))
            for i in range(2 * layers)) if layer_norm else None
        self.out = EnsembleLinear(members, widths[-1], outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(x))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations [E, B, hidden] (e.g. to run the output layer at another precision)."""
        if x.dim() == 2:
            x = x.expand(self.members, *x.shape)
        for i, layer in enumerate(self.hidden):
            x = layer(x)
            if self.layer_norm:
                x = torch.addcmul(self.norms[2 * i + 1], F.layer_norm(x, x.shape[-1:]), self.norms[2 * i])
            x = F.relu(x, inplace=True)
        return x


class Normalizer(nn.Module):
    """Fixed affine normalization (x - mean) / std, with the statistics saved alongside the model."""

    def __init__(self, mean: np.ndarray | torch.Tensor, std: np.ndarray | torch.Tensor, min_std: float = 1e-3):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).clamp_min(min_std))

    @classmethod
    def of(cls, data: np.ndarray) -> Normalizer:
        """Statistics of the rows of ``data`` [N, D]."""
        return cls(data.mean(0), data.std(0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std
