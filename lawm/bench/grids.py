"""Benchmark grids: tasks x dataset kinds x label fractions x methods x seeds, each cell one run folder.

Named grids:

- ``tiny``: seconds; random walker-walk data, the model-free methods, two seeds, two label fractions (tests).
- ``reduced``: the least that compares every method of Table 1 on this 2-core machine: walker-walk, the
  medium-replay recipe at the protocol's size (2000 trajectories, 5 % labeled), all six methods, 3 seeds,
  ``small`` presets. Estimated CPU cost: the dataset ~15 CPU-minutes; each TD3+BC / TD3+BC (Oracle) cell
  (200k updates at ~130-250 updates/s on one core, evaluated every 20k) ~15-25 minutes; each IDM-TD3+BC
  cell ~10 minutes more for its IDM; so the 9 model-free cells ~4-5 CPU-hours. Measured on an AVX2-only
  AMD EPYC, one core a cell, two cells on its 2 cores (``train_seconds``): 2691-2759 s a TD3+BC cell, 3089-3577 s
  a world-model cell at the 10k + 6k steps of ``small`` (C-LAP (Oracle) fastest, LAWM slowest; 3264-4354 s on
  the five-run medium-replay file, some beside a third process). ``--methods``, ``--seeds``, ``--datasets`` and
  ``--fractions`` run a slice of any grid, e.g. the model-free cells first.
- ``claim``: the cells where the paper's claim (LAWM beats C-LAP on the labeled data alone and nears C-LAP
  (Oracle)) is decided, walker-walk explore, cheetah-run medium-replay and hopper-stand medium-replay, plus
  the ``reduced`` grid's walker-walk medium-replay; all six methods, 3 seeds, 2000 trajectories, 5 % labeled,
  ``small`` presets: 72 cells. A medium-replay dataset needs its task's five replay runs shipped, so
  ``--datasets walker-walk/explore`` runs what can be made first. Estimated CPU cost at today's defaults:
  4 datasets ~15 CPU-minutes each; the 36 model-free cells ~0.3-0.5 CPU-hours each (as in ``reduced``),
  ~15 CPU-hours; the 36 world-model cells ~0.9-1.2 CPU-hours each on an AVX2-only CPU at the 10k + 6k steps of
  ``small`` (measured in ``reduced``), ~37 CPU-hours: about 52 CPU-hours, some 26 hours of wall time on 2 cores.
- ``labels``: the label-fraction curve on walker-walk explore: LAWM, C-LAP and IDM-TD3+BC at 1, 2, 5, 10 and
  25 % of the trajectories labeled, 2 seeds, ``small`` presets: 30 cells. Every fraction is a label split
  of the same file with the same seed, so the labeled trajectories of a smaller fraction are among those of
  every larger one, and its 5 % file and cells are the ``claim`` grid's (run both into one folder to share
  those 6 cells). Estimated CPU cost: 20 world-model cells ~17 CPU-hours and 10 IDM-TD3+BC cells ~5, so
  about 22 CPU-hours (less the shared cells).
- ``prior``: beyond the paper, LAWM with C-LAP's learned latent action prior p(u | s) in place of N(0, I)
  (``lawm-prior``) on the ``claim`` grid's datasets, 3 seeds: 12 cells. Run it into the ``claim`` grid's folder:
  the two share their files, and one report sets it beside the six methods. On walker-walk explore its three
  probes scored 70.2 on average, plain LAWM 59.5 and C-LAP 67.4 (``results/claim``, Probes). Each cell costs
  what a LAWM cell costs.
- ``paper``: Table 1 in full: 3 tasks x 4 datasets x 6 methods x 5 seeds, ``paper`` presets (for a cluster).

``--grid FILE.json`` takes the fields of ``Grid`` as one JSON object (``name`` defaults to the file's stem).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from pathlib import Path

from lawm.bench.cells import DATASET_KINDS, METHODS, TABLE1, Cell
from lawm.envs import MAIN_TASKS, task_names
from lawm.errors import LawmError

PRESETS = ("tiny", "small", "paper")


@dataclass(frozen=True)
class Grid:
    name: str  # names the grid in messages and the report
    tasks: tuple[str, ...]  # dm_control tasks, e.g. walker-walk
    kinds: tuple[str, ...]  # dataset kinds: expert, medium, medium-replay, explore (random for tests)
    methods: tuple[str, ...]  # keys of lawm.bench.cells.METHODS
    seeds: tuple[int, ...]  # training seeds of every method
    label_fractions: tuple[float, ...] = (0.05,)  # shares of trajectories that keep their actions
    episodes: int = 2000  # trajectories per dataset, 500 steps each
    preset: str = "small"  # preset of every method: tiny, small or paper
    data_seed: int = 0  # seed of the datasets: every method and seed sees the same data
    pairs: tuple[tuple[str, str], ...] = ()  # the (task, kind) pairs to run, among tasks x kinds; empty: all

    def __post_init__(self):
        _check(self)

    def only(self, methods: tuple[str, ...] | None = None, seeds: tuple[int, ...] | None = None,
             datasets: tuple[tuple[str, str], ...] | None = None,
             fractions: tuple[float, ...] | None = None) -> Grid:
        """The slice of this grid with the given methods, seeds, (task, kind) pairs and label fractions (the rest
        of it stays as it is); a slice of pairs runs the datasets that can be made before every task's behaviour
        policies ship."""
        for field, chosen, among in (("method", methods, self.methods), ("seed", seeds, self.seeds),
                                     ("dataset", datasets, tuple(self.datasets())),
                                     ("label fraction", fractions, self.label_fractions)):
            outside = [value for value in chosen or () if value not in among]
            if outside:
                raise LawmError(f"grid '{self.name}' has no {field} '{_named(outside[0])}'; its {field}s: "
                                f"{', '.join(map(_named, among))}")
        return replace(self, methods=self.methods if methods is None else methods,
                       seeds=self.seeds if seeds is None else seeds, pairs=self.pairs if datasets is None else datasets,
                       label_fractions=self.label_fractions if fractions is None else fractions)

    def datasets(self) -> list[tuple[str, str]]:
        """The (task, kind) pairs of the grid: ``pairs`` when given, else every task with every kind."""
        return list(self.pairs) or [(task, kind) for task in self.tasks for kind in self.kinds]

    def cells(self, out: Path) -> list[Cell]:
        """Every cell of the grid, with its dataset file and run folder under ``out``."""
        return [Cell(task, kind, fraction, method, seed, self.preset,
                     str(dataset_path(out, self, task, kind, fraction)),
                     str(out / "runs" / task / kind / f"lf{fraction:g}" / method / f"seed{seed}"))
                for task, kind in self.datasets() for fraction in self.label_fractions
                for method in self.methods for seed in self.seeds]


def _named(value) -> str:
    """A method, seed or label fraction as it is; a (task, kind) pair as ``task/kind``, as ``--datasets`` and run
    folders name it."""
    return "/".join(value) if isinstance(value, tuple) else str(value)


def dataset_path(out: Path, grid: Grid, task: str, kind: str, fraction: float) -> Path:
    return out / "datasets" / f"{_data_name(grid, task, kind)}-lf{fraction:g}.h5"


def label_splits(out: Path, grid: Grid, task: str, kind: str) -> list[Path]:
    """The files of the grid's trajectories of (task, kind) already in ``out``, at any label fraction (this grid's
    or another grid's): each holds the same trajectories, so any of them can be relabeled into the others."""
    return sorted((out / "datasets").glob(f"{_data_name(grid, task, kind)}-lf*.h5"))


