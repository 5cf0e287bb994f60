"""The run folder's contract: a resumed run keeps its settings and records fields that came later; a crash
leaves metrics it can resume from; only a finished run hands out its final state; a checkpoint cannot run
code; one process writes a folder at a time; temporary files of killed writers do not linger."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import run_lawm

from lawm.common.files import lock_folder, unlock_folder, write_json
from lawm.common.run import RunFolder, final_evaluation, final_state, rng_state, seed_everything, set_rng_state
from lawm.errors import LawmError


def test_resuming_records_new_fields_and_refuses_changed_ones(tmp_path):
    RunFolder(tmp_path, dict(algorithm="td3bc", steps=100, removed=1))
    RunFolder(tmp_path, dict(algorithm="td3bc", steps=100, eval_every=20))  # a field added since the run began
    assert json.loads((tmp_path / "config.json").read_text()) == dict(algorithm="td3bc", steps=100, removed=1,
                                                                      eval_every=20)
    with pytest.raises(LawmError, match="was made with eval_every=20, not 10"):
        RunFolder(tmp_path, dict(algorithm="td3bc", steps=100, eval_every=10))


def test_a_field_an_old_config_lacks_counts_with_the_value_its_run_trained_with(tmp_path):
    RunFolder(tmp_path, dict(algorithm="lawm", steps=100)).close()  # saved before labeled_share existed
    before = dict(labeled_share=0.0)  # what such runs trained with
    with pytest.raises(LawmError, match="was made with labeled_share=0.0, not 0.5"):
        RunFolder(tmp_path, dict(algorithm="lawm", steps=100, labeled_share=0.5), before)
    RunFolder(tmp_path, dict(algorithm="lawm", steps=100, labeled_share=0.0), before).close()
    assert json.loads((tmp_path / "config.json").read_text())["labeled_share"] == 0.0


def test_a_metric_line_torn_by_a_crash_is_dropped_on_resume(tmp_path):
    run = RunFolder(tmp_path, dict(algorithm="td3bc"))
    for step in (10, 20, 30):
        run.log(step, dict(loss=1.0))
    with open(tmp_path / "metrics.jsonl", "a") as f:
        f.write('{"step": 40, "lo')  # killed mid-write
    run.forget_metrics_after(20)
    assert [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()] == [10, 20]


def test_only_a_finished_run_hands_out_its_final_state_and_evaluation_even_while_its_folder_is_locked(tmp_path):
    run = RunFolder(tmp_path, dict(algorithm="td3bc"))
    run.save_checkpoint(dict(step=5))
    for final in (final_state, final_evaluation):
        with pytest.raises(LawmError, match="is not finished"):
            final(tmp_path)
    run.write_result("eval.json", dict(normalized_score=1.0))
    assert final_state(tmp_path) == dict(step=5)  # the writer still holds the folder's lock
    assert final_evaluation(tmp_path) == dict(normalized_score=1.0)


class Payload:
    """Unpickling this runs os.mkdir on ``path``: what a malicious checkpoint would do."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return os.mkdir, (self.path,)


def test_a_checkpoint_that_would_run_code_is_refused_and_runs_nothing(tmp_path, walker_file):
    marker = tmp_path / "the-payload-ran"
    run = tmp_path / "run"
    run.mkdir()
    torch.save(dict(agent={}, step=1, hook=Payload(marker)), run / "checkpoint.pt")
    folder = RunFolder(run, dict(algorithm="td3bc"))
    with pytest.raises(LawmError, match="holds objects other than tensors") as error:
        folder.load_checkpoint()
    assert str(run / "checkpoint.pt") in str(error.value) and "\n" not in str(error.value)
    folder.close()
    result = run_lawm("train", "td3bc", "--dataset", walker_file, "--run", run, "--preset", "tiny", check=False)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert f"checkpoint {run / 'checkpoint.pt'} holds objects other than tensors" in result.stderr
    assert not marker.exists()


def test_checkpoints_keep_rng_state_as_plain_data(tmp_path):
    run = RunFolder(tmp_path, dict(algorithm="td3bc"))
    seed_everything(3)
    run.save_checkpoint(dict(rng=rng_state(), step=1))
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    set_rng_state(run.load_checkpoint()["rng"])
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected


def hold(folder: Path) -> subprocess.Popen:
    """Another process that locks ``folder`` and waits; it has the lock once it prints."""
    code = f"import time; from lawm.common.files import lock_folder; lock_folder({str(folder)!r}); print(1, flush=True); time.sleep(60)"
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "1\n"
    return process


def test_a_second_writer_is_refused_with_the_holders_pid(tmp_path, walker_file):
    holder = hold(tmp_path / "run")
    try:
        with pytest.raises(LawmError, match=f"run folder .* is in use by process {holder.pid};"):
            RunFolder(tmp_path / "run", dict(algorithm="td3bc"))
    finally:
        holder.kill()
        holder.wait()
    lock_folder(tmp_path / "bench")
    try:
        for args in (("train", "td3bc", "--dataset", walker_file, "--run", tmp_path / "bench"),
                     ("bench", "--grid", "tiny", "--out", tmp_path / "bench")):
            result = run_lawm(*args, check=False)
            assert result.returncode == 2 and result.stderr.count("\n") == 1
            assert f"{tmp_path / 'bench'} is in use by process {os.getpid()};" in result.stderr
    finally:
        unlock_folder(tmp_path / "bench")
    assert sorted(p.name for p in (tmp_path / "bench").iterdir()) == [".lock"]  # nothing was written


def test_the_lock_of_a_killed_process_does_not_block(tmp_path):
    holder = hold(tmp_path)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (tmp_path / ".lock").read_text() == f"{holder.pid}\n"
    run = RunFolder(tmp_path, dict(algorithm="td3bc"))
    assert (tmp_path / ".lock").read_text() == f"{os.getpid()}\n"
    run.close()


def test_temporary_files_of_killed_writers_are_swept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale, live = tmp_path / f".checkpoint.pt.{dead.stdout.strip()}.tmp", tmp_path / f".eval.json.{os.getpid()}.tmp"
    stale.write_bytes(b"half")
    live.write_bytes(b"being written")
    write_json(tmp_path / "config.json", {})
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name, "config.json"]


def test_checkpoints_written_before_weights_only_still_resume(tmp_path):
    seed_everything(4)
    legacy = dict(torch=torch.get_rng_state(), numpy=np.random.get_state(), python=random.getstate(), cuda=[])
    torch.save(dict(rng=legacy, step=2), tmp_path / "checkpoint.pt")
    expected = np.random.rand()
    run = RunFolder(tmp_path, dict(algorithm="td3bc"))
    set_rng_state(run.load_checkpoint()["rng"])
    assert np.random.rand() == expected
    run.close()
