"""The wall time of one `small` LAWM cell on one core of this machine, now and before the speed work, in one run.

Prints the CPU, whether it multiplies bfloat16 natively and the precision ``auto`` picks, then the seconds of
one world-model step and one policy step (the training loop's own ``Training.update`` on a synthetic
walker-walk-shaped dataset, as in ``world_model.py``), the one-off filtering of every training trajectory that
starts the policy phase, and one evaluation (10 episodes of walker-walk). The projection of a cell is
model_steps x model step + policy_steps x policy step + filtering + evaluations. The same steps of the code
before the speed work (commit ``BEFORE``, checked out into a temporary folder and run in a subprocess) are
timed in the same run, at its default (bfloat16 autocast everywhere) and with ``bf16=false``.

    python benchmarks/cell.py [--steps 10] [--preset small] [--episodes 2000]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import torch

BEFORE = "4602b64"  # the last commit before the precision setting and the filtered-once policy phase
REPO = Path(__file__).resolve().parents[1]
OBSERVATION_DIM, ACTION_DIM = 24, 6


def synthetic(episodes: int):
    """Random episodes of walker-walk's shapes, 5 % labeled (no simulator needed)."""
    from lawm.data import Dataset
    rng = np.random.default_rng(0)
    bound = np.ones(ACTION_DIM, np.float32)
    return Dataset.from_rollouts("walker-walk", [rng.standard_normal((501, OBSERVATION_DIM), np.float32)
                                                 for _ in range(episodes)],
                                 [rng.random(500, np.float32) for _ in range(episodes)],
                                 [rng.uniform(-1, 1, (500, ACTION_DIM)).astype(np.float32) for _ in range(episodes)],
                                 label_fraction=0.05, label_seed=0, action_low=-bound, action_high=bound)


def seconds_per_call(call, steps: int) -> float:
    call()  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        call()
    return (time.perf_counter() - start) / steps


# Runs inside the old checkout: times its Training.update in both phases; prints one JSON line.
OLD_STEPS = textwrap.dedent("""
    import json, sys, time
    import torch
    sys.path.insert(0, sys.argv[1])
    from cell import synthetic, seconds_per_call
    from lawm.common.config import build
    from lawm.latent_policy import LAWM
    from lawm.latent_policy.agent import Training
    from lawm.world_model import PRESETS, Config
    torch.set_num_threads(1)
    torch.manual_seed(0)
    config = build(Config, PRESETS, sys.argv[2], sys.argv[4:])
    training = Training(LAWM(config), synthetic(40))
    steps = int(sys.argv[3])
    print(json.dumps(dict(model=seconds_per_call(lambda: training.update(0), steps),
                          policy=seconds_per_call(lambda: training.update(config.model_steps), steps))))
""")


def before(preset: str, steps: int, overrides: list[str]) -> dict:
    """Step times of commit BEFORE, run from a temporary checkout of it."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", BEFORE, "lawm"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        env = {**os.environ, "PYTHONPATH": tmp, "OMP_NUM_THREADS": "1"}
        done = subprocess.run([sys.executable, "-c", OLD_STEPS, str(Path(__file__).parent), preset, str(steps),
                               *overrides], env=env, capture_output=True, text=True, cwd=tmp)
        if done.returncode:
            raise RuntimeError(done.stderr)
        return json.loads(done.stdout.splitlines()[-1])


def now(preset: str, steps: int, episodes: int) -> dict:
    """Step times of this checkout, its filtering of ``episodes`` trajectories and one evaluation."""
    from lawm.common.config import build
    from lawm.evaluation import evaluate
    from lawm.latent_policy import LAWM
    from lawm.latent_policy.agent import Training
    from lawm.world_model import PRESETS, Config
    config = build(Config, PRESETS, preset)
    torch.manual_seed(0)
    training = Training(LAWM(config), synthetic(256))
    chunks = math.ceil(episodes / 256)  # filter_trajectories takes 256 episodes per pass
    start = time.perf_counter()
    training.starts = training.filter_trajectories()
    filtering = (time.perf_counter() - start) * chunks
    times = dict(model=seconds_per_call(lambda: training.update(0), steps),
                 policy=seconds_per_call(lambda: training.update(config.model_steps), steps), filtering=filtering)
    start = time.perf_counter()
    evaluate(training.agent, "walker-walk", config.eval_episodes)
    times["evaluation"] = time.perf_counter() - start
    return dict(times, precision=training.precision, config=config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="timed steps per phase")
    parser.add_argument("--preset", default="small")
    parser.add_argument("--episodes", type=int, default=2000, help="training trajectories of the projected cell")
    args = parser.parse_args()
    torch.set_num_threads(1)
    from lawm.common.hardware import cpu_flags, cpu_name
    print(f"CPU: {cpu_name()}; flags: {' '.join(sorted(cpu_flags() & {'avx2', 'avx512f', 'avx512_bf16', 'amx_bf16'}))}")
    current = now(args.preset, args.steps, args.episodes)
    c = current["config"]
    print(f"precision auto picks {current['precision']}; one thread; `{args.preset}`: {c.model_steps} model steps, "
          f"{c.policy_steps} policy steps, an evaluation every {c.eval_every} policy steps")
    evaluations = max(1, c.policy_steps // c.eval_every) if c.eval_every else 1
    rows = {"now (precision auto)": dict(current, evaluations=evaluations)}
    old_steps = min(args.steps, 3)  # bf16 steps before the speed work can take seconds each
    for name, overrides in (("before, its default (bf16)", []), ("before, bf16=false", ["bf16=false"])):
        rows[name] = dict(before(args.preset, old_steps, overrides), evaluations=1, evaluation=current["evaluation"],
                          filtering=0.0)  # before: no separate filtering pass and only the final evaluation
    print(f"{'code':28s} | {'model step':>10s} | {'policy step':>11s} | {'filtering':>9s} | {'evals':>9s} | cell")
    for name, r in rows.items():
        cell = c.model_steps * r["model"] + c.policy_steps * r["policy"] + r["filtering"] + r["evaluations"] * r[
            "evaluation"]
        print(f"{name:28s} | {r['model']:9.3f}s | {r['policy']:10.3f}s | {r['filtering']:8.1f}s | "
              f"{r['evaluations']} x {r['evaluation']:4.1f}s | {cell / 3600:.2f} h ({cell / 60:.0f} min)")


if __name__ == "__main__":
    main()