def _data_name(grid: Grid, task: str, kind: str) -> str:
    return f"{task}-{kind}-{grid.episodes}ep-seed{grid.data_seed}"


def load_grid(spec: str) -> Grid:
    """A named grid, or one read from a JSON file of ``Grid``'s fields."""
    if spec in GRIDS:
        return GRIDS[spec]
    path = Path(spec)
    if path.suffix != ".json" or not path.is_file():
        raise LawmError(f"unknown grid '{spec}'; name one of {', '.join(GRIDS)} or give a JSON file of grid fields")
    try:
        values = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise LawmError(f"grid file {path} is not valid JSON ({error})") from None
    if not isinstance(values, dict):
        raise LawmError(f"grid file {path} must hold one JSON object of grid fields")
    names = {f.name for f in fields(Grid)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise LawmError(f"grid file {path} has the unknown field '{unknown[0]}'; fields are: {', '.join(sorted(names))}")
    values.setdefault("name", path.stem)
    missing = sorted({"tasks", "kinds", "methods", "seeds"} - set(values))
    if missing:
        raise LawmError(f"grid file {path} lacks the field '{missing[0]}'")
    return Grid(**{k: _tuples(v) for k, v in values.items()})


def _tuples(value):
    """JSON lists as tuples, nested ones too (a grid is frozen and hashable)."""
    return tuple(map(_tuples, value)) if isinstance(value, list) else value


def _check(grid: Grid) -> None:
    """One sentence for the first thing wrong with a grid."""
    for field in ("tasks", "kinds", "methods", "seeds", "label_fractions"):
        values = getattr(grid, field)
        if not isinstance(values, tuple) or not values:
            raise LawmError(f"grid '{grid.name}' needs a non-empty list of {field.replace('_', ' ')}")
    choices = dict(tasks=task_names(), kinds=DATASET_KINDS, methods=list(METHODS))
    for field, known in choices.items():
        for value in getattr(grid, field):
            if value not in known:
                raise LawmError(f"grid '{grid.name}' names the unknown {field[:-1]} '{value}'; known: {', '.join(known)}")
    if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in grid.seeds):
        raise LawmError(f"grid '{grid.name}' needs a non-empty list of non-negative integer seeds")
    if not all(isinstance(f, (int, float)) and 0 < f <= 1 for f in grid.label_fractions):
        raise LawmError(f"grid '{grid.name}' needs label fractions in (0, 1]")
    if not isinstance(grid.episodes, int) or grid.episodes < 1:
        raise LawmError(f"grid '{grid.name}' needs a positive integer number of episodes")
    for pair in grid.pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2 and pair[0] in grid.tasks and pair[1] in grid.kinds):
            raise LawmError(f"grid '{grid.name}' has the pair {list(pair) if isinstance(pair, tuple) else pair!r}; "
                            "each pair must be [task, kind] of its tasks and kinds")
    if grid.preset not in PRESETS:
        raise LawmError(f"grid '{grid.name}' names the unknown preset '{grid.preset}'; presets: {', '.join(PRESETS)}")


