"""The run folder of design section 3: config, metrics, checkpoints and results, resumable.

``runs/<name>/config.json`` holds the resolved config; ``metrics.jsonl`` one JSON object per logged step
(mirrored to TensorBoard under ``tb/`` where it is installed); ``sessions.jsonl`` one line per stretch of
training (its first step, precision and CPU); ``checkpoint.pt`` the full training state,
written atomically; ``eval.json`` and other results beside them. Opening a folder that already holds a
config resumes it, provided the config is the same, except that a trainer's growable step counts may grow: a
finished run then trains on, its earlier final evaluation kept beside the new one. One process at a time
writes a run folder (it holds the folder's lock from opening it until ``close``); reading a checkpoint takes
no lock. Checkpoints are loaded with ``weights_only=True``: they hold only tensors, numbers, strings, lists,
tuples and dicts, so loading one cannot run code.
"""
from __future__ import annotations

import json
import pickle
import random
import time
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lawm.common.files import atomic_path, lock_folder, unlock_folder, write_json
from lawm.errors import LawmError


# What checkpoints written before weights_only hold besides plain data: numpy's RNG state as a numeric array.
# Reconstructing an array runs no code; any object inside one would need globals that stay refused.
_LEGACY_NUMPY = [np.ndarray, np.dtype, (np._core if hasattr(np, "_core") else np.core).multiarray._reconstruct,
                 type(np.dtype(np.uint32))]


def rng_state() -> dict:
    """Every random generator a run draws from (CUDA's where torch has started it), as tensors, numbers, lists
    and dicts only."""
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else []
    numpy = np.random.get_state(legacy=False)
    numpy["state"]["key"] = torch.from_numpy(numpy["state"]["key"].astype(np.int64))
    return dict(torch=torch.get_rng_state(), numpy=numpy, python=random.getstate(), cuda=cuda)


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if state.get("cuda"):
        torch.cuda.set_rng_state_all(state["cuda"])
    numpy = state["numpy"]
    if isinstance(numpy, dict):  # else a checkpoint of lawm before weights_only, with numpy's own tuple
        numpy = {**numpy, "state": {**numpy["state"], "key": numpy["state"]["key"].numpy().astype(np.uint32)}}
    np.random.set_state(numpy)
    random.setstate(state["python"])


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def saved_config(run_dir: str | Path) -> dict:
    """The config a run folder was made with, refused in one sentence where ``run_dir`` is no run folder."""
    path = Path(run_dir) / "config.json"
    if not path.exists():
        raise LawmError(f"{run_dir} is not a run folder (it has no config.json)")
    return json.loads(path.read_text())


def is_finished(run_dir: str | Path) -> bool:
    """A run is finished once its training has written ``eval.json``, the final policy's evaluation."""
    return (Path(run_dir) / "eval.json").exists()


CHECKPOINT = "checkpoint.pt"  # a run folder's full training state


def read_checkpoint(run_dir: str | Path) -> dict | None:
    """The training state saved in a run folder, or None where it has none. Reading takes no lock, so a
    finished run can be evaluated, or lend its world model, while others read it or its writer holds it:
    checkpoints are replaced whole by a rename, never written in place."""
    path = Path(run_dir) / CHECKPOINT
    if not path.exists():
        return None
    try:
        with torch.serialization.safe_globals(_LEGACY_NUMPY):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise LawmError(f"checkpoint {path} holds objects other than tensors, numbers, strings, lists and dicts, "
                        "which lawm refuses to load because loading them could run code") from None
    except Exception as error:  # noqa: BLE001 (any unreadable checkpoint gets the same sentence)
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise LawmError(f"checkpoint {path} cannot be read ({reason})") from None


def _unfinished(run_dir: str | Path) -> LawmError:
    return LawmError(f"run folder {run_dir} is not finished (it has no eval.json yet); rerun its training command "
                     "to finish it")


def final_state(run_dir: str | Path) -> dict:
    """The training state of a finished run: one whose training wrote ``eval.json`` at its end."""
    state = read_checkpoint(run_dir) if is_finished(run_dir) else None
    if state is None:
        raise _unfinished(run_dir)
    return state


def final_evaluation(run_dir: str | Path) -> dict:
    """The final policy's evaluation that a finished run's training wrote (``eval.json``: returns and the
    normalized score of ``lawm.evaluation``)."""
    if not is_finished(run_dir):
        raise _unfinished(run_dir)
    return json.loads((Path(run_dir) / "eval.json").read_text())


