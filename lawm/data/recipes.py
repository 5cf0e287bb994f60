"""The four dataset recipes (the paper's App. E) as rollouts of committed behaviour-policy snapshots.

A SAC run leaves evaluated snapshots of its actor; an exploration run likewise. From the SAC run's manifest:
``expert`` rolls out the best snapshots (stochastic return within 5 % of the best, at most three); ``medium``
the snapshots nearest 57.5 % of the best return (within 50-65 %, at most three; else the nearest one).
``medium-replay`` stands in for the replay buffers of agents trained until they are medium: each training run
up to its first snapshot at 57.5 % of the SAC run's best, each stretch of training between two snapshots rolled
out by the snapshot that ends it, for as many episodes as the stretch lasted, and every run for the same number
of episodes (the paper takes 400 trajectories from each of 5 seeds). Its runs are the task's ``replay`` runs
where it has them (several seeds, dense snapshots: many distinct policies, as in a replay buffer), else the SAC
run alone. ``explore`` rolls out the explorer's snapshots across its run, each for the episodes it acted for
(the uniform-random policy before the first). Policies act stochastically, as behaviour policies do.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from lawm.behaviour.sac import TanhGaussianActor
from lawm.data.collect import UniformPolicy, collect, collect_parts
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
    run: int = 0  # seed of the training run it comes from (a replay folder holds several runs)


def read_manifest(folder: Path) -> tuple[dict, list[Snapshot]]:
    path = Path(folder) / "manifest.json"
    if not path.exists():
        raise LawmError(f"no behaviour snapshots at {folder} (missing manifest.json); train them with "
                        "scripts/train_behaviour.sh and export them with 'lawm behaviour export'")
    manifest = json.loads(path.read_text())
    if not manifest["snapshots"]:
        raise LawmError(f"{path} lists no snapshots; export a behaviour run that has saved some")
    return manifest, sorted((Snapshot(**s) for s in manifest["snapshots"]), key=lambda s: (s.run, s.step))


def select(kind: str, snapshots: list[Snapshot], best: float | None = None) -> list[tuple[Snapshot | None, float]]:
    """(snapshot, weight) pairs for a recipe; ``None`` stands for the uniform-random policy. ``best`` is the SAC
    run's best stochastic return, which sets the medium level (by default the best of ``snapshots``)."""
    if kind == "explore":
        return _as_acted(snapshots)
    best = _best_return(snapshots) if best is None else best
    if kind == "expert":
        top = sorted(snapshots, key=lambda s: -s.return_stochastic)[:MOST]
        return [(s, 1.0) for s in top if s.return_stochastic >= EXPERT_BAND * best]
    if kind == "medium":
        return [(s, 1.0) for s in _medium(snapshots, best)]
    if kind == "medium-replay":
        return [pair for run in {s.run: None for s in snapshots} for pair in
                _replay([s for s in snapshots if s.run == run], best)]
    raise LawmError(f"unknown dataset kind '{kind}'; kinds are: {', '.join(KINDS)}")


def _best_return(snapshots: list[Snapshot]) -> float:
    """The best stochastic return of a run: the yardstick of the expert and medium levels."""
    return max(s.return_stochastic for s in snapshots)


def medium_level(task: str, policies: Path = POLICIES) -> float:
    """The stochastic return at which the task's medium-replay runs stop: 57.5 % of its SAC run's best."""
    return MEDIUM_TARGET * _best_return(read_manifest(Path(policies) / task / "sac")[1])


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


def _replay(run: list[Snapshot], best: float) -> list[tuple[Snapshot, float]]:
    """One training run up to its first snapshot at the medium level (its last if it never gets there), each
    snapshot weighted by its share of the run's episodes in the stretch it ends (the first from the run's start),
    so that every run weighs the same.

    Weighting by the stretch a snapshot ends, not the one after it (the random policy first), put the one-run
    walker-walk file near Table 4 (mean 367, median 376 against 333, 373; ``results/fidelity/recipe_rules.py``)."""
    end = next((s for s in run if s.return_stochastic >= MEDIUM_TARGET * best), run[-1])
    run = [s for s in run if s.step <= end.step]
    starts = [0] + [s.episodes for s in run[:-1]]
    return [(s, (s.episodes - start) / end.episodes) for s, start in zip(run, starts)]


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


def _recipe_policies(task: str, kind: str, policies: Path = POLICIES) -> tuple[Path, dict, list]:
    """The policies folder a recipe rolls out, its manifest and its (snapshot, weight) pairs: the explorer's for
    ``explore``, the replay runs' for ``medium-replay`` where the task has them, else the SAC run's."""
    root = Path(policies) / task
    folder = root / ("explore" if kind == "explore" else "sac")
    manifest, snapshots = read_manifest(folder)
    if kind != "medium-replay" or not (root / "replay").is_dir():
        return folder, manifest, select(kind, snapshots)
    replay, runs = read_manifest(root / "replay")
    return root / "replay", replay, select(kind, runs, best=_best_return(snapshots))


