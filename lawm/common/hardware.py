"""What the machine multiplies natively, and the precision every trainer picks from it.

Every trainer's config has ``precision``: "auto" (the default), "fp32" or "bf16". "auto" takes bfloat16 only
where the hardware multiplies it natively (a CPU with AMX or AVX512-BF16, a CUDA GPU that supports it) and
float32 elsewhere: on an AVX2-only AMD EPYC bf16 matmuls are emulated at ~1 GFLOP/s against 71-84 in float32
(one thread), which made a `small` world-model step 8x slower under autocast than without it.
"""
from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import torch

from lawm.errors import LawmError

PRECISIONS = ("auto", "fp32", "bf16")
NATIVE_BF16_FLAGS = ("amx_bf16", "avx512_bf16")


@functools.cache
def cpu_info() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo ("model name", "flags", ...); empty where unreadable."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    fields = {}
    for line in text.split("\n\n")[0].splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def cpu_flags() -> set[str]:
    return set(cpu_info().get("flags", "").split())


def cpu_name() -> str:
    """The CPU's model name and its bf16 capability, e.g. "AMD EPYC (avx2, no native bf16)"."""
    flags = cpu_flags()
    native = [flag for flag in NATIVE_BF16_FLAGS if flag in flags]
    kind = ", ".join(native) if native else ("avx2, no native bf16" if "avx2" in flags else "no native bf16")
    return f"{cpu_info().get('model name', 'unknown CPU')} ({kind})"


def native_bf16(device: torch.device, flags: set[str] | None = None) -> bool:
    """Whether ``device`` multiplies bfloat16 in hardware (``flags``: the CPU's, read from the machine if None)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    return any(flag in (cpu_flags() if flags is None else flags) for flag in NATIVE_BF16_FLAGS)


def check_precision(precision: str) -> None:
    if precision not in PRECISIONS:
        raise LawmError(f"precision must be one of {', '.join(PRECISIONS)}, got '{precision}'")


def resolve_precision(precision: str, device: torch.device, flags: set[str] | None = None) -> str:
    """The precision that runs: "fp32" or "bf16"; "auto" becomes "bf16" only where it is native."""
    check_precision(precision)
    if precision == "auto":
        return "bf16" if native_bf16(device, flags) else "fp32"
    return precision


def autocast(precision: str, device: torch.device):
    """bfloat16 autocast for a resolved ``precision`` of "bf16", a no-op for "fp32"."""
    return torch.autocast(device.type, torch.bfloat16, enabled=precision == "bf16")


@contextlib.contextmanager
def matmul_precision(precision: str):
    """Within the block, oneDNN computes float32 CPU matmuls in ``precision`` ("bf16": bfloat16 products with
    float32 inputs, outputs and sums; "fp32": full float32), leaving every tensor float32."""
    before = torch.backends.mkldnn.matmul.fp32_precision
    torch.backends.mkldnn.matmul.fp32_precision = "bf16" if precision == "bf16" else "ieee"
    try:
        yield
    finally:
        torch.backends.mkldnn.matmul.fp32_precision = before


def upgrade_fields(fields: dict) -> dict:
    """A saved config from before ``precision`` existed: its ``bf16`` flag becomes the precision it named."""
    if "bf16" not in fields:
        return fields
    fields = dict(fields)
    bf16 = fields.pop("bf16")
    fields.setdefault("precision", "bf16" if bf16 else "fp32")
    return fields