class RunFolder:
    """One training run on disk."""

    def __init__(self, path: str | Path, config: dict[str, Any], before_fields_existed: dict[str, Any] | None = None,
                 growable: tuple[str, ...] = ()):
        """Open (or create) the folder for ``config``; a saved config that lacks a field of
        ``before_fields_existed`` is compared as if it held the value that field's runs trained with. A field
        of ``growable`` (a step count that nothing before its end reads) may grow: the run goes on from its
        checkpoint, and a finished run's ``eval.json`` becomes ``eval.<field><old value>.json``."""
        self.path = Path(path)
        lock_folder(self.path, "run folder")
        self._unlock = weakref.finalize(self, unlock_folder, self.path)  # on close, or once garbage
        saved, as_json = self.path / "config.json", json.loads(json.dumps(config))
        previous = _same_config(saved, as_json, before_fields_existed or {}, growable) if saved.exists() else None
        config = {**(previous or {}), **as_json}
        if config != previous:
            self._keep_earlier_result(previous or {}, config, growable)
            write_json(saved, config)
        self.config = config
        self._tensorboard, self._purge_step = None, None

    def _keep_earlier_result(self, previous: dict, config: dict, growable: tuple[str, ...]) -> None:
        """Rename a finished run's ``eval.json`` once a growable field has grown: the run is no longer finished."""
        grown = [key for key in growable if key in previous and previous[key] != config[key]]
        if grown and is_finished(self.path):
            (self.path / "eval.json").rename(self.path / f"eval.{grown[0]}{previous[grown[0]]}.json")

    @property
    def checkpoint_path(self) -> Path:
        return self.path / CHECKPOINT

    def load_checkpoint(self) -> dict | None:
        """The saved training state, or None for a fresh run."""
        return read_checkpoint(self.path)

    def save_checkpoint(self, state: dict) -> None:
        with atomic_path(self.checkpoint_path) as tmp:
            torch.save(state, tmp)

    def forget_metrics_after(self, step: int) -> None:
        """Drop metric lines past ``step`` (written after the checkpoint a resumed run starts from), and hide
        TensorBoard's events past it."""
        self._purge_step = step + 1
        metrics = self.path / "metrics.jsonl"
        if metrics.exists():
            lines = [line for line in metrics.read_text().splitlines() if _step_of(line) <= step]
            with atomic_path(metrics) as tmp:
                tmp.write_text("".join(line + "\n" for line in lines))

    def log(self, step: int, metrics: dict[str, float]) -> None:
        """Append one line to ``metrics.jsonl`` and, where available, TensorBoard scalars."""
        row = {"step": step, **{k: float(v) for k, v in metrics.items()}}
        with open(self.path / "metrics.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        writer = self._writer()
        if writer is not None:
            for key, value in metrics.items():
                writer.add_scalar(key, float(value), step)
            writer.flush()

    def _writer(self):
        if self._tensorboard is None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                self._tensorboard = False
            else:
                self._tensorboard = SummaryWriter(str(self.path / "tb"), purge_step=self._purge_step)
        return self._tensorboard or None

    def record_session(self, step: int, **facts) -> None:
        """Append to ``sessions.jsonl`` the step a stretch of training starts from and ``facts`` about it
        (precision, CPU, ...): the config holds what to run, this file where and how each part of it ran."""
        row = dict(step=step, started=time.strftime("%Y-%m-%dT%H:%M:%S%z"), **facts)
        with open(self.path / "sessions.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")

    def write_result(self, name: str, obj) -> None:
        write_json(self.path / name, obj)

    def close(self) -> None:
        """Flush TensorBoard and let other processes write the folder."""
        if self._tensorboard:
            self._tensorboard.close()
        self._unlock()


def _step_of(line: str) -> float:
    """The step of a ``metrics.jsonl`` line; a line torn by a crash mid-write counts as past every checkpoint."""
    try:
        return json.loads(line)["step"]
    except json.JSONDecodeError:
        return float("inf")


def _same_config(saved_path: Path, config: dict, before_fields_existed: dict, growable: tuple[str, ...]) -> dict:
    """The saved config, after refusing a config that differs from it in a field both have (a field of
    ``before_fields_existed`` it lacks counts as held with that value; a field of ``growable`` may grow). Any
    other field the saved one lacks came into lawm after the run began without changing what ran: the run
    resumes, and the field is recorded."""
    saved = json.loads(saved_path.read_text())
    ran = {**before_fields_existed, **saved}
    for key in sorted(set(ran) & set(config)):
        if key in growable and config[key] > ran[key]:
            continue
        if ran[key] != config[key]:
            raise LawmError(f"run folder {saved_path.parent} was made with {key}={ran[key]!r}, not "
                            f"{config[key]!r}; use another --run folder or the same settings to resume")
    return saved
