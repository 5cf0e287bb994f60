"""Resume after a crash at any point: every training command, SIGKILLed at random moments and rerun, finishes
with no half-written file and with the same results as an uninterrupted run of the same seed.

Each command first runs once uninterrupted (the reference, which also times it); then, in a second folder, it
is started and SIGKILLed after a random 5-50 % of that time, three times, and finally run to its end. The two
folders must then hold the same files with the same contents, except what the seed does not fix: wall-clock
times (``train_seconds`` in ``eval.json``, ``seconds`` in checkpoints), the lock file's process id, the bench
cells' ``log.txt`` and the run folders' ``sessions.jsonl`` (a line for every attempt) and TensorBoard's event files (an append-only log; a resumed
run hides the killed attempt's events past its checkpoint). To keep the test fast, each attempt is a fork of
this process, which has imported lawm already, running the command line's ``main``: what a SIGKILL meets is
the command itself, without the interpreter's start-up. All six commands run side by side.
"""
from __future__ import annotations

import json
import os
import random
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch
from tqdm.auto import tqdm

import lawm.baselines.idm  # noqa: F401 (imported before forking: a fork must not import while threads run)
import lawm.bench.runner  # noqa: F401
import lawm.behaviour.online  # noqa: F401
import lawm.latent_policy  # noqa: F401
from lawm.cli import build_parser, main
from lawm.data import Dataset

KILLS = 3
COMMANDS = {
    "behaviour sac": ["behaviour", "sac", "walker-walk", "--preset", "tiny", "--set", "snapshot_episodes=1",
                      "--set", "seed_steps=500", "--run", "{out}"],
    "train td3bc": ["train", "td3bc", "--dataset", "{data}", "--preset", "tiny", "--run", "{out}"],
    "train idm-td3bc": ["train", "idm-td3bc", "--dataset", "{data}", "--preset", "tiny", "--run", "{out}"],
    "train lawm": ["train", "lawm", "--dataset", "{data}", "--preset", "tiny", "--run", "{out}"],
    "train clap": ["train", "clap", "--dataset", "{data}", "--preset", "tiny", "--run", "{out}"],
    "bench": ["bench", "--grid", "{grid}", "--workers", "1", "--out", "{out}"],
}
GRID = dict(tasks=["walker-walk"], kinds=["random"], methods=["td3bc"], seeds=[0], label_fractions=[0.5],
            episodes=2, preset="tiny")
UNFIXED = {"train_seconds", "seconds"}  # wall-clock times
STUCK = 300  # seconds: an attempt still running after this fails the test rather than hang it


def start(argv: list[str], log: Path) -> int:
    """Fork a process that runs ``lawm ARGV`` (output to ``log``) in its own process group; returns its pid."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        os.setsid()
        sys.stdout = sys.stderr = open(log, "a", buffering=1)
        # Every fork inherits this process's multiprocessing lock of the progress bars: a sibling SIGKILLed
        # while it held that lock would block this attempt forever. A command started by hand has its own.
        tqdm.set_lock(threading.RLock())
        torch.set_num_threads(1)
        code = main(argv)
    except BaseException:  # noqa: BLE001 (the child reports through its exit code and log)
        traceback.print_exc()
    finally:
        os._exit(code)


def wait(pid: int, block: bool = True) -> int | None:
    """The exit status of ``pid`` once it and every process of its group (bench pool workers) have ended;
    with ``block=False``, None while it runs. One still running after ``STUCK`` seconds is killed and fails."""
    deadline = time.monotonic() + STUCK
    done, status = os.waitpid(pid, os.WNOHANG)
    while block and not done:
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            pytest.fail(f"an attempt (pid {pid}) still ran after {STUCK} s: it is stuck")
        time.sleep(0.05)
        done, status = os.waitpid(pid, os.WNOHANG)
    if not done:
        return None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    return os.waitstatus_to_exitcode(status)


def run_to_end(argv: list[str], log: Path) -> float:
    start_time = time.perf_counter()
    assert wait(start(argv, log)) == 0, log.read_text()[-3000:]
    return time.perf_counter() - start_time


def crash_and_resume(argv: list[str], log: Path, duration: float, rng: random.Random) -> list[float]:
    """Start the command and SIGKILL it after a random share of ``duration``, ``KILLS`` times, then run it to
    its end; returns the moments of the kills that landed (the attempt had not finished yet)."""
    kills = []
    for _ in range(KILLS):
        pid = start(argv, log)
        moment = rng.uniform(0.05, 0.5) * duration
        time.sleep(moment)
        status = wait(pid, block=False)
        if status is None:
            os.kill(pid, signal.SIGKILL)
            kills.append(round(moment, 2))
            status = wait(pid)
        assert status in (0, -signal.SIGKILL), log.read_text()[-3000:]
    run_to_end(argv, log)
    return kills


def comparable(path: Path, root: Path):
    """What of a file the seed fixes, with its folder's own path replaced by ROOT."""
    if path.suffix == ".pt":
        return strip(torch.load(path, weights_only=True))
    if path.suffix == ".h5":
        return Dataset.load(path).content_hash()
    text = path.read_text().replace(str(root), "ROOT")
    if path.suffix == ".json":
        return strip(json.loads(text))
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines()]  # a torn line fails here
    return text


