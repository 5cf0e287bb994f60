"""The run folder's contract: a resumed run keeps its settings and records fields that came later; a crash
leaves metrics it can resume from; only a finished run hands out its final state."""
from __future__ import annotations

import json

import pytest

from lawm.common.run import RunFolder
from lawm.errors import LawmError


def test_resuming_records_new_fields_and_refuses_changed_ones(tmp_path):
    RunFolder(tmp_path, dict(algorithm="td3bc", steps=100, removed=1))
    RunFolder(tmp_path, dict(algorithm="td3bc", steps=100, eval_every=20))  # a field added since the run began
    assert json.loads((tmp_path / "config.json").read_text()) == dict(algorithm="td3bc", steps=100, removed=1,
                                                                      eval_every=20)
    with pytest.raises(LawmError, match="was made with eval_every=20, not 10"):
        RunFolder(tmp_path, dict(algorithm="td3bc", steps=100, eval_every=10))


def test_a_metric_line_torn_by_a_crash_is_dropped_on_resume(tmp_path):
    run = RunFolder(tmp_path, dict(algorithm="td3bc"))
    for step in (10, 20, 30):
        run.log(step, dict(loss=1.0))
    with open(tmp_path / "metrics.jsonl", "a") as f:
        f.write('{"step": 40, "lo')  # killed mid-write
    run.forget_metrics_after(20)
    assert [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()] == [10, 20]


def test_only_a_finished_run_hands_out_its_final_state(tmp_path):
    run = RunFolder(tmp_path, dict(algorithm="td3bc"))
    run.save_checkpoint(dict(step=5))
    with pytest.raises(LawmError, match="is not finished"):
        run.final_state()
    run.write_result("eval.json", dict(normalized_score=1.0))
    assert run.final_state() == dict(step=5)
