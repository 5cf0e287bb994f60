"""Does bfloat16 autocast hurt the world model's loss? Trains the same model from the same seed in float32 and
with bfloat16 autocast on one dataset, then scores both in float32 on the same held-out windows.

Usage: python benchmarks/bf16_loss.py [DATASET] [--preset small] [--steps 1000]; without a dataset it rolls out
48 uniform-random walker-walk episodes (5 % labeled).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from lawm.common.config import build
from lawm.common.hardware import autocast, cpu_name, native_bf16
from lawm.data import Dataset, WindowSampler
from lawm.data.recipes import random_dataset
from lawm.world_model import PRESETS, Config, WorldModel


def held_out_loss(model: WorldModel, batches: list[dict]) -> float:
    with torch.no_grad():
        torch.manual_seed(123)
        return float(np.mean([float(model.loss(batch)[0]) for batch in batches]))


def train(dataset: Dataset, held_out: list[dict], config: Config, steps: int) -> tuple[list[float], float, float]:
    """Train with autocast at the config's precision; score the held-out windows in float32."""
    torch.manual_seed(config.seed)
    sampler = WindowSampler(dataset, config.window, config.seed)
    obs = sampler.observations
    model = WorldModel(config, dataset.observation_dim, dataset.action_low, dataset.action_high, obs.mean(0), obs.std(0))
    optimizer = torch.optim.Adam(model.parameters(), config.model_lr)
    losses, start = [], time.process_time()
    for _ in range(steps):
        with autocast(config.precision, torch.device("cpu")):
            loss, metrics = model.loss(sampler.sample(config.batch_size))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        losses.append(float(metrics["loss"]))
    return losses, (time.process_time() - start) / steps, held_out_loss(model, held_out)


def random_walker(episodes: int = 48) -> Dataset:
    return random_dataset("walker-walk", episodes, seed=1, label_fraction=0.05, progress=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", help="a dataset file (default: random walker-walk episodes)")
    parser.add_argument("--preset", default="small")
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    dataset = Dataset.load(args.dataset) if args.dataset else random_walker()
    split = len(dataset.episodes) * 3 // 4
    train_part, test_part = (Dataset(dataset.env_id, episodes, action_low=dataset.action_low,
                                     action_high=dataset.action_high)
                             for episodes in (dataset.episodes[:split], dataset.episodes[split:]))
    if not native_bf16(torch.device("cpu")):
        print(f"{cpu_name()}: bfloat16 is emulated here (~1 GFLOP/s), so only the float32 run is made")
    for precision in ("fp32", "bf16") if native_bf16(torch.device("cpu")) else ("fp32",):
        config = build(Config, PRESETS, args.preset, [f"precision={precision}"])
        held_out = [WindowSampler(test_part, config.window, seed=99).sample(config.batch_size) for _ in range(10)]
        losses, seconds, test = train(train_part, held_out, config, args.steps)
        last = max(1, args.steps // 5)
        tail = np.mean(losses[-last:])
        print(f"{args.preset} {precision}: {args.steps} steps, {seconds:.3f} CPU-s/step (1 thread), "
              f"training loss over the last {last} steps {tail:.3f}, held-out float32 loss {test:.3f}")


if __name__ == "__main__":
    main()