# the claim grid's (task, kind) pairs: the three cells with the paper's large gaps, then the reduced grid's
CLAIM_PAIRS = (("walker-walk", "explore"), ("cheetah-run", "medium-replay"), ("hopper-stand", "medium-replay"),
               ("walker-walk", "medium-replay"))

GRIDS = {
    "tiny": Grid("tiny", ("walker-walk",), ("random",), ("td3bc", "td3bc-oracle", "idm-td3bc"), (0, 1),
                 label_fractions=(0.25, 0.5), episodes=4, preset="tiny"),
    "reduced": Grid("reduced", ("walker-walk",), ("medium-replay",), TABLE1, (0, 1, 2)),
    "claim": Grid("claim", ("walker-walk", "cheetah-run", "hopper-stand"), ("explore", "medium-replay"),
                  TABLE1, (0, 1, 2), pairs=CLAIM_PAIRS),
    "prior": Grid("prior", ("walker-walk", "cheetah-run", "hopper-stand"), ("explore", "medium-replay"),
                  ("lawm-prior",), (0, 1, 2), pairs=CLAIM_PAIRS),
    "labels": Grid("labels", ("walker-walk",), ("explore",), ("lawm", "clap", "idm-td3bc"), (0, 1),
                   label_fractions=(0.01, 0.02, 0.05, 0.1, 0.25)),
    "paper": Grid("paper", MAIN_TASKS, ("expert", "medium", "medium-replay", "explore"), TABLE1,
                  (0, 1, 2, 3, 4), preset="paper"),
}
