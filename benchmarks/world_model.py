"""World-model gradient steps per second at the ``small`` and ``paper`` presets, float32 and bfloat16 autocast,
and the achieved GFLOP/s as a fraction of this machine's dense matmul peak measured in the same run.

Targets (issue 4): ``paper`` >= 60 % of the bfloat16 peak; ``small`` <= 0.08 s a step. The batches are
synthetic walker-walk-shaped windows (24-dim observations, 6-dim actions) with 5 % labeled trajectories.
Seconds are wall-clock; CPU-s (process time, all threads) tells how much of it was this process's own work
when other jobs share the cores. With busy cores, use --threads 1: two threads on two busy cores are slower.
On a GPU, --device cuda times the same steps there against that GPU's matmul peak.
Usage: python benchmarks/world_model.py [--steps N] [--presets small,paper] [--device cuda]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from lawm.common.config import build
from lawm.common.device import synchronize, torch_device
from lawm.world_model import PRESETS, Config, WorldModel
from roofline import matmul_flops, matmul_peak

OBSERVATION_DIM, ACTION_DIM, LABELED = 24, 6, 0.05


def synthetic_batch(config: Config, generator: torch.Generator) -> dict[str, torch.Tensor]:
    b, length = config.batch_size, config.window
    labeled = torch.rand(b, generator=generator) < LABELED
    actions = torch.rand(b, length, ACTION_DIM, generator=generator) * 2 - 1
    return dict(observations=torch.randn(b, length + 1, OBSERVATION_DIM, generator=generator),
                rewards=torch.rand(b, length, generator=generator),
                actions=actions * labeled[:, None, None], labeled=labeled)


def measure(preset: str, bf16: bool, steps: int, device: torch.device) -> dict:
    config = build(Config, PRESETS, preset, [f"bf16={bf16}"])
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    low, high = -np.ones(ACTION_DIM, np.float32), np.ones(ACTION_DIM, np.float32)
    model = WorldModel(config, OBSERVATION_DIM, low, high).to(device)
    optimizer = torch.optim.Adam(model.parameters(), config.model_lr)
    batches = [{key: value.to(device) for key, value in synthetic_batch(config, generator).items()}
               for _ in range(steps + 2)]

    def step(batch):
        loss, _ = model.loss(batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()

    flops = matmul_flops(lambda: step(batches[0]))
    step(batches[1])  # warm-up
    synchronize(device)
    start, cpu_start = time.perf_counter(), time.process_time()
    for batch in batches[2:]:
        step(batch)
    synchronize(device)
    seconds, cpu = (time.perf_counter() - start) / steps, (time.process_time() - cpu_start) / steps
    return dict(preset=preset, dtype="bf16" if bf16 else "fp32", seconds=seconds, cpu=cpu,
                gflops=flops / 1e9, parameters=sum(p.numel() for p in model.parameters()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="timed gradient steps per setting")
    parser.add_argument("--presets", default="small,paper", help="comma-separated presets")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch threads")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch_device(args.device)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {device}")
    peaks = {name: matmul_peak(dtype, 2048, 2.0, device) for name, dtype in (("fp32", torch.float32),
                                                                            ("bf16", torch.bfloat16))}
    print(f"matmul peak: fp32 {peaks['fp32']:.0f} GFLOP/s, bf16 {peaks['bf16']:.0f} GFLOP/s")
    for preset in args.presets.split(","):
        for bf16 in (False, True):
            r = measure(preset, bf16, args.steps, device)
            achieved = r["gflops"] / r["seconds"]
            print(f"{preset:6s} {r['dtype']}: {r['parameters'] / 1e6:.2f} M parameters, {r['seconds']:.3f} s/step "
                  f"({1 / r['seconds']:.2f} steps/s; {r['cpu']:.3f} CPU-s/step), {r['gflops']:.1f} GFLOP/step, {achieved:.0f} GFLOP/s = "
                  f"{100 * achieved / peaks[r['dtype']]:.0f} % of the {r['dtype']} peak "
                  f"({100 * achieved / peaks['bf16']:.0f} % of the bf16 peak)")


if __name__ == "__main__":
    main()
