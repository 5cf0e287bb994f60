"""The four dataset recipes (the paper's App. E) as rollouts of committed behaviour-policy snapshots.

A SAC run leaves evaluated snapshots of its actor; an exploration run likewise. From the SAC run's manifest:
``expert`` rolls out the best snapshots (stochastic return within 5 % of the best, at most three); ``medium``
the snapshots nearest 57.5 % of the best return (within 50-65 %, at most three; else the nearest one);
``medium-replay`` the training run up to the medium recipe's first choice, each stretch of training between two
snapshots rolled out by the snapshot that ends it, for as many episodes as the stretch lasted: our stand-in
for a replay buffer that fills until the agent is medium (the paper's App. E, Table 4). ``explore`` rolls out
the explorer's snapshots across its run, each for the episodes it acted for (the uniform-random policy before
the first). Policies act stochastically, as behaviour policies do.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lawm.behaviour.sac import TanhGaussianActor
from lawm.data.collect import UniformPolicy, collect
from lawm.data.dataset import Dataset, label_split
from lawm.common.files import atomic_path, write_json
from lawm.envs import Env, episode_seeds
from lawm.errors import LawmError

KINDS = ("expert", "medium", "medium-replay", "explore")
POLICIES = Path(__file__).resolve().parent.parent / "assets" / "policies"
MEDIUM_TARGET, MEDIUM_BAND, EXPERT_BAND, MOST = 0.575, (0.50, 0.65), 0.95, 3


@dataclass(frozen=True)
class Snapshot:
    file: str
    step: int
    episodes: int  # training episodes before it was taken
    return_mode: float
    return_stochastic: float


def read_manifest(folder: Path) -> tuple[dict, list[Snapshot]]:
    path = Path(folder) / "manifest.json"
    if not path.exists():
        raise LawmError(f"no behaviour snapshots at {folder} (missing manifest.json); train them with "
                        "scripts/train_behaviour.sh and export them with 'lawm behaviour export'")
    manifest = json.loads(path.read_text())
    if not manifest["snapshots"]:
        raise LawmError(f"{path} lists no snapshots; export a behaviour run that has saved some")
    return manifest, sorted((Snapshot(**s) for s in manifest["snapshots"]), key=lambda s: s.step)


def select(kind: str, snapshots: list[Snapshot]) -> list[tuple[Snapshot | None, float]]:
    """(snapshot, weight) pairs for a recipe; ``None`` stands for the uniform-random policy."""
    if kind == "explore":
        return _as_acted(snapshots)
    best = max(s.return_stochastic for s in snapshots)
    if kind == "expert":
        top = sorted(snapshots, key=lambda s: -s.return_stochastic)[:MOST]
        return [(s, 1.0) for s in top if s.return_stochastic >= EXPERT_BAND * best]
    medium = _medium(snapshots, best)
    if kind == "medium":
        return [(s, 1.0) for s in medium]
    if kind == "medium-replay":
        return _stretch_ends([s for s in snapshots if s.step <= medium[0].step])
    raise LawmError(f"unknown dataset kind '{kind}'; kinds are: {', '.join(KINDS)}")


def _medium(snapshots: list[Snapshot], best: float) -> list[Snapshot]:
    def distance(s):
        return abs(s.return_stochastic - MEDIUM_TARGET * best)

    band = [s for s in snapshots if MEDIUM_BAND[0] * best <= s.return_stochastic <= MEDIUM_BAND[1] * best]
    return sorted(band, key=distance)[:MOST] or [min(snapshots, key=distance)]


def _as_acted(snapshots: list[Snapshot]) -> list[tuple[Snapshot | None, float]]:
    """Each policy weighted by the training episodes it acted for: the random policy until the first
    snapshot, then each snapshot until the next one (the last for one snapshot interval)."""
    interval = snapshots[1].episodes - snapshots[0].episodes if len(snapshots) > 1 else snapshots[0].episodes
    ends = [s.episodes for s in snapshots[1:]] + [snapshots[-1].episodes + interval]
    return [(None, float(snapshots[0].episodes))] + [(s, float(end - s.episodes)) for s, end in zip(snapshots, ends)]


def _stretch_ends(snapshots: list[Snapshot]) -> list[tuple[Snapshot, float]]:
    """Each snapshot weighted by the training episodes of the stretch it ends (the first from the run's start).

    On walker-walk its file lands near Table 4 (mean 367, median 376 against 333, 373), where weighting each policy
    by the stretch after it, the random policy first, gave 222 and 171 (``results/fidelity/recipe_rules.py``)."""
    starts = [0] + [s.episodes for s in snapshots[:-1]]
    return [(s, float(s.episodes - start)) for s, start in zip(snapshots, starts)]


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` episodes in proportion to ``weights`` (largest remainders get the leftovers)."""
    share = np.asarray(weights, np.float64) / np.sum(weights) * total
    counts = np.floor(share).astype(int)
    counts[np.argsort(-(share - counts), kind="stable")[: total - counts.sum()]] += 1
    return counts.tolist()


class SnapshotPolicy:
    """A committed actor snapshot acting stochastically (sampling with torch's RNG), built as it was trained:
    ``trained_with`` is the behaviour run's config from the manifest (its width and log-std bounds).

    It computes in float64 and rounds its actions to float32: float32 results differ in their last bits
    between CPU kernels and thread counts, and rollouts would amplify that into other trajectories, while
    float64 differences stay far below float32's rounding, so every CPU makes the same dataset file."""

    def __init__(self, path: Path, obs_dim: int, action_dim: int, trained_with: dict):
        self.actor = TanhGaussianActor(obs_dim, action_dim, trained_with["hidden"], trained_with["log_std_min"],
                                       trained_with["log_std_max"]).double()
        self.actor.load_state_dict({k: v.double() for k, v in torch.load(path, weights_only=True).items()})

    @torch.no_grad()
    def __call__(self, observations: np.ndarray) -> np.ndarray:
        return self.actor.sample(torch.as_tensor(observations, dtype=torch.float64))[0].float().numpy()


def _refuse_bad_request(episodes: int, label_fraction: float, seed: int) -> None:
    """Check the request before any rollout: a positive episode count and a fraction in [0, 1]."""
    if episodes < 1:
        raise LawmError(f"a dataset needs at least one episode, got {episodes}")
    label_split(episodes, label_fraction, seed)


def random_dataset(task: str, episodes: int, seed: int = 0, label_fraction: float = 0.05, workers: int = 1,
                   progress: bool = True) -> Dataset:
    """Episodes of the uniform-random policy: not a paper recipe, but the cheapest real data for tests and demos."""
    _refuse_bad_request(episodes, label_fraction, seed)
    env = Env(task)
    rollouts = collect(task, UniformPolicy(env.action_low, env.action_high), episodes, seed, workers=workers,
                       progress=progress, description=f"random {task}")
    return Dataset.from_rollouts(task, *rollouts, label_fraction=label_fraction, label_seed=seed,
                                 action_low=env.action_low, action_high=env.action_high, recipe="random",
                                 behaviour_seed=seed, behaviour={"policy": "uniform-random"})


def make_dataset(task: str, kind: str, episodes: int = 2000, seed: int = 0, label_fraction: float = 0.05,
                 workers: int = 1, policies: Path = POLICIES, progress: bool = True) -> Dataset:
    """Roll out the recipe ``kind`` for ``task``: deterministic given ``seed``."""
    if kind not in KINDS:
        raise LawmError(f"unknown dataset kind '{kind}'; kinds are: {', '.join(KINDS)}")
    _refuse_bad_request(episodes, label_fraction, seed)
    folder = Path(policies) / task / ("explore" if kind == "explore" else "sac")
    manifest, snapshots = read_manifest(folder)
    chosen = select(kind, snapshots)
    env = Env(task)
    rollouts, used = ([], [], [], []), []
    seeds = episode_seeds(seed, len(chosen))
    for k, ((snapshot, _), count) in enumerate(zip(chosen, allocate(episodes, [w for _, w in chosen]))):
        if count == 0:
            continue
        policy = (UniformPolicy(env.action_low, env.action_high) if snapshot is None else
                  SnapshotPolicy(folder / snapshot.file, env.observation_dim, env.action_dim,
                                 manifest["trained_with"]))
        name = "uniform-random" if snapshot is None else snapshot.file
        part = collect(task, policy, count, seeds[k], workers=workers, progress=progress,
                       description=f"{task} {kind}: {name} ({count} episodes)")
        for whole, piece in zip(rollouts, part):
            whole += piece
        used.append(dict(policy=name, episodes=count, return_stochastic=None if snapshot is None
                         else snapshot.return_stochastic))
    return Dataset.from_rollouts(task, *rollouts, label_fraction=label_fraction, label_seed=seed,
                                 action_low=env.action_low, action_high=env.action_high, recipe=kind,
                                 behaviour_seed=seed, behaviour=dict(source=str(folder.name), policies=used))


def export_snapshots(run_dir: Path, out: Path) -> list[str]:
    """Copy the snapshots the recipes use (all of them for an explorer) from a behaviour run folder to
    ``out`` with a manifest that also records the run's config; returns the copied file names."""
    run_dir, out = Path(run_dir), Path(out)
    manifest, snapshots = read_manifest(run_dir / "snapshots")
    if manifest["algorithm"] == "explore":
        keep = snapshots
    else:
        keep = sorted({s for kind in KINDS[:3] for s, _ in select(kind, snapshots) if s is not None},
                      key=lambda s: s.step)
    out.mkdir(parents=True, exist_ok=True)
    for s in keep:
        with atomic_path(out / s.file) as tmp:
            tmp.write_bytes((run_dir / "snapshots" / s.file).read_bytes())
    config = json.loads((run_dir / "config.json").read_text())
    write_json(out / "manifest.json", {**manifest, "trained_with": config,
                                       "snapshots": [vars(s) for s in keep]})
    return [s.file for s in keep]