def make_dataset(task: str, kind: str, episodes: int = 2000, seed: int = 0, label_fraction: float = 0.05,
                 workers: int = 1, policies: Path = POLICIES, progress: bool = True) -> Dataset:
    """Roll out the recipe ``kind`` for ``task``: deterministic given ``seed``."""
    if kind not in KINDS:
        raise LawmError(f"unknown dataset kind '{kind}'; kinds are: {', '.join(KINDS)}")
    _refuse_bad_request(episodes, label_fraction, seed)
    folder, manifest, chosen = _recipe_policies(task, kind, policies)
    env = Env(task)
    parts, used = [], []
    seeds = episode_seeds(seed, len(chosen))
    for k, ((snapshot, _), count) in enumerate(zip(chosen, allocate(episodes, [w for _, w in chosen]))):
        if count == 0:
            continue
        policy = (UniformPolicy(env.action_low, env.action_high) if snapshot is None else
                  SnapshotPolicy(folder / snapshot.file, env.observation_dim, env.action_dim,
                                 manifest["trained_with"]))
        parts.append((policy, count, seeds[k]))
        used.append(dict(policy="uniform-random" if snapshot is None else snapshot.file, episodes=count,
                         return_stochastic=None if snapshot is None else snapshot.return_stochastic))
    rollouts = collect_parts(task, parts, workers=workers, progress=progress,
                             description=f"{task} {kind} ({len(parts)} policies)")
    return Dataset.from_rollouts(task, *rollouts, label_fraction=label_fraction, label_seed=seed,
                                 action_low=env.action_low, action_high=env.action_high, recipe=kind,
                                 behaviour_seed=seed, behaviour=dict(source=str(folder.name), policies=used))


def export_snapshots(run_dir: Path, out: Path, replay: bool = False) -> list[str]:
    """Copy the snapshots the recipes use (all of them for an explorer) from a behaviour run folder to
    ``out`` with a manifest that also records the run's config; returns the copied file names.

    With ``replay`` the run is one of the task's replay runs (``out`` is ``<task>/replay``): its snapshots up to
    the medium level of the task's exported SAC run (``<task>/sac``) join the other runs' in ``out``, in a
    subfolder named after its seed. A run that never got there is refused."""
    run_dir, out = Path(run_dir), Path(out)
    manifest, snapshots = read_manifest(run_dir / "snapshots")
    config = json.loads((run_dir / "config.json").read_text())
    if replay:
        return _export_replay_run(run_dir, out, manifest, snapshots, config)
    if manifest["algorithm"] == "explore":
        keep = snapshots
    else:
        keep = sorted({s for kind in KINDS[:3] for s, _ in select(kind, snapshots) if s is not None},
                      key=lambda s: s.step)
    _copy_snapshots(run_dir, out, [(s.file, s) for s in keep])
    write_json(out / "manifest.json", {**manifest, "trained_with": config, "snapshots": [vars(s) for s in keep]})
    return [s.file for s in keep]


def _export_replay_run(run_dir: Path, out: Path, manifest: dict, snapshots: list[Snapshot], config: dict) -> list[str]:
    best = _best_return(read_manifest(out.parent / "sac")[1])
    level, reached = MEDIUM_TARGET * best, max(s.return_stochastic for s in snapshots)
    if reached < level:
        raise LawmError(f"{run_dir} never reached the medium level ({level:.0f}; its best snapshot returned "
                        f"{reached:.0f}), so it is no replay run; train another seed")
    seed = config.pop("seed")
    config = _how_it_trains(config)
    keep = [(s.file, replace(s, file=f"seed{seed}/{s.file}", run=seed)) for s, _ in _replay(snapshots, best)]
    others = []
    if (out / "manifest.json").exists():
        earlier, others = read_manifest(out)
        if _how_it_trains(earlier["trained_with"]) != config:
            raise LawmError(f"the replay runs in {out} were trained with another config than {run_dir}; "
                            "replay runs differ only in their seed")
    _copy_snapshots(run_dir, out, keep)
    shared = {k: v for k, v in manifest.items() if k != "seed"}  # each snapshot names its run's seed
    write_json(out / "manifest.json", {**shared, "trained_with": config, "snapshots": [
        vars(s) for s in others if s.run != seed] + [vars(s) for _, s in keep]})
    return [s.file for _, s in keep]


def _how_it_trains(config: dict) -> dict:
    """A replay run's config less where it stops (``steps``, ``stop_at_return``): its buffer keeps every step,
    so a run trains the same up to its end whatever that end is."""
    return {k: v for k, v in config.items() if k not in ("steps", "stop_at_return")}


def _copy_snapshots(run_dir: Path, out: Path, files: list[tuple[str, Snapshot]]) -> None:
    for source, snapshot in files:
        with atomic_path(out / snapshot.file) as tmp:
            tmp.write_bytes((run_dir / "snapshots" / source).read_bytes())
