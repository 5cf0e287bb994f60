"""What one benchmark job does: make a grid's datasets, or train and evaluate one method on one dataset.

Every method of Table 1 is one entry of ``METHODS``: a function (dataset file, run folder, seed, preset) that
trains into the run folder, resuming it, and leaves the final policy's ``eval.json`` there, through the
library's own entry of the method (``run`` of the baselines, ``fit`` of the LAWM and C-LAP agents).
"""
from __future__ import annotations

import contextlib
import dataclasses
import time
import traceback
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from lawm.common.files import write_json
from lawm.common.run import final_evaluation
from lawm.data import Dataset
from lawm.data.recipes import KINDS, random_dataset
from lawm.data.recipes import make_dataset as recipe

DATASET_KINDS = (*KINDS, "random")


@dataclass(frozen=True)
class Cell:
    task: str  # dm_control task
    kind: str  # dataset kind
    label_fraction: float  # share of trajectories that keep their actions
    method: str  # key of METHODS
    seed: int  # training seed
    preset: str  # preset of the method
    dataset: str  # the dataset file
    run_dir: str  # the run folder

    def __str__(self) -> str:
        return f"{self.task}/{self.kind}/lf{self.label_fraction:g}/{self.method}/seed{self.seed}"


@dataclass(frozen=True)
class DatasetJob:
    task: str  # dm_control task
    kind: str  # dataset kind
    episodes: int  # trajectories
    seed: int  # seed of the behaviour rollouts and of every label split
    files: tuple[tuple[float, str], ...]  # (label fraction, file) pairs; all but the first are relabels of it
    splits: tuple[str, ...] = ()  # files of the same trajectories at other label fractions, to relabel from

    def __str__(self) -> str:
        return f"{self.task}/{self.kind} dataset"


def make_dataset(task: str, kind: str, episodes: int, seed: int, label_fraction: float) -> Dataset:
    """The benchmark's one way to make data: the recipes of ``lawm.data.recipes``, or uniform-random actions."""
    if kind == "random":
        return random_dataset(task, episodes, seed, label_fraction, progress=False)
    return recipe(task, kind, episodes, seed, label_fraction, progress=False)


def make_datasets(job: DatasetJob) -> str:
    """Make the job's missing files as new label splits of one that is there (one of its ``splits``, say), or of
    the first fraction made from the recipe: every file of a job holds the same trajectories."""
    missing = [(fraction, path) for fraction, path in job.files if not Path(path).exists()]
    present = [path for path in (*(path for _, path in job.files), *job.splits) if Path(path).exists()]
    if not present:
        (fraction, path), *missing = missing
        make_dataset(job.task, job.kind, job.episodes, job.seed, fraction).save(path)
        present = [path]
    source = Dataset.load(present[0])
    for fraction, path in missing:
        source.relabel(fraction, job.seed).save(path)
    return f"{len(job.files)} file(s)"


def _td3bc(dataset: str, run_dir: Path, seed: int, preset: str, oracle: bool) -> None:
    from lawm.baselines import td3bc

    td3bc.run(td3bc.make_config(preset, dataset=dataset, seed=seed, oracle=oracle), run_dir, progress=False)


def _idm_td3bc(dataset: str, run_dir: Path, seed: int, preset: str) -> None:
    from lawm.baselines import idm

    idm.run(idm.make_config(preset, dataset=dataset, seed=seed), run_dir, progress=False)


def _latent_action(method: str, dataset: str, run_dir: Path, seed: int, preset: str, oracle: bool = False,
                   learned_prior: bool = False) -> None:
    """LAWM or C-LAP at ``preset`` (LAWM with C-LAP's learned prior p(u | s) for ``learned_prior``): both phases,
    then the evaluation (``LatentActionAgent.fit``)."""
    from lawm.common.config import build
    from lawm.latent_policy import CLAP, LAWM
    from lawm.world_model import PRESETS, Config

    config = dataclasses.replace(build(Config, PRESETS, preset), seed=seed, learned_prior=learned_prior)
    agent = CLAP(config, oracle) if method == "clap" else LAWM(config)
    agent.fit(Dataset.load(dataset), run_dir, dataset_path=dataset, progress=False)


# Table 1's methods in its column order, with their labels there; then LAWM with C-LAP's learned latent action
# prior, beyond the paper (results/claim, Probes)
METHODS = {
    "td3bc-oracle": partial(_td3bc, oracle=True),
    "clap-oracle": partial(_latent_action, "clap", oracle=True),
    "td3bc": partial(_td3bc, oracle=False),
    "clap": partial(_latent_action, "clap"),
    "idm-td3bc": _idm_td3bc,
    "lawm": partial(_latent_action, "lawm"),
    "lawm-prior": partial(_latent_action, "lawm", learned_prior=True),
}
LABELS = {"td3bc-oracle": "TD3+BC (Oracle)", "clap-oracle": "C-LAP (Oracle)", "td3bc": "TD3+BC", "clap": "C-LAP",
          "idm-td3bc": "IDM-TD3+BC", "lawm": "LAWM", "lawm-prior": "LAWM + learned prior"}
BEYOND_THE_PAPER = ("lawm-prior",)
TABLE1 = tuple(m for m in METHODS if m not in BEYOND_THE_PAPER)  # the paper's six methods


def run_cell(cell: Cell) -> str:
    """Train and evaluate one cell, its output in the run folder's log.txt; returns a line about its score."""
    run_dir = Path(cell.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(run_dir / "cell.json", dataclasses.asdict(cell))
    start = time.perf_counter()
    with open(run_dir / "log.txt", "a") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        try:
            METHODS[cell.method](cell.dataset, run_dir, cell.seed, cell.preset)
        except BaseException:
            traceback.print_exc()
            raise
    score = final_evaluation(run_dir)["normalized_score"]
    return f"score {score:.1f} ({time.perf_counter() - start:.0f} s)"
