"""The ceiling of an update made of small matmuls: this machine's matmul peak and an update's FLOP count.

A speedup over an eager reference can remove overhead, not arithmetic: once the reference's matmuls run near
the peak, no rewrite in the same precision can be much faster. ``sac.py`` and ``td3bc.py`` print where their
reference stands against this ceiling. Run: python benchmarks/roofline.py [--threads N] prints the peak of
square float32 and bfloat16 matmuls.
"""
from __future__ import annotations

import argparse
import time
from typing import Callable

import torch
from torch.utils.flop_counter import FlopCounterMode

from lawm.common.device import synchronize
from lawm.common.hardware import cpu_name, native_bf16


def matmul_peak(dtype: torch.dtype = torch.float32, size: int = 1024, seconds: float = 1.0,
                device: torch.device = torch.device("cpu")) -> float:
    """GFLOP/s of square ``size`` matmuls in ``dtype`` on ``device`` (the CPU: at the current thread count)."""
    a, b = (torch.randn(size, size, dtype=dtype, device=device) for _ in range(2))
    a @ b  # warm-up
    synchronize(device)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(10):
            a @ b
        synchronize(device)
        count += 10
    return 2 * size ** 3 * count / (time.perf_counter() - start) / 1e9


def matmul_flops(call: Callable[[], object]) -> int:
    """Floating-point operations that torch's FlopCounterMode counts (matmuls and convolutions) in one call."""
    with FlopCounterMode(display=False) as counter:
        call()
    return counter.get_total_flops()


def ceiling(name: str, flops: int, updates_per_second: float, target: float = 3.0) -> str:
    """Where an update running at ``updates_per_second`` stands against this thread count's matmul peaks."""
    fp32 = matmul_peak(torch.float32)
    achieved = flops * updates_per_second / 1e9
    needed = target * achieved
    line = (f"{name}: {flops / 1e6:.0f} MFLOP of matmuls per update, {achieved:.0f} GFLOP/s = {achieved / fp32:.0%} "
            f"of the float32 matmul peak ({fp32:.0f} GFLOP/s); {target:g}x would need {needed:.0f} GFLOP/s = "
            f"{needed / fp32:.0%} of that peak")
    if not native_bf16(torch.device("cpu")):
        return line + " (bfloat16 is emulated on this CPU: no bf16 peak)"
    bf16 = matmul_peak(torch.bfloat16)
    return line + f", {needed / bf16:.0%} of the bfloat16 one ({bf16:.0f} GFLOP/s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(cpu_name())
    for dtype in (torch.float32, torch.bfloat16):
        if dtype == torch.bfloat16 and not native_bf16(torch.device("cpu")):
            print("bfloat16: emulated on this CPU (no AMX or AVX512-BF16), so not measured")
            continue
        print(f"{args.threads} thread(s), 1024 x 1024 matmuls, {dtype}: {matmul_peak(dtype):.0f} GFLOP/s")


if __name__ == "__main__":
    main()
