"""LAWM's gradient steps per second, world model and policy, at the ``small`` and ``paper`` presets in float32
and bfloat16 autocast, and the achieved GFLOP/s as a fraction of the device's dense matmul peak measured in
the same run.

Each step is one call of ``lawm.latent_policy.agent.Training.update``, the training loop's own step (window
sampling included), on a synthetic walker-walk-shaped dataset: 40 episodes of 500 steps, 24-dim observations,
6-dim actions, 5 % labeled. Targets (issue 4): ``paper`` >= 60 % of the bfloat16 peak; ``small`` <= 0.08 s a
world-model step. Seconds are wall-clock; CPU-s (process time, all threads) tells how much of it was this
process's own work when other jobs share the cores. With busy cores, use --threads 1: two threads on two busy
cores are slower. On a GPU, --device cuda times the same steps there against that GPU's matmul peak.
Usage: python benchmarks/world_model.py [--steps N] [--presets small,paper] [--device cuda]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from lawm.common.config import build
from lawm.common.device import synchronize, torch_device
from lawm.common.hardware import cpu_name, native_bf16
from lawm.data import Dataset
from lawm.latent_policy import LAWM
from lawm.latent_policy.agent import Training
from lawm.world_model import PRESETS, Config
from roofline import matmul_flops, matmul_peak

OBSERVATION_DIM, ACTION_DIM, EPISODES, LABELED = 24, 6, 40, 0.05


def synthetic_dataset(seed: int = 0) -> Dataset:
    """Random episodes of walker-walk's shapes (no simulator needed)."""
    rng = np.random.default_rng(seed)
    observations = [rng.standard_normal((501, OBSERVATION_DIM), np.float32) for _ in range(EPISODES)]
    rewards = [rng.random(500, np.float32) for _ in range(EPISODES)]
    actions = [rng.uniform(-1, 1, (500, ACTION_DIM)).astype(np.float32) for _ in range(EPISODES)]
    bound = np.ones(ACTION_DIM, np.float32)
    return Dataset.from_rollouts("walker-walk", observations, rewards, actions, label_fraction=LABELED,
                                 label_seed=seed, action_low=-bound, action_high=bound)


def measure(preset: str, precision: str, steps: int, device: torch.device) -> dict:
    """Seconds, CPU-s and GFLOP of one world-model step and of one policy step."""
    config = build(Config, PRESETS, preset, [f"precision={precision}"])
    torch.manual_seed(0)
    training = Training(LAWM(config, device), synthetic_dataset())
    phases = {}
    for phase, step in (("model", 0), ("policy", config.model_steps)):  # update(step) picks the phase
        flops = matmul_flops(lambda: training.update(step))
        training.update(step)  # warm-up
        synchronize(device)
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(steps):
            training.update(step)
        synchronize(device)
        phases[phase] = dict(seconds=(time.perf_counter() - start) / steps,
                             cpu=(time.process_time() - cpu_start) / steps, gflops=flops / 1e9)
    parameters = sum(p.numel() for p in training.agent.model.parameters())
    return dict(dtype=precision, parameters=parameters, phases=phases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="timed steps per phase and setting")
    parser.add_argument("--presets", default="small,paper", help="comma-separated presets")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch threads")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch_device(args.device)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {device}, CPU {cpu_name()}")
    precisions = ("fp32", "bf16") if native_bf16(device) else ("fp32",)
    if len(precisions) == 1:
        print("bfloat16 is emulated on this device, so only float32 is measured (precision auto picks it)")
    peaks = {name: matmul_peak(dict(fp32=torch.float32, bf16=torch.bfloat16)[name], 2048, 2.0, device)
             for name in precisions}
    print("matmul peak: " + ", ".join(f"{name} {peak:.0f} GFLOP/s" for name, peak in peaks.items()))
    for preset in args.presets.split(","):
        for precision in precisions:
            r = measure(preset, precision, args.steps, device)
            print(f"{preset} {r['dtype']}, world model of {r['parameters'] / 1e6:.2f} M parameters:")
            for phase, p in r["phases"].items():
                achieved = p["gflops"] / p["seconds"]
                print(f"  {phase:6s} step {p['seconds']:.3f} s ({1 / p['seconds']:.2f} steps/s; {p['cpu']:.3f} CPU-s), "
                      f"{p['gflops']:.2f} GFLOP, {achieved:.0f} GFLOP/s = {100 * achieved / peaks[r['dtype']]:.0f} % "
                      f"of the {r['dtype']} peak")


if __name__ == "__main__":
    main()
