"""The one training loop: resume from the run folder, update, log, checkpoint, with a progress bar."""
from __future__ import annotations

import time
from typing import Callable, Protocol

import torch
from tqdm.auto import tqdm

from lawm.common.hardware import cpu_name
from lawm.common.run import RunFolder, rng_state, set_rng_state


class Trainable(Protocol):
    def update(self, step: int) -> dict[str, torch.Tensor | float]:
        """One training step; returns scalars to average into the log."""

    def state_dict(self) -> dict: ...

    def load_state_dict(self, state: dict) -> None: ...


Periodic = tuple[int, Callable[[int], dict[str, float]]]  # (every n steps, step -> extra metrics)


def train(run: RunFolder, agent: Trainable, total_steps: int, *, log_every: int, checkpoint_every: int,
          description: str, precision: str, periodic: list[Periodic] = (), stop: Callable[[], bool] = lambda: False,
          progress: bool = True) -> float:
    """Run ``agent.update`` until ``total_steps``, or until ``stop()`` (asked after every step, and of a resumed
    agent before the first), resuming from the folder's checkpoint if there is one, and record in the folder
    where and in which (resolved) ``precision`` this stretch of training runs.

    Returns the wall-clock seconds the run has spent in total, across resumes.
    """
    state = run.load_checkpoint()
    step, seconds, sums, counts = 0, 0.0, {}, {}  # sums and counts: the metrics since the last logged line
    if state is not None:
        agent.load_state_dict(state["agent"])
        set_rng_state(state["rng"])
        step, seconds = state["step"], state["seconds"]
        sums, counts = state.get("metric_sums", {}), state.get("metric_counts", {})
    run.forget_metrics_after(step)  # lines past the checkpoint (or from an attempt that never saved one)
    if step < total_steps and not stop():
        run.record_session(step, precision=precision, cpu=cpu_name(), threads=torch.get_num_threads(),
                           torch=torch.__version__)
    start = time.perf_counter()

    def save():
        run.save_checkpoint(dict(agent=agent.state_dict(), rng=rng_state(), step=step, metric_sums=sums,
                                 metric_counts=counts, seconds=seconds + time.perf_counter() - start))

    with tqdm(total=total_steps, initial=step, desc=description, disable=not progress, dynamic_ncols=True) as bar:
        while step < total_steps and not stop():
            metrics = agent.update(step)
            step += 1
            for key, value in metrics.items():
                sums[key] = sums.get(key, 0.0) + (value.detach() if isinstance(value, torch.Tensor) else value)
                counts[key] = counts.get(key, 0) + 1
            row = {}
            if step % log_every == 0 or step == total_steps:
                row = {key: float(total) / counts[key] for key, total in sums.items()}
                sums, counts = {}, {}
            for every, extra in periodic:
                if step % every == 0 or step == total_steps:
                    row.update(extra(step))
            if row:
                run.log(step, row)
                bar.set_postfix({k: f"{v:.3g}" for k, v in list(row.items())[:4]}, refresh=False)
            if step % checkpoint_every == 0 or step == total_steps or stop():
                save()
            bar.update(1)
    return seconds + time.perf_counter() - start
