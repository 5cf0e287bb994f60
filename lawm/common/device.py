"""The torch device a method trains on: the CPU by default, a CUDA GPU where the machine has one."""
from __future__ import annotations

import torch

from lawm.errors import LawmError


def torch_device(name: str | torch.device) -> torch.device:
    """The device ``name`` ("cpu", "cuda", "cuda:1"), refused in one sentence where this machine lacks it."""
    try:
        device = torch.device(name)
    except RuntimeError:
        raise LawmError(f"'{name}' is not a torch device; use cpu or cuda") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise LawmError(f"the device '{name}' needs CUDA, which this machine (torch {torch.__version__}) lacks")
    return device


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work, so that wall-clock timings include it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
