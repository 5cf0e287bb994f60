"""``lawm bench``: run a grid's missing datasets, then its unfinished cells, on a local process pool or on Ray.

A cell is finished when its run folder holds ``eval.json``; finished cells are skipped, and an unfinished
cell resumes from its run folder's checkpoint. Every job runs with one torch thread (the networks are small,
and the cores go to parallel cells). A failed job does not stop the others; the command fails at the end.
One ``lawm bench`` process at a time writes a benchmark folder (it holds the folder's lock while it runs).
"""
from __future__ import annotations

import ctypes
import dataclasses
import os
import signal
import sys
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterator

from lawm.bench.cells import Cell, DatasetJob, make_datasets, run_cell
from lawm.bench.grids import Grid, dataset_path, label_splits
from lawm.common.files import lock_folder, unlock_folder, write_json
from lawm.common.run import is_finished
from lawm.errors import LawmError

Outcome = tuple[object, str | None, str | None]  # (job, its line, or the sentence of its failure)
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent ends


def guarded(function: Callable, job) -> tuple[str | None, str | None]:
    """Run ``function(job)`` with one torch thread; a failure becomes one sentence instead of an exception."""
    import torch

    torch.set_num_threads(1)
    try:
        return function(job), None
    except LawmError as error:
        return None, str(error)
    except Exception as error:  # noqa: BLE001 (a broken job must not take the grid down)
        where = traceback.extract_tb(error.__traceback__)[-1]
        return None, f"{type(error).__name__}: {error} (at {Path(where.filename).name}:{where.lineno})"


def die_with_parent(parent: int) -> None:
    """Make this pool worker end when the ``lawm bench`` process ``parent`` ends, even one killed by a signal:
    an orphaned worker would go on training a cell that a rerun of the grid then trains a second time."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it ended before the line above
        os.kill(os.getpid(), signal.SIGTERM)


def local(function: Callable, jobs: list, workers: int) -> Iterator[Outcome]:
    """Each job in a pool of ``workers`` fresh processes."""
    with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=get_context("spawn"),
                             initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        futures = {pool.submit(guarded, function, job): job for job in jobs}
        for future in as_completed(futures):
            yield futures[future], *future.result()


def ray(function: Callable, jobs: list, workers: int) -> Iterator[Outcome]:
    """Each job as a Ray task of one CPU: on the cluster of RAY_ADDRESS, else on a local Ray of ``workers`` CPUs."""
    try:
        import ray as ray_module
    except ImportError:
        raise LawmError("--backend ray needs Ray; install it with: pip install 'lawm[ray]'") from None
    if not ray_module.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        ray_module.init(address=address, **({} if address else dict(num_cpus=workers)), log_to_driver=False)
    task = ray_module.remote(num_cpus=1)(guarded)
    pending = {task.remote(function, job): job for job in jobs}
    while pending:
        (done,), _ = ray_module.wait(list(pending), num_returns=1)
        yield pending.pop(done), *ray_module.get(done)


BACKENDS = {"local": local, "ray": ray}


def choose_backend(name: str) -> str:
    """``auto`` is Ray when a cluster is named (``RAY_ADDRESS``), else the local process pool."""
    if name == "auto":
        return "ray" if os.environ.get("RAY_ADDRESS") else "local"
    if name not in BACKENDS:
        raise LawmError(f"unknown backend '{name}'; backends are: auto, {', '.join(BACKENDS)}")
    return name


def dataset_jobs(grid: Grid, out: Path) -> list[DatasetJob]:
    """One job per task and kind whose files are not all there yet, with the files of the same trajectories
    already there at other label fractions (those a slice of fractions leaves out, or another grid's)."""
    jobs = [DatasetJob(task, kind, grid.episodes, grid.data_seed,
                       tuple((f, str(dataset_path(out, grid, task, kind, f))) for f in grid.label_fractions),
                       tuple(map(str, label_splits(out, grid, task, kind))))
            for task, kind in grid.datasets()]
    return [job for job in jobs if not all(Path(path).exists() for _, path in job.files)]


def run_grid(grid: Grid, out: str | Path, backend: str = "auto", workers: int | None = None,
             methods: tuple[str, ...] | None = None, seeds: tuple[int, ...] | None = None,
             datasets: tuple[tuple[str, str], ...] | None = None,
             fractions: tuple[float, ...] | None = None) -> list[Cell]:
    """Make the grid's missing datasets, run its unfinished cells (only those of ``methods``, ``seeds``,
    ``datasets``, (task, kind) pairs, and label ``fractions``, when given), and return the cells run.
    ``OUT/grid.json`` records the whole grid."""
    backend = choose_backend(backend)
    workers = (os.cpu_count() or 1) if workers is None else workers
    if workers < 1:
        raise LawmError(f"--workers must be at least 1, got {workers}")
    out = Path(out).resolve()
    chosen = grid.only(methods, seeds, datasets, fractions)
    lock_folder(out, "benchmark folder")
    try:
        return _run(grid, chosen, out, backend, workers)
    finally:
        unlock_folder(out)


def _run(grid: Grid, chosen: Grid, out: Path, backend: str, workers: int) -> list[Cell]:
    """``run_grid`` in a benchmark folder this process holds."""
    write_json(out / "grid.json", dataclasses.asdict(grid))
    cells = chosen.cells(out)
    todo = [cell for cell in cells if not is_finished(cell.run_dir)]
    print(f"grid {grid.name}: {len(cells)} cells, {len(cells) - len(todo)} finished, {len(todo)} to run "
          f"({backend} backend, {workers} workers)", flush=True)
    for function, jobs in ((make_datasets, dataset_jobs(chosen, out) if todo else []), (run_cell, todo)):
        if not jobs:
            continue
        failures = [(job, error) for job, error in _report(BACKENDS[backend](function, jobs, workers), len(jobs))
                    if error]
        if failures:
            job, error = failures[0]
            where = f" (its log: {Path(job.run_dir) / 'log.txt'})" if isinstance(job, Cell) else ""
            raise LawmError(f"{len(failures)} of {len(jobs)} jobs failed; the first, {job}, said: {error}{where}")
    return cells


def _report(outcomes: Iterator[Outcome], total: int) -> Iterator[tuple[object, str | None]]:
    """Print one line per finished job and pass on its failure, if any."""
    for done, (job, line, error) in enumerate(outcomes, 1):
        print(f"[{done}/{total}] {job}: {line if error is None else 'FAILED: ' + error}", flush=True)
        yield job, error