def strip(value):
    """``value`` without wall-clock fields, tensors as nested lists of their exact values."""
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in UNFIXED}
    if isinstance(value, (list, tuple)):
        return [strip(v) for v in value]
    if isinstance(value, torch.Tensor):
        return (str(value.dtype), value.tolist())
    return value


def files(root: Path) -> list[Path]:
    """The files the comparison covers (everything but the lock, TensorBoard's events and the attempts' logs)."""
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file() and p.name not in (".lock", "log.txt", "sessions.jsonl")
                  and "tb" not in p.relative_to(root).parts)


def argv(name: str, folder: Path, data: Path, grid: Path) -> list[str]:
    return [a.format(out=folder, data=data, grid=grid) for a in COMMANDS[name]]


def compare(name: str, reference: Path, crashed: Path, kills: list[float]) -> None:
    """The crashed run's folder holds no temporary file and what the reference's holds, as far as the seed
    fixes it."""
    assert not list(crashed.rglob("*.tmp")), f"{name}: temporary files remain"
    assert files(reference) == files(crashed), f"{name}: the folders hold different files"
    for path in files(reference):
        assert comparable(reference / path, reference) == comparable(crashed / path, crashed), (
            f"{name}: {path} differs from the uninterrupted run's (kills at {kills} s)")


def test_every_training_command_resumes_after_sigkill_with_the_same_results(tmp_path, walker_file):
    build_parser()  # imports every command module before any thread starts
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps(GRID))
    seed = random.randrange(2**32)
    folders = {name: {kind: tmp_path / name.replace(" ", "-") / kind for kind in ("reference", "crashed")}
               for name in COMMANDS}

    def reference(name: str) -> float:
        return run_to_end(argv(name, folders[name]["reference"], walker_file, grid), tmp_path / f"{name}.log")

    def crashed(name: str, duration: float, rng: random.Random) -> list[float]:
        return crash_and_resume(argv(name, folders[name]["crashed"], walker_file, grid), tmp_path / f"{name}.log",
                                duration, rng)

    with ThreadPoolExecutor(len(COMMANDS)) as pool:  # the references side by side, then the crashed runs
        durations = list(pool.map(reference, COMMANDS))
        kills = list(pool.map(crashed, COMMANDS, durations, [random.Random(seed + i) for i in range(len(COMMANDS))]))
    report = [f"{name}: {duration:.1f} s uninterrupted, killed at {moments} s"
              for name, duration, moments in zip(COMMANDS, durations, kills)]
    print(f"kill seed {seed}:", *report, sep="\n")
    for name, moments in zip(COMMANDS, kills):
        compare(name, folders[name]["reference"], folders[name]["crashed"], moments)
    assert all(kills), f"a command finished before any kill landed: {report}"
