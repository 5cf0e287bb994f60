"""Weight gradients of a recurrent loop's linear layers in one matmul per layer instead of one per step.

Autograd computes a layer's weight gradient at every step of a loop as a small matmul (inner size = batch)
and adds it into a weight-sized buffer: for the RSSM that addition alone took about 30 % of a training step.
Inside ``deferred_weight_grads`` each linear layer computes y_t = x_t W^T + b with W and b detached, plus
a zero slice of a "sink" tensor; the sink's backward receives dL/dy_t for every step at once and returns
dL/dW = sum_t dL/dy_t^T x_t as one large matmul. The values and gradients are those of the plain layer.
"""
from __future__ import annotations

import contextlib
from typing import Iterable

import torch
import torch.nn.functional as F
from torch import nn


class _Sink(torch.autograd.Function):
    """Zeros [steps, ..., out] whose gradient becomes the weight's and bias's gradients."""

    @staticmethod
    def forward(ctx, weight, bias, inputs: list, shape: tuple, dtype: torch.dtype):
        ctx.inputs, ctx.has_bias = inputs, bias is not None
        return weight.new_zeros(shape, dtype=dtype)

    @staticmethod
    def backward(ctx, grad):
        x = torch.stack(ctx.inputs).flatten(0, -2)
        g = grad[:len(ctx.inputs)].flatten(0, -2).to(x.dtype)
        return (g.T @ x).float(), g.float().sum(0) if ctx.has_bias else None, None, None, None


class _Tape:
    """Stands in for one linear layer's forward during the loop."""

    def __init__(self, layer: nn.Linear, steps: int):
        self.layer, self.steps, self.inputs, self.parts = layer, steps, [], None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        layer = self.layer
        if self.parts is None:
            device = x.device.type
            dtype = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else x.dtype
            self.weight = layer.weight.detach().to(dtype)
            self.bias = None if layer.bias is None else layer.bias.detach().to(dtype)
            shape = (self.steps, *x.shape[:-1], layer.out_features)
            self.parts = _Sink.apply(layer.weight, layer.bias, self.inputs, shape, dtype).unbind(0)
        x = x.to(self.weight.dtype)
        self.inputs.append(x.detach())
        return F.linear(x, self.weight, self.bias) + self.parts[len(self.inputs) - 1]


@contextlib.contextmanager
def deferred_weight_grads(modules: Iterable[nn.Module], steps: int):
    """Within the block, every linear layer of ``modules`` may be called up to ``steps`` times with inputs of
    one shape, and computes its weight gradient for all calls at once. Does nothing where grad is disabled."""
    layers = [m for module in modules for m in module.modules() if isinstance(m, nn.Linear)]
    if not torch.is_grad_enabled() or not any(layer.weight.requires_grad for layer in layers):
        yield
        return
    for layer in layers:
        layer.forward = _Tape(layer, steps)
    try:
        yield
    finally:
        for layer in layers:
            del layer.forward
